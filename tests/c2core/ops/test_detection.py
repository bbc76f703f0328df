"""Detection ops against naive references written from Caffe2's C++ loops.

References are per-box / per-sample Python in float64 (RoIAlign sample
positions in float32, as Caffe2 computes them, so that floor() picks the same
pixels). Tolerances: RoIAlign 1e-5 absolute on unit-scale features (float32
accumulation order differs); box coordinates 1e-3 absolute on coordinates up
to ~600 px (float32 ulp there is 6e-5, exp() adds a few); index outputs
(classes, keeps, counts) exact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from _b2_helpers import call_op
from tests.references.roi_align import roi_align as ref_roi_align

RNG = np.random.default_rng(7)
CLIP = math.log(1000.0 / 16.0)


def t(a, dtype=np.float32):
    return torch.from_numpy(np.asarray(a, dtype=dtype))


# ---------------------------------------------------------------- RoIAlign


def random_rois(k, n_img, size, with_batch=True):
    xy = RNG.uniform(-8, size + 8, size=(k, 2))
    wh = RNG.uniform(0.3, size * 0.8, size=(k, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    if not with_batch:
        return boxes.astype(np.float32)
    ids = RNG.integers(0, n_img, size=(k, 1))
    return np.concatenate([ids, boxes], axis=1).astype(np.float32)


@pytest.mark.parametrize("ratio,aligned,order", [(2, 0, "NCHW"), (0, 0, "NCHW"), (-1, 1, "NCHW"), (2, 1, "NHWC"), (0, 0, "NHWC")])
def test_roi_align_matches_loops(ratio, aligned, order):
    x = RNG.normal(size=(2, 3, 9, 11)).astype(np.float32)
    rois = random_rois(12, 2, 40)
    args = dict(spatial_scale=0.25, pooled_h=3, pooled_w=2, sampling_ratio=ratio, aligned=aligned, order=order)
    xin = t(x.transpose(0, 2, 3, 1)) if order == "NHWC" else t(x)
    y = call_op("RoIAlign", [xin, t(rois)], **args).numpy()
    ref = ref_roi_align(x, rois, 0.25, 3, 2, ratio, aligned)
    if order == "NHWC":
        ref = ref.transpose(0, 2, 3, 1)
    assert y.shape == ref.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, ref, atol=1e-5, rtol=0)
    assert np.abs(ref).max() > 0.1  # not all samples fell outside


def test_roi_align_four_column_rois_and_empty():
    x = RNG.normal(size=(1, 2, 6, 6)).astype(np.float32)
    rois = random_rois(5, 1, 6, with_batch=False)
    y = call_op("RoIAlign", [t(x), t(rois)], pooled_h=2, pooled_w=2, sampling_ratio=1).numpy()
    np.testing.assert_allclose(y, ref_roi_align(x, rois, 1.0, 2, 2, 1, False), atol=1e-5)
    e = call_op("RoIAlign", [t(x), torch.zeros(0, 5)], pooled_h=7, pooled_w=7)
    assert tuple(e.shape) == (0, 2, 7, 7)


# ---------------------------------------------------------------- boxes


def ref_transform_row(box, d, weights, plus, offset):
    w = box[2] - box[0] + plus
    h = box[3] - box[1] + plus
    cx, cy = box[0] + 0.5 * w, box[1] + 0.5 * h
    dx, dy = d[0] / weights[0], d[1] / weights[1]
    dw, dh = min(d[2] / weights[2], CLIP), min(d[3] / weights[3], CLIP)
    pcx, pcy = dx * w + cx, dy * h + cy
    pw, ph = math.exp(dw) * w, math.exp(dh) * h
    return [pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw - offset, pcy + 0.5 * ph - offset]


def ref_clip_row(b, height, width, plus):
    return [min(max(b[0], 0), width - plus) if width - plus >= 0 else 0, min(max(b[1], 0), height - plus),
            min(max(b[2], 0), width - plus), min(max(b[3], 0), height - plus)]


@pytest.mark.parametrize("apply_scale,plus,correct", [(1, 1, None), (0, 1, 1), (1, 0, None), (1, 1, 0)])
def test_bbox_transform(apply_scale, plus, correct):
    im_info = np.array([[300, 400, 2.0], [200, 250, 1.0]], np.float32)
    rois = np.concatenate([random_rois(6, 1, 500), random_rois(4, 1, 300)])
    rois[:6, 0], rois[6:, 0] = 0, 1
    deltas = RNG.normal(0, 0.5, size=(10, 12)).astype(np.float32)
    deltas[0, 2] = 9.0  # exercises the log(1000/16) clip
    weights = [10.0, 10.0, 5.0, 5.0]
    args = dict(weights=weights, apply_scale=apply_scale, legacy_plus_one=plus)
    if correct is not None:
        args["correct_transform_coords"] = correct
    offset = plus if correct is None else correct
    y, splits = call_op("BBoxTransform", [t(rois), t(deltas), t(im_info)], n_out=2, **args)
    ref = np.zeros((10, 12))
    for r in range(10):
        b = int(rois[r, 0])
        h, w, s = (float(v) for v in im_info[b])
        ih, iw = int(h / s + 0.5), int(w / s + 0.5)
        box = rois[r, 1:].astype(np.float64) / s
        for k in range(3):
            tb = ref_clip_row(ref_transform_row(box, deltas[r, 4 * k:4 * k + 4].astype(np.float64), weights, plus, offset), ih, iw, plus)
            ref[r, 4 * k:4 * k + 4] = np.array(tb) * (s if apply_scale else 1.0)
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-3, rtol=1e-5)
    assert splits.tolist() == [6.0, 4.0]


def iou(a, b, plus):
    iw = max(min(a[2], b[2]) - max(a[0], b[0]) + plus, 0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]) + plus, 0)
    inter = iw * ih
    area = lambda z: (z[2] - z[0] + plus) * (z[3] - z[1] + plus)
    return inter / (area(a) + area(b) - inter)


def ref_nms(boxes, cand, thresh, top_n, plus):
    """Detectron's cython_nms: visit candidates in order, suppress overlaps > thresh."""
    keep, suppressed = [], set()
    for pos, i in enumerate(cand):
        if i in suppressed:
            continue
        if top_n >= 0 and len(keep) >= top_n:
            break
        keep.append(i)
        for j in cand[pos + 1:]:
            if j not in suppressed and iou(boxes[i], boxes[j], plus) > thresh:
                suppressed.add(j)
    return keep


def ref_generate_proposals(scores, deltas, im_info, anchors, stride, pre, post, thresh, min_size):
    n, a, h, w = scores.shape
    rois, probs = [], []
    for img in range(n):
        cand = []  # (score, anchor box, delta) in (h, w, a) order
        for y in range(h):
            for x in range(w):
                for k in range(a):
                    anc = anchors[k] + np.array([x, y, x, y]) * stride
                    cand.append((float(scores[img, k, y, x]), anc, deltas[img, 4 * k:4 * k + 4, y, x].astype(np.float64)))
        cand.sort(key=lambda c: -c[0])
        if 0 < pre < len(cand):
            cand = cand[:pre]
        H, W, S = (float(v) for v in im_info[img])
        boxes, sc = [], []
        for s, anc, d in cand:
            b = ref_clip_row(ref_transform_row(anc, d, [1, 1, 1, 1], 1, 1), int(H), int(W), 1)
            ws, hs = b[2] - b[0] + 1, b[3] - b[1] + 1
            if ws >= min_size * S and hs >= min_size * S and b[0] + ws / 2 < W and b[1] + hs / 2 < H:
                boxes.append(b)
                sc.append(s)
        top = post if 0 < post < len(boxes) else -1
        keep = ref_nms(boxes, list(range(len(boxes))), thresh, top, 1)
        rois += [[img] + boxes[i] for i in keep]
        probs += [sc[i] for i in keep]
    return np.array(rois).reshape(-1, 5), np.array(probs)


@pytest.mark.parametrize("pre,post", [(6000, 300), (40, 10)])
def test_generate_proposals(pre, post):
    n, a, h, w = 2, 3, 5, 6
    scores = RNG.uniform(size=(n, a, h, w)).astype(np.float32)
    deltas = RNG.normal(0, 0.3, size=(n, 4 * a, h, w)).astype(np.float32)
    im_info = np.array([[80, 96, 1.0], [70, 90, 1.5]], np.float32)
    anchors = np.array([[-8, -8, 23, 23], [-24, -8, 39, 23], [-4, -20, 19, 35]], np.float32)
    rois, probs = call_op("GenerateProposals", [t(scores), t(deltas), t(im_info), t(anchors)], n_out=2,
                          spatial_scale=1 / 16.0, pre_nms_topN=pre, post_nms_topN=post, nms_thresh=0.6, min_size=4.0,
                          correct_transform_coords=1)
    ref_rois, ref_probs = ref_generate_proposals(scores, deltas, im_info, anchors, 16.0, pre, post, 0.6, 4.0)
    assert rois.shape == ref_rois.shape and rois.shape[0] > 5
    np.testing.assert_allclose(rois.numpy(), ref_rois, atol=1e-3)
    np.testing.assert_allclose(probs.numpy(), ref_probs, rtol=0, atol=0)


def ref_box_nms_limit(scores, boxes, splits, thresh, nms_t, per_im, agnostic=False, include_bg=True, out_bg=True):
    start = 1 if include_bg else 0
    nc = scores.shape[1]
    out = dict(scores=[], boxes=[], classes=[], splits=[], keeps=[], sizes=[])
    off = 0
    for cnt in splits:
        sc, bx = scores[off:off + cnt], boxes[off:off + cnt]
        keeps = [[] for _ in range(nc)]
        for j in range(1, nc):
            col = 0 if agnostic else (j if include_bg else j - 1)
            s = sc[:, j - 1 + start]
            cand = sorted([i for i in range(cnt) if s[i] > thresh], key=lambda i: -s[i])
            bb = [list(map(float, bx[i, 4 * col:4 * col + 4])) for i in range(cnt)]
            keeps[j] = ref_nms(bb, cand, nms_t, per_im if per_im > 0 else -1, 1)
        allk = [(sc[i, j - 1 + start], j, i) for j in range(1, nc) for i in keeps[j]]
        if per_im > 0 and len(allk) > per_im:
            allk = sorted(allk, key=lambda z: -z[0])[:per_im]
            keeps = [[] for _ in range(nc)]
            for _, j, i in allk:
                keeps[j].append(i)
        for j in range(1, nc):
            col = 0 if agnostic else (j if include_bg else j - 1)
            for i in keeps[j]:
                out["scores"].append(sc[i, j - 1 + start])
                out["boxes"].append(bx[i, 4 * col:4 * col + 4])
                out["classes"].append(j if out_bg else j - 1)
        out["splits"].append(sum(len(k) for k in keeps))
        out["keeps"] += [i for k in keeps for i in k]
        out["sizes"].append([len(k) for k in keeps])
        off += cnt
    return out


def clustered_boxes(n, classes):
    centers = RNG.uniform(20, 200, size=(4, 2))
    c = centers[RNG.integers(0, 4, size=n)] + RNG.normal(0, 6, size=(n, 2))
    wh = RNG.uniform(20, 60, size=(n, 2))
    b = np.concatenate([c - wh / 2, c + wh / 2], axis=1)
    return np.tile(b, (1, classes)) + RNG.normal(0, 2, size=(n, 4 * classes))


@pytest.mark.parametrize("variant", ["default", "limit", "agnostic", "no_bg_boxes"])
def test_box_with_nms_limit(variant):
    n, nc = 40, 4
    scores = RNG.uniform(size=(n, nc)).astype(np.float32)
    kw = dict(score_thresh=0.3, nms=0.4, detections_per_im=100)
    ref_kw = dict(agnostic=False, include_bg=True, out_bg=True)
    box_classes = nc
    if variant == "limit":
        kw["detections_per_im"] = 7
    if variant == "agnostic":
        kw["cls_agnostic_bbox_reg"] = 1
        ref_kw["agnostic"] = True
        box_classes = 1
    if variant == "no_bg_boxes":
        kw["input_boxes_include_bg_cls"] = 0
        kw["output_classes_include_bg_cls"] = 0
        ref_kw.update(include_bg=False, out_bg=False)
        box_classes = nc - 1
    boxes = clustered_boxes(n, box_classes).astype(np.float32)
    splits = np.array([25, 15], np.float32)
    outs = call_op("BoxWithNMSLimit", [t(scores), t(boxes), t(splits)], n_out=6, **kw)
    ref = ref_box_nms_limit(scores, boxes, [25, 15], kw["score_thresh"], kw["nms"], kw["detections_per_im"], **ref_kw)
    s, b, c, sp, keeps, sizes = outs
    assert len(ref["scores"]) > 4
    np.testing.assert_array_equal(s.numpy(), np.array(ref["scores"], np.float32))
    np.testing.assert_array_equal(b.numpy(), np.array(ref["boxes"], np.float32).reshape(-1, 4))
    assert c.tolist() == [float(v) for v in ref["classes"]]
    assert sp.tolist() == [float(v) for v in ref["splits"]]
    assert keeps.dtype == torch.int32 and keeps.tolist() == ref["keeps"]
    assert sizes.tolist() == ref["sizes"]
    if variant == "limit":
        assert sp.tolist() == [7.0, 7.0]


def test_box_with_nms_limit_three_outputs_without_splits():
    scores = RNG.uniform(size=(10, 3)).astype(np.float32)
    boxes = clustered_boxes(10, 3).astype(np.float32)
    outs = call_op("BoxWithNMSLimit", [t(scores), t(boxes)], n_out=3, score_thresh=0.2, nms=0.5)
    assert len(outs) == 3
    ref = ref_box_nms_limit(scores, boxes, [10], 0.2, 0.5, 100)
    np.testing.assert_array_equal(outs[0].numpy(), np.array(ref["scores"], np.float32))


# ---------------------------------------------------------------------------
# A Detectron-like tail through the Predictor. Each stage is checked against
# its reference fed with the runtime's own previous-stage blobs (fetched), so
# float32 differences cannot compound into different NMS decisions.


def test_detectron_tail_through_predictor():
    from c2core.builder import NetBuilder, model_from
    from c2core.runtime import Predictor

    a, h, w, c, k = 3, 6, 8, 4, 3
    anchors = np.array([[-8, -8, 23, 23], [-24, -8, 39, 23], [-4, -20, 19, 35]], np.float32)
    wc = RNG.normal(0, 0.3, size=(k, c * 4)).astype(np.float32)
    bc = RNG.normal(0, 0.1, size=k).astype(np.float32)
    wb = RNG.normal(0, 0.05, size=(4 * k, c * 4)).astype(np.float32)
    bb = np.zeros(4 * k, np.float32)
    b = NetBuilder("tail")
    b.op("GenerateProposals", ["rpn_scores", "rpn_deltas", "im_info", "anchors"], ["rois", "rois_probs"],
         spatial_scale=1 / 16.0, pre_nms_topN=60, post_nms_topN=20, nms_thresh=0.7, min_size=2.0, correct_transform_coords=1)
    b.op("RoIAlign", ["feat", "rois"], "roi_feat", pooled_h=2, pooled_w=2, spatial_scale=1 / 16.0, sampling_ratio=2)
    b.op("FC", ["roi_feat", "wc", "bc"], "cls_logits")
    b.op("Softmax", "cls_logits", "cls_prob")
    b.op("FC", ["roi_feat", "wb", "bb"], "bbox_pred")
    b.op("BBoxTransform", ["rois", "bbox_pred", "im_info"], "pred_boxes", weights=[10.0, 10.0, 5.0, 5.0], apply_scale=0,
         correct_transform_coords=1)
    b.op("BoxWithNMSLimit", ["cls_prob", "pred_boxes"], ["det_scores", "det_boxes", "det_classes"], score_thresh=0.05, nms=0.5,
         detections_per_im=10)
    b.inputs("rpn_scores", "rpn_deltas", "im_info", "feat", "anchors", "wc", "bc", "wb", "bb")
    b.outputs("det_scores", "det_boxes", "det_classes")
    pred = Predictor(model_from(b.net, {"anchors": anchors, "wc": wc, "bc": bc, "wb": wb, "bb": bb}))

    scores = RNG.uniform(size=(1, a, h, w)).astype(np.float32)
    deltas = RNG.normal(0, 0.3, size=(1, 4 * a, h, w)).astype(np.float32)
    im_info = np.array([[h * 16, w * 16, 1.0]], np.float32)
    feat = RNG.normal(size=(1, c, h, w)).astype(np.float32)
    out = pred.run({"rpn_scores": scores, "rpn_deltas": deltas, "im_info": im_info, "feat": feat},
                   fetch=["rois", "roi_feat", "cls_prob", "bbox_pred", "pred_boxes"])

    ref_rois, _ = ref_generate_proposals(scores, deltas, im_info, anchors, 16.0, 60, 20, 0.7, 2.0)
    rois = out["rois"]
    assert rois.shape == ref_rois.shape == (20, 5)
    np.testing.assert_allclose(rois, ref_rois, atol=1e-3)
    np.testing.assert_allclose(out["roi_feat"], ref_roi_align(feat.astype(np.float64), rois, 1 / 16.0, 2, 2, 2, False), atol=1e-5)
    logits = out["roi_feat"].reshape(20, -1).astype(np.float64) @ wc.T + bc
    prob = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(out["cls_prob"], prob / prob.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    ref_boxes = np.zeros((20, 4 * k))
    for r in range(20):
        for j in range(k):
            d = out["bbox_pred"][r, 4 * j:4 * j + 4].astype(np.float64)
            tb = ref_transform_row(rois[r, 1:].astype(np.float64), d, [10, 10, 5, 5], 1, 1)
            ref_boxes[r, 4 * j:4 * j + 4] = ref_clip_row(tb, h * 16, w * 16, 1)
    np.testing.assert_allclose(out["pred_boxes"], ref_boxes, atol=1e-3)
    ref = ref_box_nms_limit(out["cls_prob"], out["pred_boxes"], [20], 0.05, 0.5, 10)
    assert 3 <= len(ref["scores"]) <= 10
    np.testing.assert_array_equal(out["det_scores"], np.array(ref["scores"], np.float32))
    np.testing.assert_array_equal(out["det_boxes"], np.array(ref["boxes"], np.float32).reshape(-1, 4))
    assert out["det_classes"].tolist() == [float(v) for v in ref["classes"]]


def test_roi_align_aligned_rejects_negative_rois():
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="non-negative"):
        call_op("RoIAlign", [x, torch.tensor([[0, 3.0, 3.0, 1.0, 1.0]])], aligned=1)
    # legacy mode forces malformed RoIs to 1x1 instead (Caffe2's behaviour)
    y = call_op("RoIAlign", [x + 1, torch.tensor([[0, 3.0, 3.0, 1.0, 1.0]])], pooled_h=1, pooled_w=1, sampling_ratio=1)
    assert y.shape == (1, 1, 1, 1) and float(y) == 1.0


# ---------------------------------------------------------------- FPN plumbing


def ref_fpn(rois_levels, scores_levels, top_n, lo=2, hi=5, s0=224, l0=4):
    rois = np.concatenate(rois_levels)
    scores = np.concatenate(scores_levels)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:top_n]
    rois = rois[order]
    lv = []
    for r in rois:
        s = math.sqrt((r[3] - r[1] + 1) * (r[4] - r[2] + 1))
        lv.append(min(max(math.floor(l0 + math.log2(s / s0 + 1e-6)), lo), hi))
    per = [[i for i in range(len(rois)) if lv[i] == level] for level in range(lo, hi + 1)]
    flat = [i for p in per for i in p]
    restore = [flat.index(i) for i in range(len(rois))]
    return rois, [rois[p].reshape(-1, 5) for p in per], restore


def fpn_inputs():
    rois, scores = [], []
    for n in (30, 20, 10, 6, 3):
        xy = RNG.uniform(0, 600, size=(n, 2))
        wh = np.exp(RNG.uniform(np.log(8), np.log(700), size=(n, 2)))
        rois.append(np.concatenate([np.zeros((n, 1)), xy, xy + wh], axis=1).astype(np.float32))
        scores.append(RNG.uniform(size=n).astype(np.float32))
    return rois, scores


def test_collect_and_distribute_fpn_proposals_and_batch_permutation():
    rois, scores = fpn_inputs()
    ins = [t(r) for r in rois] + [t(s) for s in scores]
    outs = call_op("CollectAndDistributeFpnRpnProposals", ins, n_out=6, rpn_post_nms_topN=40)
    ref_rois, ref_levels, ref_restore = ref_fpn(rois, scores, 40)
    np.testing.assert_array_equal(outs[0].numpy(), ref_rois)
    for got, want in zip(outs[1:5], ref_levels):
        np.testing.assert_array_equal(got.numpy(), want)
    assert sum(len(lv) for lv in ref_levels[1:3]) > 0 and len(ref_levels[0]) > 0  # several levels used
    assert outs[5].dtype == torch.int32 and outs[5].tolist() == ref_restore
    # the two halves alone agree with the fused op
    collected = call_op("CollectRpnProposals", ins, rpn_post_nms_topN=40)
    np.testing.assert_array_equal(collected.numpy(), ref_rois)
    dist = call_op("DistributeFpnProposals", [collected], n_out=5)
    for got, want in zip(dist, outs[1:]):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    # BatchPermutation with the restore index puts per-level rows back in order
    stacked = torch.cat(list(outs[1:5]))
    np.testing.assert_array_equal(call_op("BatchPermutation", [stacked, outs[5]]).numpy(), ref_rois)


def test_box_with_nms_limit_nothing_above_threshold():
    scores = np.full((5, 3), 0.01, np.float32)
    s, b, c = call_op("BoxWithNMSLimit", [t(scores), t(clustered_boxes(5, 3))], n_out=3, score_thresh=0.5)
    assert tuple(s.shape) == (0,) and tuple(b.shape) == (0, 4) and tuple(c.shape) == (0,)
