"""The Inputs table of the Model tab: each data input's name, shape and dtype, editable.

Rows come from the core (`c2core.input_rows`): a shape the user set here,
value_info.json, a real init-net placeholder, or the preprocessing crop for a
single image input (batch and channels assumed, marked with *), else
"unknown". Editing a shape stores it on the document (every job reads
`doc.input_overrides`), remembers it for this model's content (QSettings,
keyed by the core's net fingerprint), and on request writes value_info.json
beside the model through `c2core.io.sidecar_files` (atomic).
"""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from . import settings

SOURCE_TEXT = {"set": "set here", "value_info.json": "value_info.json", "declared": "declared by the model",
               "preprocessing": "preprocessing crop (* assumed)", "inferred": "first op (* assumed)",
               "unknown": "unknown: double-click the shape to set it"}


def format_dims(shape, assumed=()) -> str:
    if shape is None:
        return "unknown"
    return "×".join(f"{d}*" if k < len(assumed) and assumed[k] else str(d) for k, d in enumerate(shape))


def remembered(fingerprint: str) -> dict:
    raw = settings.get(f"models/{fingerprint}/inputs", "")
    try:
        data = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: tuple(int(d) for d in v) for k, v in data.items() if isinstance(v, list) and v}


def remember(fingerprint: str, overrides: dict) -> None:
    settings.put(f"models/{fingerprint}/inputs", json.dumps({k: list(v) for k, v in overrides.items()}))


class InputsPanel(QWidget):
    changed = Signal(dict)  # the user's shapes {name: tuple} after an edit or reset
    saved = Signal(str)  # path of the value_info.json written

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.crop: int | None = None
        self.rows = []
        self.warning = None
        self._filling = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 2)
        head = QLabel("<b>Inputs</b> <span style='color:#868e96'>(double-click a shape to set it)</span>")
        lay.addWidget(head)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["input", "shape", "dtype", "from"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
                                   | QAbstractItemView.AnyKeyPressed)
        self.table.itemChanged.connect(self._edited)
        lay.addWidget(self.table)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#495057")
        lay.addWidget(self.message)
        row = QHBoxLayout()
        self.reset_btn = QPushButton("Reset")
        self.reset_btn.setToolTip("Forget the shapes set here for this model")
        self.save_btn = QPushButton("Save to value_info.json")
        self.save_btn.setToolTip("Write these input shapes beside the model, for the CLI and later opens")
        row.addWidget(self.reset_btn)
        row.addWidget(self.save_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.reset_btn.clicked.connect(self.reset)
        self.save_btn.clicked.connect(self.save_value_info)
        self._update_buttons()

    # ----- document -------------------------------------------------------------------
    def set_document(self, doc, crop: int | None = None) -> None:
        """Show `doc`'s inputs; the window follows with `set_crop` once the classify panel
        knows the model's preset, so the rows are resolved once per open."""
        self.doc = doc
        self.message.setText("")
        pre = getattr(doc, "input_rows", None)
        if pre is not None:  # resolved on the open job's worker: nothing to compute here
            self.crop = pre[0]
            self._show(list(pre[1]), pre[2])
        else:
            self.crop = crop
            self.rows, self.warning = [], None
            self.table.setRowCount(0)

    def set_crop(self, crop: int | None) -> None:
        """The preprocessing crop size (what an undeclared image input is assumed to take)."""
        if crop == self.crop and self.rows:
            return
        self.crop = crop
        self.refresh()

    def refresh(self) -> None:
        from .document import resolve_rows

        rows, warning = resolve_rows(self.doc, self.crop) if self.doc is not None else ([], None)
        self._show(rows, warning)

    def _show(self, rows, warning) -> None:
        self.rows, self.warning = rows, warning
        self._filling = True
        try:
            self.table.setRowCount(len(self.rows))
            for r, row in enumerate(self.rows):
                name = QTableWidgetItem(row.name)
                name.setFlags(name.flags() & ~Qt.ItemIsEditable)
                shape = QTableWidgetItem(format_dims(row.shape, row.assumed))
                shape.setToolTip("Type e.g. 1,3,224,224 (empty: forget the shape set here). "
                                 + ("* marks an assumed size." if any(row.assumed) else ""))
                if row.shape is None or any(row.assumed):
                    f = QFont(shape.font())
                    f.setItalic(True)
                    shape.setFont(f)
                    shape.setForeground(QColor("#e8590c" if row.shape is None else "#868e96"))
                dtype = QTableWidgetItem(row.dtype + ("*" if row.dtype_assumed else ""))
                src = QTableWidgetItem(SOURCE_TEXT.get(row.source, row.source))
                for it in (dtype, src):
                    it.setFlags(it.flags() & ~Qt.ItemIsEditable)
                    it.setForeground(QColor("#495057"))
                for c, it in enumerate((name, shape, dtype, src)):
                    self.table.setItem(r, c, it)
            self.table.resizeColumnsToContents()
            h = self.table.horizontalHeader().height() + sum(self.table.rowHeight(i) for i in range(len(self.rows)))
            self.table.setFixedHeight(min(200, h + 6))
        finally:
            self._filling = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.doc is not None
        self.reset_btn.setEnabled(has and bool(self.doc.input_overrides))
        self.save_btn.setEnabled(has and bool(self.doc.input_overrides) and bool(self.doc.model.predict_path))

    # ----- editing --------------------------------------------------------------------
    def set_shape(self, name: str, text: str) -> None:
        """Set one input's shape from text, as typing it in the table does (tests, screenshots)."""
        for r, row in enumerate(self.rows):
            if row.name == name:
                self.table.item(r, 1).setText(text)
                return
        raise KeyError(name)

    def _edited(self, item) -> None:
        if self._filling or self.doc is None or item.column() != 1:
            return
        from c2core.input_rows import parse_shape

        name = self.rows[item.row()].name
        try:
            shape = parse_shape(item.text())
        except ValueError as e:
            self.message.setText(f"<span style='color:#c92a2a'>{html.escape(str(e))}</span>")
            self.refresh()
            return
        overrides = dict(self.doc.input_overrides)
        if shape is None:
            overrides.pop(name, None)
        else:
            overrides[name] = shape
        from c2core.errors import C2Error
        from c2core.input_rows import input_rows

        try:  # the resolver refuses a shape its first op cannot take (rank, channels)
            input_rows(self.doc.model, overrides, self.crop)
        except C2Error as e:
            self.message.setText(f"<span style='color:#c92a2a'>{html.escape(e.reason if hasattr(e, 'reason') else str(e))}</span>")
            self.refresh()
            return
        self._apply(overrides, f"{name}: {format_dims(shape)}" if shape else f"{name}: shape set here forgotten")

    def reset(self) -> None:
        if self.doc is not None:
            self._apply({}, "shapes set here forgotten")

    def _apply(self, overrides: dict, note: str) -> None:
        self.doc.input_overrides = overrides
        remember(self.doc.fingerprint, overrides)
        self.message.setText(html.escape(note) + " — used by Classify and Convert")
        self.refresh()
        self.changed.emit(dict(overrides))

    def save_value_info(self) -> str | None:
        """Write the shapes set here into value_info.json beside the model (atomically)."""
        from c2core.errors import C2Error
        from c2core.io.sidecar_files import model_folder, save_value_info

        if self.doc is None or not self.doc.input_overrides:
            return None
        try:
            path = save_value_info(model_folder(self.doc.model), self.doc.input_overrides)
        except C2Error as e:
            self.message.setText(f"<span style='color:#c92a2a'>{html.escape(str(e))}</span>")
            return None
        self.message.setText(f"saved {html.escape(path)}")
        self.saved.emit(path)
        return path
