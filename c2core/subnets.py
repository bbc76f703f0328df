"""Opening one sub-net of a control-flow op (If's then_net, While's loop_net, RecurrentNetwork's
step_net) as a graph of its own, with the blobs it shares with the net around it named.

`Graph.subgraph` treats everything a sub-net reads from outside as a weight;
a viewer wants to tell the two apart: real weights stay weights, and the
blobs that come from the enclosing net (the If's inputs, the loop's state)
become the sub-net's inputs, listed in `outer` so the viewer can link them
back to where they are produced.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SubNetView:
    graph: object  # c2core.graph.Graph of the sub-net
    outer: list  # blobs the sub-net reads from the enclosing net (its inputs)
    writes_outer: list  # blobs it writes that the enclosing net also knows (its results)
    title: str  # e.g. "op #12 If · then_net"


def open_subnet(graph, index: int, arg: str, position: int = 0, weights=None) -> SubNetView:
    """The sub-net `arg`[`position`] of op `index` in `graph` (a c2core Graph)."""
    from .graph import Graph

    sub = next((s for s in graph.subnets(index) if s.arg == arg and s.position == position), None)
    if sub is None:
        raise KeyError(f"op #{index} {graph.nodes[index].type} has no sub-net '{arg}'[{position}]")
    net = sub.net
    weights = set(weights if weights is not None else graph.weights)
    produced, read = set(), []
    for op in net.op:
        read += [b for b in op.input if b not in produced and b not in read]
        produced.update(op.output)
    # read before the sub-net writes them (or declared as its inputs): they come from outside
    outer = [b for b in dict.fromkeys(list(net.external_input) + read) if b not in weights]
    g = Graph(net, data_inputs=outer, weights=weights | (set(net.external_input) - set(outer)))
    writes = [b for b in dict.fromkeys(o for op in net.op for o in op.output) if b in set(graph.blob_names())]
    node = graph.nodes[index]
    suffix = f"[{position}]" if len([s for s in graph.subnets(index) if s.arg == arg]) > 1 else ""
    return SubNetView(g, outer, writes, f"op #{index} {node.type} · {arg}{suffix}")


def subnet_shapes(view: SubNetView, outer_graph, outer_shapes: dict, index: int) -> dict:
    """(blob, version) -> BlobInfo inside the sub-net, from what the enclosing net knows at
    op `index` (its inputs' shapes, the weights'): the same rules as the net's own shapes.
    {} when nothing is known or inference fails (shapes are a nicety)."""
    from .shapes.engine import run_net
    from .shapes.info import BlobInfo

    visible: dict = {}  # blob -> its version as op `index` sees it
    for n in outer_graph.nodes[:index]:
        for b, v in n.outputs:
            visible[b] = v
    env = {}
    for b in view.graph.blob_names():
        info = outer_shapes.get((b, visible.get(b, 0)))
        if info is not None and info.shape is not None:
            env[b] = info
    if not env:
        return {}
    try:
        per_op = run_net(view.graph.net, dict(env))
    except Exception:  # a rule that cannot take these shapes: the sub-net still opens, without them
        return {}
    out = {}
    for n in view.graph.nodes:
        for ref in n.inputs:
            if ref[1] == 0:
                out[ref] = env.get(ref[0], BlobInfo(None, None))
    for n, infos in zip(view.graph.nodes, per_op):
        for ref, info in zip(n.outputs, infos):
            out[ref] = info
    return out
