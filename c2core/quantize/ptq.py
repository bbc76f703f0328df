"""Post-training INT8 quantization of an FP32 model for a CPU engine, with its report.

Two engines, one flow (export FP32 ONNX -> calibrate on preprocessed images ->
quantized artifact -> measure against FP32 on held-back images):

- openvino: NNCF's post-training quantization (`nncf.quantize`, preset
  PERFORMANCE: symmetric INT8 weights per channel and activations) on the
  OpenVINO model read from the FP32 ONNX export; saved as IR with uncompressed
  (not FP16) non-quantized constants.
- onnxruntime: ONNX Runtime's own static quantizer (`quantize_static`) in QDQ
  format, per-channel int8 weights, uint8 activations, MinMax calibration,
  after ORT's `quant_pre_process` (shape inference + graph cleanup). Chosen
  over NNCF's ONNX path because the runtime that will execute the file also
  writes it: ORT fuses exactly the QDQ patterns its quantizer emits into its
  integer kernels (QLinearConv / MatMulInteger), the result stays a standard
  opset >= 13 QDQ model that TensorRT and OpenVINO also read, and it needs no
  second framework's graph conversion of the ONNX file.
  The convolutions that read the image input stay in float (`nodes_to_exclude`):
  with 3 input channels each output channel has only 27 weights (3x3 kernel)
  sharing one int8 scale, and the image itself is quantized to 256 levels,
  so that layer's error is the largest and it reaches every later layer; in
  float it costs almost nothing (EfficientNet-Lite0: 864 of 4.6 M weights,
  same latency). ORT's quantizer has no bias correction; the shift that int8
  weight rounding puts on each conv's output mean is removed from its bias
  before a second quantization pass (bias_correction.py). Together they lift
  top-1 agreement on EfficientNet-Lite0 from ~90% to ~96% on both halves of
  the bench images (README has every candidate measured).

Engine failures (a model the quantizer or runtime refuses, a kernel error)
become one-line C2Errors through c2core.engine_errors, naming the stage.

Every artifact is written to a temporary name and renamed into place (IR:
.bin first, then .xml), with the source model's sidecar model.json (and a
labels file it names) beside it, so `classify model.xml` preprocesses and
labels exactly as the Caffe2 model does. The report: sizes, top-1/top-5
agreement and max/mean |diff| of outputs over held-back images, and FP32 vs
INT8 p50 latency on the same engine, batch 1.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import C2Error, Cancelled

ENGINES = ("openvino", "onnxruntime")
ENGINE_LABELS = {"openvino": "OpenVINO", "onnxruntime": "ONNX Runtime"}
# what each engine's recipe is; part of the quantize-once cache key, so a changed recipe re-quantizes
RECIPES = {"openvino": "nncf-performance/1", "onnxruntime": "qdq-minmax-input-convs-float-bias-corrected/2"}
DEFAULT_LATENCY_RUNS = 30


@dataclass
class QuantReport:
    engine: str
    output: str
    files: list
    fp32_bytes: int
    int8_bytes: int
    images: dict  # ImageSets.summary()
    top1: float
    top5: float
    max_abs: float
    mean_abs: float
    fp32_ms: float
    int8_ms: float
    seconds: float = 0.0
    fingerprint: str = ""
    method: str = ""
    skipped: list = field(default_factory=list)
    confident: tuple = (float("nan"), 0)  # (top-1 agreement, images) where FP32's top-1 probability >= 0.5

    @property
    def size_ratio(self) -> float:
        return self.int8_bytes / self.fp32_bytes if self.fp32_bytes else float("nan")

    @property
    def speedup(self) -> float:
        return self.fp32_ms / self.int8_ms if self.int8_ms else float("nan")

    def format(self) -> str:
        im = self.images
        lines = [
            f"INT8 post-training quantization ({self.engine}, approximate by design: measured against FP32, not bit-exact)",
            f"  method      {self.method}",
            f"  calibration {im['calibration_images']} image(s)"
            + (f", {im['skipped_unreadable']} unreadable skipped" if im["skipped_unreadable"] else ""),
            f"  held-back   {im['held_back_images']} image(s) from the {im['held_back_source']}",
            f"  weights     {self.fp32_bytes / 1e6:.2f} MB FP32 -> {self.int8_bytes / 1e6:.2f} MB INT8 ({self.size_ratio:.2f}x)",
            f"  agreement   top-1 {self.top1:.1%}, top-5 {self.top5:.1%} with FP32; outputs max |diff| "
            f"{self.max_abs:.4g}, mean |diff| {self.mean_abs:.4g}",
            f"              top-1 {self.confident[0]:.1%} on the {self.confident[1]} image(s) where FP32 is confident "
            f"(top-1 probability >= {CONFIDENT:g})",
            f"  latency     p50 FP32 {self.fp32_ms:.2f} ms -> INT8 {self.int8_ms:.2f} ms ({self.int8_ms / self.fp32_ms:.2f}x) "
            f"on {self.engine}, batch 1",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"engine": self.engine, "output": self.output, "files": list(self.files), "exact": False,
                "fp32_bytes": self.fp32_bytes, "int8_bytes": self.int8_bytes, "size_ratio": self.size_ratio,
                "images": dict(self.images), "top1_agreement": self.top1, "top5_agreement": self.top5,
                "top1_agreement_confident": self.confident[0], "confident_images": self.confident[1],
                "max_abs_diff": self.max_abs, "mean_abs_diff": self.mean_abs, "fp32_p50_ms": self.fp32_ms,
                "int8_p50_ms": self.int8_ms, "latency_ratio": self.int8_ms / self.fp32_ms if self.fp32_ms else None,
                "fingerprint": self.fingerprint, "method": self.method, "seconds": self.seconds}


def image_input(source) -> tuple[str, tuple]:
    """(name, shape) of the model's single NCHW 3-channel image input; C2Error otherwise."""
    shapes = source.input_shapes()
    if len(shapes) != 1:
        raise C2Error(f"INT8 calibration needs a model with one image input, this one has {len(shapes)} "
                      f"({', '.join(shapes) or 'none known'})", source.path)
    name, shape = next(iter(shapes.items()))
    if len(shape) != 4 or shape[1] != 3 or not all(isinstance(d, int) and d > 0 for d in shape[2:]):
        raise C2Error(f"INT8 calibration needs an N x 3 x H x W image input; input '{name}' is {list(shape)}",
                      source.path)
    return name, tuple(shape)


class _Step:
    """Progress in [lo, hi) of the whole job, and the cancel check between steps."""

    def __init__(self, progress, cancel):
        self.progress, self.cancel = progress, cancel

    def __call__(self, fraction: float, message: str) -> None:
        if self.cancel is not None:
            c = getattr(self.cancel, "cancelled", None)
            stop = (c() if callable(c) else c) if c is not None else self.cancel()
            if stop:
                raise Cancelled("quantization cancelled")
        if self.progress is not None:
            self.progress(fraction, message)


def quantize(source, engine: str, calib_dir: str, output: str, *, count: int | None = 300, val_dir: str | None = None,
             preset=None, latency_runs: int = DEFAULT_LATENCY_RUNS, progress=None, cancel=None,
             sets=None) -> QuantReport:
    """Quantize `source` (a backends.ModelSource, batch 1) for `engine`, write `output`, return the report."""
    from ..preprocess.presets import resolve_preprocess
    from .images import load_sets

    if engine not in ENGINES:
        raise C2Error(f"INT8 quantization engine must be one of {', '.join(ENGINES)}, not '{engine}'")
    step = _Step(progress, cancel)
    t0 = time.perf_counter()
    name, shape = image_input(source)
    if shape[0] != 1:
        raise C2Error(f"INT8 quantization works at batch 1; input '{name}' is {list(shape)}", source.path)
    step(0.02, "reading calibration images")
    if sets is None:
        sets = load_sets(calib_dir, resolve_preprocess(source, preset), count, val_dir, cancel=cancel)
    step(0.15, "exporting the FP32 model")
    fp32_onnx = source.onnx_path()
    work = tempfile.mkdtemp(prefix="c2core-int8-")
    try:
        stage = "quantizing the model"
        try:
            step(0.25, f"calibrating and quantizing ({engine}, {len(sets.calib)} images)")
            if engine == "openvino":
                staged, fp32_bytes, int8_bytes, method, fp32_art = _openvino(fp32_onnx, name, sets, output, work)
            else:
                staged, fp32_bytes, int8_bytes, method, fp32_art = _onnxruntime(fp32_onnx, name, sets, output, work)
            step(0.75, "measuring INT8 against FP32 on held-back images")
            stage = "loading the FP32 and INT8 models"
            fp32_run, int8_run = _runner(engine, fp32_art), _runner(engine, staged[-1][0])
            stage = "running the FP32 and INT8 models"
            ref = [fp32_run({name: x[None]}) for x in sets.held]
            got = [int8_run({name: x[None]}) for x in sets.held]
            top1, top5, max_abs, mean_abs, confident = _agreement(got, ref)
            step(0.9, "timing FP32 and INT8")
            fp32_ms, int8_ms = _latencies(fp32_run, int8_run, {name: sets.held[0][None]}, latency_runs)
            del fp32_run, int8_run
        except (C2Error, Cancelled, MemoryError):
            raise
        except Exception as e:  # the engine's own multi-line errors -> one line naming the stage
            from ..engine_errors import engine_failure

            raise engine_failure(e, ENGINE_LABELS[engine], stage, path=source.path) from e
        step(0.98, "writing")
        _move_into_place(staged)  # only now: a failure or Cancel before leaves nothing behind
    finally:
        shutil.rmtree(work, ignore_errors=True)
    files = [dst for _, dst in staged][::-1]
    write_sidecar(source, output, name, shape, {"engine": engine, "precision": "int8", "method": method,
                                   "calibration": sets.summary(), "fingerprint": sets.fingerprint})
    step(1.0, "done")
    return QuantReport(engine, output, files, fp32_bytes, int8_bytes, sets.summary(), top1, top5, max_abs, mean_abs,
                       fp32_ms, int8_ms, time.perf_counter() - t0, sets.fingerprint, method, sets.skipped, confident)


# ----- engines -------------------------------------------------------------------------


def _openvino(fp32_onnx, input_name, sets, output, work):
    import nncf
    import openvino as ov

    from ..backends.openvino import convert_to_ir

    fp32_xml = os.path.join(work, "fp32.xml")
    info = convert_to_ir(fp32_onnx, fp32_xml, precision="fp32")
    model = ov.Core().read_model(fp32_xml)
    data = nncf.Dataset([x[None] for x in sets.calib])
    q = nncf.quantize(model, data, preset=nncf.QuantizationPreset.PERFORMANCE, subset_size=len(sets.calib))
    staged = os.path.join(work, "int8.xml")
    ov.save_model(q, staged, compress_to_fp16=False)
    xml = os.fspath(output)
    bin_ = os.path.splitext(xml)[0] + ".bin"
    method = (f"NNCF {nncf.__version__} post-training quantization (preset PERFORMANCE, {len(sets.calib)} "
              f"calibration images), OpenVINO {ov.__version__.split('-')[0]} IR")
    # .bin before .xml: the .xml appearing means the pair is complete
    pairs = [(os.path.join(work, "int8.bin"), bin_), (staged, xml)]
    return pairs, info.bin_bytes, os.path.getsize(pairs[0][0]), method, fp32_xml


def _onnxruntime(fp32_onnx, input_name, sets, output, work):
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from .bias_correction import corrected_model

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(sets.calib)

        def get_next(self):
            x = next(self._it, None)
            return None if x is None else {input_name: x[None]}

    pre = os.path.join(work, "pre.onnx")
    log = logging.getLogger("onnxruntime.quantization.shape_inference")
    was, log.disabled = log.disabled, True  # it logs its own failure with a traceback; we go on without it
    try:
        quant_pre_process(fp32_onnx, pre, skip_symbolic_shape=True)
    except Exception:  # pre-processing is an optimisation; the quantizer works on the export as is
        pre = fp32_onnx
    finally:
        log.disabled = was
    pre = _named_nodes(pre, os.path.join(work, "named.onnx"))
    staged = os.path.join(work, "int8.onnx")
    keep_float = _input_convs(pre, input_name)

    def quantize_to(src, dst):
        quantize_static(src, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=keep_float)

    # first pass: the quantizer's weight rounding; then biases corrected for it, and the final pass
    first = os.path.join(work, "int8-uncorrected.onnx")
    quantize_to(pre, first)
    corrected = os.path.join(work, "bias-corrected.onnx")
    n_corrected = corrected_model(pre, first, input_name, sets.calib, keep_float, corrected, _feeds_runner)
    quantize_to(corrected if n_corrected else pre, staged)
    method = (f"ONNX Runtime {ort.__version__} static quantization, QDQ, per-channel int8 weights, uint8 "
              f"activations, MinMax over {len(sets.calib)} calibration images"
              + (f"; {len(keep_float)} conv(s) reading the image input kept in float" if keep_float else "")
              + f"; weight bias correction on {n_corrected} conv(s)")
    return [(staged, os.fspath(output))], _onnx_bytes(fp32_onnx), _onnx_bytes(staged), method, fp32_onnx


def _named_nodes(path: str, out: str) -> str:
    """A copy whose nodes all have unique names (the quantizer keys its choices by node name)."""
    import onnx

    m = onnx.load(path)
    seen = set()
    for i, n in enumerate(m.graph.node):
        if not n.name or n.name in seen:
            n.name = f"{n.op_type}_{i}"
        seen.add(n.name)
    onnx.save(m, out)
    return out


def _feeds_runner(path: str):
    """feeds -> {output name: array} for an ONNX file on ONNX Runtime's CPU provider."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return lambda feeds: dict(zip(names, sess.run(None, feeds)))


def _input_convs(path: str, input_name: str) -> list[str]:
    """Names of the Conv nodes that read the image input directly (kept in float, see the module doc)."""
    import onnx

    g = onnx.load(path, load_external_data=False).graph
    return [n.name for n in g.node if n.op_type == "Conv" and n.input and n.input[0] == input_name]


def _onnx_bytes(path: str) -> int:
    """Size of an ONNX model with its external data file (`<name>.data`), if any."""
    data = path + ".data"
    return os.path.getsize(path) + (os.path.getsize(data) if os.path.exists(data) else 0)


def _move_into_place(pairs) -> None:
    """Publish the (staged, final) files together (c2core.io.publish: all or nothing, root last)."""
    from ..io.publish import Staging

    folder = os.path.dirname(os.path.abspath(pairs[-1][1]))
    with Staging(folder, pairs[-1][1]) as st:
        moves = []
        for i, (src, dst) in enumerate(pairs):
            staged = st.path(f"{i}-{os.path.basename(dst)}")
            shutil.copyfile(src, staged)
            moves.append((staged, dst))
        st.publish(moves)


def _runner(engine: str, path: str):
    """A callable feeds -> first output (float32) for a model file on `engine`, CPU, FP32 arithmetic."""
    if engine == "openvino":
        import openvino as ov

        compiled = ov.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        req = compiled.create_infer_request()
        return lambda feeds: np.array(req.infer(feeds)[compiled.outputs[0]], dtype=np.float32)
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4  # errors come back as exceptions (one C2Error line); the log would print them twice
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return lambda feeds: np.asarray(sess.run(None, feeds)[0], dtype=np.float32)


CONFIDENT = 0.5  # FP32 top-1 probability above which an image counts as "confident"


def _agreement(got, ref):
    """(top-1, top-5, max |diff|, mean |diff|, (top-1 on confident images, their count))."""
    from .agreement import topk_agreement

    g = np.concatenate([a.reshape(a.shape[0], -1) for a in got])
    r = np.concatenate([a.reshape(a.shape[0], -1) for a in ref])
    diff = np.abs(g.astype(np.float64) - r)
    if g.shape[1] < 2:
        return float("nan"), float("nan"), float(diff.max()), float(diff.mean()), (float("nan"), 0)
    top1, top5, _ = topk_agreement(g, r)
    probs = r if (r.min() >= 0 and np.allclose(r.sum(1), 1, atol=1e-3)) else _softmax(r)
    sure = probs.max(1) >= CONFIDENT
    conf = (topk_agreement(g[sure], r[sure])[0], int(sure.sum())) if sure.any() else (float("nan"), 0)
    return top1, top5, float(diff.max()), float(diff.mean()), conf


def _softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _latencies(a, b, feeds, runs: int) -> tuple[float, float]:
    """p50 in ms of two runners, interleaved run by run so both see the same machine load."""
    for _ in range(3):
        a(feeds), b(feeds)
    ta, tb = [], []
    for _ in range(max(1, runs)):
        t = time.perf_counter()
        a(feeds)
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        b(feeds)
        tb.append(time.perf_counter() - t)
    return statistics.median(ta) * 1e3, statistics.median(tb) * 1e3


# ----- sidecar -----------------------------------------------------------------------------


def write_sidecar(source, artifact: str, input_name: str, input_shape, quantization: dict) -> str | None:
    """model.json beside `artifact`: the source's sidecar (preprocessing, labels, input)
    plus what was quantized how; a labels file it names is copied too. Atomic."""
    import json

    sc = dict(source.sidecar() or {})
    folder = os.path.dirname(os.path.abspath(artifact))
    if not sc:
        sc = {"format": "caffe2-studio-model/1", "name": source.name}
    for k in ("predict_net", "init_net"):
        sc.pop(k, None)  # the artifact is the model now
    sc["model"] = os.path.basename(artifact)
    # the artifact's input, so a reader of the file alone fits preprocessing to it
    sc["input"] = dict(sc.get("input") or {}) | {"name": input_name, "shape": [int(d) for d in input_shape]}
    sc["quantization"] = quantization
    labels = sc.get("labels")
    if isinstance(labels, str) and labels != "imagenet" and source.folder:
        src = os.path.join(source.folder, labels)
        if os.path.isfile(src) and os.path.abspath(src) != os.path.join(folder, labels):
            _move_into_place([(src, os.path.join(folder, os.path.basename(labels)))])
            sc["labels"] = os.path.basename(labels)
    path = os.path.join(folder, "model.json")
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(sc, f, indent=2)
    os.replace(tmp, path)
    return path
