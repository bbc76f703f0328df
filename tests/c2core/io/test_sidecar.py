"""model.json: one reader/validator/writer (c2core.io.sidecar), one image list, one OSError wording."""

from __future__ import annotations

import json
import os

import pytest

from c2core.errors import C2FormatError
from c2core.io.sidecar import FORMAT, read_sidecar, sidecar_path, write_sidecar
from c2core.io.user_files import IMAGE_EXTS, file_error, read_user_file


def test_absent_sidecar_is_empty_unless_required(tmp_path):
    assert read_sidecar(str(tmp_path)) == {}
    with pytest.raises(C2FormatError, match="no such file"):
        read_sidecar(str(tmp_path), required=True)


def test_the_same_file_is_judged_the_same_way_from_folder_file_and_path(tmp_path):
    (tmp_path / "predict_net.pb").write_bytes(b"")
    write_sidecar(str(tmp_path), {"preprocessing": "torchvision", "labels": ["cat", "dog"]})
    for p in (tmp_path, tmp_path / "predict_net.pb", tmp_path / "model.json"):
        assert sidecar_path(str(p)) == str(tmp_path / "model.json")
        assert read_sidecar(str(p)) == {"preprocessing": "torchvision", "labels": ["cat", "dog"]}


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    (json.dumps({"preprocessing": 3}), "preset name or an object"),
    (json.dumps({"labels": [1, 2]}), "'labels'"),
    (json.dumps({"input": {"shape": [1, "x"]}}), "input.shape"),
    (json.dumps({"format": "other/2"}), "unknown sidecar format"),
])
def test_invalid_sidecars_are_refused_with_the_reason(tmp_path, content, reason):
    (tmp_path / "model.json").write_text(content)
    with pytest.raises(C2FormatError, match=reason) as e:
        read_sidecar(str(tmp_path))
    assert e.value.path == str(tmp_path / "model.json")


def test_complete_format_for_zoo_builds(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"format": FORMAT, "input": {}, "output": {}}))
    assert read_sidecar(str(tmp_path))["format"] == FORMAT
    with pytest.raises(C2FormatError, match="preprocessing"):
        read_sidecar(str(tmp_path), complete=True)


def test_writer_refuses_what_the_reader_would_refuse(tmp_path):
    with pytest.raises(C2FormatError):
        write_sidecar(str(tmp_path), {"labels": 5})
    assert os.listdir(tmp_path) == []


def test_one_image_list_and_one_oserror_wording(tmp_path):
    from c2core.classify import IMAGE_EXTS as classify_exts
    from c2core.onnx.verify import IMAGE_EXTS as verify_exts

    assert classify_exts is IMAGE_EXTS and verify_exts is IMAGE_EXTS and ".webp" in IMAGE_EXTS and ".ppm" in IMAGE_EXTS
    with pytest.raises(C2FormatError, match="no such file"):
        read_user_file(str(tmp_path / "nope"))
    with pytest.raises(C2FormatError, match="is a folder"):
        read_user_file(str(tmp_path))
    assert file_error(PermissionError(13, "Permission denied"), "x").reason == "permission denied"
    assert file_error(OSError(5, "Input/output error"), "x", "labels").reason == "cannot read labels: Input/output error"
