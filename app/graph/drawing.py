"""What the canvas draws: boxes and arrows derived from `c2core.graph.Graph`.

The core's `Graph` knows ops, blob versions, producers, consumers and in-place
chains; this module only decides presentation: which blobs become nodes
(data inputs, outputs, optionally weights), what text each box carries, and
which op indices and blob versions a box or an arrow stands for, so a click
can be mapped back to the model. Built on a worker thread (pure Python).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from c2core.schema import category, op_schema


@dataclass
class DrawOptions:
    collapse: bool = True
    show_weights: bool = False
    show_shapes: bool = True
    rankdir: str = "TB"  # or "LR"


@dataclass
class DNode:
    id: str
    kind: str  # op, input, output, weight
    title: str
    lines: list = field(default_factory=list)
    category: str = ""
    ops: tuple = ()  # op indices (several for a collapsed chain)
    blob: str | None = None  # for input/output/weight nodes
    search: str = ""  # lower-case text that Find matches against


@dataclass
class DEdge:
    src: str
    dst: str
    blob: str
    version: int
    label: str = ""


@dataclass
class Drawing:
    nodes: list
    edges: list
    options: DrawOptions
    node_of_op: dict  # op index -> node id


def format_shape(shape) -> str:
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "×".join("?" if d is None or d < 0 else str(d) for d in shape)


def _shape_of(shapes: dict, ref) -> str:
    info = shapes.get(tuple(ref)) if shapes else None
    shape = getattr(info, "shape", None) if info is not None else None
    return format_shape(shape) if shape is not None else ""


def _input_slot_names(op_type: str) -> list:
    s = op_schema(op_type) or {}
    names = []
    for i in s.get("inputs", []) or []:
        names.append(i.get("name", "") if isinstance(i, dict) else str(i))
    return names


def build_drawing(graph, shapes: dict | None, options: DrawOptions) -> Drawing:
    """The drawable nodes and edges of `graph` under `options`."""
    shapes = shapes or {}
    chains = graph.chains() if options.collapse else [(n.index,) for n in graph.nodes]
    node_of_op: dict[int, str] = {}
    nodes: list[DNode] = []
    edges: list[DEdge] = []
    seen_edges: set = set()

    def add_edge(src, dst, ref, label_ref=None):
        key = (src, dst, ref[0])
        if key in seen_edges or src == dst:
            return
        seen_edges.add(key)
        label = ""
        if options.show_shapes:
            label = _shape_of(shapes, label_ref or ref)
        edges.append(DEdge(src, dst, ref[0], ref[1], label))

    input_nodes: dict[str, str] = {}
    for blob in graph.data_inputs + graph.undefined_inputs():
        nid = f"in:{blob}"
        input_nodes[blob] = nid
        sh = _shape_of(shapes, (blob, 0)) if options.show_shapes else ""
        nodes.append(DNode(nid, "input", blob, [sh] if sh else [], "Input", (), blob, blob.lower()))

    for chain in chains:
        first = graph.nodes[chain[0]]
        nid = f"op:{chain[0]}"
        for i in chain:
            node_of_op[i] = nid
        types = [graph.nodes[i].type for i in chain]
        title = " + ".join(types) if len(types) <= 3 else f"{types[0]} + {len(types) - 1} more"
        search = " ".join(f"{graph.nodes[i].type} {graph.nodes[i].name} " + " ".join(b for b, _ in graph.nodes[i].outputs)
                          for i in chain).lower()
        lines = []
        if first.name:
            lines.append(first.name)
        if not options.show_weights:
            slots = _input_slot_names(first.type)
            for i in chain:
                n = graph.nodes[i]
                for k, (b, v) in enumerate(n.inputs):
                    if v == 0 and graph.is_weight(b):
                        slot = slots[k] if k < len(slots) and slots[k] else b
                        sh = _shape_of(shapes, (b, 0)) if options.show_shapes else ""
                        lines.append(f"{slot} ⟨{sh}⟩" if sh else slot)
                        search += f" {b.lower()}"
        if len(lines) > 4:
            lines = lines[:3] + [f"+{len(lines) - 3} more"]
        nodes.append(DNode(nid, "op", title, lines, category(first.type), tuple(chain), None, search))

    weight_nodes: dict[str, str] = {}
    for n in graph.nodes:
        dst = node_of_op[n.index]
        for ref in n.inputs:
            b, v = ref
            p = graph.producer(ref)
            if p is not None:
                add_edge(node_of_op[p], dst, ref)
            elif b in input_nodes:
                add_edge(input_nodes[b], dst, ref)
            elif options.show_weights and graph.is_weight(b):
                wid = weight_nodes.get(b)
                if wid is None:
                    wid = weight_nodes[b] = f"w:{b}"
                    sh = _shape_of(shapes, (b, 0)) if options.show_shapes else ""
                    nodes.append(DNode(wid, "weight", b, [sh] if sh else [], "Weight", (), b, b.lower()))
                add_edge(wid, dst, ref)

    for blob in graph.net.external_output:
        ref = graph.output_ref(blob)
        p = graph.producer(ref)
        nid = f"out:{blob}"
        sh = _shape_of(shapes, ref) if options.show_shapes else ""
        nodes.append(DNode(nid, "output", blob, [sh] if sh else [], "Output", (), blob, blob.lower()))
        if p is not None:
            add_edge(node_of_op[p], nid, ref)
        elif blob in input_nodes:
            add_edge(input_nodes[blob], nid, ref)
    return Drawing(nodes, edges, options, node_of_op)
