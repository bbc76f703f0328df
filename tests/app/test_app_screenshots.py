"""Screenshots of the real window under Xvfb: graph, inspector and classification panel.

Starts its own `Xvfb :N` when the binary exists (the Makefile installs it) and
runs `python -m app.screenshots` on the default model with a real photo. PNGs go
to the test's tmp dir, and also to $C2STUDIO_SCREENSHOT_DIR when set
(e.g. docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.xvfb import xvfb_server


@pytest.fixture
def xvfb_display():
    with xvfb_server("1920x1200x24") as display:
        yield display


def _image(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


WINDOW_SHOTS = ["densenet121.png", "error-banner.png", "inspector-weights.png", "main-window-op.png",
                "model-panel.png", "welcome.png", "inputs-panel.png", "classify-onnxruntime.png",
                "three-class-labels.png", "subnet-if.png"]
DIALOG_SHOTS = ["about.png", "convert-dialog.png", "convert-tensorrt.png"]


def test_screenshots_under_xvfb(xvfb_display, effnet_dir, chelsea_png, coffee_png, corpus_dir, tmp_path):
    from app_models import write_branching_net, write_tiny3

    out = tmp_path / "shots"
    broken = tmp_path / "broken.pb"
    broken.write_bytes(b"garbage\n")
    bare = tmp_path / "effnet-no-value-info"  # the real model, without its value_info.json
    shutil.copytree(effnet_dir, bare)
    (bare / "value_info.json").unlink(missing_ok=True)
    lights = tmp_path / "traffic-lights"
    lights.mkdir()
    write_tiny3(lights)
    control = tmp_path / "control"
    control.mkdir()
    env = dict(os.environ, DISPLAY=xvfb_display, C2STUDIO_SETTINGS=str(tmp_path / "s.ini"))
    env.pop("QT_QPA_PLATFORM", None)  # a real X server, not the offscreen plugin
    env.pop("WAYLAND_DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "app.screenshots", str(out), effnet_dir, chelsea_png, coffee_png,
                        "--large", str(corpus_dir / "densenet121" / "predict_net.pbtxt"), "--broken", str(broken),
                        "--no-value-info", str(bare), "--three-class", str(lights),
                        "--control", write_branching_net(control)],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    names = sorted(os.listdir(out))
    assert names == sorted(WINDOW_SHOTS + DIALOG_SHOTS)
    for name in names:
        img = _image(out / name)
        if name in WINDOW_SHOTS:
            assert img.shape[:2] == (1000, 1600), name
        assert img.std() > (10 if name == "welcome.png" else 20), f"{name} looks blank"
    # the welcome page's title (#2b4a6f, 22 pt bold) is drawn
    wel = _image(out / "welcome.png")
    assert (np.abs(wel.astype(int) - [0x2B, 0x4A, 0x6F]).sum(axis=2) < 12).sum() > 1000
    # the error banner's tint (#fff5f5) spans the top of the central area
    err = _image(out / "error-banner.png")
    assert (np.abs(err.astype(int) - [0xFF, 0xF5, 0xF5]).sum(axis=2) < 6).sum() > 20000
    # densenet121's initial view is readable: its boxes are drawn in colour, not as a hairline
    dn = _image(out / "densenet121.png")
    assert (np.abs(dn.astype(int) - [0x5B, 0x4B, 0x8A]).sum(axis=2) < 12).sum() > 5000  # SpatialBN boxes
    # the op boxes' category colour (Conv: #3a6ea5) is on screen: the graph was drawn
    main = _image(out / "main-window-op.png")
    assert (np.abs(main.astype(int) - [0x3A, 0x6E, 0xA5]).sum(axis=2) < 12).sum() > 2000
    dest = os.environ.get("C2STUDIO_SCREENSHOT_DIR")
    if dest:
        os.makedirs(dest, exist_ok=True)
        for name in names:
            shutil.copy(out / name, os.path.join(dest, name))
