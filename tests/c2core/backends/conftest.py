"""The two FAKE TensorRT modules (10.x, 11.x) and the fake cuda-python, for logic tests.

`fake_trt` puts tests/fakes/tensorrtNN and tests/fakes/cuda_python first on
sys.path, so c2core imports them exactly as it would import the real
`tensorrt` and `cuda.bindings.runtime`; every test using it runs once per
major version. Tests built on it are LOGIC TESTS: they check c2core's use of
the documented API, never TensorRT itself (see tests/gpu/ for that).
"""

import pathlib
import sys
import types

import pytest

FAKES = pathlib.Path(__file__).resolve().parents[2] / "fakes"


def _forget():
    for name in list(sys.modules):
        if name == "tensorrt" or name.startswith("tensorrt.") or name == "cuda" or name.startswith("cuda."):
            del sys.modules[name]


def install_fakes(major: int, monkeypatch):
    import c2core.backends.tensorrt as backend

    _forget()
    monkeypatch.syspath_prepend(str(FAKES / "cuda_python"))
    monkeypatch.syspath_prepend(str(FAKES / f"tensorrt{major}"))
    backend._LOGGER.clear()
    import tensorrt
    from cuda.bindings import runtime

    runtime.STATE.reset()
    return types.SimpleNamespace(trt=tensorrt, cuda=runtime, state=runtime.STATE, major=major)


@pytest.fixture(params=[10, 11], ids=["trt10", "trt11"])
def fake_trt(request, monkeypatch):
    yield install_fakes(request.param, monkeypatch)
    _forget()


@pytest.fixture
def fake_trt10(monkeypatch):
    yield install_fakes(10, monkeypatch)
    _forget()


@pytest.fixture
def fake_trt11(monkeypatch):
    yield install_fakes(11, monkeypatch)
    _forget()
