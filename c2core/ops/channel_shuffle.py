"""ChannelShuffle (caffe2/operators/channel_shuffle_op.h).

With G = `group` and K = C / G, output channel k·G + g takes input channel
g·K + k: view the channels as [G, K], transpose to [K, G], flatten. Channel
axis 1 for NCHW, last for `order`=NHWC.
"""

from __future__ import annotations

from .registry import register


def _prep(ctx):
    return ctx.args.int("group"), ctx.args.str("order").upper() == "NHWC"


@register("ChannelShuffle", prepare=_prep, view=True)  # group 1 returns a view
def channel_shuffle(ctx, x):
    g, nhwc = ctx.state
    ax = x.dim() - 1 if nhwc else 1
    c = x.shape[ax]
    if c % g:
        raise ValueError(f"{c} channels do not split into {g} groups")
    shape = tuple(x.shape)
    y = x.reshape(shape[:ax] + (g, c // g) + shape[ax + 1:]).transpose(ax, ax + 1)
    return y.reshape(shape)
