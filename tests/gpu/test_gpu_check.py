"""`tests/gpu/run_tensorrt_check.py` under pytest: runs only where TensorRT and a GPU are usable,
skips with the reason elsewhere (as on every machine without an NVIDIA GPU)."""

import pathlib
import re
import subprocess
import sys

import pytest

from c2core.backends.tensorrt import trt_availability

SCRIPT = pathlib.Path(__file__).with_name("run_tensorrt_check.py")


@pytest.mark.gpu
@pytest.mark.tensorrt
@pytest.mark.slow
def test_tensorrt_check_on_a_real_gpu(tmp_path):
    av = trt_availability()
    if not av.ok:
        pytest.skip(f"TensorRT unavailable: {av.reason}")
    r = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path), "--bench-seconds", "1"],
                       capture_output=True, text=True, timeout=3000)
    if r.returncode == 77:
        pytest.skip((tmp_path / "tensorrt-check.txt").read_text())
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "tensorrt-check.json").is_file()


def test_gpu_check_script_skips_cleanly_without_tensorrt(tmp_path):
    """Where TensorRT is not usable the script exits 77 and its report says why."""
    if trt_availability().ok:
        pytest.skip("TensorRT is available here: the real check runs instead")
    r = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True,
                       timeout=120, cwd=str(SCRIPT.parents[2]))
    assert r.returncode == 77, r.stdout + r.stderr
    import json

    rep = json.loads((tmp_path / "tensorrt-check.json").read_text())
    assert rep["status"] == "skipped" and "TensorRT unavailable" in rep["reason"]
    assert "TensorRT unavailable" in (tmp_path / "tensorrt-check.txt").read_text()


def test_logic_gpu_check_script_end_to_end_fake_trt(tmp_path, monkeypatch):
    """LOGIC TEST with the FAKE TensorRT 10 / cuda-python: the script's own path (build, parity,
    bench, report) runs on a tiny Caffe2 model. Not a TensorRT pass."""
    import json

    from c2core.io.save import save_model
    from tests.c2core.backends.conftest import _forget, install_fakes
    from tests.references.tiny_classifier import tiny_classifier

    sys.path.insert(0, str(SCRIPT.parent))
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import run_tensorrt_check

    m, _ = tiny_classifier()
    save_model(m, str(tmp_path / "tiny"))
    (tmp_path / "tiny" / "model.json").write_text(json.dumps({
        "format": "caffe2-studio-model/1", "name": "tiny", "input": {"name": "data", "shape": [1, 3, 8, 8]},
        "preprocessing": {"preset": "caffe2-squeezenet"}}))
    try:
        install_fakes(10, monkeypatch)
        rc = run_tensorrt_check.main(["--model", str(tmp_path / "tiny"), "--out", str(tmp_path / "out"),
                                      "--batch", "2", "--bench-seconds", "0.2"])
    finally:
        _forget()
    rep = json.loads((tmp_path / "out" / "tensorrt-check.json").read_text())
    assert rc == 0, rep
    assert set(rep["precisions"]) == {"fp32", "fp16", "int8"}
    assert all(r["status"] == "pass" and r["runs"] > 0 for r in rep["precisions"].values())
    assert rep["precisions"]["fp32"]["max_rel_err"] <= 1e-5 and rep["gpu"] == "NVIDIA A10"
    assert "NOT a TensorRT pass" in rep["fake"]
    assert re.search(r"fp32 +pass", (tmp_path / "out" / "tensorrt-check.txt").read_text())
