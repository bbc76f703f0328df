"""Build one-op (or few-op) synthetic models for the shape tests."""

from __future__ import annotations

from c2core.builder import NetBuilder
from c2core.model import Model, WeightSpec
from c2core.shapes import infer_shapes, infer_shapes_versioned


def model_of(net, weights: dict | None = None, dtypes: dict | None = None) -> Model:
    """A Model over `net` whose weights are only shapes (name -> shape, dtype float32 unless given)."""
    dtypes = dtypes or {}
    specs = {k: WeightSpec(k, tuple(v), dtypes.get(k, "float32"), "GivenTensorFill") for k, v in (weights or {}).items()}
    return Model(predict_net=net, _specs=specs)


def infer_one(op_type, inputs, outputs, shapes: dict, weights: dict | None = None, dtypes: dict | None = None, **args):
    """Infer one op; `shapes` are data inputs, `weights` parameter shapes. Returns the op's output infos."""
    b = NetBuilder("t")
    b.op(op_type, inputs, outputs, **args)
    m = model_of(b.net, weights, dtypes)
    in_dtypes = {k: v for k, v in (dtypes or {}).items() if k in shapes}
    return infer_shapes_versioned(m, shapes, in_dtypes)[0]


def shape1(op_type, inputs, shapes, weights=None, **args):
    """Shape of the single output of a one-op net."""
    return infer_one(op_type, inputs, ["Y"], shapes, weights, **args)[0].shape


__all__ = ["model_of", "infer_one", "shape1", "infer_shapes", "infer_shapes_versioned", "NetBuilder"]
