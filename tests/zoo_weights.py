"""Weights for the zoo corpus nets, which ship predict nets only (one module
for the shape, runtime and export tests and for bench/).

Two sizes, for two kinds of test:

- Real shapes (`weight_specs`, `spec_model`, `real_weights`, `zoo_model`):
  each layer's width as the published architectures state it (AlexNet,
  VGG-19, ResNet-50, GoogLeNet table 1, DenseNet-121 growth 32 / bottleneck
  128 / compression 0.5); each filter's input channels come from walking the
  net with a channel counter that knows only Conv/FC/Concat. Shape inference
  checks these; export tests and bench/export.py run them (25.6M parameters
  for ResNet-50).
- Small (`small_weights`): every Conv gets the same `channels` outputs (which
  keeps residual Sums and Concats consistent) and every FC `classes`; spatial
  sizes stay real. Shapes are learned by running each op's kernel once, so
  the executor tests run the real topologies in a fraction of a second.

Values are drawn by the role a weight plays (`draw`) so activations stay in
a sane range through 50+ layers: He-scaled filters, FC weights scaled by
1/sqrt(K), BN scales and variances and Mul scales in [0.5, 1.5], everything
else N(0, 0.1).

Importable as `tests.zoo_weights`: tests/conftest.py puts the project root on
sys.path; bench/ runs from the root.
"""

from __future__ import annotations

import math
import pathlib
import re

import numpy as np

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


# ----- values ------------------------------------------------------------------
def draw(op_type: str, slot: int, shape, rng) -> np.ndarray:
    """A float32 array for input `slot` of an `op_type` op, scaled by its role."""
    shape = tuple(int(d) for d in shape)
    if op_type == "Conv" and slot == 1:
        scale = np.sqrt(2.0 / max(math.prod(shape[1:]), 1))
    elif op_type == "FC" and slot == 1:
        scale = np.sqrt(1.0 / shape[-1])
    elif (op_type == "SpatialBN" and slot in (1, 4)) or op_type == "Mul":
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    else:
        scale = 0.1
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)


def _roles(predict_net, names) -> dict:
    """name -> (op type, input slot) of its first use as a non-first input."""
    role = {}
    for op in predict_net.op:
        for k, b in enumerate(op.input[1:], start=1):
            if b in names and b not in role:
                role[b] = (op.type, k)
    return role


# ----- real shapes ----------------------------------------------------------------
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
    """name -> WeightSpec (real shape) for every parameter of corpus net `net`."""
    specs: dict[str, WeightSpec] = {}
    ch: dict[str, int] = {}
    data = predict_net.op[0].input[0]
    ch[data] = 3

    def add(name, shape):
        specs[name] = WeightSpec(name, tuple(shape), "float32", "GivenTensorFill")

    for op in predict_net.op:
        a = Args(op.arg, op.type)
        c_in = ch.get(op.input[0]) if op.input else None
        if op.type == "Conv":
            w = op.input[1]
            m = conv_width(net, w, c_in)
            k = a.int("kernel", 0)
            add(w, (m, c_in // a.int("group"), k, k))
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
            if op.type == "SpatialBN" or (op.type in ("Mul", "Add") and a.int("broadcast")):
                for p in op.input[1:]:
                    add(p, (c_in,))
            for o in op.output:
                ch[o] = c_in
    return specs


def spec_model(model_structure_only, net: str) -> Model:
    """The structure-only corpus model with real weight specs attached (no arrays)."""
    m = model_structure_only
    return Model(predict_net=m.predict_net, value_info=m.value_info, predict_path=m.predict_path,
                 _specs=weight_specs(net, m.predict_net))


def real_weights(net: str, predict_net, seed: int = 0) -> dict[str, np.ndarray]:
    """{name: array} of real shapes for corpus net `net`, drawn by role."""
    specs = weight_specs(net, predict_net)
    rng = np.random.default_rng(seed)
    role = _roles(predict_net, specs)
    return {name: draw(*role.get(name, ("", 0)), s.shape, rng) for name, s in specs.items()}


def zoo_model(corpus_dir, net: str, seed: int = 0) -> Model:
    """The corpus net opened from disk, with real-shape weights attached."""
    from c2core.fills import Weight
    from c2core.io import open_model

    m = open_model(str(pathlib.Path(corpus_dir) / net / "predict_net.pbtxt"), structure_only=True)
    m._weights = {k: Weight(k, a, "GivenTensorFill") for k, a in real_weights(net, m.predict_net, seed).items()}
    m._specs = None
    return m


# ----- small shapes -----------------------------------------------------------------
def _small_shape(op, x, slot: int, args, channels: int, classes: int) -> tuple:
    """Shape of input `slot` of `op` when its first input is `x`."""
    t = op.type
    if t == "Conv":
        kh, kw = args.spatial("kernel", "kernels", 2, 1)
        return (channels, x.shape[1] // args.int("group"), kh, kw) if slot == 1 else (channels,)
    if t == "FC":
        if slot != 1:
            return (classes,)
        k = math.prod(x.shape[args.int("axis"):])
        aw = args.int("axis_w")  # Caffe's 4-D blob read at axis_w=3 (GoogLeNet): N x K in the last two
        return (1,) * (aw - 1) + (classes, k) if aw > 1 else (classes, k)
    if t == "SpatialBN":
        return (x.shape[1],)
    if t in ("Mul", "Add") and args.int("broadcast"):
        return (x.shape[args.int("axis")],)
    raise ValueError(f"no weight rule for input {slot} of {t}")


def small_weights(predict_net, inputs: dict, channels: int = 8, classes: int = 16, seed: int = 0) -> dict:
    """{weight name: array} for every external input of `predict_net` not in
    `inputs` (name -> array), with small widths (see the module docstring)."""
    import torch

    from c2core.ops.registry import OpContext, lookup

    rng = np.random.default_rng(seed)
    produced = {o for op in predict_net.op for o in op.output}
    blobs = {n: torch.from_numpy(v) for n, v in inputs.items()}
    weights = {}
    with torch.inference_mode():
        for i, op in enumerate(predict_net.op):
            args = Args(op.arg, op.type)
            for k, n in enumerate(op.input):
                if n not in blobs and n not in produced:
                    shape = _small_shape(op, blobs[op.input[0]], k, args, channels, classes)
                    weights[n] = draw(op.type, k, shape, rng)
                    blobs[n] = torch.from_numpy(weights[n])
            spec = lookup(op.type)
            ctx = OpContext(op=op, args=args, index=i)
            if spec.prepare is not None:
                ctx.state = spec.prepare(ctx)
            r = spec.kernel(ctx, *[blobs[n] for n in op.input])
            for n, v in zip(op.output, r if isinstance(r, tuple) else (r,)):
                blobs[n] = v
    return weights
