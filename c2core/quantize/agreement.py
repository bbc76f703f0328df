"""How far an approximate (quantized) model is from its reference, in the units that matter.

Pure NumPy, no runtime imports: used by the Int8 ONNX verification (QDQ and
float forms of Caffe2's Int8 nets) and by the post-training quantization
report (FP32 vs INT8).

Definitions (the tests recompute them independently):
- steps: |got - ref| / scale, the difference in quantization steps of the
  output (scale = the output's quantization step; 1 for raw uint8 values).
  Reported as the maximum and the 99th percentile (NumPy's default linear
  interpolation) over every element of every verification input.
- top-1 agreement: fraction of inputs (rows) whose first class is the same.
  Ties count: quantized outputs often tie (softmax in steps of 1/256), so a
  row agrees when the candidate's argmax is among the reference's maxima or
  the reference's argmax is among the candidate's maxima.
- top-5 agreement: fraction of rows whose reference top-1 class is among the
  candidate's five highest (every class whose value is >= the candidate's
  fifth highest value, so ties at the boundary count).
A classifier output is one whose shape is (rows, classes) once trailing 1s
are dropped, with at least 2 classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_MAX_STEPS = 4.0
CRITERION = ("every classifier output picks the same top-1 class on every verification input, and every "
             "quantized output's 99th-percentile difference is <= {max_steps:g} quantization steps")


def step_diff(got, ref, scale: float = 1.0) -> np.ndarray:
    """Element-wise difference in quantization steps (float64)."""
    return np.abs(np.asarray(got, np.float64) - np.asarray(ref, np.float64)) / float(scale)


def step_stats(diff: np.ndarray) -> tuple[float, float]:
    """(max, 99th percentile) of a steps array; (0, 0) when empty."""
    d = np.asarray(diff, np.float64).ravel()
    if d.size == 0:
        return 0.0, 0.0
    return float(d.max()), float(np.percentile(d, 99))


def classifier_rows(a: np.ndarray) -> np.ndarray | None:
    """(rows, classes) view of a classifier output, or None when it is not one."""
    a = np.asarray(a)
    shape = list(a.shape)
    while len(shape) > 2 and shape[-1] == 1:
        shape.pop()
    if len(shape) != 2 or shape[1] < 2:
        return None
    return a.reshape(shape).astype(np.float64)


def _maxima(row: np.ndarray) -> set:
    return set(np.flatnonzero(row == row.max()).tolist())


def topk_agreement(got, ref) -> tuple[float, float, int]:
    """(top-1 agreement, top-5 agreement, rows) of two classifier outputs."""
    g, r = classifier_rows(got), classifier_rows(ref)
    if g is None or r is None or g.shape != r.shape:
        raise ValueError(f"not comparable classifier outputs: {np.shape(got)} and {np.shape(ref)}")
    top1 = top5 = 0
    k = min(5, g.shape[1])
    for gr, rr in zip(g, r):
        ga, ra = int(np.argmax(gr)), int(np.argmax(rr))
        if ga in _maxima(rr) or ra in _maxima(gr):
            top1 += 1
        kth = np.sort(gr)[::-1][k - 1]
        if gr[ra] >= kth:
            top5 += 1
    n = g.shape[0]
    return top1 / n, top5 / n, n


@dataclass
class Agreement:
    """One output's figures over all verification inputs."""

    steps_max: float
    steps_p99: float
    step: float  # size of one step in the output's units
    top1: float | None = None
    top5: float | None = None
    rows: int = 0

    def ok(self, max_steps: float = DEFAULT_MAX_STEPS) -> bool:
        if self.top1 is not None and self.top1 < 1.0:
            return False
        return self.steps_p99 <= max_steps

    def describe(self) -> str:
        s = f"steps max {self.steps_max:g}, p99 {self.steps_p99:g} (step {self.step:g})"
        if self.top1 is not None:
            s += f", top-1 {self.top1:.0%} / top-5 {self.top5:.0%} of {self.rows}"
        return s

    def to_dict(self) -> dict:
        return {"steps_max": self.steps_max, "steps_p99": self.steps_p99, "step": self.step,
                "top1": self.top1, "top5": self.top5, "rows": self.rows}


def agreement(gots, refs, scale: float = 1.0) -> Agreement:
    """Figures of one output over several runs (lists of arrays, same order)."""
    diffs = [step_diff(g, r, scale).ravel() for g, r in zip(gots, refs)]
    mx, p99 = step_stats(np.concatenate(diffs) if diffs else np.zeros(0))
    out = Agreement(mx, p99, float(scale))
    if gots and all(classifier_rows(g) is not None for g in gots):
        g = np.concatenate([classifier_rows(x) for x in gots])
        r = np.concatenate([classifier_rows(x) for x in refs])
        out.top1, out.top5, out.rows = topk_agreement(g, r)
    return out
