"""Exported ONNX files carry no unused initializers and load in ONNX Runtime without a warning."""

import numpy as np

from c2core.builder import NetBuilder, model_from
from c2core.onnx.export import export_onnx


def _prelu_net():
    b = NetBuilder("p")
    b.op("Conv", ["data", "w", "b"], "c", kernel=1)
    b.op("PRelu", ["c", "slope"], "c")
    b.op("Conv", ["c", "w2", "b2"], "d", kernel=1)
    b.op("PRelu", ["d", "slope2"], "d")
    b.inputs("data", "w", "b", "slope", "w2", "b2", "slope2").outputs("d")
    rng = np.random.default_rng(0)
    w = {"w": rng.standard_normal((4, 3, 1, 1)).astype(np.float32), "b": np.zeros(4, np.float32),
         "slope": np.linspace(0.1, 0.4, 4).astype(np.float32), "w2": rng.standard_normal((4, 4, 1, 1)).astype(np.float32),
         "b2": np.zeros(4, np.float32), "slope2": np.linspace(0.2, 0.5, 4).astype(np.float32)}
    return model_from(b.net, w), w


def test_no_unused_initializers_and_no_ort_warnings(capfd):
    import onnxruntime as ort

    m, w = _prelu_net()
    proto = export_onnx(m, input_shapes={"data": (1, 3, 4, 4)})
    read = {i for n in proto.graph.node for i in n.input}
    assert [i.name for i in proto.graph.initializer if i.name not in read] == []
    capfd.readouterr()
    so = ort.SessionOptions()
    so.log_severity_level = 2  # ORT: 0 verbose, 1 info, 2 warning: show warnings and errors
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((1, 3, 4, 4)).astype(np.float32)
    got = sess.run(None, {"data": x})[0]
    err = capfd.readouterr().err
    assert "W:onnxruntime" not in err and "E:onnxruntime" not in err, err
    # independent reference: 1x1 convs and per-channel PRelu in NumPy
    c = np.einsum("nchw,oc->nohw", x, w["w"][:, :, 0, 0])
    c = np.where(c > 0, c, c * w["slope"][None, :, None, None])
    d = np.einsum("nchw,oc->nohw", c, w["w2"][:, :, 0, 0])
    d = np.where(d > 0, d, d * w["slope2"][None, :, None, None])
    np.testing.assert_allclose(got, d, rtol=1e-5, atol=1e-6)
