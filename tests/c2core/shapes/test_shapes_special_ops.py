"""Int8 (NHWC, uint8), detection (data-dependent box counts -> -1) and control-flow rules."""

from c2core.builder import NetBuilder
from shapes_helpers import infer_one, infer_shapes, model_of, shape1


def test_int8_conv_defaults_to_nhwc_uint8():
    # no `order` argument: the schema default for Int8 ops is NHWC, filter [M, kH, kW, C]
    out = infer_one("Int8Conv", ["X", "W", "b"], ["Y"], {"X": (1, 8, 8, 3)}, {"W": (4, 3, 3, 3), "b": (4,)},
                    {"X": "uint8", "W": "uint8", "b": "int32"}, kernel=3, Y_scale=0.1, Y_zero_point=128)[0]
    assert out.shape == (1, 6, 6, 4) and out.dtype == "uint8"


def test_int8_quantize_chain():
    b = NetBuilder("q")
    b.op("Int8Quantize", ["x"], ["q"], Y_scale=0.05, Y_zero_point=0)
    b.op("Int8ConvRelu", ["q", "W", "bias"], ["c"], kernel=1, Y_scale=0.05, Y_zero_point=0)
    b.op("Int8AveragePool", ["c"], ["p"], global_pooling=1, Y_scale=0.05, Y_zero_point=0)
    b.op("Int8FC", ["p", "fw", "fb"], ["f"], Y_scale=0.05, Y_zero_point=0)
    b.op("Int8Dequantize", ["f"], ["y"])
    m = model_of(b.net, {"W": (8, 1, 1, 3), "bias": (8,), "fw": (10, 8), "fb": (10,)},
                 {"W": "uint8", "bias": "int32", "fw": "uint8", "fb": "int32"})
    infos = infer_shapes(m, {"x": (2, 5, 5, 3)})
    assert (infos["q"].shape, infos["q"].dtype) == ((2, 5, 5, 3), "uint8")
    assert (infos["c"].shape, infos["c"].dtype) == ((2, 5, 5, 8), "uint8")
    assert infos["p"].shape == (2, 1, 1, 8)
    assert (infos["f"].shape, infos["f"].dtype) == ((2, 10), "uint8")
    assert (infos["y"].shape, infos["y"].dtype) == ((2, 10), "float32")


def test_int8_sum_concat_reshape():
    assert shape1("Int8Sum", ["a", "b"], {"a": (1, 4, 4, 8), "b": (1, 4, 4, 8)}) == (1, 4, 4, 8)
    assert shape1("Int8Concat", ["a", "b"], {"a": (1, 4, 4, 8), "b": (1, 4, 4, 2)}, axis=3) == (1, 4, 4, 10)
    assert shape1("Int8Reshape", ["a"], {"a": (1, 4, 4, 8)}, shape=[1, -1]) == (1, 128)


def test_roi_align_and_pool():
    out = shape1("RoIAlign", ["X", "R"], {"X": (1, 256, 50, 60), "R": (10, 5)}, pooled_h=7, pooled_w=7, spatial_scale=0.0625)
    assert out == (10, 256, 7, 7)
    out = shape1("RoIAlign", ["X", "R"], {"X": (1, 50, 60, 256), "R": (10, 5)}, pooled_h=14, pooled_w=14, order="NHWC")
    assert out == (10, 14, 14, 256)


def test_proposals_and_nms_have_data_dependent_counts():
    outs = infer_one("GenerateProposals", ["s", "d", "im", "a"], ["rois", "probs"],
                     {"s": (1, 15, 50, 60), "d": (1, 60, 50, 60), "im": (1, 3)}, {"a": (15, 4)})
    assert outs[0].shape == (-1, 5) and outs[1].shape == (-1,)
    assert not outs[0].known and outs[0].numel is None
    outs = infer_one("BBoxTransform", ["r", "d", "im"], ["boxes", "splits"], {"r": (10, 5), "d": (10, 324), "im": (1, 3)})
    assert outs[0].shape == (10, 324) and outs[1].shape == (1,)
    outs = infer_one("BoxWithNMSLimit", ["s", "b", "sp"], ["sc", "bx", "cl", "bs", "k", "ks"],
                     {"s": (10, 81), "b": (10, 324), "sp": (1,)})
    assert [o.shape for o in outs] == [(-1,), (-1, 4), (-1,), (1,), (-1,), (1, 81)]


def _branch(op_type, out, **args):
    n = NetBuilder("branch")
    n.op(op_type, ["x"], [out], **args)
    return n.net


def test_if_known_only_when_branches_agree():
    b = NetBuilder("ctl")
    b.op("If", ["cond", "x"], ["y"], then_net=_branch("Relu", "y"), else_net=_branch("Sigmoid", "y"))
    b.op("If", ["cond", "x"], ["z"], then_net=_branch("Relu", "z"), else_net=_branch("FlattenToVec", "z"))
    m = model_of(b.net)
    infos = infer_shapes(m, {"x": (2, 3), "cond": ()}, {"cond": "bool"})
    assert infos["y"].shape == (2, 3)
    assert infos["z"].shape is None and infos["z"].dtype == "float32"


def test_while_needs_a_loop_invariant_shape():
    b = NetBuilder("loop")
    b.op("While", ["cond", "x"], ["x"], loop_net=_branch("Relu", "x"))
    b.op("While", ["cond", "x"], ["x2"], loop_net=_branch("FlattenToVec", "x2"))
    infos = infer_shapes(model_of(b.net), {"x": (2, 3), "cond": ()}, {"cond": "bool"})
    assert infos["x"].shape == (2, 3)
    assert infos["x2"].shape is None


def test_control_flow_optional_and_missing_subnets():
    b = NetBuilder("ctl")
    # no else_net: the else path keeps the value before the op, which Relu agrees with
    b.op("If", ["cond", "x"], ["x"], then_net=_branch("Relu", "x"))
    b.op("Copy", ["x"], ["kept"])
    # the cond_net runs after the body: a cond_net that reshapes the blob breaks the invariant
    b.op("While", ["cond", "x"], ["x"], loop_net=_branch("Relu", "x"), cond_net=_branch("FlattenToVec", "x"))
    b.op("If", ["cond", "x"], ["w"])  # no then_net: the output cannot be known
    infos = infer_shapes(model_of(b.net), {"x": (2, 3), "cond": ()}, {"cond": "bool"})
    assert infos["kept"].shape == (2, 3)
    assert infos["x"].shape is None
    assert infos["w"].shape is None
