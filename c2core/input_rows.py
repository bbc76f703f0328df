"""What each data input of a model looks like before a run: the app's Inputs panel rows.

A thin view of the one input resolver (`c2core.inputs.resolve_inputs`, via
`ModelSource.resolved`), so the panel shows exactly the shapes every job
will use: for each data input its shape (or unknown), which sizes were
assumed (batch, an image size taken from the preprocessing crop, a spatial
size guessed from the first op), its dtype, and where the shape comes from.
A 1-element placeholder fill is never shown as a shape (the resolver ignores it).
"""

from __future__ import annotations

from dataclasses import dataclass

SET, VALUE_INFO, DECLARED, PREPROCESSING, INFERRED, UNKNOWN = (
    "set", "value_info.json", "declared", "preprocessing", "inferred", "unknown")
_SOURCES = {"given": SET, "file": SET, "value_info": VALUE_INFO, "declared": DECLARED, "image": PREPROCESSING,
            "inferred": INFERRED}


@dataclass(frozen=True)
class InputRow:
    name: str
    shape: tuple | None  # None: unknown
    dtype: str
    source: str  # SET, VALUE_INFO, DECLARED, PREPROCESSING, INFERRED or UNKNOWN
    assumed: tuple = ()  # per dimension: True where the size is a guess
    dtype_assumed: bool = False

    @property
    def known(self) -> bool:
        return self.shape is not None


def _assumed(shape, source: str, layout) -> tuple:
    if source == PREPROCESSING:  # batch 1 by convention; the size is the crop, channels from the first op
        return (True,) + (False,) * (len(shape) - 1)
    if source == INFERRED:  # only the channel / feature count was read from the first op
        ch = 1 if layout in ("NCHW", None) else len(shape) - 1
        return tuple(k != ch for k in range(len(shape)))
    return ()


def input_rows(model, overrides: dict | None = None, crop: int | None = None) -> tuple[list[InputRow], str | None]:
    """(rows, the resolver's one-line warning) for `model` with the user's `overrides`
    ({name: shape}) and the preprocessing `crop` (images feed a single image input).
    A shape that cannot feed the input's first op raises C2Error."""
    from .backends.source import ModelSource

    src = ModelSource(model=model, path=getattr(model, "predict_path", None), input_shapes=overrides or None,
                      image_size=crop)
    r = src.resolved()
    rows = []
    for name in r.names:
        shape = r.shapes.get(name)
        source = _SOURCES.get(r.sources.get(name), UNKNOWN) if shape is not None else UNKNOWN
        dtype = r.dtypes.get(name)
        rows.append(InputRow(name, tuple(shape) if shape is not None else None, dtype or "float32", source,
                             _assumed(shape, source, r.layout) if shape is not None else (), dtype is None))
    return rows, r.warning


def feed_shapes(rows) -> dict:
    """{name: shape} for the rows whose shape is known."""
    return {r.name: tuple(r.shape) for r in rows if r.shape is not None}


def parse_shape(text: str) -> tuple | None:
    """'1,3,224,224', '1x3x224x224' or '[1, 3, 224, 224]' -> a tuple of positive ints;
    '' or 'unknown' -> None. ValueError with a readable reason otherwise."""
    t = (text or "").strip().strip("[]()").strip()
    if not t or t.lower() in ("?", "unknown"):
        return None
    for sep in ("×", "x", "X", " "):
        t = t.replace(sep, ",")
    parts = [p.strip().rstrip("*") for p in t.split(",") if p.strip()]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"'{text}': dimensions must be integers, e.g. 1,3,224,224") from None
    if not dims or any(d <= 0 for d in dims):
        raise ValueError(f"'{text}': every dimension must be a positive integer")
    return dims
