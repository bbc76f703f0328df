"""Convert → Quantize to INT8…: a background job with progress, Cancel and the core's
report; afterwards the classify panel offers the :int8 backend, which runs the cached
INT8 model (real ONNX Runtime and OpenVINO, no mocks)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from app_testing import open_and_wait


@pytest.fixture
def calib_dir(tmp_path, chelsea_png):
    from PIL import Image

    img = np.asarray(Image.open(chelsea_png).convert("RGB"))
    d = tmp_path / "calib"
    d.mkdir()
    h, w = img.shape[:2]
    for i in range(6):
        y, x = (i * 17) % (h // 3), (i * 29) % (w // 3)
        crop = img[y:y + 2 * h // 3, x:x + 2 * w // 3]
        Image.fromarray(np.ascontiguousarray(crop[:, ::-1] if i % 2 else crop)).save(d / f"c{i}.png")
    return str(d)


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("C2CORE_CACHE_DIR", str(tmp_path / "cache"))


def _dialog(qtbot, window, engine, calib, count, output=""):
    dlg = window.quantize_int8()
    qtbot.addWidget(dlg)
    dlg.engine.setCurrentIndex(dlg.engine.findData(engine))
    dlg.calib.setText(calib)
    dlg.count.setValue(count)
    dlg.output.setText(output)
    return dlg


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_quantize_job_reports_and_offers_the_int8_backend(qtbot, window, tiny_model_dir, calib_dir, tmp_path,
                                                          chelsea_png, engine):
    open_and_wait(qtbot, window, tiny_model_dir)
    assert window.act_quantize.isEnabled()
    out = tmp_path / "out" / ("tiny-int8.onnx" if engine == "onnxruntime" else "tiny-int8.xml")
    dlg = _dialog(qtbot, window, engine, calib_dir, 4, str(out))
    seen = []
    with qtbot.waitSignal(dlg.done, timeout=180000):
        job = dlg.start()
        job.progress.connect(lambda f, m: seen.append(f))
    assert job.state == "finished", dlg.report.toPlainText()
    text = dlg.report.toPlainText()
    assert "approximate by design" in text and "top-1" in text and "held-back   2 image(s)" in text
    assert "calibration 4 image(s)" in text and "latency" in text
    assert out.exists() and (out.parent / "model.json").exists()
    assert dlg.bar.value() == 100 and any(0 < f < 1 for f in seen)
    # the classify panel now offers the int8 backend and runs the cached model
    panel = window.classify_panel
    spec = f"{engine}:int8"
    i = panel.backend.findData(spec)
    assert i >= 0
    panel.backend.setCurrentIndex(i)
    panel.images = [chelsea_png]
    job = panel.run()
    assert job is not None
    with qtbot.waitSignal(job.done, timeout=120000):
        pass
    assert job.state == "finished", job.error
    results = job.result.results  # the panel's job returns a c2core ClassifyOutcome
    assert results[0]["backend"] == spec and len(results[0]["top"]) == 5


def test_quantize_cancel_leaves_nothing(qtbot, window, tiny_model_dir, calib_dir, tmp_path):
    open_and_wait(qtbot, window, tiny_model_dir)
    out = tmp_path / "out" / "tiny-int8.onnx"
    dlg = _dialog(qtbot, window, "onnxruntime", calib_dir, 4, str(out))
    with qtbot.waitSignal(dlg.done, timeout=120000):
        job = dlg.start()
        job.cancel()
    assert job.state == "cancelled"
    assert "nothing was written" in dlg.report.toPlainText()
    assert not out.exists()
    cache = tmp_path / "cache" / "quantized"
    assert not cache.exists() or [p for p in os.listdir(cache) if not p.startswith(".")] == []


def test_quantize_bad_folder_fails_with_the_core_reason(qtbot, window, tiny_model_dir, tmp_path):
    open_and_wait(qtbot, window, tiny_model_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    dlg = _dialog(qtbot, window, "openvino", str(empty), 10)
    with qtbot.waitSignal(dlg.done, timeout=60000):
        job = dlg.start()
    assert job.state == "failed"
    assert "holds no images" in dlg.report.toPlainText()
