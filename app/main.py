"""`c2studio [PATH] [--screenshot OUT.png]`: the desktop app's entry point.

With PATH the model opens at start; without it, $C2STUDIO_DEFAULT_MODEL when
that exists, else the welcome page. `--screenshot` waits until the graph is
drawn (or the error is shown), saves the whole window and exits 0: the hook
tests and docs use.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

WINDOW_SIZE = (1400, 900)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="c2studio", description="Caffe2 Studio: view, run and convert Caffe2 models.")
    p.add_argument("path", nargs="?", help="model file, init+predict folder or minidb to open")
    p.add_argument("--screenshot", metavar="OUT.png", help="save a screenshot of the window once drawn, then exit")
    p.add_argument("--timeout", type=float, default=120.0, help="longest wait for --screenshot (seconds)")
    return p.parse_args(argv)


def make_app(argv=None):
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from .icons import icon, style_sheet

    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("Caffe2 Studio")
    app.setOrganizationName("caffe2-studio")
    app.setStyle("Fusion")
    app.setFont(QFont("DejaVu Sans", 9))
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon("app"))
    return app


def startup_path(path: str | None) -> str | None:
    if path:
        return path
    env = os.environ.get("C2STUDIO_DEFAULT_MODEL")
    if env and os.path.exists(env):
        return env
    return None


def wait_until_settled(app, window, timeout: float) -> None:
    """Spin the event loop until the open finished and the final layout is drawn."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        job = window.open_job
        opening = job is not None and job.is_running
        if not opening and (window.document is None or window.canvas.is_final):
            break
        time.sleep(0.01)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = make_app()
    from .window import MainWindow

    window = MainWindow()
    window.resize(*WINDOW_SIZE)
    window.show()
    path = startup_path(args.path)
    if path:
        window.open_path(path)
    if args.screenshot:
        wait_until_settled(app, window, args.timeout)
        out = os.path.abspath(args.screenshot)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        ok = window.grab().save(out)
        window.close()
        if not ok:
            print(f"error: {out}: could not write the screenshot", file=sys.stderr)
            return 1
        print(out)
        return 0
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
