"""`c2core convert --to openvino|tensorrt`: files, explicit precision, parity gate, refusals."""

import json
import os

import numpy as np
import pytest

from c2core.cli.main import main
from c2core.io.save import save_model
from tests.references.tiny_classifier import tiny_classifier, tiny_classifier_logits


def _tiny(folder, batch=1):
    """The tiny classifier without Softmax (8 channels), saved as a pair with value_info.json."""
    m, w = tiny_classifier(batch=batch, channels=8, softmax=False)
    save_model(m, str(folder))
    (folder / "value_info.json").write_text(json.dumps({"data": [1, [batch, 3, 8, 8]]}))
    return w


@pytest.fixture
def c2_ok():
    from c2core.backends import availability

    if not availability("c2").ok:
        pytest.skip(availability("c2").reason)


def test_openvino_fp32_and_fp16_ir(tmp_path, capsys, c2_ok):
    (tmp_path / "m").mkdir()
    w = _tiny(tmp_path / "m")
    out32, out16 = tmp_path / "o" / "m32.xml", tmp_path / "o" / "m16.xml"
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out32)]) == 0
    out = capsys.readouterr().out  # the one parity report of every target
    assert "verification: openvino vs c2core executor, rtol 0.0001" in out and "\n  fc " in out and "PASSED" in out
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out16), "--precision", "fp16"]) == 0
    out = capsys.readouterr().out
    assert "fp16 weights" in out and "verification: openvino:fp16 vs c2core executor, rtol 0.01 " in out
    assert "f16" in out16.read_text() and "f16" not in out32.read_text()
    assert os.path.getsize(str(out16)[:-4] + ".bin") < os.path.getsize(str(out32)[:-4] + ".bin")
    assert sorted(os.listdir(tmp_path / "o")) == ["m16.bin", "m16.xml", "m32.bin", "m32.xml"]  # no staging left
    import openvino as ov

    x = np.random.default_rng(1).standard_normal((1, 3, 8, 8)).astype(np.float32)
    got = ov.Core().compile_model(str(out32), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(x)[0]
    np.testing.assert_allclose(got, tiny_classifier_logits(x, w), rtol=1e-4, atol=1e-5)


def test_openvino_dynamic_batch(tmp_path, c2_ok):
    (tmp_path / "m").mkdir()
    w = _tiny(tmp_path / "m")
    out = tmp_path / "dyn.xml"
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out), "--dynamic-batch"]) == 0
    import openvino as ov

    core = ov.Core()
    x = np.random.default_rng(2).standard_normal((3, 3, 8, 8)).astype(np.float32)
    got = core.compile_model(core.read_model(str(out)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(x)[0]
    np.testing.assert_allclose(got, tiny_classifier_logits(x, w), rtol=1e-4, atol=1e-5)


def test_parity_gate_writes_nothing_when_outside_tolerance(tmp_path, capsys, c2_ok):
    (tmp_path / "m").mkdir()
    _tiny(tmp_path / "m")
    out = tmp_path / "o" / "m.xml"
    # FP32 OpenVINO differs from the executor by ~1e-7 relative: 1e-12 cannot pass
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out), "--rtol", "1e-12"]) == 2
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "beyond tolerance" in captured.err
    assert os.listdir(tmp_path / "o") == []
    # --keep-failed writes the IR and its weights, and it is still a failure
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out), "--rtol", "1e-12",
                 "--keep-failed"]) == 2
    assert "beyond tolerance" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path / "o")) == ["m.bin", "m.xml"]


def test_openvino_rejects_int8_and_cancel_leaves_nothing(tmp_path, capsys, c2_ok):
    (tmp_path / "m").mkdir()
    _tiny(tmp_path / "m")
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(tmp_path / "x.xml"),
                 "--precision", "int8"]) == 2
    assert "needs --calib DIR" in capsys.readouterr().err  # INT8 IR is post-training quantization (tests/c2core/quantize)
    assert not (tmp_path / "x.xml").exists()
    from c2core.pipeline import to_openvino
    from c2core.errors import Cancelled
    from c2core.io import open_model
    from c2core.tasks import CancelToken

    tok = CancelToken()
    tok.cancel()
    with pytest.raises(Cancelled):
        to_openvino(open_model(str(tmp_path / "m")), str(tmp_path / "c" / "m.xml"), cancel=tok)
    assert os.listdir(tmp_path / "c") == []


def test_tensorrt_target_says_why_not_here(tmp_path, capsys):
    from c2core.backends import availability

    if availability("tensorrt").ok:
        pytest.skip("TensorRT is available here")
    (tmp_path / "m").mkdir()
    _tiny(tmp_path / "m")
    assert main(["convert", str(tmp_path / "m"), "--to", "tensorrt", "-o", str(tmp_path / "m.plan")]) == 2
    assert "TensorRT is not available here: " in capsys.readouterr().err
    assert not (tmp_path / "m.plan").exists()


def test_openvino_parity_uses_the_given_input(tmp_path, capsys, c2_ok):
    """--input feeds the parity check (a wrong shape is refused, a right one used)."""
    (tmp_path / "m").mkdir()
    _tiny(tmp_path / "m")
    bad, good = tmp_path / "bad.npy", tmp_path / "good.npy"
    np.save(bad, np.zeros((1, 3, 5, 5), np.float32))
    np.save(good, np.full((1, 3, 8, 8), 0.5, np.float32))
    out = tmp_path / "o" / "m.xml"
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out), "--input", str(bad)]) == 2
    assert "[1, 3, 5, 5]" in capsys.readouterr().err and not out.exists()
    assert main(["convert", str(tmp_path / "m"), "--to", "openvino", "-o", str(out), "--input", f"data={good}", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["verify"]["ok"] and summary["outputs"][0] == str(out)
