"""The one parity check: how far a converted model's outputs are from the reference's.

Used by `convert` verification (ONNX Runtime vs the executor), the deploy gates
(OpenVINO IR, TensorRT plan vs the executor), `compare` (several backends) and
the app. One function, `compare_output`, judges one output; `ParityReport`
holds one candidate's outputs against one reference.

Per output:
- shapes must be equal; shapes equal once size-1 dimensions are dropped
  ((N, C) vs (N, C, 1, 1)) are compared in the reference's shape, with a note;
  anything else fails.
- max_abs = max|got - ref| over all elements; NaN must sit where the reference
  has NaN (NaN == NaN there), an infinity must match the reference's exactly.
- max_rel = max_abs / max(max|ref|, TINY), TINY = 1e-30 (the reference's largest
  finite magnitude scales the whole output, so logits and probabilities are judged
  alike and exact zeros neither blow up element ratios nor give an infinity).
- float outputs pass when max_rel <= rtol; integer and boolean outputs must match
  exactly up to `int_atol` (a quantized uint8 output of a QDQ export may differ by
  one quantization step: QuantizeLinear rounds a float where QNNPACK requantizes in
  fixed point).
- quantized outputs (given `quant={"scale", "zero_point", ...}`) also report
  `max_steps`, the largest difference in quantization steps.
- classifier-like outputs (float, (N, C) once size-1 dims are dropped, C >= 2)
  report top-1 agreement and top-k overlap (k = min(5, C)); informative, they never
  decide pass/fail here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TINY = 1e-30
RELATIVE_ERROR_DEFINITION = "max_rel = max|got - ref| / max(max|ref|, 1e-30)"
TOP_K = 5
# relative error tolerances by precision
DEFAULT_RTOL = {"fp32": 1e-4, "fp16": 1e-2, "int8": 1e-1}


def tolerance(precision: str, rtol: float | None) -> float:
    """fp32: the user's rtol. fp16/int8: never below that precision's default (inexact by design)."""
    tol = DEFAULT_RTOL[precision]
    if rtol is None:
        return tol
    return rtol if precision == "fp32" else max(tol, rtol)


@dataclass
class OutputParity:
    """One output of the candidate against the reference's."""

    name: str
    shape: tuple
    ref_shape: tuple
    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""
    kind: str = "float"  # float | integer | quantized
    tolerance: float = 0.0  # rtol for float outputs, allowed difference for integer ones
    max_steps: float | None = None  # quantized outputs: largest difference in quantization steps
    top1_agreement: float | None = None  # classifier-like outputs: fraction of rows with the same argmax
    topk_overlap: float | None = None  # ... mean |topk(got) & topk(ref)| / k
    top_k: int | None = None
    agreement: object = None  # quantize.agreement.Agreement of an approximate Int8 output (steps p99, tie-aware top-k)

    def to_dict(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "ref_shape": list(self.ref_shape),
                "max_abs": self.max_abs, "max_rel": self.max_rel, "ok": self.ok, "note": self.note,
                "kind": self.kind, "tolerance": self.tolerance, "max_steps": self.max_steps,
                "top1_agreement": self.top1_agreement, "topk_overlap": self.topk_overlap, "top_k": self.top_k,
                "agreement": None if self.agreement is None else self.agreement.to_dict()}


def _squeezed(shape) -> tuple:
    return tuple(d for d in shape if d != 1)


def _topk(got: np.ndarray, ref: np.ndarray) -> tuple[float, float, int] | None:
    shape = _squeezed(ref.shape)
    if len(shape) == 1:
        shape = (1,) + shape
    if len(shape) != 2 or shape[1] < 2 or not (np.isfinite(got).all() and np.isfinite(ref).all()):
        return None
    g, r = got.reshape(shape), ref.reshape(shape)
    k = min(TOP_K, shape[1])
    top1 = float(np.mean(np.argmax(g, axis=1) == np.argmax(r, axis=1)))
    tg, tr = np.argsort(-g, axis=1, kind="stable")[:, :k], np.argsort(-r, axis=1, kind="stable")[:, :k]
    overlap = float(np.mean([len(set(a) & set(b)) / k for a, b in zip(tg.tolist(), tr.tolist())]))
    return top1, overlap, k


def compare_output(name: str, got, ref, rtol: float = 1e-4, *, int_atol: float = 0,
                   quant: dict | None = None) -> OutputParity:
    """Judge one output (see the module docstring for every rule).

    quant: the output is quantized: {"scale": s, "zero_point": z, "form": "qdq"|"float"}.
    A uint8 reference against a float candidate (a fully dequantized export) is
    compared as real values (ref - z) * s.
    """
    got, ref = np.asarray(got), np.asarray(ref)
    note = ""
    if got.shape != ref.shape:
        if _squeezed(got.shape) != _squeezed(ref.shape):
            return OutputParity(name, got.shape, ref.shape, float("inf"), float("inf"), False,
                                f"shape {list(got.shape)} vs reference {list(ref.shape)}",
                                tolerance=rtol)
        note = f"shape {list(got.shape)} vs reference {list(ref.shape)} (size-1 dims)"
        shape = got.shape
        got = got.reshape(ref.shape)
    else:
        shape = got.shape
    scale = zero_point = None
    if quant is not None:
        scale, zero_point = float(quant.get("scale", 0.0)), float(quant.get("zero_point", 0.0))
        if ref.dtype == np.uint8 and got.dtype.kind == "f":
            ref = ((ref.astype(np.float64) - zero_point) * scale).astype(np.float32)
    integer = ref.dtype.kind in "iub" and got.dtype.kind in "iub"
    kind = "quantized" if quant is not None else ("integer" if integer else "float")
    atol = int_atol
    if integer and quant is not None and quant.get("form") == "qdq" and ref.dtype == np.uint8:
        atol = max(int_atol, 1)
    tolerance = atol if integer else rtol
    if ref.size == 0:
        return OutputParity(name, shape, ref.shape, 0.0, 0.0, True, note, kind, tolerance)
    a, b = got.astype(np.float64), ref.astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    stray_nan = int(np.count_nonzero(nan_a != nan_b))
    a, b = np.where(nan_a | nan_b, 0.0, a), np.where(nan_a | nan_b, 0.0, b)
    same_inf = np.isinf(a) & (a == b)
    with np.errstate(invalid="ignore"):  # inf - inf where both agree: masked just here
        diff = np.where(same_inf, 0.0, np.abs(a - b))
    max_abs = float(diff.max())
    finite_ref = np.abs(np.where(np.isinf(b), 0.0, b))
    max_rel = max_abs / max(float(finite_ref.max()), TINY)
    if integer:
        ok = max_abs <= atol
        why = "" if ok else f"integer output differs by {max_abs:g} > {atol:g}"
    else:
        ok = max_rel <= rtol
        why = "" if ok else f"max_rel {max_rel:.3e} > rtol {rtol:g}"
    if stray_nan:
        ok = False
        why = f"NaN where the reference has none ({stray_nan} value(s))" if nan_a.sum() >= nan_b.sum() else \
            f"a number where the reference has NaN ({stray_nan} value(s))"
    steps = None
    if scale is not None and scale > 0:
        steps = max_abs if integer else max_abs / scale
    elif quant is not None:
        note = (note + "; " if note else "") + "zero quantization scale: no step count"
    res = OutputParity(name, shape, ref.shape, max_abs, max_rel, ok, "; ".join(x for x in (why, note) if x), kind,
                       tolerance, steps)
    if not integer:
        tk = _topk(a, b)
        if tk is not None:
            res.top1_agreement, res.topk_overlap, res.top_k = tk
    return res


def match_outputs(got: dict, ref: dict) -> list[tuple[str, str]]:
    """(candidate name, reference name) pairs: by name, else by position when the counts agree
    (an engine may rename outputs, the order stays)."""
    if all(k in got for k in ref):
        return [(k, k) for k in ref]
    if len(got) == len(ref):
        return list(zip(got, ref))
    return [(k, k) for k in ref if k in got]


@dataclass
class ParityReport:
    """One candidate (an engine running a converted model) against one reference, output by output."""

    outputs: list = field(default_factory=list)  # OutputParity
    rtol: float = 1e-4
    inputs: dict = field(default_factory=dict)  # name -> description or shape
    reference: str = "c2core executor"
    runtime: str = ""  # the candidate: "onnxruntime 1.19", "openvino:fp16", ...
    precision: str = "fp32"
    definition: str = RELATIVE_ERROR_DEFINITION
    seconds: dict = field(default_factory=dict)
    error: str = ""  # the candidate failed to prepare or run
    unavailable: bool = False  # the candidate cannot run on this machine (not a failure of the model)
    int8_form: str | None = None  # a Caffe2 Int8 net exported as 'exact', 'qdq' or 'float'
    max_steps: float | None = None  # pass bound of the approximate Int8 forms
    samples: int = 1  # verification runs pooled into the figures

    @property
    def exact(self) -> bool | None:
        """True for a bit-exact Int8 export, False for an approximate one, None for float nets."""
        return None if self.int8_form is None else self.int8_form == "exact"

    def criterion(self) -> str:
        if self.int8_form == "exact":
            return ("Int8 form 'exact': every Int8 output (uint8 or dequantized) must be identical to the "
                    f"executor's (bit-exact); float ops after dequantization by rtol {self.rtol:g}")
        if self.int8_form is not None:
            from .quantize.agreement import CRITERION

            return (f"Int8 form '{self.int8_form}' is APPROXIMATE by design (float rounding instead of QNNPACK's "
                    f"fixed point): pass when {CRITERION.format(max_steps=self.max_steps)}; other outputs by rtol")
        return f"rtol {self.rtol:g} ({self.definition})"

    @property
    def status(self) -> str:
        if self.unavailable:
            return "unavailable"
        if self.error:
            return "failed"
        return "ok" if self.outputs and all(o.ok for o in self.outputs) else "mismatch"

    @property
    def ok(self) -> bool:
        """Every output within tolerance (an unavailable or failed candidate is not ok)."""
        return self.status == "ok"

    @property
    def failures(self) -> list:
        return [o for o in self.outputs if not o.ok]

    # kept for the compare table, which calls a candidate a backend
    @property
    def backend(self) -> str:
        return self.runtime

    def format(self) -> str:
        lines = [f"verification: {self.runtime} vs {self.reference}, {self.criterion()}"]
        for n, d in self.inputs.items():
            lines.append(f"  input  {n}: {d}" + (f" ({self.samples} runs)" if self.samples > 1 else ""))
        if self.error:
            lines.append(f"  {self.status.upper()}: {self.error}")
            return "\n".join(lines)
        w = max([len(o.name) for o in self.outputs] + [6])
        lines.append(f"  {'output':<{w}}  {'shape':<18} {'max_abs':>11} {'max_rel':>11}  result")
        for o in self.outputs:
            shape = "x".join(map(str, o.shape)) or "scalar"
            res = "ok" if o.ok else "FAIL" + (f" ({o.note})" if o.note else "")
            extra = ""
            if o.agreement is not None:
                pass  # described on its own line below
            elif o.max_steps is not None:
                extra += f", {o.max_steps:g} quantization step(s)"
            if o.top1_agreement is not None and o.top1_agreement < 1.0:
                extra += f", top-1 agrees on {o.top1_agreement:.0%} of rows"
            lines.append(f"  {o.name:<{w}}  {shape:<18} {o.max_abs:>11.3e} {o.max_rel:>11.3e}  {res}{extra}")
            if o.agreement is not None:
                lines.append(f"  {'':<{w}}  {o.agreement.describe()}")
        lines.append("  PASSED" if self.ok else f"  FAILED: {len(self.failures)} of {len(self.outputs)} output(s) above tolerance")
        return "\n".join(lines)

    def summary(self) -> dict:
        """The short form scripts read (`convert --json`'s "verify")."""
        outs = [{"name": o.name, "max_abs": float(o.max_abs), "max_rel": float(o.max_rel), "ok": bool(o.ok)}
                | ({"agreement": o.agreement.to_dict()} if o.agreement is not None else {}) for o in self.outputs]
        summary = {"ok": self.ok, "outputs": outs}
        if self.int8_form is not None:  # which Int8 form was verified, and whether it is exact or approximate
            summary["int8"] = {"form": self.int8_form, "exact": self.exact, "criterion": self.criterion()}
        return summary

    def to_dict(self) -> dict:
        return {"ok": self.ok, "status": self.status, "rtol": self.rtol, "definition": self.definition,
                "reference": self.reference, "runtime": self.runtime, "precision": self.precision,
                "inputs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.inputs.items()},
                "seconds": dict(self.seconds), "error": self.error,
                "outputs": [o.to_dict() for o in self.outputs],
                "int8": None if self.int8_form is None else {"form": self.int8_form, "exact": self.exact,
                                                             "criterion": self.criterion(), "max_steps": self.max_steps},
                "samples": self.samples}


def compare_all(got: dict, ref: dict, rtol: float, *, int_atol: float = 0, quant: dict | None = None) -> list:
    """Every reference output against the candidate's (matched by `match_outputs`);
    quant: reference output name -> its quantization (see `compare_output`)."""
    pairs = match_outputs(got, ref)
    out = [compare_output(r, got[g], ref[r], rtol, int_atol=int_atol, quant=(quant or {}).get(r)) for g, r in pairs]
    missing = [r for r in ref if r not in {p[1] for p in pairs}]
    for r in missing:
        out.append(OutputParity(r, (), tuple(np.shape(ref[r])), float("inf"), float("inf"), False,
                                "missing from the candidate's outputs", tolerance=rtol))
    return out
