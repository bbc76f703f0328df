"""The path above the graph when a sub-net is open: `model › op #12 If · then_net`.

Each step is a button; clicking one goes back to that net. Hidden at the top
level, where there is nowhere to go back to.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


class Breadcrumbs(QWidget):
    go = Signal(int)  # level to return to (0: the model's own net)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("breadcrumbs")
        self.setStyleSheet("#breadcrumbs { background:#f1f3f5; border-bottom:1px solid #dee2e6; }")
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(8, 3, 8, 3)
        self._lay.setSpacing(4)
        self.titles: list[str] = []
        self.hide()

    def set_path(self, titles: list[str]) -> None:
        self.titles = list(titles)
        while self._lay.count():
            w = self._lay.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for i, t in enumerate(self.titles):
            if i:
                self._lay.addWidget(QLabel("›"))
            if i < len(self.titles) - 1:
                b = QToolButton()
                b.setText(t)
                b.setAutoRaise(True)
                b.setToolTip("Back to this net")
                b.clicked.connect(lambda checked=False, k=i: self.go.emit(k))
                self._lay.addWidget(b)
            else:
                here = QLabel(f"<b>{t}</b>")
                self._lay.addWidget(here)
        self._lay.addStretch(1)
        self.setVisible(len(self.titles) > 1)
