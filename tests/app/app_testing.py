"""Helpers shared by the app tests."""

from __future__ import annotations


def open_and_wait(qtbot, window, path, final: bool = True, timeout: int = 30000):
    """Open through the window and wait until the graph is drawn (final layout if asked)."""
    with qtbot.waitSignal(window.document_opened, timeout=timeout):
        window.open_path(path)
    qtbot.waitUntil(lambda: window.canvas.is_final if final else window.canvas.is_drawn, timeout=timeout)
    return window.document


def run_convert(qtbot, window, kind, output, configure=None, timeout: int = 120000, **kw):
    """Open the convert dialog `kind` (kw go to window.convert), aim it at `output`,
    let `configure(dlg)` set its options, Run it and wait for the job to end.
    Returns (dialog, job, [(fraction, message), ...] progress reports)."""
    dlg = window.convert(kind, **kw)
    qtbot.addWidget(dlg)
    dlg.output.setText(str(output))
    if configure is not None:
        configure(dlg)
    progress = []
    dlg.progressed.connect(lambda f, m: progress.append((f, m)))
    with qtbot.waitSignal(dlg.done, timeout=timeout):
        job = dlg.start()
        assert job is not None, dlg.reason.text()
    return dlg, job, progress
