"""Run one Caffe2 op through the executor (`Predictor`), for op tests.

`run_op("Conv", [x, w, b], consts=(1, 2), kernel=3)` builds a one-op net;
inputs whose index is in `consts` become init-net weights (the prepare-time
path kernels use for real nets), the others are fed at run time. Returns the
list of output arrays.
"""

from __future__ import annotations

import numpy as np

from c2core.builder import NetBuilder, init_net_from
from c2core.model import Model
from c2core.proto import caffe2_pb2


def run_op(op_type, inputs, n_out=1, consts=(), fold=False, **args):
    from c2core.runtime import Predictor

    b = NetBuilder("one_op")
    names = [f"in{i}" for i in range(len(inputs))]
    outs = [f"out{i}" for i in range(n_out)]
    b.op(op_type, names, outs, **args)
    b.inputs(*names)
    b.outputs(*outs)
    weights = {names[i]: inputs[i] for i in consts}
    init = init_net_from(weights) if weights else caffe2_pb2.NetDef()
    model = Model(predict_net=b.net, init_net=init, formats={"predict": "memory"})
    pred = Predictor(model, fold=fold)
    feeds = {names[i]: np.asarray(inputs[i]) for i in range(len(inputs)) if i not in consts}
    res = pred.run(feeds)
    return [res[o] for o in outs]


def run1(op_type, inputs, **kw):
    return run_op(op_type, inputs, **kw)[0]
