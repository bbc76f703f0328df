"""`BlobInfo`: what static inference knows about one blob value.

A shape is a tuple of ints or None (nothing known). Inside a known shape a
dimension may be -1: unknown size of a known axis, e.g. the box count R of
`GenerateProposals` (data-dependent) or the channels of a conv whose weights
were not loaded (structure-only nets). `BlobInfo.known` is True only when every
dimension is a real size. Dtypes are numpy dtype names ('float32', 'uint8').
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN_DIM = -1


class BadNet(ValueError):
    """The net contradicts itself here (channels that disagree, an axis out of
    range): a rule raises it to mark its outputs unknown, in strict mode too."""

# caffe2.TensorProto.DataType -> numpy dtype name (Cast `to`, ConstantFill `dtype`,
# value_info.json elem_type).
DTYPE_OF_PROTO = {
    1: "float32", 2: "int32", 3: "uint8", 4: "object", 5: "bool", 6: "uint8", 7: "int8",
    8: "uint16", 9: "int16", 10: "int64", 12: "float16", 13: "float64",
}


@dataclass(frozen=True, slots=True)
class BlobInfo:
    shape: tuple[int, ...] | None = None
    dtype: str | None = None

    @property
    def known(self) -> bool:
        """Every dimension is a real size (no None shape, no -1)."""
        return self.shape is not None and all(d >= 0 for d in self.shape)

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def numel(self) -> int | None:
        """Element count, or None when any dimension is unknown."""
        if not self.known:
            return None
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __str__(self) -> str:
        dt = self.dtype or "?"
        if self.shape is None:
            return f"{dt}[?]"
        return f"{dt}[{','.join('?' if d < 0 else str(d) for d in self.shape)}]"


UNKNOWN = BlobInfo(None, None)


def prod(dims) -> int:
    """Product of sizes; -1 when any of them is unknown."""
    n = 1
    for d in dims:
        if d < 0:
            return UNKNOWN_DIM
        n *= d
    return n


def canonical_axis(axis: int, ndim: int) -> int:
    """Caffe2's `canonical_axis_index`: negative axes count from the end."""
    a = axis + ndim if axis < 0 else axis
    if not 0 <= a < max(ndim, 1):
        raise BadNet(f"axis {axis} out of range for rank {ndim}")
    return a


def dims_equal(a: int, b: int) -> int:
    """Merge two sizes claimed for the same axis (-1 yields to a known size)."""
    if a < 0:
        return b
    if b < 0 or a == b:
        return a
    raise BadNet(f"sizes {a} and {b} disagree")
