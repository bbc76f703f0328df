"""Fill operators of an init net, turned into numpy arrays.

Caffe2 stores weights as ops (`GivenTensorFill` and friends) whose arguments
hold the shape and the values. This module knows each fill op's dtype and
value field, checks the value count against the shape *before* allocating, and
converts repeated protobuf fields with one vectorised `np.asarray` (no Python
loop per element). Random initialisers (untrained nets) get deterministic
values drawn like Caffe2 draws them and are flagged `random=True`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import budget
from .args import Args
from .errors import C2FormatError

# TensorProto.DataType -> numpy dtype (ConstantFill's `dtype`, TensorProto data).
DTYPE_OF_PROTO = {
    1: np.float32, 2: np.int32, 3: np.uint8, 4: np.object_, 5: np.bool_, 6: np.uint8,
    7: np.int8, 8: np.uint16, 9: np.int16, 10: np.int64, 12: np.float16, 13: np.float64,
}
PROTO_OF_DTYPE = {np.dtype(v): k for k, v in DTYPE_OF_PROTO.items() if k not in (3,)}

# fill op -> (argument holding the values, dtype)
GIVEN_FILLS = {
    "GivenTensorFill": ("values", np.float32),
    "GivenTensorDoubleFill": ("values", np.float64),
    "GivenTensorIntFill": ("values", np.int32),
    "GivenTensorInt16Fill": ("values", np.int16),
    "GivenTensorInt64Fill": ("values", np.int64),
    "GivenTensorBoolFill": ("values", np.bool_),
    "GivenTensorStringFill": ("values", np.object_),
    "GivenTensorByteStringToUInt8Fill": ("values", np.uint8),
    "Int8GivenTensorFill": ("values", np.uint8),
    "Int8GivenIntTensorFill": ("values", np.int32),
}
RANDOM_FILLS = {"XavierFill", "MSRAFill", "GaussianFill", "UniformFill", "UniformIntFill"}
CONSTANT_FILLS = {"ConstantFill"}
FILL_OPS = set(GIVEN_FILLS) | RANDOM_FILLS | CONSTANT_FILLS


@dataclass
class Weight:
    """One tensor created by an init-net op.

    `array` holds the values. `random` marks values from a random initialiser
    (the net was saved untrained). Int8 fills carry `scale` and `zero_point`.
    """

    name: str
    array: np.ndarray
    op_type: str
    random: bool = False
    scale: float | None = None
    zero_point: int | None = None
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    @property
    def dtype(self) -> str:
        return str(self.array.dtype)

    @property
    def nbytes(self) -> int:
        if self.array.dtype == object:
            return int(sum(len(x) for x in self.array.ravel()))
        return int(self.array.nbytes)


def fill_args(op) -> Args:
    """A fill op's arguments except its (possibly huge) `values`, which the
    fill reads straight from the protobuf field, vectorised."""
    return Args([a for a in op.arg if a.name != "values"], op.type)


def checked_shape(shape, what: str, path: str | None, itemsize: int = 4) -> tuple[int, ...]:
    """A shape that is sane to allocate with `itemsize`-byte elements: a
    C2FormatError for a negative dimension, a `budget.BudgetError` (exit 2,
    naming the blob, the size and the budget) when it exceeds the memory budget."""
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise C2FormatError(f"{what}: negative dimension in shape {list(shape)}", path)
    budget.check_shape(shape, itemsize, what, path)
    return shape


def _itemsize(dt) -> int:
    """Bytes per element as allocated (object arrays hold one pointer each)."""
    return 8 if dt is None or dt is np.object_ else np.dtype(dt).itemsize


def fill_dtype(op, args: Args):
    """The numpy dtype a fill op creates."""
    if op.type in GIVEN_FILLS:
        dt = GIVEN_FILLS[op.type][1]
        if op.type == "GivenTensorFill" and "dtype" in args:
            dt = DTYPE_OF_PROTO.get(_safe_int(args, "dtype"), dt)
        return dt
    if op.type == "ConstantFill":
        return DTYPE_OF_PROTO.get(_safe_int(args, "dtype"), np.float32)
    if op.type == "UniformIntFill":
        return np.int32
    return np.float32


def _safe_int(args: Args, name: str) -> int:
    """An integer argument of a fill op (unset: the schema's default); C2FormatError
    (naming the argument) when it is not one."""
    v = args.get(name, args.default(name))
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        shown = f"a {v.DESCRIPTOR.name}" if hasattr(v, "DESCRIPTOR") else f"{v!r:.60}"
        raise C2FormatError(f"argument '{name}' must be an integer, got {shown}")
    return v


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _raw_values(op, arg_name):
    for a in op.arg:
        if a.name == arg_name:
            return a
    return None


def _given_values(op, arg, dtype, shape, what, path):
    n = _numel(shape)
    if dtype is np.object_:
        vals = np.empty(len(arg.strings), dtype=object)
        vals[:] = [bytes(s) for s in arg.strings]
    elif op.type in ("GivenTensorByteStringToUInt8Fill", "Int8GivenTensorFill"):
        # Stored as one byte string (`s`), or (rarely) a list of strings.
        if arg.HasField("s"):
            vals = np.frombuffer(arg.s, dtype=np.uint8)
        else:
            vals = np.frombuffer(b"".join(arg.strings), dtype=np.uint8)
    elif dtype in (np.float32, np.float64):
        vals = np.asarray(arg.floats, dtype=dtype)
    else:
        vals = np.asarray(arg.ints, dtype=np.int64).astype(dtype, copy=False)
    if vals.size != n:
        raise C2FormatError(f"{what}: shape {list(shape)} needs {n:,} values but {vals.size:,} are stored", path)
    return vals.reshape(shape)


def stored_count(op) -> int | None:
    """How many values a GivenTensor*Fill op stores, counted without reading them."""
    spec = GIVEN_FILLS.get(op.type)
    if spec is None:
        return None
    arg = _raw_values(op, spec[0])
    if arg is None:
        return 0
    if spec[1] is np.object_:
        return len(arg.strings)
    if op.type in ("GivenTensorByteStringToUInt8Fill", "Int8GivenTensorFill"):
        return len(arg.s) if arg.HasField("s") else sum(len(x) for x in arg.strings)
    if spec[1] in (np.float32, np.float64):
        return len(arg.floats)
    return len(arg.ints)


def check_stored_count(op, shape, path=None) -> None:
    """C2FormatError when a fill op's value count disagrees with its shape."""
    n = stored_count(op)
    if n is None or shape is None:
        return
    need = _numel(shape)
    if n != need:
        what = f"{op.type} '{op.output[0] if op.output else '?'}'"
        raise C2FormatError(f"{what}: shape {list(shape)} needs {need:,} values but {n:,} are stored", path)


def _random_values(op_type, args: Args, shape, seed: int) -> np.ndarray:
    """Deterministic stand-ins for Caffe2's random initialisers (same laws)."""
    rng = np.random.default_rng(seed)
    n = _numel(shape)
    if op_type == "XavierFill":
        fan_in = n // shape[0] if shape and shape[0] else 1
        scale = np.sqrt(3.0 / max(fan_in, 1))
        return rng.uniform(-scale, scale, shape).astype(np.float32)
    if op_type == "MSRAFill":
        fan_out = n // shape[1] if len(shape) > 1 and shape[1] else 1
        return rng.normal(0.0, np.sqrt(2.0 / max(fan_out, 1)), shape).astype(np.float32)
    if op_type == "GaussianFill":
        return rng.normal(args.float("mean"), args.float("std"), shape).astype(np.float32)
    if op_type == "UniformFill":
        return rng.uniform(args.float("min"), args.float("max"), shape).astype(np.float32)
    if op_type == "UniformIntFill":
        return rng.integers(args.int("min"), args.int("max") + 1, shape).astype(np.int32)
    raise ValueError(op_type)


def fill_shape(op, args: Args, path=None) -> tuple[int, ...] | None:
    """The output shape a fill op declares (None when it depends on an input)."""
    what = f"{op.type} '{op.output[0] if op.output else '?'}'"
    if op.type == "ConstantFill" and len(op.input) and args.int("input_as_shape"):
        return None
    if op.type == "ConstantFill" and len(op.input):
        return None
    try:
        shape = list(args.ints("shape", []) or [])
        shape += list(args.ints("extra_shape", []) or [])
    except (TypeError, ValueError, OverflowError):
        raise C2FormatError(f"{what}: 'shape'/'extra_shape' must be lists of integers, got "
                            f"{args.get('shape')!r:.60} / {args.get('extra_shape')!r:.60}", path) from None
    try:
        dt = fill_dtype(op, args)
    except C2FormatError as e:
        raise C2FormatError(f"{what}: {e.reason}", path) from None
    return checked_shape(shape, what, path, _itemsize(dt))


def run_fill(op, index: int, path: str | None = None) -> list[Weight]:
    """Execute one fill op of an init net; raise C2FormatError on bad data."""
    try:
        return _run_fill(op, index, path)
    except MemoryError:
        shape = list(Args([a for a in op.arg if a.name == "shape"], op.type).ints("shape", []) or [])
        raise C2FormatError(f"op #{index} {op.type} '{op.output[0] if op.output else '?'}': "
                            f"shape {shape} is too large to allocate on this machine", path) from None


def _run_fill(op, index: int, path: str | None) -> list[Weight]:
    args = fill_args(op)
    if not op.output:
        raise C2FormatError(f"op #{index} {op.type} has no output", path)
    name = op.output[0]
    what = f"op #{index} {op.type} '{name}'"
    shape = fill_shape(op, args, path)
    if shape is None:
        raise C2FormatError(f"{what}: takes its shape from input blob '{op.input[0]}', which an init net cannot provide", path)
    if op.type in GIVEN_FILLS:
        argname, dtype = GIVEN_FILLS[op.type]
        arg = _raw_values(op, argname)
        if arg is None:
            if _numel(shape) == 0:
                arr = np.zeros(shape, dtype=dtype)
            else:
                raise C2FormatError(f"{what}: has no '{argname}' argument", path)
        else:
            arr = _given_values(op, arg, dtype, shape, what, path)
        if op.type == "GivenTensorFill" and "dtype" in args:
            dt = fill_dtype(op, args)  # one reading of `dtype` (fill_shape used it already)
            if dt is not None and dt is not np.object_:
                arr = arr.astype(dt)
        w = Weight(name, arr, op.type)
        if op.type.startswith("Int8"):
            w.scale = args.float("Y_scale")
            w.zero_point = args.int("Y_zero_point")
        return [w]
    if op.type == "ConstantFill":
        dt = DTYPE_OF_PROTO.get(args.int("dtype"), np.float32)
        value = args.get("value", 0)
        if dt is np.object_:
            arr = np.full(shape, value if isinstance(value, (str, bytes)) else "", dtype=object)
        else:
            arr = np.full(shape, value if not isinstance(value, list) else 0, dtype=dt)
        return [Weight(name, arr, op.type)]
    if op.type in RANDOM_FILLS:
        seed = (index * 7919 + 17) & 0xFFFFFFFF
        return [Weight(name, _random_values(op.type, args, shape, seed), op.type, random=True)]
    raise C2FormatError(f"{what}: not a fill op an init net can use", path)


def tensor_proto_to_array(t, path=None) -> np.ndarray:
    """A `caffe2.TensorProto` (minidb blobs, Argument.t) as numpy."""
    what = f"tensor '{t.name}'"
    dt = DTYPE_OF_PROTO.get(t.data_type)
    if dt is None:
        raise C2FormatError(f"{what}: unsupported data type {t.data_type}", path)
    shape = checked_shape(t.dims, what, path, _itemsize(dt))
    n = _numel(shape)
    if t.HasField("raw_data") and dt is not np.object_:
        size = np.dtype(dt).itemsize
        if len(t.raw_data) != n * size:
            raise C2FormatError(f"{what}: shape {list(shape)} {np.dtype(dt).name} needs {n * size:,} bytes of raw_data "
                                f"but {len(t.raw_data):,} are stored (misaligned, truncated or corrupt)", path)
        vals = np.frombuffer(t.raw_data, dtype=dt)
    elif t.byte_data and dt is not np.object_ and t.data_type != 3:
        # Caffe2's BlobSerializer with caffe2_serialize_using_bytes_as_holder / _fp16_as_bytes
        size = np.dtype(dt).itemsize
        if len(t.byte_data) != n * size:
            raise C2FormatError(f"{what}: shape {list(shape)} {np.dtype(dt).name} needs {n * size:,} bytes of byte_data "
                                f"but {len(t.byte_data):,} are stored", path)
        vals = np.frombuffer(t.byte_data, dtype=dt)
    elif dt is np.float32:
        vals = np.asarray(t.float_data, dtype=np.float32)
    elif dt is np.float64:
        vals = np.asarray(t.double_data, dtype=np.float64)
    elif dt is np.int64:
        vals = np.asarray(t.int64_data, dtype=np.int64)
    elif dt is np.float16:
        vals = np.asarray(t.int32_data, dtype=np.uint16).view(np.float16)
    elif dt is np.object_:
        vals = np.empty(len(t.string_data), dtype=object)
        vals[:] = [bytes(s) for s in t.string_data]
    elif t.data_type == 3:
        vals = np.frombuffer(t.byte_data, dtype=np.uint8)
    else:
        vals = np.asarray(t.int32_data, dtype=np.int64).astype(dt)
    if vals.size != n:
        raise C2FormatError(f"{what}: shape {list(shape)} needs {n:,} values but {vals.size:,} are stored", path)
    return vals.reshape(shape)


def qtensor_to_weight(name, q, path=None) -> Weight:
    """A `caffe2.QTensorProto` as a Weight carrying its scale and bias."""
    shape = checked_shape(q.dims, f"qtensor '{name}'", path, 4)
    vals = np.asarray(q.data, dtype=np.int32)
    if vals.size != _numel(shape):
        raise C2FormatError(f"qtensor '{name}': shape {list(shape)} needs {_numel(shape):,} values but {vals.size:,} are stored", path)
    dt = np.int8 if q.is_signed else np.uint8
    if q.precision > 8:
        dt = np.int32
    return Weight(name, vals.astype(dt).reshape(shape), "QTensor", scale=float(q.scale), zero_point=int(q.bias))
