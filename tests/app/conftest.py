"""App test fixtures: an isolated settings file, a main window, and leak checks.

Every test fails if it leaves work running: jobs on the app's pool, live Job
objects, Python threads, Netron servers or visible top-level windows.
"""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["C2STUDIO_NO_BROWSER"] = "1"

import pytest  # noqa: E402

from app_models import write_tiny_cnn  # noqa: E402


# OpenVINO (import, convert_model) keeps concurrent.futures workers alive for the whole
# process; the app itself never uses concurrent.futures (all its work goes through app.jobs).
LIBRARY_THREAD_PREFIXES = ("ThreadPoolExecutor-",)


def _py_threads() -> set:
    return {t for t in threading.enumerate()
            if not isinstance(t, threading._DummyThread) and t.is_alive() and not t.name.startswith(LIBRARY_THREAD_PREFIXES)}


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("C2STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.delenv("C2STUDIO_DEFAULT_MODEL", raising=False)


@pytest.fixture(scope="session", autouse=True)
def backend_probe():
    """Ask the core about backends once: importing openvino starts a library-owned
    ThreadPoolExecutor thread that lives for the process, so it belongs to the baseline."""
    import c2core.runtime.predictor  # noqa: F401  (torch: imported once per session, not per test)
    from app import backend_status

    return backend_status.warm_up()  # as the app does at start-up: torch's import is not a test's stall


@pytest.fixture(autouse=True)
def no_leftovers(qapp, backend_probe):
    from app import jobs, netron_control

    before = _py_threads()
    yield
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    idle = jobs.pool().waitForDone(15000)
    for _ in range(5):
        QApplication.processEvents()
    problems = []
    if not idle:
        problems.append(f"{jobs.pool().activeThreadCount()} job(s) still running on the app pool")
    live = [j.name for j in jobs.live_jobs()]
    if live:
        problems.append(f"jobs never delivered their end signal: {live}")
    if netron_control.running():
        problems.append(f"Netron servers left running: {netron_control.running()}")
    extra = [t.name for t in _py_threads() - before]
    if extra:
        problems.append(f"threads left behind: {extra}")
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    if windows:
        problems.append(f"windows left open: {[type(w).__name__ for w in windows]}")
        for w in windows:
            w.close()
    if problems:
        jobs.shutdown()
        netron_control.stop_all()
        pytest.fail("test left work behind: " + "; ".join(problems))


@pytest.fixture
def window(qtbot):
    from app.main import make_app
    from app.window import MainWindow

    make_app()
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.close()


@pytest.fixture
def tiny_model_dir(tmp_path):
    d = tmp_path / "tiny_cnn"
    d.mkdir()
    return write_tiny_cnn(d)


@pytest.fixture(scope="session")
def chelsea_png(tmp_path_factory):
    """scikit-image's cat photo as a PNG file (a real image, 300×451 RGB)."""
    from PIL import Image
    from skimage import data

    p = tmp_path_factory.mktemp("images") / "chelsea.png"
    Image.fromarray(data.chelsea()).save(p)
    return str(p)


@pytest.fixture(scope="session")
def coffee_png(tmp_path_factory):
    from PIL import Image
    from skimage import data

    p = tmp_path_factory.mktemp("images2") / "coffee.png"
    Image.fromarray(data.coffee()).save(p)
    return str(p)


@pytest.fixture(scope="session")
def effnet_dir(tmp_path_factory):
    """The default model (EfficientNet-Lite0 from D's zoo build): the user's cached copy
    if `make run` built it, else built once per session into a temp folder (~20 s)."""
    import subprocess
    import sys

    cached = os.path.expanduser("~/.cache/caffe2-studio/models/efficientnet-lite0")
    if os.path.isfile(os.path.join(cached, "predict_net.pb")):
        return cached
    out = tmp_path_factory.mktemp("zoo") / "efficientnet-lite0"
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "zoo", "build", "efficientnet-lite0", "-o", str(out)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.skip(f"cannot build efficientnet-lite0: {r.stderr.strip()[-300:]}")
    return str(out)
