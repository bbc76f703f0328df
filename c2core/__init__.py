"""Caffe2 Studio's headless core: read, inspect, run, convert and deploy Caffe2 models.

Importing this package is cheap on purpose (the CLI's `info` must start fast):
torch, onnx and the inference engines are imported lazily by the modules that
need them. The public entry points are re-exported lazily below.
"""

__version__ = "0.2.0"

__all__ = ["open_model", "Model", "C2Error", "C2FormatError", "__version__"]


def __getattr__(name):
    if name in ("open_model",):
        from .io import open_model

        return open_model
    if name == "Model":
        from .model import Model

        return Model
    if name in ("C2Error", "C2FormatError"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(name)
