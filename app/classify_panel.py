"""The classification dock: images in, top-K labels with score bars out.

Images come from drops (on the panel or the window) or a file dialog. The
work is one core call, `c2core.classify.image_job.classify_job`, run as a job
on the chosen backend (`auto` by default: the core picks the fastest engine
that matches the executor on this model, and the result card names it),
preset, labels file and the input shapes of the Inputs panel. A run belongs
to the document that started it: opening another model cancels it and its
result is dropped. Preset and labels are remembered per model (by content);
the preset can be saved to the model's model.json.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from . import backend_status, jobs, settings
from .document import IMAGE_SUFFIXES

BACKENDS = ["auto", "c2", "onnxruntime", "openvino", "openvino:fp16", "tensorrt", "tensorrt:fp16"]
LABELS_DEFAULT = "model's labels (model.json, else ImageNet)"


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
        engine = result["backend"] + (" (auto)" if result.get("auto") else "")
        head = QLabel(f"<b>{_e(os.path.basename(result['image']))}</b> <span style='color:#868e96'>"
                      f"{_e(engine)} · {result['latency_ms']:.1f} ms</span>")
        if result.get("auto_note"):
            head.setToolTip("auto measured: " + result["auto_note"])
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
        self._auto_choices: dict = {}  # (model fingerprint, shapes, preset) -> auto's (engine, note)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        grid = QGridLayout()
        self.preset = QComboBox()
        from c2core.classify import CAFFE2_DEFAULT_PRESET, PRESETS

        self.preset.addItem(f"auto (model.json, else {CAFFE2_DEFAULT_PRESET})", "")

        for name, p in PRESETS.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, p.notes, Qt.ToolTipRole)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.save_preset_btn = QToolButton()
        self.save_preset_btn.setText("Save")
        self.save_preset_btn.setToolTip("Save this preset to the model's model.json")
        self.save_preset_btn.clicked.connect(self.save_preset)
        self.backend = QComboBox()
        for b in BACKENDS:
            self.backend.addItem(b, b)
        self.backend.setItemData(0, "the fastest available engine whose results match the executor on this model",
                                 Qt.ToolTipRole)
        self.backend.currentIndexChanged.connect(lambda _: settings.put("classify/backend", self.backend.currentData()))
        last_backend = self.backend.findData(settings.get("classify/backend", "auto"))
        self.backend.setCurrentIndex(max(0, last_backend))
        self.labels_label = QLabel(LABELS_DEFAULT)
        self.labels_label.setStyleSheet("color:#495057")
        self.labels_btn = QToolButton()
        self.labels_btn.setText("Choose…")
        self.labels_btn.setToolTip("A labels file: one class name per line")
        self.labels_btn.clicked.connect(self.choose_labels)
        self.labels_reset = QToolButton()
        self.labels_reset.setText("Default")
        self.labels_reset.clicked.connect(lambda: self.set_labels(None))
        self.labels_path: str | None = None
        grid.addWidget(QLabel("Preset"), 0, 0)
        grid.addWidget(self.preset, 0, 1)
        grid.addWidget(self.save_preset_btn, 0, 2)
        grid.addWidget(QLabel("Backend"), 1, 0)
        grid.addWidget(self.backend, 1, 1, 1, 2)
        labels_row = QHBoxLayout()
        labels_row.addWidget(self.labels_label, 1)
        labels_row.addWidget(self.labels_btn)
        labels_row.addWidget(self.labels_reset)
        grid.addWidget(QLabel("Labels"), 2, 0)
        grid.addLayout(labels_row, 2, 1, 1, 2)
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
    preset_changed = Signal(object)  # the Preprocess now in effect (the Inputs panel shows its crop)

    def set_document(self, doc) -> None:
        """Show `doc`; a run of the previous document is cancelled and its result dropped."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
        self.doc = doc
        self.clear_results()
        self.status.setText(self.IDLE_TEXT if not self.images else self._images_text())
        self._restore_choices()
        self._update_buttons()
        self.ensure_availability()

    IDLE_TEXT = "Drop images here (or use Add images…), then Classify."

    def _key(self, what: str) -> str | None:
        return f"models/{self.doc.fingerprint}/{what}" if self.doc is not None and self.doc.fingerprint else None

    def _restore_choices(self) -> None:
        """The preset and labels this model was last classified with (else the defaults)."""
        preset = self.doc.preset if self.doc is not None else ""
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(max(0, self.preset.findData(preset or "")))
        self.preset.blockSignals(False)
        labels = settings.get(self._key("labels"), "") if self._key("labels") else ""
        self._show_labels(labels if labels and os.path.isfile(labels) else None)
        self._emit_preset()

    def _preset_changed(self, _index=None) -> None:
        key = self._key("preset")
        if key:
            settings.put(key, self.preset.currentData() or "")
            self.doc.preset = self.preset.currentData() or ""
        self._emit_preset()

    def effective_preprocess(self):
        """The preprocessing a run would start from (preset box, else model.json, else the default)."""
        if self.doc is None:
            return None
        from c2core.backends import ModelSource
        from c2core.classify import chosen_preset
        from c2core.errors import C2Error

        try:
            return chosen_preset(ModelSource(model=self.doc.model, path=self.doc.path), self.preset.currentData() or None)[0]
        except C2Error:
            return None

    def _emit_preset(self) -> None:
        self.preset_changed.emit(self.effective_preprocess())

    def save_preset(self) -> str | None:
        """Write the chosen preset into model.json beside the model (atomically, via the core)."""
        from c2core.errors import C2Error
        from c2core.io.sidecar_files import model_folder, update_model_json

        name = self.preset.currentData()
        if self.doc is None or not name:
            self.status.setText("Choose a preset (not auto) to save it to model.json.")
            return None
        try:
            path = update_model_json(model_folder(self.doc.model), {"preprocessing": name})
        except C2Error as e:
            self.status.setText(f"<span style='color:#c92a2a'>{_e(e)}</span>")
            return None
        self.status.setText(f"Preset '{_e(name)}' saved to {_e(path)}")
        return path

    def choose_labels(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Labels file (one class per line)",
                                              os.path.dirname(self.labels_path or (self.doc.path if self.doc else "")),
                                              "Labels (*.txt *.labels *.names);;All files (*)")
        if path:
            self.set_labels(path)

    def set_labels(self, path: str | None) -> None:
        """Use this labels file for the current model (None: the model's own / ImageNet)."""
        if path is not None:
            from c2core.classify import load_labels
            from c2core.errors import C2Error

            try:
                n = len(load_labels(path))
            except (C2Error, OSError) as e:
                self.status.setText(f"<span style='color:#c92a2a'>Labels not usable: {_e(e)}</span>")
                return
            self.status.setText(f"Labels: {n} classes from {_e(os.path.basename(path))}")
        key = self._key("labels")
        if key:
            settings.put(key, path or "")
        self._show_labels(path)
        self.clear_results()

    def _show_labels(self, path: str | None) -> None:
        self.labels_path = path
        self.labels_label.setText(os.path.basename(path) if path else LABELS_DEFAULT)
        self.labels_label.setToolTip(path or "")
        self.labels_reset.setEnabled(path is not None)

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
        structure_only = self.doc is not None and self.doc.model.structure_only
        self.run_btn.setEnabled(self.doc is not None and bool(self.images) and not busy and not structure_only)
        self.run_btn.setToolTip("This model has no weights (structure only): it cannot classify"
                                if structure_only else "")
        self.cancel_btn.setEnabled(busy)
        self.add_btn.setEnabled(not busy)
        self.save_preset_btn.setEnabled(self.doc is not None and bool(self.doc.model.predict_path))

    # ----- images ---------------------------------------------------------------------------
    def choose_images(self):
        paths, _ = QFileDialog.getOpenFileNames(self, "Images to classify", settings.get("classify/dir", ""),
                                                "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")")
        if paths:
            settings.put("classify/dir", os.path.dirname(paths[0]))
            self.add_images(paths)

    def _images_text(self) -> str:
        new = self.images
        return f"{len(new)} image(s): " + ", ".join(os.path.basename(p) for p in new[:4]) + (" …" if len(new) > 4 else "")

    def add_images(self, paths, run: bool = True) -> None:
        new = [os.fspath(p) for p in paths if os.fspath(p).lower().endswith(IMAGE_SUFFIXES)]
        self.images = new
        self.clear_results()
        self.status.setText(self._images_text())
        self._update_buttons()
        if run and self.doc is not None and new:
            if self.doc.model.structure_only:
                self.status.setText("This model has no weights (structure only): it cannot classify. "
                                    "Open a model with its init net.")
                return
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
        if self.doc.model.structure_only:
            return None
        doc, paths = self.doc, list(self.images)
        backend = self.backend.currentData()
        preset = self.preset.currentData() or None
        labels = self.labels_path
        shapes = dict(doc.input_overrides)

        choices = self._auto_choices
        key = (doc.fingerprint, tuple(sorted(shapes.items())), preset)

        def work(progress, cancel):
            from c2core.classify import image_job
            from c2core.tasks import sub_progress

            from .subprocess_call import call_in_subprocess

            m = doc.model
            # ONNX export and engine set-up (onnxruntime, OpenVINO) hold the GIL for long stretches:
            # for a model on disk they run in a child process, so the window keeps ticking
            on_disk = bool(m.predict_path) and os.path.isfile(m.predict_path) and m.formats.get("predict") != "minidb"
            opts = dict(preset=preset, labels=labels, input_shapes=shapes, preset_hint="the Preset box",
                        shape_hint="the Inputs panel (Model tab)")
            chosen, note = backend, ""
            if backend == "auto":
                if key in choices:
                    chosen, note = choices[key]
                elif on_disk:
                    progress(0.03, "auto: timing the engines on this model…")
                    chosen, note = call_in_subprocess(image_job.choose_backend_from_files, m.predict_path,
                                                      m.init_path, preset, shapes, cancel=cancel,
                                                      progress=sub_progress(progress, 0.03, 0.3))
                else:
                    chosen, note = image_job.choose_backend(m, preset, shapes, progress=progress, cancel=cancel)
                choices[key] = (chosen, note)
            if chosen == "c2" or not on_disk:  # the executor runs here and shares its activations
                out = image_job.classify_job(m, paths, backend=chosen, progress=progress, cancel=cancel, **opts)
            else:
                out = call_in_subprocess(image_job.classify_files, m.predict_path, m.init_path, paths, backend=chosen,
                                         activations=False, cancel=cancel, progress=progress, **opts)
            out.auto_note = note
            return out

        job = jobs.Job(work, f"classify ({backend})", self)
        job.doc, job.backend_choice = doc, backend
        job.finished.connect(lambda r, j=job: self._mine(j) and self._done(r))
        job.failed.connect(lambda m, j=job: self._mine(j) and self._failed(m))
        job.cancelled.connect(lambda j=job: self._mine(j) and self._cancelled())
        job.progress.connect(lambda f, m, j=job: self._mine(j) and self._progress(f, m))
        job.done.connect(lambda j=job: self._run_done(j))
        self.job = job
        self.clear_results()
        self.status.setText(f"Classifying {len(paths)} image(s) with {backend}…")
        job.start()
        self._update_buttons()
        return job

    def _mine(self, job) -> bool:
        """A job's signals count only while it is this panel's run for the document shown."""
        return job is self.job and getattr(job, "doc", None) is self.doc

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _progress(self, fraction: float, message: str) -> None:
        if message:
            self.status.setText(message)
        self.progressed.emit(fraction, message)

    def _run_done(self, job) -> None:
        self._update_buttons()
        self.run_done.emit(job.state)

    def _done(self, outcome) -> None:
        results, acts, warnings = outcome.results, outcome.activations, outcome.warnings
        auto = getattr(self.job, "backend_choice", "") == "auto"
        for r in results:
            r["auto"] = auto
            r["auto_note"] = outcome.auto_note if auto else ""
        self.results, self.warnings = results, warnings
        self.show_results(results)
        msg = f"{len(results)} image(s) classified in {self.job.elapsed:.2f} s"
        if acts:
            msg += f"; {len(acts)} activations captured (select a blob to inspect)"
        if warnings:
            msg += "<br><span style='color:#d9480f'>" + "<br>".join(_e(w) for w in warnings) + "</span>"
        if auto:
            msg += f"<br><span style='color:#868e96'>auto chose {_e(outcome.backend)}: {_e(outcome.auto_note)}</span>"
        self.status.setText(msg)
        if acts:
            self.activations_ready.emit({"doc": self.doc, "activations": acts})
        self.results_ready.emit(results)

    def _failed(self, msg: str) -> None:
        self.clear_results()
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
        self.status.setText(self.IDLE_TEXT)
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
