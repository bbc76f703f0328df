"""TensorRT: everything that needs neither TensorRT nor a GPU, plus GPU tests that skip.

Tests named `test_logic_*_fake_trt` drive the build/load code with a FAKE
`tensorrt` module object that records calls. They check our decisions (flags,
profile, workspace, sidecar, refusals), NOT TensorRT itself: they are logic
tests with a fake, never a TensorRT pass. Real TensorRT runs are the
`@pytest.mark.gpu` tests at the end, skipped here with the reason.
"""

import json
import types

import numpy as np
import onnx
import pytest
from PIL import Image

from c2core.backends.tensorrt import (PlanInfo, PlanMismatch, build_plan, check_compatible, load_plan,
                                      make_calibrator, prepare_onnx_for, sidecar_path, trt_availability)
from c2core.errors import C2Error


# ----- availability -------------------------------------------------------------------
def test_availability_reasons():
    def missing():
        raise ImportError("No module named 'tensorrt'")

    av = trt_availability(import_trt=missing)
    assert not av.ok and "'tensorrt' is not installed" in av.reason
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
    batches = list(cb)
    assert len(cb) == 2 and cb.dropped == 1 and [b.shape for b in batches] == [(2, 3, 8, 8)] * 2
    expect = (arrays[2][..., ::-1].astype(np.float32) - 128.0).transpose(2, 0, 1)
    np.testing.assert_allclose(batches[1][0], expect)
    with pytest.raises(C2Error, match="at least 8 images"):
        CalibrationBatches(str(tmp_path), pre, batch_size=8)


# ----- logic tests with a FAKE tensorrt module (not TensorRT passes) ---------------------------
class _Recorder:
    def __init__(self):
        self.calls = []


def fake_trt(version="10.7.0", build_ok=True):
    """A stand-in `tensorrt` module that records what our code asks of it."""
    rec = _Recorder()
    E = types.SimpleNamespace

    class Logger:
        WARNING = 2

        def __init__(self, level):
            rec.calls.append(("Logger", level))

    class Profile:
        def set_shape(self, name, lo, opt, hi):
            rec.calls.append(("profile.set_shape", name, list(lo), list(opt), list(hi)))

    class TimingCache:
        def serialize(self):
            return b"TIMING"

    class Config:
        def __init__(self):
            self.int8_calibrator = None

        def set_memory_pool_limit(self, pool, size):
            rec.calls.append(("workspace", pool, size))

        def set_flag(self, f):
            rec.calls.append(("flag", f))

        def create_timing_cache(self, blob):
            rec.calls.append(("create_timing_cache", bytes(blob)))
            return TimingCache()

        def set_timing_cache(self, cache, ignore_mismatch):
            rec.calls.append(("set_timing_cache", ignore_mismatch))

        def get_timing_cache(self):
            return TimingCache()

        def add_optimization_profile(self, p):
            rec.calls.append(("add_optimization_profile",))

        def set_calibration_profile(self, p):
            rec.calls.append(("set_calibration_profile",))

    class Network:
        pass

    class Builder:
        def __init__(self, logger):
            pass

        def create_network(self, flags):
            rec.calls.append(("create_network", flags))
            return Network()

        def create_builder_config(self):
            rec.config = Config()
            return rec.config

        def create_optimization_profile(self):
            return Profile()

        def build_serialized_network(self, network, config):
            rec.calls.append(("build",))
            return b"PLANBYTES" if build_ok else None

    class OnnxParser:
        num_errors = 0

        def __init__(self, network, logger):
            pass

        def parse_from_file(self, path):
            rec.calls.append(("parse_from_file", path))
            return True

        def get_error(self, i):
            return "?"

    class Calib2:
        def __init__(self):
            pass

    class Runtime:
        def __init__(self, logger):
            pass

        def deserialize_cuda_engine(self, data):
            rec.calls.append(("deserialize", bytes(data)))
            return E(data=bytes(data))

    mod = E(__version__=version, Logger=Logger, Builder=Builder, OnnxParser=OnnxParser, Runtime=Runtime,
            NetworkDefinitionCreationFlag=E(STRONGLY_TYPED=1),
            MemoryPoolType=E(WORKSPACE="WORKSPACE"),
            BuilderFlag=E(FP16="FP16", INT8="INT8"),
            IInt8EntropyCalibrator2=Calib2)
    return mod, rec


GPU = ("NVIDIA A10", "8.6")


def test_logic_fp32_dynamic_batch_build_fake_trt(tmp_path, make_conv_net):
    """LOGIC TEST WITH A FAKE tensorrt: checks our calls and sidecar, not TensorRT."""
    path, _ = make_conv_net(tmp_path / "m.onnx", dynamic_batch=True)
    trt, rec = fake_trt("10.7.0")
    plan = str(tmp_path / "out" / "m.plan")
    cache = str(tmp_path / "timing.cache")
    info = build_plan(path, plan, "fp32", workspace_mb=256, timing_cache=cache, batch_range=(1, 4, 8), trt=trt, gpu=GPU)
    assert open(plan, "rb").read() == b"PLANBYTES" and open(cache, "rb").read() == b"TIMING"
    assert ("create_network", 1 << 1) in rec.calls  # STRONGLY_TYPED bit
    assert ("workspace", "WORKSPACE", 256 << 20) in rec.calls
    assert ("profile.set_shape", "data", [1, 3, 8, 8], [4, 3, 8, 8], [8, 3, 8, 8]) in rec.calls
    assert ("create_timing_cache", b"") in rec.calls and not [c for c in rec.calls if c[0] == "flag"]
    side = PlanInfo.load(plan)
    assert side == info and side.gpu == "NVIDIA A10" and side.tensorrt == "10.7.0" and side.precision == "fp32"
    assert side.inputs["data"]["max"] == [8, 3, 8, 8] and side.outputs["out"]["shape"] == [-1, 5]


def test_logic_fp16_per_version_fake_trt(tmp_path, make_conv_net):
    """LOGIC TEST WITH A FAKE tensorrt: FP16 = builder flag on 10, FP16 ONNX on 11."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    trt10, rec10 = fake_trt("10.7.0")
    build_plan(path, str(tmp_path / "a.plan"), "fp16", trt=trt10, gpu=GPU)
    assert ("flag", "FP16") in rec10.calls and ("create_network", 0) in rec10.calls
    assert ("parse_from_file", path) in rec10.calls
    trt11, rec11 = fake_trt("11.0.0")
    build_plan(path, str(tmp_path / "b.plan"), "fp16", trt=trt11, gpu=GPU)
    parsed = [c[1] for c in rec11.calls if c[0] == "parse_from_file"][0]
    assert parsed.endswith(".fp16.onnx") and not [c for c in rec11.calls if c[0] == "flag"]
    assert PlanInfo.load(str(tmp_path / "b.plan")).inputs["data"]["dtype"] == "float16"


def test_logic_int8_needs_calibration_and_sets_calibrator_fake_trt(tmp_path, make_conv_net):
    """LOGIC TEST WITH A FAKE tensorrt: INT8 flag + entropy calibrator on TensorRT 10."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    trt, rec = fake_trt("10.7.0")
    with pytest.raises(C2Error, match="calibration images"):
        build_plan(path, str(tmp_path / "c.plan"), "int8", trt=trt, gpu=GPU)
    batches = [np.zeros((1, 3, 8, 8), np.float32)]
    build_plan(path, str(tmp_path / "c.plan"), "int8", calibration=batches, trt=trt, gpu=GPU)
    assert ("flag", "INT8") in rec.calls and rec.config.int8_calibrator is not None
    trt11, _ = fake_trt("11.0.0")
    with pytest.raises(C2Error, match="no INT8 calibration"):
        build_plan(path, str(tmp_path / "d.plan"), "int8", calibration=batches, trt=trt11, gpu=GPU)


def test_logic_build_failure_and_static_shape_checks_fake_trt(tmp_path, make_conv_net):
    """LOGIC TEST WITH A FAKE tensorrt: a failed build is a clear error, no plan left behind."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    trt, _ = fake_trt("10.7.0", build_ok=False)
    with pytest.raises(C2Error, match="could not build"):
        build_plan(path, str(tmp_path / "e.plan"), "fp32", trt=trt, gpu=GPU)
    assert not (tmp_path / "e.plan").exists()
    dyn, _ = make_conv_net(tmp_path / "dyn.onnx", dynamic_batch=True)
    with pytest.raises(C2Error, match="give a batch range"):
        build_plan(dyn, str(tmp_path / "f.plan"), "fp32", trt=fake_trt()[0], gpu=GPU)
    with pytest.raises(C2Error, match="min <= opt <= max"):
        build_plan(dyn, str(tmp_path / "f.plan"), "fp32", batch_range=(4, 2, 8), trt=fake_trt()[0], gpu=GPU)


def test_logic_load_plan_checks_sidecar_first_fake_trt(tmp_path, make_conv_net):
    """LOGIC TEST WITH A FAKE tensorrt: refusal happens before deserialisation."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    trt, _ = fake_trt("10.7.0")
    plan = str(tmp_path / "m.plan")
    build_plan(path, plan, "fp32", trt=trt, gpu=GPU)
    engine, info = load_plan(plan, trt=trt, gpu=GPU)
    assert engine.data == b"PLANBYTES"
    other, rec = fake_trt("10.8.0")
    with pytest.raises(PlanMismatch, match="10.8.0"):
        load_plan(plan, trt=other, gpu=GPU)
    assert not [c for c in rec.calls if c[0] == "deserialize"]
    with pytest.raises(PlanMismatch, match="H100"):
        load_plan(plan, trt=trt, gpu=("NVIDIA H100 80GB HBM3", "9.0"))


def test_logic_calibrator_cache_and_end_fake_trt(tmp_path):
    """LOGIC TEST WITH A FAKE tensorrt: calibrator bookkeeping that needs no GPU."""
    trt, _ = fake_trt()
    cache = tmp_path / "calib.cache"
    cal = make_calibrator(trt, [], str(cache))
    assert cal.get_batch_size() == 1 and cal.get_batch(["data"]) is None
    assert cal.read_calibration_cache() is None
    cal.write_calibration_cache(b"CACHE")
    assert cal.read_calibration_cache() == b"CACHE"


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
