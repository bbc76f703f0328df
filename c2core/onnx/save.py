"""Write ONNX models atomically, with external data past the protobuf limit.

A model and its external-data file must appear together or not at all, so
both are first written into a private temp folder beside the target, then
moved into place (data file first, model last). `staged_onnx` exposes the
staged model path so a caller can verify it *before* it is committed: a model
that fails verification never poses as a good one at the target path.
Models whose initializers exceed `EXTERNAL_DATA_THRESHOLD` (protobuf's 2 GiB
message limit minus headroom for the graph) are saved with
`save_as_external_data`; tests lower the threshold instead of building 2 GB.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from ..errors import C2Error
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


@contextlib.contextmanager
def staged_onnx(proto, path: str, external_data_threshold: int = EXTERNAL_DATA_THRESHOLD, commit=None):
    """Yield the path of `proto` written in a temp folder beside `path`.

    On normal exit the files move onto `path` (and `path.data`) unless
    `commit()` returns False; on an exception, or when not committed, nothing
    at the target changes and the temp folder is removed.
    """
    import onnx

    path, target_dir = output_target(path)
    try:
        tmpdir = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".", suffix=".part", dir=target_dir)
    except OSError as e:
        raise C2Error(f"cannot write here: {e.strerror or e}", path) from None
    try:
        staged = os.path.join(tmpdir, os.path.basename(path))
        external = initializer_bytes(proto) >= external_data_threshold
        if external:
            copy = onnx.ModelProto()
            copy.CopyFrom(proto)
            onnx.save_model(copy, staged, save_as_external_data=True, all_tensors_to_one_file=True,
                            location=data_file_name(path), size_threshold=min(1024, external_data_threshold))
            onnx.checker.check_model(staged, full_check=True)
        else:
            with open(staged, "wb") as f:
                f.write(proto.SerializeToString())
        yield staged
        if commit is None or commit():
            data = os.path.join(tmpdir, data_file_name(path))
            if os.path.exists(data):
                os.replace(data, os.path.join(target_dir, data_file_name(path)))
            os.replace(staged, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def save_onnx(proto, path: str, external_data_threshold: int = EXTERNAL_DATA_THRESHOLD) -> str:
    """Write `proto` to `path` atomically; returns the path."""
    with staged_onnx(proto, path, external_data_threshold):
        pass
    return path
