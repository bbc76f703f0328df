"""ONNX Runtime and OpenVINO backends against a NumPy formula (no exporter needed)."""

import os

import numpy as np
import pytest

from c2core.backends import ModelSource, availability_table, create, parse_specs
from c2core.backends.base import parse_spec
from c2core.errors import C2Error


@pytest.fixture
def net(tmp_path, make_conv_net):
    return make_conv_net(tmp_path / "net.onnx", batch=2)


def _x(shape=(2, 3, 8, 8), seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_spec_parsing():
    assert parse_spec("ov:FP16") == ("openvino", "fp16")
    assert parse_spec("ort") == ("onnxruntime", "fp32")
    assert parse_specs("onnxruntime, openvino:fp16") == ["onnxruntime", "openvino:fp16"]
    assert parse_specs("openvino:int8,ort:int8") == ["openvino:int8", "onnxruntime:int8"]  # with --calib (PTQ)
    with pytest.raises(C2Error, match="no precision 'int8'"):
        parse_specs("c2:int8")
    with pytest.raises(C2Error, match="unknown backend 'foo'"):
        parse_specs("foo")


def test_availability_reports_every_backend_with_reason():
    table = availability_table()
    assert set(table) == {"c2", "onnxruntime", "openvino", "tensorrt"}
    assert table["onnxruntime"].ok and table["openvino"].ok
    for name, av in table.items():
        assert av.ok or av.reason, name  # unavailable always says why


@pytest.mark.parametrize("spec,rtol", [("onnxruntime", 1e-5), ("openvino", 1e-5), ("openvino:fp16", 2e-2)])
def test_backend_matches_numpy_reference(net, conv_ref, spec, rtol):
    path, w = net
    x = _x()
    ref = conv_ref(x, w)
    with ModelSource.open(path) as src, create(spec) as be:
        be.prepare(src)
        out = be.run({"data": x})
    assert list(out) == ["out"] and out["out"].dtype == np.float32
    err = np.abs(out["out"] - ref).max() / np.abs(ref).max()
    assert err <= rtol, (spec, err)


def test_openvino_fp16_ir_really_holds_half_precision_weights(net, tmp_path):
    from c2core.backends.openvino import convert_to_ir

    path, _ = net
    a = convert_to_ir(path, str(tmp_path / "fp32" / "m.xml"), "fp32")
    b = convert_to_ir(path, str(tmp_path / "fp16" / "m.xml"), "fp16")
    xml16 = open(b.xml).read()
    assert "f16" in xml16 and "f16" not in open(a.xml).read()
    assert b.bin_bytes < a.bin_bytes


def test_openvino_dynamic_batch_ir_runs_any_batch(net, conv_ref, tmp_path):
    from c2core.backends.openvino import convert_to_ir

    path, w = net
    info = convert_to_ir(path, str(tmp_path / "m.xml"), "fp32", dynamic_batch=True)
    assert info.input_shapes["data"][0] == -1
    for n in (1, 3):
        x = _x((n, 3, 8, 8), seed=n)
        with ModelSource.open(info.xml, batch=n) as src, create("openvino") as be:
            be.prepare(src)
            out = be.run({"data": x})["out"]
        np.testing.assert_allclose(out, conv_ref(x, w), rtol=1e-4, atol=1e-5)


def test_missing_input_is_a_user_error(net):
    path, _ = net
    with ModelSource.open(path) as src, create("onnxruntime") as be:
        be.prepare(src)
        with pytest.raises(C2Error, match="missing input"):
            be.run({"nope": _x()})


def test_c2_backend_refuses_an_onnx_file(net):
    from c2core.backends import availability

    if not availability("c2").ok:
        pytest.skip(availability("c2").reason)
    path, _ = net
    with ModelSource.open(path) as src:
        with pytest.raises(C2Error, match="runs Caffe2 models"):
            create("c2").prepare(src)


def test_source_example_inputs_and_batch_override(net):
    path, _ = net
    with ModelSource.open(path, batch=5) as src:
        assert src.input_shapes() == {"data": (5, 3, 8, 8)}
        x = src.example_inputs(seed=3)["data"]
        assert x.shape == (5, 3, 8, 8) and x.dtype == np.float32
        np.testing.assert_array_equal(x, src.example_inputs(seed=3)["data"])
        wd = src.workdir
    assert not os.path.exists(wd)
