"""Whole nets exported and verified against the c2core executor.

Builder-made nets cover the three styles met in practice (SqueezeNet from the
Caffe2 tutorials, a ResNet with BN and in-place ops, a Caffe-translated net
with Mul/Add scale layers, LRN and legacy pooling); corpus nets get generated
weights of their real shapes (tests/zoo_weights.py). Verification: ONNX
Runtime vs the executor on a seeded random input, relative error
max|a-b|/max|ref| <= 1e-4 per output (verify.py's definition).
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from c2core.builder import NetBuilder, model_from
from c2core.onnx import export_onnx, verify_onnx
from tests.zoo_weights import zoo_model

RTOL = 1e-4


def _w(rng, *shape, scale=None):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return (rng.standard_normal(shape) * (scale or np.sqrt(2.0 / fan_in))).astype(np.float32)


def _model(b, weights, data_shape):
    """The Model of builder `b`'s net with `weights`, its float input `data` of `data_shape`."""
    m = model_from(b.net, weights)
    m.value_info = {"data": (1, list(data_shape))}
    return m


def squeezenet_like(size=35):
    rng = np.random.default_rng(20)
    b = NetBuilder("squeezenet_like")
    b.inputs("data")
    W = {}

    def conv(x, y, cin, cout, k, **kw):
        W[y + "_w"], W[y + "_b"] = _w(rng, cout, cin, k, k), _w(rng, cout, scale=0.1)
        b.op("Conv", [x, y + "_w", y + "_b"], y, kernel=k, **kw)
        b.op("Relu", y, y)

    conv("data", "conv1", 3, 16, 3, stride=2)
    b.op("MaxPool", "conv1", "pool1", kernel=3, stride=2, legacy_pad=3)
    cin = 16
    for i in (2, 3):
        f = f"fire{i}"
        conv("pool1" if i == 2 else "fire2_concat", f + "_squeeze", cin, 8, 1)
        conv(f + "_squeeze", f + "_e1", 8, 16, 1)
        conv(f + "_squeeze", f + "_e3", 8, 16, 3, pad=1)
        b.op("Concat", [f + "_e1", f + "_e3"], [f + "_concat", f + "_split_info"], axis=1)
        cin = 32
    b.op("MaxPool", "fire3_concat", "pool3", kernel=3, stride=2, legacy_pad=3)
    b.op("Dropout", "pool3", ["drop", "drop_mask"], ratio=0.5, is_test=1)
    conv("drop", "conv10", 32, 10, 1)
    b.op("AveragePool", "conv10", "pool10", global_pooling=1)
    b.op("Softmax", "pool10", "softmaxout")
    b.outputs("softmaxout")
    return _model(b, W, [1, 3, size, size])


def resnet_like(size=16):
    rng = np.random.default_rng(21)
    b = NetBuilder("resnet_like")
    b.inputs("data")
    W = {}

    def conv_bn(x, y, cin, cout, k, relu=True, **kw):
        W[y + "_w"] = _w(rng, cout, cin, k, k)
        b.op("Conv", [x, y + "_w"], y, kernel=k, pad=k // 2, **kw)
        s, bb, rm, rv = y + "_bn_s", y + "_bn_b", y + "_bn_rm", y + "_bn_riv"
        W[s], W[bb] = rng.uniform(0.5, 1.5, cout).astype(np.float32), _w(rng, cout, scale=0.1)
        W[rm], W[rv] = _w(rng, cout, scale=0.1), rng.uniform(0.5, 1.5, cout).astype(np.float32)
        b.op("SpatialBN", [y, s, bb, rm, rv], y, is_test=1, epsilon=1e-5)  # in place
        if relu:
            b.op("Relu", y, y)

    conv_bn("data", "conv1", 3, 8, 3, stride=2)
    b.op("MaxPool", "conv1", "pool1", kernel=3, stride=2, pad=1)
    x, cin = "pool1", 8
    for i, (cout, stride) in enumerate([(8, 1), (16, 2)]):
        p = f"res{i}"
        conv_bn(x, p + "_a", cin, cout, 3, stride=stride)
        conv_bn(p + "_a", p + "_b", cout, cout, 3, relu=False)
        short = x
        if cin != cout or stride != 1:
            conv_bn(x, p + "_proj", cin, cout, 1, relu=False, stride=stride)
            short = p + "_proj"
        b.op("Sum", [p + "_b", short], p + "_b")
        b.op("Relu", p + "_b", p + "_sum")
        x, cin = p + "_sum", cout
    b.op("AveragePool", x, "pool5", kernel=2, stride=1)
    W["pred_w"], W["pred_b"] = _w(rng, 10, 16 * 1 * 1), _w(rng, 10, scale=0.1)
    b.op("FC", ["pool5", "pred_w", "pred_b"], "pred")
    b.op("Softmax", "pred", "softmax")
    b.outputs("softmax", "pred")
    return _model(b, W, [1, 3, size, size])


def caffe_translated(size=27):
    """As caffe_translator writes nets: BN as Mul/Add with broadcast=1, axis=1, LRN, ceil pooling."""
    rng = np.random.default_rng(22)
    b = NetBuilder("caffe_translated")
    b.inputs("data")
    W = {"conv1_w": _w(rng, 8, 3, 5, 5), "conv1_b": _w(rng, 8, scale=0.1),
         "scale1_w": rng.uniform(0.5, 1.5, 8).astype(np.float32), "scale1_b": _w(rng, 8, scale=0.1),
         "conv2_w": _w(rng, 12, 8, 3, 3), "conv2_b": _w(rng, 12, scale=0.1),
         "fc_w": _w(rng, 10, 12 * 4 * 4), "fc_b": _w(rng, 10, scale=0.1)}
    b.op("Conv", ["data", "conv1_w", "conv1_b"], "conv1", kernel=5, stride=2, pad_t=2, pad_l=2, pad_b=2, pad_r=2)
    b.op("Mul", ["conv1", "scale1_w"], "conv1", broadcast=1, axis=1)
    b.op("Add", ["conv1", "scale1_b"], "conv1", broadcast=1, axis=1)
    b.op("Relu", "conv1", "conv1")
    b.op("LRN", "conv1", ["norm1", "norm1_scale"], size=5, alpha=1e-4, beta=0.75, bias=1.0)
    b.op("MaxPool", "norm1", "pool1", kernel=3, stride=2, legacy_pad=3)
    b.op("Conv", ["pool1", "conv2_w", "conv2_b"], "conv2", kernel=3, pad=1)
    b.op("Relu", "conv2", "conv2")
    b.op("AveragePool", "conv2", "pool2", kernel=3, stride=2, pad=1, legacy_pad=3)
    b.op("FC", ["pool2", "fc_w", "fc_b"], "fc")
    b.op("Dropout", "fc", "fc", ratio=0.5, is_test=1)
    b.op("Softmax", "fc", "prob")
    b.outputs("prob")
    return _model(b, W, [1, 3, size, size])


BUILDERS = {"squeezenet_like": squeezenet_like, "resnet_like": resnet_like, "caffe_translated": caffe_translated}


@pytest.mark.parametrize("opset", [13, 17, 21])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builder_net_exports_and_verifies(name, opset):
    m = BUILDERS[name]()
    proto = export_onnx(m, opset=opset)
    assert proto.opset_import[0].version == opset
    assert proto.ir_version == onnx.helper.find_min_ir_version_for([onnx.helper.make_opsetid("", opset)])
    report = verify_onnx(m, proto, rtol=RTOL)
    assert report.ok, report.format()
    assert [o.name for o in report.outputs] == m.external_outputs


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_dynamic_batch_runs_any_batch(name):
    m = BUILDERS[name]()
    proto = export_onnx(m, dynamic_batch=True)
    first = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert first.dim_param == "batch"
    for o in proto.graph.output:
        assert o.type.tensor_type.shape.dim[0].dim_param == "batch"
    report = verify_onnx(m, proto, rtol=RTOL, batch=3)
    assert report.ok, report.format()
    assert report.outputs[0].shape[0] == 3


def test_dynamic_batch_keeps_reshape_free_of_the_example_batch():
    rng = np.random.default_rng(23)
    b = NetBuilder("reshape_batch")
    b.inputs("data")
    b.op("Reshape", "data", ["flat", "old"], shape=[2, -1])  # literal batch 2, as old nets write it
    b.op("FC", ["flat", "w", "b"], "y")
    b.outputs("y")
    m = _model(b, {"w": _w(rng, 4, 12), "b": _w(rng, 4)}, [2, 3, 2, 2])
    proto = export_onnx(m, dynamic_batch=True)
    x = rng.standard_normal((5, 3, 2, 2)).astype(np.float32)
    s = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    y = s.run(None, {"data": x})[0]
    W = m.weights["w"].array
    assert y.shape == (5, 4)
    assert np.abs(y - (x.reshape(5, 12) @ W.T + m.weights["b"].array)).max() <= 1e-5 * np.abs(y).max()


# ----- the corpus ------------------------------------------------------------------
@pytest.mark.parametrize("net,extra", [("resnet50", ["gpu_0/pred"]), ("inception_v1", ["loss3/classifier"]),
                                       ("bvlc_alexnet", ["fc8"])])
def test_corpus_net_exports_and_verifies(corpus_dir, net, extra):
    """Also compares the logits (pre-softmax), which a saturated softmax could hide."""
    m = zoo_model(corpus_dir, net)
    m.predict_net.external_output.extend(extra)
    proto = export_onnx(m)
    report = verify_onnx(m, proto, rtol=RTOL)
    assert report.ok, report.format()
    logits = report.outputs[-1]
    assert logits.shape == (1, 1000)


@pytest.mark.parametrize("net", ["densenet121", "vgg19"])
def test_corpus_net_exports_and_checks(corpus_dir, net):
    """Export + checker + strict shape inference only (the executor is slow on these)."""
    m = zoo_model(corpus_dir, net)
    proto = export_onnx(m)  # runs onnx.checker.check_model(full_check=True)
    out = proto.graph.output[0].type.tensor_type.shape
    assert [d.dim_value for d in out.dim][:2] == [1, 1000]
    assert {i.name for i in proto.graph.input} == set(m.data_inputs)


def test_corpus_inception_dynamic_batch_opset_21(corpus_dir):
    """GoogLeNet (legacy-pad pooling, LRN, a 4-D FC weight read with axis_w=3) at batch 2."""
    m = zoo_model(corpus_dir, "inception_v1")
    m.predict_net.external_output.append("loss3/classifier")
    proto = export_onnx(m, dynamic_batch=True, opset=21)
    report = verify_onnx(m, proto, rtol=RTOL, batch=2)
    assert report.ok, report.format()
    assert [o.shape for o in report.outputs] == [(2, 1000), (2, 1000)]
