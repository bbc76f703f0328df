"""Static shape and dtype inference for Caffe2 nets.

    infos = infer_shapes(model)            # blob name -> BlobInfo (its last value)
    per_op = infer_shapes_versioned(model) # one list of BlobInfo per predict op

Known at the start: weights (`model.weight_specs`, no values read) and the
data inputs (the `input_shapes` argument, else `model.input_shapes()` from
value_info.json). Each op family has its rule module (found by `RULES`'s package
scan); an op without a rule, or whose rule fails, gets unknown outputs (shape
None) and the walk continues, except in strict mode (`strict_rules`, used by the
tests) where a rule that crashes is an error.
Small integer weights (a Reshape's shape input, Slice's starts) are read for
their values. Shapes may hold -1 for a size that cannot be known statically
(see `info`); an input shape may use -1 or None for a free dimension.
"""

from __future__ import annotations

from .info import UNKNOWN, BlobInfo, DTYPE_OF_PROTO
from .registry import RULES, register
from .engine import infer_op, run_net, strict_rules

__all__ = [
    "BlobInfo", "UNKNOWN", "infer_shapes", "infer_shapes_versioned", "infer_op", "run_net", "initial_env",
    "small_constants", "supported_op_types", "RULES", "register", "strict_rules",
]


def supported_op_types() -> frozenset:
    return RULES.types()


def initial_env(model, input_shapes: dict | None = None, input_dtypes: dict | None = None) -> dict[str, BlobInfo]:
    """Blob infos known before the first op: weights, then data inputs."""
    env: dict[str, BlobInfo] = {}
    for name, spec in model.weight_specs.items():
        shape = None if spec.shape is None else tuple(int(d) for d in spec.shape)
        env[name] = BlobInfo(shape, spec.dtype)
    shapes = dict(model.input_shapes()) if input_shapes is None else dict(input_shapes)
    dtypes = dict(input_dtypes or {})
    value_info = getattr(model, "value_info", None) or {}
    for name, shape in shapes.items():
        dt = dtypes.get(name)
        if dt is None and name in value_info:
            try:
                dt = DTYPE_OF_PROTO.get(int(value_info[name][0]))
            except (TypeError, ValueError, IndexError):
                dt = None
        dims = None if shape is None else tuple(-1 if d is None else int(d) for d in shape)
        env[name] = BlobInfo(dims, dt or "float32")
    for name in model.data_inputs:
        # an init-net placeholder (e.g. ConstantFill data shape [1]) says nothing about the real input
        if name not in shapes and name in env and (env[name].numel or 0) <= 1:
            env[name] = BlobInfo(None, env[name].dtype)
    for name, dt in dtypes.items():
        if name not in env:
            env[name] = BlobInfo(None, dt)
    return env


def small_constants(model, limit: int = 64) -> dict[str, list]:
    """name -> values of the model's small int/float weights (shape and index inputs).

    Reads weights already loaded, else only the init-net fill ops small
    enough to matter; never materialises large tensors.
    """
    out: dict[str, list] = {}
    skip = set(model.data_inputs)
    loaded = getattr(model, "_weights", None)
    if loaded:
        for name, w in loaded.items():
            a = w.array
            if name not in skip and a.size <= (limit if a.dtype.kind in "iu" else 4) and a.dtype.kind in "iuf":
                out[name] = a.ravel().tolist()
        return out
    init = getattr(model, "init_net", None)
    if init is None:
        return out
    specs = model.weight_specs
    from ..fills import GIVEN_FILLS, run_fill

    for i, op in enumerate(init.op):
        if op.type not in GIVEN_FILLS or not op.output or op.type.startswith("Int8") or op.output[0] in skip:
            continue
        spec = specs.get(op.output[0])
        if spec is None or spec.shape is None or spec.dtype in ("object", "bool"):
            continue
        if spec.numel > (limit if spec.dtype.startswith(("int", "uint")) else 4):  # float consts: resize scales
            continue
        try:
            (w,) = run_fill(op, i, getattr(model, "init_path", None))
        except Exception:  # noqa: BLE001 - a bad fill only loses a constant
            continue
        out[w.name] = w.array.ravel().tolist()
    return out


def infer_shapes_versioned(model, input_shapes: dict | None = None, input_dtypes: dict | None = None) -> list[list[BlobInfo]]:
    """Output infos of every predict-net op, index-aligned with `predict_net.op`."""
    env = initial_env(model, input_shapes, input_dtypes)
    return run_net(model.predict_net, env, consts=small_constants(model))


def infer_shapes(model, input_shapes: dict | None = None, input_dtypes: dict | None = None) -> dict[str, BlobInfo]:
    """Every blob's info after the net ran (in-place names map to their last value)."""
    env = initial_env(model, input_shapes, input_dtypes)
    run_net(model.predict_net, env, consts=small_constants(model))
    return env
