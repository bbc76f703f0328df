"""Caffe2 Studio's desktop application (PySide6). Holds no model logic."""
