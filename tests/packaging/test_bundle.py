"""The PyInstaller one-folder bundle builds, starts as a real window under Xvfb,
draws a model and saves a screenshot (a smoke test of the shipped app).

Slow (about 2-3 minutes on 2 cores): it bundles torch, Qt and the engines.
"""

import os
import pathlib
import subprocess
import sys

import pytest

from tests.xvfb import xvfb_server

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def xvfb():
    with xvfb_server("1600x1000x24") as display:
        yield display


def test_bundle_builds_and_takes_a_screenshot(tmp_path, xvfb):
    from c2core.builder import NetBuilder, model_from
    from c2core.io.save import save_model
    import numpy as np

    b = NetBuilder("bundle_smoke").inputs("data", "w", "b").outputs("prob")
    b.op("Conv", ["data", "w", "b"], "conv", kernel=3, pad=1)
    b.op("Relu", "conv", "conv")
    b.op("AveragePool", "conv", "pool", global_pooling=1)
    b.op("Softmax", "pool", "prob")
    rng = np.random.default_rng(0)
    m = model_from(b.net, {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "b": np.zeros(4, np.float32)})
    save_model(m, str(tmp_path / "model"))

    r = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
                        "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build"),
                        str(ROOT / "packaging" / "pyinstaller" / "c2studio.spec")],
                       capture_output=True, text=True, timeout=1500, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-4000:]
    exe = tmp_path / "dist" / "c2studio" / "c2studio"
    assert exe.is_file() and os.access(exe, os.X_OK)

    shot = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
    env["DISPLAY"] = xvfb
    r = subprocess.run([str(exe), str(tmp_path / "model" / "predict_net.pb"), "--screenshot", str(shot)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    from PIL import Image

    im = Image.open(shot)
    assert im.size[0] >= 1400 and im.size[1] >= 900
    # A real window draws something: many distinct colours, not a blank frame.
    colours = im.convert("RGB").resize((200, 130)).getcolors(200 * 130)
    assert colours is not None and len(colours) > 20
