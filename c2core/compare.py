"""Run the same inputs on several backends and measure each against a reference.

The reference is the executor ("c2") by default: it implements Caffe2's
semantics directly, so every converted engine is judged against it. Per output
the report gives the max absolute error and the relative error
max|got - ref| / max|ref| (the same definition as `c2core convert`'s
verification), and a pass/fail against a tolerance chosen by the backend's
precision. The tolerances are part of the report, never hidden.

Backends that cannot run here are listed with the reason, not counted as
failures; a backend that fails while preparing or running is a failure with
its error message.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .backends import ModelSource, create, parse_spec
from .backends.base import BackendUnavailable
from .errors import C2Error
from .tasks import check_cancel, no_progress

# relative error tolerances by precision (max|got-ref| / max|ref|)
DEFAULT_RTOL = {"fp32": 1e-4, "fp16": 1e-2, "int8": 1e-1}


@dataclass
class OutputDiff:
    output: str
    shape: list
    max_abs: float
    rel: float
    tolerance: float
    ok: bool


@dataclass
class BackendResult:
    backend: str
    precision: str
    status: str  # "ok" | "mismatch" | "failed" | "unavailable"
    tolerance: float
    outputs: list = field(default_factory=list)  # OutputDiff
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unavailable")


@dataclass
class CompareReport:
    reference: str
    inputs: dict  # name -> shape
    results: list = field(default_factory=list)  # BackendResult
    tolerances: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> list:
        return [r for r in self.results if not r.ok]

    def to_dict(self) -> dict:
        return {"reference": self.reference, "inputs": {k: list(v) for k, v in self.inputs.items()},
                "tolerances": self.tolerances, "error_definition": "rel = max|got - ref| / max|ref|",
                "ok": self.ok, "results": [asdict(r) for r in self.results]}

    def format(self) -> str:
        shapes = ", ".join(f"{k} {list(v)}" for k, v in self.inputs.items())
        tol = ", ".join(f"{k} {v:g}" for k, v in self.tolerances.items())
        lines = [f"reference: {self.reference}; inputs: {shapes}",
                 f"tolerance (rel = max|got-ref| / max|ref|): {tol}",
                 f"{'backend':<18} {'output':<20} {'max abs':>10} {'rel':>10} {'tol':>8}  result"]
        for r in self.results:
            if r.status in ("unavailable", "failed"):
                lines.append(f"{r.backend:<18} {'-':<20} {'':>10} {'':>10} {'':>8}  {r.status.upper()}: {r.error}")
                continue
            for d in r.outputs:
                lines.append(f"{r.backend:<18} {d.output[:20]:<20} {d.max_abs:>10.3g} {d.rel:>10.3g} "
                             f"{d.tolerance:>8.3g}  {'ok' if d.ok else 'MISMATCH'}")
        n_bad = len(self.failures)
        lines.append("all within tolerance" if n_bad == 0 else f"{n_bad} backend(s) failed or outside tolerance")
        return "\n".join(lines)


def diff(name: str, got: np.ndarray, ref: np.ndarray, tolerance: float) -> OutputDiff:
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        if got.size == ref.size:
            got = got.reshape(ref.shape)  # e.g. (N, C) vs (N, C, 1, 1)
        else:
            return OutputDiff(name, list(got.shape), float("inf"), float("inf"), tolerance, False)
    if ref.size == 0:
        return OutputDiff(name, list(ref.shape), 0.0, 0.0, tolerance, True)
    max_abs = float(np.max(np.abs(got - ref)))
    scale = float(np.max(np.abs(ref)))
    rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    ok = bool(np.isfinite(got).all() == np.isfinite(ref).all() and rel <= tolerance)
    return OutputDiff(name, list(ref.shape), max_abs, rel, tolerance, ok)


def _match_outputs(got: dict, ref: dict) -> list[tuple[str, str]]:
    """(got name, ref name) pairs: by name, else by position when the counts agree."""
    if all(k in got for k in ref):
        return [(k, k) for k in ref]
    if len(got) == len(ref):
        return list(zip(got, ref))
    common = [k for k in ref if k in got]
    return [(k, k) for k in common]


def compare_backends(source: ModelSource, specs: list[str], reference: str = "c2", inputs: dict | None = None,
                     seed: int = 0, tolerances: dict | None = None, backend_options: dict | None = None,
                     sources: dict | None = None, progress=None, cancel=None) -> CompareReport:
    """Run `inputs` (default: seeded N(0,1)) on reference and each spec; measure the differences.

    sources: spec -> ModelSource to prepare that backend from instead of `source`
    (a built artifact such as an OpenVINO IR or TensorRT plan of the same model).
    """
    progress = progress or no_progress
    tol = dict(DEFAULT_RTOL)
    tol.update(tolerances or {})
    inputs = inputs if inputs is not None else source.example_inputs(seed)
    report = CompareReport(reference=reference, inputs={k: tuple(v.shape) for k, v in inputs.items()},
                           tolerances={p: tol[p] for p in sorted({parse_spec(s)[1] for s in specs} | {"fp32"})})
    n = len(specs) + 1
    progress(0.0, f"running reference {reference}")
    check_cancel(cancel)
    try:
        with create(reference, **(backend_options or {})) as be:
            be.prepare(source)
            ref = be.run(inputs)
    except BackendUnavailable as e:
        raise C2Error(f"reference backend unavailable: {e.reason}") from None
    for i, spec in enumerate(specs, 1):
        check_cancel(cancel)
        name, precision = parse_spec(spec)
        label = name if precision == "fp32" else f"{name}:{precision}"
        progress(i / n, f"running {label}")
        res = BackendResult(backend=label, precision=precision, status="ok", tolerance=tol[precision])
        t0 = time.perf_counter()
        try:
            with create(spec, **(backend_options or {})) as be:
                av = be.availability()
                if not av.ok:
                    res.status, res.error = "unavailable", av.reason
                    report.results.append(res)
                    continue
                be.prepare((sources or {}).get(spec, source))
                got = be.run(inputs)
        except C2Error as e:
            res.status, res.error = "failed", str(e)
            report.results.append(res)
            continue
        except Exception as e:  # an engine's own exception: report it, keep comparing the others
            res.status, res.error = "failed", f"{type(e).__name__}: {e}"
            report.results.append(res)
            continue
        res.seconds = round(time.perf_counter() - t0, 3)
        for g, r in _match_outputs(got, ref):
            res.outputs.append(diff(r, got[g], ref[r], tol[precision]))
        if not res.outputs:
            res.status, res.error = "failed", f"no output in common with the reference ({', '.join(got)} vs {', '.join(ref)})"
        elif not all(d.ok for d in res.outputs):
            res.status = "mismatch"
        report.results.append(res)
    progress(1.0, "compared")
    return report
