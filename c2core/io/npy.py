"""Reading a user's .npy input: one loader for `run`, `compare` and conversion
checks, with reasons a user can act on instead of NumPy's pickle advice.

The header is read and checked before any data is: only numeric or bool
dtypes (no object/pickled, string, structured, datetime or complex arrays),
the declared size within the memory budget and no larger than what the file
holds after the header. Big-endian arrays are accepted and converted to the
machine's byte order. Object (pickled) arrays are never loaded: a file must
not run code. Only regular files are read (a FIFO would block forever).
"""

from __future__ import annotations

import os
import stat

import numpy as np

from .. import budget
from ..errors import C2FormatError

NPY_MAGIC = b"\x93NUMPY"
_KINDS = {"b": "bool", "i": "signed integer", "u": "unsigned integer", "f": "float"}


def _header(f, path):
    from numpy.lib import format as npf

    try:
        version = npf.read_magic(f)
        if version == (1, 0):
            return npf.read_array_header_1_0(f, max_header_size=1 << 16)
        if version in ((2, 0), (3, 0)):
            return npf.read_array_header_2_0(f, max_header_size=1 << 16)
    except (ValueError, SyntaxError, TypeError, OverflowError, MemoryError, RecursionError) as e:
        raise C2FormatError(f"not a readable .npy header ({str(e).splitlines()[0][:200]})", path) from None
    raise C2FormatError(f"unsupported .npy format version {version}", path)


def load_npy(path) -> np.ndarray:
    """The array in `path`; C2FormatError naming the file when it is not a numeric .npy."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise C2FormatError("no such file", path) from None
    except OSError as e:
        raise C2FormatError(f"cannot read .npy file: {e.strerror or e}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise C2FormatError("is a folder, not a .npy file", path)
    if not stat.S_ISREG(st.st_mode):
        raise C2FormatError("is not a regular file (a pipe, device or socket): give a .npy file", path)
    try:
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
                raise C2FormatError("not a .npy file (no NumPy header; save arrays with numpy.save)", path)
            f.seek(0)
            shape, fortran, dtype = _header(f, path)
            _check_dtype(dtype, path)
            count = budget.numel(shape)
            nbytes = count * dtype.itemsize
            budget.check_bytes(nbytes, "array", path, f"shape {list(shape)} {dtype.name}")
            budget.check_stored(nbytes, st.st_size - f.tell(), "array", path)
            data = bytearray(nbytes)  # writable, filled in place: no second copy
            if f.readinto(data) != nbytes:
                raise C2FormatError("array data ends early (truncated)", path)
        arr = np.frombuffer(data, dtype=dtype, count=count)
        arr = arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)
        if not dtype.isnative:
            arr = arr.astype(dtype.newbyteorder("="))
        return arr
    except OSError as e:
        from .user_files import file_error

        raise file_error(e, path, ".npy file") from None


def _check_dtype(dtype: np.dtype, path: str) -> None:
    if dtype.hasobject:
        raise C2FormatError("holds Python objects (a pickled array), which are not loaded: save a numeric array", path)
    if dtype.fields is not None or dtype.subdtype is not None:
        raise C2FormatError(f"holds a structured array ({dtype}): save a plain numeric array", path)
    if dtype.kind not in _KINDS:
        what = {"U": "strings", "S": "byte strings", "V": "raw bytes", "M": "dates", "m": "time deltas",
                "c": "complex numbers"}.get(dtype.kind, dtype.kind)
        raise C2FormatError(f"holds {what} ({dtype.str}): only numeric or bool arrays can be fed to a model", path)
