"""Caffe2 -> ONNX export: one module per op family, a registry, and the net driver.

Imports nothing heavy until used: `export_onnx` lives in `net.py` and imports
onnx when called.
"""

from __future__ import annotations


def export_onnx(model, path=None, **kw):
    from .net import export_onnx as _export

    return _export(model, path, **kw)
