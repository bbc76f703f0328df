"""Tensor manipulation rules: Concat, Split, Slice, Gather, Cast, padding, resizing, layout.

Where a size comes from an input's *values* (Split's `split` input, Slice's
starts/ends inputs, Tile's tiles input, resize scales) it is read when that
input is a small constant weight, else the static result has -1 there.
"""

from __future__ import annotations

from .geometry import join_layout, split_layout
from .info import BadNet, BlobInfo, DTYPE_OF_PROTO, canonical_axis, dims_equal
from .registry import register, same

_CAST_NAMES = {
    "FLOAT": "float32", "INT32": "int32", "BYTE": "uint8", "STRING": "object", "BOOL": "bool", "UINT8": "uint8",
    "INT8": "int8", "UINT16": "uint16", "INT16": "int16", "INT64": "int64", "FLOAT16": "float16", "DOUBLE": "float64",
}


def concat_axis(ctx, rank: int) -> int:
    """Caffe2 Concat/Split: `axis`, else 3 for order NHWC, else 1 (Int8Concat:
    3 for NHWC, 1 for NCHW, 0 without an order)."""
    if ctx.has("axis"):
        axis = ctx.i("axis")
    elif ctx.type == "Int8Concat":
        axis = {"NHWC": 3, "NCHW": 1}.get(ctx.s("order").upper(), 0)
    else:
        axis = 3 if ctx.order() == "NHWC" else 1
    return canonical_axis(axis, rank)


def concat_shapes(ctx):
    shapes = [ctx.shape(i) for i in range(ctx.n_in)]
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise BadNet("Concat inputs differ in rank")
    if ctx.i("add_axis"):
        axis = concat_axis(ctx, rank + 1)
        out = list(shapes[0])
        for s in shapes[1:]:
            out = [dims_equal(x, y) for x, y in zip(out, s)]
        out.insert(axis, len(shapes))
        return tuple(out), [1] * len(shapes)
    axis = concat_axis(ctx, rank)
    out = list(shapes[0])
    for s in shapes[1:]:
        for d in range(rank):
            if d != axis:
                out[d] = dims_equal(out[d], s[d])
    sizes = [s[axis] for s in shapes]
    out[axis] = -1 if any(x < 0 for x in sizes) else sum(sizes)
    return tuple(out), sizes


@register("Concat", "DepthConcat")
def concat(ctx):
    shape, _sizes = concat_shapes(ctx)
    return [BlobInfo(shape, ctx.dtype(0)), BlobInfo((ctx.n_in,), "int32")]


@register("Split", "DepthSplit")
def split(ctx):
    x = ctx.shape(0)
    axis = concat_axis(ctx, len(x))
    n = ctx.n_out
    sizes = ctx.ints("split")
    if ctx.n_in > 1:
        vals = ctx.values(1)
        sizes = [int(v) for v in vals] if vals is not None else [-1] * n
    elif not sizes:
        if x[axis] >= 0 and x[axis] % n:
            raise BadNet(f"axis size {x[axis]} not divisible into {n} parts")
        sizes = [x[axis] // n if x[axis] >= 0 else -1] * n
    if len(sizes) != n:
        raise BadNet("split sizes do not match the outputs")
    outs = []
    for sz in sizes:
        s = list(x)
        s[axis] = sz
        outs.append(BlobInfo(tuple(s), ctx.dtype(0)))
    return outs


def _slice_bound(v: int, dim: int) -> int:
    if v < 0:
        v = dim + 1 + v
    return max(0, min(v, dim))


def slice_shape(ctx) -> tuple:
    x = ctx.shape(0)
    if ctx.n_in >= 3:
        starts, ends = ctx.values(1), ctx.values(2)
        if starts is None or ends is None:
            st = ctx.maybe_shape(1)
            k = st[0] if st is not None and len(st) == 1 and st[0] >= 0 else len(x)
            return tuple(-1 if i < k else d for i, d in enumerate(x))
        starts, ends = [int(v) for v in starts], [int(v) for v in ends]
    else:
        starts = ctx.ints("starts") or []
        ends = ctx.ints("ends") or []
    if len(starts) != len(ends) or len(starts) > len(x):
        raise BadNet("starts/ends do not match the input rank")
    out = list(x)
    for i, (s, e) in enumerate(zip(starts, ends)):
        if x[i] < 0:
            out[i] = -1
            continue
        s, e = _slice_bound(s, x[i]), _slice_bound(e, x[i])
        if e < s:
            raise BadNet("slice end before start")
        out[i] = e - s
    return tuple(out)


@register("Slice")
def slice_(ctx):
    return [BlobInfo(slice_shape(ctx), ctx.dtype(0))]


@register("Gather")
def gather(ctx):
    data, idx = ctx.shape(0), ctx.shape(1)
    axis = canonical_axis(ctx.i("axis"), len(data))
    if ctx.i("match_outer"):
        out = tuple(data[:axis]) + tuple(idx[axis:]) + tuple(data[axis + 1:])
    else:
        out = tuple(data[:axis]) + tuple(idx) + tuple(data[axis + 1:])
    return [BlobInfo(out, ctx.dtype(0))]


@register("BatchGather")
def batch_gather(ctx):
    data, idx = ctx.shape(0), ctx.shape(1)
    return [BlobInfo((data[0],) + tuple(idx[1:] if len(idx) > 1 and idx[0] == data[0] else idx) + tuple(data[2:]), ctx.dtype(0))]


@register("Cast")
def cast(ctx):
    v = ctx.args.get("to")
    if isinstance(v, str):
        dt = _CAST_NAMES[v.upper()]
    else:
        dt = DTYPE_OF_PROTO[ctx.i("to")]
    return [same(ctx, dtype=dt)]


@register("PadImage")
def pad_image(ctx):
    order = ctx.order()
    n, c, sp = split_layout(ctx.shape(0), order)
    p = ctx.args.pads(len(sp))
    nd = len(sp)
    out = [d + p[i] + p[nd + i] if d >= 0 else -1 for i, d in enumerate(sp)]
    return [BlobInfo(join_layout(n, c, out, order), ctx.dtype(0))]


@register("Tile")
def tile(ctx):
    x = list(ctx.shape(0))
    tiles = ctx.i("tiles")
    axis = ctx.i("axis")
    if ctx.n_in >= 3:
        v = ctx.values(2)
        if v is None:
            return [BlobInfo(None, ctx.dtype(0))]
        axis = int(v[0])
    axis = canonical_axis(axis, len(x))
    if ctx.n_in >= 2:
        v = ctx.values(1)
        tiles = int(v[0]) if v is not None else -1
    x[axis] = x[axis] * tiles if x[axis] >= 0 and tiles >= 0 else -1
    return [BlobInfo(tuple(x), ctx.dtype(0))]


def _scaled(d: int, scale: float) -> int:
    return int(d * scale) if d >= 0 else -1


def resize_shape(ctx, order: str) -> tuple:
    n, c, sp = split_layout(ctx.shape(0), order)
    if len(sp) != 2:
        raise BadNet("resize expects 4-D input")
    hs, ws = ctx.f("height_scale"), ctx.f("width_scale")
    if ctx.n_in > 1:
        v = ctx.values(1)  # scales input: [height_scale, width_scale]
        if v is None:
            return join_layout(n, c, [-1, -1], order)
        hs, ws = float(v[0]), float(v[1])
    return join_layout(n, c, [_scaled(sp[0], hs), _scaled(sp[1], ws)], order)


@register("ResizeNearest", "Upsample")
def resize_nearest(ctx):
    return [BlobInfo(resize_shape(ctx, ctx.order()), ctx.dtype(0))]


@register("UpsampleBilinear")
def upsample_bilinear(ctx):
    return [BlobInfo(resize_shape(ctx, "NCHW"), ctx.dtype(0))]


@register("UpsampleNearest")
def upsample_nearest(ctx):
    """Detectron's UpsampleNearest: NCHW, H and W times the integer `scale`."""
    n, c, h, w = ctx.shape(0)
    s = ctx.i("scale")
    return [BlobInfo((n, c, h * s if h >= 0 else -1, w * s if w >= 0 else -1), ctx.dtype(0))]


@register("SpatialNarrowAs")
def spatial_narrow_as(ctx):
    """A (NCHW) cropped to B's height and width."""
    a, b = ctx.shape(0), ctx.shape(1)
    if len(a) != 4 or len(b) != 4:
        raise BadNet("SpatialNarrowAs expects two 4-D NCHW inputs")
    return [BlobInfo((a[0], a[1], b[2], b[3]), ctx.dtype(0))]


@register("ResizeNearest3D")
def resize_nearest_3d(ctx):
    n, c, t, h, w = ctx.shape(0)
    out = (n, c, _scaled(t, ctx.f("temporal_scale")), _scaled(h, ctx.f("height_scale")), _scaled(w, ctx.f("width_scale")))
    return [BlobInfo(out, ctx.dtype(0))]


@register("BatchPermutation")
def batch_permutation(ctx):
    return [same(ctx)]


def transpose_shape(ctx) -> tuple:
    x = ctx.shape(0)
    axes = ctx.ints("axes")
    if not axes:
        axes = list(range(len(x) - 1, -1, -1))
    if sorted(axes) != list(range(len(x))):
        raise BadNet(f"axes {axes} are not a permutation of rank {len(x)}")
    return tuple(x[a] for a in axes)


@register("Transpose")
def transpose(ctx):
    return [BlobInfo(transpose_shape(ctx), ctx.dtype(0))]


@register("NCHW2NHWC")
def nchw2nhwc(ctx):
    x = ctx.shape(0)
    return [BlobInfo((x[0], *x[2:], x[1]), ctx.dtype(0))]


@register("NHWC2NCHW")
def nhwc2nchw(ctx):
    x = ctx.shape(0)
    return [BlobInfo((x[0], x[-1], *x[1:-1]), ctx.dtype(0))]


@register("Range")
def range_(ctx):
    dt = ctx.dtype(0)
    return [BlobInfo((-1,), dt)]


@register("OneHot")
def one_hot(ctx):
    idx = ctx.shape(0)
    depth = ctx.values(1)
    return [BlobInfo((idx[0], int(depth[0]) if depth else -1), "float32")]


@register("Expand")
def expand(ctx):
    from .elementwise import broadcast_shapes

    v = ctx.values(1)
    if v is not None:
        return [BlobInfo(broadcast_shapes(ctx.shape(0), tuple(int(d) for d in v)), ctx.dtype(0))]
    s = ctx.maybe_shape(1)
    if s is None or len(s) != 1 or s[0] < 0:
        return [BlobInfo(None, ctx.dtype(0))]
    x = ctx.shape(0)
    return [BlobInfo(tuple([-1] * max(s[0], len(x))), ctx.dtype(0))]


@register("PackedInt8BGRANHWCToNCHWCStylizerPreprocess")
def stylizer_preprocess(ctx):
    n, h, w, _ = ctx.shape(0)
    return [BlobInfo((n, 3, h, w), "float32")]


@register("BRGNCHWCToPackedInt8BGRAStylizerDeprocess")
def stylizer_deprocess(ctx):
    n, _, h, w = ctx.shape(0)
    return [BlobInfo((n, h, w, 4), "uint8")]
