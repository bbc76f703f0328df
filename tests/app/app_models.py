"""Small synthetic Caffe2 models for the app tests, with NumPy references."""

from __future__ import annotations

import numpy as np

from c2core.builder import NetBuilder, model_from
from c2core.io.save import save_model

RNG = np.random.default_rng(0)
CONV_W = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.5
CONV_B = RNG.standard_normal(4).astype(np.float32) * 0.1
FC_W = RNG.standard_normal((10, 4)).astype(np.float32)
FC_B = RNG.standard_normal(10).astype(np.float32) * 0.1


def _conv_pool_fc(name, fc_w, fc_b):
    """data(1,3,H,W) -> Conv 3x3 s2 -> Relu (in place) -> global AveragePool -> FC -> Softmax."""
    b = NetBuilder(name)
    b.inputs("data", "conv_w", "conv_b", "fc_w", "fc_b").outputs("prob")
    b.op("Conv", ["data", "conv_w", "conv_b"], "conv1", name="conv1", kernel=3, stride=2)
    b.op("Relu", "conv1", "conv1", name="relu1")
    b.op("AveragePool", "conv1", "pool1", global_pooling=1)
    b.op("FC", ["pool1", "fc_w", "fc_b"], "fc")
    b.op("Softmax", "fc", "prob")
    return model_from(b.net, {"conv_w": CONV_W, "conv_b": CONV_B, "fc_w": fc_w, "fc_b": fc_b})


def tiny_cnn():
    """The 10-class tiny CNN (see _conv_pool_fc)."""
    return _conv_pool_fc("tiny_cnn", FC_W, FC_B)


def write_tiny_cnn(folder, size: int = 224) -> str:
    m = tiny_cnn()
    save_model(m, str(folder))
    (folder / "value_info.json").write_text(f'{{"data": [1, [1, 3, {size}, {size}]]}}')
    return str(folder)


def tiny_cnn_reference(x: np.ndarray) -> np.ndarray:
    """Caffe2 semantics in NumPy: NCHW conv (no pad, stride 2), relu, mean, FC (X·Wᵀ+b), softmax."""
    x = x.astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))[:, :, ::2, ::2]  # N,C,OH,OW,3,3
    y = np.einsum("nchwij,ocij->nohw", win, CONV_W.astype(np.float64)) + CONV_B[None, :, None, None]
    y = np.maximum(y, 0)
    p = y.mean(axis=(2, 3))
    f = p @ FC_W.T.astype(np.float64) + FC_B
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def chain_net(n_ops: int, name: str = "chain"):
    """A structure-only net of `n_ops` ops: Relu chain with an Add skip every 10 ops."""
    b = NetBuilder(name)
    b.inputs("x")
    prev = "x"
    for i in range(n_ops):
        if i % 10 == 5 and i >= 3:
            b.op("Add", [prev, f"b{i - 3}"], f"b{i}")
        else:
            b.op("Relu", prev, f"b{i}")
        prev = f"b{i}"
    b.outputs(prev)
    return model_from(b.net, {})


def long_chain_with_shape(n_ops: int = 3000):
    """A Relu/Add chain with a declared input shape: slow enough to export to cancel mid-way."""
    m = chain_net(n_ops, "long_chain")
    m.value_info = {"x": (1, [1, 8, 16, 16])}
    m.weightless = True  # it reads no parameters: runnable (and verifiable) without an init net
    return m


def long_chain_with_weight(n_ops: int = 3000, weight_values: int = 4_000_000):
    """long_chain_with_shape plus a multi-megabyte weight: every conversion has work left to cancel."""
    b = long_chain_with_shape(n_ops).predict_net
    # several arrays, not one: each fill is one long C call, and the GUI needs the GIL between them
    parts = 8
    m = model_from(b, {f"big_w{k}": np.linspace(-1, 1, weight_values // parts, dtype=np.float32) for k in range(parts)})
    m.value_info = {"x": (1, [1, 8, 16, 16])}
    return m


FC3_W = RNG.standard_normal((3, 4)).astype(np.float32) * 2.0
FC3_B = np.array([0.1, -0.2, 0.05], dtype=np.float32)
LIGHT_LABELS = ["red light", "yellow light", "green light"]


def tiny3():
    """tiny_cnn's body with a 3-class head (a traffic-light classifier's shape)."""
    return _conv_pool_fc("tiny_lights", FC3_W, FC3_B)


def write_tiny3(folder, value_info: bool = False) -> str:
    """The 3-class model with its own labels.txt named by model.json (no value_info.json unless asked)."""
    save_model(tiny3(), str(folder))
    (folder / "labels.txt").write_text("\n".join(LIGHT_LABELS) + "\n")
    (folder / "model.json").write_text('{"labels": "labels.txt", "preprocessing": "torchvision"}')
    if value_info:
        (folder / "value_info.json").write_text('{"data": [1, [1, 3, 224, 224]]}')
    return str(folder)


def tiny3_reference(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    y = np.maximum(np.einsum("nchwij,ocij->nohw", win, CONV_W.astype(np.float64)) + CONV_B[None, :, None, None], 0)
    f = y.mean(axis=(2, 3)) @ FC3_W.T.astype(np.float64) + FC3_B
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write_feature_map_model(folder) -> str:
    """data -> Conv 3x3 -> Relu: a 4-D feature map output, not a class vector."""
    b = NetBuilder("feature_map")
    b.inputs("data", "conv_w", "conv_b").outputs("conv1")
    b.op("Conv", ["data", "conv_w", "conv_b"], "conv1", kernel=3, stride=2)
    b.op("Relu", "conv1", "conv1")
    save_model(model_from(b.net, {"conv_w": CONV_W, "conv_b": CONV_B}), str(folder))
    return str(folder)


def write_control_net(folder) -> str:
    """op0 Relu(data)->x; op1 If(c) then: Relu(x)->y, Sigmoid(y)->y / else: Tanh(x)->y; op2 While(loop: Add(y, one)->y
    with a nested If, cond: LT(y, ten)->c). Structure only, saved as a predict net."""
    from c2core.io.save import save_net

    def net(name, *ops):
        nb = NetBuilder(name)
        for t, i, o in ops:
            nb.op(t, i, o)
        return nb.net

    then_net = net("then", ("Relu", "x", "y"), ("Sigmoid", "y", "y"))
    else_net = net("else", ("Tanh", "x", "y"))
    lb = NetBuilder("loop")
    lb.op("Add", ["y", "one"], "y")
    lb.op("If", "c", "y", then_net=net("inner_then", ("Abs", "y", "y")))
    b = NetBuilder("control")
    b.op("Relu", "data", "x")
    b.op("If", ["c"], ["y"], then_net=then_net, else_net=else_net)
    b.op("While", ["c", "y"], ["y"], loop_net=lb.net, cond_net=net("cond", ("LT", ["y", "ten"], "c")))
    b.inputs("data", "c", "one", "ten").outputs("y")
    save_net(b.net, str(folder / "predict_net.pb"))
    return str(folder / "predict_net.pb")


def write_branching_net(folder) -> str:
    """A detection-head-like net: data -> Conv -> Relu -> If(has_mask) with a 5-op then_net
    (Conv, Relu, Conv, Sigmoid, Mul with the outer features) and a 1-op else_net; value_info
    declares the inputs (structure only)."""
    from c2core.io.save import save_net

    tb = NetBuilder("mask_net")
    tb.op("Conv", ["feat", "mask_w1"], "m1", kernel=3, pad=1)
    tb.op("Relu", "m1", "m1")
    tb.op("Conv", ["m1", "mask_w2"], "m2", kernel=1)
    tb.op("Sigmoid", "m2", "mask_prob")
    tb.op("Mul", ["mask_prob", "feat"], "out", broadcast=1)
    tb.net.external_input.extend(["feat", "mask_w1", "mask_w2"])
    tb.net.external_output.append("out")
    eb = NetBuilder("no_mask")
    eb.op("Copy", "feat", "out")
    eb.net.external_input.append("feat")
    eb.net.external_output.append("out")
    b = NetBuilder("branching")
    b.op("Conv", ["data", "w0"], "c0", kernel=3, pad=1)
    b.op("Relu", "c0", "feat")
    b.op("If", ["has_mask", "feat"], ["out"], then_net=tb.net, else_net=eb.net)
    b.op("AveragePool", "out", "pooled", global_pooling=1)
    b.inputs("data", "has_mask", "w0", "mask_w1", "mask_w2").outputs("pooled")
    save_net(b.net, str(folder / "predict_net.pb"))
    (folder / "value_info.json").write_text('{"data": [1, [1, 3, 64, 64]], "has_mask": [9, [1]]}')
    return str(folder / "predict_net.pb")
