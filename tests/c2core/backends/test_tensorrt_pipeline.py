"""The TensorRT target of the one conversion pipeline (c2core.pipeline.to_tensorrt), end to end on
the FAKE TensorRT 10.x / 11.x and cuda-python of tests/fakes: LOGIC TESTS, not a TensorRT pass.

Export -> build (calibration, cancel, timing cache, staged FP16 ONNX) -> parity
against the Caffe2 executor -> plan and sidecar published together.
"""

import os
import re

import numpy as np
import pytest
from PIL import Image

from c2core import pipeline
from c2core.backends.tensorrt import PlanInfo, sidecar_path
from c2core.errors import C2Error
from c2core.tasks import Cancelled, CancelToken
from tests.references.tiny_classifier import tiny_classifier


def _files(folder):
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_logic_pipeline_builds_verifies_and_publishes_fake_trt(tmp_path, fake_trt, precision):
    m, _ = tiny_classifier(batch=2)
    out = tmp_path / "out" / "tiny.plan"
    rep = pipeline.to_tensorrt(m, str(out), precision=precision, input_shapes={"data": (2, 3, 8, 8)})
    assert rep.ok and rep.written and rep.outputs == [str(out), sidecar_path(str(out))]
    assert _files(tmp_path / "out") == ["tiny.plan", "tiny.plan.json"]  # no .fp16.onnx, no staging folder
    assert max(o.max_rel for o in rep.parity.outputs) <= (1e-5 if precision == "fp32" else 5e-3)
    info = PlanInfo.load(str(out))
    assert info.precision == precision and info.tf32 is False and info.tensorrt == fake_trt.trt.__version__


def _images(folder, n, seed=0):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(folder / f"i{i:02d}.png")
    return str(folder)


def test_logic_pipeline_int8_calibrates_every_image_in_tensorrts_batches_fake_trt(tmp_path, fake_trt):
    m, _ = tiny_classifier(batch=2)
    calib = _images(tmp_path / "calib", 7)  # fewer than the --calib-batch of 8: fine, every image is used
    out = tmp_path / "tiny-int8.plan"
    kw = dict(precision="int8", input_shapes={"data": (2, 3, 8, 8)}, calib_dir=calib, calib_batch=8)
    if fake_trt.major >= 11:
        with pytest.raises(C2Error, match="no INT8 calibration"):
            pipeline.to_tensorrt(m, str(out), **kw)
        assert not out.exists()
        return
    rep = pipeline.to_tensorrt(m, str(out), **kw)
    # --calib-batch 8 only sets how many images are read at a time: TensorRT reads (2, 3, 8, 8)
    assert rep.details["plan"].calibration == {"tensors": 3, "samples": 6, "dropped": 1,
                                               "shape": {"data": [2, 3, 8, 8]}}
    assert rep.ok and not fake_trt.state.faults
    assert _files(tmp_path) == ["calib", "tiny-int8.plan", "tiny-int8.plan.json"]


def test_logic_pipeline_cancel_during_build_writes_nothing_fake_trt(tmp_path, fake_trt):
    m, _ = tiny_classifier()
    token = CancelToken()

    def progress(fraction, message):
        if message.startswith("TensorRT:"):
            token.cancel()

    with pytest.raises(Cancelled):
        pipeline.to_tensorrt(m, str(tmp_path / "t.plan"), input_shapes={"data": (1, 3, 8, 8)}, progress=progress,
                             cancel=token)
    assert _files(tmp_path) == []


def test_logic_pipeline_timing_cache_of_another_gpu_fake_trt(tmp_path, fake_trt):
    m, _ = tiny_classifier()
    cache = tmp_path / "t.cache"
    kw = dict(input_shapes={"data": (1, 3, 8, 8)}, timing_cache=str(cache))
    pipeline.to_tensorrt(m, str(tmp_path / "a.plan"), **kw)
    fake_trt.state.devices = [("NVIDIA L4", 8, 9)]
    rep = pipeline.to_tensorrt(m, str(tmp_path / "b.plan"), **kw)
    assert rep.ok and any("another GPU" in w for w in rep.details["plan"].warnings)
    assert PlanInfo.load(str(tmp_path / "b.plan")).gpu == "NVIDIA L4" and b'"cc": "8.9"' in cache.read_bytes()


def test_logic_cli_convert_tensorrt_int8_fake_trt(tmp_path, fake_trt, capsys):
    """`c2core convert --to tensorrt` on the fakes: exit 0 with the calibration summary on 10,
    one clear error line and exit 2 on 11 (no implicit INT8 there)."""
    import json

    from c2core.cli.main import main
    from c2core.io.save import save_model

    m, _ = tiny_classifier()
    save_model(m, str(tmp_path / "tiny"))
    (tmp_path / "tiny" / "model.json").write_text(json.dumps({
        "format": "caffe2-studio-model/1", "name": "tiny", "input": {"name": "data", "shape": [1, 3, 8, 8]},
        "preprocessing": {"preset": "caffe2-squeezenet"}}))
    calib = _images(tmp_path / "calib", 5)
    rc = main(["convert", str(tmp_path / "tiny"), "--to", "tensorrt", "--precision", "int8", "--calib", calib,
               "-o", str(tmp_path / "t.plan")])
    out, err = capsys.readouterr()
    if fake_trt.major >= 11:
        assert rc == 2 and "no INT8 calibration" in err and "Traceback" not in err
        assert not (tmp_path / "t.plan").exists()
    else:
        assert rc == 0, err
        assert re.search(r"calibrated on 5 images \(5 batches of \[1, 3, \d+, \d+\]\)", out), out
        assert PlanInfo.load(str(tmp_path / "t.plan")).precision == "int8"
