"""Small core functions the app calls: input rows, sidecar writes, output checks, argument
spellings, sub-net views."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error


def _conv_model(value_info=None):
    b = NetBuilder("conv")
    b.inputs("data", "w").outputs("y")
    b.op("Conv", ["data", "w"], "y", kernel=3)
    m = model_from(b.net, {"w": np.zeros((2, 3, 3, 3), np.float32)})
    if value_info:
        m.value_info = value_info
    return m


def test_input_rows_sources_and_assumed_sizes():
    from c2core.input_rows import input_rows, parse_shape

    (row,), _ = input_rows(_conv_model(), crop=160)
    assert row.shape == (1, 3, 160, 160) and row.source == "preprocessing" and row.assumed[0]
    (row,), _ = input_rows(_conv_model(), {"data": (2, 3, 32, 32)}, crop=160)
    assert row.shape == (2, 3, 32, 32) and row.source == "set" and not any(row.assumed)
    (row,), _ = input_rows(_conv_model({"data": (1, [1, 3, 64, 64])}))
    assert row.shape == (1, 3, 64, 64) and row.source == "value_info.json"
    with pytest.raises(C2Error):  # 4 channels cannot feed a 3-channel filter
        input_rows(_conv_model(), {"data": (1, 4, 32, 32)})
    assert parse_shape("1x3x224x224") == parse_shape("[1, 3, 224, 224]") == parse_shape("1*×3×224×224") == (1, 3, 224, 224)
    assert parse_shape("unknown") is None
    with pytest.raises(ValueError):
        parse_shape("1,0,3")


def test_sidecar_files_merge_and_are_atomic(tmp_path):
    from c2core.io.sidecar_files import save_value_info, update_model_json

    (tmp_path / "value_info.json").write_text('{"other": [7, [4]]}')
    p = save_value_info(str(tmp_path), {"data": (1, 3, 8, 8)})
    assert json.loads(open(p).read()) == {"other": [7, [4]], "data": [1, [1, 3, 8, 8]]}
    p = update_model_json(str(tmp_path), {"preprocessing": "caffe"})
    p = update_model_json(str(tmp_path), {"labels": "l.txt"})
    assert json.loads(open(p).read()) == {"preprocessing": "caffe", "labels": "l.txt"}
    assert sorted(os.listdir(tmp_path)) == ["model.json", "value_info.json"]  # no temp files left
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(C2Error):  # a broken file is not overwritten blindly
        update_model_json(str(tmp_path), {"labels": None})


def test_output_problem(tmp_path):
    from c2core.io.output_check import output_problem

    assert output_problem(str(tmp_path / "a" / "b.onnx")) is None
    assert "is a folder" in output_problem(str(tmp_path))
    assert "cannot create a folder here" in output_problem("/proc/nope/x.onnx")
    (tmp_path / "f").write_text("x")
    assert "is a file" in output_problem(str(tmp_path / "f"), folder=True)
    assert output_problem("") == "no output given"


def test_argument_spellings_collapse():
    from c2core.schema.arg_aliases import defaults_to_show, family

    assert family("strides") == family("stride_h") == "stride" and family("group") == "group"
    shown = defaults_to_show("Conv", ["strides", "pads", "kernel"])
    assert not any(family(n) in ("stride", "pad", "kernel") for n in shown)
    assert [n for n in shown if family(n) == "dilation"] == ["dilation"]


def test_subnet_view_links_outer_blobs_and_infers_shapes():
    from c2core.graph import Graph
    from c2core.shapes.info import BlobInfo
    from c2core.subnets import open_subnet, subnet_shapes

    then = NetBuilder("then")
    then.op("Relu", "x", "y")
    b = NetBuilder("outer")
    b.op("Sigmoid", "data", "x")
    b.op("If", ["c", "x"], ["y"], then_net=then.net)
    b.inputs("data", "c").outputs("y")
    g = Graph(model_from(b.net))
    view = open_subnet(g, 1, "then_net")
    assert view.outer == ["x"] and view.writes_outer == ["y"] and view.title == "op #1 If · then_net"
    shapes = subnet_shapes(view, g, {("x", 1): BlobInfo((2, 5), "float32")}, 1)
    assert shapes[("y", 1)].shape == (2, 5)
    with pytest.raises(KeyError):
        open_subnet(g, 1, "else_net")
