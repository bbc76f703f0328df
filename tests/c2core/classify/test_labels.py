"""Labels files: text lines, JSON list/object, sidecar references."""

import json

import pytest

from c2core.classify.labels import labels_for, load_labels
from c2core.errors import C2Error


def test_text_lines_keep_indices(tmp_path):
    p = tmp_path / "l.txt"
    p.write_text("tench\n\ngoldfish\n")
    assert load_labels(str(p)) == ["tench", "", "goldfish"]


def test_json_forms(tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(["x", "y"]))
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"0": "x", "2": "z"}))
    assert load_labels(str(a)) == ["x", "y"]
    assert load_labels(str(b)) == ["x", "", "z"]


def test_sidecar_reference_and_override(tmp_path):
    (tmp_path / "mine.txt").write_text("a\nb\n")
    (tmp_path / "other.txt").write_text("c\n")
    assert labels_for({"labels": "mine.txt"}, str(tmp_path)) == ["a", "b"]
    assert labels_for({"labels": ["p", "q"]}, str(tmp_path)) == ["p", "q"]
    assert labels_for({"labels": "mine.txt"}, str(tmp_path), str(tmp_path / "other.txt")) == ["c"]
    with pytest.raises(C2Error, match="not found"):
        labels_for({"labels": "missing.txt"}, str(tmp_path))
