"""LOGIC TESTS against the FAKE TensorRT 10.x / 11.x and FAKE cuda-python (tests/fakes): running plans.

The fake engine computes the ONNX model with ONNX Runtime over fake device
memory, so the backend's whole path (availability, build, load, I/O tensor
queries, set_input_shape, set_tensor_address, execute_async_v3 on a stream,
copies back) runs end to end and is checked against the NumPy formula of the
model. Not a TensorRT pass: tests/gpu/run_tensorrt_check.py is.
"""

import numpy as np
import pytest

from c2core.backends import ModelSource, create
from c2core.backends.tensorrt import build_plan, trt_availability
from c2core.errors import C2Error
from tests.c2core.backends.onnx_nets import conv_net_reference


def _rel(out, ref):
    return float(np.abs(out - ref).max() / np.abs(ref).max())


@pytest.mark.parametrize("precision,rtol", [("fp32", 1e-5), ("fp16", 5e-3)])
def test_logic_backend_parity_end_to_end_fake_trt(tmp_path, make_conv_net, fake_trt, precision, rtol):
    path, w = make_conv_net(tmp_path / "m.onnx", batch=2)
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with ModelSource.open(path) as src, create(f"tensorrt:{precision}") as be:
        be.prepare(src)
        assert be.input_names == ["data"] and be.output_names == ["out"]
        out = be.run({"data": x})["out"]
        again = be.run({"data": x[::-1].copy()})["out"]
    ref = conv_net_reference(x, w)
    assert out.dtype == np.float32 and out.shape == (2, 5) and _rel(out, ref) <= rtol
    np.testing.assert_allclose(again, out[::-1], rtol=1e-6, atol=1e-6)
    assert not fake_trt.state.allocs and not fake_trt.state.queues  # buffers and stream released on close


def test_logic_tf32_left_on_would_fail_fp32_parity_fake_trt(tmp_path, make_conv_net, fake_trt):
    """Why TF32 is cleared: with it (TensorRT's default) the fake engine on an Ampere GPU rounds
    FP32 operands to 10-bit mantissas, as TensorRT may, and FP32 parity at 1e-4 fails."""
    path, w = make_conv_net(tmp_path / "m.onnx", batch=2)
    x = np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32) * 3
    trt = fake_trt.trt
    orig = trt.IBuilderConfig.clear_flag
    try:
        trt.IBuilderConfig.clear_flag = lambda self, f: None  # what the old code did: leave TF32 on
        build_plan(path, str(tmp_path / "tf32.plan"), "fp32")
    finally:
        trt.IBuilderConfig.clear_flag = orig
    build_plan(path, str(tmp_path / "fp32.plan"), "fp32")
    ref = conv_net_reference(x, w)
    outs = {}
    for name in ("tf32", "fp32"):
        with ModelSource.open(str(tmp_path / f"{name}.plan")) as src, create("tensorrt") as be:
            be.prepare(src)
            outs[name] = be.run({"data": x})["out"]
    assert _rel(outs["fp32"], ref) <= 1e-5 and _rel(outs["tf32"], ref) > 1e-4


def test_logic_dynamic_batch_onnx_is_accepted_fake_trt(tmp_path, make_conv_net, fake_trt):
    """A dynamic-batch ONNX: the backend passes a batch range (opt = the source's batch, max >= 32)."""
    path, w = make_conv_net(tmp_path / "m.onnx", dynamic_batch=True)
    rng = np.random.default_rng(2)
    with ModelSource.open(path, batch=4) as src, create("tensorrt") as be:
        be.prepare(src)
        assert be.info.inputs["data"]["min"][0] == 1 and be.info.inputs["data"]["opt"][0] == 4
        assert be.info.inputs["data"]["max"][0] == 32
        for n in (4, 1, 7):
            x = rng.standard_normal((n, 3, 8, 8)).astype(np.float32)
            out = be.run({"data": x})["out"]
            assert out.shape == (n, 5) and _rel(out, conv_net_reference(x, w)) <= 1e-5
        with pytest.raises(C2Error, match=r"refused input 'data' of shape \[33, 3, 8, 8\].*\[1, 3, 8, 8\]\.\."):
            be.run({"data": np.zeros((33, 3, 8, 8), np.float32)})
    with ModelSource.open(path, batch=2) as src, create("tensorrt", batch_range=(2, 2, 2)) as be:
        be.prepare(src)
        assert be.info.inputs["data"]["max"] == [2, 3, 8, 8]


def test_logic_runs_on_its_own_stream_fake_trt(tmp_path, make_conv_net, fake_trt):
    """Never the default stream (TensorRT warns and synchronises around it)."""
    path, _ = make_conv_net(tmp_path / "m.onnx")
    import c2core.backends.tensorrt as T

    with ModelSource.open(path) as src, create("tensorrt") as be:
        be.prepare(src)
        be.run({"data": np.ones((1, 3, 8, 8), np.float32)})
        assert be._stream.handle != 0
    assert not [w for w in T.trt_logger(fake_trt.trt).warnings if "default stream" in w]


def test_logic_execution_failures_are_errors_fake_trt(tmp_path, make_conv_net, fake_trt, monkeypatch):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    with ModelSource.open(path) as src, create("tensorrt") as be:
        be.prepare(src)
        x = {"data": np.ones((1, 3, 8, 8), np.float32)}
        monkeypatch.setattr(type(be._context), "set_tensor_address", lambda self, n, p: False)
        with pytest.raises(C2Error, match="refused the device address of input 'data'"):
            be.run(x)
        monkeypatch.undo()
        monkeypatch.setattr(type(be._context), "execute_async_v3", lambda self, s: False)
        with pytest.raises(C2Error, match="TensorRT execution failed"):
            be.run(x)


def test_logic_plan_of_another_version_is_refused_before_deserialising_fake_trt(tmp_path, make_conv_net,
                                                                              fake_trt, monkeypatch):
    path, _ = make_conv_net(tmp_path / "m.onnx")
    build_plan(path, str(tmp_path / "m.plan"), "fp32")
    monkeypatch.setattr(fake_trt.trt, "__version__", "10.99.0")
    from c2core.backends.tensorrt import PlanMismatch, load_plan

    with pytest.raises(PlanMismatch, match="10.99.0"):
        load_plan(str(tmp_path / "m.plan"))


@pytest.mark.parametrize("driver,devices,expect", [
    (0, [("NVIDIA A10", 8, 6)], "no NVIDIA driver"),
    (12040, [], "no CUDA GPU is visible"),
])
def test_logic_availability_names_what_is_missing_fake_trt(fake_trt, driver, devices, expect):
    fake_trt.state.driver, fake_trt.state.devices = driver, devices
    av = trt_availability()
    assert not av.ok and expect in av.reason and av.version == fake_trt.trt.__version__


def test_logic_availability_without_cuda_python_fake_trt(fake_trt, monkeypatch):
    """TensorRT present, cuda-python absent, torch a CPU build (what we install): say so."""
    import sys

    import c2core.backends.cuda_memory as cm

    monkeypatch.setattr(cm, "_has_module", lambda name: False if name == "cuda" else name in sys.modules)
    monkeypatch.setattr(cm, "_torch_cuda_build", lambda: False)
    av = trt_availability()
    assert not av.ok and "cuda-python is not installed" in av.reason and "cuda-python==" in av.reason


def test_logic_fake_cuda_faults_on_out_of_bounds_reads(fake_trt):
    """The fake device catches what a GPU would fault on (used by the calibration tests)."""
    from c2core.backends.cuda_memory import CudaPython

    cuda = CudaPython()
    buf = cuda.alloc(16)
    out = np.zeros(4, np.float32)
    with pytest.raises(C2Error, match="cudaErrorIllegalAddress"):  # 16 bytes from offset 8 of a 16-byte buffer
        cuda._call("cudaMemcpy", cuda.rt.cudaMemcpy(out.ctypes.data, buf.ptr + 8, 16,
                                                    cuda.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost))
    host = np.arange(4, dtype=np.float32)
    cuda.upload(buf, host)
    back = np.zeros(4, np.float32)
    cuda.download(back, buf)
    np.testing.assert_array_equal(back, host)
    cuda.free(buf)
    assert cuda.device() == ("NVIDIA A10", "8.6")
