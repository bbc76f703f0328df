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


def test_int8_net_compared_in_quantization_steps_like_convert(tmp_path):
    """A QNNPACK-style net: `convert --to onnx` (qdq) passes it judged in quantization steps, so
    `compare` and the OpenVINO parity check judge its Int8 outputs the same way (they demanded
    bit-exactness and failed every such net: 'r2 integer output differs by 5 > 0')."""
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent / "onnx"))
    from test_export_int8_exact import mobilenet_like

    from c2core.pipeline import to_openvino

    m = mobilenet_like(1, 1 / 128, 128, 12)
    with ModelSource(model=m) as src:
        rep = compare_backends(src, ["onnxruntime", "openvino"])
    assert not rep.failures, rep.format()
    by = {(r.runtime, d.name): d for r in rep.results for d in r.outputs}
    for rt in ("onnxruntime", "openvino"):
        for name in ("sg", "r2", "lk_nchw"):  # Int8 (or dequantized) outputs: steps, within the bound
            d = by[(rt, name)]
            assert d.kind == "quantized" and d.agreement.steps_p99 <= 4, (rt, name, d)
        assert by[(rt, "prob")].ok
    assert "(Int8: steps max" in rep.format()
    out = tmp_path / "m.xml"
    to_openvino(m, str(out))
    assert out.exists() and (tmp_path / "m.bin").exists()
