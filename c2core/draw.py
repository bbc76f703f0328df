"""Draw a net the way Caffe2's `net_drawer` did, coloured by op category.

What net_drawer draws, kept here so old habits still apply: op nodes are
boxes labelled `Type (op#i)` (or `name/Type (op#i)`), blob nodes are
octagons labelled with the blob name, and a blob written again (in place)
gets a new node. `minimal` hides blobs and joins ops directly;
`minimal_dependency` keeps only the edges to an op's nearest ancestors (if
c depends on a and b, and b on a, only b -> c is drawn); `append_output`
adds the output blob names to each op's label. Unlike net_drawer, repeated
edges between the same two ops are drawn once, and node ids are `op<i>` /
`blob<k>` so that names with odd characters never break the DOT syntax.

Sub-nets (If's then_net/else_net, While's loop_net/cond_net,
RecurrentNetwork's step_net...) are drawn as Graphviz clusters placed in the
same graph as the op that carries them, labelled `<op type> #<index> <arg>`,
with a dashed edge from that op to the cluster; nested sub-nets nest their
clusters. Node ids inside sub-net number k (in drawing order) are
`s<k>_op<i>` / `s<k>_blob<j>`, so they never clash with the top level's.
The drawing options apply inside clusters as well.

The graph is built with pydot; SVG, PDF and PNG come from Graphviz's `dot`
(Debian package `graphviz`). Files are written atomically.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from .errors import C2Error

FORMATS = ("dot", "svg", "pdf", "png")

# Fill colour per schema category (white text on every one of them).
CATEGORY_COLOURS = {
    "Layer": "#33558B",
    "Convolution": "#33558B",
    "Activation": "#8B2E2E",
    "Pool": "#2F6B3A",
    "Normalization": "#4A6B5D",
    "Dropout": "#5A4A8B",
    "Tensor": "#6C4F47",
    "Shape": "#6C4F47",
    "Transform": "#6C4F47",
    "Arithmetic": "#2F6B6B",
    "Math": "#2F6B6B",
    "Data": "#555555",
    "Fill": "#555555",
    "Quantization": "#8B5A00",
    "Control": "#B35900",
    "Logic": "#4F6228",
    "Loss": "#7F3F00",
    "Detection": "#7A3B6E",
    "Recurrent": "#7A3B6E",
    "Other": "#0F9D58",  # net_drawer's own op colour
}
UNKNOWN_STYLE = {"fillcolor": "#FFFFFF", "fontcolor": "#B00020", "color": "#B00020", "style": "filled,dashed"}
BLOB_STYLE = {"shape": "octagon"}
WEIGHT_STYLE = {"shape": "octagon", "color": "#888888", "fontcolor": "#555555"}
INPUT_STYLE = {"shape": "octagon", "style": "bold"}


def _category(op_type: str) -> str:
    from .schema import category

    try:
        return category(op_type)
    except Exception:  # schema file missing or broken: draw anyway
        return "Other"


def op_style(op_type: str) -> dict:
    cat = _category(op_type)
    if cat == "Unknown":
        return {"shape": "box", **UNKNOWN_STYLE}
    colour = CATEGORY_COLOURS.get(cat)
    if colour is None:
        colour = next((c for k, c in CATEGORY_COLOURS.items() if k.lower() in cat.lower()), CATEGORY_COLOURS["Other"])
    return {"shape": "box", "style": "filled", "color": colour, "fillcolor": colour, "fontcolor": "#FFFFFF"}


MAX_LABEL_CHARS = 200


def _visible(text: str) -> str:
    """Control characters (NUL, newlines...) shown as \\xNN, long text cut: Graphviz
    refuses NULs and lays out a 4096-character label as one very wide box."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                       for c in text)
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 3] + "..."


def _esc(text: str) -> str:
    """Text for a DOT label: control characters made visible, backslashes
    doubled (pydot quotes the rest)."""
    return "\n".join(_visible(line) for line in text.split("\n")).replace("\\", "\\\\")


def _quoted(s: str) -> str:
    s = _visible(s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_dot(model_or_graph, rankdir: str = "LR", minimal: bool = False, minimal_dependency: bool = False,
              append_output: bool = False, name: str | None = None):
    """A `pydot.Dot` of the net: a Model, a Graph, or a NetDef."""
    import pydot

    from .graph import Graph

    g = model_or_graph if isinstance(model_or_graph, Graph) else Graph(model_or_graph)
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise C2Error(f"rankdir must be TB, LR, BT or RL, not {rankdir!r}")
    title = name or g.net.name or "net"
    dot = pydot.Dot(_quoted(title), graph_type="digraph", rankdir=rankdir)
    drawer = _Drawer(dot, minimal or minimal_dependency, minimal_dependency, append_output)
    drawer.graph(dot, g, "")
    return dot


class _Drawer:
    """Adds one Graph's nodes and edges to a pydot graph, then its sub-nets as clusters."""

    def __init__(self, dot, minimal: bool, minimal_dependency: bool, append_output: bool):
        self.dot = dot
        self.minimal = minimal
        self.minimal_dependency = minimal_dependency
        self.append_output = append_output
        self.styles: dict[str, dict] = {}
        self.clusters = 0  # sub-nets drawn so far: the next prefix is s<clusters>_

    def graph(self, container, g, prefix: str) -> None:
        import pydot

        for n in g.nodes:
            label = n.label
            if self.append_output:
                label += "".join("\n" + b for b, _ in n.outputs)
            st = self.styles.get(n.type)
            if st is None:
                st = self.styles[n.type] = op_style(n.type)
            container.add_node(pydot.Node(f"{prefix}op{n.index}", label=_esc(label), **st))
        if self.minimal:
            _op_edges(container, g, self.minimal_dependency, prefix)
        else:
            _blob_edges(container, g, prefix)
        for index, subs in g.all_subnets().items():
            args = [s.arg for s in subs]
            for s in subs:
                self.subnet(container, g, prefix, index, s, args.count(s.arg) > 1)

    def subnet(self, container, g, prefix: str, index: int, s, listed: bool) -> None:
        import pydot

        k = self.clusters
        self.clusters += 1
        inner = f"s{k}_"
        label = f"{g.nodes[index].type} #{index} {s.arg}" + (f"[{s.position}]" if listed else "")
        cluster = pydot.Cluster(f"s{k}", label=_esc(label), style="dashed", color="#888888", fontcolor="#555555")
        container.add_subgraph(cluster)
        sub = g.subgraph(index, s.arg, s.position)
        if sub.nodes:
            target = f"{inner}op0"
        else:
            target = f"{inner}empty"
            cluster.add_node(pydot.Node(target, label="(empty)", shape="plaintext"))
        self.graph(cluster, sub, inner)
        self.dot.set("compound", "true")  # lets the edge end at the cluster's border
        container.add_edge(pydot.Edge(f"{prefix}op{index}", target, lhead=cluster.get_name(), style="dashed",
                                      color="#888888", arrowhead="empty"))


def _blob_edges(dot, g, prefix: str = "") -> None:
    import pydot

    ids: dict = {}

    def blob_node(ref):
        k = ids.get(ref)
        if k is None:
            k = ids[ref] = f"{prefix}blob{len(ids)}"
            b = ref[0]
            st = INPUT_STYLE if g.is_data_input(b) and ref[1] == 0 else WEIGHT_STYLE if g.is_weight(b) and ref[1] == 0 else BLOB_STYLE
            dot.add_node(pydot.Node(k, label=_esc(b), **st))
        return k

    for n in g.nodes:
        for ref in n.inputs:
            dot.add_edge(pydot.Edge(blob_node(ref), f"{prefix}op{n.index}"))
        for ref in n.outputs:
            dot.add_edge(pydot.Edge(f"{prefix}op{n.index}", blob_node(ref)))


def _op_edges(dot, g, minimal_dependency: bool, prefix: str = "") -> None:
    """Ops only. Ancestor sets are Python ints used as bit sets (fast at 5,000 ops)."""
    import pydot

    ancestry = [0] * len(g.nodes)
    for n in g.nodes:
        parents = g.parents(n.index)
        anc = 0
        for p in parents:
            anc |= (1 << p) | ancestry[p]
        ancestry[n.index] = anc
        for p in parents:
            if minimal_dependency and any((ancestry[q] >> p) & 1 for q in parents if q != p):
                continue  # reached through another parent already
            dot.add_edge(pydot.Edge(f"{prefix}op{p}", f"{prefix}op{n.index}"))


# Layout limits: Graphviz's time grows much faster than linearly with the
# node count (a 50k-op chain never finished; 100k ops crashed dot), so
# drawings larger than this are refused at once and any layout is stopped
# after `timeout` seconds. A .dot file is always written, whatever the size.
MAX_DOT_NODES = 20_000
DOT_TIMEOUT_S = 60.0


def render(dot, fmt: str, timeout: float = DOT_TIMEOUT_S) -> bytes:
    """The drawing as bytes in `fmt` (dot, svg, pdf, png); Graphviz runs under `timeout` seconds."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise C2Error(f"unknown drawing format '{fmt}' (use one of {', '.join(FORMATS)})")
    text = dot.to_string()
    if fmt == "dot":
        return text.encode("utf-8")
    exe = shutil.which("dot")
    if exe is None:
        raise C2Error("Graphviz's 'dot' program is not installed (Debian: apt-get install graphviz); "
                      "write a .dot file instead")
    nodes = text.count("label=")
    if nodes > MAX_DOT_NODES:
        raise C2Error(f"the graph has about {nodes:,} nodes, more than Graphviz lays out in reasonable time "
                      f"({MAX_DOT_NODES:,}): write a .dot file, or draw with --minimal")
    try:
        p = subprocess.run([exe, f"-T{fmt}"], input=text.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise C2Error(f"Graphviz did not finish laying out {nodes:,} nodes within {timeout:g} s: stopped "
                      "(give it longer with --timeout, or write a .dot file)") from None
    if p.returncode < 0:
        raise C2Error(f"Graphviz's dot crashed (signal {-p.returncode}) laying out {nodes:,} nodes: "
                      "write a .dot file instead")
    if p.returncode != 0:
        msg = p.stderr.decode("utf-8", "replace").strip().splitlines()
        raise C2Error(f"Graphviz's dot -T{fmt} failed: {msg[-1][:300] if msg else p.returncode}")
    return p.stdout


def _check_size(model_or_graph, minimal: bool) -> None:
    """Refuse a layout Graphviz cannot finish before building the drawing (ops and
    blobs of the net and its sub-nets, counted from the NetDef)."""
    from .graph import Graph

    g = model_or_graph if isinstance(model_or_graph, Graph) else None
    net = g.net if g is not None else getattr(model_or_graph, "predict_net", model_or_graph)
    if not hasattr(net, "op"):
        return
    ops, blobs, stack = 0, set(), [net]
    while stack:
        n = stack.pop()
        for op in n.op:
            ops += 1
            if not minimal:
                blobs.update(op.input)
                blobs.update(op.output)
            for a in op.arg:
                if a.HasField("n"):
                    stack.append(a.n)
                stack.extend(a.nets)
    nodes = ops + len(blobs)
    if nodes > MAX_DOT_NODES:
        raise C2Error(f"the graph has {nodes:,} nodes ({ops:,} ops), more than Graphviz lays out in reasonable "
                      f"time ({MAX_DOT_NODES:,}): write a .dot file" + ("" if minimal else ", or draw with --minimal"))


def format_of(path: str) -> str:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext == "gv":
        ext = "dot"
    if ext not in FORMATS:
        raise C2Error(f"cannot tell the drawing format from the extension '.{ext}' (use .dot, .svg, .pdf or .png)", path)
    return ext


def draw(model_or_graph, out_path: str, fmt: str | None = None, timeout: float = DOT_TIMEOUT_S, **options) -> str:
    """Draw to `out_path` (format from the extension unless `fmt`); returns the path."""
    from .io.save import atomic_path

    fmt = fmt or format_of(out_path)
    if fmt != "dot":
        _check_size(model_or_graph, options.get("minimal") or options.get("minimal_dependency"))
    data = render(build_dot(model_or_graph, **options), fmt, timeout=timeout)
    with atomic_path(out_path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
    return out_path
