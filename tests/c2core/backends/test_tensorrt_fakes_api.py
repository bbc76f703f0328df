"""The fakes are checked against the API lists of tests/fakes/trt_api.py (sources named there).

A fake that grew a name the real module lacks (the old fake's "11.0" still had
BuilderFlag.FP16 and int8_calibrator) would let c2core call something that
does not exist on a real GPU machine; these tests pin the surface per version.
"""

import pytest

from tests.fakes import trt_api


def test_fake_module_surface_matches_the_api_list(fake_trt):
    api = trt_api.API[fake_trt.major]
    public = {k for k in vars(fake_trt.trt) if not k.startswith("_")} | {"__version__"}
    assert public == api["module"]
    assert fake_trt.trt.__version__ == api["version"]


def test_fake_enum_values_are_the_real_ones(fake_trt):
    trt, api = fake_trt.trt, trt_api.API[fake_trt.major]
    assert {m.name: int(m) for m in trt.BuilderFlag} == api["builder_flags"]
    assert {m.name: int(m) for m in trt.NetworkDefinitionCreationFlag} == api["network_flags"]
    assert int(trt.BuilderFlag.TF32) == 6 and int(trt.MemoryPoolType.WORKSPACE) == 0
    assert int(trt.TensorIOMode.INPUT) == 1 and int(trt.DataType.HALF) == 1 and int(trt.DataType.INT64) == 8
    assert int(trt.ILogger.Severity.WARNING) == 2
    if fake_trt.major == 10:
        assert int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) == 1 and int(trt.BuilderFlag.FP16) == 0
    else:
        assert int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) == 0
        for gone in ("FP16", "INT8", "BF16", "OBEY_PRECISION_CONSTRAINTS"):
            assert not hasattr(trt.BuilderFlag, gone)


def test_fake_config_members_and_removals(fake_trt):
    trt = fake_trt.trt
    import c2core.backends.tensorrt as T

    config = trt.Builder(T.trt_logger(trt)).create_builder_config()
    assert config.get_flag(trt.BuilderFlag.TF32)  # TensorRT's default
    if fake_trt.major >= 11:
        with pytest.raises(AttributeError):
            config.int8_calibrator = object()
        assert not hasattr(config, "set_calibration_profile")
    else:
        config.int8_calibrator = None
    with pytest.raises(AttributeError):
        config.no_such_setting = 1
    # failure modes are return values, as in the bindings
    assert config.add_optimization_profile(trt.Builder(T.trt_logger(trt)).create_optimization_profile()) == -1
    assert config.create_timing_cache(b"not a cache") is None and config.get_timing_cache() is None
