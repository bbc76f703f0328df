"""Help > About: versions of the app and of every engine found on this machine."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata

from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from . import backend_status
from .icons import icon

PACKAGES = [("c2core / Caffe2 Studio", "caffe2-studio"), ("PySide6", "PySide6-Essentials"), ("NumPy", "numpy"),
            ("protobuf", "protobuf"), ("PyTorch", "torch"), ("ONNX", "onnx"), ("ONNX Runtime", "onnxruntime"),
            ("OpenVINO", "openvino"), ("TensorRT", "tensorrt"), ("Netron", "netron"), ("pydot", "pydot"),
            ("Pillow", "pillow")]


def _pkg(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def graphviz_version() -> str:
    exe = shutil.which("dot")
    if not exe:
        return ""
    try:
        r = subprocess.run([exe, "-V"], capture_output=True, text=True, timeout=5)
        return (r.stderr or r.stdout).strip().replace("dot - graphviz version ", "")
    except (OSError, subprocess.TimeoutExpired):
        return ""


def versions() -> list[tuple[str, str]]:
    out = [("Python", platform.python_version()), ("Qt", qVersion())]
    for label, dist in PACKAGES:
        out.append((label, _pkg(dist) or "not installed"))
    out.append(("Graphviz dot", graphviz_version() or "not found"))
    return out


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("About Caffe2 Studio")
        self.setWindowIcon(icon("app"))
        lay = QVBoxLayout(self)
        rows = "".join(f"<tr><td style='color:#868e96'>{k}</td><td>{v}</td></tr>" for k, v in versions())
        avail = backend_status.cached() or {}
        brows = "".join(f"<tr><td style='color:#868e96'>{n}</td><td>{'✓ ' + (a.version or '') if a.ok else '✗ ' + a.reason}</td></tr>"
                        for n, a in avail.items())
        self.label = QLabel(
            "<h2>Caffe2 Studio</h2><p>See, run, convert and deploy Caffe2 models without Caffe2.</p>"
            f"<table cellspacing=4>{rows}</table>"
            + (f"<h4>Backends</h4><table cellspacing=4>{brows}</table>" if brows else ""))
        self.label.setTextFormat(Qt.RichText)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.label)
        bb = QDialogButtonBox(QDialogButtonBox.Ok)
        bb.accepted.connect(self.accept)
        lay.addWidget(bb)
