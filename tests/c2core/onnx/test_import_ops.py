"""ONNX → Caffe2, op by op: the emitted Caffe2 ops, and the executor's numbers against
ONNX Runtime (rtol 1e-4, atol 1e-5) or a NumPy formula where the semantics are the point."""

import numpy as np
import pytest
from onnx import helper

from c2core.onnx.importer import import_onnx
from tests.c2core.onnx.import_helpers import arg, assert_matches_ort, c2_run, make_model, op_types

R = np.random.default_rng(0)


def rnd(*shape):
    return R.standard_normal(shape).astype(np.float32)


# ----- convolution and padding -----------------------------------------------------------------
@pytest.mark.parametrize("attrs", [
    dict(kernel_shape=[3, 3], pads=[1, 0, 2, 1], strides=[2, 1]),
    dict(kernel_shape=[3, 3], group=2, dilations=[2, 2]),
    dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
    dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER"),
])
def test_conv(attrs):
    g = attrs.get("group", 1)
    w, b = rnd(6, 4 // g, 3, 3), rnd(6)
    m = make_model([helper.make_node("Conv", ["x", "w", "b"], ["y"], **attrs)],
                   [("x", [1, 4, 9, 10])], [("y", None)], {"w": w, "b": b})
    c2 = assert_matches_ort(m, {"x": rnd(1, 4, 9, 10)})
    (op,) = c2.predict_net.op
    assert op.type == "Conv" and list(op.input) == ["x", "y_w", "y_b"]  # weights named after the blob they make


def test_zero_pad_before_conv_is_folded_into_conv_pads():
    w = rnd(3, 2, 3, 3)
    nodes = [helper.make_node("Pad", ["x", "p"], ["xp"], mode="constant"),
             helper.make_node("Conv", ["xp", "w"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])]
    m = make_model(nodes, [("x", [1, 2, 8, 8])], [("y", None)],
                   {"w": w, "p": np.array([0, 0, 0, 1, 0, 0, 1, 2], np.int64)}, opset=13)
    c2 = assert_matches_ort(m, {"x": rnd(1, 2, 8, 8)})
    (op,) = c2.predict_net.op
    assert arg(op, "pads") == [1, 2, 2, 3]  # t, l, b, r: conv pads plus the Pad's


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad_before_pool_becomes_padimage(mode):
    nodes = [helper.make_node("Pad", ["x", "p", "v"], ["xp"], mode=mode),
             helper.make_node("MaxPool", ["xp"], ["y"], kernel_shape=[2, 2], strides=[2, 2])]
    inits = {"p": np.array([0, 0, 1, 2, 0, 0, 1, 0], np.int64), "v": np.array(0.5 if mode == "constant" else 0, np.float32)}
    m = make_model(nodes, [("x", [1, 2, 6, 6])], [("y", None)], inits, opset=13)
    c2 = assert_matches_ort(m, {"x": rnd(1, 2, 6, 6)})
    assert op_types(c2) == ["PadImage", "MaxPool"]


# ----- pooling ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("op_type,attrs", [
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
    ("MaxPool", dict(kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 0, 0], ceil_mode=1)),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
])
def test_pool(op_type, attrs):
    m = make_model([helper.make_node(op_type, ["x"], ["y"], **attrs)], [("x", [2, 3, 8, 9])], [("y", None)])
    assert_matches_ort(m, {"x": rnd(2, 3, 8, 9)})


@pytest.mark.parametrize("op_type", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pool(op_type):
    m = make_model([helper.make_node(op_type, ["x"], ["y"])], [("x", [2, 3, 5, 7])], [("y", None)])
    c2 = assert_matches_ort(m, {"x": rnd(2, 3, 5, 7)})
    assert arg(c2.predict_net.op[0], "global_pooling") == 1


# ----- elementwise and activations --------------------------------------------------------------------
def test_add_mul_broadcast_numpy_style():
    """b[3,1,1] against x[2,3,4,5]: NumPy aligns trailing axes; Caffe2's legacy broadcast would not."""
    x, b = rnd(2, 3, 4, 5), rnd(3, 1, 1)
    nodes = [helper.make_node("Add", ["x", "b"], ["s"]), helper.make_node("Mul", ["s", "k"], ["p"]),
             helper.make_node("Sub", ["k", "p"], ["d"]), helper.make_node("Div", ["d", "x2"], ["y"])]
    m = make_model(nodes, [("x", [2, 3, 4, 5]), ("x2", [4, 5])], [("y", None)],
                   {"b": b, "k": np.array(3.0, np.float32)})
    x2 = rnd(4, 5) + 4.0
    c2 = import_onnx(m)
    got = c2_run(c2, {"x": x, "x2": x2})["y"]
    np.testing.assert_allclose(got, (3.0 - (x + b) * 3.0) / x2, rtol=1e-5, atol=1e-6)
    assert all(arg(op, "broadcast") is None for op in c2.predict_net.op)


@pytest.mark.parametrize("opset", [9, 13])
def test_clip_bounds_as_attrs_or_inputs(opset):
    if opset < 11:
        node, inits = helper.make_node("Clip", ["x"], ["y"], min=0.0, max=6.0), {}
    else:
        node, inits = helper.make_node("Clip", ["x", "lo", "hi"], ["y"]), {"lo": np.array(0.0, np.float32), "hi": np.array(6.0, np.float32)}
    m = make_model([node], [("x", [2, 8])], [("y", None)], inits, opset=opset)
    x = rnd(2, 8) * 5
    c2 = import_onnx(m)
    np.testing.assert_array_equal(c2_run(c2, {"x": x})["y"], np.clip(x, 0, 6))
    assert arg(c2.predict_net.op[0], "min") == 0.0 and arg(c2.predict_net.op[0], "max") == 6.0


@pytest.mark.parametrize("node", [
    helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Sigmoid", ["x"], ["y"]),
    helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.2), helper.make_node("Tanh", ["x"], ["y"]),
    helper.make_node("HardSigmoid", ["x"], ["y"], alpha=0.3, beta=0.4), helper.make_node("HardSwish", ["x"], ["y"]),
], ids=lambda n: n.op_type)
def test_activations(node):
    m = make_model([node], [("x", [2, 3, 4])], [("y", None)])
    assert_matches_ort(m, {"x": rnd(2, 3, 4) * 4})


# ----- matrix products and batch norm --------------------------------------------------------------------
@pytest.mark.parametrize("attrs,bshape,cshape", [
    (dict(transB=1), (5, 7), (5,)),
    (dict(), (7, 5), (1, 5)),
    (dict(alpha=0.5, beta=2.0, transB=1), (5, 7), (5,)),
    (dict(alpha=2.0), (7, 5), (3, 5)),
])
def test_gemm(attrs, bshape, cshape):
    m = make_model([helper.make_node("Gemm", ["a", "B", "C"], ["y"], **attrs)], [("a", [3, 7])], [("y", None)],
                   {"B": rnd(*bshape), "C": rnd(*cshape)})
    c2 = assert_matches_ort(m, {"a": rnd(3, 7)})
    assert op_types(c2)[0] == "FC"


def test_matmul_nd_by_constant_is_fc_on_last_axis():
    m = make_model([helper.make_node("MatMul", ["a", "B"], ["y"])], [("a", [2, 3, 7])], [("y", None)], {"B": rnd(7, 4)})
    c2 = assert_matches_ort(m, {"a": rnd(2, 3, 7)})
    (op,) = c2.predict_net.op
    assert op.type == "FC" and arg(op, "axis") == 2


def test_matmul_two_data_inputs():
    m = make_model([helper.make_node("MatMul", ["a", "b"], ["y"])], [("a", [2, 3, 7]), ("b", [2, 7, 4])], [("y", None)])
    assert_matches_ort(m, {"a": rnd(2, 3, 7), "b": rnd(2, 7, 4)})


def test_batch_norm():
    c = 4
    inits = {"s": rnd(c), "b": rnd(c), "m": rnd(c), "v": np.abs(rnd(c)) + 0.5}
    m = make_model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
                   [("x", [2, c, 3, 3])], [("y", None)], inits)
    c2 = assert_matches_ort(m, {"x": rnd(2, c, 3, 3)})
    op = c2.predict_net.op[0]
    assert op.type == "SpatialBN" and arg(op, "is_test") == 1 and abs(arg(op, "epsilon") - 1e-3) < 1e-9


# ----- softmax: 2-D coercion before opset 13, per axis after ------------------------------------------------
def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_opset11_coerces_to_2d():
    x = rnd(2, 3, 4)
    m = make_model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], [("x", [2, 3, 4])], [("y", None)], opset=11)
    got = c2_run(import_onnx(m), {"x": x})["y"]
    np.testing.assert_allclose(got, _softmax(x.reshape(2, 12), 1).reshape(2, 3, 4), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("axis", [1, -1])
def test_softmax_opset13_per_axis(axis):
    x = rnd(2, 3, 4)
    m = make_model([helper.make_node("Softmax", ["x"], ["y"], axis=axis)], [("x", [2, 3, 4])], [("y", None)], opset=13)
    c2 = import_onnx(m)
    np.testing.assert_allclose(c2_run(c2, {"x": x})["y"], _softmax(x, axis), rtol=1e-5, atol=1e-7)
    assert op_types(c2) == (["Softmax"] if axis == -1 else ["Transpose", "Softmax", "Transpose"])


# ----- shapes and layout ---------------------------------------------------------------------------------
def test_shape_chain_is_folded_into_reshape_argument():
    """x.view(x.size(0), -1) as torch exports it: Shape→Gather→Unsqueeze→Concat→Reshape."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
    ]
    inits = {"i0": np.array(0, np.int64), "ax0": np.array([0], np.int64), "m1": np.array([-1], np.int64)}
    m = make_model(nodes, [("x", [2, 3, 4, 5])], [("y", None)], inits, opset=13)
    c2 = assert_matches_ort(m, {"x": rnd(2, 3, 4, 5)})
    (op,) = c2.predict_net.op
    assert op.type == "Reshape" and arg(op, "shape") == [2, -1] and len(op.output) == 2


def test_layout_ops():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
        helper.make_node("Slice", ["t", "st", "en", "ax"], ["s"]),
        helper.make_node("Concat", ["s", "s"], ["c"], axis=-1),
        helper.make_node("Flatten", ["c"], ["f"], axis=2),
        helper.make_node("Unsqueeze", ["f", "ua"], ["u"]),
        helper.make_node("Squeeze", ["u", "ua"], ["q"]),
        helper.make_node("Gather", ["q", "gi"], ["y"], axis=1),
    ]
    inits = {"st": np.array([1, -3], np.int64), "en": np.array([100, -1], np.int64), "ax": np.array([1, 2], np.int64),
             "ua": np.array([0], np.int64), "gi": np.array([1, 2], np.int64)}
    m = make_model(nodes, [("x", [2, 3, 5, 6])], [("y", None)], inits, opset=13)
    c2 = assert_matches_ort(m, {"x": rnd(2, 3, 5, 6)})
    assert "Concat" in op_types(c2) and "ExpandDims" in op_types(c2)


def test_gather_scalar_index_and_old_opset_slice():
    nodes = [helper.make_node("Slice", ["x"], ["s"], starts=[0, 1], ends=[1, 3], axes=[0, 2]),
             helper.make_node("Gather", ["s", "i"], ["y"], axis=1)]
    m = make_model(nodes, [("x", [3, 4, 5])], [("y", None)], {"i": np.array(-1, np.int64)}, opset=9)
    assert_matches_ort(m, {"x": rnd(3, 4, 5)})



def test_scalar_constant_stays_0d():
    """A 0-d initializer is a 0-d weight: scalar * scalar is a scalar, not shape [1]."""
    m = make_model([helper.make_node("Mul", ["x", "s"], ["y"])], [("x", [])], [("y", None)],
                   {"s": np.array(3.0, np.float32)})
    c2 = assert_matches_ort(m, {"x": np.array(2.0, np.float32)})  # also compares shapes
    assert c2.weight_arrays()["y_b"].shape == ()  # Mul's input B, named after its output y

# ----- reductions and resizing --------------------------------------------------------------------------------
@pytest.mark.parametrize("axes,keep", [([2, 3], 1), ([2, 3], 0), ([1], 1), ([-1], 0)])
def test_reduce_mean(axes, keep):
    m = make_model([helper.make_node("ReduceMean", ["x"], ["y"], axes=axes, keepdims=keep)],
                   [("x", [2, 3, 4, 5])], [("y", None)], opset=13)
    x = rnd(2, 3, 4, 5)
    got = c2_run(import_onnx(m), {"x": x})["y"]
    np.testing.assert_allclose(got, x.mean(axis=tuple(axes), keepdims=bool(keep)), rtol=1e-5, atol=1e-6)


def test_resize_nearest_asymmetric_floor():
    node = helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="nearest",
                            coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    m = make_model([node], [("x", [1, 2, 3, 4])], [("y", None)], {"sc": np.array([1, 1, 2, 3], np.float32)}, opset=13)
    x = rnd(1, 2, 3, 4)
    c2 = import_onnx(m)
    assert op_types(c2) == ["ResizeNearest"]
    np.testing.assert_array_equal(c2_run(c2, {"x": x})["y"], x.repeat(2, axis=2).repeat(3, axis=3))


def test_upsample_opset9_nearest():
    m = make_model([helper.make_node("Upsample", ["x", "sc"], ["y"], mode="nearest")], [("x", [1, 2, 3, 4])],
                   [("y", None)], {"sc": np.array([1, 1, 2, 2], np.float32)}, opset=9)
    assert_matches_ort(m, {"x": rnd(1, 2, 3, 4)})


def test_resize_bilinear_align_corners():
    node = helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="linear", coordinate_transformation_mode="align_corners")
    m = make_model([node], [("x", [1, 2, 3, 4])], [("y", None)], {"sz": np.array([1, 2, 6, 8], np.int64)}, opset=13)
    c2 = assert_matches_ort(m, {"x": rnd(1, 2, 3, 4)})
    assert op_types(c2) == ["UpsampleBilinear"]


# ----- names kept through no-ops ------------------------------------------------------------------------------
def test_identity_and_dropout_outputs_keep_their_names():
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Dropout", ["r"], ["d"]),
             helper.make_node("Identity", ["d"], ["out"])]
    m = make_model(nodes, [("x", [2, 3])], [("out", None)], opset=13)
    c2 = assert_matches_ort(m, {"x": rnd(2, 3)})
    assert c2.external_outputs == ["out"] and c2.data_inputs == ["x"]
    assert op_types(c2) == ["Relu", "Copy"]


# ----- further layers torch CNNs export ------------------------------------------------------------------
@pytest.mark.parametrize("attrs", [dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 0]),
                                   dict(strides=[2, 2], group=2)])
def test_conv_transpose(attrs):
    g = attrs.get("group", 1)
    m = make_model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], **attrs)],
                   [("x", [1, 4, 5, 6])], [("y", None)], {"w": rnd(4, 6 // g, 3, 3), "b": rnd(6)})
    assert_matches_ort(m, {"x": rnd(1, 4, 5, 6)})


@pytest.mark.parametrize("slope_shape", [(3, 1, 1), (1,)])
def test_prelu(slope_shape):
    m = make_model([helper.make_node("PRelu", ["x", "s"], ["y"])], [("x", [2, 3, 4, 5])], [("y", None)],
                   {"s": rnd(*slope_shape)})
    assert_matches_ort(m, {"x": rnd(2, 3, 4, 5)})


def test_instance_norm_and_lrn():
    nodes = [helper.make_node("InstanceNormalization", ["x", "s", "b"], ["n"], epsilon=1e-4),
             helper.make_node("LRN", ["n"], ["y"], size=3, alpha=0.01, beta=0.75, bias=2.0)]
    m = make_model(nodes, [("x", [2, 5, 4, 4])], [("y", None)], {"s": rnd(5), "b": rnd(5)})
    assert_matches_ort(m, {"x": rnd(2, 5, 4, 4)})


@pytest.mark.parametrize("opset,split", [(11, [2, 4]), (13, [1, 5]), (13, None), (18, None)])
def test_split(opset, split):
    kw = {"axis": 1}
    ins, inits = ["x"], {}
    if split is not None and opset < 13:
        kw["split"] = split
    elif split is not None:
        ins, inits = ["x", "sp"], {"sp": np.array(split, np.int64)}
    if opset >= 18:
        kw["num_outputs"] = 4  # 7 channels into ceil-sized parts: 2, 2, 2, 1
    c = 7 if opset >= 18 else 6
    outs = [f"y{i}" for i in range(kw.get("num_outputs", 2))]
    m = make_model([helper.make_node("Split", ins, outs, **kw)], [("x", [2, c, 3])], [(o, None) for o in outs],
                   inits, opset=opset)
    assert_matches_ort(m, {"x": rnd(2, c, 3)})


def test_argmax():
    from onnx import TensorProto

    m = make_model([helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0)], [("x", [3, 7])], [])
    m.graph.output.append(helper.make_tensor_value_info("y", TensorProto.INT64, None))
    x = rnd(3, 7)
    np.testing.assert_array_equal(c2_run(import_onnx(m), {"x": x})["y"], x.argmax(1))
