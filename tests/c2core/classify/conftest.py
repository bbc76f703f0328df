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
