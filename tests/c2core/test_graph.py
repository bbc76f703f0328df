"""Graph: versioned blobs, producers/consumers, weights vs data, sub-nets, in-place chains."""

import time

import numpy as np
import pytest
from google.protobuf import text_format

from c2core.builder import NetBuilder, model_from
from c2core.graph import Graph
from c2core.io import open_model
from c2core.proto import caffe2_pb2

CORPUS_OPS = {"bvlc_alexnet": 23, "densenet121": 668, "inception_v1": 142, "resnet50": 175, "vgg19": 45}


def conv_bn_relu_model():
    """data -> Conv -> SpatialBN(in place) -> Relu(in place) -> {FC, Sum(x, x)}."""
    b = NetBuilder("cbr")
    b.op("Conv", ["data", "w", "bias"], "x", kernel=1)                    # 0 writes x:1
    b.op("SpatialBN", ["x", "s", "sb", "m", "v"], "x", is_test=1)        # 1 x:1 -> x:2
    b.op("Relu", "x", "x")                                                # 2 x:2 -> x:3
    b.op("FC", ["x", "fw", "fb"], "y")                                    # 3 reads x:3
    b.op("Sum", ["x", "x"], "x")                                          # 4 x:3 -> x:4 (x:3 has 2 readers)
    b.inputs("data", "w", "bias", "s", "sb", "m", "v", "fw", "fb").outputs("x", "y")
    weights = {k: np.ones(2, np.float32) for k in ("w", "bias", "s", "sb", "m", "v", "fw", "fb")}
    return model_from(b.net, weights)


def test_versions_producers_consumers():
    g = Graph(conv_bn_relu_model())
    n = g.nodes
    assert [x.type for x in n] == ["Conv", "SpatialBN", "Relu", "FC", "Sum"]
    assert n[0].inputs[0] == ("data", 0) and n[0].outputs == (("x", 1),)
    assert n[1].inputs[0] == ("x", 1) and n[1].outputs == (("x", 2),)
    assert n[2].inputs == (("x", 2),) and n[2].outputs == (("x", 3),)
    assert n[4].inputs == (("x", 3), ("x", 3)) and n[4].outputs == (("x", 4),)
    assert g.producer(("x", 3)) == 2 and g.producer(("data", 0)) is None
    assert g.consumers(("x", 3)) == [3, 4]  # Sum reading x twice counts once
    assert g.consumers(("w", 0)) == [0]
    assert g.latest_version("x") == 4 and g.output_ref("x") == ("x", 4) and g.output_ref("y") == ("y", 1)
    assert g.versions("x") == [("x", 1), ("x", 2), ("x", 3), ("x", 4)]
    assert [x.in_place for x in n] == [False, True, True, False, True]
    assert n[0].label == "Conv (op#0)"
    assert g.parents(4) == [2] and g.children(2) == [3, 4]
    assert (2, 3, ("x", 3)) in g.op_edges() and len(g.op_edges()) == 5


def test_weights_and_data_inputs():
    g = Graph(conv_bn_relu_model())
    assert g.data_inputs == ["data"]
    assert g.is_data_input("data") and not g.is_weight("data")
    assert g.is_weight("w") and g.is_weight("fb") and not g.is_data_input("w")
    assert not g.is_weight("x")
    assert g.undefined_inputs() == []


def test_netdef_alone_and_init_precreated_data():
    m = conv_bn_relu_model()
    g = Graph(m.predict_net)
    assert g.data_inputs == ["data"] and g.is_weight("fw")
    # an init net that also fills the data blob: it is still the data input
    b = NetBuilder("p")
    b.op("Relu", "data", "out")
    b.inputs("data").outputs("out")
    m2 = model_from(b.net, {"data": np.zeros((1, 3, 4, 4), np.float32)})
    g2 = Graph(m2)
    assert g2.data_inputs == ["data"] and not g2.is_weight("data")


def test_in_place_chains_fold_conv_bn_relu_but_not_branches():
    g = Graph(conv_bn_relu_model())
    # x:3 is read by FC and Sum, so Relu -> Sum is not folded (it would hide the FC branch)
    assert g.chains() == [(0, 1, 2), (3,), (4,)]
    assert g.chain_of()[1] == (0, 1, 2)


def test_chains_on_resnet50_corpus(corpus_dir):
    g = Graph(open_model(str(corpus_dir / "resnet50")))
    chains = g.chains()
    assert sorted(i for c in chains for i in c) == list(range(175))
    relu = [n.index for n in g.nodes if n.type == "Relu"]
    assert len(relu) == 49
    # every Relu in ResNet-50 is in place on a SpatialBN (or residual Sum, itself
    # in place on a SpatialBN output) read only by it
    kinds = {}
    for c in chains:
        if len(c) > 1:
            t = tuple(g.nodes[i].type for i in c)
            kinds[t] = kinds.get(t, 0) + 1
    assert kinds == {("SpatialBN", "Relu"): 33, ("SpatialBN", "Sum", "Relu"): 16}


def test_subnets_if_while_and_recurrent_step_net_text():
    then_b = NetBuilder("then")
    then_b.op("Relu", "x", "y")
    else_b = NetBuilder("else")
    else_b.op("Sigmoid", "x", "y")
    loop_b = NetBuilder("loop")
    loop_b.op("Add", ["i", "one"], "i")
    step = NetBuilder("step")
    step.op("FC", ["h_prev", "W", "b"], "h")
    step_text = text_format.MessageToString(step.net)

    b = NetBuilder("outer")
    b.op("If", ["cond", "x"], "y", then_net=then_b.net, else_net=else_b.net)
    b.op("While", ["c2"], [], loop_net=loop_b.net)
    b.op("RecurrentNetwork", ["seq", "h0"], ["h_all"], step_net=step_text)
    b.op("RecurrentNetwork", ["seq"], ["z"], step_net="this is { not a net")
    b.op("Plan", ["x"], ["q"], nets=[then_b.net, else_b.net])
    b.inputs("cond", "x", "c2", "seq", "h0")
    g = Graph(b.net)
    s0 = g.subnets(0)
    assert [(s.arg, s.position) for s in s0] == [("then_net", 0), ("else_net", 0)]
    assert s0[0].net.op[0].type == "Relu" and s0[1].net.op[0].type == "Sigmoid"
    assert [s.arg for s in g.subnets(1)] == ["loop_net"]
    rnn = g.subnets(2)
    assert len(rnn) == 1 and rnn[0].arg == "step_net" and rnn[0].net.op[0].type == "FC"
    assert g.subnets(3) == [] and any("step_net" in w and "op #3" in w for w in g.warnings)
    assert [(s.arg, s.position) for s in g.subnets(4)] == [("nets", 0), ("nets", 1)]
    assert sorted(g.all_subnets()) == [0, 1, 2, 4]
    sub = g.subgraph(2, "step_net")
    assert len(sub) == 1 and sub.nodes[0].inputs == (("h_prev", 0), ("W", 0), ("b", 0))
    with pytest.raises(KeyError):
        g.subgraph(0, "nope")


def _chain_net(n_ops):
    net = caffe2_pb2.NetDef()
    net.external_input.append("data")
    prev = "data"
    for i in range(n_ops // 2):
        c = net.op.add(type="Conv", input=[prev, f"w{i}"], output=[f"c{i}"])
        net.op.add(type="Relu", input=[c.output[0]], output=[c.output[0]])
        net.external_input.append(f"w{i}")
        prev = c.output[0]
    return net


@pytest.mark.perf  # asserts wall-clock time
def test_5000_op_net_is_fast():
    net = _chain_net(5000)
    t = time.perf_counter()
    g = Graph(net)
    chains = g.chains()
    edges = g.op_edges()
    elapsed = time.perf_counter() - t
    assert len(g) == 5000 and len(chains) == 2500 and len(edges) == 4999
    assert elapsed < 1.0, f"{elapsed:.2f} s for a 5,000-op net"


def test_corpus_op_counts(corpus_dir):
    for name, n in CORPUS_OPS.items():
        g = Graph(open_model(str(corpus_dir / name)))
        assert len(g) == n, name
        assert g.undefined_inputs() == []


def test_inferred_shapes_on_corpus_by_hand(corpus_dir):
    pytest.importorskip("c2core.shapes")
    # AlexNet: conv1 k11 s4 p0 on 224 -> (224 - 11) / 4 + 1 = 54; pool1 k3 s2 -> (54 - 3) / 2 + 1 = 26
    g = Graph(open_model(str(corpus_dir / "bvlc_alexnet")))
    s = g.infer_shapes()
    assert s[("data", 0)].shape == (1, 3, 224, 224)
    assert s[("conv1", 1)].shape[2:] == (54, 54)
    assert s[("conv1", 2)].shape[2:] == (54, 54)  # in-place Relu: the same shape, a new version
    pool1 = next(n for n in g.nodes if n.type == "MaxPool")
    assert s[pool1.outputs[0]].shape[2:] == (26, 26)
    # ResNet-50: conv1 k7 s2 p3 -> (224 + 6 - 7) // 2 + 1 = 112; MaxPool k3 s2 -> 56 (Caffe2 floor)
    g = Graph(open_model(str(corpus_dir / "resnet50")))
    s = g.infer_shapes()
    assert s[("gpu_0/conv1", 1)].shape[2:] == (112, 112)
    assert s[("gpu_0/pool1", 1)].shape[2:] == (56, 56)
    # VGG-19: 3x3 p1 convs keep 224; five 2x2 s2 pools -> 7
    g = Graph(open_model(str(corpus_dir / "vgg19")))
    s = g.infer_shapes()
    assert s[("conv1_1", 1)].shape[2:] == (224, 224)
    pools = [n for n in g.nodes if n.type == "MaxPool"]
    assert [s[p.outputs[0]].shape[2] for p in pools] == [112, 56, 28, 14, 7]
