"""Every fill op of CAFFE2_NOTES, read from an init file into numpy."""

import numpy as np
import pytest

from c2core.builder import NetBuilder, fill_op, init_net_from, make_arg
from c2core.io import open_model
from c2core.io.save import save_net
from c2core.proto import caffe2_pb2


def _open_with_init(tmp_path, init):
    b = NetBuilder("p")
    names = [op.output[0] for op in init.op]
    b.op("Sum", names, "out")
    b.inputs(*names).outputs("out")
    save_net(b.net, str(tmp_path / "predict_net.pb"))
    save_net(init, str(tmp_path / "init_net.pb"))
    return open_model(str(tmp_path / "predict_net.pb"))


def _op(op_type, name, **args):
    op = caffe2_pb2.OperatorDef(type=op_type)
    op.output.append(name)
    for k, v in args.items():
        op.arg.append(make_arg(k, v))
    return op


def test_given_fills_round_trip_every_dtype(tmp_path):
    arrays = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
        "f64": np.linspace(-1, 1, 5),
        "i32": np.array([[-2, 0], [5, 2**31 - 1]], np.int32),
        "i64": np.array([2**40, -3], np.int64),
        "i16": np.array([-7, 300], np.int16),
        "b": np.array([True, False, True]),
        "u8": np.array([0, 7, 255], np.uint8),
        "s": np.array([b"ab", b"", b"\xff"], dtype=object),
    }
    m = _open_with_init(tmp_path, init_net_from(arrays))
    w = m.weights
    expected_op = {"f32": "GivenTensorFill", "f64": "GivenTensorDoubleFill", "i32": "GivenTensorIntFill",
                   "i64": "GivenTensorInt64Fill", "i16": "GivenTensorInt16Fill", "b": "GivenTensorBoolFill",
                   "u8": "GivenTensorByteStringToUInt8Fill", "s": "GivenTensorStringFill"}
    for k, a in arrays.items():
        assert w[k].op_type == expected_op[k]
        assert w[k].array.dtype == a.dtype, k
        assert w[k].array.shape == a.shape, k
        assert not w[k].random
        if a.dtype == object:
            assert list(w[k].array) == list(a)
        else:
            # float32 values go through float32 storage: exact; float64 exact too.
            np.testing.assert_array_equal(w[k].array, a)
    # specs (no values read) agree with the loaded arrays
    m2 = _open_with_init(tmp_path, init_net_from(arrays))
    specs = m2.weight_specs
    for k, a in arrays.items():
        assert specs[k].shape == a.shape
        assert specs[k].dtype == str(a.dtype)
    assert m2.num_parameters == sum(a.size for a in arrays.values())


def test_int8_fills_keep_scale_and_zero_point(tmp_path):
    q = np.array([[0, 128], [255, 3]], np.uint8)
    q32 = np.array([-5, 1000], np.int32)
    init = init_net_from({"q": (q, 0.25, 128), "q32": (q32, 0.5, 0)})
    m = _open_with_init(tmp_path, init)
    w = m.weights
    assert w["q"].op_type == "Int8GivenTensorFill"
    np.testing.assert_array_equal(w["q"].array, q)
    assert (w["q"].scale, w["q"].zero_point) == (0.25, 128)
    # dequantised value = scale * (q - zero_point), by the Caffe2 definition
    np.testing.assert_allclose(w["q"].scale * (w["q"].array.astype(np.int32) - w["q"].zero_point),
                               [[-32.0, 0.0], [31.75, -31.25]])
    assert w["q32"].op_type == "Int8GivenIntTensorFill"
    np.testing.assert_array_equal(w["q32"].array, q32)
    assert w["q32"].scale == 0.5


def test_constant_fill_shape_value_dtype(tmp_path):
    init = caffe2_pb2.NetDef()
    init.op.append(_op("ConstantFill", "c_f", shape=[2, 3], value=1.5))
    init.op.append(_op("ConstantFill", "c_i64", shape=[4], value=7, dtype=10))
    init.op.append(_op("ConstantFill", "c_b", shape=[1], value=1, dtype=5))
    init.op.append(_op("ConstantFill", "c_default", shape=[3]))
    m = _open_with_init(tmp_path, init)
    w = m.weights
    np.testing.assert_array_equal(w["c_f"].array, np.full((2, 3), 1.5, np.float32))
    assert w["c_f"].array.dtype == np.float32
    np.testing.assert_array_equal(w["c_i64"].array, np.full(4, 7, np.int64))
    assert w["c_i64"].array.dtype == np.int64
    assert w["c_b"].array.dtype == np.bool_ and bool(w["c_b"].array[0])
    np.testing.assert_array_equal(w["c_default"].array, np.zeros(3, np.float32))
    assert m.weight_specs["c_i64"].dtype == "int64"


def test_random_initialisers_are_flagged_and_follow_caffe2_laws(tmp_path):
    init = caffe2_pb2.NetDef()
    init.op.append(_op("XavierFill", "xw", shape=[64, 50, 3, 3]))
    init.op.append(_op("MSRAFill", "mw", shape=[64, 50, 3, 3]))
    init.op.append(_op("GaussianFill", "gw", shape=[20000], mean=2.0, std=0.5))
    init.op.append(_op("UniformFill", "uw", shape=[20000], min=-3.0, max=-1.0))
    m = _open_with_init(tmp_path, init)
    assert all(s.random for s in m.weight_specs.values())
    w = m.weights
    assert all(x.random for x in w.values())
    # Xavier: U(-s, s), s = sqrt(3 / fan_in), fan_in = numel / dim0 = 450
    s = np.sqrt(3 / 450)
    assert np.abs(w["xw"].array).max() <= s and np.abs(w["xw"].array).max() > 0.95 * s
    # MSRA: N(0, sqrt(2 / fan_out)), fan_out = numel / dim1 = 576; 28,800 samples: std within 3 %
    assert abs(w["mw"].array.std() / np.sqrt(2 / 576) - 1) < 0.03
    assert abs(w["gw"].array.mean() - 2.0) < 0.02 and abs(w["gw"].array.std() - 0.5) < 0.02
    assert w["uw"].array.min() >= -3.0 and w["uw"].array.max() <= -1.0
    from c2core.cli.info import summary

    assert summary(m)["random_weights"] == ["gw", "mw", "uw", "xw"]
    assert any("random initialisers" in x for x in summary(m)["warnings"])


def test_nhwc_and_large_float_fill_vectorised(tmp_path):
    # An NHWC filter (out, kh, kw, in) keeps its layout; 1M values load fast.
    a = np.random.default_rng(3).standard_normal((256, 3, 3, 456)).astype(np.float32)
    m = _open_with_init(tmp_path, init_net_from({"w_nhwc": a}))
    import time

    t = time.perf_counter()
    got = m.weights["w_nhwc"].array
    elapsed = time.perf_counter() - t
    np.testing.assert_array_equal(got, a)
    assert elapsed < 1.0, f"loading 1M floats took {elapsed:.2f} s: is there a Python loop per element?"


def test_fill_op_builder_picks_op_by_dtype():
    assert fill_op("x", np.zeros(2, np.int64)).type == "GivenTensorInt64Fill"
    assert fill_op("x", np.zeros(2, np.float64)).type == "GivenTensorDoubleFill"


@pytest.mark.parametrize("shape", [[2, 3], [7]])
def test_value_count_mismatch_is_an_error_naming_the_op(tmp_path, shape):
    from c2core.errors import C2FormatError

    op = fill_op("w", np.zeros(5, np.float32))
    del op.arg[0]
    op.arg.insert(0, make_arg("shape", shape))
    init = caffe2_pb2.NetDef()
    init.op.append(op)
    with pytest.raises(C2FormatError, match=r"GivenTensorFill 'w'.*needs \d+ values but 5 are stored") as e:
        _open_with_init(tmp_path, init).weights  # noqa: B018 - opening keeps the structure, the weights refuse
    assert e.value.path.endswith("init_net.pb")


def test_fill_too_large_for_memory_is_a_format_error(tmp_path, monkeypatch):
    from c2core import fills
    from c2core.errors import C2FormatError

    from c2core import budget

    monkeypatch.setattr(budget, "_override", 1 << 40)  # a budget this machine cannot back
    init = caffe2_pb2.NetDef()
    init.op.append(_op("ConstantFill", "huge", shape=[1 << 16, 1 << 16], value=1.0))
    m = _open_with_init(tmp_path, init)
    assert m.num_parameters == 1 << 32  # counted from the shape, nothing allocated

    def no_memory(*a, **k):
        raise MemoryError

    monkeypatch.setattr(fills.np, "full", no_memory)
    with pytest.raises(C2FormatError, match=r"ConstantFill 'huge'.*too large to allocate"):
        m.weights  # noqa: B018
