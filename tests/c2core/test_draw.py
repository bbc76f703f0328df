"""Drawing: net_drawer's nodes and edges, category colours, formats, atomic writes."""

import os
import shutil
import xml.etree.ElementTree as ET

import pytest

from c2core.builder import NetBuilder, model_from
from c2core.draw import build_dot, draw, op_style, render
from c2core.errors import C2Error
from c2core.graph import Graph
from c2core.io import open_model

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
SVG = "{http://www.w3.org/2000/svg}"
CORPUS_OPS = {"bvlc_alexnet": 23, "densenet121": 668, "inception_v1": 142, "resnet50": 175, "vgg19": 45}


def diamond():
    """a: data -> x; b: x -> y; c: (x, y) -> z. c depends on a directly and through b."""
    b = NetBuilder("diamond")
    b.op("Relu", "data", "x", name="a")
    b.op("Sigmoid", "x", "y")
    b.op("Add", ["x", "y"], "z")
    b.op("Relu", "z", "z")  # in place: a second node for blob z
    b.inputs("data").outputs("z")
    return model_from(b.net)


def _nodes(dot):
    return {n.get_name(): n for n in dot.get_nodes() if n.get_name() not in ("node", "edge", "graph")}


def _edges(dot):
    return sorted((e.get_source(), e.get_destination()) for e in dot.get_edges())


def test_full_graph_matches_net_drawer():
    dot = build_dot(diamond())
    nodes = _nodes(dot)
    ops = {k: v for k, v in nodes.items() if k.startswith("op")}
    blobs = {k: v for k, v in nodes.items() if k.startswith("blob")}
    assert len(ops) == 4 and all(v.get("shape") == "box" for v in ops.values())
    assert ops["op0"].get("label").strip('"') == "a/Relu (op#0)"
    assert ops["op2"].get("label").strip('"') == "Add (op#2)"
    # blobs: data, x, y, z (written by Add), z again (rewritten in place) -> 5 octagons
    assert len(blobs) == 5 and all(v.get("shape") == "octagon" for v in blobs.values())
    assert sorted(v.get("label").strip('"') for v in blobs.values()) == ["data", "x", "y", "z", "z"]
    assert len(dot.get_edges()) == 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1  # in/out edges of the 4 ops


def test_minimal_and_minimal_dependency():
    assert _edges(build_dot(diamond(), minimal=True)) == [("op0", "op1"), ("op0", "op2"), ("op1", "op2"), ("op2", "op3")]
    # c's edge from a is implied by a -> b -> c
    assert _edges(build_dot(diamond(), minimal_dependency=True)) == [("op0", "op1"), ("op1", "op2"), ("op2", "op3")]
    nodes = _nodes(build_dot(diamond(), minimal=True))
    assert sorted(nodes) == ["op0", "op1", "op2", "op3"]


def test_append_output_and_rankdir():
    dot = build_dot(diamond(), append_output=True, rankdir="TB")
    assert _nodes(dot)["op2"].get("label").strip('"') == "Add (op#2)\nz"
    assert dot.get("rankdir") == "TB"
    with pytest.raises(C2Error):
        build_dot(diamond(), rankdir="XY")


def test_colours_follow_schema_category():
    from c2core.schema import category

    conv, relu = op_style("Conv"), op_style("Relu")
    assert category("Conv") != category("Relu") and conv["fillcolor"] != relu["fillcolor"]
    assert op_style("Conv")["fontcolor"] == "#FFFFFF"
    unknown = op_style("NoSuchOpAtAll")
    assert "dashed" in unknown["style"]


def test_odd_names_are_escaped():
    b = NetBuilder('we"ird\\net')
    b.op("Relu", 'in "put"', "out\\put {x}")
    b.inputs('in "put"')
    text = render(build_dot(model_from(b.net)), "dot").decode()
    assert 'label="in \\"put\\""' in text
    assert "out\\\\put {x}" in text


@needs_dot
@pytest.mark.parametrize("fmt,magic", [("svg", b"<?xml"), ("pdf", b"%PDF"), ("png", b"\x89PNG"), ("dot", b"digraph")])
def test_formats_written_atomically(tmp_path, fmt, magic):
    out = tmp_path / f"g.{fmt}"
    draw(diamond(), str(out))
    assert out.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [f"g.{fmt}"]  # no temp file left behind


def test_failed_render_keeps_old_file(tmp_path):
    out = tmp_path / "g.svg"
    out.write_text("old")
    with pytest.raises(C2Error):
        draw(diamond(), str(out), fmt="gif")
    assert out.read_text() == "old" and os.listdir(tmp_path) == ["g.svg"]


def svg_op_nodes(path):
    """Op nodes in an SVG from Graphviz: <g class="node"> whose <title> is op<i>."""
    root = ET.parse(path).getroot()
    titles = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            titles.append(g.find(f"{SVG}title").text)
    return [t for t in titles if t.startswith("op")], [t for t in titles if t.startswith("blob")]


@needs_dot
def test_corpus_draws_one_node_per_op(corpus_dir, tmp_path):
    for name, n in CORPUS_OPS.items():
        m = open_model(str(corpus_dir / name), structure_only=True)
        out = tmp_path / f"{name}.svg"
        draw(m, str(out))
        ops, blobs = svg_op_nodes(out)
        assert sorted(ops) == sorted(f"op{i}" for i in range(n)), name
        assert len(blobs) == len(Graph(m).blob_refs()), name


@pytest.mark.perf  # asserts wall-clock time
def test_5000_op_dot_builds_fast():
    import time

    from test_graph import _chain_net

    t = time.perf_counter()
    text = render(build_dot(_chain_net(5000), minimal_dependency=True), "dot")
    assert time.perf_counter() - t < 5.0
    assert text.count(b"->") == 4999
