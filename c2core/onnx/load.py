"""Reading a user's .onnx file: a missing, empty or undecodable file is a
C2FormatError naming it (exit 2 on the command line), not a protobuf traceback.

onnx is imported inside the function, as everywhere in c2core.
"""

from __future__ import annotations

import os

from ..errors import C2FormatError


def load_onnx(path, load_external_data: bool = True):
    """The `onnx.ModelProto` in `path`; C2FormatError when it is not one."""
    import onnx

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise C2FormatError("no such file", path)
    try:
        model = onnx.load(path, load_external_data=load_external_data)
    except Exception as e:  # protobuf decode errors have many types
        raise C2FormatError(f"not an ONNX model: {str(e).splitlines()[0] if str(e) else type(e).__name__}", path) from None
    if not model.graph.node and not model.graph.output:
        raise C2FormatError("not an ONNX model (empty graph)", path)
    return model
