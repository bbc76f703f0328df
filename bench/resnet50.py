"""A ResNet-50 pair laid out like the Caffe2 zoo's, with random weights, for benchmarks.

The predict net follows the zoo's resnet50 (Conv, SpatialBN with scale/bias/
running mean/running inverse variance, in-place Relu, residual Sum, gpu_0/
names); the init net holds one GivenTensorFill per blob, 25.6M float32
values (~128 MB on disk, since Caffe2 writes `floats` unpacked: a tag byte
and four bytes per value).

The init file is written straight in protobuf wire format with numpy: filling
a 25M-value repeated field through the protobuf API would take longer than
everything the benchmark measures. `check_init` parses a sample back with
protobuf to prove the bytes are a real NetDef holding the same values.
"""

from __future__ import annotations

import numpy as np

from c2core.builder import NetBuilder, make_arg
from c2core.proto import caffe2_pb2

STAGES = ((3, 64, 256, 1), (4, 128, 512, 2), (6, 256, 1024, 2), (3, 512, 2048, 2))
P = "gpu_0/"


def build(num_classes: int = 1000):
    """(predict NetDef, {blob: shape}) for ResNet-50 at 224x224."""
    b = NetBuilder("resnet50")
    shapes: dict[str, tuple] = {}

    def conv_bn(x, name, cin, cout, k, stride, relu):
        w = f"{P}{name}_w"
        shapes[w] = (cout, cin, k, k)
        b.op("Conv", [x, w], f"{P}{name}", kernel=k, stride=stride, pad=k // 2, order="NCHW")
        bn = f"{P}{name}_bn"
        ins = [f"{P}{name}", *(f"{bn}_{s}" for s in ("s", "b", "rm", "riv"))]
        for s in ins[1:]:
            shapes[s] = (cout,)
        b.op("SpatialBN", ins, bn, epsilon=1e-5, is_test=1, order="NCHW")
        if relu:
            b.op("Relu", bn, bn)
        return bn

    x = conv_bn(f"{P}data", "conv1", 3, 64, 7, 2, True)
    b.op("MaxPool", x, f"{P}pool1", kernel=3, stride=2, order="NCHW")
    x, cin = f"{P}pool1", 64
    for s, (blocks, mid, out, stride) in enumerate(STAGES, start=2):
        for i in range(blocks):
            st = stride if i == 0 else 1
            pre = f"res{s}_{i}_branch"
            a = conv_bn(x, pre + "2a", cin, mid, 1, st, True)
            a = conv_bn(a, pre + "2b", mid, mid, 3, 1, True)
            a = conv_bn(a, pre + "2c", mid, out, 1, 1, False)
            short = conv_bn(x, pre + "1", cin, out, 1, st, False) if i == 0 else x
            b.op("Sum", [a, short], a)
            b.op("Relu", a, a)
            x, cin = a, out
    b.op("AveragePool", x, f"{P}pool5", kernel=7, stride=1, order="NCHW")
    shapes[f"{P}pred_w"] = (num_classes, 2048)
    shapes[f"{P}pred_b"] = (num_classes,)
    b.op("FC", [f"{P}pool5", f"{P}pred_w", f"{P}pred_b"], f"{P}pred")
    b.op("Softmax", f"{P}pred", f"{P}softmax")
    b.inputs(f"{P}data", *shapes).outputs(f"{P}softmax")
    return b.net, shapes


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + _varint(len(payload)) + payload


_FLOAT_RECORD = np.dtype([("tag", "u1"), ("value", "<f4")])


def fill_op_bytes(name: str, values: np.ndarray) -> bytes:
    """One serialized GivenTensorFill OperatorDef, `floats` unpacked as Caffe2 wrote them."""
    head = caffe2_pb2.OperatorDef(type="GivenTensorFill")
    head.output.append(name)
    head.arg.append(make_arg("shape", list(values.shape)))
    rec = np.empty(values.size, _FLOAT_RECORD)
    rec["tag"] = (5 << 3) | 5  # Argument.floats, wire type 5 (fixed32)
    rec["value"] = values.ravel()
    values_arg = _field(0x0A, b"values") + rec.tobytes()  # Argument.name = "values"
    return head.SerializeToString() + _field(0x2A, values_arg)  # OperatorDef.arg


def write_init(path: str, arrays: dict) -> int:
    """Write an init NetDef of GivenTensorFills; returns the file size."""
    size = 0
    with open(path, "wb") as f:
        for part in (_field(0x0A, b"resnet50_init"),):  # NetDef.name
            f.write(part)
            size += len(part)
        for name, a in arrays.items():
            part = _field(0x12, fill_op_bytes(name, np.asarray(a, np.float32)))  # NetDef.op
            f.write(part)
            size += len(part)
        tail = caffe2_pb2.NetDef()
        tail.external_output.extend(arrays)
        part = tail.SerializeToString()
        f.write(part)
        size += len(part)
    return size


def random_weights(shapes: dict, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for k, s in shapes.items():
        if k.endswith("_riv"):
            out[k] = rng.uniform(0.5, 2.0, s).astype(np.float32)
        else:
            out[k] = (rng.standard_normal(s, dtype=np.float32) * 0.05)
    return out


def check_init(path: str, arrays: dict) -> None:
    """Parse the written file with protobuf; compare the smallest tensors' values."""
    net = caffe2_pb2.NetDef()
    with open(path, "rb") as f:
        net.ParseFromString(f.read())
    assert len(net.op) == len(arrays)
    for op in net.op[:4]:
        a = arrays[op.output[0]]
        assert list(op.arg[0].ints) == list(a.shape)
        np.testing.assert_array_equal(np.asarray(op.arg[1].floats, np.float32), a.ravel())
