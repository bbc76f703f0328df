"""What each data input of a model looks like before a run: the Inputs panel's rows.

For every data input: its shape, where each part of it comes from, and its
dtype. In order of authority: a shape the user set (app Inputs panel, CLI
--input-shape), value_info.json, a real init-net placeholder (more than one
element), the preprocessing crop size for a single image input (1×3×crop×crop,
batch and channels assumed), else unknown. A 1-element placeholder fill says
nothing about the input and is reported as unknown, never as shape [1].

`feed_shapes(rows)` gives the {name: shape} that jobs pass on to
`ModelSource(input_shapes=...)` so classify and convert see what the panel shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shapes.info import DTYPE_OF_PROTO

SET, VALUE_INFO, PLACEHOLDER, PREPROCESSING, UNKNOWN = "set", "value_info.json", "init net", "preprocessing", "unknown"


@dataclass(frozen=True)
class InputRow:
    name: str
    shape: tuple | None  # None: unknown
    dtype: str
    source: str  # SET, VALUE_INFO, PLACEHOLDER, PREPROCESSING or UNKNOWN
    assumed: tuple = ()  # per dimension: True where the size is a guess (batch, channels)
    dtype_assumed: bool = False

    @property
    def known(self) -> bool:
        return self.shape is not None


def input_rows(model, overrides: dict | None = None, crop: int | None = None) -> list[InputRow]:
    """One row per data input of `model`; `overrides` are user-set shapes, `crop` the
    preprocessing crop size used when nothing declares the first input's shape."""
    overrides = {k: tuple(int(d) for d in v) for k, v in (overrides or {}).items()}
    value_info = getattr(model, "value_info", None) or {}
    try:
        specs = model.weight_specs
    except Exception:  # an unreadable init net: the inputs are still listed
        specs = {}
    names = list(model.data_inputs)
    rows = []
    for i, name in enumerate(names):
        dtype, dtype_assumed = "float32", True
        if name in value_info:
            try:
                dtype, dtype_assumed = DTYPE_OF_PROTO.get(int(value_info[name][0]), "float32"), False
            except (TypeError, ValueError, IndexError):
                pass
        spec = specs.get(name)
        if name in overrides:
            shape, source, assumed = overrides[name], SET, ()
        elif name in value_info:
            shape, source, assumed = tuple(int(d) for d in value_info[name][1]), VALUE_INFO, ()
        elif spec is not None and spec.shape is not None and spec.numel > 1:
            shape, source, assumed = tuple(int(d) for d in spec.shape), PLACEHOLDER, ()
            dtype, dtype_assumed = spec.dtype or dtype, spec.dtype is None
        elif i == 0 and len(names) == 1 and crop and _feeds_image_op(model, name):
            shape, source, assumed = (1, 3, int(crop), int(crop)), PREPROCESSING, (True, True, False, False)
        else:
            shape, source, assumed = None, UNKNOWN, ()
        rows.append(InputRow(name, shape, dtype, source, assumed, dtype_assumed))
    return rows


IMAGE_OPS = ("Conv", "Int8Conv", "SpatialBN", "MaxPool", "AveragePool", "LRN", "NCHW2NHWC", "Sub", "Mul", "Add",
             "ChannelShuffle", "Scale", "Copy", "Int8Quantize")


def _feeds_image_op(model, name: str) -> bool:
    """The input's first reader is an op that takes an image batch (a convolution, a
    normalisation, mean subtraction): only then is the preprocessing crop a fair guess."""
    for op in model.predict_net.op:
        if name in op.input:
            return op.type.startswith(IMAGE_OPS) and list(op.input).index(name) == 0
    return False


def feed_shapes(rows) -> dict:
    """{name: shape} for the rows whose shape is known."""
    return {r.name: tuple(r.shape) for r in rows if r.shape is not None}


def parse_shape(text: str) -> tuple | None:
    """'1,3,224,224', '1x3x224x224' or '[1, 3, 224, 224]' -> a tuple of positive ints;
    '' or 'unknown' -> None. ValueError with a readable reason otherwise."""
    t = (text or "").strip().strip("[]()").strip()
    if not t or t.lower() in ("?", "unknown"):
        return None
    parts = [p.strip() for p in t.replace("×", ",").replace("x", ",").replace("X", ",").replace(" ", ",").split(",")]
    parts = [p for p in parts if p]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"'{text}': dimensions must be integers, e.g. 1,3,224,224") from None
    if not dims or any(d <= 0 for d in dims):
        raise ValueError(f"'{text}': every dimension must be a positive integer")
    return dims
