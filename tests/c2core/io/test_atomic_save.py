"""Atomic writes: the target appears complete or not at all, with normal permissions."""

import os
import stat

import pytest

from c2core.io.save import atomic_path, write_bytes


def test_failure_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.onnx"
    with pytest.raises(RuntimeError):
        with atomic_path(str(target)) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"half")
            raise RuntimeError("cancelled midway")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_failure_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.pb"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(str(target)) as tmp:
            open(tmp, "wb").write(b"new but unfinished")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.pb"]


def test_result_has_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_bytes(str(tmp_path / "f.pb"), b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(tmp_path / "f.pb").st_mode)
    assert mode == 0o644


def test_a_file_where_a_folder_is_needed_is_named(tmp_path):
    """`-o model.pb/out.onnx`: the error names the file in the way, not 'File exists'."""
    from c2core.errors import C2Error
    from c2core.io.save import output_target

    (tmp_path / "model.pb").write_bytes(b"x")
    with pytest.raises(C2Error) as e:
        output_target(str(tmp_path / "model.pb" / "sub" / "out.onnx"))
    assert e.value.path == str(tmp_path / "model.pb" / "sub")
    assert e.value.reason == f"cannot create this folder: {tmp_path / 'model.pb'} is a file, not a folder"
    assert (tmp_path / "model.pb").read_bytes() == b"x"
