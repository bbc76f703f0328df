"""compare: error definitions, tolerances by precision, unavailable vs failed, CLI exit codes."""

import json

import numpy as np
import pytest

from c2core.backends import ModelSource
from c2core.compare import DEFAULT_RTOL, compare_backends
from c2core.parity import compare_output
from tests.references.tiny_classifier import tiny_classifier


def tiny_model(batch=2):
    """Conv3x3(pad 1) -> Relu -> global AveragePool -> FC -> Softmax, as a Caffe2 net."""
    return tiny_classifier(batch=batch)[0]


def test_diff_definitions():
    """compare judges outputs with c2core.parity, the same function as convert's verification."""
    ref = np.array([[1.0, -4.0], [2.0, 0.5]])
    got = ref + np.array([[0.0, 0.02], [-0.01, 0.0]])
    d = compare_output("y", got, ref, 1e-2)
    assert d.max_abs == pytest.approx(0.02) and d.max_rel == pytest.approx(0.02 / 4.0) and d.ok
    assert not compare_output("y", got, ref, 1e-3).ok
    assert compare_output("y", got.reshape(2, 2, 1, 1), ref, 1e-2).ok  # same values, trailing 1x1
    assert not compare_output("y", np.zeros(3), ref, 1.0).ok  # different sizes
    nan = ref.copy()
    nan[0, 0] = np.nan
    assert not compare_output("y", nan, ref, 1.0).ok


def _need_c2():
    from c2core.backends import availability

    for n in ("c2",):
        if not availability(n).ok:
            pytest.skip(availability(n).reason)


def test_executor_reference_against_onnx_backends():
    _need_c2()
    with ModelSource(model=tiny_model()) as src:
        rep = compare_backends(src, ["onnxruntime", "openvino", "openvino:fp16", "tensorrt"])
    by = {r.backend: r for r in rep.results}
    assert rep.ok and rep.reference == "c2" and rep.inputs == {"data": (2, 3, 8, 8)}
    assert by["onnxruntime"].outputs[0].max_rel <= 1e-4 and by["openvino"].outputs[0].max_rel <= 1e-4
    assert by["openvino:fp16"].rtol == DEFAULT_RTOL["fp16"] and by["openvino:fp16"].status == "ok"
    if by["tensorrt"].status == "unavailable":
        assert by["tensorrt"].error
    text = rep.format()
    assert "tolerance (rel = max|got-ref| / max|ref|): fp16 0.01, fp32 0.0001" in text
    assert json.loads(json.dumps(rep.to_dict()))["results"][0]["outputs"][0]["output"] == "prob"


def test_too_tight_tolerance_is_a_mismatch(tmp_path):
    from tests.c2core.backends import onnx_nets as nets

    path, _ = nets.conv_net(tmp_path / "m.onnx", batch=2)
    with ModelSource.open(path) as src:
        rep = compare_backends(src, ["openvino:fp16"], reference="onnxruntime", tolerances={"fp16": 1e-9})
    assert not rep.ok and rep.results[0].status == "mismatch" and "MISMATCH" in rep.format()


def test_cli_compare_exit_codes(tmp_path, capsys):
    _need_c2()
    from c2core.io.save import save_model
    from c2core.cli.main import main

    save_model(tiny_model(batch=1), str(tmp_path))
    (tmp_path / "value_info.json").write_text(json.dumps({"data": [1, [1, 3, 8, 8]]}))
    assert main(["compare", str(tmp_path), "--backends", "onnxruntime,openvino:fp16", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["ok"] and [r["backend"] for r in rep["results"]] == ["onnxruntime", "openvino:fp16"]
    assert main(["compare", str(tmp_path), "--backends", "openvino:fp16", "--rtol-fp16", "1e-12"]) == 2
    captured = capsys.readouterr()
    assert "MISMATCH" in captured.out and "outside tolerance" in captured.err
