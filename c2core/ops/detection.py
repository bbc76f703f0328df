"""Detectron's inference tail: RoIAlign, BBoxTransform, GenerateProposals,
BoxWithNMSLimit, and the FPN plumbing (Collect/Distribute proposals,
BatchPermutation).

Semantics follow caffe2/operators/roi_align_op.cc, bbox_transform_op.cc,
generate_proposals_op.cc (+ _util_boxes.h, _util_nms.h) and
box_with_nms_limit_op.cc, upright boxes only (`rotated=1` is refused):

- Box arithmetic is float32, as Caffe2's Eigen arrays are. `legacy_plus_one`
  (default 1) adds 1 to widths/heights (areas, IoU, min_size filtering) and
  clips to [0, size - 1]. The transform's "-1" on x2/y2 is
  `correct_transform_coords` when the op carries that (older Caffe2, default
  0 there), otherwise it follows `legacy_plus_one` (later Caffe2).
- NMS is Caffe2's greedy loop: candidates in descending score order, a box is
  dropped when its IoU with a kept one is > thresh. Caffe2 sorts with
  std::sort, whose order among equal scores is unspecified; here ties keep
  index order (a stable sort).
- RoIAlign averages roi_bin_grid_h × roi_bin_grid_w bilinear samples per bin
  (`sampling_ratio` <= 0: ceil(roi_size / pooled) per RoI), samples outside
  [-1, size] count as 0; `aligned=0` (default) forces RoIs to at least 1×1 and
  applies no half-pixel shift. RoIs sharing a sampling grid are done together:
  every sample's four taps are gathered as channel vectors from an NHWC view
  and weighted (float32, like Caffe2; only the summation order differs).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .registry import register

BBOX_XFORM_CLIP = float(np.float32(math.log(1000.0 / 16.0)))


def _plus_one(args) -> float:
    return 1.0 if args.int("legacy_plus_one") else 0.0


def _transform_offset(args) -> float:
    if "correct_transform_coords" in args:
        return 1.0 if args.int("correct_transform_coords") else 0.0
    return _plus_one(args)


def _refuse_rotated(ctx):
    if ctx.args.int("rotated"):
        raise ValueError(f"{ctx.type}: rotated boxes are not supported")


def _np32(t) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


def _like(x, result):
    """Results computed on the CPU (NumPy), moved to the device of input `x`."""
    if x.device.type == "cpu":
        return result
    if isinstance(result, tuple):
        return tuple(r.to(x.device) for r in result)
    return result.to(x.device)


# --------------------------------------------------------------------------
# Box utilities (float32 NumPy, like Caffe2's Eigen arrays)


def bbox_transform(boxes, deltas, weights, plus: float, offset: float, clip: float = BBOX_XFORM_CLIP) -> np.ndarray:
    """Apply [dx, dy, dw, dh] deltas to [x1, y1, x2, y2] boxes (both [n, 4])."""
    f = np.float32
    widths = boxes[:, 2] - boxes[:, 0] + f(plus)
    heights = boxes[:, 3] - boxes[:, 1] + f(plus)
    ctr_x = boxes[:, 0] + f(0.5) * widths
    ctr_y = boxes[:, 1] + f(0.5) * heights
    wx, wy, ww, wh = (f(w) for w in weights)
    dx = deltas[:, 0] / wx
    dy = deltas[:, 1] / wy
    dw = np.minimum(deltas[:, 2] / ww, f(clip))
    dh = np.minimum(deltas[:, 3] / wh, f(clip))
    pcx = dx * widths + ctr_x
    pcy = dy * heights + ctr_y
    pw = np.exp(dw) * widths
    ph = np.exp(dh) * heights
    out = np.empty_like(deltas, dtype=np.float32)
    out[:, 0] = pcx - f(0.5) * pw
    out[:, 1] = pcy - f(0.5) * ph
    out[:, 2] = pcx + f(0.5) * pw - f(offset)
    out[:, 3] = pcy + f(0.5) * ph - f(offset)
    return out


def clip_boxes(boxes, height: int, width: int, plus: float) -> np.ndarray:
    """Caffe2's clip: min(v, size - 1) then max(·, 0), per coordinate."""
    hi = np.array([width - plus, height - plus, width - plus, height - plus], dtype=np.float32)
    return np.maximum(np.minimum(boxes, hi), np.float32(0))


def nms(boxes, order, thresh: float, top_n: int = -1, plus: float = 1.0) -> list[int]:
    """Greedy NMS over `order` (indices already sorted by descending score)."""
    f = np.float32
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = (x2 - x1 + f(plus)) * (y2 - y1 + f(plus))
    order = np.asarray(order, dtype=np.int64)
    keep: list[int] = []
    while order.size:
        if 0 <= top_n <= len(keep):
            break
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(np.minimum(x2[rest], x2[i]) - np.maximum(x1[rest], x1[i]) + f(plus), f(0))
        h = np.maximum(np.minimum(y2[rest], y2[i]) - np.maximum(y1[rest], y1[i]) + f(plus), f(0))
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):
            ovr = inter / (areas[i] + areas[rest] - inter)
        order = rest[ovr <= f(thresh)]
    return keep


def _desc_order(scores) -> np.ndarray:
    return np.argsort(-scores, kind="stable")


# --------------------------------------------------------------------------
# BBoxTransform


def _prepare_bbox_transform(ctx):
    _refuse_rotated(ctx)
    a = ctx.args
    weights = a.floats("weights")
    if len(weights) != 4:
        raise ValueError(f"BBoxTransform: weights must have 4 values, got {weights}")
    return weights, bool(a.int("apply_scale")), _plus_one(a), _transform_offset(a)


@register("BBoxTransform", prepare=_prepare_bbox_transform)
def bbox_transform_op(ctx, rois, deltas, im_info):
    weights, apply_scale, plus, offset = ctx.state
    like = deltas
    rois, deltas, im_info = _np32(rois), _np32(deltas), _np32(im_info)
    n = rois.shape[0]
    if rois.ndim != 2 or rois.shape[1] not in (4, 5):
        raise ValueError(f"BBoxTransform: rois must be [R, 4] or [R, 5], got {list(rois.shape)}")
    if deltas.shape[0] != n or deltas.shape[1] % 4:
        raise ValueError(f"BBoxTransform: deltas {list(deltas.shape)} do not match rois {list(rois.shape)}")
    batch = im_info.shape[0]
    if rois.shape[1] == 4:
        if batch != 1:
            raise ValueError("BBoxTransform: rois without batch indices need a single image")
        counts = np.array([n])
    else:
        ids = rois[:, 0].astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= batch):
            raise ValueError(f"BBoxTransform: roi batch index out of range for {batch} images")
        counts = np.bincount(ids, minlength=batch)
    out = np.empty_like(deltas)
    start = 0
    for b in range(batch):
        h, w, scale = (np.float32(v) for v in im_info[b])
        img_h, img_w = int(h / scale + np.float32(0.5)), int(w / scale + np.float32(0.5))
        after = scale if apply_scale else np.float32(1.0)
        sl = slice(start, start + int(counts[b]))
        boxes = rois[sl, -4:] / scale
        for k in range(deltas.shape[1] // 4):
            t = bbox_transform(boxes, deltas[sl, 4 * k:4 * k + 4], weights, plus, offset)
            out[sl, 4 * k:4 * k + 4] = clip_boxes(t, img_h, img_w, plus) * after
        start += int(counts[b])
    y = torch.from_numpy(out)
    if len(ctx.op.output) > 1:
        return _like(like, (y, torch.from_numpy(counts.astype(np.float32))))
    return _like(like, y)


# --------------------------------------------------------------------------
# GenerateProposals


def _prepare_proposals(ctx):
    a = ctx.args
    return dict(
        stride=1.0 / a.float("spatial_scale"),
        pre=a.int("pre_nms_topN"),
        post=a.int("post_nms_topN"),
        thresh=a.float("nms_thresh"),
        min_size=a.float("min_size"),
        plus=_plus_one(a),
        offset=_transform_offset(a),
    )


def all_anchors(anchors, height: int, width: int, stride: float) -> np.ndarray:
    """Anchors shifted to every feature-map cell, rows ordered (h, w, a)."""
    sx = (np.arange(width, dtype=np.float32) * np.float32(stride))
    sy = (np.arange(height, dtype=np.float32) * np.float32(stride))
    gx, gy = np.meshgrid(sx, sy)  # [H, W]
    shifts = np.stack([gx, gy, gx, gy], axis=-1).reshape(-1, 1, 4)
    return (anchors.reshape(1, -1, 4) + shifts).reshape(-1, 4).astype(np.float32)


def proposals_for_image(p, im_info, anchors_all, deltas, scores):
    """(boxes [k, 4], probs [k]) for one image; deltas [4A, H, W], scores [A, H, W]."""
    a4, h, w = deltas.shape
    deltas = deltas.transpose(1, 2, 0).reshape(-1, 4)
    scores = scores.transpose(1, 2, 0).reshape(-1)
    order = _desc_order(scores)
    if 0 < p["pre"] < scores.size:
        order = order[:p["pre"]]
    props = bbox_transform(anchors_all[order], deltas[order], (1.0, 1.0, 1.0, 1.0), p["plus"], p["offset"])
    sc = scores[order]
    props = clip_boxes(props, int(im_info[0]), int(im_info[1]), p["plus"])
    f = np.float32
    min_size = f(p["min_size"]) * f(im_info[2])
    ws = props[:, 2] - props[:, 0] + f(p["plus"])
    hs = props[:, 3] - props[:, 1] + f(p["plus"])
    x_ctr = props[:, 0] + ws / f(2)
    y_ctr = props[:, 1] + hs / f(2)
    keep = np.nonzero((ws >= min_size) & (hs >= min_size) & (x_ctr < f(im_info[1])) & (y_ctr < f(im_info[0])))[0]
    top = p["post"] if 0 < p["post"] < keep.size else -1
    keep = nms(props, keep, p["thresh"], top, p["plus"])
    return props[keep], sc[keep]


@register("GenerateProposals", "GenerateProposalsCPP", prepare=_prepare_proposals)
def generate_proposals(ctx, scores, deltas, im_info, anchors):
    p = ctx.state
    like = scores
    scores, deltas, im_info, anchors = _np32(scores), _np32(deltas), _np32(im_info), _np32(anchors)
    if anchors.ndim != 2 or anchors.shape[1] != 4:
        raise ValueError(f"GenerateProposals: anchors must be [A, 4] (rotated boxes unsupported), got {list(anchors.shape)}")
    n, a, h, w = scores.shape
    if deltas.shape != (n, 4 * a, h, w) or im_info.shape != (n, 3) or anchors.shape[0] != a:
        raise ValueError(f"GenerateProposals: inconsistent shapes scores {list(scores.shape)}, deltas {list(deltas.shape)}, "
                         f"im_info {list(im_info.shape)}, anchors {list(anchors.shape)}")
    grid = all_anchors(anchors, h, w, p["stride"])
    rois, probs = [], []
    for i in range(n):
        boxes, pr = proposals_for_image(p, im_info[i], grid, deltas[i], scores[i])
        rois.append(np.concatenate([np.full((boxes.shape[0], 1), i, np.float32), boxes], axis=1))
        probs.append(pr)
    out = torch.from_numpy(np.concatenate(rois).reshape(-1, 5)), torch.from_numpy(np.concatenate(probs).astype(np.float32))
    return _like(like, out)


# --------------------------------------------------------------------------
# BoxWithNMSLimit


def _prepare_box_nms(ctx):
    _refuse_rotated(ctx)
    a = ctx.args
    if a.int("soft_nms_enabled"):
        raise ValueError("BoxWithNMSLimit: soft_nms_enabled=1 is not supported")
    include_bg = bool(a.int("input_boxes_include_bg_cls"))
    return dict(
        score_thresh=a.float("score_thresh"),
        nms=a.float("nms"),
        per_im=a.int("detections_per_im"),
        agnostic=bool(a.int("cls_agnostic_bbox_reg")),
        include_bg=include_bg,
        out_bg=bool(a.int("output_classes_include_bg_cls")),
        score_start=int(include_bg),
        plus=_plus_one(a),
    )


def _box_col(p, j: int) -> int:
    if p["agnostic"]:
        return 0
    return j if p["include_bg"] else j - 1


def _nms_one_image(p, scores, boxes):
    """Per-class NMS plus the per-image limit; returns keeps[j] lists."""
    num_classes = scores.shape[1]
    keeps: list[list[int]] = [[] for _ in range(num_classes)]
    top = p["per_im"] if p["per_im"] > 0 else -1
    for j in range(1, num_classes):
        cs = scores[:, j - 1 + p["score_start"]]
        inds = np.nonzero(cs > np.float32(p["score_thresh"]))[0]
        inds = inds[np.argsort(-cs[inds], kind="stable")]
        c = _box_col(p, j)
        keeps[j] = nms(boxes[:, 4 * c:4 * c + 4], inds, p["nms"], top, p["plus"])
    total = sum(len(k) for k in keeps)
    if p["per_im"] > 0 and total > p["per_im"]:
        pairs = [(j, i) for j in range(1, num_classes) for i in keeps[j]]
        vals = np.array([scores[i, j - 1 + p["score_start"]] for j, i in pairs], dtype=np.float32)
        chosen = np.argsort(-vals, kind="stable")[:p["per_im"]]
        keeps = [[] for _ in range(num_classes)]
        for k in chosen:
            j, i = pairs[k]
            keeps[j].append(i)
    return keeps


@register("BoxWithNMSLimit", prepare=_prepare_box_nms)
def box_with_nms_limit(ctx, scores, boxes, batch_splits=None):
    p = ctx.state
    like = scores
    scores, boxes = _np32(scores), _np32(boxes)
    scores = scores.reshape(scores.shape[0], -1)
    boxes = boxes.reshape(boxes.shape[0], -1)
    n, num_classes = scores.shape
    box_classes = _box_col(p, num_classes - 1) + 1
    if boxes.shape != (n, 4 * box_classes):
        raise ValueError(f"BoxWithNMSLimit: boxes {list(boxes.shape)} do not match scores {list(scores.shape)}")
    splits = [n] if batch_splits is None else [int(v) for v in batch_splits.reshape(-1).tolist()]
    if sum(splits) != n:
        raise ValueError(f"BoxWithNMSLimit: batch_splits {splits} do not add up to {n} boxes")
    out_s, out_b, out_c, out_keeps, keep_sizes, per_batch = [], [], [], [], [], []
    start = 0
    for count in splits:
        sl = slice(start, start + count)
        sc, bx = scores[sl], boxes[sl]
        keeps = _nms_one_image(p, sc, bx)
        for j in range(1, num_classes):
            idx = np.asarray(keeps[j], dtype=np.int64)
            c = _box_col(p, j)
            out_s.append(sc[idx, j - 1 + p["score_start"]])
            out_b.append(bx[idx, 4 * c:4 * c + 4])
            out_c.append(np.full(idx.size, j - (0 if p["out_bg"] else 1), np.float32))
        out_keeps.extend(i for k in keeps for i in k)
        keep_sizes.append([len(k) for k in keeps])
        per_batch.append(sum(len(k) for k in keeps))
        start += count
    def cat(parts, width):
        if not parts:
            return torch.zeros((0, width) if width else (0,))
        a = np.concatenate(parts).astype(np.float32)
        return torch.from_numpy(a.reshape(-1, width) if width else a)

    result = [
        cat(out_s, 0), cat(out_b, 4), cat(out_c, 0),
        torch.tensor(per_batch, dtype=torch.float32),
        torch.tensor(out_keeps, dtype=torch.int32),
        torch.tensor(keep_sizes, dtype=torch.int32).reshape(len(splits), num_classes),
    ]
    return _like(like, tuple(result[:max(3, len(ctx.op.output))]))


# --------------------------------------------------------------------------
# RoIAlign


def _prepare_roi_align(ctx):
    a = ctx.args
    order = a.str("order").upper()
    if order not in ("NCHW", "NHWC"):
        raise ValueError(f"RoIAlign: unknown order {order}")
    return dict(
        order=order,
        scale=float(np.float32(a.float("spatial_scale"))),
        ph=a.int("pooled_h"),
        pw=a.int("pooled_w"),
        ratio=a.int("sampling_ratio"),
        aligned=bool(a.int("aligned")),
    )


def _axis_samples(start, bin_size, grid: int, pooled: int, size: int):
    """Bilinear taps along one axis for `grid` samples per bin.

    Returns (low, high, w_low, w_high), each [R, pooled, grid]. Positions are
    float32 in Caffe2's expression order; a sample outside [-1, size] gets
    zero weights (it contributes nothing, whatever the other axis says).
    """
    r = start.shape[0]
    p = torch.arange(pooled, dtype=torch.float32, device=start.device).view(1, pooled, 1)
    i = torch.arange(grid, dtype=torch.float32, device=start.device).view(1, 1, grid)
    b = bin_size.view(r, 1, 1)
    pos = (start.view(r, 1, 1) + p * b) + (i + 0.5) * b / float(grid)
    valid = ((pos >= -1.0) & (pos <= float(size))).to(torch.float32)
    pos = pos.clamp(min=0.0)
    low = pos.floor().to(torch.int64)
    at_end = low >= size - 1
    low = torch.where(at_end, torch.full_like(low, size - 1), low)
    high = torch.where(at_end, low, low + 1)
    pos = torch.where(at_end, low.to(torch.float32), pos)
    frac = pos - low.to(torch.float32)
    return low, high, (1.0 - frac) * valid, frac * valid


def _roi_align_group(flat, base, y1, x1, bh, bw, gh: int, gw: int, ph: int, pw: int, h: int, w: int):
    """[R, ph, pw, C] for RoIs sharing one sampling grid; `flat` is [N·H·W, C]."""
    r = y1.shape[0]
    yl, yh, wyl, wyh = _axis_samples(y1, bh, gh, ph, h)
    xl, xh, wxl, wxh = _axis_samples(x1, bw, gw, pw, w)
    # taps ordered [R, ph, pw | gh, gw, 2 rows, 2 cols] so that one batched
    # matmul of weights [R·ph·pw, 1, K] with taps [R·ph·pw, K, C] averages a bin
    rows = torch.stack([yl, yh], -1).view(r, ph, 1, gh, 1, 2, 1)
    cols = torch.stack([xl, xh], -1).view(r, 1, pw, 1, gw, 1, 2)
    wy = torch.stack([wyl, wyh], -1).view(r, ph, 1, gh, 1, 2, 1)
    wx = torch.stack([wxl, wxh], -1).view(r, 1, pw, 1, gw, 1, 2)
    idx = base.view(r, 1, 1, 1, 1, 1, 1) + rows * w + cols
    k = gh * gw * 4
    wt = (wy * wx).reshape(r * ph * pw, 1, k) / float(max(gh * gw, 1))
    taps = flat.index_select(0, idx.reshape(-1)).view(r * ph * pw, k, -1)
    return torch.bmm(wt, taps).view(r, ph, pw, -1)


@register("RoIAlign", prepare=_prepare_roi_align)
def roi_align(ctx, x, rois):
    s = ctx.state
    nhwc = s["order"] == "NHWC"
    feat = x if nhwc else x.permute(0, 2, 3, 1)
    n, h, w, c = feat.shape
    ph, pw = s["ph"], s["pw"]
    if rois.numel() == 0:
        return torch.zeros((0, ph, pw, c) if nhwc else (0, c, ph, pw), dtype=torch.float32, device=x.device)
    if rois.dim() != 2 or rois.shape[1] not in (4, 5):
        raise ValueError(f"RoIAlign: rois must be [R, 4] or [R, 5], got {list(rois.shape)}")
    rois = rois.to(device=x.device, dtype=torch.float32)
    batch = rois[:, 0].to(torch.int64) if rois.shape[1] == 5 else torch.zeros(rois.shape[0], dtype=torch.int64, device=x.device)
    if batch.numel() and (int(batch.min()) < 0 or int(batch.max()) >= n):
        raise ValueError(f"RoIAlign: roi batch index out of range for {n} images")
    box = rois[:, -4:]
    offset = 0.5 if s["aligned"] else 0.0
    scale = torch.tensor(s["scale"], dtype=torch.float32, device=x.device)
    x1, y1, x2, y2 = (box[:, k] * scale - offset for k in range(4))
    rw, rh = x2 - x1, y2 - y1
    if not s["aligned"]:
        rw, rh = rw.clamp(min=1.0), rh.clamp(min=1.0)
    elif bool((rw < 0).any()) or bool((rh < 0).any()):
        raise ValueError("RoIAlign: RoIs must have non-negative size when aligned=1")
    bh, bw = rh / ph, rw / pw
    if s["ratio"] > 0:
        gh = gw = torch.full(rh.shape, s["ratio"], dtype=torch.int64, device=x.device)
    else:
        gh, gw = torch.ceil(rh / ph).to(torch.int64), torch.ceil(rw / pw).to(torch.int64)
    flat = feat.to(torch.float32).reshape(n * h * w, c)
    base = batch * (h * w)
    out = torch.empty(rois.shape[0], ph, pw, c, dtype=torch.float32, device=x.device)
    key = gh * (int(gw.max()) + 1) + gw
    for kv in torch.unique(key).tolist():
        sel = torch.nonzero(key == kv).flatten()
        g_h, g_w = int(gh[sel[0]]), int(gw[sel[0]])
        if g_h == 0 or g_w == 0:  # aligned RoI of zero size: no samples, output 0
            out[sel] = 0.0
            continue
        chunk = max(1, (16 << 20) // max(1, ph * g_h * pw * g_w * 4 * c))
        for k in range(0, sel.numel(), chunk):
            i = sel[k:k + chunk]
            out[i] = _roi_align_group(flat, base[i], y1[i], x1[i], bh[i], bw[i], g_h, g_w, ph, pw, h, w)
    return out if nhwc else out.permute(0, 3, 1, 2).contiguous()


# --------------------------------------------------------------------------
# FPN proposal plumbing (collect_and_distribute_fpn_rpn_proposals_op.cc,
# batch_permutation_op.cc): merge per-level RPN proposals, keep the best,
# and send each RoI to the pyramid level its size calls for.


def _prepare_fpn(ctx):
    a = ctx.args
    return dict(
        scale=a.int("roi_canonical_scale"),
        level=a.int("roi_canonical_level"),
        roi_min=a.int("roi_min_level"),
        roi_max=a.int("roi_max_level"),
        rpn_min=a.int("rpn_min_level"),
        rpn_max=a.int("rpn_max_level"),
        top_n=a.int("rpn_post_nms_topN"),
        plus=_plus_one(a),
    )


def _collect(p, inputs, what):
    levels = p["rpn_max"] - p["rpn_min"] + 1
    if len(inputs) != 2 * levels:
        raise ValueError(f"{what}: expects {2 * levels} inputs (rois and scores of levels {p['rpn_min']}..{p['rpn_max']}), got {len(inputs)}")
    rois = np.concatenate([_np32(r).reshape(-1, 5) for r in inputs[:levels]])
    scores = np.concatenate([_np32(s).reshape(-1) for s in inputs[levels:]])
    if scores.size != rois.shape[0]:
        raise ValueError(f"{what}: {rois.shape[0]} RoIs but {scores.size} scores")
    order = _desc_order(scores)  # ties by position: Caffe2's comparator is stable too
    if 0 < p["top_n"] < order.size:
        order = order[:p["top_n"]]
    return rois[order]


def fpn_levels(boxes, p) -> np.ndarray:
    """FPN paper eq. 1: floor(lvl0 + log2(sqrt(area) / s0 + 1e-6)), clipped."""
    f = np.float32
    area = (boxes[:, 2] - boxes[:, 0] + f(p["plus"])) * (boxes[:, 3] - boxes[:, 1] + f(p["plus"]))
    if (area < 0).any():
        raise ValueError("FPN proposals: negative box areas")
    s = np.sqrt(area)
    lv = np.floor(f(p["level"]) + np.log(s / f(p["scale"]) + f(1e-6)) / f(math.log(2.0)))
    return np.clip(lv, p["roi_min"], p["roi_max"]).astype(np.int64)


def _distribute(p, rois, like, n_outputs, what):
    levels = p["roi_max"] - p["roi_min"] + 1
    if n_outputs != levels + 1:
        raise ValueError(f"{what}: expects {levels + 1} outputs (levels {p['roi_min']}..{p['roi_max']} and the restore index), got {n_outputs}")
    lv = fpn_levels(rois[:, 1:5], p)
    outs, order = [], []
    for level in range(p["roi_min"], p["roi_max"] + 1):
        idx = np.nonzero(lv == level)[0]
        outs.append(torch.from_numpy(np.ascontiguousarray(rois[idx]).reshape(-1, 5)))
        order.append(idx)
    restore = np.argsort(np.concatenate(order), kind="stable").astype(np.int32)
    return tuple(_like(like, o) for o in outs) + (_like(like, torch.from_numpy(restore)),)


@register("CollectRpnProposals", prepare=_prepare_fpn)
def collect_rpn_proposals(ctx, *inputs):
    return _like(inputs[0], torch.from_numpy(_collect(ctx.state, inputs, ctx.type)))


@register("DistributeFpnProposals", prepare=_prepare_fpn)
def distribute_fpn_proposals(ctx, rois):
    return _distribute(ctx.state, _np32(rois).reshape(-1, 5), rois, len(ctx.op.output), ctx.type)


@register("CollectAndDistributeFpnRpnProposals", prepare=_prepare_fpn)
def collect_and_distribute(ctx, *inputs):
    rois = _collect(ctx.state, inputs, ctx.type)
    rest = _distribute(ctx.state, rois, inputs[0], len(ctx.op.output) - 1, ctx.type)
    return (_like(inputs[0], torch.from_numpy(rois)),) + rest


@register("BatchPermutation")
def batch_permutation(ctx, x, indices):
    """Y[i] = X[indices[i]] along the first axis (restores RoI order after FPN)."""
    idx = indices.reshape(-1).to(device=x.device, dtype=torch.int64)
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[0]):
        raise ValueError(f"BatchPermutation: index out of range for {x.shape[0]} rows")
    return x.index_select(0, idx)
