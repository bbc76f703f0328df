"""Detection rules (Detectron / Mask R-CNN): RoI pooling, proposals, boxes, NMS.

Box counts after proposal generation and NMS depend on the data: that axis
is -1, the others (box columns, pooled sizes, channels) are known.
"""

from __future__ import annotations

from .geometry import join_layout, split_layout
from .info import BlobInfo
from .registry import register

F32 = "float32"


def _rois_count(ctx, i: int = 1) -> int:
    r = ctx.maybe_shape(i)
    return r[0] if r else -1


@register("RoIAlign", "RoIAlignRotated", "Int8RoIAlign")
def roi_align(ctx):
    order = ctx.order()
    _n, c, _sp = split_layout(ctx.shape(0), order)
    out = join_layout(_rois_count(ctx), c, [ctx.i("pooled_h"), ctx.i("pooled_w")], order)
    return [BlobInfo(out, "uint8" if ctx.type.startswith("Int8") else ctx.dtype(0))]


@register("RoIPool")
def roi_pool(ctx):
    order = ctx.order()
    _n, c, _sp = split_layout(ctx.shape(0), order)
    out = join_layout(_rois_count(ctx), c, [ctx.i("pooled_h"), ctx.i("pooled_w")], order)
    return [BlobInfo(out, ctx.dtype(0)), BlobInfo(out, "int32")]


@register("PSRoIPool")
def ps_roi_pool(ctx):
    g = ctx.i("group_size")
    out = (_rois_count(ctx), ctx.i("output_dim"), g, g)
    return [BlobInfo(out, ctx.dtype(0)), BlobInfo(out, "int32")]


@register("GenerateProposals", "GenerateProposalsCPP")
def generate_proposals(ctx):
    anchors = ctx.maybe_shape(3)
    box_dim = anchors[-1] if anchors else 4
    return [BlobInfo((-1, box_dim + 1), F32), BlobInfo((-1,), F32)]


@register("BBoxTransform")
def bbox_transform(ctx):
    rois, deltas = ctx.shape(0), ctx.shape(1)
    im_info = ctx.maybe_shape(2)
    batch = im_info[0] if im_info else -1
    return [BlobInfo((rois[0], deltas[1]), ctx.dtype(1)), BlobInfo((batch,), F32)]


@register("BoxWithNMSLimit")
def box_with_nms_limit(ctx):
    scores = ctx.shape(0)
    box_dim = 5 if ctx.i("rotated") else 4
    splits = ctx.maybe_shape(2) if ctx.n_in > 2 else None
    batch = splits[0] if splits else 1
    n_cls = scores[1] if len(scores) > 1 else -1
    return [
        BlobInfo((-1,), F32), BlobInfo((-1, box_dim), F32), BlobInfo((-1,), F32),
        BlobInfo((batch,), F32), BlobInfo((-1,), "int32"), BlobInfo((batch, n_cls), "int32"),
    ]


@register("CollectRpnProposals")
def collect_rpn_proposals(ctx):
    return [BlobInfo((-1, 5), F32)]


@register("DistributeFpnProposals")
def distribute_fpn_proposals(ctx):
    """One [R_l, 5] RoI blob per FPN level, then the int32 restore index [R]."""
    outs = [BlobInfo((-1, 5), ctx.dtype(0, F32)) for _ in range(ctx.n_out)]
    if ctx.n_out > 1:
        outs[-1] = BlobInfo((ctx.shape(0)[0],), "int32")
    return outs


@register("CollectAndDistributeFpnRpnProposals")
def collect_distribute_fpn(ctx):
    outs = [BlobInfo((-1, 5), F32) for _ in range(ctx.n_out)]
    if ctx.n_out > 1:
        outs[-1] = BlobInfo((-1,), "int32")
    return outs


@register("HeatmapMaxKeypoint")
def heatmap_max_keypoint(ctx):
    r, k = ctx.shape(0)[:2]
    return [BlobInfo((r, 4, k), F32)]
