"""FAKE `tensorrt` 10.x for LOGIC TESTS ONLY (no GPU, not TensorRT): see tests/fakes/fake_trt_core.py
and, for where each name and enum value comes from, tests/fakes/trt_api.py."""

from tests.fakes.fake_trt_core import install

install(globals(), 10)
del install
