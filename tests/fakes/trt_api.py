"""The TensorRT Python API surface the two fakes expose, per major version.

Every name and enum value here was checked against NVIDIA's published
sources; where a list could not be checked it says so.

TensorRT 10.x (the fake reports 10.13.0.35, the last 10.x wheel on PyPI):
- enums: `include/NvInfer.h` / `NvInferRuntime.h` / `NvInferRuntimeBase.h` of
  TensorRT 10.13 (BuilderFlag 0..28 with kTF32 = 6, NetworkDefinitionCreationFlag
  kEXPLICIT_BATCH = 0 / kSTRONGLY_TYPED = 1, DataType, TensorIOMode,
  MemoryPoolType, ILogger::Severity, CalibrationAlgoType); Python names drop
  the leading `k`, as the bindings in `python/src/infer/pyCore.cpp` and
  `pyFoundationalTypes.cpp` do.
- classes and members: `python/src/infer/pyCore.cpp` (Builder, IBuilderConfig,
  ICudaEngine, IExecutionContext, Runtime, ITimingCache, IProgressMonitor,
  IOptimizationProfile), `pyGraph.cpp` (INetworkDefinition),
  `pyInt8.cpp` (IInt8Calibrator family), `python/src/parsers/pyOnnx.cpp`
  (OnnxParser, IParserError with desc()/code()/node_name()...).
- return conventions used by c2core and mirrored here: set_timing_cache,
  set_input_shape, set_tensor_address, execute_async_v3, set_calibration_profile
  -> bool; add_optimization_profile -> int (-1 on failure); build_serialized_network,
  deserialize_cuda_engine, create_timing_cache, get_timing_cache -> object or None;
  IOptimizationProfile.set_shape raises on an invalid range.

TensorRT 11.x (the fake reports 11.4.0.106, the current PyPI wheel):
- removed, per NVIDIA's migration guide "Removed Python APIs and Replacements"
  (TensorRT 11.4.0 documentation): BuilderFlag FP16, INT8, FP8, BF16, INT4, FP4,
  OBEY_PRECISION_CONSTRAINTS, PREFER_PRECISION_CONSTRAINTS, DIRECT_IO;
  IBuilderConfig.int8_calibrator, set_calibration_profile(), get_calibration_profile()
  (and the quantization-flag members, which the fake never had);
  the IInt8*Calibrator classes and CalibrationAlgoType (deprecated since 10.1,
  "superseded by explicit quantization"; gone with int8_calibrator);
  NetworkDefinitionCreationFlag.EXPLICIT_BATCH.
- NetworkDefinitionCreationFlag has the single member STRONGLY_TYPED = 0
  (deprecated: every network is strongly typed), as TensorRT 11.2's NvInfer.h
  declares it.
- NOT verified against an 11.x header: the numeric values of the BuilderFlag
  members that remain (they keep their 10.x values here), and whether
  REJECT_EMPTY_ALGORITHMS survives (kept; the IAlgorithm* classes it served are removed). c2core never relies
  on a BuilderFlag's number (it passes the enum member), only on
  NetworkDefinitionCreationFlag.STRONGLY_TYPED's, which is verified.
"""

SEVERITY = {"INTERNAL_ERROR": 0, "ERROR": 1, "WARNING": 2, "INFO": 3, "VERBOSE": 4}

DATA_TYPE = {"FLOAT": 0, "HALF": 1, "INT8": 2, "INT32": 3, "BOOL": 4, "UINT8": 5, "FP8": 6, "BF16": 7,
             "INT64": 8, "INT4": 9, "FP4": 10}

BUILDER_FLAG_10 = {
    "FP16": 0, "INT8": 1, "DEBUG": 2, "GPU_FALLBACK": 3, "REFIT": 4, "DISABLE_TIMING_CACHE": 5, "TF32": 6,
    "SPARSE_WEIGHTS": 7, "SAFETY_SCOPE": 8, "OBEY_PRECISION_CONSTRAINTS": 9, "PREFER_PRECISION_CONSTRAINTS": 10,
    "DIRECT_IO": 11, "REJECT_EMPTY_ALGORITHMS": 12, "VERSION_COMPATIBLE": 13, "EXCLUDE_LEAN_RUNTIME": 14, "FP8": 15,
    "ERROR_ON_TIMING_CACHE_MISS": 16, "BF16": 17, "DISABLE_COMPILATION_CACHE": 18, "STRIP_PLAN": 19,
    "REFIT_IDENTICAL": 20, "WEIGHT_STREAMING": 21, "INT4": 22, "REFIT_INDIVIDUAL": 23, "STRICT_NANS": 24,
    "MONITOR_MEMORY": 25, "FP4": 26, "EDITABLE_TIMING_CACHE": 27, "DISTRIBUTIVE_INDEPENDENCE": 28,
}
REMOVED_FLAGS_11 = {"FP16", "INT8", "BF16", "FP8", "INT4", "FP4", "OBEY_PRECISION_CONSTRAINTS",
                    "PREFER_PRECISION_CONSTRAINTS", "DIRECT_IO"}
BUILDER_FLAG_11 = {k: v for k, v in BUILDER_FLAG_10.items() if k not in REMOVED_FLAGS_11}

MEMORY_POOL = {"WORKSPACE": 0, "DLA_MANAGED_SRAM": 1, "DLA_LOCAL_DRAM": 2, "DLA_GLOBAL_DRAM": 3, "TACTIC_DRAM": 4,
               "TACTIC_SHARED_MEMORY": 5}
TENSOR_IO_MODE = {"NONE": 0, "INPUT": 1, "OUTPUT": 2}
CALIBRATION_ALGO = {"LEGACY_CALIBRATION": 0, "ENTROPY_CALIBRATION": 1, "ENTROPY_CALIBRATION_2": 2,
                    "MINMAX_CALIBRATION": 3}

CONFIG_MEMBERS_10 = {"set_memory_pool_limit", "get_memory_pool_limit", "set_flag", "clear_flag", "get_flag", "flags",
                     "create_timing_cache", "set_timing_cache", "get_timing_cache", "add_optimization_profile",
                     "num_optimization_profiles", "progress_monitor", "builder_optimization_level",
                     "int8_calibrator", "set_calibration_profile", "get_calibration_profile"}
CONFIG_MEMBERS_11 = CONFIG_MEMBERS_10 - {"int8_calibrator", "set_calibration_profile", "get_calibration_profile"}

MODULE_10 = {"__version__", "Logger", "ILogger", "Builder", "Runtime", "OnnxParser", "IBuilderConfig",
             "INetworkDefinition", "ICudaEngine", "IExecutionContext", "IOptimizationProfile", "ITimingCache",
             "IHostMemory", "IProgressMonitor", "IParserError", "BuilderFlag", "NetworkDefinitionCreationFlag",
             "MemoryPoolType", "TensorIOMode", "DataType", "nptype", "IInt8Calibrator", "IInt8EntropyCalibrator",
             "IInt8EntropyCalibrator2", "IInt8MinMaxCalibrator", "IInt8LegacyCalibrator", "CalibrationAlgoType"}
MODULE_11 = MODULE_10 - {"IInt8Calibrator", "IInt8EntropyCalibrator", "IInt8EntropyCalibrator2",
                         "IInt8MinMaxCalibrator", "IInt8LegacyCalibrator", "CalibrationAlgoType"}

API = {
    10: dict(version="10.13.0.35", builder_flags=BUILDER_FLAG_10,
             network_flags={"EXPLICIT_BATCH": 0, "STRONGLY_TYPED": 1},
             config_members=CONFIG_MEMBERS_10, module=MODULE_10),
    11: dict(version="11.4.0.106", builder_flags=BUILDER_FLAG_11, network_flags={"STRONGLY_TYPED": 0},
             config_members=CONFIG_MEMBERS_11, module=MODULE_11),
}
