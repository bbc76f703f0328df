"""NumPy -> torch without losing 0-d shapes.

`np.ascontiguousarray` always returns at least a 1-D array, so a scalar blob
(a loop counter, a `Size` result fed back, a 0-d weight) would silently become
shape [1]. Everything that hands numpy data to kernels goes through here.
"""

from __future__ import annotations

import numpy as np


def contiguous(a) -> np.ndarray:
    """`a` as a C-contiguous array with exactly its own shape (0-d stays 0-d)."""
    a = np.asarray(a)
    if a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(a).reshape(a.shape)


def tensor_from_numpy(a):
    """A CPU torch tensor for `a` (shares memory when `a` is contiguous)."""
    import torch

    return torch.from_numpy(contiguous(a))
