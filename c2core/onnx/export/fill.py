"""Fill ops inside a predict net.

Input-free fills (GivenTensor*Fill, ConstantFill with `shape`) become
initializers holding exactly what `c2core.fills.run_fill` makes, so later
exporters can fold them. ConstantFill(X) takes its shape from X (or X's
values with `input_as_shape=1`) plus `extra_shape` and fills `value` as
`dtype` (default FLOAT): ConstantOfShape. Random initialisers (XavierFill,
GaussianFill, ...) draw new values on every Caffe2 run: no exporter, so they
are listed with the other unsupported ops.
"""

from __future__ import annotations

import numpy as np

from ...errors import C2Error
from ...fills import DTYPE_OF_PROTO, GIVEN_FILLS, run_fill
from .registry import register


@register(*sorted(GIVEN_FILLS), "ConstantFill")
def fill(ctx, op, args):
    if op.type == "ConstantFill" and len(op.input):
        return _constant_fill_like(ctx, op, args)
    (w,) = run_fill(op, ctx.op_index)
    if w.array.dtype == object:
        raise C2Error("string tensors cannot be exported to ONNX")
    name = ctx.const(w.array, op.output[0])
    if w.scale is not None:  # Int8GivenTensorFill / Int8GivenIntTensorFill
        from .context import Quant

        ctx.quant[name] = Quant(float(w.scale), int(w.zero_point or 0))
    ctx.bind(op.output[0], name)


def _constant_fill_like(ctx, op, args):
    from onnx import helper

    x = ctx.input(op.input[0])
    if args.int("input_as_shape"):
        shape = ctx.node1("Cast", [x], to=7)
        shape = ctx.node1("Reshape", [shape, ctx.ints([-1])])
    else:
        shape = ctx.shape_of(x)
    extra = list(args.ints("extra_shape", []) or [])
    if extra:
        shape = ctx.node1("Concat", [shape, ctx.ints(extra, "extra_shape")], axis=0)
    dt = DTYPE_OF_PROTO.get(args.int("dtype"))
    if dt is None or dt is np.object_:
        raise C2Error(f"ConstantFill dtype {args.int('dtype')} has no ONNX equivalent")
    value = args.get("value", 0)
    if isinstance(value, list):
        value = value[0] if value else 0
    v = np.asarray([value], dtype=dt)
    ctx.write(op.output[0], "ConstantOfShape", [shape], value=helper.make_tensor(
        "value", helper.np_dtype_to_tensor_dtype(v.dtype), [1], v.tolist()))

