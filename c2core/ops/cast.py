"""Cast (caffe2/operators/cast_op.cc).

Y = X converted to the type in `to`: a TensorProto.DataType number
(1 FLOAT, 2 INT32, 3 BYTE, 5 BOOL, 6 UINT8, 7 INT8, 9 INT16, 10 INT64,
12 FLOAT16, 13 DOUBLE) or its name. Float to integer truncates toward zero
(C++ static_cast).
"""

from __future__ import annotations

import torch

from .registry import register

_BY_NUMBER = {
    1: torch.float32, 2: torch.int32, 3: torch.uint8, 5: torch.bool, 6: torch.uint8, 7: torch.int8,
    9: torch.int16, 10: torch.int64, 12: torch.float16, 13: torch.float64,
}
_BY_NAME = {
    "FLOAT": 1, "INT32": 2, "BYTE": 3, "BOOL": 5, "UINT8": 6, "INT8": 7, "INT16": 9, "INT64": 10,
    "FLOAT16": 12, "DOUBLE": 13,
}


def torch_dtype_of(to) -> torch.dtype:
    """A TensorProto.DataType number or name as a torch dtype."""
    if isinstance(to, str):
        key = to.upper()
        if key not in _BY_NAME:
            raise ValueError(f"unknown data type '{to}'")
        to = _BY_NAME[key]
    if int(to) not in _BY_NUMBER:
        raise ValueError(f"unsupported data type {to}")
    return _BY_NUMBER[int(to)]


def _prep(ctx):
    to = ctx.args.get("to", 1)
    if isinstance(to, list):
        to = to[0] if to else 1
    return torch_dtype_of(to)


@register("Cast", prepare=_prep, view=True)  # x.to(same dtype) returns x itself
def cast(ctx, x):
    return x.to(ctx.state)
