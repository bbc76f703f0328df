"""The log dock: every `logging` record of the app and the core, as text.

A `logging.Handler` that is also a QObject re-emits records as a signal, so
records logged on worker threads are appended on the GUI thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

_COLORS = {logging.ERROR: "#c92a2a", logging.WARNING: "#d9480f", logging.INFO: "#343a40", logging.DEBUG: "#868e96"}


class _Bridge(QObject):
    record = Signal(int, str)


class QtLogHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.bridge = _Bridge()
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record):
        try:
            self.bridge.record.emit(record.levelno, self.format(record))
        except RuntimeError:  # the panel is gone (app closing)
            pass


class LogPanel(QPlainTextEdit):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(5000)
        self.setFont(QFont("DejaVu Sans Mono", 9))
        self.handler = QtLogHandler()
        self.handler.bridge.record.connect(self.append_record)
        for name in ("c2studio", "c2core"):
            lg = logging.getLogger(name)
            lg.addHandler(self.handler)
            if lg.level == logging.NOTSET or lg.level > logging.INFO:
                lg.setLevel(logging.INFO)

    def append_record(self, level: int, text: str) -> None:
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(_COLORS.get(level, "#343a40")))
        cur = self.textCursor()
        cur.movePosition(cur.MoveOperation.End)
        if not self.document().isEmpty():
            cur.insertBlock()
        cur.insertText(text, fmt)
        self.setTextCursor(cur)
        self.ensureCursorVisible()

    def detach(self) -> None:
        for name in ("c2studio", "c2core"):
            logging.getLogger(name).removeHandler(self.handler)
