"""The start page shown when no model is open: open buttons, recent files, a drop zone.

It tells a first-time user the three ways in (buttons, drop, recent list), offers
the example model when `make run` / `c2core zoo build` has cached it, and lists
the shortcuts that matter once a model is open.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from .icons import icon


EXAMPLE_MODEL = os.path.expanduser("~/.cache/caffe2-studio/models/efficientnet-lite0")
SHORTCUTS = [("Ctrl+O", "open"), ("Ctrl+F", "find an op or blob"), ("Ctrl+0", "fit"), ("Ctrl+L", "left to right"),
             ("Ctrl+K", "classify images"), ("Ctrl+E", "convert to ONNX")]


def recent_label(path: str) -> str:
    """What the recent list shows: the model's folder too when the file name says nothing
    (`densenet121/predict_net.pbtxt`, not five identical `predict_net.pbtxt`)."""
    p = path.rstrip("/")
    base = os.path.basename(p) or p
    parent = os.path.basename(os.path.dirname(p))
    generic = base.lower().startswith(("predict_net", "init_net", "model.", "model_init", "predict.", "init."))
    return f"{parent}/{base}" if generic and parent else base


class WelcomePage(QWidget):
    open_file = Signal()
    open_folder = Signal()
    open_recent = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("Welcome")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(60, 50, 60, 50)
        title = QLabel("Caffe2 Studio")
        title.setObjectName("WelcomeTitle")
        sub = QLabel("See, run, convert and deploy Caffe2 models — without Caffe2.")
        sub.setStyleSheet("color:#495057; font-size: 11pt;")
        outer.addWidget(title)
        outer.addWidget(sub)
        outer.addSpacing(18)
        row = QHBoxLayout()
        b1 = QPushButton(icon("open"), "  Open model file…")
        b2 = QPushButton(icon("open"), "  Open model folder…")
        for b in (b1, b2):
            b.setMinimumHeight(34)
            row.addWidget(b)
        row.addStretch(1)
        b1.clicked.connect(self.open_file)
        b2.clicked.connect(self.open_folder)
        self.example_btn = QPushButton(icon("app"), "  Open the example (EfficientNet-Lite0)")
        self.example_btn.setMinimumHeight(34)
        self.example_btn.setToolTip(EXAMPLE_MODEL)
        self.example_btn.clicked.connect(lambda: self.open_recent.emit(EXAMPLE_MODEL))
        self.example_btn.setVisible(os.path.isfile(os.path.join(EXAMPLE_MODEL, "predict_net.pb")))
        row.insertWidget(2, self.example_btn)
        outer.addLayout(row)
        outer.addSpacing(12)
        drop = QLabel("Drop a predict_net.pb / .pbtxt / .minidb, an init+predict pair, or a model folder here")
        drop.setObjectName("DropZone")
        drop.setAlignment(Qt.AlignCenter)
        drop.setMinimumHeight(110)
        outer.addWidget(drop)
        outer.addSpacing(12)
        outer.addWidget(QLabel("<b>Recent models</b>"))
        self.recent = QListWidget()
        self.recent.setMaximumHeight(220)
        self.recent.itemActivated.connect(lambda it: self.open_recent.emit(it.data(Qt.UserRole)))
        outer.addWidget(self.recent)
        outer.addSpacing(12)
        keys = "  ·  ".join(f"<b>{k}</b> {what}" for k, what in SHORTCUTS)
        self.shortcuts = QLabel(f"<span style='color:#495057'>{keys}</span>")
        self.shortcuts.setWordWrap(True)
        outer.addWidget(self.shortcuts)
        outer.addStretch(1)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for p in paths:
            it = QListWidgetItem(icon("open"), f"{recent_label(p)}    —    {p}")
            it.setData(Qt.UserRole, p)
            it.setToolTip(p)
            self.recent.addItem(it)
        if not paths:
            it = QListWidgetItem("(none yet: models you open are listed here)")
            it.setFlags(Qt.NoItemFlags)
            self.recent.addItem(it)


class Banner(QWidget):
    """A dismissible message strip above the graph (errors and warnings from the core)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setAttribute(Qt.WA_StyledBackground, True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 8, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.hide()

    def show_message(self, text: str, level: str = "error") -> None:
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.show()

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
