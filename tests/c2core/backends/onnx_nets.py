"""Small ONNX models built with onnx.helper, each with an independent NumPy reference.

Used by the backend, classify, compare and benchmark tests: they let ONNX
Runtime, OpenVINO and the FP16 conversion be checked against formulas written
here, not against each other. Imported as `tests.c2core.backends.onnx_nets`
(tests/conftest.py puts the project root on sys.path).
"""

from __future__ import annotations

import numpy as np


def conv_net(path, batch=1, channels=3, size=8, classes=5, seed=0, softmax=False, dynamic_batch=False):
    """Conv3x3(pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm [-> Softmax].

    Returns (path, weights dict) ; `conv_net_reference(x, weights, softmax)` is the NumPy formula.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    W = (rng.standard_normal((4, channels, 3, 3)) * 0.5).astype(np.float32)
    B = rng.standard_normal(4).astype(np.float32)
    FW = rng.standard_normal((classes, 4)).astype(np.float32)
    FB = rng.standard_normal(classes).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["data", "W", "B"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "FW", "FB"], ["logits" if softmax else "out"], transB=1),
    ]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["out"], axis=1))
    n = "N" if dynamic_batch else batch
    g = helper.make_graph(
        nodes, "conv_net",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [n, channels, size, size])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [n, classes])],
        initializer=[numpy_helper.from_array(a, k) for k, a in dict(W=W, B=B, FW=FW, FB=FB).items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return str(path), dict(W=W, B=B, FW=FW, FB=FB)


def conv_net_reference(x, w, softmax=False):
    """NumPy formula of `conv_net` (cross-correlation, zero padding 1, stride 1)."""
    x = x.astype(np.float64)
    N, C, H, Wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((N, w["W"].shape[0], H, Wd))
    for i in range(3):
        for j in range(3):
            conv += np.einsum("nchw,oc->nohw", xp[:, :, i:i + H, j:j + Wd], w["W"][:, :, i, j])
    conv += w["B"][None, :, None, None]
    pooled = np.maximum(conv, 0).mean(axis=(2, 3))
    logits = pooled @ w["FW"].T + w["FB"]
    if softmax:
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return logits
