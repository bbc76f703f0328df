"""Inference backends behind one interface (see `base.py`), and their registry.

    from c2core.backends import create, availability_table, ModelSource
    with ModelSource.open("model_dir") as src, create("openvino:fp16") as be:
        be.prepare(src)
        out = be.run(src.example_inputs())

Backend modules are imported only when asked for, so listing what is
available never imports torch, onnxruntime, openvino or tensorrt eagerly
beyond the availability probe itself.
"""

from __future__ import annotations

import importlib

from ..errors import C2Error
from .base import Availability, Backend, BackendUnavailable, parse_spec
from .source import ModelSource

__all__ = ["BACKENDS", "Availability", "Backend", "BackendUnavailable", "ModelSource", "backend_class",
           "create", "availability", "availability_table", "available_names", "parse_spec", "parse_specs"]

# name -> "module:Class" (module relative to this package)
BACKENDS = {
    "c2": "c2:C2Backend",
    "onnxruntime": "onnxruntime:OnnxRuntimeBackend",
    "openvino": "openvino:OpenVinoBackend",
    "tensorrt": "tensorrt:TensorRTBackend",
}


def backend_class(name: str) -> type[Backend]:
    name, _ = parse_spec(name)
    if name not in BACKENDS:
        raise C2Error(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
    mod, cls = BACKENDS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), cls)


def create(spec: str, **options) -> Backend:
    """A backend object from 'NAME[:PRECISION]' (not yet prepared)."""
    name, precision = parse_spec(spec)
    return backend_class(name)(precision=precision, **options)


def availability(name: str) -> Availability:
    return backend_class(name).availability()


def availability_table() -> dict[str, Availability]:
    return {n: availability(n) for n in BACKENDS}


def available_names() -> list[str]:
    return [n for n, a in availability_table().items() if a.ok]


def parse_specs(text: str | list | None, default: list[str] | None = None) -> list[str]:
    """'onnxruntime,openvino:fp16' -> ['onnxruntime', 'openvino:fp16'], validated."""
    if text is None or text == "" or text == []:
        specs = list(default or [])
    elif isinstance(text, str):
        specs = [s for s in (t.strip() for t in text.split(",")) if s]
    else:
        specs = [s for t in text for s in (x.strip() for x in t.split(",")) if s]
    out = []
    for s in specs:
        name, precision = parse_spec(s)
        cls = backend_class(name)
        if precision not in cls.precisions:
            raise C2Error(f"backend '{name}' has no precision '{precision}' (has: {', '.join(cls.precisions)})")
        out.append(name if precision == "fp32" else f"{name}:{precision}")
    return out
