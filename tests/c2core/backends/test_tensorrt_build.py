"""LOGIC TESTS against the FAKE TensorRT 10.x and 11.x modules (tests/fakes): building plans.

They check c2core's use of TensorRT's documented Python API (flags, profile,
timing cache, progress monitor, return values), every test once per major
version. They are not TensorRT passes: tests/gpu/run_tensorrt_check.py is.
"""

import json
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from c2core.backends.tensorrt import PlanInfo, build_plan, load_plan
from c2core.errors import C2Error
from c2core.tasks import Cancelled, CancelToken


def _plan_header(plan):
    data = open(plan, "rb").read()
    assert data.startswith(b"FAKE-TRT-PLAN\0")
    n = int.from_bytes(data[14:22], "little")
    return json.loads(data[22:22 + n])


def test_logic_fp32_clears_tf32_and_is_strongly_typed_fake_trt(tmp_path, make_conv_net, fake_trt):
    """FP32 plans are FP32: TF32 (on by default) is cleared; the network is strongly typed."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    plan = str(tmp_path / "out" / "m.plan")
    info = build_plan(path, plan, "fp32", workspace_mb=256)
    h = _plan_header(plan)
    assert "TF32" not in h["flags"] and h["strongly_typed"] and h["flags"] == []
    side = PlanInfo.load(plan)
    assert side == info and side.gpu == "NVIDIA A10" and side.compute_capability == "8.6"
    assert side.tensorrt == fake_trt.trt.__version__ and side.tf32 is False
    assert sorted(os.listdir(tmp_path / "out")) == ["m.plan", "m.plan.json"]


def test_logic_fp16_per_version_leaves_no_stray_onnx_fake_trt(tmp_path, make_conv_net, fake_trt):
    """FP16: builder flag (weakly typed) on 10, an FP16 ONNX (strongly typed) on 11, staged and removed."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    out = tmp_path / "out"
    build_plan(path, str(out / "m.plan"), "fp16")
    h = _plan_header(out / "m.plan")
    if fake_trt.major == 10:
        assert h["flags"] == ["FP16"] and not h["strongly_typed"]
        assert h["inputs"][0][2] == int(fake_trt.trt.DataType.FLOAT)
    else:
        assert h["flags"] == [] and h["strongly_typed"]
        assert h["inputs"][0][2] == int(fake_trt.trt.DataType.HALF)
        assert PlanInfo.load(str(out / "m.plan")).inputs["data"]["dtype"] == "float16"
    assert sorted(os.listdir(out)) == ["m.plan", "m.plan.json"]  # no m.fp16.onnx, no temp folder
    assert sorted(os.listdir(tmp_path)) == ["m.onnx", "out"]


def test_logic_dynamic_batch_profile_fake_trt(tmp_path, make_conv_net, fake_trt):
    path, _ = make_conv_net(tmp_path / "m.onnx", dynamic_batch=True)
    plan = str(tmp_path / "m.plan")
    info = build_plan(path, plan, "fp32", batch_range=(1, 4, 8))
    h = _plan_header(plan)
    assert h["profile"]["data"] == {"min": [1, 3, 8, 8], "opt": [4, 3, 8, 8], "max": [8, 3, 8, 8]}
    assert info.inputs["data"]["max"] == [8, 3, 8, 8] and info.outputs["out"]["shape"] == [-1, 5]
    with pytest.raises(C2Error, match="give a batch range"):
        build_plan(path, str(tmp_path / "f.plan"), "fp32")
    with pytest.raises(C2Error, match="min <= opt <= max"):
        build_plan(path, str(tmp_path / "f.plan"), "fp32", batch_range=(4, 2, 8))
    assert not (tmp_path / "f.plan").exists()


def test_logic_set_shape_exception_becomes_a_clear_error_fake_trt(tmp_path, fake_trt):
    """IOptimizationProfile.set_shape raises on a range TensorRT refuses (here: a 0 batch)."""
    from tests.c2core.backends.onnx_nets import conv_net

    path, _ = conv_net(tmp_path / "m.onnx", dynamic_batch=True)
    import c2core.backends.tensorrt as T

    profile = fake_trt.trt.Builder(T.trt_logger(fake_trt.trt)).create_optimization_profile()
    with pytest.raises(ValueError):
        profile.set_shape("data", [2, 3, 8, 8], [1, 3, 8, 8], [4, 3, 8, 8])
    with pytest.raises(C2Error, match="refused the shape range of input 'data'"):
        T._set_shape(profile, "data", [2, 3, 8, 8], [1, 3, 8, 8], [4, 3, 8, 8], path)


def test_logic_parser_errors_are_reported_with_their_node_fake_trt(tmp_path, fake_trt):
    g = helper.make_graph([helper.make_node("Frobnicate", ["x"], ["y"], domain="com.example", name="frob1")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    onnx.save(m, tmp_path / "bad.onnx")
    with pytest.raises(C2Error, match=r"parser failed: No importer registered for op: Frobnicate \(node frob1 "
                                      r"Frobnicate\)"):
        build_plan(str(tmp_path / "bad.onnx"), str(tmp_path / "bad.plan"), "fp32")
    assert not (tmp_path / "bad.plan").exists()


def test_logic_timing_cache_from_another_device_is_replaced_fake_trt(tmp_path, make_conv_net, fake_trt):
    """set_timing_cache returns False for a cache of another GPU: warned, rebuilt without, rewritten."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    cache = tmp_path / "timing.cache"
    build_plan(path, str(tmp_path / "a.plan"), "fp32", timing_cache=str(cache))
    first = cache.read_bytes()
    assert b'"cc": "8.6"' in first
    fake_trt.state.devices = [("NVIDIA H100 80GB HBM3", 9, 0)]
    info = build_plan(path, str(tmp_path / "b.plan"), "fp32", timing_cache=str(cache))
    assert any("another GPU" in w for w in info.warnings) and PlanInfo.load(str(tmp_path / "b.plan")) == info
    assert b'"cc": "9.0"' in cache.read_bytes()
    cache.write_bytes(b"garbage")  # a damaged cache: create_timing_cache returns None
    info = build_plan(path, str(tmp_path / "c.plan"), "fp32", timing_cache=str(cache))
    assert info.warnings and b'"cc": "9.0"' in cache.read_bytes()


def test_logic_no_timing_cache_returned_is_a_warning_not_a_crash_fake_trt(tmp_path, make_conv_net, fake_trt,
                                                                           monkeypatch):
    """get_timing_cache may return None: the plan and its sidecar are still written, together."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    monkeypatch.setattr(fake_trt.trt.IBuilderConfig, "get_timing_cache", lambda self: None)
    info = build_plan(path, str(tmp_path / "m.plan"), "fp32", timing_cache=str(tmp_path / "t.cache"))
    assert (tmp_path / "m.plan").exists() and PlanInfo.load(str(tmp_path / "m.plan")) == info
    assert any("no timing cache" in w for w in info.warnings) and not (tmp_path / "t.cache").exists()


def test_logic_cancel_during_build_aborts_through_the_progress_monitor_fake_trt(tmp_path, make_conv_net, fake_trt):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    token = CancelToken()
    seen = []

    def progress(fraction, message):
        seen.append((fraction, message))
        if message.startswith("TensorRT: Building engine"):
            token.cancel()  # the user presses Cancel while TensorRT builds

    with pytest.raises(Cancelled):
        build_plan(path, str(tmp_path / "m.plan"), "fp32", progress=progress, cancel=token)
    assert not (tmp_path / "m.plan").exists() and sorted(os.listdir(tmp_path)) == ["m.onnx"]
    fractions = [f for f, m in seen if m.startswith("TensorRT:")]
    assert fractions and all(0.15 <= f <= 0.95 for f in fractions)


def test_logic_build_progress_is_reported_from_phase_steps_fake_trt(tmp_path, make_conv_net, fake_trt):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    seen = []
    build_plan(path, str(tmp_path / "m.plan"), "fp32", progress=lambda f, m: seen.append((f, m)))
    phase = [f for f, m in seen if m == "TensorRT: Building engine"]
    assert len(phase) == 3 and phase == sorted(phase) and phase[-1] == pytest.approx(0.95)
    assert seen[-1] == (1.0, "saved m.plan")


def test_logic_one_logger_per_process_fake_trt(tmp_path, make_conv_net, fake_trt):
    """TensorRT keeps the first logger; a second one would be warned about (and ignored)."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    build_plan(path, str(tmp_path / "a.plan"), "fp32")
    build_plan(path, str(tmp_path / "b.plan"), "fp16")
    load_plan(str(tmp_path / "a.plan"))
    import c2core.backends.tensorrt as T

    log = T.trt_logger(fake_trt.trt)
    assert fake_trt.trt._fake_state["logger"] is log
    assert not [w for w in log.warnings if "differs from one already provided" in w]


def test_logic_failed_build_names_tensorrts_error_fake_trt(tmp_path, make_conv_net, fake_trt):
    """build_serialized_network -> None: the error carries TensorRT's own log line; nothing written."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    fake_trt.state.devices = []  # the GPU went away between the availability check and the build
    with pytest.raises(C2Error, match="CUDA"):
        build_plan(path, str(tmp_path / "m.plan"), "fp32")
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"]


def test_logic_int8_per_version_fake_trt(tmp_path, make_conv_net, fake_trt):
    path, _ = make_conv_net(tmp_path / "m.onnx", batch=2)
    batches = [np.random.default_rng(i).standard_normal((3, 3, 8, 8)).astype(np.float32) for i in range(3)]
    if fake_trt.major >= 11:
        assert not hasattr(fake_trt.trt, "IInt8EntropyCalibrator2")
        assert not hasattr(fake_trt.trt.BuilderFlag, "INT8") and not hasattr(fake_trt.trt.BuilderFlag, "FP16")
        with pytest.raises(C2Error, match="no INT8 calibration"):
            build_plan(path, str(tmp_path / "c.plan"), "int8", calibration=batches)
        return
    with pytest.raises(C2Error, match="calibration images"):
        build_plan(path, str(tmp_path / "c.plan"), "int8")
    info = build_plan(path, str(tmp_path / "c.plan"), "int8", calibration=batches,
                      calibration_cache=str(tmp_path / "calib.cache"))
    # 9 images regrouped into the (2, 3, 8, 8) tensors TensorRT reads: 4 tensors, 1 image left over
    assert info.calibration == {"tensors": 4, "samples": 8, "dropped": 1, "shape": {"data": [2, 3, 8, 8]}}
    assert any("1 image(s) left over" in w for w in info.warnings)
    assert sorted(_plan_header(tmp_path / "c.plan")["flags"]) == ["FP16", "INT8"]
    assert not fake_trt.state.allocs  # the calibration buffers were freed
    # with the cache, TensorRT does not ask for batches again
    info2 = build_plan(path, str(tmp_path / "d.plan"), "int8", calibration_cache=str(tmp_path / "calib.cache"))
    assert info2.calibration["tensors"] == 0
    # fewer images than one batch of what TensorRT reads: said so (TensorRT itself would only say
    # "no scaling factors detected")
    with pytest.raises(C2Error, match=r"calibration needs at least 2 images \(one \[2, 3, 8, 8\] batch.*got 1"):
        build_plan(path, str(tmp_path / "e.plan"), "int8", calibration=[batches[0][:1]])


def test_logic_a_failing_progress_listener_aborts_cleanly_fake_trt(tmp_path, make_conv_net, fake_trt):
    """Callbacks run inside TensorRT's noexcept C++ (the fake turns an escaping exception into
    `Terminated`, as the process would die): ours catch, abort the build and re-raise after it."""
    path, _ = make_conv_net(tmp_path / "m.onnx")

    def progress(fraction, message):
        if message.startswith("TensorRT:"):
            raise RuntimeError("listener broke")

    with pytest.raises(RuntimeError, match="listener broke"):
        build_plan(path, str(tmp_path / "m.plan"), "fp32", progress=progress)
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"]


def test_logic_calibration_cache_write_failure_is_reported_fake_trt10(tmp_path, make_conv_net, fake_trt10):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    batches = [np.zeros((1, 3, 8, 8), np.float32)]
    with pytest.raises(C2Error, match="cannot write the calibration cache"):
        build_plan(path, str(tmp_path / "m.plan"), "int8", calibration=batches,
                   calibration_cache=str(tmp_path / "no" / "such" / "dir" / "c.cache"))
    assert not (tmp_path / "m.plan").exists()
