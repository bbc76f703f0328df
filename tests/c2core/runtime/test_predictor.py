"""Predictor behaviour: input forms, validation errors, error messages,
unsupported ops, in-place safety, sub-nets, devices."""

import numpy as np
import pytest
import torch

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error, C2RuntimeError, UnsupportedOpsError
from c2core.model import Model
from c2core.proto import caffe2_pb2
from c2core.runtime import Predictor, unsupported_ops

rng = np.random.default_rng(11)


def conv_net(extra_ops=()):
    b = NetBuilder("n")
    b.inputs("data", "w", "b")
    b.op("Conv", ["data", "w", "b"], "c", kernel=3, pad=1)
    for t in extra_ops:
        b.op(t, "c", "c")
    b.op("Relu", "c", "out")
    b.outputs("out")
    weights = {"w": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "b": np.zeros(4, np.float32)}
    return b.net, weights


def test_unsupported_ops_reported_all_at_once_at_prepare():
    net, weights = conv_net(["FancyOpA", "FancyOpB", "FancyOpA"])
    assert unsupported_ops(net) == ["FancyOpA", "FancyOpB"]
    with pytest.raises(UnsupportedOpsError) as e:
        Predictor(model_from(net, weights))
    assert e.value.ops == ["FancyOpA", "FancyOpB"]
    assert "FancyOpA, FancyOpB" in str(e.value)


def test_unsupported_op_inside_a_sub_net_is_found():
    inner = NetBuilder("then")
    inner.op("NoSuchInnerOp", "x", "y")
    net, weights = conv_net()
    op = net.op.add()
    op.type = "Relu"
    op.input.append("out")
    op.output.append("out2")
    from c2core.builder import make_arg

    op.arg.append(make_arg("then_net", inner.net))
    assert unsupported_ops(net) == ["NoSuchInnerOp"]


def test_input_forms_dict_list_array_and_torch():
    net, weights = conv_net()
    p = Predictor(model_from(net, weights))
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    a = p.run({"data": x})["out"]
    np.testing.assert_array_equal(p.run([x])["out"], a)
    np.testing.assert_array_equal(p.run(x)["out"], a)
    np.testing.assert_array_equal(p.run({"data": torch.from_numpy(x)})["out"], a)
    assert p.inputs == ["data"] and p.outputs == ["out"]


def test_bad_inputs_are_c2errors_with_clear_messages():
    net, weights = conv_net()
    model = model_from(net, weights)
    model.value_info = {"data": (1, [1, 3, 5, 5])}
    p = Predictor(model)
    with pytest.raises(C2Error, match="missing input.*'data'"):
        p.run({})
    with pytest.raises(C2Error, match="unknown input.*'nope'"):
        p.run({"data": np.zeros((1, 3, 5, 5), np.float32), "nope": np.zeros(1)})
    with pytest.raises(C2Error, match=r"shape \[1, 3, 6, 5\], the model expects \[1, 3, 5, 5\]"):
        p.run({"data": np.zeros((1, 3, 6, 5), np.float32)})
    with pytest.raises(C2Error, match="dtype float64, the model expects float32"):
        p.run({"data": np.zeros((1, 3, 5, 5))})
    # any batch size is accepted
    assert p.run({"data": np.zeros((4, 3, 5, 5), np.float32)})["out"].shape == (4, 4, 5, 5)
    with pytest.raises(C2Error, match="cannot fetch unknown blob"):
        p.run({"data": np.zeros((1, 3, 5, 5), np.float32)}, fetch=["zzz"])


def test_structure_only_and_missing_weights():
    net, weights = conv_net()
    with pytest.raises(C2Error, match="no weights"):
        Predictor(Model(predict_net=net))
    del weights["b"]  # only read as Conv's bias: a weight the init net lacks, not data to feed
    model = model_from(net, weights)
    assert model.data_inputs == ["data"] and model.missing_weights == {"b": (0, "Conv")}
    with pytest.raises(C2Error, match=r"^weight 'b' is missing from the init net \(used by op #0 Conv\)$"):
        Predictor(model)
    model.value_info = {"data": (1, [1, 3, 5, 5])}  # value_info names the data; same report
    with pytest.raises(C2Error, match=r"^weight 'b' is missing from the init net \(used by op #0 Conv\)$"):
        Predictor(model)
    del weights["w"]
    weights["spare"] = np.zeros(1, np.float32)  # the init net still creates something
    with pytest.raises(C2Error, match=r"^weights 'w' \(used by op #0 Conv\), 'b' \(used by op #0 Conv\) are missing"):
        Predictor(model_from(net, weights))


def test_missing_weight_rule_leaves_data_in_later_slots_of_other_ops():
    """Sub(m, bias): a later slot of a Math op may be data; an empty init net
    means every external input is fed."""
    from c2core.builder import init_net_from

    b = NetBuilder("later_slot")
    b.inputs("data", "w", "bias", "slope")
    b.op("FC", ["data", "w", "zero_b"], "f")
    b.op("Sub", ["f", "bias"], "s")
    b.op("PRelu", ["s", "slope"], "out")
    b.outputs("out")
    b.net.external_input.append("zero_b")
    m = Model(predict_net=b.net, init_net=init_net_from({"w": np.ones((2, 3), np.float32)}))
    assert m.data_inputs == ["data", "bias"]
    assert m.missing_weights == {"slope": (2, "PRelu"), "zero_b": (0, "FC")}
    empty = Model(predict_net=b.net, init_net=caffe2_pb2.NetDef())
    assert empty.missing_weights == {} and empty.data_inputs == ["data", "w", "bias", "slope", "zero_b"]


def test_runtime_error_names_op_blobs_shapes_dtypes():
    net, weights = conv_net()
    p = Predictor(model_from(net, weights), fold=False)
    with pytest.raises(C2RuntimeError) as e:
        p.run({"data": np.zeros((1, 2, 5, 5), np.float32)})  # 2 channels, weight wants 3
    msg = str(e.value)
    assert msg.startswith("op #0 Conv")
    assert "data [1, 2, 5, 5] float32" in msg and "w [4, 3, 3, 3] float32" in msg and "outputs: c" in msg
    with pytest.raises(C2RuntimeError, match=r"op #0 Conv \(with a fused relu activation\).*data \[1, 2, 5, 5\]"):
        Predictor(model_from(net, weights)).run({"data": np.zeros((1, 2, 5, 5), np.float32)})


def test_op_reading_an_unknown_blob_fails_at_prepare():
    b = NetBuilder("n")
    b.inputs("data")
    b.op("Relu", "ghost", "y")
    b.outputs("y")
    with pytest.raises(C2Error, match="'ghost'"):
        Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef()))


def test_in_place_relu_does_not_clobber_a_view_taken_before():
    b = NetBuilder("v")
    b.inputs("data")
    b.op("Scale", "data", "y", scale=1.0)
    b.op("Reshape", "y", ["r", "old"], shape=[-1])
    b.op("Relu", "y", "y")
    b.op("Relu", "data", "data")  # in place on a fed input: must not touch the caller's array
    b.outputs("y", "r", "data")
    p = Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef()))
    x = rng.standard_normal((2, 3)).astype(np.float32)
    keep = x.copy()
    out = p.run({"data": x})
    np.testing.assert_array_equal(out["r"], keep.reshape(-1))
    np.testing.assert_array_equal(out["y"], np.maximum(keep, 0))
    np.testing.assert_array_equal(x, keep)


def test_in_place_kernel_used_on_owned_buffers():
    net, weights = conv_net(["Relu"])  # Conv -> c; Relu c -> c; Relu c -> out
    p = Predictor(model_from(net, weights))
    kinds = [st[0].__name__ for st in p._plan_for(frozenset(), False).steps]
    assert kinds == ["_conv", "_relu_"]  # first Relu fused; c is dead after the last one
    plan = Predictor(model_from(net, weights), fold=False)._plan_for(frozenset(), False)
    assert [st[0].__name__ for st in plan.steps] == ["_conv", "_relu_", "_relu_"]
    # a fetched blob must keep its value: no buffer reuse for the op that reads it last
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    pf = Predictor(model_from(net, weights), fold=False)
    out = pf.run({"data": x}, fetch=["c"])
    assert [st[0].__name__ for st in pf._plan_for(frozenset({"c"}), False).steps] == ["_conv", "_relu_", "relu"]
    np.testing.assert_array_equal(out["c"], out["out"])  # relu of relu
    w = weights["w"].astype(np.float64)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((1, 4, 5, 5))
    for i in range(5):
        for j in range(5):
            ref[0, :, i, j] = (xp[0, :, i:i + 3, j:j + 3][None] * w).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(out["c"], np.maximum(ref, 0), rtol=1e-4, atol=1e-5)


def test_dead_buffer_reuse_never_touches_blobs_read_later():
    b = NetBuilder("d")
    b.inputs("data")
    b.op("Scale", "data", "a", scale=2.0)
    b.op("Sigmoid", "a", "s")  # a is read again below: no reuse here
    b.op("Add", ["a", "s"], "t")  # a dead after this: reused for t
    b.op("Mul", ["t", "a"], "u")  # ...but a is read here, so the Add must not reuse it
    b.outputs("u")
    p = Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef()))
    x = rng.standard_normal((2, 3)).astype(np.float32)
    a = 2.0 * x.astype(np.float64)
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(p.run({"data": x})["u"], (a + s) * a, rtol=1e-6)
    kinds = [st[0].__name__ for st in p._plan_for(frozenset(), False).steps]
    assert kinds == ["scale", "sigmoid", "add", "mul_"]


def test_threads_are_restored_after_run():
    net, weights = conv_net()
    before = torch.get_num_threads()
    p = Predictor(model_from(net, weights), threads=1)
    p.run(np.zeros((1, 3, 5, 5), np.float32))
    assert torch.get_num_threads() == before


def test_run_subnet_sees_given_and_outer_blobs():
    from c2core.ops.registry import lookup, register

    if lookup("TestCallSubnet") is None:
        def _prep(ctx):
            return ctx.args["body"]

        @register("TestCallSubnet", prepare=_prep)
        def _call(ctx, x):
            res = ctx.run_subnet(ctx.state, {"sub_in": x * 2})
            return res["sub_out"]

    body = NetBuilder("body")
    body.op("Add", ["sub_in", "outer"], "sub_out")
    b = NetBuilder("main")
    b.inputs("data", "outer")
    b.op("TestCallSubnet", "data", "y", body=body.net)
    b.outputs("y")
    p = Predictor(model_from(b.net, {"outer": np.full((2,), 10.0, np.float32)}))
    np.testing.assert_array_equal(p.run({"data": np.array([1.0, 2.0], np.float32)})["y"], [12.0, 14.0])


def test_cuda_request_without_gpu_is_a_c2error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    net, weights = conv_net()
    with pytest.raises(C2Error, match="cuda"):
        Predictor(model_from(net, weights), device="cuda")


@pytest.mark.gpu
def test_cuda_matches_cpu():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from tests.c2core.runtime._nets import resnet_like, squeeze_like

    for build in (resnet_like, squeeze_like):
        model, ref = build()
        x = rng.standard_normal((1, 3, 39, 39)).astype(np.float32) if build is squeeze_like else rng.standard_normal((1, 3, 32, 32)).astype(np.float32)
        name = model.data_inputs[0]
        cpu = Predictor(model).run({name: x})
        gpu = Predictor(model, device="cuda").run({name: x})
        for k in cpu:
            np.testing.assert_allclose(gpu[k], cpu[k], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("op,args", [("Cast", {"to": 1}), ("ChannelShuffle", {"group": 1}), ("PadImage", {"pad": 0}),
                                     ("ResizeNearest", {}), ("Reshape", {"shape": [0, -1]}), ("Dropout", {"is_test": 1})])
def test_ops_that_may_alias_their_input_block_in_place_writes(op, args):
    b = NetBuilder("alias")
    b.inputs("data")
    b.op("Scale", "data", "y", scale=1.0)  # a fresh, owned buffer
    b.op(op, "y", "z", **args)
    b.op("Relu", "y", "y")  # would clobber z if z aliased y
    b.outputs("y", "z")
    p = Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef()))
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    out = p.run({"data": x})
    np.testing.assert_array_equal(out["z"].reshape(x.shape), x)
    np.testing.assert_array_equal(out["y"], np.maximum(x, 0))


def test_netdef_pair_and_list_inputs_in_data_input_order():
    from c2core.builder import init_net_from

    b = NetBuilder("two")
    b.inputs("a", "k", "bias")
    b.op("Mul", ["a", "k"], "m")
    b.op("Sub", ["m", "bias"], "out")
    b.outputs("out")
    init = init_net_from({"k": np.array([2.0], np.float32)})
    p = Predictor(b.net, init)
    assert p.inputs == ["a", "bias"]
    a = np.array([1.0, 2.0], np.float32)
    bias = np.array([0.5, 0.5], np.float32)
    np.testing.assert_array_equal(p.run([a, bias])["out"], a * 2 - bias)
    with pytest.raises(C2Error, match="3 inputs given but the net takes 2"):
        p.run([a, bias, bias])


def test_run_subnet_reads_loop_state_before_rewriting_it():
    from c2core.ops.registry import lookup, register

    if lookup("TestLoopTwice") is None:
        @register("TestLoopTwice", prepare=lambda ctx: ctx.args["body"])
        def _loop(ctx, x):
            blobs = {"acc": x}
            for _ in range(2):
                blobs = ctx.run_subnet(ctx.state, {"acc": blobs["acc"]})
            return blobs["acc"]

    body = NetBuilder("body")
    body.op("Add", ["acc", "step"], "acc")  # reads acc, then rewrites it; step comes from outside
    b = NetBuilder("main")
    b.inputs("data", "step")
    b.op("TestLoopTwice", "data", "y", body=body.net)
    b.outputs("y")
    p = Predictor(model_from(b.net, {"step": np.array([1.5], np.float32)}))
    np.testing.assert_array_equal(p.run({"data": np.zeros(2, np.float32)})["y"], [3.0, 3.0])


def test_if_op_runs_its_sub_net_through_the_runtime():
    from c2core.ops.registry import lookup

    if lookup("If") is None:
        pytest.skip("control-flow ops not present")
    then_net = NetBuilder("then")
    then_net.op("Mul", ["x", "two"], "y")
    else_net = NetBuilder("else")
    else_net.op("Sub", ["x", "two"], "y")
    b = NetBuilder("main")
    b.inputs("cond", "x", "two")
    b.op("If", ["cond", "x"], ["y"], then_net=then_net.net, else_net=else_net.net)
    b.outputs("y")
    p = Predictor(model_from(b.net, {"two": np.array([2.0], np.float32)}))
    x = np.array([1.0, 3.0], np.float32)
    np.testing.assert_array_equal(p.run({"cond": np.array([True]), "x": x})["y"], x * 2)
    np.testing.assert_array_equal(p.run({"cond": np.array([False]), "x": x})["y"], x - 2)


def test_filter_of_wrong_rank_is_named_not_a_bare_keyerror():
    """An init net that fills the Conv filter twice (the last fill wins, as in Caffe2) with a 2-D
    array: the error named nothing ('op #0 Conv: cannot prepare: 0')."""
    from c2core.builder import NetBuilder, init_net_from, model_from
    from c2core.errors import C2Error
    from c2core.runtime import Predictor

    b = NetBuilder("twice")
    b.op("Conv", ["data", "cw"], "c", kernel=3)
    b.inputs("data", "cw").outputs("c")
    m = model_from(b.net, {})
    init = init_net_from({"cw": np.ones((4, 3, 3, 3), np.float32)})
    init.op.extend(init_net_from({"cw": np.ones((2, 2), np.float32)}).op)
    m.init_net = init
    m._specs = m._weights = None
    with pytest.raises(C2Error, match=r"op #0 Conv: filter 'cw' has shape \[2, 2\]: a convolution needs a filter of rank 3"):
        Predictor(m).run({"data": np.zeros((1, 3, 8, 8), np.float32)})
