"""Node positions and edge routes: Graphviz `dot` and a fast provisional layout.

`dot` gives the layout users expect but takes seconds on thousands of ops, so
the canvas first draws `layered_layout` (longest-path layers, one barycenter
ordering sweep: linear time) and swaps in the `dot` result when the worker
thread delivers it. Both return a `Layout` in scene pixels, y growing down.
Node sizes are measured by the GUI (font metrics) and passed in, so dot lays
out boxes of exactly the drawn size (`fixedsize`, empty labels).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass

from c2core.errors import C2Error, Cancelled

DPI = 72.0
LABEL_CHAR_PX = 6.3  # average advance of the edge-label font (items.LABEL_FONT, DejaVu Sans 7 pt; no Qt here)


@dataclass
class Layout:
    pos: dict  # node id -> (cx, cy) centre in pixels
    edges: list  # per drawing edge index: list of (x, y) points; cubic Bézier control points if spline
    spline: bool
    width: float
    height: float
    engine: str  # "dot" or "layered"
    seconds: float = 0.0
    labels: dict | None = None  # edge index -> (cx, cy) of its shape label, where dot placed one

DOT_LABELS_MAX_EDGES = 250  # above this, dot lays edges out without label nodes (much faster)


def dot_available() -> str | None:
    return shutil.which("dot")


def to_dot(drawing, sizes: dict) -> tuple[str, dict]:
    """DOT text with short ids (n0, n1...) and the id map back to drawing ids."""
    ids = {n.id: f"n{i}" for i, n in enumerate(drawing.nodes)}
    rankdir = drawing.options.rankdir
    ranksep = 0.4
    if rankdir == "LR":  # shape labels sit along horizontal edges: leave room for the longest one
        longest = max((len(e.label) for e in drawing.edges if e.label), default=0)
        ranksep = min(1.6, max(ranksep, (longest * LABEL_CHAR_PX + 24) / DPI))
    out = [
        "digraph G {",
        f"graph [rankdir={rankdir}, nodesep=0.3, ranksep={ranksep:.2f}, splines=spline, mclimit=0.5, nslimit=2, "
        "nslimit1=2];",
        'node [shape=box, fixedsize=true, label=""];',
        "edge [arrowhead=normal, arrowsize=0.6];",
    ]
    for n in drawing.nodes:
        w, h = sizes[n.id]
        out.append(f"{ids[n.id]} [width={w / DPI:.3f}, height={h / DPI:.3f}];")
    # small graphs: dot places the shape labels itself (as label nodes it keeps clear of boxes
    # and of each other); the canvas reads their positions back
    with_labels = len(drawing.edges) <= DOT_LABELS_MAX_EDGES
    for k, e in enumerate(drawing.edges):
        if with_labels and e.label:
            out.append(f'{ids[e.src]} -> {ids[e.dst]} [label="{e.label}", fontsize=7, fontname="DejaVu Sans", '
                       f'id="e{k}"];')
        else:
            out.append(f"{ids[e.src]} -> {ids[e.dst]};")
    out.append("}")
    return "\n".join(out), ids


def parse_plain(text: str, ids: dict, drawing) -> Layout:
    """Read `dot -Tplain` output (inches, y up) into pixels with y down."""
    back = {v: k for k, v in ids.items()}
    pos: dict = {}
    routes: dict = {}
    height = width = 0.0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "graph":
            width, height = float(parts[2]) * DPI, float(parts[3]) * DPI
        elif parts[0] == "node":
            pos[back[parts[1]]] = (float(parts[2]) * DPI, height - float(parts[3]) * DPI)
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = [(float(parts[4 + 2 * k]) * DPI, height - float(parts[5 + 2 * k]) * DPI) for k in range(n)]
            rest = parts[4 + 2 * n:]
            label = None
            if len(rest) >= 5:  # [label xl yl] style color
                label = (float(rest[-4]) * DPI, height - float(rest[-3]) * DPI)
            routes.setdefault((back[parts[1]], back[parts[2]]), []).append((pts, label))
    edges, labels = [], {}
    for k, e in enumerate(drawing.edges):
        lst = routes.get((e.src, e.dst))
        pts, label = lst.pop(0) if lst else (None, None)
        edges.append(pts)
        if label is not None and e.label:
            labels[k] = label
    return Layout(pos, edges, True, width, height, "dot", labels=labels)


def dot_layout(drawing, sizes: dict, cancel=None, timeout: float = 300.0) -> Layout:
    """Run Graphviz dot in a subprocess; killed when `cancel` is set."""
    exe = dot_available()
    if exe is None:
        raise C2Error("Graphviz 'dot' is not installed (apt-get install graphviz); using the quick layout")
    t0 = time.perf_counter()
    text, ids = to_dot(drawing, sizes)
    proc = subprocess.Popen([exe, "-Tplain"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        try:
            out, err = proc.communicate(text, timeout=0.1)
        except subprocess.TimeoutExpired:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled("layout cancelled") from None
                if time.monotonic() > deadline:
                    raise C2Error(f"Graphviz dot took longer than {timeout:.0f} s; keeping the quick layout") from None
                try:
                    out, err = proc.communicate(timeout=0.1)
                    break
                except subprocess.TimeoutExpired:
                    continue
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        raise C2Error(f"Graphviz dot failed: {err.strip()[:300]}")
    lay = parse_plain(out, ids, drawing)
    lay.seconds = time.perf_counter() - t0
    return lay


def layered_layout(drawing, sizes: dict) -> Layout:
    """Longest-path layering with one barycenter sweep; straight edges."""
    t0 = time.perf_counter()
    lr = drawing.options.rankdir == "LR"
    preds: dict = {n.id: [] for n in drawing.nodes}
    for e in drawing.edges:
        preds[e.dst].append(e.src)
    layer: dict = {}

    # Drawing nodes are in topological order except output nodes (last) and
    # weight nodes (appended late): resolve by iterating until stable.
    order = [n.id for n in drawing.nodes]
    for nid in order:
        layer[nid] = 0
    for _ in range(3):
        changed = False
        for nid in order:
            ps = preds[nid]
            if ps:
                v = max(layer[p] for p in ps) + 1
                if v != layer[nid]:
                    layer[nid] = v
                    changed = True
        if not changed:
            break
    # weights hang just above their consumer
    succ: dict = {}
    for e in drawing.edges:
        succ.setdefault(e.src, []).append(e.dst)
    for n in drawing.nodes:
        if n.kind == "weight" and n.id in succ:
            layer[n.id] = max(0, min(layer[d] for d in succ[n.id]) - 1)

    layers: dict = {}
    for nid in order:
        layers.setdefault(layer[nid], []).append(nid)
    gap_main, gap_cross = 40.0, 24.0
    pos: dict = {}
    cross_of: dict = {}
    main = 0.0
    width = height = 0.0
    for li in sorted(layers):
        ids = layers[li]
        if li > 0:
            def bary(nid):
                ps = [cross_of[p] for p in preds[nid] if p in cross_of]
                return sum(ps) / len(ps) if ps else 0.0
            ids.sort(key=bary)
        extent_main = max((sizes[i][0] if lr else sizes[i][1]) for i in ids)
        total = sum((sizes[i][1] if lr else sizes[i][0]) for i in ids) + gap_cross * (len(ids) - 1)
        # centre the layer on the mean barycenter of its parents
        if li > 0:
            bs = [cross_of[p] for i in ids for p in preds[i] if p in cross_of]
            centre = sum(bs) / len(bs) if bs else 0.0
        else:
            centre = 0.0
        c = centre - total / 2
        for i in ids:
            s = sizes[i][1] if lr else sizes[i][0]
            cross_of[i] = c + s / 2
            c += s + gap_cross
            m = main + extent_main / 2
            pos[i] = (m, cross_of[i]) if lr else (cross_of[i], m)
        main += extent_main + gap_main
    # shift to positive coordinates
    xs = [p[0] - sizes[i][0] / 2 for i, p in pos.items()] or [0.0]
    ys = [p[1] - sizes[i][1] / 2 for i, p in pos.items()] or [0.0]
    dx, dy = -min(xs) + 10, -min(ys) + 10
    pos = {i: (x + dx, y + dy) for i, (x, y) in pos.items()}
    for i, (x, y) in pos.items():
        width = max(width, x + sizes[i][0] / 2 + 10)
        height = max(height, y + sizes[i][1] / 2 + 10)
    edges = []
    for e in drawing.edges:
        (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
        if lr:
            a = (x1 + sizes[e.src][0] / 2, y1)
            b = (x2 - sizes[e.dst][0] / 2, y2)
        else:
            a = (x1, y1 + sizes[e.src][1] / 2)
            b = (x2, y2 - sizes[e.dst][1] / 2)
        edges.append([a, b])
    return Layout(pos, edges, False, width, height, "layered", time.perf_counter() - t0)
