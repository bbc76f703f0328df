"""Fixtures for backend tests: small ONNX models with NumPy references (onnx_nets.py)."""

import importlib.util
import pathlib

import pytest


def load_onnx_nets():
    path = pathlib.Path(__file__).with_name("onnx_nets.py")
    spec = importlib.util.spec_from_file_location("c2_test_onnx_nets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_nets = load_onnx_nets()


@pytest.fixture
def make_conv_net():
    """Factory: make_conv_net(path, **kw) -> (path, weights)."""
    return _nets.conv_net


@pytest.fixture
def conv_ref():
    """The NumPy reference of `conv_net`."""
    return _nets.conv_net_reference
