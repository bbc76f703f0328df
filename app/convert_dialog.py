"""One dialog for every Export/Convert action: options, progress, Cancel, report.

The dialog collects options, starts the matching `convert_jobs` function as a
job, shows its progress, cancels it on Cancel, and prints the report (output
paths, verification numbers). Backends that cannot run here are shown with
the reason and the Run button disabled.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from . import backend_status, convert_jobs, jobs, settings
from .job_dialog import JobDialogMixin

def _h(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(html_text: str) -> str:
    """Rich text reduced to plain text (a tooltip)."""
    import re

    return re.sub(r"<[^>]+>", "", html_text.replace("<br>", "\n")).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


TITLES = {
    "caffe2": "Save as Caffe2", "graph": "Export Graph", "onnx": "Convert to ONNX",
    "openvino": "Convert to OpenVINO IR", "tensorrt": "Build TensorRT Plan", "import_onnx": "Import ONNX",
}
BACKEND_OF = {"onnx": "onnxruntime", "openvino": "openvino", "tensorrt": "tensorrt"}
SUPPORT_KEY = {"onnx": "onnx export", "openvino": "openvino", "tensorrt": "tensorrt"}  # backend_status keys
FOLDER_OUTPUT = ("caffe2", "import_onnx")
TEXT_SIZE_WARN = 4 << 20  # weights above this make a slow, large text-format save (EfficientNet-Lite0: 56 s)


class PathEdit(QWidget):
    changed = Signal(str)

    def __init__(self, path: str, mode: str, filter_: str = "", parent=None):
        super().__init__(parent)
        self.mode, self.filter = mode, filter_
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(path)
        self.edit.textChanged.connect(self.changed)
        btn = QPushButton("Browse…")
        btn.clicked.connect(self.browse)
        lay.addWidget(self.edit, 1)
        lay.addWidget(btn)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, t: str) -> None:
        self.edit.setText(t)

    def browse(self):
        if self.mode == "dir":
            p = QFileDialog.getExistingDirectory(self, "Choose folder", self.text())
        elif self.mode == "open":
            p, _ = QFileDialog.getOpenFileName(self, "Choose file", self.text(), self.filter)
        else:
            p, _ = QFileDialog.getSaveFileName(self, "Save as", self.text(), self.filter)
        if p:
            self.edit.setText(p)


class ConvertDialog(JobDialogMixin, QDialog):
    open_result = Signal(str)
    job_finished = Signal(object)  # Report
    progressed = Signal(float, str)  # re-emitted on the GUI thread, after the bar moved
    done = Signal(str)  # job state: finished, failed or cancelled

    def __init__(self, parent, kind: str, doc=None, fmt: str = "svg"):
        super().__init__(parent)
        self.kind, self.doc, self.fmt = kind, doc, fmt
        self.job: jobs.Job | None = None
        self.report: convert_jobs.Report | None = None
        self.setWindowTitle(TITLES[kind] + (f" ({fmt.upper()})" if kind == "graph" else ""))
        self.setMinimumWidth(620)
        lay = QVBoxLayout(self)
        what = f" <span style='color:#495057;font-weight:normal'>— {doc.model.name}</span>" if doc is not None else ""
        self.heading = QLabel(f"<b style='font-size:12pt'>{self.windowTitle()}</b>{what}")
        lay.addWidget(self.heading)
        form = QFormLayout()
        lay.addLayout(form)
        base = settings.get("convert/dir", os.path.expanduser("~"))
        stem = doc.model.name.replace("/", "_") if doc is not None else "model"
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color:#c92a2a")
        self.reason.hide()
        lay.insertWidget(1, self.reason)
        if kind == "caffe2":
            self.output = PathEdit(os.path.join(base, f"{stem}-caffe2"), "dir")
            self.text_fmt = QCheckBox("Text format (.pbtxt)")
            form.addRow("Output folder", self.output)
            form.addRow("", self.text_fmt)
        elif kind == "graph":
            self.output = PathEdit(os.path.join(base, f"{stem}.{fmt}"), "save", f"{fmt.upper()} (*.{fmt})")
            self.rankdir = QComboBox()
            self.rankdir.addItems(["TB", "LR"])
            self.minimal = QCheckBox("Minimal (ops only, no blob nodes)")
            form.addRow("Output file", self.output)
            form.addRow("Direction", self.rankdir)
            form.addRow("", self.minimal)
        elif kind == "onnx":
            self.output = PathEdit(os.path.join(base, f"{stem}.onnx"), "save", "ONNX (*.onnx)")
            self.opset = QSpinBox()
            self.opset.setRange(13, 21)
            self.opset.setValue(17)
            self.dynamic = QCheckBox("Dynamic batch dimension")
            self.verify = QCheckBox("Verify with ONNX Runtime against the executor")
            self.verify.setChecked(True)
            self.opset.setToolTip("ONNX opset of the exported graph. TensorRT takes 9-25, "
                                  "OpenVINO and ONNX Runtime read 13-21; 17 suits all three.")
            form.addRow("Output file", self.output)
            form.addRow("Opset", self.opset)
            form.addRow("", self.dynamic)
            form.addRow("", self.verify)
        elif kind == "openvino":
            self.output = PathEdit(os.path.join(base, f"{stem}.xml"), "save", "OpenVINO IR (*.xml)")
            self.precision = QComboBox()
            self.precision.addItems(["fp32", "fp16"])
            form.addRow("Output .xml", self.output)
            form.addRow("Weight precision", self.precision)
            form.addRow("", QLabel("<small>FP16 halves the .bin and moves logits by ~1e-1 on ImageNet models.</small>"))
        elif kind == "tensorrt":
            self.output = PathEdit(os.path.join(base, f"{stem}.plan"), "save", "TensorRT plan (*.plan)")
            self.precision = QComboBox()
            self.precision.addItems(["fp32", "fp16", "int8"])
            self.precision.setCurrentText("fp16")
            self.calib = PathEdit("", "dir")
            form.addRow("Output plan", self.output)
            form.addRow("Precision", self.precision)
            form.addRow("Calibration images (int8)", self.calib)
            self.calib.setEnabled(False)  # only INT8 calibrates
            self.precision.currentTextChanged.connect(lambda p: self.calib.setEnabled(p == "int8"))
        elif kind == "import_onnx":
            self.source = PathEdit("", "open", "ONNX (*.onnx)")
            self.output = PathEdit(os.path.join(base, "imported-caffe2"), "dir")
            self.text_fmt = QCheckBox("Text format (.pbtxt)")
            self.open_after = QCheckBox("Open the imported model")
            self.open_after.setChecked(True)
            form.addRow("ONNX file", self.source)
            form.addRow("Output folder", self.output)
            form.addRow("", self.text_fmt)
            form.addRow("", self.open_after)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.message = QLabel("")
        self.message.setStyleSheet("color:#495057")
        self.result = QPlainTextEdit()
        self.result_view = self.result
        self.result.setReadOnly(True)
        self.result.setFont(QFont("DejaVu Sans Mono", 9))
        self.result.setMinimumHeight(140)
        self.result.setPlaceholderText("Press Run: output files, checks and verification numbers appear here.")
        self.bar.hide()  # shown from Run on: an idle 0% bar reads as stuck
        lay.addWidget(self.bar)
        lay.addWidget(self.message)
        lay.addWidget(self.result)
        row = QHBoxLayout()
        row.addStretch(1)
        self.run_btn = QPushButton("Run")
        self.run_btn.setDefault(True)
        self.cancel_btn = QPushButton("Cancel")
        self.close_btn = QPushButton("Close")
        self.netron_btn = QPushButton("View in Netron")
        self.netron_btn.setToolTip("Serve the converted model with Netron and open the browser")
        self.netron_btn.hide()
        self.netron_btn.clicked.connect(self.view_in_netron)
        row.insertWidget(0, self.netron_btn)
        row.addWidget(self.run_btn)
        row.addWidget(self.cancel_btn)
        row.addWidget(self.close_btn)
        lay.addLayout(row)
        self.run_btn.clicked.connect(self.start)
        self.cancel_btn.clicked.connect(self.cancel)
        self.close_btn.clicked.connect(self.close)
        self.cancel_btn.setEnabled(False)
        self.unsupported: list | None = None  # op types the target cannot take (None: not known yet)
        self._blockers: dict = {}  # why Run is disabled: {"backend" | "ops" | "output": reason}
        self.output.changed.connect(self._check_output)
        self._check_output()
        if kind in ("caffe2", "import_onnx"):
            self.text_fmt.toggled.connect(self._text_size_warning)
        self._check_backend()
        self._check_ops()

    # ----- what blocks Run -----------------------------------------------------------
    def _block(self, key: str, reason: str | None) -> None:
        """Record (or clear) one reason Run cannot start; the reasons are shown above the form."""
        if reason:
            self._blockers[key] = reason
        else:
            self._blockers.pop(key, None)
        busy = self.job is not None and self.job.is_running
        self.run_btn.setEnabled(not self._blockers and not busy)
        text = "<br>".join(self._blockers[k] for k in ("backend", "ops", "output") if k in self._blockers)
        self.reason.setText(text)
        self.reason.setVisible(bool(text))
        self.run_btn.setToolTip(_plain(text))

    def _check_output(self, _text=None) -> None:
        from c2core.io.output_check import output_problem

        problem = output_problem(self.output.text(), folder=self.kind in FOLDER_OUTPUT)
        self._block("output", f"<b>Output:</b> {_h(problem)}" if problem else None)

    def _check_ops(self) -> None:
        """Op types the target cannot take, known before Run (from the Model panel's check)."""
        key = SUPPORT_KEY.get(self.kind)
        if key is None or self.doc is None:
            return
        panel = getattr(self.parent(), "model_panel", None)
        bad = panel.unsupported(key) if panel is not None and panel.doc is self.doc else None
        if bad is None:
            doc = self.doc
            j = jobs.Job(lambda p, c: backend_status.unsupported_by_backend(doc.model), "supported ops", self)
            j.finished.connect(lambda sup, d=doc: d is self.doc and self._apply_ops(list(sup.get(key) or [])))
            j.start()
            self._ops_job = j
        else:
            self._apply_ops(bad)

    def _apply_ops(self, bad: list) -> None:
        self.unsupported = bad
        if bad:
            target = TITLES[self.kind].replace("Convert to ", "").replace("Build ", "")
            self._block("ops", f"<b>{len(bad)} op type(s) cannot be converted to {_h(target)}:</b> {_h(', '.join(bad))}"
                               " (Run is disabled; the Model tab lists them too)")
        else:
            self._block("ops", None)

    def _text_size_warning(self, on: bool) -> None:
        from c2core.sizes import human_bytes

        m = self.doc.model if self.doc is not None else None
        size = 0
        if m is not None and not m.structure_only:
            try:
                size = m.weights_bytes
            except Exception:  # sizes are advice here; the save itself reports real errors
                size = 0
        if on and size > TEXT_SIZE_WARN:
            self.message.setText(f"⚠ Text format writes every weight as decimal text: {human_bytes(size)} of weights "
                                 f"become several times that and take a while. Binary is much faster.")
            self.message.setStyleSheet("color:#d9480f")
        else:
            self.message.setText("")
            self.message.setStyleSheet("color:#495057")

    # ----- availability -------------------------------------------------------------
    def _check_backend(self) -> None:
        name = BACKEND_OF.get(self.kind)
        if name is None:
            return
        avail = backend_status.cached()
        if avail is None:
            j = jobs.Job(lambda p, c: backend_status.availability(), "backend availability", self)
            j.finished.connect(lambda a: self._apply_availability(a))
            j.start()
        else:
            self._apply_availability(avail)

    def _apply_availability(self, avail: dict) -> None:
        name = BACKEND_OF.get(self.kind)
        av = avail.get(name)
        if av is not None and not av.ok and self.kind != "onnx":
            self._block("backend", f"<b>{name} is unavailable here:</b> {_h(av.reason)}")
        elif av is not None and not av.ok and self.kind == "onnx":
            self.verify.setChecked(False)
            self.verify.setEnabled(False)
            self.verify.setToolTip(f"onnxruntime unavailable: {av.reason}")

    @property
    def available(self) -> bool:
        return self.run_btn.isEnabled() or (self.job is not None and self.job.is_running)

    # ----- running --------------------------------------------------------------------
    def _make_fn(self):
        m = self.doc.model if self.doc is not None else None
        out = self.output.text()
        if self.kind == "caffe2":
            return convert_jobs.make_save_caffe2(m, out, self.text_fmt.isChecked())
        if self.kind == "graph":
            return convert_jobs.make_export_graph(m, out, self.fmt, self.rankdir.currentText(), self.minimal.isChecked())
        shapes = dict(self.doc.input_overrides) if self.doc is not None else {}  # the Inputs panel's
        if self.kind == "onnx":
            return convert_jobs.make_onnx(m, out, self.opset.value(), self.dynamic.isChecked(), self.verify.isChecked(),
                                          input_shapes=shapes)
        if self.kind == "openvino":
            return convert_jobs.make_openvino(m, out, self.precision.currentText(), input_shapes=shapes)
        if self.kind == "tensorrt":
            return convert_jobs.make_tensorrt(m, out, self.precision.currentText(), self.calib.text() or None,
                                              input_shapes=shapes)
        return convert_jobs.make_import_onnx(self.source.text(), out, self.text_fmt.isChecked())

    def start(self) -> jobs.Job | None:
        if self.job is not None and self.job.is_running:
            return self.job
        self._check_output()
        if not self.run_btn.isEnabled():
            return None
        self.result.clear()
        self.report = None
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.message.setText("Starting…")
        self.bar.show()
        return self._launch(self._make_fn(), self.windowTitle())

    def _progressed(self, fraction: float, message: str) -> None:
        self.progressed.emit(fraction, message)

    def _finished(self, report) -> None:
        self.report = report
        out = self.output.text()
        if report.ok and out:  # only a folder that worked becomes the next default
            folder = out if self.kind in FOLDER_OUTPUT else os.path.dirname(os.path.abspath(out))
            settings.put("convert/dir", os.path.dirname(os.path.abspath(folder)) if self.kind in FOLDER_OUTPUT
                         else folder)
        self.bar.setRange(0, 100)
        self.bar.setValue(100)
        self.message.setText(("✓ " if report.ok else "✗ ") + report.title + f" ({self.job.elapsed:.1f} s)")
        self.result.setPlainText(report.text())
        self.netron_btn.setVisible(self.kind in ("onnx", "openvino") and bool(report.outputs))
        self.job_finished.emit(report)
        if self.kind == "import_onnx" and report.open_path and self.open_after.isChecked():
            self.open_result.emit(report.open_path)

    def view_in_netron(self):
        """Open the converted file (ONNX or IR) in Netron through the main window."""
        if self.report is not None and self.report.outputs and hasattr(self.parent(), "open_in_netron"):
            return self.parent().open_in_netron(self.report.outputs[0])
        return None

    def _enable_run(self) -> None:
        self.run_btn.setEnabled(not self._blockers)

    def detach(self, reason: str) -> None:
        """The document this dialog converts is no longer shown: cancel its run, drop
        its result and close (a conversion never reports under another model)."""
        if self.job is not None:
            for sig in (self.job.finished, self.job.failed, self.job.cancelled, self.job.progress):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
            self.job.cancel()
        self.doc = None
        self.report = None
        self.result.setPlainText(f"Cancelled: {reason}.")
        self.close()
