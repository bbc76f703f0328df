"""Caffe2's `ConvTransposeUnpoolBase` geometry: the pads, `adj` and output size of ConvTranspose.

One copy for the kernel (c2core/ops/conv.py), shape inference
(c2core/shapes/conv.py) and the ONNX exporter, so the three agree.

What Caffe2 does (caffe2/operators/conv_transpose_unpool_op_base.h):

- `legacy_pad` NOTSET: explicit pads (`pads` / `pad` / `pad_t..pad_r`, none
  negative); out = (in - 1) * stride + kernel + adj - pad_head - pad_tail.
- `legacy_pad` VALID (1) and SAME (2) are the same thing: pads are forced to
  zero and out = (in - 1) * stride + kernel + adj. Giving explicit pads as
  well is an error.
- `legacy_pad` CAFFE_LEGACY_POOLING (3): refused ("no longer supported").
- `adj` (`adjs`, `adj_h`/`adj_w`) must satisfy 0 <= adj <= stride (note: equal
  to the stride is allowed, unlike ONNX's output_padding).
- `dilation` is never read: the base class has no dilation field and Col2im
  runs undilated, so a `dilation` argument on ConvTranspose is silently
  ignored by Caffe2. We reproduce that (the output of a net Caffe2 ran is
  computed without dilation) and report it through `ignored_dilation`.

Pure Python: the exporter and shape inference import it without torch.
"""

from __future__ import annotations

from .window_size import CAFFE_LEGACY_POOLING, NOTSET, SAME, VALID


def _has_explicit_pads(args) -> bool:
    """Caffe2's test: `pads`, `pad`, or all four of `pad_t/l/b/r` present."""
    return "pads" in args or "pad" in args or all(f"pad_{s}" in args for s in "tlbr")


def conv_transpose_pads(args, nd: int) -> tuple[list[int], list[int], list[int]]:
    """(stride, pads [begins..., ends...], adj) for `nd` spatial axes; ValueError
    naming the Caffe2 rule when the arguments are ones Caffe2 refuses."""
    legacy = args.int("legacy_pad")
    stride = args.spatial("stride", "strides", nd)
    adj = args.spatial("adj", "adjs", nd)
    if len(stride) != nd or len(adj) != nd:
        raise ValueError(f"ConvTranspose: stride {stride} / adj {adj} do not match {nd} spatial axes")
    if legacy == CAFFE_LEGACY_POOLING:
        raise ValueError("ConvTranspose: legacy_pad=3 (CAFFE_LEGACY_POOLING) is not supported by Caffe2's ConvTranspose")
    if legacy in (VALID, SAME):
        if _has_explicit_pads(args):
            raise ValueError(f"ConvTranspose: legacy_pad={legacy} (VALID/SAME) together with explicit pads "
                             "(Caffe2 refuses this combination)")
        pads = [0] * (2 * nd)
    elif legacy == NOTSET:
        pads = list(args.pads(nd))
        if len(pads) != 2 * nd:
            raise ValueError(f"ConvTranspose: {len(pads)} pads for {nd} spatial axes")
        if any(p < 0 for p in pads):
            raise ValueError(f"ConvTranspose: negative pads {pads}")
    else:
        raise ValueError(f"ConvTranspose: unknown legacy_pad {legacy}")
    for s, a in zip(stride, adj):
        if s <= 0:
            raise ValueError(f"ConvTranspose: stride {s} must be positive")
        if not 0 <= a <= s:
            raise ValueError(f"ConvTranspose: adj {a} must be between 0 and the stride {s} (Caffe2 enforces 0 <= adj <= stride)")
    return stride, pads, adj


def conv_transpose_size(in_size: int, kernel: int, stride: int, adj: int, pad_head: int, pad_tail: int) -> int:
    """Output length of one spatial axis; ValueError when it is not positive."""
    out = (in_size - 1) * stride + kernel + adj - pad_head - pad_tail
    if out <= 0:
        raise ValueError(f"ConvTranspose: empty output (in {in_size}, kernel {kernel}, stride {stride}, "
                         f"adj {adj}, pads {pad_head}/{pad_tail})")
    return out


def ignored_dilation(args, nd: int) -> bool:
    """True when the op carries a dilation other than 1, which Caffe2's ConvTranspose ignores."""
    return any(d != 1 for d in args.spatial("dilation", "dilations", nd))
