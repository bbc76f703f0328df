"""Convert → "Quantize to INT8…": post-training quantization as a background job.

The user picks the engine (OpenVINO via NNCF, or ONNX Runtime static QDQ), a
folder of calibration images and how many to use, and optionally a file to
save the INT8 model to. The work is `c2core.quantize.cache.cached_int8` (the
same quantize-once cache as `--backend openvino:int8 --calib DIR` on the
command line) run as a `jobs.Job` with progress and Cancel; when done the
dialog shows the core's report (sizes, agreement with FP32 on held-back
images, FP32 vs INT8 latency) and the main window's classify panel gains the
`openvino:int8` / `onnxruntime:int8` backend, which reuses the cached model.
No model logic here: only options, the job, and the report text.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar,
                               QPushButton, QSpinBox, QVBoxLayout)

from . import jobs, settings
from .convert_dialog import PathEdit
from .job_dialog import JobDialogMixin

ENGINES = [("openvino", "OpenVINO (NNCF post-training quantization)"),
           ("onnxruntime", "ONNX Runtime (static QDQ, per-channel weights)")]


def quantize_job(doc, engine: str, calib: str, count: int, output: str | None):
    """The job function: quantize (or reuse the cached INT8 model), copy it to `output` if asked."""

    def work(progress, cancel):
        from c2core.backends import ModelSource
        from c2core.quantize.cache import cached_int8, cached_report, copy_artifact

        source = ModelSource(model=doc.model, path=doc.path, batch=1, progress=progress, cancel=cancel)
        try:
            path = cached_int8(source, engine, calib, count, progress=progress, cancel=cancel)
        finally:
            source.close()
        saved = copy_artifact(path, output) if output else []
        return {"engine": engine, "path": path, "saved": saved, "report": cached_report(path) or {}}

    return work


class QuantizeDialog(JobDialogMixin, QDialog):
    job_finished = Signal(object)  # the result dict
    done = Signal(str)  # finished, failed or cancelled

    def __init__(self, parent, doc):
        super().__init__(parent)
        self.doc = doc
        self.job: jobs.Job | None = None
        self.result_data: dict | None = None
        self.setWindowTitle("Quantize to INT8")
        self.setMinimumWidth(640)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b style='font-size:12pt'>Quantize to INT8</b> "
                             f"<span style='color:#495057'>— {doc.model.name}</span>"))
        lay.addWidget(QLabel("<small>Post-training quantization: approximate by design. The report measures it "
                             "against FP32 on images held back from calibration.</small>"))
        form = QFormLayout()
        lay.addLayout(form)
        self.engine = QComboBox()
        for name, text in ENGINES:
            self.engine.addItem(text, name)
        self.calib = PathEdit(settings.get("quantize/calib", os.path.expanduser("~")), "dir")
        self.count = QSpinBox()
        self.count.setRange(1, 100000)
        self.count.setValue(int(settings.get("quantize/count", 300) or 300))
        self.count.setToolTip("Calibration images (the first N of the folder by name); the rest are held back")
        self.output = PathEdit("", "save", "INT8 model (*.xml *.onnx)")
        self.output.edit.setPlaceholderText("optional: also save the INT8 model here (.xml or .onnx)")
        form.addRow("Engine", self.engine)
        form.addRow("Calibration folder", self.calib)
        form.addRow("Images", self.count)
        form.addRow("Save to", self.output)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.message = QLabel()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMinimumHeight(180)
        self.result_view = self.report
        lay.addWidget(self.bar)
        lay.addWidget(self.message)
        lay.addWidget(self.report)
        row = QHBoxLayout()
        row.addStretch(1)
        self.run_btn = QPushButton("Quantize")
        self.run_btn.setDefault(True)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.close_btn = QPushButton("Close")
        for b in (self.run_btn, self.cancel_btn, self.close_btn):
            row.addWidget(b)
        lay.addLayout(row)
        self.run_btn.clicked.connect(self.start)
        self.cancel_btn.clicked.connect(self.cancel)
        self.close_btn.clicked.connect(self.close)

    def start(self) -> jobs.Job | None:
        if self.job is not None and self.job.is_running:
            return None
        engine, calib, count = self.engine.currentData(), self.calib.text(), self.count.value()
        settings.put("quantize/calib", calib)
        settings.put("quantize/count", count)
        self.report.clear()
        self.message.setText(f"Quantizing for {engine}…")
        return self._launch(quantize_job(self.doc, engine, calib, count, self.output.text() or None),
                            f"quantize int8 ({engine})")

    def _finished(self, data: dict) -> None:
        self.result_data = data
        self.bar.setValue(100)
        rep = data.get("report") or {}
        self.message.setText(f"✓ INT8 model for {data['engine']} ({self.job.elapsed:.1f} s)")
        lines = [rep.get("text", "(no report)"), "", f"cached model: {data['path']}"]
        lines += [f"saved: {p}" for p in data.get("saved", [])]
        lines.append(f"Classify with backend '{data['engine']}:int8' to use it.")
        self.report.setPlainText("\n".join(lines))
        offer_int8_backend(self.parent(), f"{data['engine']}:int8")
        self.job_finished.emit(data)

    def _enable_run(self) -> None:
        self.run_btn.setEnabled(True)


def offer_int8_backend(window, spec: str) -> None:
    """Add `spec` (e.g. 'openvino:int8') to the main window's classify backend list once."""
    panel = getattr(window, "classify_panel", None)
    combo = getattr(panel, "backend", None)
    if combo is not None and combo.findData(spec) < 0:
        combo.addItem(spec, spec)
