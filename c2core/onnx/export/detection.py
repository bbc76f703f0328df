"""RoIAlign -> ONNX RoiAlign.

Caffe2 (roi_align_op.cc): RoIs are [R, 5] rows (batch index, x1, y1, x2, y2)
or [R, 4] boxes of image 0; `aligned=0` (default) scales without a half-pixel
shift and forces each RoI to at least 1 x 1; `aligned=1` subtracts 0.5 and
does not force. `sampling_ratio <= 0` samples ceil(roi_size / pooled) points
per bin. ONNX RoiAlign-16 matches this with coordinate_transformation_mode
output_half_pixel (aligned=0) / half_pixel (aligned=1) and sampling_ratio 0;
before opset 16 RoiAlign has only the output_half_pixel behaviour, so
aligned=1 needs opset >= 16. The rows are split into int64 batch indices and
boxes with Gather/Slice. GenerateProposals, BBoxTransform and BoxWithNMSLimit
have no faithful ONNX form (Caffe2's legacy +1 box arithmetic, its NMS
ordering) and stay unsupported.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from .conv import channel_first
from .registry import register


@register("RoIAlign")
def roi_align(ctx, op, args):
    aligned = bool(args.int("aligned"))
    if aligned and ctx.opset < 16:
        raise C2Error("RoIAlign with aligned=1 needs ONNX opset >= 16 (half_pixel RoiAlign); choose --opset 16 or later")
    if args.int("rotated"):
        raise C2Error("rotated RoIAlign has no ONNX form")
    rois = ctx.input(op.input[1])
    rs = ctx.shape(rois)
    if rs is None or len(rs) != 2 or rs[1] not in (4, 5):
        raise C2Error(f"RoIAlign expects RoIs of shape [R, 5] or [R, 4], got {rs}")
    if rs[1] == 5:
        idx = ctx.node1("Gather", [rois, ctx.ints([0], "col0")], axis=1)
        idx = ctx.node1("Cast", [ctx.node1("Squeeze", [idx, ctx.ints([1], "axes")])], to=7)
        boxes = ctx.node1("Slice", [rois, ctx.ints([1], "starts"), ctx.ints([5], "ends"), ctx.ints([1], "axes")])
    else:
        from onnx import TensorProto, helper

        boxes = rois
        idx = ctx.node1("ConstantOfShape", [ctx.shape_of(rois, 0, 1)],
                        value=helper.make_tensor("zero", TensorProto.INT64, [1], [0]))
    ratio = args.int("sampling_ratio")
    attrs = dict(mode="avg", output_height=args.int("pooled_h"), output_width=args.int("pooled_w"),
                 sampling_ratio=max(ratio, 0), spatial_scale=float(np.float32(args.float("spatial_scale"))))
    if ctx.opset >= 16:
        attrs["coordinate_transformation_mode"] = "half_pixel" if aligned else "output_half_pixel"

    def build(x, out):
        if ctx.elem_type(boxes) != ctx.elem_type(x):
            raise C2Error("RoIAlign: RoIs and features must both be float32")
        return ctx.node1("RoiAlign", [x, boxes, idx], out, **attrs)

    channel_first(ctx, op, args, build)
