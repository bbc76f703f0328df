"""Weight shapes of the five corpus nets, written from their published architectures.

The corpus holds predict nets only (the zoo kept `init_net.pb` out of git), so
these tests state each layer's width by hand (AlexNet, VGG-19, ResNet-50,
GoogLeNet table 1, DenseNet-121 growth 32 / bottleneck 128 / compression 0.5)
and derive each filter's input channels by walking the net with a channel
counter that knows only Conv/FC/Concat. Shapes only: no arrays are allocated.
"""

from __future__ import annotations

import re

from c2core.args import Args
from c2core.model import Model, WeightSpec

GOOGLENET = {  # module: 1x1, 3x3_reduce, 3x3, 5x5_reduce, 5x5, pool_proj
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128), "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
_GOOGLENET_SLOTS = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj")

# FC layers: weight name -> (N outputs, K inputs) as the architectures state them.
FC = {
    "bvlc_alexnet": {"fc6_w": (4096, 256 * 6 * 6), "fc7_w": (4096, 4096), "fc8_w": (1000, 4096)},
    "vgg19": {"fc6_w": (4096, 512 * 7 * 7), "fc7_w": (4096, 4096), "fc8_w": (1000, 4096)},
    "resnet50": {"gpu_0/pred_w": (1000, 2048)},
}


def conv_width(net: str, w: str, c_in: int) -> int:
    """Output channels of the conv whose filter is `w` (c_in: its input channels)."""
    if net == "bvlc_alexnet":
        return {"conv1_w": 96, "conv2_w": 256, "conv3_w": 384, "conv4_w": 384, "conv5_w": 256}[w]
    if net == "vgg19":
        return {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}[int(w[4])]
    if net == "resnet50":
        if w == "gpu_0/conv1_w":
            return 64
        stage, branch = re.match(r"gpu_0/res(\d)_\d+_branch(\w+)_w", w).groups()
        width = {2: 64, 3: 128, 4: 256, 5: 512}[int(stage)]
        return width * 4 if branch in ("1", "2c") else width
    if net == "inception_v1":
        fixed = {"conv1/7x7_s2_w": 64, "conv2/3x3_reduce_w": 64, "conv2/3x3_w": 192}
        if w in fixed:
            return fixed[w]
        mod, slot = re.match(r"inception_(\w\w)/(\w+)_w", w).groups()
        return GOOGLENET[mod][_GOOGLENET_SLOTS.index(slot)]
    if net == "densenet121":
        if w == "conv1_w":
            return 64
        if w == "fc6_w":
            return 1000
        if w.endswith("/x1_w"):
            return 4 * 32
        if w.endswith("/x2_w"):
            return 32
        if w.endswith("_blk_w"):
            return c_in // 2
    raise KeyError(f"{net}: no width for {w}")


def weight_specs(net: str, predict_net) -> dict[str, WeightSpec]:
    """name -> WeightSpec for every parameter of corpus net `net`."""
    specs: dict[str, WeightSpec] = {}
    ch: dict[str, int] = {}
    data = predict_net.op[0].input[0]
    ch[data] = 3

    def add(name, shape):
        specs[name] = WeightSpec(name, tuple(shape), "float32", "GivenTensorFill")

    for op in predict_net.op:
        a = Args(op.arg)
        c_in = ch.get(op.input[0]) if op.input else None
        if op.type == "Conv":
            w = op.input[1]
            m = conv_width(net, w, c_in)
            k = a.int("kernel", 0)
            add(w, (m, c_in // a.int("group", 1), k, k))
            if len(op.input) > 2:
                add(op.input[2], (m,))
            ch[op.output[0]] = m
        elif op.type == "FC":
            w = op.input[1]
            if net == "inception_v1":
                add(w, (1, 1, 1000, c_in))  # Caffe's 4-D blob, read with axis_w=3
                n = 1000
            else:
                n, k = FC[net][w]
                add(w, (n, k))
            add(op.input[2], (n,))
            ch[op.output[0]] = n
        elif op.type == "Concat":
            ch[op.output[0]] = sum(ch[i] for i in op.input)
        else:
            if op.type in ("SpatialBN", "Mul", "Add") and a.int("broadcast", 1):
                for p in op.input[1:]:
                    add(p, (c_in,))
            for o in op.output:
                ch[o] = c_in
    return specs


def zoo_model(model_structure_only, net: str) -> Model:
    """The structure-only corpus model with hand-derived weight specs attached."""
    m = model_structure_only
    return Model(predict_net=m.predict_net, value_info=m.value_info, predict_path=m.predict_path,
                 _specs=weight_specs(net, m.predict_net))
