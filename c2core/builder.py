"""Build Caffe2 NetDefs in code: synthetic models for tests, benches, importers.

`NetBuilder` appends ops with keyword arguments converted to `Argument`s by
type, and `ModelBuilder` pairs a predict net with an init net of GivenTensor
fills from numpy arrays. Used by the ONNX importer to write real models and by
tests to make every kind of net the corpus lacks.
"""

from __future__ import annotations

import numpy as np

from .proto import caffe2_pb2


def make_arg(name: str, value) -> "caffe2_pb2.Argument":
    a = caffe2_pb2.Argument()
    a.name = name
    if isinstance(value, caffe2_pb2.NetDef):
        a.n.CopyFrom(value)
    elif isinstance(value, (bool, np.bool_)):
        a.i = int(value)
    elif isinstance(value, (int, np.integer)):
        a.i = int(value)
    elif isinstance(value, (float, np.floating)):
        a.f = float(value)
    elif isinstance(value, str):
        a.s = value.encode("utf-8")
    elif isinstance(value, bytes):
        a.s = value
    elif isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            a.floats.extend(value.astype(np.float32).ravel().tolist())
        else:
            a.ints.extend(value.astype(np.int64).ravel().tolist())
    elif isinstance(value, (list, tuple)):
        if not value:
            a.ints.extend([])
        elif all(isinstance(v, caffe2_pb2.NetDef) for v in value):
            for v in value:
                a.nets.add().CopyFrom(v)
        elif all(isinstance(v, (int, np.integer, bool)) for v in value):
            a.ints.extend(int(v) for v in value)
        elif all(isinstance(v, (int, float, np.integer, np.floating)) for v in value):
            a.floats.extend(float(v) for v in value)
        elif all(isinstance(v, (str, bytes)) for v in value):
            a.strings.extend(v.encode("utf-8") if isinstance(v, str) else v for v in value)
        else:
            raise TypeError(f"argument {name}: mixed list {value!r}")
    else:
        raise TypeError(f"argument {name}: unsupported value {value!r}")
    return a


class NetBuilder:
    def __init__(self, name: str = "net"):
        self.net = caffe2_pb2.NetDef()
        self.net.name = name

    def op(self, op_type: str, inputs, outputs, name: str = "", engine: str = "", **args):
        op = self.net.op.add()
        op.type = op_type
        op.input.extend([inputs] if isinstance(inputs, str) else inputs)
        op.output.extend([outputs] if isinstance(outputs, str) else outputs)
        if name:
            op.name = name
        if engine:
            op.engine = engine
        for k, v in args.items():
            op.arg.append(make_arg(k, v))
        return op

    def inputs(self, *names):
        self.net.external_input.extend(names)
        return self

    def outputs(self, *names):
        self.net.external_output.extend(names)
        return self


def fill_op(name: str, array: np.ndarray, scale: float | None = None, zero_point: int | None = None):
    """The GivenTensor*Fill op that recreates `array` (dtype decides the op)."""
    a = np.asarray(array)
    op = caffe2_pb2.OperatorDef()
    op.output.append(name)
    op.arg.append(make_arg("shape", list(a.shape)))
    if scale is not None:
        if a.dtype == np.uint8:
            op.type = "Int8GivenTensorFill"
            op.arg.append(make_arg("values", a.tobytes()))
        else:
            op.type = "Int8GivenIntTensorFill"
            v = caffe2_pb2.Argument(name="values")
            v.ints.extend(a.astype(np.int64).ravel().tolist())
            op.arg.append(v)
        op.arg.append(make_arg("Y_scale", float(scale)))
        op.arg.append(make_arg("Y_zero_point", int(zero_point or 0)))
        return op
    kinds = {
        np.float32: "GivenTensorFill", np.float64: "GivenTensorDoubleFill", np.int32: "GivenTensorIntFill",
        np.int64: "GivenTensorInt64Fill", np.bool_: "GivenTensorBoolFill", np.int16: "GivenTensorInt16Fill",
        np.uint8: "GivenTensorByteStringToUInt8Fill",
    }
    if a.dtype == object:
        op.type = "GivenTensorStringFill"
        v = caffe2_pb2.Argument(name="values")
        v.strings.extend(x if isinstance(x, bytes) else str(x).encode() for x in a.ravel())
        op.arg.append(v)
        return op
    op.type = kinds.get(a.dtype.type, "GivenTensorFill")
    v = caffe2_pb2.Argument(name="values")
    if op.type == "GivenTensorByteStringToUInt8Fill":
        v.s = a.tobytes()
    elif a.dtype.kind == "f":
        v.floats.extend(a.astype(np.float32 if a.dtype != np.float64 else np.float64).ravel().tolist())
    else:
        v.ints.extend(a.astype(np.int64).ravel().tolist())
    op.arg.append(v)
    return op


def init_net_from(weights: dict, name: str = "init") -> "caffe2_pb2.NetDef":
    net = caffe2_pb2.NetDef()
    net.name = name
    for k, v in weights.items():
        if isinstance(v, tuple):  # (array, scale, zero_point)
            net.op.append(fill_op(k, v[0], v[1], v[2]))
        else:
            net.op.append(fill_op(k, v))
    net.external_output.extend(weights.keys())
    return net


def model_from(predict: "caffe2_pb2.NetDef", weights: dict | None = None):
    """A `Model` from an in-memory predict net and numpy weights."""
    from .model import Model

    init = init_net_from(weights or {}) if weights else None
    return Model(predict_net=predict, init_net=init, formats={"predict": "memory"})
