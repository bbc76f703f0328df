"""TensorRT: everything that needs neither TensorRT nor a GPU, plus GPU tests that skip.

The build/run/calibration logic is tested against the two FAKE TensorRT
modules in test_tensorrt_build.py, test_tensorrt_run.py and
test_tensorrt_calibration.py (logic tests, never a TensorRT pass). Real
TensorRT runs are the `@pytest.mark.gpu` tests at the end and
tests/gpu/run_tensorrt_check.py, skipped here with the reason.
"""

import json
import types

import numpy as np
import onnx
import pytest
from PIL import Image

from c2core.backends.tensorrt import PlanInfo, PlanMismatch, check_compatible, prepare_onnx_for, sidecar_path, trt_availability
from c2core.errors import C2Error


# ----- availability -------------------------------------------------------------------
def test_availability_reasons():
    def missing():
        raise ImportError("No module named 'tensorrt'")

    av = trt_availability(import_trt=missing)
    assert not av.ok and "'tensorrt' is not installed" in av.reason

    def no_libs():  # the pip bindings are there, libnvinfer is not
        raise ImportError("libnvinfer.so.10: cannot open shared object file: No such file or directory")

    libs = trt_availability(import_trt=no_libs)
    assert not libs.ok and "libnvinfer" in libs.reason and "not installed" not in libs.reason
    old = trt_availability(import_trt=lambda: types.SimpleNamespace(__version__="8.6.1"))
    assert not old.ok and "8.6.1 is too old" in old.reason
    nogpu = trt_availability(import_trt=lambda: types.SimpleNamespace(__version__="10.7.0"),
                             cuda=lambda: "no CUDA GPU is visible")
    assert not nogpu.ok and nogpu.reason == "no CUDA GPU is visible" and nogpu.version == "10.7.0"
    ok = trt_availability(import_trt=lambda: types.SimpleNamespace(__version__="11.1.0"), cuda=lambda: "")
    assert ok.ok


def test_availability_on_this_machine_says_why_not():
    from c2core.backends import availability

    av = availability("tensorrt")
    if av.ok:
        pytest.skip("TensorRT is available here")
    assert av.reason  # package missing / CPU-only torch / no GPU


# ----- precision decisions per TensorRT version ------------------------------------------
def test_precision_decisions_by_version(tmp_path, make_conv_net):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    assert prepare_onnx_for("fp32", path, "10.7.0", str(tmp_path)) == (path, True, [])
    assert prepare_onnx_for("fp16", path, "10.7.0", str(tmp_path)) == (path, False, ["FP16"])
    p16, strong, flags = prepare_onnx_for("fp16", path, "11.0.0", str(tmp_path))
    assert strong and flags == [] and p16 != path
    g = onnx.load(p16).graph
    assert g.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    assert {t.data_type for t in g.initializer} == {onnx.TensorProto.FLOAT16}
    assert prepare_onnx_for("int8", path, "10.7.0", str(tmp_path)) == (path, False, ["INT8", "FP16"])
    with pytest.raises(C2Error, match="Q/DQ"):
        prepare_onnx_for("int8", path, "11.0.0", str(tmp_path))
    with pytest.raises(C2Error, match="fp32, fp16 or int8"):
        prepare_onnx_for("bf16", path, "11.0.0", str(tmp_path))


# ----- sidecar and refusal ------------------------------------------------------------------
def _info(**kw):
    d = dict(tensorrt="10.7.0", gpu="NVIDIA A10", compute_capability="8.6", precision="fp16",
             inputs={"data": {"dtype": "float32", "shape": [1, 3, 8, 8]}})
    d.update(kw)
    return PlanInfo(**d)


def test_sidecar_round_trip(tmp_path):
    plan = tmp_path / "m.plan"
    plan.write_bytes(b"x")
    _info().save(str(plan))
    data = json.loads(open(sidecar_path(str(plan))).read())
    assert data["format"] == "c2core-tensorrt-plan" and data["compute_capability"] == "8.6"
    assert PlanInfo.load(str(plan)) == _info()


def test_plan_built_elsewhere_is_refused_with_both_sides_named():
    info = _info()
    check_compatible(info, "10.7.0", "NVIDIA A10", "8.6")  # same machine: fine
    with pytest.raises(PlanMismatch) as e:
        check_compatible(info, "10.8.1", "NVIDIA A10", "8.6")
    assert "TensorRT 10.7.0 built it" in str(e.value) and "10.8.1" in str(e.value) and "rebuild" in str(e.value)
    with pytest.raises(PlanMismatch, match=r"built on NVIDIA A10 \(compute capability 8.6\).*H100.*9.0"):
        check_compatible(info, "10.7.0", "NVIDIA H100", "9.0")


def test_plan_without_sidecar_is_refused(tmp_path):
    plan = tmp_path / "m.plan"
    plan.write_bytes(b"x")
    with pytest.raises(PlanMismatch, match="no sidecar"):
        PlanInfo.load(str(plan))
    (tmp_path / "m.plan.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(C2Error, match="not a c2core-tensorrt-plan sidecar"):
        PlanInfo.load(str(plan))


# ----- calibration batches ------------------------------------------------------------------
def test_calibration_batches_follow_the_preprocessing(tmp_path):
    from c2core.backends.calibration import CalibrationBatches
    from c2core.classify import get_preset

    arrays = []
    for k in range(5):
        a = np.random.default_rng(k).integers(0, 256, (8, 8, 3), dtype=np.uint8)
        Image.fromarray(a).save(tmp_path / f"img{k}.png")
        arrays.append(a)
    (tmp_path / "notes.txt").write_text("ignored: not an image extension")
    pre = get_preset("caffe2-squeezenet").for_input_size(8)  # resize to 8 = identity here, BGR - 128
    cb = CalibrationBatches(str(tmp_path), pre, batch_size=2)
    batches = list(cb)  # every image once: the calibrator regroups them into what TensorRT reads
    assert len(cb) == 3 and [b.shape for b in batches] == [(2, 3, 8, 8)] * 2 + [(1, 3, 8, 8)]
    expect = (arrays[2][..., ::-1].astype(np.float32) - 128.0).transpose(2, 0, 1)
    np.testing.assert_allclose(batches[1][0], expect)
    assert len(CalibrationBatches(str(tmp_path), pre, batch_size=8)) == 1  # a chunk size, not a minimum
    with pytest.raises(C2Error, match="at least 8 image"):
        CalibrationBatches(str(tmp_path), pre, batch_size=2, min_images=8)


# ----- real TensorRT (GPU) ------------------------------------------------------------------
def _need_trt():
    av = trt_availability()
    if not av.ok:
        pytest.skip(f"TensorRT unavailable: {av.reason}")


@pytest.mark.gpu
@pytest.mark.tensorrt
@pytest.mark.parametrize("precision,rtol", [("fp32", 1e-4), ("fp16", 2e-2)])
def test_tensorrt_plan_matches_numpy(tmp_path, make_conv_net, conv_ref, precision, rtol):
    _need_trt()
    from c2core.backends import ModelSource, create

    path, w = make_conv_net(tmp_path / "m.onnx", batch=2)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with ModelSource.open(path) as src, create(f"tensorrt:{precision}") as be:
        be.prepare(src)
        out = be.run({"data": x})["out"]
    ref = conv_ref(x, w)
    assert np.abs(out - ref).max() / np.abs(ref).max() <= rtol
