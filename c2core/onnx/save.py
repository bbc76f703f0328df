"""Write ONNX models atomically, with external data past the protobuf limit.

A model and its external-data file must appear together or not at all: both
are written into a staging folder beside the target and published together
(c2core.io.publish). `stage_onnx` leaves the staged model for the caller to
verify *before* publishing: a model that fails verification never poses as a
good one at the target path (c2core.pipeline.onnx_target).
Models whose initializers exceed `EXTERNAL_DATA_THRESHOLD` (protobuf's 2 GiB
message limit minus headroom for the graph) are saved with
`save_as_external_data`; tests lower the threshold instead of building 2 GB.
"""

from __future__ import annotations

import os

from ..io.save import output_target

EXTERNAL_DATA_THRESHOLD = 2 * 1024**3 - 64 * 1024**2
# TensorProto.DataType -> bytes per element (raw_data sizes without copying the bytes out)
_ITEMSIZE = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2}


def initializer_bytes(proto) -> int:
    total = 0
    for t in proto.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        total += n * _ITEMSIZE.get(t.data_type, 4) if t.HasField("raw_data") else t.ByteSize()
    return total


def data_file_name(path: str) -> str:
    return os.path.basename(path) + ".data"


def stage_onnx(proto, staging, path: str, external_data_threshold: int = EXTERNAL_DATA_THRESHOLD) -> list:
    """Write `proto` into `staging` (a c2core.io.publish.Staging) as it will be at `path`;
    returns the publish moves: the external-data file first, the model (root) last.
    The staged model is the last move's source: verify it before publishing."""
    import onnx

    staged = staging.path(os.path.basename(path))
    data = staging.path(data_file_name(path))
    if initializer_bytes(proto) >= external_data_threshold:
        copy = onnx.ModelProto()
        copy.CopyFrom(proto)
        onnx.save_model(copy, staged, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_file_name(path), size_threshold=min(1024, external_data_threshold))
        onnx.checker.check_model(staged, full_check=True)
        moves = [(data, os.path.join(os.path.dirname(os.path.abspath(path)), data_file_name(path)))]
    else:
        with open(staged, "wb") as f:
            f.write(proto.SerializeToString())
        # a model small enough to hold its weights drops an old external-data partner in the same publish
        moves = [(None, os.path.join(os.path.dirname(os.path.abspath(path)), data_file_name(path)))]
    return moves + [(staged, os.path.abspath(path))]


def save_onnx(proto, path: str, external_data_threshold: int = EXTERNAL_DATA_THRESHOLD) -> str:
    """Write `proto` to `path` (and `path.data`), published together; returns the path."""
    from ..io.publish import Staging

    path, folder = output_target(path)
    with Staging(folder, path) as st:
        st.publish(stage_onnx(proto, st, path, external_data_threshold))
    return path
