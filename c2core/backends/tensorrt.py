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
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import C2Error
from ..io.digest import file_sha256
from ..tasks import check_cancel, no_progress, sub_progress
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
    tf32: bool = False  # TF32 math allowed (never: BuilderFlag.TF32 is cleared for exact FP32)
    calibration: dict = field(default_factory=dict)  # int8: {"tensors", "samples", "dropped", "shape"}
    warnings: list = field(default_factory=list)  # e.g. a timing cache that could not be used
    format: str = SIDECAR_FORMAT
    version: int = 1

    def save(self, plan_path: str) -> str:
        path = self.save_tmp(plan_path)
        os.replace(path + ".tmp", path)
        return path

    def save_tmp(self, plan_path: str) -> str:
        """Write `<plan>.json.tmp` (renamed by the caller with the plan); returns the final path."""
        path = sidecar_path(plan_path)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(asdict(self), f, indent=2, sort_keys=True)
            f.write("\n")
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


_LOGGER: dict = {}  # one logger per process (per tensorrt module): TensorRT keeps the first one it sees


def trt_logger(trt):
    """The process's TensorRT logger: warnings and errors to stderr, the last errors kept for messages.

    TensorRT uses the first logger given to a Builder/Runtime for the whole
    process and warns when another one is passed, so there is only one."""
    log = _LOGGER.get(id(trt))
    if log is None:
        class _Logger(trt.ILogger):
            def __init__(self):
                trt.ILogger.__init__(self)
                self.errors: list[str] = []
                self.warnings: list[str] = []

            def log(self, severity, msg):  # called from noexcept C++: must not raise
                try:
                    self._log(severity, msg)
                except BaseException:  # noqa: BLE001 - a closed stderr must not end the process
                    pass

            def _log(self, severity, msg):
                import sys

                level = int(severity)
                if level <= int(trt.ILogger.Severity.ERROR):
                    self.errors = (self.errors + [str(msg)])[-8:]
                elif level == int(trt.ILogger.Severity.WARNING):
                    self.warnings = (self.warnings + [str(msg)])[-32:]
                if level <= int(trt.ILogger.Severity.WARNING):
                    print(f"[TensorRT] {severity.name if hasattr(severity, 'name') else level}: {msg}",
                          file=sys.stderr)

            def last_errors(self) -> str:
                return " | ".join(self.errors[-3:])

        log = _LOGGER[id(trt)] = _Logger()
    return log


def gpu_info() -> tuple[str, str]:
    """(GPU name, compute capability 'M.m') of CUDA device 0 (cuda-python, or CUDA torch)."""
    from .cuda_memory import open_cuda

    return open_cuda().device(0)


def cuda_reason() -> str:
    """'' when CUDA memory and a GPU are usable, else what is missing (bindings, driver, GPU)."""
    from .cuda_memory import cuda_reason as why

    return why()


def _trt_import_reason(e: BaseException) -> str:
    """Why `import tensorrt` failed: the package is absent, or its libraries (libnvinfer) are."""
    text = str(e)
    missing = isinstance(e, ModuleNotFoundError) or text.startswith("No module named")
    if missing and (getattr(e, "name", None) or "tensorrt").split(".")[0] in ("tensorrt", "tensorrt_bindings"):
        return ("Python package 'tensorrt' is not installed (pip install 'caffe2-studio[tensorrt]'; its libraries "
                "come from NVIDIA's package index)")
    if "nvinfer" in text or ".so" in text or isinstance(e, OSError):
        return (f"the 'tensorrt' package is installed but TensorRT's libraries (libnvinfer) cannot be loaded: {text} "
                "(install the matching tensorrt-cu12-libs, or put TensorRT's lib folder on LD_LIBRARY_PATH)")
    return f"the 'tensorrt' package cannot be imported: {text}"


def trt_availability(import_trt=_import_trt, cuda=cuda_reason) -> Availability:
    try:
        trt = import_trt()
    except (ImportError, OSError) as e:
        return Availability(False, _trt_import_reason(e))
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


class _BuildMonitor:
    """Factory of the `IProgressMonitor` that reports TensorRT's build phases and aborts on cancel.

    TensorRT calls `step_complete` from its build threads; returning False
    aborts the build (build_serialized_network then returns None). Nothing
    may escape these callbacks (they are called from noexcept C++), so each
    catches everything; an unexpected error cancels the build and is re-raised."""

    @staticmethod
    def make(trt, progress, cancel):
        if not hasattr(trt, "IProgressMonitor"):
            return None

        class Monitor(trt.IProgressMonitor):
            def __init__(self):
                trt.IProgressMonitor.__init__(self)
                self.phases: dict = {}
                self.cancelled = False
                self.steps = 0
                self.error: BaseException | None = None

            def phase_start(self, phase_name, parent_phase, num_steps):
                try:
                    self.phases[phase_name] = (parent_phase, int(num_steps))
                except BaseException as e:  # noqa: BLE001 - see the class docstring
                    self.error = self.error or e

            def step_complete(self, phase_name, step):
                try:
                    self.steps += 1
                    if self.error is not None or _is_cancelled(cancel):
                        self.cancelled = True
                        return False
                    parent, n = self.phases.get(phase_name, (None, 0))
                    if parent is None and n > 0:
                        progress(min(1.0, (int(step) + 1) / n), f"TensorRT: {phase_name}")
                    return True
                except BaseException as e:  # noqa: BLE001 - see the class docstring
                    self.error, self.cancelled = self.error or e, True
                    return False

            def phase_finish(self, phase_name):
                try:
                    self.phases.pop(phase_name, None)
                except BaseException as e:  # noqa: BLE001
                    self.error = self.error or e

        return Monitor()


def _is_cancelled(cancel) -> bool:
    from ..tasks import Cancelled

    try:
        check_cancel(cancel)
    except Cancelled:
        return True
    return False


def _set_shape(profile, name: str, lo, opt, hi, onnx_path: str) -> None:
    try:
        ok = profile.set_shape(name, lo, opt, hi)
    except (ValueError, RuntimeError, TypeError) as e:
        raise C2Error(f"TensorRT refused the shape range of input '{name}' (min {lo}, opt {opt}, max {hi}): {e}",
                      onnx_path) from None
    if ok is False:
        raise C2Error(f"TensorRT refused the shape range of input '{name}' (min {lo}, opt {opt}, max {hi})", onnx_path)


def _parser_errors(parser) -> str:
    out = []
    for i in range(int(parser.num_errors)):
        e = parser.get_error(i)
        desc = e.desc() if hasattr(e, "desc") else str(e)
        where = []
        for attr in ("node_name", "node_operator"):
            fn = getattr(e, attr, None)
            v = fn() if callable(fn) else None
            if v:
                where.append(str(v))
        out.append(desc + (f" (node {' '.join(where)})" if where else ""))
    return " | ".join(out) or "no details"


def _timing_cache(trt, config, path: str | None, notes: list):
    """Attach the timing cache at `path` to `config`; None when not asked or not usable.

    A cache made on another GPU or TensorRT version is refused by
    set_timing_cache (False): we warn and build with a fresh one, which is
    then written back. A corrupt file (create_timing_cache -> None) likewise."""
    if not path:
        return None
    blob = b""
    if os.path.isfile(path):
        try:
            with open(path, "rb") as fh:
                blob = fh.read()
        except OSError as e:
            notes.append(f"cannot read the timing cache {path}: {e.strerror or e}; built without it")
    cache = config.create_timing_cache(blob) if blob else None
    if blob and (cache is None or not config.set_timing_cache(cache, False)):
        notes.append(f"timing cache {os.path.basename(path)} was made on another GPU or TensorRT version (or is "
                     "damaged): built without it, and replaced it with this build's")
        cache = None
    if cache is None:
        cache = config.create_timing_cache(b"")
        if cache is None or not config.set_timing_cache(cache, False):
            notes.append("TensorRT could not create a timing cache: built without one")
            return None
    return cache


def _save_timing_cache(config, path: str, notes: list) -> None:
    """Write the build's timing cache back (tmp + rename); never fails the build."""
    cache = config.get_timing_cache()
    data = cache.serialize() if cache is not None else None
    if data is None:
        notes.append("TensorRT returned no timing cache after the build: none written")
        return
    try:
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as e:
        notes.append(f"could not write the timing cache {path}: {e.strerror or e}")


def build_plan(onnx_path: str, plan_path: str, precision: str = "fp32", workspace_mb: int = 1024,
               timing_cache: str | None = None, batch_range: tuple[int, int, int] | None = None,
               calibration=None, calibration_cache: str | None = None,
               progress=None, cancel=None, calib=None) -> PlanInfo:
    """Build and save `plan_path` + its sidecar (written together: both or neither) from an ONNX file.

    batch_range: (min, opt, max) batch for an optimisation profile over the
      first dimension of every input (dynamic batch); None keeps the ONNX shapes.
    calibration (alias calib): for int8, an iterable of samples: arrays (one-input
      models; any leading batch, e.g. `CalibrationBatches`) or dicts name -> array;
      regrouped into the exact tensors TensorRT reads (see calibration.py).
    progress(fraction, message), cancel: a cancel during the build aborts it
      through the progress monitor and raises `Cancelled`; nothing is written.
    """
    from .calibration import calibration_specs, make_calibrator

    progress = progress or no_progress
    calibration = calibration if calibration is not None else calib
    trt = _import_trt()
    name, cc = gpu_info()
    version = trt.__version__
    t0 = time.perf_counter()
    plan_path = os.fspath(plan_path)
    workdir = os.path.dirname(os.path.abspath(plan_path))
    os.makedirs(workdir, exist_ok=True)
    notes: list[str] = []
    scratch = tempfile.mkdtemp(prefix=".c2core-trt-", dir=workdir)  # the FP16 ONNX of TensorRT 11, never left behind
    calibrator = None
    try:
        parse_path, strongly_typed, flags = prepare_onnx_for(precision, onnx_path, version, scratch)
        if precision == "int8" and calibration is None and not (calibration_cache and os.path.isfile(calibration_cache)):
            raise C2Error("int8 needs calibration images (--calib DIR) or an existing calibration cache")
        inputs, outputs = onnx_io(parse_path)
        progress(0.05, "parsing ONNX")
        check_cancel(cancel)

        logger = trt_logger(trt)
        builder = trt.Builder(logger)
        net_flags = 0
        if strongly_typed and hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):
            net_flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
        network = builder.create_network(net_flags)
        parser = trt.OnnxParser(network, logger)
        if not parser.parse_from_file(parse_path):
            raise C2Error("TensorRT's ONNX parser failed: " + _parser_errors(parser), onnx_path)

        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mb) << 20)
        if hasattr(trt.BuilderFlag, "TF32"):  # on by default: FP32 layers would round inputs to 10-bit mantissas
            config.clear_flag(trt.BuilderFlag.TF32)
        for f in flags:
            config.set_flag(getattr(trt.BuilderFlag, f))
        cache_obj = _timing_cache(trt, config, timing_cache, notes)
        monitor = _BuildMonitor.make(trt, sub_progress(progress, 0.15, 0.95), cancel)
        if monitor is not None:
            config.progress_monitor = monitor

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
                _set_shape(profile, iname, [lo] + rest, [opt] + rest, [hi] + rest, onnx_path)
                d.update(min=[lo] + rest, opt=[opt] + rest, max=[hi] + rest)
            if config.add_optimization_profile(profile) < 0:
                raise C2Error(f"TensorRT refused the optimisation profile for batch {lo}..{hi} "
                              f"({logger.last_errors() or 'no details'})", onnx_path)
        else:
            for iname, d in inputs.items():
                if any(x < 0 for x in d["shape"]):
                    raise C2Error(f"input '{iname}' has a dynamic shape {d['shape']}: give a batch range", onnx_path)

        if precision == "int8":
            calibrator = make_calibrator(trt, calibration, calibration_specs(inputs), calibration_cache)
            config.int8_calibrator = calibrator
            if profile is not None and config.set_calibration_profile(profile) is False:
                raise C2Error("TensorRT refused the calibration profile", onnx_path)

        progress(0.15, f"building TensorRT {precision} engine (minutes for large nets)")
        check_cancel(cancel)
        serialized = builder.build_serialized_network(network, config)
        if calibrator is not None and calibrator.error is not None:
            raise calibrator.error
        if calibrator is not None and serialized is None and calibrator.feed.served == 0 \
                and not (calibration_cache and os.path.isfile(calibration_cache)):
            feed = calibrator.feed
            raise C2Error(f"calibration needs at least {feed.batch} images (one {list(next(iter(feed.specs.values()))[0])} "
                          f"batch, what TensorRT reads); got {feed.dropped}")
        if monitor is not None and monitor.error is not None:
            raise monitor.error
        if monitor is not None and monitor.cancelled:
            check_cancel(cancel)  # raises Cancelled
        if serialized is None:
            raise C2Error("TensorRT could not build an engine from this model: "
                          + (logger.last_errors() or "see the TensorRT log above"), onnx_path)
        check_cancel(cancel)
        calib_info = {}
        if calibrator is not None:
            feed = calibrator.feed
            calib_info = {"tensors": feed.served, "samples": feed.samples_used, "dropped": feed.dropped,
                          "shape": {k: list(v[0]) for k, v in feed.specs.items()}}
            if feed.dropped:
                notes.append(f"calibration: {feed.dropped} image(s) left over after the last full batch of "
                             f"{feed.batch} were not used")
        info = PlanInfo(tensorrt=version, gpu=name, compute_capability=cc, precision=precision, inputs=inputs,
                        outputs=outputs, onnx=os.path.basename(onnx_path), onnx_sha256=file_sha256(onnx_path),
                        workspace_mb=int(workspace_mb), built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        build_seconds=round(time.perf_counter() - t0, 2), calibration=calib_info,
                        warnings=list(notes))
        # plan and sidecar: both written to temporaries first, then renamed together
        with open(plan_path + ".tmp", "wb") as fh:
            fh.write(serialized)
        side = info.save_tmp(plan_path)
        os.replace(side + ".tmp", side)
        os.replace(plan_path + ".tmp", plan_path)
        if cache_obj is not None:
            _save_timing_cache(config, timing_cache, notes)
            if notes != info.warnings:
                info.warnings = notes
                info.save(plan_path)
        for n in notes:
            progress(None, "warning: " + n)
        progress(1.0, f"saved {os.path.basename(plan_path)}")
        return info
    finally:
        if calibrator is not None:
            calibrator.close()
        for p in (plan_path + ".tmp", sidecar_path(plan_path) + ".tmp"):
            if os.path.exists(p):
                os.remove(p)
        shutil.rmtree(scratch, ignore_errors=True)


# ----- loading and running --------------------------------------------------------------
def load_plan(plan_path: str, check: bool = True):
    """(engine, PlanInfo) after checking the sidecar against this machine."""
    engine, info, _ = _load(plan_path, check)
    return engine, info


def _load(plan_path: str, check: bool = True):
    """(engine, PlanInfo, runtime): the runtime must outlive its engine, so callers keep it."""
    trt = _import_trt()
    info = PlanInfo.load(plan_path)
    if check:
        name, cc = gpu_info()
        check_compatible(info, trt.__version__, name, cc, plan_path)
    logger = trt_logger(trt)
    runtime = trt.Runtime(logger)
    with open(plan_path, "rb") as fh:
        engine = runtime.deserialize_cuda_engine(fh.read())
    if engine is None:
        raise C2Error("TensorRT could not deserialize this plan: " + (logger.last_errors() or "no details"), plan_path)
    return engine, info, runtime


_NP_DTYPES = {"FLOAT": "float32", "HALF": "float16", "INT32": "int32", "INT64": "int64", "INT8": "int8",
              "BOOL": "bool", "UINT8": "uint8"}


def _np_dtype(trt_dtype) -> np.dtype:
    name = getattr(trt_dtype, "name", str(trt_dtype)).split(".")[-1]
    if name not in _NP_DTYPES:
        raise C2Error(f"TensorRT I/O tensor of type {name} is not supported here")
    return np.dtype(_NP_DTYPES[name])


def dynamic_batch_range(source, options: dict) -> tuple[int, int, int] | None:
    """The (min, opt, max) batch for an ONNX whose batch dimension is symbolic, else None.

    `batch_range` from the options wins; otherwise opt is the source's batch
    (1 when unset) and max is at least 32."""
    ins, _ = onnx_io(source.onnx_path())
    if not any(d["shape"] and d["shape"][0] < 0 for d in ins.values()):
        return None
    if options.get("batch_range"):
        return tuple(int(x) for x in options["batch_range"])
    b = int(source.batch or 1)
    return (1, b, max(b, 32))


class TensorRTBackend(Backend):
    name = "tensorrt"
    precisions = ("fp32", "fp16", "int8")
    device = "CUDA"

    @classmethod
    def availability(cls) -> Availability:
        return trt_availability()

    def _prepare(self, source) -> None:
        from .cuda_memory import open_cuda

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
                           batch_range=dynamic_batch_range(source, self.options),
                           timing_cache=self.options.get("timing_cache"),
                           progress=source.progress, cancel=source.cancel)
        self._engine, self.info, self._runtime = _load(plan)
        self._context = self._engine.create_execution_context()
        if self._context is None:
            raise C2Error("TensorRT could not create an execution context (out of GPU memory?)", plan)
        self._cuda = open_cuda()
        self._stream = self._cuda.new_stream()  # never the default stream (TensorRT syncs around it)
        self._buffers: dict = {}
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        is_input = {n: self._engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names}
        self.input_names = [n for n in names if is_input[n]]
        self.output_names = [n for n in names if not is_input[n]]
        self._dtypes = {n: _np_dtype(self._engine.get_tensor_dtype(n)) for n in names}

    def _buffer(self, name: str, nbytes: int):
        buf = self._buffers.get(name)
        if buf is None or buf.nbytes < nbytes:
            if buf is not None:
                self._cuda.free(buf)
            buf = self._buffers[name] = self._cuda.alloc(nbytes)
        return buf

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ctx, cuda, stream = self._context, self._cuda, self._stream
        hosts = []  # alive until the stream is synchronised
        for n in self.input_names:
            arr = np.ascontiguousarray(np.asarray(inputs[n]).astype(self._dtypes[n], copy=False))
            if not ctx.set_input_shape(n, tuple(arr.shape)):
                rng = self.info.inputs.get(n, {})
                allowed = f"{rng['min']}..{rng['max']}" if "min" in rng else str(rng.get("shape", "?"))
                raise C2Error(f"TensorRT refused input '{n}' of shape {list(arr.shape)} (this plan takes {allowed})")
            buf = self._buffer(n, arr.nbytes)
            cuda.upload(buf, arr, stream)
            hosts.append(arr)
            if not ctx.set_tensor_address(n, buf.ptr):
                raise C2Error(f"TensorRT refused the device address of input '{n}'")
        outs = {}
        for n in self.output_names:
            shape = tuple(int(d) for d in ctx.get_tensor_shape(n))
            if any(d < 0 for d in shape):
                raise C2Error(f"TensorRT could not resolve the shape of output '{n}' ({list(shape)})")
            host = np.empty(shape, dtype=self._dtypes[n])
            buf = self._buffer(n, host.nbytes)
            if not ctx.set_tensor_address(n, buf.ptr):
                raise C2Error(f"TensorRT refused the device address of output '{n}'")
            outs[n] = (host, buf)
        if not ctx.execute_async_v3(stream.handle):
            logger = trt_logger(_import_trt())
            raise C2Error("TensorRT execution failed: " + (logger.last_errors() or "no details"))
        for host, buf in outs.values():
            cuda.download(host, buf, stream)
        cuda.sync(stream)
        del hosts
        return {n: host for n, (host, _) in outs.items()}

    def _close(self) -> None:
        cuda = getattr(self, "_cuda", None)
        if cuda is not None:
            for buf in self._buffers.values():
                cuda.free(buf)
            cuda.free_stream(self._stream)
        self._buffers = {}
        self._context = None
        self._engine = None
        self._runtime = None


__all__ = ["PlanInfo", "PlanMismatch", "BackendUnavailable", "TensorRTBackend", "build_plan", "load_plan",
           "check_compatible", "trt_availability", "prepare_onnx_for", "sidecar_path", "trt_logger",
           "dynamic_batch_range", "onnx_io"]
