"""Drawing sub-nets: If/While nets as nested Graphviz clusters with unique node ids."""

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from c2core.builder import NetBuilder, model_from
from c2core.draw import build_dot, draw, render
from c2core.io.save import save_net

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def _net(name, *ops):
    b = NetBuilder(name)
    for t, i, o in ops:
        b.op(t, i, o)
    return b.net


def control_net():
    """op0 Relu; op1 If(then: 2 ops, else: 1 op); op2 While(loop: 2 ops incl. an If(then: 1 op), cond: 1 op)."""
    then_net = _net("then", ("Relu", "x", "y"), ("Sigmoid", "y", "y"))
    else_net = _net("else", ("Tanh", "x", "y"))
    inner_then = _net("inner_then", ("Abs", "y", "y"))
    lb = NetBuilder("loop")
    lb.op("Add", ["y", "one"], "y")
    lb.op("If", "c", "y", then_net=inner_then)
    loop_net = lb.net
    cond_net = _net("cond", ("LT", ["y", "ten"], "c"))

    b = NetBuilder("control")
    b.op("Relu", "data", "x")
    b.op("If", ["c"], ["y"], then_net=then_net, else_net=else_net)
    b.op("While", ["c", "y"], ["y"], loop_net=loop_net, cond_net=cond_net)
    b.inputs("data", "c", "one", "ten").outputs("y")
    return model_from(b.net)


# Cluster label -> (number of op nodes directly inside, label of the parent cluster or None).
EXPECTED = {
    "If #1 then_net": (2, None),
    "If #1 else_net": (1, None),
    "While #2 loop_net": (2, None),
    "If #1 then_net@loop": (1, "While #2 loop_net"),
    "While #2 cond_net": (1, None),
}


def _dot_clusters(text):
    """Walk the DOT text: cluster name -> (label, parent cluster, op node ids directly inside)."""
    clusters, stack = {}, []
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"subgraph (cluster_\w+) \{", line)
        if m:
            clusters[m.group(1)] = {"label": None, "parent": stack[-1] if stack else None, "ops": []}
            stack.append(m.group(1))
        elif line == "}":
            if stack:
                stack.pop()
        elif stack and line.startswith("label=") and clusters[stack[-1]]["label"] is None:
            clusters[stack[-1]]["label"] = line[len("label="):].rstrip(";").strip('"')
        elif stack:
            m = re.match(r"(\w+) \[label=", line)
            if m and re.fullmatch(r"s\d+_op\d+", m.group(1)):
                clusters[stack[-1]]["ops"].append(m.group(1))
    return clusters


def _check_clusters(clusters):
    by_label = {}
    for _name, c in clusters.items():
        parent = clusters[c["parent"]]["label"] if c["parent"] else None
        key = c["label"] + ("@loop" if parent == "While #2 loop_net" else "")
        by_label[key] = (len(c["ops"]), parent)
    assert by_label == EXPECTED


def test_dot_has_nested_labelled_clusters():
    dot = build_dot(control_net())
    text = render(dot, "dot").decode()
    _check_clusters(_dot_clusters(text))
    # a dashed edge from each control op to each of its clusters (lhead names the cluster)
    dashed = re.findall(r'(\w+) -> (\w+) \[.*lhead="?(cluster_\w+)"?.*style=dashed', text)
    assert len(dashed) == 5
    sources = sorted(src for src, _, _ in dashed)
    assert sources.count("op1") == 2 and sources.count("op2") == 2
    assert any(src.startswith("s") and src.endswith("_op1") for src in sources)  # the nested If
    assert "compound=true" in text
    # node ids are unique across the whole drawing
    ids = re.findall(r"^\s*(\w+) \[label=", text, flags=re.M)
    assert len(ids) == len(set(ids))
    # 3 top ops + 2 + 1 + 2 + 1 + 1 sub-net ops
    assert sum(1 for i in ids if re.fullmatch(r"(s\d+_)?op\d+", i)) == 10


def test_plain_nets_have_no_clusters():
    b = NetBuilder("plain")
    b.op("Relu", "data", "x")
    b.inputs("data").outputs("x")
    text = render(build_dot(model_from(b.net)), "dot").decode()
    assert "subgraph" not in text and "compound" not in text


def test_options_apply_inside_clusters():
    model = control_net()
    minimal = render(build_dot(model, minimal=True), "dot").decode()
    assert not re.search(r"\bs\d+_blob\d+", minimal)  # no blob nodes inside clusters either
    _check_clusters(_dot_clusters(minimal))
    # then_net Relu -> Sigmoid is an op-to-op edge inside its cluster
    assert re.search(r"\b(s\d+)_op0 -> \1_op1;", minimal)
    full = render(build_dot(model), "dot").decode()
    assert re.search(r"\bs\d+_blob\d+", full)
    appended = render(build_dot(model, append_output=True, rankdir="TB"), "dot").decode()
    assert re.search(r's\d+_op0 \[label="Relu \(op#0\)\\ny"', appended)
    assert "rankdir=TB" in appended


def _svg_clusters(path):
    root = ET.parse(path).getroot()
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "cluster":
            texts = [t.text for t in g.iter(f"{SVG}text")]
            out[g.find(f"{SVG}title").text] = texts[0] if texts else None
    nodes = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    return out, nodes


@needs_dot
def test_svg_has_clusters(tmp_path):
    out = tmp_path / "control.svg"
    draw(control_net(), str(out))
    clusters, nodes = _svg_clusters(out)
    assert sorted(clusters.values()) == sorted(["If #1 then_net", "If #1 else_net", "While #2 loop_net",
                                                "If #1 then_net", "While #2 cond_net"])
    assert all(name.startswith("cluster_s") for name in clusters)
    ops = [n for n in nodes if re.fullmatch(r"(s\d+_)?op\d+", n)]
    assert len(ops) == 10 and len(nodes) == len(set(nodes))


@needs_dot
def test_cli_draws_control_net(tmp_path):
    p = tmp_path / "predict_net.pb"
    save_net(control_net().predict_net, str(p))
    out = tmp_path / "control.svg"
    r = subprocess.run([sys.executable, "-m", "c2core.cli.main", "draw", str(p), "-o", str(out), "--minimal-dependency"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    clusters, _ = _svg_clusters(out)
    assert len(clusters) == 5


def test_empty_and_text_subnets():
    """An empty then_net gets a placeholder node to point at; a text-format step_net is drawn too."""
    from google.protobuf import text_format

    from c2core.proto import caffe2_pb2

    step = _net("step", ("FC", ["x_t", "w", "b"], "h_t"), ("Tanh", "h_t", "h_t"))
    b = NetBuilder("rnn")
    b.op("If", "c", "y", then_net=caffe2_pb2.NetDef(name="nothing"))
    b.op("RecurrentNetwork", ["x", "w", "b"], "h", step_net=text_format.MessageToString(step))
    b.inputs("c", "x", "w", "b").outputs("h")
    text = render(build_dot(model_from(b.net)), "dot").decode()
    clusters = _dot_clusters(text)
    assert sorted((c["label"], len(c["ops"])) for c in clusters.values()) == [
        ("If #0 then_net", 0), ("RecurrentNetwork #1 step_net", 2)]
    assert re.search(r'op0 -> (s\d+_empty) \[lhead="?cluster_s\d+"?', text)
    assert re.search(r's\d+_empty \[label="\(empty\)"', text)
