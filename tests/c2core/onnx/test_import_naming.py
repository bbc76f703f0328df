"""Readable blob names on import (c2core/onnx/importer/naming.py): the rules on graphs named the
way torch's exporter names them, uniqueness, determinism, kept graph inputs/outputs, weights
named after their consumer, and executor outputs identical between names="readable" and "keep"."""

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from c2core.errors import C2Error
from c2core.onnx.importer import import_onnx
from tests.c2core.onnx.import_helpers import c2_run, make_model

R = np.random.default_rng(1)


def rnd(*shape):
    return R.standard_normal(shape).astype(np.float32)


def node(op, ins, outs, name, **attrs):
    return helper.make_node(op, ins, outs, name=name, **attrs)


def torch_style_model():
    """A tiny net named like torch.onnx.export names things: module paths, onnx::Conv_N weights,
    a Pad folded into its Conv, a block whose forward runs a Clip and an Add next to its convs."""
    nodes = [
        node("Pad", ["data", "/_stem/pads"], ["/_stem/Pad_output_0"], "/_stem/Pad", mode="constant"),
        node("Conv", ["/_stem/Pad_output_0", "onnx::Conv_7", "onnx::Conv_8"], ["/_stem/Conv_output_0"], "/_stem/Conv",
             kernel_shape=[3, 3], strides=[2, 2]),
        node("Clip", ["/_stem/Conv_output_0", "/Constant_output_0", "/Constant_1_output_0"], ["/Clip_output_0"], "/Clip"),
        node("Conv", ["/Clip_output_0", "onnx::Conv_10", "onnx::Conv_11"], ["/_blocks.0/_conv/Conv_output_0"],
             "/_blocks.0/_conv/Conv", kernel_shape=[1, 1]),
        node("BatchNormalization", ["/_blocks.0/_conv/Conv_output_0", "_blocks.0._bn.weight", "_blocks.0._bn.bias",
                                    "_blocks.0._bn.running_mean", "_blocks.0._bn.running_var"],
             ["/_blocks.0/_bn/BatchNormalization_output_0"], "/_blocks.0/_bn/BatchNormalization", epsilon=1e-3),
        node("Clip", ["/_blocks.0/_bn/BatchNormalization_output_0", "/Constant_output_0", "/Constant_1_output_0"],
             ["/_blocks.0/Clip_output_0"], "/_blocks.0/Clip"),
        node("Add", ["/Clip_output_0", "/_blocks.0/Clip_output_0"], ["/_blocks.0/Add_output_0"], "/_blocks.0/Add"),
        node("Reshape", ["/_blocks.0/Add_output_0", "/Constant_2_output_0"], ["/Reshape_output_0"], "/Reshape"),
        node("Gemm", ["/Reshape_output_0", "_fc.weight", "_fc.bias"], ["logits"], "/_fc/Gemm", transB=1),
    ]
    inits = {
        "/_stem/pads": np.array([0, 0, 0, 0, 0, 0, 1, 1], np.int64),
        "onnx::Conv_7": rnd(4, 3, 3, 3), "onnx::Conv_8": rnd(4),
        "/Constant_output_0": np.array(0.0, np.float32), "/Constant_1_output_0": np.array(6.0, np.float32),
        "onnx::Conv_10": rnd(4, 4, 1, 1), "onnx::Conv_11": rnd(4),
        "_blocks.0._bn.weight": rnd(4), "_blocks.0._bn.bias": rnd(4), "_blocks.0._bn.running_mean": rnd(4),
        "_blocks.0._bn.running_var": np.abs(rnd(4)) + 0.5,
        "/Constant_2_output_0": np.array([1, -1], np.int64),
        "_fc.weight": rnd(5, 4 * 4 * 4), "_fc.bias": rnd(5),
    }
    return make_model(nodes, [("data", [1, 3, 8, 8])], [("logits", [1, 5])], inits, opset=13)


def ops_of(m):
    return [(op.type, list(op.input), list(op.output)) for op in m.predict_net.op]


def test_torch_style_names_become_caffe2_style():
    m = import_onnx(torch_style_model())
    assert ops_of(m) == [
        ("Conv", ["data", "stem_w", "stem_b"], ["stem"]),  # the folded Pad does not count: Conv names _stem
        ("Clip", ["stem"], ["clip"]),  # top level: the op type stays
        ("Conv", ["clip", "blocks_0_conv_w", "blocks_0_conv_b"], ["blocks_0_conv"]),
        ("SpatialBN", ["blocks_0_conv", "blocks_0_bn_s", "blocks_0_bn_b", "blocks_0_bn_rm", "blocks_0_bn_riv"],
         ["blocks_0_bn"]),
        ("Clip", ["blocks_0_bn"], ["blocks_0_clip"]),  # _blocks.0 runs more than this Clip
        ("Add", ["clip", "blocks_0_clip"], ["blocks_0_add"]),
        ("Reshape", ["blocks_0_add"], ["reshape", "reshape_old_shape"]),  # the second output follows
        ("FC", ["reshape", "fc_w", "fc_b"], ["logits"]),  # graph output kept; weights after the node, not 'logits'
    ]
    assert list(m.predict_net.external_input) == ["data"] + list(m.weights)
    assert list(m.predict_net.external_output) == ["logits"]
    assert sorted(m.weights) == sorted(["stem_w", "stem_b", "blocks_0_conv_w", "blocks_0_conv_b", "blocks_0_bn_s",
                                        "blocks_0_bn_b", "blocks_0_bn_rm", "blocks_0_bn_riv", "fc_w", "fc_b"])


def test_weights_keep_their_values_under_new_names():
    src = torch_style_model()
    inits = {t.name: numpy_helper.to_array(t) for t in src.graph.initializer}
    w = import_onnx(src).weight_arrays()
    np.testing.assert_array_equal(w["stem_w"], inits["onnx::Conv_7"])
    np.testing.assert_array_equal(w["blocks_0_bn_riv"], inits["_blocks.0._bn.running_var"])
    np.testing.assert_array_equal(w["fc_w"], inits["_fc.weight"])


def test_keep_preserves_every_onnx_name():
    m = import_onnx(torch_style_model(), names="keep")
    conv = m.predict_net.op[0]
    assert list(conv.input) == ["data", "onnx::Conv_7", "onnx::Conv_8"]
    assert list(conv.output) == ["/_stem/Conv_output_0"]
    assert "_fc.weight" in m.weights


def test_readable_and_keep_compute_the_same_numbers():
    src = torch_style_model()
    x = rnd(1, 3, 8, 8)
    a = c2_run(import_onnx(src), {"data": x})["logits"]
    b = c2_run(import_onnx(src, names="keep"), {"data": x})["logits"]
    np.testing.assert_array_equal(a, b)  # same ops, same weights: bit for bit


def test_names_are_unique_and_deterministic():
    """Two nodes with the same name, an unnamed node writing 'onnx::'-style blobs, a Split."""
    nodes = [
        node("Relu", ["x"], ["a"], "conv"), node("Sigmoid", ["a"], ["b"], "conv"),
        helper.make_node("Tanh", ["b"], ["onnx::Tanh_3"]), helper.make_node("Tanh", ["onnx::Tanh_3"], ["17"]),
        node("Split", ["17", "sizes"], ["s0", "s1"], "/body/Split", axis=1),
        node("Concat", ["s1", "s0"], ["/body/Concat_output_0"], "/body/Concat", axis=1),
        node("Add", ["/body/Concat_output_0", "conv_2"], ["y"], "/body/Add"),  # initializer named like a label
    ]
    m = make_model(nodes, [("x", [2, 4])], [("y", None)], {"sizes": np.array([1, 3], np.int64), "conv_2": rnd(4)},
                   opset=13)
    c2 = import_onnx(m)
    assert ops_of(c2) == [
        ("Relu", ["x"], ["conv"]), ("Sigmoid", ["conv"], ["conv_2"]),
        ("Tanh", ["conv_2"], ["tanh_1"]), ("Tanh", ["tanh_1"], ["tanh_2"]),  # no usable name: <op>_<n>
        ("Split", ["tanh_2"], ["body_split_0", "body_split_1"]),
        ("Concat", ["body_split_1", "body_split_0"], ["body_concat", "body_concat_split_info"]),
        ("Add", ["body_concat", "body_add_b"], ["y"]),
    ]
    blobs = [b for op in c2.predict_net.op for b in op.output] + list(c2.predict_net.external_input)
    assert len(blobs) == len(set(blobs))
    again = import_onnx(m)
    assert again.predict_net.SerializeToString() == c2.predict_net.SerializeToString()
    assert again.init_net.SerializeToString() == c2.init_net.SerializeToString()


def test_graph_inputs_and_outputs_are_kept_exactly():
    """Odd external names stay as they are, an initializer listed as a graph input too, and a
    graph output that is also read by a later op."""
    nodes = [node("Mul", ["input.1", "scale:0"], ["/Mul_output_0"], "/Mul"),
             node("Relu", ["/Mul_output_0"], ["out/relu:0"], "/Relu"),
             node("Neg", ["out/relu:0"], ["Out 2"], "/Neg")]
    g = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("scale:0", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("out/relu:0", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("Out 2", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.array([1.0, 2.0, 3.0], np.float32), "scale:0")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    c2 = import_onnx(m)
    assert ops_of(c2) == [("Mul", ["input.1", "scale:0"], ["mul"]), ("Relu", ["mul"], ["out/relu:0"]),
                          ("Negative", ["out/relu:0"], ["Out 2"])]
    assert list(c2.predict_net.external_output) == ["out/relu:0", "Out 2"]
    assert c2.data_inputs == ["input.1"] and "scale:0" in c2.weights
    x = rnd(2, 3)
    got = c2_run(c2, {"input.1": x})
    np.testing.assert_allclose(got["Out 2"], -np.maximum(x * [1, 2, 3], 0), rtol=1e-6)


def test_nested_torch_scopes_are_not_repeated():
    """torch writes a Sequential child as '/layer1/layer1.0/conv1/Conv': the name is layer1_0_conv1."""
    nodes = [node("Conv", ["x", "w"], ["/layer1/layer1.0/conv1/Conv_output_0"], "/layer1/layer1.0/conv1/Conv",
                  kernel_shape=[1, 1]),
             node("Relu", ["/layer1/layer1.0/conv1/Conv_output_0"], ["/layer1/layer1.0/relu/Relu_output_0"],
                  "/layer1/layer1.0/relu/Relu"),
             node("Conv", ["/layer1/layer1.0/relu/Relu_output_0", "w2"], ["y"],
                  "/layer1/layer1.0/downsample/downsample.0/Conv", kernel_shape=[1, 1])]
    m = make_model(nodes, [("x", [1, 2, 3, 3])], [("y", None)], {"w": rnd(2, 2, 1, 1), "w2": rnd(2, 2, 1, 1)})
    assert ops_of(import_onnx(m)) == [
        ("Conv", ["x", "layer1_0_conv1_w"], ["layer1_0_conv1"]),
        ("Relu", ["layer1_0_conv1"], ["layer1_0_relu"]),
        ("Conv", ["layer1_0_relu", "layer1_0_downsample_0_w"], ["y"]),
    ]


def test_unknown_naming_mode_is_refused():
    with pytest.raises(C2Error, match="names must be one of"):
        import_onnx(torch_style_model(), names="pretty")


def test_efficientnet_export_gets_caffe2_style_names():
    """The zoo's default model as torch exports it: names and logits against names='keep'."""
    from tests.c2core.onnx.import_helpers import efficientnet_onnx

    src = efficientnet_onnx()
    a, b = import_onnx(src), import_onnx(src, names="keep")
    first = ops_of(a)[:5]
    assert first == [
        ("Conv", ["data", "conv_stem_w", "conv_stem_b"], ["conv_stem"]),
        ("Clip", ["conv_stem"], ["clip"]),
        ("Conv", ["clip", "blocks_0_depthwise_conv_w", "blocks_0_depthwise_conv_b"], ["blocks_0_depthwise_conv"]),
        ("Clip", ["blocks_0_depthwise_conv"], ["blocks_0_clip"]),
        ("Conv", ["blocks_0_clip", "blocks_0_project_conv_w", "blocks_0_project_conv_b"], ["blocks_0_project_conv"]),
    ]
    assert ops_of(a)[-1] == ("FC", ["flatten", "fc_w", "fc_b"], ["logits"])
    assert not [n for n in a.weights if "onnx::" in n or "/" in n]
    x = rnd(1, 3, 224, 224)
    np.testing.assert_array_equal(c2_run(a, {"data": x})["logits"], c2_run(b, {"data": x})["logits"])
