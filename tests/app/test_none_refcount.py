"""PySide6 6.12.0 returned None from void methods without taking a reference; on
Python 3.11 each call then lowered None's refcount until the interpreter aborted
("none_dealloc"). pyproject excludes that version, so the app no longer patches
None's refcount through ctypes at import; this test fails on any installed
PySide6 that has the bug again, before a user's session would crash."""

import sys

from PySide6.QtWidgets import QGraphicsRectItem


def test_void_methods_keep_nones_refcount(qapp):
    item = QGraphicsRectItem(0, 0, 10, 10)
    before = sys.getrefcount(None)
    for i in range(20000):
        item.setPos(i % 7, 0)  # a void method: returns None
    after = sys.getrefcount(None)
    # Other threads may hold or drop a few references meanwhile; the bug drops 20,000.
    assert after > before - 1000, f"None's refcount fell by {before - after} over 20,000 void calls"
