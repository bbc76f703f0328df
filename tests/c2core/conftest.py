"""Fixtures shared by the backend and classify tests: small ONNX models with NumPy
references (tests/c2core/backends/onnx_nets.py)."""

import pytest

from tests.c2core.backends import onnx_nets as _nets


@pytest.fixture
def make_conv_net():
    """Factory: make_conv_net(path, **kw) -> (path, weights)."""
    return _nets.conv_net


@pytest.fixture
def conv_ref():
    """The NumPy reference of `conv_net`."""
    return _nets.conv_net_reference
