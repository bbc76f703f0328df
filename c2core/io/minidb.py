"""Caffe2 `minidb` files (what `predictor_exporter` saves).

A minidb is a flat sequence of records: int32 key length, int32 value length
(native little-endian), the key bytes, the value bytes. Each value is a
serialized `BlobProto`: tensors for parameters, and under `!!META_NET_DEF` a
string blob holding a serialized `MetaNetDef` with the predict net and the
names of the inputs and outputs.
"""

from __future__ import annotations

import struct

from ..errors import C2FormatError
from ..proto import caffe2_pb2

META_KEY = "!!META_NET_DEF"


def iter_records(data: bytes, path: str):
    pos, n = 0, len(data)
    while pos < n:
        if pos + 8 > n:
            raise C2FormatError(f"minidb truncated at byte {pos:,} (record header cut short)", path)
        klen, vlen = struct.unpack_from("<ii", data, pos)
        if klen <= 0 or vlen < 0 or pos + 8 + klen + vlen > n:
            raise C2FormatError(f"minidb corrupt or truncated at byte {pos:,} (key {klen}, value {vlen} bytes)", path)
        key = data[pos + 8 : pos + 8 + klen]
        val = data[pos + 8 + klen : pos + 8 + klen + vlen]
        pos += 8 + klen + vlen
        yield key.decode("utf-8", "replace"), val


def write_records(records, f) -> None:
    for key, val in records:
        k = key.encode("utf-8")
        f.write(struct.pack("<ii", len(k), len(val)))
        f.write(k)
        f.write(val)


def read_minidb(data: bytes, path: str):
    """Returns (predict NetDef, weights dict, inputs, outputs, init NetDef or None)."""
    from google.protobuf.message import DecodeError

    from ..fills import Weight, qtensor_to_weight, tensor_proto_to_array

    meta = None
    weights = {}
    for key, val in iter_records(data, path):
        blob = caffe2_pb2.BlobProto()
        try:
            blob.ParseFromString(val)
        except DecodeError:
            raise C2FormatError(f"minidb record '{key}' is not a BlobProto", path) from None
        if key == META_KEY:
            meta = caffe2_pb2.MetaNetDef()
            try:
                meta.ParseFromString(blob.content)
            except DecodeError:
                raise C2FormatError(f"minidb record '{META_KEY}' is not a MetaNetDef", path) from None
        elif blob.HasField("tensor"):
            weights[key] = Weight(key, tensor_proto_to_array(blob.tensor, path), "BlobProto")
        elif blob.HasField("qtensor"):
            weights[key] = qtensor_to_weight(key, blob.qtensor, path)
    if meta is None:
        raise C2FormatError(f"minidb has no '{META_KEY}' record: not saved by predictor_exporter", path)
    nets = {m.key: m.value for m in meta.nets}
    blobs = {m.key: list(m.value) for m in meta.blobs}
    predict = nets.get("predict_net") or next((v for k, v in nets.items() if "predict" in k), None)
    if predict is None:
        raise C2FormatError(f"minidb meta net def has no predict net (nets: {sorted(nets)})", path)
    from .sniff import check_names

    check_names(predict, path)
    init = nets.get("global_init_net")
    return predict, weights, blobs.get("inputs_blob", []), blobs.get("outputs_blob", []), init
