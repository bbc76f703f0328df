"""Caffe2 `If` -> ONNX If with sub-graphs.

Caffe2 runs `then_net` or `else_net` in the enclosing workspace: the sub-net
reads outer blobs by name and its writes are the If op's outputs. ONNX If
branches are graphs without inputs that see outer values by name, so each
branch is exported with a child context that shares the parent's names,
constants and types and starts from the parent's current blob map. A branch
that does not write one of the If's outputs passes the outer value through
(Caffe2 leaves that blob as it was), as an Identity. `While`/`Do` loops are
not exported.
"""

from __future__ import annotations

import dataclasses

from ...args import Args
from ...errors import C2Error
from .registry import lookup, register


def _branch(ctx, net, outputs: list[str], label: str):
    from onnx import helper

    child = dataclasses.replace(
        ctx, nodes=[], current=dict(ctx.current), last_write={}, readers={}, outputs=frozenset(), op_index=-1, op=None)
    for i, op in enumerate(net.op):
        child.op_index, child.op = i, op
        fn = lookup(op.type)
        try:
            fn(child, op, Args(op.arg, op.type))
        except C2Error as e:
            raise C2Error(f"{label} op #{i} {op.type}: {e.reason}") from None
    outs = []
    for b in outputs:
        src = child.current.get(b)
        if src is None:
            raise C2Error(f"{label} neither writes '{b}' nor can read it from outside")
        name = child.fresh(f"{b}_{label}")
        child.node1("Identity", [src], name)
        t = child.types.get(name) or child.types.get(src)
        if t is None:
            raise C2Error(f"{label}: type of '{b}' unknown")
        outs.append(helper.make_value_info(name, t))
    ctx._uid = max(ctx._uid, child._uid)
    return helper.make_graph(child.nodes, label, [], outs)


@register("If")
def if_(ctx, op, args):
    then_net, else_net = args.get("then_net"), args.get("else_net")
    if then_net is None or isinstance(then_net, list):
        raise C2Error("If without a then_net argument")
    outputs = list(op.output)
    cond = ctx.input(op.input[0])
    if ctx.elem_type(cond) != 9:
        cond = ctx.node1("Cast", [cond], to=9)
    then_g = _branch(ctx, then_net, outputs, "then")
    if else_net is None or isinstance(else_net, list):
        from ...proto import caffe2_pb2

        else_net = caffe2_pb2.NetDef()
    else_g = _branch(ctx, else_net, outputs, "else")
    names = [ctx.output(b) for b in outputs]
    ctx.node("If", [cond], names, then_branch=then_g, else_branch=else_g)
    for b, n, t, e in zip(outputs, names, then_g.output, else_g.output):
        tt = t.type.tensor_type
        if n not in ctx.types:
            if tt.HasField("shape") and t.type == e.type:
                ctx.types[n] = t.type
            else:
                ctx.set_type(n, tt.elem_type, None)
        ctx.bind(b, n)
