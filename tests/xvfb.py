"""A private Xvfb X server for the tests that need a real window (the app's
screenshots, the bundled app's smoke test): the offscreen Qt plugin draws no
window decorations and runs no window manager paths, so those tests start one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time

import pytest


def free_display() -> int:
    """An X display number with neither a socket nor a lock file."""
    for n in range(90, 190):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            return n
    raise RuntimeError("no free X display number")


@contextlib.contextmanager
def xvfb_server(screen: str = "1920x1200x24", start_timeout: float = 15.0):
    """Start `Xvfb :N` and yield its DISPLAY (":N"); the test is skipped when
    Xvfb is not installed or does not come up. The server is stopped after."""
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.skip("Xvfb is not installed (apt-get install -y xvfb xauth fonts-dejavu-core)")
    n = free_display()
    proc = subprocess.Popen([exe, f":{n}", "-screen", "0", screen, "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + start_timeout
        while not os.path.exists(f"/tmp/.X11-unix/X{n}"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"Xvfb :{n} did not start")
            time.sleep(0.05)
        yield f":{n}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
