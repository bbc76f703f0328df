"""HardSigmoid against NumPy: y = max(0, min(1, alpha·x + beta)) in float32
(exact up to 1 ulp of the affine step: atol 1e-6)."""

import numpy as np
import pytest

from tests.c2core.ops._run_op import run1

X = (np.random.default_rng(12).standard_normal((2, 3, 4, 5)) * 4).astype(np.float32)


def reference(x, alpha, beta):
    return np.clip(np.float32(alpha) * x + np.float32(beta), 0, 1)


@pytest.mark.parametrize("args,alpha,beta", [({}, 0.2, 0.5), ({"alpha": 1 / 6, "beta": 0.5}, 1 / 6, 0.5),
                                             ({"alpha": 0.3, "beta": 0.4}, 0.3, 0.4)])
def test_hard_sigmoid_matches_formula(args, alpha, beta):
    y = run1("HardSigmoid", [X], **args)
    ref = reference(X, alpha, beta)
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-6)
    assert y.min() == 0 and y.max() == 1 and 0 < ((y > 0) & (y < 1)).mean() < 1  # both clamps and the ramp hit


def test_hard_sigmoid_in_place_after_an_owned_buffer():
    """Scale makes a fresh buffer, so HardSigmoid(y) -> y takes the in-place path."""
    from c2core.builder import NetBuilder
    from c2core.model import Model
    from c2core.proto import caffe2_pb2
    from c2core.runtime import Predictor

    b = NetBuilder("hs")
    b.inputs("x")
    b.op("Scale", "x", "y", scale=2.0)
    b.op("HardSigmoid", "y", "y", alpha=0.25)
    b.outputs("y")
    x = X.copy()
    y = Predictor(Model(predict_net=b.net, init_net=caffe2_pb2.NetDef())).run({"x": x})["y"]
    np.testing.assert_allclose(y, reference(X * 2, 0.25, 0.5), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(x, X)  # the caller's array was not written


def test_hard_sigmoid_schema_shapes_and_onnx_export():
    """The other layers know the op too: schema category and defaults, shape
    rule (same shape and dtype), ONNX export with alpha/beta (run in ONNX
    Runtime against the formula and against the executor)."""
    import onnxruntime as ort

    from c2core.builder import NetBuilder
    from c2core.model import Model
    from c2core.onnx import export_onnx, verify_onnx
    from c2core.proto import caffe2_pb2
    from c2core.schema import arg_default, category
    from c2core.shapes import infer_shapes

    assert category("HardSigmoid") == "Activation"
    assert arg_default("HardSigmoid", "alpha") == pytest.approx(0.2) and arg_default("HardSigmoid", "beta") == 0.5
    b = NetBuilder("hs")
    b.inputs("x")
    b.op("HardSigmoid", "x", "y", alpha=0.3, beta=0.4)
    b.outputs("y")
    m = Model(predict_net=b.net, init_net=caffe2_pb2.NetDef())
    m.value_info = {"x": (1, list(X.shape))}
    info = infer_shapes(m)["y"]
    assert tuple(info.shape) == X.shape and info.dtype == "float32"
    proto = export_onnx(m, opset=13)
    node = next(n for n in proto.graph.node if n.op_type == "HardSigmoid")
    attrs = {a.name: a.f for a in node.attribute}
    assert attrs == {"alpha": pytest.approx(0.3), "beta": pytest.approx(0.4)}
    got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": X})[0]
    np.testing.assert_allclose(got, reference(X, 0.3, 0.4), rtol=0, atol=1e-6)
    report = verify_onnx(m, proto, inputs={"x": X})
    assert report.ok, report.format()
