"""Scores and top-K: softmax once, never twice.

A model that already ends in Softmax outputs probabilities; applying softmax
again would flatten them towards uniform. `ends_in_softmax` looks at the op
that produces the output (Caffe2 net or ONNX graph); when the structure is
unknown, `looks_like_probabilities` checks the numbers (non-negative rows that
sum to 1).
"""

from __future__ import annotations

import numpy as np

SOFTMAX_OPS = {"Softmax", "SoftmaxWithLoss", "Int8Softmax"}


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def ends_in_softmax(source, output: str) -> bool | None:
    """True/False when the op producing `output` is known, else None."""
    if getattr(source, "model", None) is not None:
        producer = None
        for op in source.model.predict_net.op:
            if output in op.output:
                producer = op.type
        return None if producer is None else producer in SOFTMAX_OPS
    if getattr(source, "kind", None) == "onnx":
        import onnx

        g = onnx.load(source.onnx_path(), load_external_data=False).graph
        for n in g.node:
            if output in n.output:
                return n.op_type == "Softmax"
    return None


def looks_like_probabilities(x: np.ndarray, tol: float = 1e-3) -> bool:
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1) if np.ndim(x) > 1 else np.asarray(x, np.float64)[None]
    return bool((x >= -tol).all() and np.allclose(x.sum(axis=1), 1.0, atol=tol))


def to_probabilities(scores: np.ndarray, is_softmax: bool | None) -> np.ndarray:
    """(N, classes) probabilities from an (N, classes[, 1, 1]) output."""
    s = np.asarray(scores, dtype=np.float32)
    s = s.reshape(s.shape[0], -1) if s.ndim > 1 else s[None]
    if is_softmax is None:
        is_softmax = looks_like_probabilities(s)
    return s if is_softmax else softmax(s, axis=1)


def top_k(probs: np.ndarray, k: int = 5, labels: list[str] | None = None) -> list[dict]:
    """[{"index", "label", "score"}] for one row, highest first (ties: lower index first)."""
    p = np.asarray(probs).ravel()
    k = max(1, min(int(k), p.size))
    order = np.lexsort((np.arange(p.size), -p.astype(np.float64)))[:k]
    out = []
    for i in order:
        label = labels[i] if labels is not None and i < len(labels) else str(int(i))
        out.append({"index": int(i), "label": label, "score": float(p[i])})
    return out
