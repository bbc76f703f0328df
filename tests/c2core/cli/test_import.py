"""`c2core import MODEL.onnx -o DIR [--text] [--names readable|keep]`: files written, names, numbers right, errors one line."""

import os

import numpy as np
import pytest
from onnx import helper

from c2core.cli.main import main
from tests.c2core.onnx.import_helpers import make_model


@pytest.fixture
def onnx_file(tmp_path):
    """y = relu(x · Wᵀ + b) with x (2, 3), W (4, 3)."""
    w = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.5
    b = np.array([0.1, -0.2, 0.3, -0.4], np.float32)
    m = make_model([helper.make_node("Gemm", ["x", "W", "b"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["y"])],
                   [("x", [2, 3])], [("y", None)], {"W": w, "b": b})
    p = tmp_path / "small.onnx"
    p.write_bytes(m.SerializeToString())
    return p, w, b


@pytest.mark.parametrize("text", [False, True])
def test_import_writes_a_runnable_pair(onnx_file, tmp_path, capsys, text):
    from c2core.io import open_model
    from c2core.runtime import Predictor

    path, w, b = onnx_file
    out = tmp_path / "pair"
    rc = main(["import", str(path), "-o", str(out)] + (["--text"] if text else []))
    assert rc == 0
    ext = ".pbtxt" if text else ".pb"
    assert sorted(os.listdir(out)) == sorted(["predict_net" + ext, "init_net" + ext, "value_info.json"])
    said = capsys.readouterr().out
    assert "FC×1" in said and "Relu×1" in said and "inputs: x [2, 3]" in said
    m = open_model(str(out))
    x = np.array([[1, 2, 3], [-1, 0, 4]], np.float32)
    y = Predictor(m).run({"x": x})["y"]
    np.testing.assert_allclose(y, np.maximum(x @ w.T + b, 0), rtol=1e-6, atol=1e-6)


def test_unsupported_ops_exit_2_with_the_list(tmp_path, capsys):
    m = make_model([helper.make_node("Einsum", ["x", "x"], ["a"], equation="ij,ij->ij"),
                    helper.make_node("Erf", ["a"], ["y"])], [("x", [2, 3])], [("y", None)])
    p = tmp_path / "bad.onnx"
    p.write_bytes(m.SerializeToString())
    rc = main(["import", str(p), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and str(p) in err and "Einsum" in err and "Erf" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_not_onnx_exit_2(tmp_path, capsys):
    p = tmp_path / "x.onnx"
    p.write_bytes(b"\x08\x96\x01 garbage \xff\xff")
    assert main(["import", str(p), "-o", str(tmp_path / "o")]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("spec,msg", [("x", "NAME=D0,D1"), ("x=2,a", "NAME=D0,D1"), ("nope=2,3", "unknown input")])
def test_bad_input_shape_exit_2(onnx_file, tmp_path, capsys, spec, msg):
    path, _, _ = onnx_file
    assert main(["import", str(path), "-o", str(tmp_path / "o"), "--input-shape", spec]) == 2
    assert msg in capsys.readouterr().err


def test_input_shape_is_written_to_value_info(onnx_file, tmp_path):
    import json

    path, _, _ = onnx_file
    assert main(["import", str(path), "-o", str(tmp_path / "o"), "--input-shape", "x=2,3"]) == 0
    assert json.loads((tmp_path / "o" / "value_info.json").read_text()) == {"x": [1, [2, 3]]}


@pytest.mark.parametrize("flag,blobs", [
    ([], {"x", "h_w", "h_b", "h", "y"}),  # default: weights named after the blob their FC writes
    (["--names", "keep"], {"x", "W", "b", "h", "y"}),  # the ONNX names as they are
    (["--names", "readable"], {"x", "h_w", "h_b", "h", "y"}),
])
def test_names_option(onnx_file, tmp_path, flag, blobs):
    from c2core.io import open_model

    path, w, _ = onnx_file
    assert main(["import", str(path), "-o", str(tmp_path / "o")] + flag) == 0
    m = open_model(str(tmp_path / "o"))
    assert {b for op in m.predict_net.op for b in list(op.input) + list(op.output)} == blobs
    assert m.data_inputs == ["x"] and m.external_outputs == ["y"]  # kept either way
    np.testing.assert_array_equal(m.weight_arrays()["W" if "W" in blobs else "h_w"], w)


def test_names_option_refuses_other_values(onnx_file, tmp_path, capsys):
    path, _, _ = onnx_file
    with pytest.raises(SystemExit) as e:
        main(["import", str(path), "-o", str(tmp_path / "o"), "--names", "pretty"])
    assert e.value.code == 2 and "--names" in capsys.readouterr().err
