"""The classification dock: images in, top-K labels with score bars out.

Images come from drops (on the panel or the window) or a file dialog. The
work is `c2core.classify.Classifier` on the chosen backend and preset, run as
a job; with the executor backend the first image is also run with
`Predictor.run(fetch_all=True)` so every intermediate blob can be inspected.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from . import backend_status, jobs, settings
from .document import IMAGE_SUFFIXES

BACKENDS = ["c2", "onnxruntime", "openvino", "openvino:fp16", "tensorrt", "tensorrt:fp16"]


def _e(x) -> str:
    return html.escape(str(x))


class ScoreBar(QWidget):
    """One label with a horizontal bar proportional to its probability."""

    def __init__(self, label: str, score: float, parent=None):
        super().__init__(parent)
        self.label, self.score = label, score
        self.setMinimumHeight(20)
        self.setToolTip(f"{label}: {score:.4f}")

    def paintEvent(self, event):
        p = QPainter(self)
        r = self.rect().adjusted(0, 2, -1, -2)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor("#e9ecef"))
        p.drawRoundedRect(r, 3, 3)
        p.setBrush(QColor("#9ec1e6"))
        p.drawRoundedRect(QRectF(r.left(), r.top(), max(3.0, r.width() * self.score), r.height()), 3, 3)
        p.setPen(QColor("#1b1f23"))
        text = p.fontMetrics().elidedText(self.label, Qt.ElideRight, r.width() - 70)
        p.drawText(r.adjusted(6, 0, -6, 0), Qt.AlignVCenter | Qt.AlignLeft, text)
        p.setPen(QColor("#1b1f23"))
        p.drawText(r.adjusted(6, 0, -6, 0), Qt.AlignVCenter | Qt.AlignRight, f"{100 * self.score:.1f}%")


class ResultCard(QWidget):
    def __init__(self, result: dict, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 4)
        thumb = QLabel()
        pix = QPixmap(result["image"])
        if not pix.isNull():
            thumb.setPixmap(pix.scaled(96, 96, Qt.KeepAspectRatio, Qt.SmoothTransformation))
        thumb.setFixedWidth(100)
        thumb.setAlignment(Qt.AlignTop | Qt.AlignHCenter)
        lay.addWidget(thumb)
        col = QVBoxLayout()
        col.setSpacing(1)
        head = QLabel(f"<b>{_e(os.path.basename(result['image']))}</b> <span style='color:#868e96'>"
                      f"{_e(result['backend'])} · {result['latency_ms']:.1f} ms</span>")
        col.addWidget(head)
        self.bars = []
        for t in result["top"]:
            bar = ScoreBar(t["label"], float(t["score"]))
            self.bars.append(bar)
            col.addWidget(bar)
        col.addStretch(1)
        lay.addLayout(col, 1)


class ClassifyPanel(QWidget):
    activations_ready = Signal(dict)
    results_ready = Signal(list)
    progressed = Signal(float, str)
    run_done = Signal(str)  # job state: finished, failed or cancelled

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.doc = None
        self.images: list[str] = []
        self.results: list[dict] = []
        self.warnings: list[str] = []
        self.job: jobs.Job | None = None
        self._avail_job = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        grid = QGridLayout()
        self.preset = QComboBox()
        self.preset.addItem("auto (model.json, else torchvision)", "")
        from c2core.classify import PRESETS

        for name, p in PRESETS.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, p.notes, Qt.ToolTipRole)
        last = settings.get("classify/preset", "")
        i = self.preset.findData(last)
        if i >= 0:
            self.preset.setCurrentIndex(i)
        self.preset.currentIndexChanged.connect(lambda _: settings.put("classify/preset", self.preset.currentData()))
        self.backend = QComboBox()
        for b in BACKENDS:
            self.backend.addItem(b, b)
        grid.addWidget(QLabel("Preset"), 0, 0)
        grid.addWidget(self.preset, 0, 1)
        grid.addWidget(QLabel("Backend"), 1, 0)
        grid.addWidget(self.backend, 1, 1)
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)
        row = QHBoxLayout()
        self.add_btn = QPushButton("Add images…")
        self.run_btn = QPushButton("Classify")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.clear_btn = QPushButton("Clear")
        for b in (self.add_btn, self.run_btn, self.cancel_btn, self.clear_btn):
            row.addWidget(b)
        lay.addLayout(row)
        self.add_btn.clicked.connect(self.choose_images)
        self.run_btn.clicked.connect(self.run)
        self.cancel_btn.clicked.connect(self.cancel)
        self.clear_btn.clicked.connect(self.clear)
        self.status = QLabel("Drop images here (or use Add images…), then Classify.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#495057")
        lay.addWidget(self.status)
        self.cards = QVBoxLayout()
        lay.addLayout(self.cards)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["image", "top-1", "score", "ms"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.table.hide()
        # header plus three rows stay visible: the dock grows rather than hiding results
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 3 * 26 + 4)
        self.table.verticalHeader().setDefaultSectionSize(26)
        lay.addWidget(self.table, 1)
        lay.addStretch(0)
        self._update_buttons()

    # ----- document and backends ------------------------------------------------------
    def set_document(self, doc) -> None:
        self.doc = doc
        self.clear_results()
        self._update_buttons()
        self.ensure_availability()

    def ensure_availability(self) -> None:
        """Ask the core which backends work (and import the kernels) once, on a worker."""
        if backend_status.cached() is None and self._avail_job is None:
            self._avail_job = jobs.Job(lambda p, c: backend_status.warm_up(), "backend availability", self)
            self._avail_job.finished.connect(self._apply_availability)
            self._avail_job.start()
        elif backend_status.cached() is not None:
            self._apply_availability(backend_status.cached())

    def _apply_availability(self, avail: dict) -> None:
        model = self.backend.model()
        for i in range(self.backend.count()):
            name = self.backend.itemData(i).split(":")[0]
            av = avail.get(name)
            item = model.item(i)
            if av is not None and not av.ok:
                item.setEnabled(False)
                item.setToolTip(f"unavailable: {av.reason}")
                self.backend.setItemText(i, f"{self.backend.itemData(i)}  (unavailable)")
            else:
                item.setEnabled(True)
                item.setToolTip(f"{name} {av.version if av else ''}")

    def _update_buttons(self) -> None:
        busy = self.job is not None and self.job.is_running
        self.run_btn.setEnabled(self.doc is not None and bool(self.images) and not busy)
        self.cancel_btn.setEnabled(busy)
        self.add_btn.setEnabled(not busy)

    # ----- images ---------------------------------------------------------------------------
    def choose_images(self):
        paths, _ = QFileDialog.getOpenFileNames(self, "Images to classify", settings.get("classify/dir", ""),
                                                "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")")
        if paths:
            settings.put("classify/dir", os.path.dirname(paths[0]))
            self.add_images(paths)

    def add_images(self, paths, run: bool = True) -> None:
        new = [os.fspath(p) for p in paths if os.fspath(p).lower().endswith(IMAGE_SUFFIXES)]
        self.images = new
        self.status.setText(f"{len(new)} image(s): " + ", ".join(os.path.basename(p) for p in new[:4]) + (" …" if len(new) > 4 else ""))
        self._update_buttons()
        if run and self.doc is not None and new:
            self.run()

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        imgs = []
        for p in paths:
            if os.path.isdir(p):
                from c2core.classify import list_images

                imgs += list_images(p)
            else:
                imgs.append(p)
        self.add_images(imgs)
        event.acceptProposedAction()

    # ----- running ----------------------------------------------------------------------------
    def run(self) -> jobs.Job | None:
        if self.doc is None or not self.images or (self.job is not None and self.job.is_running):
            return None
        doc, paths = self.doc, list(self.images)
        backend = self.backend.currentData()
        preset = self.preset.currentData() or None

        def work(progress, cancel):
            from c2core.backends import ModelSource
            from c2core.classify import Classifier, load_image

            progress(0.02, "Loading images…")
            images = [load_image(p) for p in paths]
            source = ModelSource(model=doc.model, path=doc.path, batch=1, progress=progress, cancel=cancel)
            try:
                clf = Classifier(source=source, backend=backend, preset=preset)
                try:
                    progress(0.1, f"Preparing {backend}…")
                    clf.prepare()
                    results = []
                    for i, (im, p) in enumerate(zip(images, paths)):
                        cancel.check()
                        results += clf.classify_images([im], [p], top=5, warmup=(i == 0))
                        progress(0.2 + 0.6 * (i + 1) / len(paths), f"Classified {i + 1}/{len(paths)}")
                    acts = {}
                    if backend == "c2":
                        cancel.check()
                        progress(0.85, "Capturing activations…")
                        from c2core.runtime import Predictor

                        x = clf.preprocess.apply(images[0])[None]
                        pred = getattr(clf.backend, "_predictor", None) or Predictor(doc.model)
                        acts = pred.run({clf.backend.input_names[0]: x}, fetch_all=True)
                    return results, acts, list(clf.warnings)
                finally:
                    clf.close()
            finally:
                source.close()

        self.job = jobs.Job(work, f"classify ({backend})", self)
        self.job.finished.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.job.progress.connect(self._progress)
        self.job.done.connect(self._run_done)
        self.status.setText(f"Classifying {len(paths)} image(s) with {backend}…")
        self.job.start()
        self._update_buttons()
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, fraction: float, message: str) -> None:
        if message:
            self.status.setText(message)
        self.progressed.emit(fraction, message)

    def _run_done(self) -> None:
        self._update_buttons()
        self.run_done.emit(self.job.state)

    def _done(self, result) -> None:
        results, acts, warnings = result
        self.results, self.warnings = results, warnings
        self.show_results(results)
        msg = f"{len(results)} image(s) classified in {self.job.elapsed:.2f} s"
        if acts:
            msg += f"; {len(acts)} activations captured (select a blob to inspect)"
        if warnings:
            msg += "<br><span style='color:#d9480f'>" + "<br>".join(_e(w) for w in warnings) + "</span>"
        self.status.setText(msg)
        if acts:
            self.activations_ready.emit(acts)
        self.results_ready.emit(results)

    def _failed(self, msg: str) -> None:
        self.status.setText(f"<span style='color:#c92a2a'><b>Classification failed:</b> {_e(msg)}</span>")

    def _cancelled(self) -> None:
        self.status.setText("Classification cancelled.")

    # ----- results ----------------------------------------------------------------------------------
    def clear_results(self) -> None:
        while self.cards.count():
            w = self.cards.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.table.setRowCount(0)
        self.table.hide()
        self.results = []

    def clear(self) -> None:
        self.clear_results()
        self.images = []
        self.status.setText("Drop images here (or use Add images…), then Classify.")
        self._update_buttons()

    def show_results(self, results: list[dict]) -> None:
        self.clear_results()
        self.results = results
        if not results:
            return
        self.cards.addWidget(ResultCard(results[0]))
        if len(results) > 1:
            self.table.setRowCount(len(results))
            for r, res in enumerate(results):
                t = res["top"][0]
                for c, v in enumerate((os.path.basename(res["image"]), t["label"], f"{t['score']:.3f}", f"{res['latency_ms']:.1f}")):
                    self.table.setItem(r, c, QTableWidgetItem(v))
            self.table.show()

    def _row_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if rows:
            r = min(rows)
            while self.cards.count():
                w = self.cards.takeAt(0).widget()
                if w is not None:
                    w.deleteLater()
            self.cards.addWidget(ResultCard(self.results[r]))

    def shutdown(self) -> None:
        self.cancel()
