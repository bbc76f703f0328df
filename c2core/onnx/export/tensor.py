"""Tensor plumbing: Concat, Reshape, Flatten, Transpose, Dropout, Copy and kin,
ChannelShuffle, ResizeNearest, Split, Slice, Squeeze, ExpandDims, Cast.

Second outputs are honoured when something reads them: Concat's `split_info`
is a constant int32 tensor of the inputs' sizes along the axis, Reshape's
`old_shape` is Shape(X) (int64), Dropout's `mask` is all-true (inference).
Reshape keeps Caffe2's 0 (copy) / -1 (infer) codes; with a dynamic batch a
literal leading dimension equal to the example batch becomes 0 so the exported
model does not bake the batch size in. ResizeNearest picks
min(floor(out_index / scale), in - 1) (resize_op.cc), which is ONNX Resize
nearest with coordinate_transformation_mode=asymmetric and nearest_mode=floor.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from ...fills import DTYPE_OF_PROTO
from .conv import channel_first
from .registry import register


def _axis(args, default=1):
    if "axis" in args:
        return args.int("axis")
    return 3 if args.str("order").upper() == "NHWC" else default


@register("Concat", "DepthConcat")
def concat(ctx, op, args):
    ins = [ctx.input(b) for b in op.input]
    r = ctx.rank(ins[0])
    add_axis = args.int("add_axis")
    axis = _axis(args)
    axis = axis + (r + add_axis) if axis < 0 else axis
    out = ctx.output(op.output[0])
    if add_axis:
        ins = [ctx.unsqueeze(i, [axis]) for i in ins]
    ctx.node1("Concat", ins, out, axis=axis)
    ctx.bind(op.output[0], out)
    if len(op.output) > 1 and ctx.used_later(op.output[1]):
        sizes = [1 if add_axis else (ctx.shape(i) or [None] * r)[axis] for i in ins]
        if not all(isinstance(s, int) for s in sizes):
            raise C2Error(f"Concat split_info is read later but input sizes along axis {axis} are not static: {sizes}")
        info = ctx.output(op.output[1])
        ctx.node1("Identity", [ctx.const(np.asarray(sizes, dtype=np.int32), "split_info")], info)
        ctx.bind(op.output[1], info)


@register("Reshape")
def reshape(ctx, op, args):
    x = ctx.input(op.input[0])
    if len(op.input) > 1:
        shape = ctx.input(op.input[1])
        if ctx.elem_type(shape) != 7:
            shape = ctx.node1("Cast", [shape], to=7)
    else:
        dims = list(args.ints("shape", []) or [])
        xs = ctx.shape(x)
        if ctx.dynamic_batch and dims and xs and xs[0] == "batch" and dims[0] == ctx.batch:
            dims[0] = 0
        shape = ctx.ints(dims)
    ctx.write(op.output[0], "Reshape", [x, shape])
    if len(op.output) > 1 and ctx.used_later(op.output[1]):
        old = ctx.output(op.output[1])
        ctx.node1("Shape", [x], old)
        ctx.bind(op.output[1], old)


@register("Flatten")
def flatten(ctx, op, args):
    ctx.write(op.output[0], "Flatten", [ctx.input(op.input[0])], axis=args.int("axis"))


@register("FlattenToVec")
def flatten_to_vec(ctx, op, args):
    ctx.write(op.output[0], "Reshape", [ctx.input(op.input[0]), ctx.ints([-1])])


@register("Transpose", "NCHW2NHWC", "NHWC2NCHW")
def transpose(ctx, op, args):
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    if op.type == "NCHW2NHWC":
        perm = [0] + list(range(2, r)) + [1]
    elif op.type == "NHWC2NCHW":
        perm = [0, r - 1] + list(range(1, r - 1))
    else:
        perm = args.ints("axes") or list(reversed(range(r)))
    ctx.write(op.output[0], "Transpose", [x], perm=perm)


@register("Copy", "Alias", "StopGradient", "EnsureCPUOutput", "CopyFromCPUInput", "CopyCPUToGPU", "CopyGPUToCPU",
          "EnsureDense")
def identity(ctx, op, args):
    ctx.write(op.output[0], "Identity", [ctx.input(op.input[0])])


@register("Dropout")
def dropout(ctx, op, args):
    if not args.int("is_test") and args.float("ratio") > 0:
        # Caffe2 predict nets run Dropout with is_test=1; a training-mode one is random.
        raise C2Error("Dropout with is_test=0 is random at run time; export needs is_test=1")
    x = ctx.input(op.input[0])
    ctx.write(op.output[0], "Identity", [x])
    if len(op.output) > 1 and ctx.used_later(op.output[1]):
        from onnx import TensorProto, helper

        mask = ctx.output(op.output[1])
        ctx.node1("ConstantOfShape", [ctx.shape_of(x)], mask,
                  value=helper.make_tensor("true", TensorProto.BOOL, [1], [True]))
        ctx.bind(op.output[1], mask)


@register("Squeeze")
def squeeze(ctx, op, args):
    ctx.write(op.output[0], "Squeeze", [ctx.input(op.input[0]), ctx.ints(args.ints("dims", []), "axes")])


@register("ExpandDims")
def expand_dims(ctx, op, args):
    ctx.write(op.output[0], "Unsqueeze", [ctx.input(op.input[0]), ctx.ints(sorted(args.ints("dims", [])), "axes")])


@register("ChannelShuffle")
def channel_shuffle(ctx, op, args):
    """Channels viewed as [G, C/G], transposed to [C/G, G]: Reshape-Transpose-Reshape."""
    g = args.int("group")

    def build(x, out):
        shape = ctx.shape(x)
        c = shape[1]
        if not isinstance(c, int) or c % g:
            raise C2Error(f"ChannelShuffle: channels {c} not divisible by group {g}")
        y = ctx.node1("Reshape", [x, ctx.ints([0, g, c // g, -1])])
        y = ctx.node1("Transpose", [y], perm=[0, 2, 1, 3])
        y = ctx.node1("Reshape", [y, ctx.shape_of(x)], out)
        ctx.types[y] = ctx.types[x]
        return y

    channel_first(ctx, op, args, build)


def _hw_scales(ctx, op, args) -> tuple[float, float]:
    """(height_scale, width_scale): the arguments, or the constant second input that overrides them."""
    hs, ws = args.float("height_scale"), args.float("width_scale")
    if len(op.input) > 1:
        v = ctx.value(ctx.input(op.input[1]))
        if v is None:
            raise C2Error(f"{op.type} with run-time scales input cannot be exported exactly (scales must be constant)")
        hs, ws = float(v.ravel()[0]), float(v.ravel()[1])
    return hs, ws


@register("ResizeNearest")
def resize_nearest(ctx, op, args):
    hs, ws = _hw_scales(ctx, op, args)

    def build(x, out):
        if ctx.rank(x) != 4:
            raise C2Error("ResizeNearest expects a 4-D input")
        scales = ctx.const(np.asarray([1.0, 1.0, hs, ws], dtype=np.float32), "scales")
        return ctx.node1("Resize", [x, "", scales], out, mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    channel_first(ctx, op, args, build)


@register("Split", "DepthSplit")
def split(ctx, op, args):
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    axis = _axis(args)
    axis = axis + r if axis < 0 else axis
    if len(op.input) > 1:
        sizes = ctx.value(ctx.input(op.input[1]))
        if sizes is None:
            raise C2Error("Split with run-time sizes cannot be exported (sizes must be constant)")
        sizes = [int(s) for s in sizes]
    else:
        sizes = args.ints("split")
    if not sizes:
        d = ctx.static_dims(x, [axis])[0]
        n = len(op.output)
        if d % n:
            raise C2Error(f"Split: axis size {d} not divisible into {n} outputs")
        sizes = [d // n] * n
    outs = [ctx.output(b) for b in op.output]
    ctx.node("Split", [x, ctx.ints(sizes, "split")], outs, axis=axis)
    for b, o in zip(op.output, outs):
        ctx.bind(b, o)


@register("Slice")
def slice_(ctx, op, args):
    """Caffe2 Slice: a negative end e means dim + e + 1 (end=-1 keeps the last element)."""
    x = ctx.input(op.input[0])
    if len(op.input) > 1:
        raise C2Error("Slice with starts/ends given as inputs is not exported (use the arguments)")
    starts, ends = args.ints("starts", []), args.ints("ends", [])
    axes, st, en = [], [], []
    for i, (s, e) in enumerate(zip(starts, ends)):
        if s == 0 and e == -1:
            continue
        if e < 0:
            d = ctx.static_dims(x, [i])[0]
            e = d + e + 1
        axes.append(i)
        st.append(s)
        en.append(e)
    out = ctx.output(op.output[0])
    if not axes:
        ctx.node1("Identity", [x], out)
    else:
        ctx.node1("Slice", [x, ctx.ints(st, "starts"), ctx.ints(en, "ends"), ctx.ints(axes, "axes")], out)
    ctx.bind(op.output[0], out)


@register("Cast")
def cast(ctx, op, args):
    from onnx import helper

    to = args.get("to", 1)
    if isinstance(to, str):
        names = {"FLOAT": 1, "INT32": 2, "BOOL": 5, "UINT8": 6, "INT8": 7, "INT64": 10, "FLOAT16": 12, "DOUBLE": 13}
        to = names.get(to.upper(), 1)
    dt = DTYPE_OF_PROTO.get(int(to))
    if dt is None or dt is np.object_:
        raise C2Error(f"Cast to Caffe2 data type {to} has no ONNX equivalent")
    ctx.write(op.output[0], "Cast", [ctx.input(op.input[0])], to=helper.np_dtype_to_tensor_dtype(np.dtype(dt)))


@register("Shape")
def shape(ctx, op, args):
    x = ctx.input(op.input[0])
    out = ctx.output(op.output[0])
    axes = args.ints("axes")
    if axes:
        ctx.node1("Gather", [ctx.shape_of(x), ctx.ints(axes, "axes")], out, axis=0)
    else:
        ctx.node1("Shape", [x], out)
    ctx.bind(op.output[0], out)


@register("UpsampleBilinear")
def upsample_bilinear(ctx, op, args):
    """upsample_op.cc: out = floor(in * scale), source = out_index * (in - 1) / (out - 1):
    ONNX Resize linear with coordinate_transformation_mode=align_corners."""
    hs, ws = _hw_scales(ctx, op, args)
    x = ctx.input(op.input[0])
    if ctx.rank(x) != 4:
        raise C2Error("UpsampleBilinear expects a 4-D NCHW input")
    out = ctx.output(op.output[0])
    scales = ctx.const(np.asarray([1.0, 1.0, hs, ws], dtype=np.float32), "scales")
    ctx.node1("Resize", [x, "", scales], out, mode="linear", coordinate_transformation_mode="align_corners")
    ctx.bind(op.output[0], out)


@register("PadImage")
def pad_image(ctx, op, args):
    """Spatial padding (pads t, l, b, r) with mode constant / reflect / edge, as ONNX Pad."""
    mode = args.str("mode")
    if mode not in ("constant", "reflect", "edge"):
        raise C2Error(f"PadImage mode '{mode}' unknown")
    value = args.float("value")

    def build(x, out):
        r = ctx.rank(x)
        p = args.pads(r - 2)
        nd = r - 2
        pads = [0, 0] + p[:nd] + [0, 0] + p[nd:]
        ins = [x, ctx.ints(pads, "pads")]
        if mode == "constant":
            ins.append(ctx.const(np.asarray(value, dtype=np.float32), "pad_value"))
        return ctx.node1("Pad", ins, out, mode=mode)

    channel_first(ctx, op, args, build)


@register("Gather")
def gather(ctx, op, args):
    out = ctx.output(op.output[0])
    idx = ctx.input(op.input[1])
    ctx.node1("Gather", [ctx.input(op.input[0]), idx], out, axis=args.int("axis"))
    ctx.bind(op.output[0], out)


@register("Size")
def size(ctx, op, args):
    """Number of elements, an int64 scalar."""
    ctx.write(op.output[0], "Size", [ctx.input(op.input[0])])


@register("BatchPermutation")
def batch_permutation(ctx, op, args):
    """Y[i] = X[indices[i]] along axis 0 (Detectron)."""
    idx = ctx.input(op.input[1])
    if ctx.elem_type(idx) not in (6, 7):
        raise C2Error("BatchPermutation indices must be int32 or int64")
    ctx.write(op.output[0], "Gather", [ctx.input(op.input[0]), idx], axis=0)


@register("UpsampleNearest")
def upsample_nearest(ctx, op, args):
    """Detectron's UpsampleNearest: integer `scale`, out[i] = in[i // scale] on H and W."""
    s = args.int("scale")
    x = ctx.input(op.input[0])
    if ctx.rank(x) != 4:
        raise C2Error("UpsampleNearest expects a 4-D NCHW input")
    out = ctx.output(op.output[0])
    scales = ctx.const(np.asarray([1.0, 1.0, s, s], dtype=np.float32), "scales")
    ctx.node1("Resize", [x, "", scales], out, mode="nearest", coordinate_transformation_mode="asymmetric",
              nearest_mode="floor")
    ctx.bind(op.output[0], out)


@register("SpatialNarrowAs")
def spatial_narrow_as(ctx, op, args):
    """Detectron: A cropped to B's height and width (A[:, :, :B.H, :B.W])."""
    a, b = ctx.input(op.input[0]), ctx.input(op.input[1])
    ctx.write(op.output[0], "Slice", [a, ctx.ints([0, 0], "starts"), ctx.shape_of(b, 2, 4), ctx.ints([2, 3], "axes")])


@register("Tile")
def tile(ctx, op, args):
    """Repeat X `tiles` times along `axis` (default 0)."""
    x = ctx.input(op.input[0])
    r = ctx.rank(x)
    tiles, axis = args.int("tiles"), args.int("axis")
    if len(op.input) > 1:
        vals = [ctx.value(ctx.input(b)) for b in op.input[1:]]
        if any(v is None for v in vals):
            raise C2Error("Tile with run-time tiles/axis inputs is not exported (they must be constant)")
        tiles = int(np.asarray(vals[0]).ravel()[0])
        if len(vals) > 1:
            axis = int(np.asarray(vals[1]).ravel()[0])
    reps = [1] * r
    reps[axis % r] = tiles
    ctx.write(op.output[0], "Tile", [x, ctx.ints(reps, "repeats")])
