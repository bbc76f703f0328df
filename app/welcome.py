"""The start page shown when no model is open: open buttons, recent files, a drop zone."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from .icons import icon


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
        outer.addStretch(1)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for p in paths:
            it = QListWidgetItem(icon("open"), f"{os.path.basename(p.rstrip('/')) or p}    —    {p}")
            it.setData(Qt.UserRole, p)
            self.recent.addItem(it)
        if not paths:
            it = QListWidgetItem("(none yet)")
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
