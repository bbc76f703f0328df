"""Run Caffe2 nets without Caffe2: `Predictor` on PyTorch kernels.

Imported lazily: `from c2core.runtime import Predictor` loads torch only then.
"""

from __future__ import annotations

__all__ = ["Predictor", "unsupported_ops"]


def __getattr__(name):
    if name in __all__:
        from . import predictor

        return getattr(predictor, name)
    raise AttributeError(name)
