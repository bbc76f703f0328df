"""Caffe2 <-> ONNX. This package exports Caffe2 models to ONNX with exact
Caffe2 semantics and proves each export by running it.

- `export_onnx(model, path=None, *, opset=17, input_shapes=None,
  dynamic_batch=False, int8="qdq", progress=None, cancel=None) -> ModelProto`
- `verify_onnx(model, onnx_path_or_proto, inputs=None, rtol=1e-4, ...) -> VerifyReport`
- `export_verified(...)`: export to a staged file, verify it, move it into place
  only when verification passes.

onnx and onnxruntime are imported inside these functions, never when
`c2core.onnx` is imported.
"""

from __future__ import annotations


def export_onnx(model, path=None, **kw):
    from .export.net import export_onnx as _export

    return _export(model, path, **kw)


def verify_onnx(model, onnx_model, inputs=None, rtol=1e-4, **kw):
    from .verify import verify_onnx as _verify

    return _verify(model, onnx_model, inputs=inputs, rtol=rtol, **kw)


def export_verified(model, path, **kw):
    from .verify import export_verified as _ev

    return _ev(model, path, **kw)


__all__ = ["export_onnx", "verify_onnx", "export_verified"]
