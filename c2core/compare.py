"""Run the same inputs on several backends and measure each against a reference.

The reference is the executor ("c2") by default: it implements Caffe2's
semantics directly, so every converted engine is judged against it. Each backend's
outputs are judged by `c2core.parity` (the same function and report type as
`c2core convert`'s verification and the deploy gates), against a tolerance
chosen by the backend's precision. The tolerances are part of the report, never hidden.

Backends that cannot run here are listed with the reason, not counted as
failures; a backend that fails while preparing or running is a failure with
its error message.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from .backends import ModelSource, create, parse_spec
from .backends.base import BackendUnavailable
from .errors import C2Error
from .parity import DEFAULT_RTOL, ParityReport, compare_all
from .tasks import check_cancel, no_progress



@dataclass
class CompareReport:
    """Several candidates against one reference: one `parity.ParityReport` per backend."""

    reference: str
    inputs: dict  # name -> shape
    results: list = field(default_factory=list)  # parity.ParityReport, runtime = backend label
    tolerances: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No backend failed or mismatched (one that cannot run here is not counted)."""
        return not self.failures

    @property
    def failures(self) -> list:
        return [r for r in self.results if r.status not in ("ok", "unavailable")]

    def to_dict(self) -> dict:
        def result(r):
            return {"backend": r.runtime, "precision": r.precision, "status": r.status, "tolerance": r.rtol,
                    "error": r.error, "seconds": round(sum(r.seconds.values()), 3) if r.seconds else 0.0,
                    "outputs": [dict(o.to_dict(), output=o.name, rel=o.max_rel) for o in r.outputs]}

        return {"reference": self.reference, "inputs": {k: list(v) for k, v in self.inputs.items()},
                "tolerances": self.tolerances, "error_definition": "rel = max|got - ref| / max(max|ref|, 1e-30)",
                "ok": self.ok, "results": [result(r) for r in self.results]}

    def format(self) -> str:
        shapes = ", ".join(f"{k} {list(v)}" for k, v in self.inputs.items())
        tol = ", ".join(f"{k} {v:g}" for k, v in self.tolerances.items())
        lines = [f"reference: {self.reference}; inputs: {shapes}",
                 f"tolerance (rel = max|got-ref| / max|ref|): {tol}",
                 f"{'backend':<18} {'output':<20} {'max abs':>10} {'rel':>10} {'tol':>8}  result"]
        for r in self.results:
            if r.status in ("unavailable", "failed"):
                lines.append(f"{r.runtime:<18} {'-':<20} {'':>10} {'':>10} {'':>8}  {r.status.upper()}: {r.error}")
                continue
            for d in r.outputs:
                verdict = "ok" if d.ok else "MISMATCH"
                if getattr(d, "kind", None) == "quantized" and d.agreement is not None:
                    verdict += f" (Int8: {d.agreement.describe()})"  # judged in quantization steps, not by tol
                lines.append(f"{r.runtime:<18} {d.name[:20]:<20} {d.max_abs:>10.3g} {d.max_rel:>10.3g} "
                             f"{d.tolerance:>8.3g}  {verdict}")
        n_bad = len(self.failures)
        lines.append("all within tolerance" if n_bad == 0 else f"{n_bad} backend(s) failed or outside tolerance")
        return "\n".join(lines)


def _int8_verdicts(outputs, got, ref, used, source, rtol):
    """Int8 outputs of a Caffe2 net run from its qdq/float ONNX export: judged in quantization
    steps (onnx.verify.judge_quantized), as `convert` judges them."""
    onnx_path = getattr(source, "exported_onnx", None)
    if onnx_path is None or getattr(source, "kind", None) != "caffe2" or not os.path.isfile(onnx_path):
        return outputs
    if used is not source and getattr(used, "kind", None) == "onnx":
        return outputs  # a separate ONNX file: its own metadata is not this export's
    from .onnx.verify import judge_quantized, quantized_outputs_of

    q = quantized_outputs_of(onnx_path)
    return judge_quantized(outputs, got, ref, q, rtol) if q else outputs


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
        res = ParityReport(rtol=tol[precision], inputs=report.inputs, reference=reference, runtime=label,
                           precision=precision)
        report.results.append(res)
        t0 = time.perf_counter()
        try:
            with create(spec, **(backend_options or {})) as be:
                av = be.availability()
                if not av.ok:
                    res.unavailable, res.error = True, av.reason
                    continue
                be.prepare((sources or {}).get(spec, source))
                got = be.run(inputs)
        except C2Error as e:
            res.error = str(e)
            continue
        except Exception as e:  # an engine's own exception: report it, keep comparing the others
            res.error = f"{type(e).__name__}: {e}"
            continue
        res.seconds = {label: round(time.perf_counter() - t0, 3)}
        res.outputs = [o for o in compare_all(got, ref, tol[precision]) if "missing" not in o.note]
        res.outputs = _int8_verdicts(res.outputs, got, ref, (sources or {}).get(spec, source), source, tol[precision])
        if not res.outputs:
            res.error = f"no output in common with the reference ({', '.join(got)} vs {', '.join(ref)})"
    progress(1.0, "compared")
    return report
