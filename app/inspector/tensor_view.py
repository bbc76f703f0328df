"""`TensorView`: statistics, histogram, filter mosaic, paged value table, .npy export.

Used for weights (from the init net) and activations (from a classification
run with `fetch_all`). Large tensors are shown a page of rows at a time through
a `QAbstractTableModel`, so a 100-million-value FC weight costs one page.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QTableView, QVBoxLayout, QWidget)

from .tensor_stats import filter_grid, histogram, tensor_stats

ROWS_PER_PAGE = 500
MAX_COLS = 512


def matrix_view(a: np.ndarray) -> np.ndarray:
    """A 2-D view for the table: rows of the last axis (scalars and vectors as one column)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    return a.reshape(-1, a.shape[-1])


class TensorTableModel(QAbstractTableModel):
    """One page of a tensor's values; row headers give the flat row index."""

    def __init__(self, array: np.ndarray, parent=None):
        super().__init__(parent)
        self.m = matrix_view(array)
        self.page = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.m.shape[0] // ROWS_PER_PAGE))

    def set_page(self, page: int) -> None:
        self.beginResetModel()
        self.page = max(0, min(page, self.pages - 1))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        if parent.isValid():
            return 0
        start = self.page * ROWS_PER_PAGE
        return max(0, min(ROWS_PER_PAGE, self.m.shape[0] - start))

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else min(self.m.shape[1], MAX_COLS)

    def value(self, row: int, col: int):
        return self.m[self.page * ROWS_PER_PAGE + row, col]

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.DisplayRole:
            v = self.value(index.row(), index.column())
            if isinstance(v, (float, np.floating)):
                return f"{float(v):.6g}"
            if isinstance(v, bytes):
                return v[:40].decode("utf-8", "replace")
            return str(v)
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Vertical:
            return str(self.page * ROWS_PER_PAGE + section)
        return str(section)


class Histogram(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.counts = np.zeros(0)
        self.edges = np.zeros(1)
        self.setMinimumHeight(110)

    def set_data(self, counts, edges):
        self.counts, self.edges = np.asarray(counts), np.asarray(edges)
        self.setToolTip(f"{len(self.counts)} bins from {self.edges[0]:.4g} to {self.edges[-1]:.4g}" if len(self.counts) else "")
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        r = self.rect().adjusted(4, 4, -4, -18)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not len(self.counts) or self.counts.max() == 0:
            p.drawText(r, Qt.AlignCenter, "no values")
            return
        top = float(self.counts.max())
        bw = r.width() / len(self.counts)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor("#4c7bb4"))
        for i, c in enumerate(self.counts):
            h = r.height() * (c / top)
            p.drawRect(QRectF(r.left() + i * bw, r.bottom() - h, max(bw - 1, 1), h))
        p.setPen(QColor("#495057"))
        p.drawText(4, self.height() - 4, f"{self.edges[0]:.3g}")
        txt = f"{self.edges[-1]:.3g}"
        p.drawText(self.width() - 4 - p.fontMetrics().horizontalAdvance(txt), self.height() - 4, txt)


def rgb_pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return QPixmap.fromImage(img.copy())


class TensorView(QWidget):
    """All views of one array; `set_array(name, array, kind)`."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.name = ""
        self.array: np.ndarray | None = None
        self.stats = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.box = QGroupBox("Values")
        form = QFormLayout()
        self.stat_labels = {}
        for key in ("count", "min", "max", "mean", "std", "zeros", "nan", "inf"):
            lab = QLabel()
            lab.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.stat_labels[key] = lab
        row1 = QHBoxLayout()
        for key in ("min", "max", "mean", "std"):
            row1.addWidget(QLabel(f"<span style='color:#868e96'>{key}</span>"))
            row1.addWidget(self.stat_labels[key])
            row1.addSpacing(6)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        for key, title in (("count", "values"), ("zeros", "zeros"), ("nan", "NaN"), ("inf", "Inf")):
            row2.addWidget(QLabel(f"<span style='color:#868e96'>{title}</span>"))
            row2.addWidget(self.stat_labels[key])
            row2.addSpacing(6)
        row2.addStretch(1)
        form.addRow(row1)
        form.addRow(row2)
        self.hist = Histogram()
        form.addRow(self.hist)
        self.filters = QLabel()
        self.filters.setAlignment(Qt.AlignCenter)
        self.filters_title = QLabel("<b>Filters</b>")
        form.addRow(self.filters_title)
        form.addRow(self.filters)
        pager = QHBoxLayout()
        self.page = QSpinBox()
        self.page.setMinimum(1)
        self.page.valueChanged.connect(lambda v: self.table_model and self.table_model.set_page(v - 1))
        self.page_label = QLabel()
        self.export_btn = QPushButton("Export .npy…")
        self.export_btn.clicked.connect(self.choose_export)
        pager.addWidget(QLabel("Page"))
        pager.addWidget(self.page)
        pager.addWidget(self.page_label)
        pager.addStretch(1)
        pager.addWidget(self.export_btn)
        form.addRow(pager)
        self.table = QTableView()
        self.table.setMinimumHeight(160)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setDefaultSectionSize(80)
        self.table_model: TensorTableModel | None = None
        form.addRow(self.table)
        self.box.setLayout(form)
        lay.addWidget(self.box)

    def set_array(self, name: str, array, kind: str = "weight") -> None:
        a = np.asarray(array)
        self.name, self.array = name, a
        self.box.setTitle(f"{'Weight' if kind == 'weight' else 'Activation'} values  ⟨{'×'.join(map(str, a.shape)) or 'scalar'}⟩ {a.dtype}")
        s = self.stats = tensor_stats(a)
        for key in ("min", "max", "mean", "std"):
            self.stat_labels[key].setText(f"{getattr(s, key):.5g}")
        for key in ("count", "zeros", "nan", "inf"):
            self.stat_labels[key].setText(f"{getattr(s, key):,}")
        for key in ("nan", "inf"):
            self.stat_labels[key].setStyleSheet("color:#c92a2a; font-weight:bold" if getattr(s, key) else "")
        self.hist.set_data(*histogram(a))
        grid = filter_grid(a) if kind == "weight" else None
        self.filters_title.setVisible(grid is not None)
        self.filters.setVisible(grid is not None)
        if grid is not None:
            pix = rgb_pixmap(grid)
            if pix.width() > 380:
                pix = pix.scaledToWidth(380, Qt.FastTransformation)
            self.filters.setPixmap(pix)
            self.filters_title.setText(f"<b>Filters</b> (first {min(a.shape[0], 64)} of {a.shape[0]}, "
                                       f"{'RGB' if a.shape[1] == 3 else 'mean over input channels'})")
        self.table_model = TensorTableModel(a, self)
        self.table.setModel(self.table_model)
        self.page.blockSignals(True)
        self.page.setMaximum(self.table_model.pages)
        self.page.setValue(1)
        self.page.blockSignals(False)
        self.page_label.setText(f"of {self.table_model.pages}  ({ROWS_PER_PAGE} rows per page)")

    def export_npy(self, path: str) -> str:
        from c2core.io.save import atomic_path

        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, self.array)
        return path

    def choose_export(self):
        if self.array is None:
            return
        safe = self.name.replace("/", "_")
        path, _ = QFileDialog.getSaveFileName(self, "Export tensor", f"{safe}.npy", "NumPy array (*.npy)")
        if path:
            self.export_npy(path)
