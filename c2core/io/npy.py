"""Reading a user's .npy input: one loader for `run`, `compare` and conversion
checks, with reasons a user can act on instead of NumPy's pickle advice.

Object (pickled) arrays are never loaded: a file must not run code.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import C2FormatError

NPY_MAGIC = b"\x93NUMPY"


def load_npy(path) -> np.ndarray:
    """The array in `path`; C2FormatError naming the file when it is not a numeric .npy."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise C2FormatError("no such file", path)
    if os.path.isdir(path):
        raise C2FormatError("is a folder, not a .npy file", path)
    try:
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
                raise C2FormatError("not a .npy file (no NumPy header; save arrays with numpy.save)", path)
        return np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise C2FormatError("holds Python objects (a pickled array), which are not loaded: save a numeric array",
                                path) from None
        raise C2FormatError(f"not a readable .npy file ({e})", path) from None
    except OSError as e:
        from .user_files import file_error

        raise file_error(e, path, ".npy file") from None
