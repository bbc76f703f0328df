"""Helpers shared by the app tests."""

from __future__ import annotations


def open_and_wait(qtbot, window, path, final: bool = True, timeout: int = 30000):
    """Open through the window and wait until the graph is drawn (final layout if asked)."""
    with qtbot.waitSignal(window.document_opened, timeout=timeout):
        window.open_path(path)
    qtbot.waitUntil(lambda: window.canvas.is_final if final else window.canvas.is_drawn, timeout=timeout)
    return window.document
