"""Caffe2 <-> ONNX. This package exports Caffe2 models to ONNX with exact
Caffe2 semantics and proves each export by running it.

- `export_onnx(model, path=None, *, opset=17, input_shapes=None,
  dynamic_batch=False, int8="qdq", progress=None, cancel=None) -> ModelProto`
- `verify_onnx(model, onnx_path_or_proto, inputs=None, rtol=1e-4, ...) -> parity.ParityReport`
(Export + verify + publish as one step is `c2core.pipeline.to_onnx`.)

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


__all__ = ["export_onnx", "verify_onnx"]
