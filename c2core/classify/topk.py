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
# Ops that carry probabilities through unchanged in value (or only dequantised):
# the producer behind them decides.
PASS_THROUGH = {"Int8Dequantize", "Dequantize", "Reshape", "Int8Reshape", "Flatten", "FlattenToVec", "Squeeze",
                "ExpandDims", "Copy", "Alias", "EnsureCPUOutput", "CopyGPUToCPU", "CopyCPUToGPU", "StopGradient",
                "Dropout", "Identity", "Int8Flatten", "Transpose", "Int8Transpose", "NCHW2NHWC", "NHWC2NCHW",
                "DequantizeLinear", "QuantizeLinear", "Cast"}


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def ends_in_softmax(source, output: str) -> bool | None:
    """True/False when the op producing `output` is known, else None. Ops that only
    move, reshape, copy or dequantise values are looked through (QNNPACK models end
    `Int8Softmax -> Int8Dequantize`)."""
    if getattr(source, "model", None) is not None:
        return _caffe2_softmax(source.model.predict_net, output)
    if getattr(source, "kind", None) == "onnx":
        import onnx

        g = onnx.load(source.onnx_path(), load_external_data=False).graph
        producers = {o: (n.op_type, list(n.input)) for n in g.node for o in n.output}
        return _walk(producers, output, "Softmax")
    return None


def _caffe2_softmax(net, output: str) -> bool | None:
    producers = {}
    for op in net.op:  # in-place names: the last writer wins
        for o in op.output[:1]:
            producers[o] = (op.type, list(op.input))
    return _walk(producers, output, SOFTMAX_OPS)


def _walk(producers: dict, name: str, softmax) -> bool | None:
    seen = set()
    found = False
    while name in producers and name not in seen:
        seen.add(name)
        op_type, inputs = producers[name]
        found = True
        if op_type in softmax if isinstance(softmax, set) else op_type == softmax:
            return True
        if op_type not in PASS_THROUGH or not inputs:
            return False
        name = inputs[0]
    return False if found else None


def looks_like_probabilities(x: np.ndarray, tol: float = 1e-3) -> bool:
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1) if np.ndim(x) > 1 else np.asarray(x, np.float64)[None]
    return bool(x.shape[-1] > 1 and (x >= -1e-6).all() and np.allclose(x.sum(axis=1), 1.0, rtol=0, atol=tol))


def class_scores(scores: np.ndarray, name: str = "output") -> np.ndarray:
    """(N, classes) from an (N, classes) or (N, classes, 1, 1) output; anything
    else (a detector's N x 2 x H x W probability map) is not one score per class."""
    from ..errors import C2Error

    s = np.asarray(scores, dtype=np.float32)
    if s.ndim == 1:
        return s[None]
    extra = s.shape[2:]
    if s.ndim < 2 or any(d != 1 for d in extra):
        raise C2Error(f"output '{name}' has shape {list(s.shape)}: a map of scores per position (e.g. a face "
                      "detector's probability map), not one score per class; this model is not an image classifier")
    return s.reshape(s.shape[0], -1)


def to_probabilities(scores: np.ndarray, is_softmax: bool | None, name: str = "output") -> np.ndarray:
    """(N, classes) probabilities, softmax applied once: not when the structure says the
    model ends in softmax, nor when the numbers already are probabilities (rows of
    non-negative values summing to 1 within 1%, which quantised softmax outputs are)."""
    s = class_scores(scores, name)
    if is_softmax or looks_like_probabilities(s, tol=1e-2):
        return s
    return softmax(s, axis=1)


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
