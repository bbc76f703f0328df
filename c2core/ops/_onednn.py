"""Convolutions as one oneDNN call with weights reordered once, at prepare time.

`torch.nn.functional.conv2d` hands oneDNN a plain weight tensor, which oneDNN
reorders into its blocked format on every call (and with one thread, batch 1
and 1x1 kernels torch skips oneDNN for a slower im2col path). Here the weight
is reordered once (`mkldnn_reorder_conv2d_weight`) and every run calls
`mkldnn._convolution_pointwise`, which also applies the attached activation
(Relu, Clip as hardtanh, ...) as a oneDNN post-op on the output while it is in
cache. Inputs stay ordinary (channels-last) tensors; outputs come back in the
input's memory format.

oneDNN pads symmetrically. Unequal head/tail pads (TensorFlow-style SAME,
e.g. pads 0,0,1,1 on stride-2 convs) are handled two ways:

- depthwise convs: the kernel grows by the difference with zero taps on the
  side of the smaller pad and the conv pads by the larger amount, which
  places every window exactly where Caffe2 puts it (out = (in + head + tail -
  k) / stride + 1 either way). This avoids copying a padded input, the
  dominant cost of these layers; the extra taps multiply real or padded
  values by exactly 0 (so only an infinite input value could tell: 0·inf).
- other convs: the input is zero-padded explicitly (cheap for the stem's 3
  channels) and the conv runs unpadded.

Measured on EfficientNet-Lite0 (1 thread, per layer): 1x1 convs 0-20%
faster, depthwise stride-2 layers 1.4-1.8x faster than padding + conv2d;
the whole net 4% faster with the widened kernel than with a padded copy.
Tried and dropped: oneDNN's swish post-op (slower than `silu_` after the
conv on large maps), `mkldnn_prepacked.conv2d_run` (more per-call cost),
1x1 convs as one `addmm` on channels-last maps (whole net 10% slower),
oneDNN's fused conv + residual add (`binary` post-op: no faster than the
separate in-place add), running small convs single-threaded when torch has
two threads (no gain with passive OpenMP workers), glibc mallopt tuning.

Both calls go through torch's operator registry (`torch.ops.aten.*`,
`torch.ops.mkldnn.*`), not `torch._C`. `_convolution_pointwise` has no public
equivalent: `available()` probes it on a tiny conv and checks the result, so
a torch without it (or with another signature) takes the generic conv2d path,
and tests/c2core/runtime/test_fast_paths.py compares the two paths.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# activation attached by the runtime -> oneDNN post-op name
ATTR = {"relu": "relu", "hardtanh": "hardtanh", "sigmoid": "sigmoid", "tanh": "tanh", "swish": "swish"}

# oneDNN post-op -> the same activation in place on a result (small-map path)
_IN_PLACE = {"none": None, "relu": lambda y, s: y.relu_(), "hardtanh": lambda y, s: y.clamp_(s[0], s[1])}

_OK: bool | None = None
# Off: nets prepared afterwards use the generic conv2d path (tests compare both).
ENABLED = True
# Unequal depthwise pads by a widened kernel (else: an explicit padded copy).
WIDEN_DEPTHWISE = True


def available() -> bool:
    """Whether this torch build has oneDNN's prepacked convolution (probed
    once) and the path is enabled."""
    global _OK
    if not ENABLED:
        return False
    if _OK is None:
        try:
            with torch.inference_mode():
                w = torch.ops.aten.mkldnn_reorder_conv2d_weight(torch.ones(1, 1, 1, 1).to_mkldnn(), [0, 0], [1, 1], [1, 1], 1)
                y = torch.ops.mkldnn._convolution_pointwise(torch.ones(1, 1, 2, 2), w, None, [0, 0], [1, 1], [1, 1], 1, "none", [], "")
            _OK = bool(torch.backends.mkldnn.is_available()) and tuple(y.shape) == (1, 1, 2, 2) and float(y.sum()) == 4.0
        except Exception:
            _OK = False
    return _OK


class PackedConv:
    """A 2-D NCHW convolution with a constant float32 weight, ready for oneDNN.

    w: [M, C/group, kh, kw]; b: [M] or None; pads: [t, l, b, r]; act: a key
    of ATTR or None; scalars: the activation's arguments (Clip's min, max).
    """

    __slots__ = ("weight", "bias", "pad", "stride", "dilation", "group", "attr", "scalars", "pre_pad", "op", "mat", "mat_act")

    def __init__(self, w, b, pads, stride, dilation, group, act=None, scalars=()):
        self.op = torch.ops.mkldnn._convolution_pointwise
        head, tail = list(pads[:2]), list(pads[2:])
        self.pre_pad = None
        depthwise = group > 1 and w.shape[1] == 1 and w.shape[0] == group
        if head == tail:
            pad = head
        elif depthwise and WIDEN_DEPTHWISE and all(d == 1 for d in dilation):
            grow = [abs(t - h) for h, t in zip(head, tail)]
            wide = w.new_zeros((w.shape[0], w.shape[1], w.shape[2] + grow[0], w.shape[3] + grow[1]))
            rows = slice(grow[0], None) if tail[0] > head[0] else slice(0, w.shape[2])
            cols = slice(grow[1], None) if tail[1] > head[1] else slice(0, w.shape[3])
            wide[:, :, rows, cols] = w
            w = wide
            pad = [max(h, t) for h, t in zip(head, tail)]
        else:
            self.pre_pad = (head[1], tail[1], head[0], tail[0])
            pad = [0, 0]
        self.pad, self.stride, self.dilation, self.group = list(pad), list(stride), list(dilation), int(group)
        with torch.inference_mode():
            self.weight = torch.ops.aten.mkldnn_reorder_conv2d_weight(
                w.detach().float().contiguous().to_mkldnn(), self.pad, self.stride, self.dilation, self.group)
        self.bias = None if b is None else b.detach().float().contiguous()
        self.attr = ATTR[act] if act else "none"
        self.scalars = [float(v) for v in scalars] if self.attr == "hardtanh" else []
        # 1x1 convs on 1x1 maps (squeeze-excite after a global pool) are a
        # matrix-vector product: one addmm (~4 us) instead of oneDNN's fixed
        # per-call cost (~40 us).
        self.mat = self.mat_act = None
        pointwise = w.shape[2] == w.shape[3] == 1 and self.group == 1 and self.pad == [0, 0] and self.pre_pad is None
        if pointwise and self.stride == [1, 1] and b is not None and self.attr in _IN_PLACE:
            self.mat = w.detach().float().reshape(w.shape[0], -1).t().contiguous()
            self.mat_act = _IN_PLACE[self.attr]

    def __call__(self, x):
        if self.mat is not None and x.shape[2] == 1 and x.shape[3] == 1:
            y = torch.addmm(self.bias, x.reshape(x.shape[0], -1), self.mat)
            if self.mat_act is not None:
                self.mat_act(y, self.scalars)
            return y.view(y.shape[0], y.shape[1], 1, 1)
        if self.pre_pad is not None:
            x = F.pad(x, self.pre_pad)
        return self.op(x, self.weight, self.bias, self.pad, self.stride, self.dilation, self.group, self.attr, self.scalars, "")
