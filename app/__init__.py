"""Caffe2 Studio's desktop application (PySide6). Holds no model logic."""

from .qt_compat import make_none_immortal

make_none_immortal()
