"""Caffe2 `minidb` files, as `predictor_exporter.save_to_db` writes them.

A minidb is a flat sequence of records: int32 key length, int32 value length
(native little-endian), the key bytes, the value bytes. Each value is a
serialized `BlobProto`. What predictor_exporter stores:

- `!!META_NET_DEF`: a string blob (`content`) holding a serialized
  `MetaNetDef`. Its `nets` map keys are the constants of Caffe2's
  `predictor_consts.proto` (`GLOBAL_INIT_NET_TYPE`, `PREDICT_INIT_NET_TYPE`,
  `PREDICT_NET_TYPE`), suffixed `_<name>` when the export was named; its
  `blobs` map likewise (`INPUTS_BLOB_TYPE`, `OUTPUTS_BLOB_TYPE`,
  `PARAMETERS_BLOB_TYPE`). Lower-case keys (`predict_net`, `inputs_blob`...)
  written by older tools are accepted too.
- one record per parameter, a `Tensor` BlobProto. A large tensor is split by
  Caffe2's BlobSerializer into chunks stored under `name#%0`, `name#%1`, ...,
  each carrying the full `dims` and its element range in `segment`.

Loading runs the nets as Caffe2's predictor does: the global init net (whose
`Load` op reads the parameters from this db), then the predict init net (which
zero-fills the inputs and outputs with their export-time shapes; those fills
are declared input shapes, not weights).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..errors import C2FormatError
from ..proto import caffe2_pb2

META_KEY = "!!META_NET_DEF"
CHUNK_SEP = "#%"

# MetaNetDef keys: predictor_consts.proto names first, then older spellings.
NET_KEYS = {
    "global_init": ("GLOBAL_INIT_NET_TYPE", "global_init_net"),
    "predict_init": ("PREDICT_INIT_NET_TYPE", "predict_init_net"),
    "predict": ("PREDICT_NET_TYPE", "predict_net"),
}
BLOB_KEYS = {
    "inputs": ("INPUTS_BLOB_TYPE", "inputs_blob"),
    "outputs": ("OUTPUTS_BLOB_TYPE", "outputs_blob"),
    "parameters": ("PARAMETERS_BLOB_TYPE", "parameters_blob"),
}


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


@dataclass
class Minidb:
    """What a predictor_exporter minidb holds, parsed but not yet run."""

    path: str
    predict: object  # NetDef
    global_init: object | None
    predict_init: object | None
    inputs: list
    outputs: list
    parameters: list
    chunks: dict = field(default_factory=dict)  # blob name -> [serialized BlobProto, ...] in key order
    warnings: list = field(default_factory=list)

    def blob(self, name: str):
        """One stored blob as a Weight, its chunks joined."""
        parts = self.chunks.get(name)
        if not parts:
            raise C2FormatError(f"minidb holds no blob '{name}'", self.path)
        return _join(name, parts, self.path)

    def stored_names(self) -> list[str]:
        return [k for k in self.chunks if k != META_KEY]


def _lookup(entries, names):
    """The value of the first map entry whose key is one of `names`, exactly or
    with predictor_exporter's `_<model name>` suffix."""
    entries = [e for e in entries if isinstance(e.key, str)]  # a key that is not UTF-8 names nothing we look for
    for want in names:
        for e in entries:
            if e.key == want:
                return e.value
    for want in names:
        for e in entries:
            if e.key.startswith(want + "_"):
                return e.value
    return None


def read_minidb(data: bytes, path: str) -> Minidb:
    from google.protobuf.message import DecodeError

    meta = None
    chunks: dict[str, list] = {}
    for key, val in iter_records(data, path):
        if key == META_KEY:
            blob = caffe2_pb2.BlobProto()
            try:
                blob.ParseFromString(val)
                meta = caffe2_pb2.MetaNetDef()
                meta.ParseFromString(blob.content)
            except DecodeError:
                raise C2FormatError(f"minidb record '{META_KEY}' is not a MetaNetDef", path) from None
            continue
        name, _, idx = key.partition(CHUNK_SEP)
        chunks.setdefault(name, []).append((int(idx) if idx.isdigit() else 0, key, val))
    if meta is None:
        raise C2FormatError(f"minidb has no '{META_KEY}' record: not saved by predictor_exporter", path)
    nets = {k: _lookup(meta.nets, keys) for k, keys in NET_KEYS.items()}
    blobs = {k: list(_lookup(meta.blobs, keys) or []) for k, keys in BLOB_KEYS.items()}
    for k, names in blobs.items():
        bad = [n for n in names if not isinstance(n, str)]
        if bad:
            raise C2FormatError(f"minidb {k} blob name {bytes(bad[0])[:60]!r} is not valid UTF-8", path)
    predict = nets["predict"]
    if predict is None:
        found = sorted(e.key if isinstance(e.key, str) else repr(bytes(e.key)) for e in meta.nets)
        raise C2FormatError(f"minidb meta net def has no predict net (nets: {', '.join(found) or 'none'})", path)
    from .sniff import check_names

    for net in nets.values():
        if net is not None:
            check_names(net, path)
    db = Minidb(path, predict, nets["global_init"], nets["predict_init"], blobs["inputs"], blobs["outputs"],
                blobs["parameters"], {k: [v for _, _, v in sorted(parts, key=lambda t: t[0])] for k, parts in chunks.items()})
    several = sorted({e.key for e in meta.nets if isinstance(e.key, str) and e.key.startswith("PREDICT_NET_TYPE")})
    if len(several) > 1:
        db.warnings.append(f"minidb holds {len(several)} predict nets ({', '.join(several)}); opened {several[0]}")
    return db


def _join(name: str, parts: list, path: str):
    """A Weight from one or more serialized BlobProto chunks (BlobSerializer)."""
    import numpy as np
    from google.protobuf.message import DecodeError

    from ..fills import DTYPE_OF_PROTO, Weight, checked_shape, qtensor_to_weight, tensor_proto_to_array

    protos = []
    for v in parts:
        b = caffe2_pb2.BlobProto()
        try:
            b.ParseFromString(v)
        except DecodeError:
            raise C2FormatError(f"minidb record '{name}' is not a BlobProto", path) from None
        protos.append(b)
    if len(protos) == 1 and not protos[0].tensor.HasField("segment"):
        b = protos[0]
        if b.HasField("tensor"):
            return Weight(name, tensor_proto_to_array(b.tensor, path), "BlobProto")
        if b.HasField("qtensor"):
            return qtensor_to_weight(name, b.qtensor, path)
        raise C2FormatError(f"minidb record '{name}' holds a '{b.type or 'untyped'}' blob, not a tensor", path)
    # Chunked tensor: each chunk names the full dims and its [begin, end) element range.
    first = protos[0].tensor
    dt = DTYPE_OF_PROTO.get(first.data_type)
    if dt is None or dt is np.object_:
        raise C2FormatError(f"tensor '{name}': chunked data type {first.data_type} is not supported", path)
    shape = checked_shape(first.dims, f"tensor '{name}'", path, np.dtype(dt).itemsize)
    n = 1
    for d in shape:
        n *= d
    # the chunks must claim every element before the whole tensor is allocated
    claimed = sum(max(0, int(b.tensor.segment.end) - int(b.tensor.segment.begin)) if b.tensor.HasField("segment")
                  else n for b in protos)
    if claimed < n:
        raise C2FormatError(f"tensor '{name}': its chunks cover {claimed:,} of {n:,} elements (a chunk is missing)", path)
    flat = np.empty(n, dtype=dt)
    covered = np.zeros(n, dtype=bool) if n <= (1 << 28) else None
    total = 0
    for b in protos:
        t = b.tensor
        if not b.HasField("tensor") or list(t.dims) != list(first.dims) or t.data_type != first.data_type:
            raise C2FormatError(f"tensor '{name}': chunks disagree on shape or type", path)
        begin, end = (int(t.segment.begin), int(t.segment.end)) if t.HasField("segment") else (0, n)
        if not (0 <= begin <= end <= n):
            raise C2FormatError(f"tensor '{name}': chunk range [{begin}, {end}) outside its {n:,} elements", path)
        part = caffe2_pb2.TensorProto()
        part.CopyFrom(t)
        part.ClearField("segment")
        del part.dims[:]
        part.dims.append(end - begin)
        flat[begin:end] = tensor_proto_to_array(part, path)
        if covered is not None:
            covered[begin:end] = True
        total += end - begin
    if (covered is not None and not covered.all()) or total < n:
        raise C2FormatError(f"tensor '{name}': its chunks cover {total:,} of {n:,} elements (a chunk is missing)", path)
    return Weight(name, flat.reshape(shape), "BlobProto")


def load_weights(db: Minidb) -> tuple[dict, dict]:
    """Run the db's init nets as Caffe2's predictor does.

    Returns (weights, input shapes): weights by name, without the inputs' and
    outputs' zero-fills; input shapes from the predict init net's fills.
    """
    from ..init_net import run_init_net

    def load(op, index):
        from ..args import Args

        a = Args(op.arg)
        strip, add = a.str("strip_prefix", ""), a.str("add_prefix", "")

        def blob_name(key):  # Caffe2's Load: strip up to strip_prefix, then prepend add_prefix
            if strip and strip in key:
                key = key[key.index(strip) + len(strip):]
            return add + key

        by_name = {blob_name(k): k for k in db.stored_names()}
        names = list(by_name) if a.int("load_all", 0) else list(op.output)
        out = []
        for n in names:
            key = by_name.get(n)
            if key is None:
                raise C2FormatError(f"op #{index} Load: blob '{n}' is not stored in the minidb", db.path)
            w = db.blob(key)
            w.name = n
            out.append(w)
        return out

    if db.global_init is not None:
        ws = run_init_net(db.global_init, db.path, load=load)
    else:  # no global init net: every stored record is a parameter
        ws = {n: db.blob(n) for n in db.stored_names()}
    shapes = {}
    if db.predict_init is not None:
        before = set(ws)
        ws = run_init_net(db.predict_init, db.path, blobs=ws, load=load)
        for n in db.inputs:
            w = ws.get(n)
            if n not in before and w is not None and w.array.size > 1:
                shapes[n] = (w.dtype, tuple(w.shape))
    for n in list(db.inputs) + list(db.outputs):
        ws.pop(n, None)
    return ws, shapes


def predict_init_input_shapes(db: Minidb) -> dict:
    """Input shapes the predict init net's ConstantFills declare, read without
    running anything (for opening, before the weights are loaded)."""
    from ..args import Args

    out = {}
    if db.predict_init is None:
        return out
    wanted = set(db.inputs)
    for op in db.predict_init.op:
        if op.type == "ConstantFill" and not op.input and op.output and op.output[0] in wanted:
            a = Args(op.arg, op.type)
            shape = tuple(int(d) for d in (a.ints("shape") or []))
            n = 1
            for d in shape:
                n *= d
            if n > 1:
                out[op.output[0]] = (a.int("dtype"), list(shape))
    return out
