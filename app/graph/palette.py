"""Op box colours by schema category (Netron-like: layers blue, activations red...)."""

from __future__ import annotations

import zlib
from functools import lru_cache

from PySide6.QtGui import QColor

# Matched against the lower-cased category name, first hit wins.
_RULES = [
    (("conv", "layer", "fc", "fully", "matmul", "linear", "gemm"), "#3a6ea5"),
    (("activation", "relu", "nonlinear"), "#b03a2e"),
    (("pool",), "#2e7d5b"),
    (("norm", "batchnorm", "dropout"), "#5b4b8a"),
    (("concat", "split", "tensor", "shape", "transform", "reshape", "layout"), "#8a6d3b"),
    (("arith", "math", "elementwise", "binary", "reduction", "logic"), "#4d6b73"),
    (("softmax", "loss", "output"), "#8c3d6b"),
    (("quant", "int8"), "#6b5b2a"),
    (("control", "flow", "recurrent"), "#444b52"),
    (("detect", "roi", "box", "proposal"), "#7a4a1d"),
    (("data", "fill", "constant", "init", "io"), "#687078"),
]
_KIND = {"input": "#e7f5ff", "output": "#ebfbee", "weight": "#f8f9fa"}
_PALETTE = ["#3d5a80", "#7d4e57", "#4f6d3a", "#6a4c93", "#8c5e34", "#2f6f73"]


def text_color(fill: QColor) -> QColor:
    """Label colour on a box of `fill`: white on dark fills, near-black on light ones
    (every category colour keeps a WCAG contrast of at least 4.5, tested)."""
    return QColor("#ffffff") if fill.lightness() < 150 else QColor("#1b1f23")


def category_color(category: str, kind: str = "op") -> QColor:
    return QColor(_color_name(category, kind))


@lru_cache(maxsize=None)
def _color_name(category: str, kind: str) -> str:
    return _category_color(category, kind).name()


def _category_color(category: str, kind: str) -> QColor:
    if kind in _KIND:
        return QColor(_KIND[kind])
    c = (category or "").lower()
    if c in ("", "unknown", "other"):
        return QColor("#5f6b76")
    for keys, color in _RULES:
        if any(k in c for k in keys):
            return QColor(color)
    return QColor(_PALETTE[zlib.crc32(c.encode()) % len(_PALETTE)])
