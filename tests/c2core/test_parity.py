"""c2core.parity: the one comparison, against NumPy formulas written here.

Definitions under test (module docstring): max_abs = max|got - ref|,
max_rel = max_abs / max(max|ref|, 1e-30); floats pass when max_rel <= rtol,
integers exactly (up to int_atol), NaN only where the reference has NaN,
shapes equal or equal once size-1 dims are dropped; quantized outputs report
steps; classifier outputs report top-1 / top-k agreement.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from c2core.parity import TINY, ParityReport, compare_all, compare_output, match_outputs, tolerance


def test_float_errors_match_numpy_formulas():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((4, 7)).astype(np.float32)
    got = ref + rng.uniform(-1e-3, 1e-3, ref.shape).astype(np.float32)
    o = compare_output("y", got, ref, rtol=1e-2)
    want_abs = np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))
    assert o.max_abs == pytest.approx(want_abs, rel=1e-12)
    assert o.max_rel == pytest.approx(want_abs / np.max(np.abs(ref.astype(np.float64))), rel=1e-12)
    assert o.ok and o.kind == "float" and o.tolerance == 1e-2
    assert not compare_output("y", got, ref, rtol=o.max_rel * 0.99).ok
    assert compare_output("y", got, ref, rtol=o.max_rel * 1.01).ok


def test_zero_reference_scale_is_finite_and_judged():
    # one definition: TINY keeps max_rel finite (JSON-safe) yet far above any tolerance
    z = compare_output("z", np.array([1e-20]), np.zeros(1), rtol=1e-4)
    assert z.max_rel == pytest.approx(1e-20 / TINY) and not z.ok and np.isfinite(z.max_rel)
    both = compare_output("z", np.zeros(3), np.zeros(3), rtol=0)
    assert both.ok and both.max_rel == 0.0


def test_nan_only_where_the_reference_has_nan():
    ref = np.array([np.nan, 1.0, 2.0])
    assert compare_output("y", np.array([np.nan, 1.0, 2.0]), ref, 1e-6).ok
    stray = compare_output("y", np.array([np.nan, np.nan, 2.0]), ref, 1.0)
    assert not stray.ok and "NaN where the reference has none (1" in stray.note
    missing = compare_output("y", np.array([0.0, 1.0, 2.0]), ref, 1.0)
    assert not missing.ok and "reference has NaN" in missing.note
    # finite positions are still measured: max_abs over them
    assert compare_output("y", np.array([np.nan, 1.5, 2.0]), ref, 1.0).max_abs == pytest.approx(0.5)


def test_infinities_must_match_exactly():
    ref = np.array([np.inf, -1.0])
    assert compare_output("y", np.array([np.inf, -1.0]), ref, 1e-6).ok
    assert not compare_output("y", np.array([-np.inf, -1.0]), ref, 1e-6).ok
    assert not compare_output("y", np.array([1e30, -1.0]), ref, 1e-6).ok


def test_integers_are_exact_up_to_int_atol():
    ref = np.array([1, 3, 5], np.int64)
    got = np.array([1, 2, 5], np.int32)
    o = compare_output("i", got, ref, rtol=10.0)  # rtol does not apply to integers
    assert not o.ok and o.kind == "integer" and o.max_abs == 1 and "differs by 1" in o.note
    assert compare_output("i", got, ref, rtol=0, int_atol=1).ok
    assert compare_output("b", np.array([True, False]), np.array([True, False]), 0).ok


def test_shapes_equal_or_differing_only_in_size_one_dims():
    ref = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert not compare_output("y", ref.reshape(3, 2), ref, 1e-4).ok  # same size, different layout
    squeezed = compare_output("y", ref.reshape(2, 3, 1, 1), ref, 1e-4)
    assert squeezed.ok and "size-1 dims" in squeezed.note and squeezed.shape == (2, 3, 1, 1)
    bad = compare_output("y", np.zeros(3), ref, 1.0)
    assert not bad.ok and bad.max_abs == float("inf")


def test_quantized_outputs_report_steps_and_allow_one_step_for_qdq():
    scale, zp = 0.05, 128
    ref = np.array([120, 128, 140], np.uint8)
    got = np.array([121, 128, 140], np.uint8)
    q = {"scale": scale, "zero_point": zp, "form": "qdq"}
    o = compare_output("q", got, ref, 1e-4, quant=q)
    assert o.ok and o.kind == "quantized" and o.max_steps == 1 and o.tolerance == 1
    assert not compare_output("q", got + np.uint8(1), ref, 1e-4, quant=q).ok  # two steps
    # float-form export: the candidate holds real values, the executor uint8 codes
    real = (ref.astype(np.float64) - zp) * scale
    f = compare_output("q", (real + 0.5 * scale).astype(np.float32), ref, 1.0, quant={"scale": scale, "zero_point": zp,
                                                                                    "form": "float"})
    assert f.max_steps == pytest.approx(0.5, rel=1e-5) and f.max_abs == pytest.approx(0.5 * scale, rel=1e-5)
    zero = compare_output("q", got, ref, 1e-4, quant={"scale": 0.0, "zero_point": 0, "form": "qdq"})
    assert zero.max_steps is None and "zero quantization scale" in zero.note


def test_topk_agreement_for_classifier_outputs():
    ref = np.array([[0.1, 0.5, 0.2, 0.9, 0.0, 0.3, 0.4],
                    [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]], np.float32)
    got = ref.copy()
    got[1, 0] = 0.0  # row 1: argmax moves from class 0 to class 6; class 0 leaves its top-5
    o = compare_output("prob", got.reshape(2, 7, 1, 1), ref, 1.0)
    k = 5
    want_top1 = np.mean(np.argmax(got, 1) == np.argmax(ref, 1))
    want_overlap = np.mean([len(set(np.argsort(-g)[:k]) & set(np.argsort(-r)[:k])) / k for g, r in zip(got, ref)])
    assert o.top_k == k and o.top1_agreement == pytest.approx(want_top1) and o.topk_overlap == pytest.approx(want_overlap)
    assert o.top1_agreement == 0.5 and o.topk_overlap == pytest.approx((1.0 + 0.8) / 2)
    assert compare_output("img", np.zeros((1, 3, 4, 4)), np.zeros((1, 3, 4, 4)), 1e-4).top1_agreement is None


def test_report_matching_formatting_and_json():
    ref = {"a": np.ones(3, np.float32), "b": np.arange(3)}
    got = {"x": np.ones(3, np.float32), "y": np.arange(3)}  # renamed by the engine, same order
    assert match_outputs(got, ref) == [("x", "a"), ("y", "b")]
    outs = compare_all(got, ref, 1e-4)
    rep = ParityReport(outs, 1e-4, {"data": "random"}, runtime="openvino")
    assert rep.ok and rep.status == "ok" and "PASSED" in rep.format()
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["outputs"][0]["name"] == "a" and d["status"] == "ok" and "top1_agreement" in d["outputs"][0]
    assert rep.summary() == {"ok": True, "outputs": [{"name": "a", "max_abs": 0.0, "max_rel": 0.0, "ok": True},
                                                     {"name": "b", "max_abs": 0.0, "max_rel": 0.0, "ok": True}]}
    missing = compare_all({"a": np.ones(3)}, {"a": np.ones(3), "c": np.ones(2), "d": np.ones(1)}, 1e-4)
    assert [o.ok for o in missing] == [True, False, False] and "missing" in missing[1].note
    failed = ParityReport([], 1e-4, error="engine crashed")
    assert failed.status == "failed" and not failed.ok
    assert ParityReport([], 1e-4, unavailable=True).status == "unavailable"


def test_tolerance_by_precision():
    assert tolerance("fp32", 1e-6) == 1e-6 and tolerance("fp16", 1e-6) == 1e-2 and tolerance("int8", None) == 1e-1
