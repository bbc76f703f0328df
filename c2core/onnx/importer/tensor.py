"""Shape and layout ops, Softmax, reductions, resizing, and the no-ops.

Caffe2 takes as arguments what ONNX takes as (folded) constant inputs:
Reshape `shape`, Slice `starts`/`ends`, Squeeze/ExpandDims `dims`, ReduceMean
`axes`. Differences that matter:
- Concat and Reshape have a second output in Caffe2 (`split_info`,
  `old_shape`); it is named `<output>_split_info` / `<output>_old_shape`.
- Caffe2 Slice takes one start/end per axis, end -1 meaning "to the end"; ONNX
  bounds are clamped against the static shape first, steps must be 1.
- Softmax from opset 13 is per axis, Caffe2's (like ONNX < 13) flattens to 2-D
  at `axis`. They agree when `axis` is the last one; otherwise the axis is
  transposed to the end and back.
- Resize nearest (asymmetric, floor) is `ResizeNearest`; linear with
  align_corners is `UpsampleBilinear` (caffe2/operators/upsample_op.cc maps
  output to input with (in-1)/(out-1)); other modes have no Caffe2 op.
"""

from __future__ import annotations

import numpy as np

from .registry import refusal_of, register

# ONNX TensorProto.DataType -> Caffe2 TensorProto.DataType
_CAFFE2_DTYPE = {1: 1, 6: 2, 2: 6, 3: 7, 4: 8, 5: 9, 7: 10, 10: 12, 11: 13, 9: 5, 8: 4}


def _axis(a, r, default=0, name="axis"):
    ax = int(a.get(name, default))
    return ax + r if ax < 0 else ax


# ----- no-ops ---------------------------------------------------------------------
@register("Identity", "Dropout", emits=())
def identity(ctx, node, a):
    ctx.alias(node.output[0], node.input[0])


def _check_cast(ctx, node, a):
    if int(a["to"]) not in _CAFFE2_DTYPE:
        return f"Cast to ONNX type {a['to']}"
    return None


@register("Cast", emits=("Cast",), check=_check_cast)
def cast(ctx, node, a):
    from onnx import helper

    want = np.dtype(helper.tensor_dtype_to_np_dtype(int(a["to"])))
    if ctx.dtype(node.input[0]) == want:
        ctx.alias(node.output[0], node.input[0])
        return
    ctx.emit("Cast", [ctx.blob(node.input[0])], node.output[0], to=_CAFFE2_DTYPE[int(a["to"])])


# ----- reshaping -------------------------------------------------------------------
def _reshape_target(ctx, node, a):
    if ctx.opset < 5:
        return list(a.get("shape", []))
    s = ctx.const(node.input[1])
    return None if s is None else [int(v) for v in s.reshape(-1)]


def _check_reshape(ctx, node, a):
    t = _reshape_target(ctx, node, a)
    if t is None:
        return "Reshape to a computed shape"
    if a.get("allowzero") and 0 in t:
        return "Reshape with allowzero and a zero dimension"
    return None


@register("Reshape", emits=("Reshape",), check=_check_reshape)
def reshape(ctx, node, a):
    out = node.output[0]
    ctx.emit("Reshape", [ctx.blob(node.input[0])], [out, ctx.fresh(out + "_old_shape")],
             shape=_reshape_target(ctx, node, a))


@register("Flatten", emits=("Flatten",))
def flatten(ctx, node, a):
    r = ctx.rank(node.input[0], node)
    ctx.emit("Flatten", [ctx.blob(node.input[0])], node.output[0], axis=_axis(a, r, 1))


@register("Transpose", emits=("Transpose",))
def transpose(ctx, node, a):
    r = ctx.rank(node.input[0], node)
    perm = list(a.get("perm") or range(r - 1, -1, -1))
    ctx.emit("Transpose", [ctx.blob(node.input[0])], node.output[0], axes=perm)


def _axes_of(ctx, node, a, r_out):
    """Squeeze/Unsqueeze axes: attribute before opset 13, input after."""
    if ctx.opset < 13:
        axes = a.get("axes")
    else:
        axes = ctx.const(node.input[1]) if len(node.input) > 1 and node.input[1] else None
        if axes is None and len(node.input) > 1 and node.input[1]:
            return "computed"
    if axes is None:
        return None
    return sorted(int(v) % r_out for v in np.asarray(axes).reshape(-1))


def _check_squeeze(ctx, node, a):
    s = ctx.shape(node.input[0])
    if s is None:
        return f"{node.op_type} of an input of unknown rank"
    r_out = len(s) if node.op_type == "Squeeze" else None
    if r_out is None:
        raw = a.get("axes") if ctx.opset < 13 else ctx.const(node.input[1])
        if raw is None:
            return "Unsqueeze with computed axes"
        r_out = len(s) + np.asarray(raw).size
    axes = _axes_of(ctx, node, a, r_out)
    if axes == "computed":
        return f"{node.op_type} with computed axes"
    if node.op_type == "Squeeze" and axes is None and any(d is None for d in s):
        return "Squeeze without axes of an input of unknown size"
    return None


@register("Squeeze", emits=("Squeeze",), check=_check_squeeze)
def squeeze(ctx, node, a):
    s = ctx.shape(node.input[0])
    axes = _axes_of(ctx, node, a, len(s))
    if axes is None:
        axes = [i for i, d in enumerate(s) if d == 1]
    ctx.emit("Squeeze", [ctx.blob(node.input[0])], node.output[0], dims=axes)


@register("Unsqueeze", emits=("ExpandDims",), check=_check_squeeze)
def unsqueeze(ctx, node, a):
    s = ctx.shape(node.input[0])
    raw = a.get("axes") if ctx.opset < 13 else ctx.const(node.input[1])
    axes = _axes_of(ctx, node, a, len(s) + np.asarray(raw).size)
    ctx.emit("ExpandDims", [ctx.blob(node.input[0])], node.output[0], dims=axes)


@register("Concat", emits=("Concat",))
def concat(ctx, node, a):
    r = ctx.rank(node.output[0], node) if ctx.shape(node.output[0]) else ctx.rank(node.input[0], node)
    out = node.output[0]
    ins = [n for n in node.input if n]
    ctx.emit("Concat", [ctx.blob(n, like=ins[0]) for n in ins], [out, ctx.fresh(out + "_split_info")],
             axis=_axis(a, r))


# ----- slicing -------------------------------------------------------------------------
def _slice_spec(ctx, node, a):
    """Per-axis Caffe2 (starts, ends) or a reason string."""
    x = node.input[0]
    s = ctx.shape(x)
    if s is None:
        return "Slice of an input of unknown rank"
    r = len(s)
    if ctx.opset < 10:
        starts, ends = list(a["starts"]), list(a["ends"])
        axes = list(a.get("axes") or range(len(starts)))
        steps = [1] * len(starts)
    else:
        vals = []
        for i in range(1, 5):
            name = node.input[i] if len(node.input) > i else ""
            v = ctx.const(name) if name else None
            if name and v is None:
                return "Slice with computed bounds"
            vals.append(None if v is None else [int(t) for t in v.reshape(-1)])
        starts, ends, axes, steps = vals
        axes = axes if axes is not None else list(range(len(starts)))
        steps = steps if steps is not None else [1] * len(starts)
    if any(st != 1 for st in steps):
        return "Slice with steps other than 1"
    c2s, c2e = [0] * r, [-1] * r
    for st, en, ax in zip(starts, ends, axes):
        ax %= r
        n = s[ax]
        if n is None:
            if st >= 0 and en >= 2 ** 30:
                c2s[ax] = st
                continue
            return f"Slice along axis {ax} of unknown size"
        st = min(max(st + n if st < 0 else st, 0), n)
        en = min(max(en + n if en < 0 else en, 0), n)
        c2s[ax], c2e[ax] = st, max(en, st)
    return c2s, c2e


@register("Slice", emits=("Slice",), check=refusal_of(_slice_spec))
def slice_(ctx, node, a):
    starts, ends = _slice_spec(ctx, node, a)
    ctx.emit("Slice", [ctx.blob(node.input[0])], node.output[0], starts=starts, ends=ends)


def _check_gather(ctx, node, a):
    idx = ctx.const(node.input[1])
    if idx is None:
        return "Gather with computed indices"
    s = ctx.shape(node.input[0])
    if s is None:
        return "Gather from an input of unknown rank"
    ax = _axis(a, len(s))
    flat = idx.reshape(-1)
    if idx.ndim > 1 or s[ax] is None:
        return "Gather other than one index or a 1-D index range on a known axis"
    if flat.size > 1 and not np.all(np.diff(flat % s[ax]) == 1):
        return "Gather of non-contiguous indices"
    return None


@register("Gather", emits=("Slice", "Squeeze"), check=_check_gather)
def gather(ctx, node, a):
    """A constant index (or contiguous index range) along one axis: Slice, then Squeeze for a scalar index."""
    x = node.input[0]
    s = ctx.shape(x)
    r = len(s)
    ax = _axis(a, r)
    idx = ctx.const(node.input[1])
    first = int(idx.reshape(-1)[0]) % s[ax]
    starts, ends = [0] * r, [-1] * r
    starts[ax], ends[ax] = first, first + idx.size
    out = node.output[0]
    if idx.ndim == 0:
        sliced = ctx.fresh(out + "_slice")
        ctx.emit("Slice", [ctx.blob(x)], sliced, starts=starts, ends=ends)
        ctx.emit("Squeeze", [sliced], out, dims=[ax])
    else:
        ctx.emit("Slice", [ctx.blob(x)], out, starts=starts, ends=ends)


# ----- softmax and reductions ------------------------------------------------------------
@register("Softmax", "LogSoftmax", emits=("Softmax", "LogSoftmax", "Transpose"))
def softmax(ctx, node, a):
    x, out = node.input[0], node.output[0]
    r = ctx.rank(x, node)
    if ctx.opset < 13:
        ctx.emit(node.op_type, [ctx.blob(x)], out, axis=_axis(a, r, 1))
        return
    ax = _axis(a, r, -1)
    if ax == r - 1:
        ctx.emit(node.op_type, [ctx.blob(x)], out, axis=ax)
        return
    perm = [i for i in range(r) if i != ax] + [ax]
    inv = [perm.index(i) for i in range(r)]
    t1, t2 = ctx.fresh(out + "_axis_last"), ctx.fresh(out + "_softmax_last")
    ctx.emit("Transpose", [ctx.blob(x)], t1, axes=perm)
    ctx.emit(node.op_type, [t1], t2, axis=r - 1)
    ctx.emit("Transpose", [t2], out, axes=inv)


def _reduce_axes(ctx, node, a):
    r = ctx.rank(node.input[0], node)
    if ctx.opset >= 18 or (node.op_type == "ReduceSum" and ctx.opset >= 13):
        name = node.input[1] if len(node.input) > 1 else ""
        if name:
            v = ctx.const(name)
            if v is None:
                return "computed"
            axes = [int(t) for t in v.reshape(-1)]
        else:
            axes = None
    else:
        axes = a.get("axes")
    if not axes:
        if a.get("noop_with_empty_axes"):
            return []
        return list(range(r))
    return sorted(int(t) % r for t in axes)


def _check_reduce(ctx, node, a):
    if ctx.shape(node.input[0]) is None:
        return f"{node.op_type} of an input of unknown rank"
    if _reduce_axes(ctx, node, a) == "computed":
        return f"{node.op_type} with computed axes"
    return None


@register("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", emits=("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "AveragePool", "MaxPool", "Squeeze"), check=_check_reduce)
def reduce(ctx, node, a):
    x, out = node.input[0], node.output[0]
    axes = _reduce_axes(ctx, node, a)
    keep = int(a.get("keepdims", 1))
    if not axes:
        ctx.alias(out, x)
        return
    r = ctx.rank(x, node)
    if node.op_type in ("ReduceMean", "ReduceMax") and r == 4 and axes == [2, 3]:
        # Spatial mean/max is Caffe2's global pooling, which every Caffe2 runtime has.
        kind = "AveragePool" if node.op_type == "ReduceMean" else "MaxPool"
        pooled = out if keep else ctx.fresh(out + "_pooled")
        ctx.emit(kind, [ctx.blob(x)], pooled, global_pooling=1)
        if not keep:
            ctx.emit("Squeeze", [pooled], out, dims=[2, 3])
        return
    ctx.emit(node.op_type, [ctx.blob(x)], out, axes=axes, keepdims=keep)


# ----- resizing ---------------------------------------------------------------------------
def _resize_spec(ctx, node, a):
    """(caffe2 op, height_scale, width_scale) or a reason string."""
    x = node.input[0]
    s = ctx.shape(x)
    if s is None or len(s) != 4 or any(d is None for d in s[2:]):
        return f"{node.op_type} of a non-4-D input or one of unknown size"
    out_s = ctx.shape(node.output[0])
    scales = None
    if node.op_type == "Upsample" and ctx.opset < 9:
        scales = list(a.get("scales") or [1, 1, a.get("height_scale", 1), a.get("width_scale", 1)])
    elif node.op_type == "Upsample":
        v = ctx.const(node.input[1])
        if v is None:
            return "Upsample with computed scales"
        scales = [float(t) for t in v.reshape(-1)]
    else:
        ins = list(node.input) + [""] * 4
        roi_scales_sizes = {i: ctx.const(ins[i]) if ins[i] else None for i in (1, 2, 3)}
        if ctx.opset < 11:
            sc = roi_scales_sizes[1]
            scales = None if sc is None else [float(t) for t in sc.reshape(-1)]
        else:
            sc, sz = roi_scales_sizes[2], roi_scales_sizes[3]
            if sc is not None and sc.size:
                scales = [float(t) for t in sc.reshape(-1)]
            elif sz is not None and sz.size:
                scales = [float(o) / float(i) for o, i in zip(sz.reshape(-1), s)]
        if scales is None:
            return "Resize with computed scales or sizes"
        if ctx.opset >= 18 and a.get("axes") is not None:
            return "Resize with axes"
    if len(scales) != 4 or scales[0] != 1 or scales[1] != 1:
        return f"{node.op_type} scaling batch or channels"
    hs, ws = scales[2], scales[3]
    oh, ow = int(s[2] * hs), int(s[3] * ws)
    if out_s is not None and out_s[2:] not in ((oh, ow), (None, None)):
        return f"{node.op_type} whose output size is not input × scale"
    mode = str(a.get("mode", "nearest"))
    ctm = str(a.get("coordinate_transformation_mode", "asymmetric" if ctx.opset < 11 else "half_pixel"))
    if mode == "nearest":
        nm = str(a.get("nearest_mode", "round_prefer_floor" if ctx.opset >= 11 else "floor"))
        if ctx.opset >= 11 and (ctm != "asymmetric" or nm != "floor"):
            return f"{node.op_type} nearest with {ctm}/{nm} (Caffe2 ResizeNearest is asymmetric/floor)"
        return "ResizeNearest", hs, ws
    if mode in ("linear", "bilinear"):
        if ctm != "align_corners":
            return f"{node.op_type} linear with {ctm} coordinates (Caffe2 UpsampleBilinear aligns corners)"
        return "UpsampleBilinear", hs, ws
    return f"{node.op_type} mode {mode}"


@register("Resize", "Upsample", emits=("ResizeNearest", "UpsampleBilinear"), check=refusal_of(_resize_spec))
def resize(ctx, node, a):
    op, hs, ws = _resize_spec(ctx, node, a)
    ctx.emit(op, [ctx.blob(node.input[0])], node.output[0], height_scale=float(hs), width_scale=float(ws))


def _split_sizes(ctx, node, a):
    """Explicit part sizes, None for equal parts, or a reason string."""
    s = ctx.shape(node.input[0])
    if s is None:
        return "Split of an input of unknown rank"
    ax = _axis(a, len(s))
    n = len(node.output)
    if ctx.opset >= 13 and len(node.input) > 1 and node.input[1]:
        v = ctx.const(node.input[1])
        if v is None:
            return "Split with computed sizes"
        return [int(t) for t in v.reshape(-1)]
    if ctx.opset < 13 and a.get("split"):
        return [int(t) for t in a["split"]]
    dim = s[ax]
    if dim is None:
        return None
    if a.get("num_outputs") is not None or dim % n:  # opset 18: ceil-sized parts, the last one smaller
        k = -(-dim // n)
        return [min(k, dim - i * k) for i in range(n)]
    return [dim // n] * n


@register("Split", emits=("Split",), check=refusal_of(_split_sizes))
def split(ctx, node, a):
    r = ctx.rank(node.input[0], node)
    sizes = _split_sizes(ctx, node, a)
    args = {"axis": _axis(a, r)}
    if sizes is not None:
        args["split"] = sizes
    ctx.emit("Split", [ctx.blob(node.input[0])], list(node.output), **args)


def _check_arg(ctx, node, a):
    if a.get("select_last_index"):
        return f"{node.op_type} with select_last_index"
    return None


@register("ArgMax", "ArgMin", emits=("ArgMax", "ArgMin"), check=_check_arg)
def arg_max(ctx, node, a):
    r = ctx.rank(node.input[0], node)
    ctx.emit(node.op_type, [ctx.blob(node.input[0])], node.output[0], axis=_axis(a, r), keepdims=int(a.get("keepdims", 1)))


# ----- Pad -------------------------------------------------------------------------------
# A zero `Pad` whose only readers are Convs is folded into their pads (the TF
# "SAME" convs of EfficientNet); other Pads become `PadImage`.


def _pad_spec(ctx, node, a):
    """(pads, mode, value) or a reason string."""
    mode = a.get("mode", "constant")
    if ctx.opset < 11:
        pads, value = list(a.get("pads", [])), float(a.get("value", 0.0))
    else:
        p = ctx.const(node.input[1]) if len(node.input) > 1 else None
        if p is None:
            return "Pad with computed pads"
        pads = [int(v) for v in p.reshape(-1)]
        value = 0.0
        if len(node.input) > 2 and node.input[2]:
            v = ctx.const(node.input[2])
            if v is None:
                return "Pad with a computed value"
            value = float(np.asarray(v).reshape(-1)[0]) if v.size else 0.0
        if len(node.input) > 3 and node.input[3]:
            axes = ctx.const(node.input[3])
            if axes is None:
                return "Pad with computed axes"
            r = ctx.rank(node.input[0], node)
            full = [0] * (2 * r)
            k = len(axes)
            for j, ax in enumerate(int(v) % r for v in axes.reshape(-1)):
                full[ax], full[r + ax] = pads[j], pads[k + j]
            pads = full
    return pads, mode, value


def _check_pad(ctx, node, a):
    spec = _pad_spec(ctx, node, a)
    if isinstance(spec, str):
        return spec
    pads, mode, _ = spec
    r = len(pads) // 2
    if mode not in ("constant", "reflect", "edge"):
        return f"Pad mode {mode}"
    if any(p < 0 for p in pads):
        return "Pad with negative pads (cropping)"
    if r < 3 or any(pads[i] or pads[r + i] for i in (0, 1)):
        return "Pad of the batch or channel axis"
    if r != 4 and not _foldable(ctx, node, spec):
        return "Pad of a non-4-D tensor that is not read by a Conv"
    return None


def _foldable(ctx, node, spec) -> bool:
    pads, mode, value = spec
    out = node.output[0]
    readers = ctx.consumers.get(out, [])
    return (mode == "constant" and value == 0.0 and readers and out not in ctx.graph_outputs
            and all(r.op_type == "Conv" and r.input[0] == out for r in readers))


@register("Pad", emits=("PadImage",), check=_check_pad)
def pad(ctx, node, a):
    spec = _pad_spec(ctx, node, a)
    pads, mode, value = spec
    r = len(pads) // 2
    spatial = pads[2:r] + pads[r + 2:]
    if _foldable(ctx, node, spec):
        ctx.folded_pads[node.output[0]] = (ctx.resolve(node.input[0]), spatial)
        return
    ctx.emit("PadImage", [ctx.blob(node.input[0])], node.output[0], pads=spatial, mode=mode, value=value)
