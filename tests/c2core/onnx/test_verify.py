"""verify.py: the error definition, inputs (random, .npy, image), the report,
and the staged write that never lets a failed export pose as a good one."""

from __future__ import annotations

import os

import numpy as np
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.errors import C2Error
from c2core.onnx import export_onnx, verify_onnx
from c2core.parity import TINY
from c2core.parity import compare_output as compare
from c2core.pipeline import ConversionFailed as VerificationFailed
from c2core.pipeline import to_onnx


def export_verified(model, path, **kw):
    """The pipeline's ONNX entry point, as (proto facts, parity report)."""
    rep = to_onnx(model, path, **kw)
    return rep.details, rep.parity


def tiny_model():
    rng = np.random.default_rng(40)
    b = NetBuilder("tiny")
    b.inputs("data")
    b.op("Conv", ["data", "w", "b"], "c", kernel=3, pad=1)
    b.op("Relu", "c", "c")
    b.op("AveragePool", "c", "y", global_pooling=1)
    b.outputs("y")
    m = model_from(b.net, {"w": rng.standard_normal((2, 3, 3, 3)).astype(np.float32), "b": np.ones(2, np.float32)})
    m.value_info = {"data": (1, [1, 3, 6, 6])}
    return m


def test_relative_error_is_max_abs_over_max_abs_reference():
    ref = np.array([0.0, -2.0, 1.0], np.float32)
    got = np.array([1e-4, -2.0, 1.0002], np.float32)
    c = compare("y", got, ref, rtol=1e-4)
    assert c.max_abs == pytest.approx(2e-4, rel=1e-3)
    assert c.max_rel == pytest.approx(1e-4, rel=1e-3)  # 2e-4 / max|ref| = 2e-4 / 2
    assert not compare("y", got, ref, rtol=0.9e-4).ok and compare("y", got, ref, rtol=1.1e-4).ok
    zero = compare("z", np.zeros(3), np.zeros(3), rtol=0)
    assert zero.ok and zero.max_rel == 0.0
    assert compare("z", np.array([1e-20]), np.zeros(1), rtol=1e-4).max_rel == pytest.approx(1e-20 / TINY)


def test_shape_nan_and_integer_rules():
    assert not compare("y", np.zeros((2, 3)), np.zeros((3, 2)), 1e-4).ok
    nan_both = compare("y", np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), 1e-4)
    assert nan_both.ok
    assert not compare("y", np.array([np.nan, 1.0]), np.array([0.0, 1.0]), 1e-4).ok
    assert not compare("i", np.array([1, 2], np.int32), np.array([1, 3], np.int32), 1.0).ok  # ints: exact
    assert compare("i", np.array([1, 2], np.int32), np.array([1, 3], np.int32), 0, int_atol=1).ok


def test_report_lists_every_output_and_formats():
    m = tiny_model()
    r = verify_onnx(m, export_onnx(m))
    assert r.ok and len(r.outputs) == 1
    o = r.outputs[0]
    assert o.name == "y" and o.shape == (1, 2, 1, 1) and o.max_rel <= 1e-4
    text = r.format()
    assert "max|got - ref| / max(max|ref|, 1e-30)" in text and "PASSED" in text and "seed 0" in text
    d = r.to_dict()
    assert d["ok"] and d["outputs"][0]["name"] == "y" and set(d["seconds"]) == {"onnxruntime", "reference"}


def test_a_wrong_reference_fails_with_the_reason():
    m = tiny_model()
    proto = export_onnx(m)
    good = verify_onnx(m, proto)

    def off_by_one_percent(feeds):
        from c2core.runtime import Predictor

        out = Predictor(m).run(feeds)
        return {k: v * 1.01 for k, v in out.items()}

    r = verify_onnx(m, proto, reference=off_by_one_percent)
    assert not r.ok and r.outputs[0].max_rel == pytest.approx(0.01 / 1.01, rel=1e-2)
    assert "FAIL" in r.format() and "rtol" in r.outputs[0].note
    assert good.ok


def test_same_seed_same_inputs_and_user_inputs(tmp_path):
    m = tiny_model()
    proto = export_onnx(m)
    seen = []

    def spy(feeds):
        seen.append(feeds["data"].copy())
        from c2core.runtime import Predictor

        return Predictor(m).run(feeds)

    verify_onnx(m, proto, reference=spy, seed=3)
    verify_onnx(m, proto, reference=spy, seed=3)
    verify_onnx(m, proto, reference=spy, seed=4)
    assert np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[0], seen[2])

    x = np.full((1, 3, 6, 6), 0.5, np.float32)
    np.save(tmp_path / "x.npy", x)
    r = verify_onnx(m, proto, inputs={"data": str(tmp_path / "x.npy")}, reference=spy)
    assert r.ok and np.array_equal(seen[-1], x) and "x.npy" in r.inputs["data"]

    from PIL import Image

    img = np.zeros((12, 12, 3), np.uint8)
    img[..., 0] = 200
    Image.fromarray(img).save(tmp_path / "red.png")
    r = verify_onnx(m, proto, inputs={"data": str(tmp_path / "red.png")}, reference=spy)
    assert r.ok and seen[-1].shape == (1, 3, 6, 6)
    assert np.allclose(seen[-1][0, 0], 200) and np.allclose(seen[-1][0, 1:], 0)

    with pytest.raises(C2Error, match="not inputs"):
        verify_onnx(m, proto, inputs={"nope": x})
    with pytest.raises(C2Error, match="shape"):
        verify_onnx(m, proto, inputs={"data": np.zeros((1, 3, 5, 5), np.float32)})


def test_export_verified_writes_only_after_passing(tmp_path):
    m = tiny_model()
    out = tmp_path / "ok.onnx"
    proto, report = export_verified(m, str(out))
    assert report.ok and out.exists() and os.listdir(tmp_path) == ["ok.onnx"]

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"previous good file")

    def wrong(feeds):
        return {"y": np.zeros((1, 2, 1, 1), np.float32) + 7}

    with pytest.raises(VerificationFailed) as ei:
        export_verified(m, str(bad), reference=wrong)
    assert not ei.value.report.ok and "nothing was written" in str(ei.value)
    assert bad.read_bytes() == b"previous good file"
    assert sorted(os.listdir(tmp_path)) == ["bad.onnx", "ok.onnx"]

    with pytest.raises(VerificationFailed, match="kept"):
        export_verified(m, str(bad), reference=wrong, keep_failed=True)
    assert bad.read_bytes().startswith(b"\x08")  # a real ONNX file now (field 1, ir_version)

    _, none = export_verified(m, str(tmp_path / "nv.onnx"), verify=False)
    assert none is None and (tmp_path / "nv.onnx").exists()


def test_export_verified_checks_the_staged_external_data_file(tmp_path):
    m = tiny_model()
    out = tmp_path / "ext.onnx"
    _, report = export_verified(m, str(out), external_data_threshold=100)
    assert report.ok
    assert sorted(os.listdir(tmp_path)) == ["ext.onnx", "ext.onnx.data"]
