"""Corpus nets with generated weights, for export tests and bench/export.py.

The corpus has predict nets only. Weight *shapes* come from the architectures
as stated in tests/c2core/shapes/shapes_zoo_weights.py (loaded by path, so
this module works whichever test directory pytest put on sys.path); values
are drawn here by the role each weight plays, so activations stay in a sane
range through 50+ layers: He-scaled filters, BN variances in [0.5, 1.5], etc.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

from c2core.args import Args

_SPECS = pathlib.Path(__file__).resolve().parent.parent / "shapes" / "shapes_zoo_weights.py"


def _spec_module():
    spec = importlib.util.spec_from_file_location("c2_onnx_tests_zoo_specs", _SPECS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def zoo_weights(net_name: str, predict_net, seed: int = 0) -> dict[str, np.ndarray]:
    specs = _spec_module().weight_specs(net_name, predict_net)
    rng = np.random.default_rng(seed)
    role = {}
    for op in predict_net.op:
        a = Args(op.arg)
        for k, b in enumerate(op.input[1:], start=1):
            if b in specs and b not in role:
                role[b] = (op.type, k, a)
    out = {}
    for name, s in specs.items():
        shape = tuple(s.shape)
        t, k, a = role.get(name, ("", 0, None))
        if t == "Conv" and k == 1:
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / max(int(np.prod(shape[1:])), 1)))
        elif t == "FC" and k == 1:
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(1.0 / shape[-1]))
        elif (t == "SpatialBN" and k in (1, 4)) or t == "Mul":
            arr = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.1)
        out[name] = arr
    return out


def zoo_model(corpus_dir, net_name: str, seed: int = 0):
    """The corpus net opened from disk, with generated weights attached."""
    from c2core.fills import Weight
    from c2core.io import open_model

    m = open_model(str(pathlib.Path(corpus_dir) / net_name / "predict_net.pbtxt"), structure_only=True)
    m._weights = {k: Weight(k, a, "GivenTensorFill") for k, a in zoo_weights(net_name, m.predict_net, seed).items()}
    m._specs = None
    return m
