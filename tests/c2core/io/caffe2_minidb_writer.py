"""A minidb writer that does what Caffe2's `predictor_exporter.save_to_db` does.

Written for the tests from Caffe2's sources (caffe2/python/predictor/
predictor_exporter.py, predictor_py_utils.py, caffe2/proto/predictor_consts.proto,
caffe2/core/blob_serialization.cc, caffe2/db minidb): the MetaNetDef keys, the
three nets (global init = Load from the db reader; predict init = ConstantFill
zero-fills of inputs and outputs with their shapes; predict), the string blob
holding the MetaNetDef, and Tensor blobs split into `name#%k` chunks with
`segment` ranges when larger than `chunk_size` elements.
"""

import struct

import numpy as np

from c2core.builder import make_arg
from c2core.proto import caffe2_pb2

DBREADER = "!!PREDICTOR_DBREADER"


def _comp(kind, name):
    return f"{kind}_{name}" if name else kind


def _tensor_chunks(name, a, chunk_size, legacy=False):
    """BlobSerializer's records for one float/int tensor: [(key, BlobProto bytes)].

    As TensorSerializer::SerializeWithOptions does: every chunk (a single one too)
    is keyed `name#%<chunk index>` and carries its `segment`; chunk_size None is
    Caffe2's default of 1,000,000 elements. legacy=True: one plain `name` record
    without a segment (older writers)."""
    flat = np.ascontiguousarray(a).ravel()
    n = flat.size
    size = chunk_size or 1_000_000
    if legacy:
        ranges = [(None, 0, n)]
    else:
        ranges = [(b // size, b, min(b + size, n)) for b in range(0, max(n, 1), size)]
    out = []
    for k, b, e in ranges:
        t = caffe2_pb2.TensorProto(name=name)
        t.dims.extend(a.shape)
        if a.dtype == np.float32:
            t.data_type = 1
            t.float_data.extend(flat[b:e].tolist())
        elif a.dtype == np.int64:
            t.data_type = 10
            t.int64_data.extend(flat[b:e].tolist())
        else:
            t.data_type = 2
            t.int32_data.extend(flat[b:e].astype(np.int64).tolist())
        if k is not None:
            t.segment.begin, t.segment.end = b, e
        blob = caffe2_pb2.BlobProto(name=name, type="Tensor")
        blob.tensor.CopyFrom(t)
        out.append((name if k is None else f"{name}#%{k}", blob.SerializeToString()))
    return out


def save_to_db(path, predict, parameters: dict, inputs, outputs, shapes: dict, name="", chunk_size=None,
               extra_init_ops=(), legacy=False):
    """Write `predict` + `parameters` as predictor_exporter would."""
    meta = caffe2_pb2.MetaNetDef()
    # predict init net: zero-fill inputs and outputs with their shapes, then any extra init ops
    pinit = caffe2_pb2.NetDef(name="predict-init")
    for b in list(inputs) + list(outputs):
        op = pinit.op.add(type="ConstantFill", output=[b])
        op.arg.extend([make_arg("shape", list(shapes[b])), make_arg("value", 0.0)])
    pinit.external_input.extend(list(inputs) + list(outputs))
    for op in extra_init_ops:
        pinit.op.add().CopyFrom(op)
    # global init net: Load the parameters from the db reader
    ginit = caffe2_pb2.NetDef(name="global-init")
    ginit.op.add(type="Load", input=[DBREADER], output=list(parameters))
    ginit.external_input.append(DBREADER)
    ginit.external_output.extend(parameters)
    pnet = caffe2_pb2.NetDef(name=predict.name or "predict")
    pnet.op.extend(predict.op)
    pnet.external_input.extend(list(inputs) + list(parameters))
    pnet.external_output.extend(outputs)
    for key, net in (("PREDICT_INIT_NET_TYPE", pinit), ("GLOBAL_INIT_NET_TYPE", ginit), ("PREDICT_NET_TYPE", pnet)):
        meta.nets.add(key=_comp(key, name)).value.CopyFrom(net)
    for key, blobs in (("PARAMETERS_BLOB_TYPE", list(parameters)), ("INPUTS_BLOB_TYPE", list(inputs)),
                       ("OUTPUTS_BLOB_TYPE", list(outputs))):
        e = meta.blobs.add(key=_comp(key, name))
        e.value.extend(blobs)
    records = [("!!META_NET_DEF", caffe2_pb2.BlobProto(name="!!META_NET_DEF", type="std::string",
                                                        content=meta.SerializeToString()).SerializeToString())]
    for pname, a in parameters.items():
        records += _tensor_chunks(pname, a, chunk_size, legacy)
    write_records(path, records)


def write_records(path, records) -> None:
    """A minidb file: per record, int32 key length and value length (little-endian), key, value."""
    with open(path, "wb") as f:
        for k, v in records:
            kb = k.encode()
            f.write(struct.pack("<ii", len(kb), len(v)))
            f.write(kb)
            f.write(v)
