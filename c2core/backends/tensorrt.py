"""TensorRT: build a plan from the ONNX export, save it with a sidecar, load and run it.

Written against the documented TensorRT 10/11 Python API; `tensorrt` (and
torch's CUDA side, used for device memory) are imported only inside the
functions that need them, so this module imports anywhere.

Precisions:
- fp32: the FP32 ONNX, strongly typed network.
- fp16: TensorRT 11 only builds strongly typed networks, so the ONNX itself is
  converted to FP16 first (`fp16.convert_to_fp16`); on TensorRT 10 the FP32
  ONNX is built with `BuilderFlag.FP16` (weakly typed), as 10 documents.
- int8: TensorRT 10 with `BuilderFlag.INT8` and an `IInt8EntropyCalibrator2`
  fed from a folder of images through the model's preprocessing. TensorRT 11
  removed implicit INT8 calibration (explicit Q/DQ only): refused with why.

A plan only runs on the TensorRT version and GPU that built it, so every plan
gets `<plan>.json` recording both; `load_plan` refuses a plan built elsewhere
with a message naming both sides, before TensorRT would fail obscurely.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import C2Error
from ..io.digest import file_sha256
from ..ops._arrays import contiguous
from ..tasks import check_cancel, no_progress
from .base import Availability, Backend, BackendUnavailable

MIN_MAJOR = 10
SIDECAR_FORMAT = "c2core-tensorrt-plan"


class PlanMismatch(C2Error):
    """A plan built by another TensorRT version or on another GPU."""


@dataclass
class PlanInfo:
    """The sidecar JSON written next to every plan."""

    tensorrt: str
    gpu: str
    compute_capability: str
    precision: str
    inputs: dict  # name -> {"dtype", "shape", and "min"/"opt"/"max" for dynamic batch}
    outputs: dict = field(default_factory=dict)  # name -> {"dtype", "shape"}
    onnx: str = ""
    onnx_sha256: str = ""
    workspace_mb: int = 0
    built_at: str = ""
    build_seconds: float = 0.0
    format: str = SIDECAR_FORMAT
    version: int = 1

    def save(self, plan_path: str) -> str:
        path = sidecar_path(plan_path)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(asdict(self), f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, plan_path: str) -> "PlanInfo":
        path = sidecar_path(plan_path)
        if not os.path.isfile(path):
            raise PlanMismatch(f"no sidecar {os.path.basename(path)}: cannot tell which TensorRT version and GPU built "
                               "this plan; rebuild it with `c2core convert MODEL --to tensorrt`", plan_path)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise C2Error(f"unreadable plan sidecar: {e}", path) from None
        if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
            raise C2Error(f"not a {SIDECAR_FORMAT} sidecar", path)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def sidecar_path(plan_path: str) -> str:
    return os.fspath(plan_path) + ".json"


# ----- what is installed here --------------------------------------------------------
def _import_trt():
    import tensorrt as trt

    return trt


def _major(version: str) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0


def gpu_info() -> tuple[str, str]:
    """(GPU name, compute capability 'M.m') of CUDA device 0, through torch."""
    import torch

    name = torch.cuda.get_device_name(0)
    major, minor = torch.cuda.get_device_capability(0)
    return name, f"{major}.{minor}"


def cuda_reason() -> str:
    """'' when a CUDA GPU is usable through torch, else why not."""
    try:
        import torch
    except ImportError:
        return "torch is not installed (needed for CUDA memory)"
    if torch.version.cuda is None:
        return f"torch {torch.__version__} is a CPU-only build (no CUDA support)"
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible (torch.cuda.is_available() is False)"
    return ""


def trt_availability(import_trt=_import_trt, cuda=cuda_reason) -> Availability:
    try:
        trt = import_trt()
    except ImportError:
        return Availability(False, "Python package 'tensorrt' is not installed (pip install tensorrt; its libraries "
                                   "come from NVIDIA's package index)")
    except OSError as e:  # bindings present, shared libraries missing
        return Availability(False, f"TensorRT libraries cannot be loaded: {e}")
    version = getattr(trt, "__version__", "?")
    if _major(version) < MIN_MAJOR:
        return Availability(False, f"TensorRT {version} is too old: this tool needs TensorRT {MIN_MAJOR} or newer", version)
    why = cuda()
    if why:
        return Availability(False, why, version)
    return Availability(True, "", version)


def check_compatible(info: PlanInfo, trt_version: str, gpu: str, cc: str, plan_path: str = "") -> None:
    """Raise PlanMismatch unless this TensorRT version and GPU built the plan."""
    problems = []
    if info.tensorrt != trt_version:
        problems.append(f"TensorRT {info.tensorrt} built it, this machine has TensorRT {trt_version}")
    if info.compute_capability != cc or info.gpu != gpu:
        problems.append(f"it was built on {info.gpu} (compute capability {info.compute_capability}), "
                        f"this machine has {gpu} (compute capability {cc})")
    if problems:
        raise PlanMismatch("plan built elsewhere: " + "; ".join(problems) +
                           ". TensorRT plans only run where they were built: rebuild it here with "
                           "`c2core convert MODEL --to tensorrt`", plan_path or None)


# ----- building ------------------------------------------------------------------------
def onnx_io(onnx_path: str) -> tuple[dict, dict]:
    """({input: {"dtype", "shape"}}, {output: ...}) from the ONNX graph (-1 = dynamic)."""
    from onnx import helper

    from ..onnx.load import load_onnx

    m = load_onnx(onnx_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}

    def desc(vi):
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
        return {"dtype": np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type)).name, "shape": dims}

    return ({vi.name: desc(vi) for vi in m.graph.input if vi.name not in inits},
            {vi.name: desc(vi) for vi in m.graph.output})


def prepare_onnx_for(precision: str, onnx_path: str, trt_version: str, workdir: str) -> tuple[str, bool, list]:
    """(ONNX path to parse, strongly_typed, builder flag names) for this precision and version.

    The decisions TensorRT 10 and 11 differ on, kept apart from the build so
    they can be tested without TensorRT.
    """
    major = _major(trt_version)
    if precision == "fp32":
        return onnx_path, True, []
    if precision == "fp16":
        if major >= 11:
            from .fp16 import convert_file_to_fp16

            out = os.path.join(workdir, os.path.splitext(os.path.basename(onnx_path))[0] + ".fp16.onnx")
            convert_file_to_fp16(onnx_path, out, keep_io_types=False)
            return out, True, []
        return onnx_path, False, ["FP16"]
    if precision == "int8":
        if major >= 11:
            raise C2Error(f"TensorRT {trt_version} has no INT8 calibration (removed in 11: only explicit "
                          "quantization with Q/DQ nodes in the ONNX). Build int8 with TensorRT 10, or quantize the "
                          "ONNX first (e.g. NVIDIA ModelOpt) and build it as fp32/fp16")
        return onnx_path, False, ["INT8", "FP16"]
    raise C2Error(f"TensorRT precision must be fp32, fp16 or int8, not '{precision}'")


def build_plan(onnx_path: str, plan_path: str, precision: str = "fp32", workspace_mb: int = 1024,
               timing_cache: str | None = None, batch_range: tuple[int, int, int] | None = None,
               calibration=None, calibration_cache: str | None = None,
               progress=None, cancel=None, trt=None, gpu=None) -> PlanInfo:
    """Build and save `plan_path` (+ sidecar) from an ONNX file.

    batch_range: (min, opt, max) batch for an optimisation profile over the
      first dimension of every input (dynamic batch); None keeps the ONNX shapes.
    calibration: for int8, an iterable of float32 batches (`CalibrationBatches`).
    trt / gpu: injectable for logic tests (a fake module, a (name, cc) pair).
    """
    progress = progress or no_progress
    trt = trt or _import_trt()
    name, cc = gpu if gpu is not None else gpu_info()
    version = trt.__version__
    t0 = time.perf_counter()
    workdir = os.path.dirname(os.path.abspath(plan_path))
    os.makedirs(workdir, exist_ok=True)
    parse_path, strongly_typed, flags = prepare_onnx_for(precision, onnx_path, version, workdir)
    if precision == "int8" and calibration is None and not (calibration_cache and os.path.isfile(calibration_cache)):
        raise C2Error("int8 needs calibration images (--calib DIR) or an existing calibration cache")
    inputs, outputs = onnx_io(parse_path)
    progress(0.05, "parsing ONNX")
    check_cancel(cancel)

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    net_flags = 0
    if strongly_typed and hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
        net_flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(net_flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(parse_path):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise C2Error("TensorRT's ONNX parser failed: " + " | ".join(errors or ["no details"]), onnx_path)

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mb) << 20)
    for f in flags:
        config.set_flag(getattr(trt.BuilderFlag, f))
    cache_obj = None
    if timing_cache:
        blob = b""
        if os.path.isfile(timing_cache):
            with open(timing_cache, "rb") as fh:
                blob = fh.read()
        cache_obj = config.create_timing_cache(blob)
        config.set_timing_cache(cache_obj, False)

    profile = None
    if batch_range is not None:
        lo, opt, hi = (int(b) for b in batch_range)
        if not 1 <= lo <= opt <= hi:
            raise C2Error(f"batch range must satisfy 1 <= min <= opt <= max, got {lo}, {opt}, {hi}")
        profile = builder.create_optimization_profile()
        for iname, d in inputs.items():
            rest = [int(x) for x in d["shape"][1:]]
            if any(x < 0 for x in rest):
                raise C2Error(f"input '{iname}' has dynamic dimensions besides the batch: {d['shape']}", onnx_path)
            profile.set_shape(iname, [lo] + rest, [opt] + rest, [hi] + rest)
            d.update(min=[lo] + rest, opt=[opt] + rest, max=[hi] + rest)
        config.add_optimization_profile(profile)
    else:
        for iname, d in inputs.items():
            if any(x < 0 for x in d["shape"]):
                raise C2Error(f"input '{iname}' has a dynamic shape {d['shape']}: give a batch range", onnx_path)

    calibrator = None
    if precision == "int8":
        calibrator = make_calibrator(trt, calibration, calibration_cache)
        config.int8_calibrator = calibrator
        if profile is not None:
            config.set_calibration_profile(profile)

    progress(0.15, f"building TensorRT {precision} engine (minutes for large nets)")
    check_cancel(cancel)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise C2Error("TensorRT could not build an engine from this model (see the TensorRT log above)", onnx_path)
    check_cancel(cancel)
    tmp = plan_path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(bytes(serialized))
    os.replace(tmp, plan_path)
    if cache_obj is not None:
        with open(timing_cache, "wb") as fh:
            fh.write(bytes(config.get_timing_cache().serialize()))
    info = PlanInfo(tensorrt=version, gpu=name, compute_capability=cc, precision=precision, inputs=inputs,
                    outputs=outputs, onnx=os.path.basename(onnx_path), onnx_sha256=file_sha256(onnx_path),
                    workspace_mb=int(workspace_mb), built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    build_seconds=round(time.perf_counter() - t0, 2))
    info.save(plan_path)
    progress(1.0, f"saved {os.path.basename(plan_path)}")
    return info


def make_calibrator(trt, batches, cache_path: str | None):
    """An IInt8EntropyCalibrator2 that feeds `batches` (float32 arrays) through CUDA memory."""

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            trt.IInt8EntropyCalibrator2.__init__(self)
            self._iter = iter(batches) if batches is not None else iter(())
            self._batch_size = int(getattr(batches, "batch_size", 1))
            self._device = None  # keeps the current batch alive while TensorRT reads it
            self.batches_served = 0

        def get_batch_size(self):
            return self._batch_size

        def get_batch(self, names):
            try:
                arr = next(self._iter)
            except StopIteration:
                return None
            import torch

            self._device = torch.from_numpy(contiguous(np.asarray(arr, dtype=np.float32))).cuda()
            self.batches_served += 1
            return [int(self._device.data_ptr())]

        def read_calibration_cache(self):
            if cache_path and os.path.isfile(cache_path):
                with open(cache_path, "rb") as fh:
                    return fh.read()
            return None

        def write_calibration_cache(self, cache):
            if cache_path:
                with open(cache_path, "wb") as fh:
                    fh.write(bytes(cache))

    return EntropyCalibrator()


# ----- loading and running --------------------------------------------------------------
def load_plan(plan_path: str, trt=None, gpu=None, check: bool = True):
    """(engine, PlanInfo) after checking the sidecar against this machine."""
    trt = trt or _import_trt()
    info = PlanInfo.load(plan_path)
    if check:
        name, cc = gpu if gpu is not None else gpu_info()
        check_compatible(info, trt.__version__, name, cc, plan_path)
    runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
    with open(plan_path, "rb") as fh:
        engine = runtime.deserialize_cuda_engine(fh.read())
    if engine is None:
        raise C2Error("TensorRT could not deserialize this plan", plan_path)
    return engine, info


_TORCH_DTYPES = {"FLOAT": "float32", "HALF": "float16", "INT32": "int32", "INT64": "int64", "INT8": "int8",
                 "BOOL": "bool", "UINT8": "uint8", "BF16": "bfloat16"}


class TensorRTBackend(Backend):
    name = "tensorrt"
    precisions = ("fp32", "fp16", "int8")
    device = "CUDA"

    @classmethod
    def availability(cls) -> Availability:
        return trt_availability()

    def _prepare(self, source) -> None:
        trt = _import_trt()
        if source.kind == "tensorrt":
            plan = source.path
        else:
            plan = os.path.join(source.workdir, f"tensorrt-{self.precision}.plan")
            if not os.path.exists(plan):
                calib = None
                if self.precision == "int8":
                    from .calibration import CalibrationBatches

                    folder = self.options.get("calib")
                    if not folder:
                        raise C2Error("tensorrt:int8 needs calibration images: pass calib=FOLDER")
                    calib = CalibrationBatches.for_source(folder, source)
                build_plan(source.onnx_path(), plan, self.precision,
                           workspace_mb=int(self.options.get("workspace_mb", 1024)), calibration=calib,
                           progress=source.progress, cancel=source.cancel)
        self._engine, self.info = load_plan(plan)
        self._context = self._engine.create_execution_context()
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        is_input = {n: self._engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names}
        self.input_names = [n for n in names if is_input[n]]
        self.output_names = [n for n in names if not is_input[n]]
        self._dtypes = {n: _TORCH_DTYPES.get(self._engine.get_tensor_dtype(n).name, "float32") for n in names}

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import torch

        keep = []
        for n in self.input_names:
            t = torch.from_numpy(contiguous(inputs[n])).to(getattr(torch, self._dtypes[n])).cuda()
            keep.append(t)
            self._context.set_input_shape(n, tuple(t.shape))
            self._context.set_tensor_address(n, int(t.data_ptr()))
        outs = {}
        for n in self.output_names:
            shape = tuple(self._context.get_tensor_shape(n))
            t = torch.empty(shape, dtype=getattr(torch, self._dtypes[n]), device="cuda")
            outs[n] = t
            self._context.set_tensor_address(n, int(t.data_ptr()))
        stream = torch.cuda.current_stream()
        if not self._context.execute_async_v3(stream.cuda_stream):
            raise C2Error("TensorRT execution failed")
        stream.synchronize()
        return {n: t.float().cpu().numpy() for n, t in outs.items()}

    def _close(self) -> None:
        self._context = None
        self._engine = None


__all__ = ["PlanInfo", "PlanMismatch", "BackendUnavailable", "TensorRTBackend", "build_plan", "load_plan",
           "check_compatible", "trt_availability", "prepare_onnx_for", "make_calibrator", "sidecar_path"]
