"""`c2core convert --int8 exact|qdq|float` on a Caffe2 Int8 net: the report and the
--json line say which form is exact and which approximate, and on what criterion."""

import json


from c2core.cli.main import main
from c2core.io.save import save_model
from tests.c2core.onnx.test_export_int8_exact import mobilenet_like


def _saved(tmp_path):
    m = mobilenet_like(1, 0.02, 128)
    save_model(m, str(tmp_path / "m"))
    (tmp_path / "m" / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 12, 12]]}))
    return tmp_path / "m"


def test_exact_and_qdq_reports(tmp_path, capsys):
    folder = _saved(tmp_path)
    assert main(["convert", str(folder), "-o", str(tmp_path / "e.onnx"), "--int8", "exact", "--json"]) == 0
    out = capsys.readouterr().out
    assert "bit-exact" in out
    last = json.loads(out.strip().splitlines()[-1])
    assert last["verify"]["int8"] == {"form": "exact", "exact": True, "criterion": last["verify"]["int8"]["criterion"]}
    assert all(o["max_abs"] == 0 for o in last["verify"]["outputs"])

    assert main(["convert", str(folder), "-o", str(tmp_path / "q.onnx"), "--json"]) == 0  # qdq is the default
    out = capsys.readouterr().out
    assert "APPROXIMATE" in out and "8 runs" in out
    last = json.loads(out.strip().splitlines()[-1])
    assert last["verify"]["int8"]["form"] == "qdq" and last["verify"]["int8"]["exact"] is False
    prob = next(o for o in last["verify"]["outputs"] if o["name"] == "prob")
    assert prob["agreement"]["top1"] == 1.0 and prob["agreement"]["rows"] == 8


def test_float_form_fails_honestly_and_writes_nothing(tmp_path, capsys):
    folder = _saved(tmp_path)
    rc = main(["convert", str(folder), "-o", str(tmp_path / "f.onnx"), "--int8", "float"])
    out = capsys.readouterr()
    assert rc == 2 and not (tmp_path / "f.onnx").exists()
    assert "steps > 4" in out.out + out.err
    # a looser, explicit bound is the user's call and is printed
    assert main(["convert", str(folder), "-o", str(tmp_path / "f.onnx"), "--int8", "float", "--max-steps", "40"]) == 0
    assert "<= 40 quantization steps" in capsys.readouterr().out
    assert (tmp_path / "f.onnx").exists()


def test_openvino_refuses_an_onnx_only_int8_form(tmp_path, capsys):
    """`--to openvino --int8 exact` was accepted and ignored (OpenVINO is built from the qdq export)."""
    from c2core.cli.main import main
    from c2core.io.save import save_model
    from tests.references.tiny_classifier import tiny_classifier

    save_model(tiny_classifier()[0], str(tmp_path / "m"))
    rc = main(["convert", str(tmp_path / "m"), "--to", "openvino", "--int8", "exact", "-o", str(tmp_path / "o.xml")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: --int8: 'exact' is an ONNX form") and err.count("\n") == 1
    assert not list(tmp_path.glob("o.*"))
