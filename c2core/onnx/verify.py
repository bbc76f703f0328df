"""Prove an ONNX export: run ONNX Runtime and the c2core executor on the same inputs.

Each external output is judged by `c2core.parity.compare_output` (the one
definition shared with compare and the deploy gates: max_rel = max|got - ref|
/ max(max|ref|, 1e-30); float outputs pass when max_rel <= rtol, default 1e-4;
integer and boolean outputs must match exactly, max_abs <= int_atol, default 0;
NaN only where the reference has NaN); the report is a `parity.ParityReport`.

Caffe2 Int8 nets: an `int8="exact"` export must reproduce every value (rtol
0, int_atol as given, default 0). The 'qdq' and 'float' forms round in float
where Caffe2 (QNNPACK) requantizes in fixed point; they are approximate by
design, and their quantized outputs (uint8, or floats from Int8Dequantize)
are judged in quantization steps and top-1 agreement instead of rtol
(quantize/agreement.py states the criterion; `max_steps` sets its bound).

Inputs not given are drawn with a fixed seed (standard normal for floats,
integers in [0, 10) otherwise); a given input may be an array, a `.npy` file,
or an image file (resized to the input's H x W, HWC RGB -> NCHW float32 in
0..255, no mean or scaling: give a .npy for preprocessed data).
"""

from __future__ import annotations

import os
import time

import numpy as np

from ..errors import C2Error

from ..io.user_files import IMAGE_EXTS
from ..parity import TINY, OutputParity, ParityReport, compare_output  # noqa: F401  (TINY: the documented constant)


def model_preprocess(model_path: str | None):
    """The preprocessing a model's sidecar (model.json beside it) declares, or None.

    Verification then feeds a user's image exactly as classification would,
    so the comparison runs on in-distribution activations.
    """
    if not model_path:
        return None
    from ..preprocess.presets import from_sidecar
    from ..io.sidecar import read_sidecar

    return from_sidecar(read_sidecar(model_path))


def load_input(value, shape, dtype, preprocess=None) -> tuple[np.ndarray, str]:
    """(array, description) for a user-given input: array, .npy path or image path.

    An image goes through `preprocess` (a classify.Preprocess, e.g. from the
    model's sidecar) when given, else it is resized to H x W as RGB 0..255.
    """
    if isinstance(value, np.ndarray):
        return value, f"array {list(value.shape)} {value.dtype}"
    path = os.fspath(value)
    low = path.lower()
    if low.endswith(".npy"):
        from ..io.npy import load_npy

        arr = load_npy(path)
        return arr, f"file {os.path.basename(path)}"
    if low.endswith(IMAGE_EXTS):
        if shape is None or len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]):
            raise C2Error("an image input needs a static N x C x H x W input shape", path)
        if preprocess is not None and shape[1] == 3 and shape[2] == shape[3]:
            from ..preprocess.images import load_image

            one = preprocess.for_input_size(int(shape[2])).apply(load_image(path))[None]
            arr = np.repeat(one, shape[0] if isinstance(shape[0], int) else 1, axis=0)
            return arr.astype(dtype), f"image {os.path.basename(path)} ({preprocess.name} preprocessing, {shape[2]}x{shape[3]})"
        from PIL import Image

        from ..preprocess.images import load_image

        img = load_image(path).resize((shape[3], shape[2]), Image.BILINEAR)
        arr = np.asarray(img, dtype=np.float32).transpose(2, 0, 1)[None]
        if shape[1] != 3:
            raise C2Error(f"image has 3 channels, the input expects {shape[1]}", path)
        arr = np.repeat(arr, shape[0] if isinstance(shape[0], int) else 1, axis=0)
        return arr.astype(dtype), f"image {os.path.basename(path)} ({shape[2]}x{shape[3]}, RGB 0..255)"
    raise C2Error("input files must be .npy arrays or images", path)


def random_input(shape, dtype, rng) -> np.ndarray:
    from .. import budget

    budget.check_shape(shape, np.dtype(dtype).itemsize * 2, "random verification input")
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(0, 10, shape).astype(dtype)


def _session(onnx_model):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4  # errors come back as exceptions (one C2Error line); the log would print them twice
    if isinstance(onnx_model, (str, os.PathLike)):
        return ort.InferenceSession(os.fspath(onnx_model), opts, providers=["CPUExecutionProvider"])
    return ort.InferenceSession(onnx_model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _executor_reference(model):
    try:
        from ..runtime import Predictor
    except ImportError as e:  # pragma: no cover - the runtime ships with c2core
        raise C2Error(f"the c2core executor is unavailable ({e}); cannot verify") from None
    pred = Predictor(model)
    return lambda feeds: pred.run(feeds)


def verify_onnx(model, onnx_model, inputs=None, rtol: float = 1e-4, *, seed: int = 0, int_atol: float = 0,
                reference=None, batch: int | None = None, samples: int | None = None,
                max_steps: float | None = None) -> ParityReport:
    """Run `onnx_model` (a path or ModelProto) in ONNX Runtime and `model` in the
    reference (default: the c2core executor) on the same inputs; compare outputs.

    inputs: {name: array | .npy path | image path}; the rest are random (seed).
    reference: optional callable feeds -> {output: array} replacing the executor.
    batch: size for a symbolic batch dimension (default 1).

    Exports of Caffe2 Int8 nets (metadata written by the exporter) are judged
    by their form: 'exact' must be identical; 'qdq' and 'float' are measured in
    quantization steps and top-1/top-5 agreement (quantize.agreement) over
    `samples` runs (default 8 when every input is random, else 1).
    """
    import onnxruntime as ort

    try:
        sess = _session(onnx_model)
    except Exception as e:  # noqa: BLE001 - ONNX Runtime's own exception types
        from ..engine_errors import engine_failure

        raise engine_failure(e, "ONNX Runtime", "loading the converted model",
                             getattr(model, "predict_net", None)) from e
    rng = np.random.default_rng(seed)
    given = dict(inputs or {})
    feeds, described = {}, {}
    for i in sess.get_inputs():
        dtype = _np_dtype(i.type)
        shape = [d if isinstance(d, int) else (batch or 1) for d in i.shape]
        if i.name in given:
            value = given.pop(i.name)
            arr, desc = load_input(value, shape, dtype, model_preprocess(getattr(model, "predict_path", None)))
            arr = np.asarray(arr)
            if arr.dtype != dtype:
                arr = arr.astype(dtype)
            if len(arr.shape) != len(shape) or any(isinstance(d, int) and d != a for d, a in zip(i.shape, arr.shape)):
                raise C2Error(f"input '{i.name}' has shape {list(arr.shape)}, the ONNX model expects {list(i.shape)}",
                              None if isinstance(value, np.ndarray) else os.fspath(value))
        else:
            arr, desc = random_input(shape, dtype, rng), f"random {'normal' if dtype.kind == 'f' else 'integers'} {shape}, seed {seed}"
        feeds[i.name] = arr
        described[i.name] = desc
    if given:
        raise C2Error(f"input(s) {', '.join(sorted(given))} are not inputs of the ONNX model "
                      f"(those are: {', '.join(i.name for i in sess.get_inputs())})")
    qouts = _quantized_outputs(sess)
    forms = {q.get("form") for q in qouts.values()}
    form = next(iter(forms)) if len(forms) == 1 else None
    approximate = form in ("qdq", "float")
    if samples is None:
        samples = 8 if approximate and all(d.startswith("random") for d in described.values()) else 1
    samples = max(1, int(samples))
    ref_fn = reference or _executor_reference(model)
    runs, t_ort, t_ref = [], 0.0, 0.0
    for k in range(samples):
        if k:
            feeds = {n: (random_input(a.shape, a.dtype, rng) if described[n].startswith("random") else a)
                     for n, a in feeds.items()}
        t0 = time.perf_counter()
        try:
            got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
        except Exception as e:  # noqa: BLE001 - ONNX Runtime's own exception types
            from ..engine_errors import engine_failure

            raise engine_failure(e, "ONNX Runtime", "running the converted model",
                                 getattr(model, "predict_net", None)) from e
        t1 = time.perf_counter()
        try:
            ref = ref_fn({k2: v.copy() for k2, v in feeds.items()})
        except C2Error as e:
            raise _on_random_data(e, described) from None
        t_ort, t_ref = t_ort + t1 - t0, t_ref + time.perf_counter() - t1
        runs.append((got, ref))
    got, ref = runs[0]
    checks = []
    # Graph outputs follow the net's external_output order (a pass-through
    # output may carry a suffixed name), so they are matched by position.
    onnx_names = [o.name for o in sess.get_outputs()]
    for k, name in enumerate(model.external_outputs):
        onnx_name = onnx_names[k] if k < len(onnx_names) else None
        if onnx_name is None or name not in ref:
            where = "the ONNX model" if onnx_name is None else "the reference"
            checks.append(OutputParity(name, (), (), float("inf"), float("inf"), False, f"missing from {where}"))
            continue
        q = qouts.get(onnx_name)
        gs, rs = [], []
        for g_run, r_run in runs:
            r = np.asarray(r_run[name])
            if q is not None and r.dtype == np.uint8 and g_run[onnx_name].dtype.kind == "f":
                # float-form Int8 export: compare with the real value of the executor's uint8 blob
                r = ((r.astype(np.float64) - q["zero_point"]) * q["scale"]).astype(np.float32)
            gs.append(np.asarray(g_run[onnx_name]))
            rs.append(r)
        checks.append(_judge(name, gs, rs, q, form, rtol, int_atol,
                             steps_bound(max_steps) if approximate else None))
    return ParityReport(checks, rtol, described, reference="c2core executor" if reference is None else "reference",
                        runtime=f"onnxruntime {ort.__version__}",
                        seconds={"onnxruntime": t_ort, "reference": t_ref}, int8_form=form,
                        max_steps=steps_bound(max_steps) if approximate else None, samples=samples)


def _on_random_data(e: C2Error, described: dict) -> C2Error:
    """The reference failing on random verification inputs (RoIs of negative size, indices out
    of range...) is the data's fault, not the model's: say so and how to give real inputs."""
    randoms = [n for n, d in described.items() if str(d).startswith("random")]
    if not randoms:
        return e
    reason = (f"{e.reason} (verification ran on random data for {', '.join(randoms)}: if real data avoids "
              f"this, give it with --input NAME=FILE.npy)")
    out = type(e)(reason, e.path) if type(e).__init__ is C2Error.__init__ else C2Error(reason, e.path)
    return out


def steps_bound(max_steps):
    from ..quantize.agreement import DEFAULT_MAX_STEPS

    return DEFAULT_MAX_STEPS if max_steps is None else float(max_steps)


def _judge(name, gs, rs, q, form, rtol, int_atol, max_steps) -> OutputParity:
    """One output over every run: exact forms must be identical, approximate
    Int8 outputs pass on the step/top-k criterion, the rest on rtol."""
    import dataclasses

    bad = [k for k, (g, r) in enumerate(zip(gs, rs)) if g.shape != r.shape]
    if bad:
        return compare_output(name, gs[bad[0]], rs[bad[0]], rtol, int_atol=int_atol)
    # exact form: the Int8 outputs (uint8, or dequantized values) must be identical; a float op
    # computed after dequantization (a float Softmax...) runs ORT's float kernels vs torch's: rtol
    exact = form == "exact" and q is not None
    c = compare_output(name, np.stack(gs), np.stack(rs), 0.0 if exact else rtol, int_atol=int_atol)
    c = dataclasses.replace(c, shape=tuple(gs[0].shape), ref_shape=tuple(rs[0].shape))
    if form == "exact":
        if q is None:
            return c
        if not c.ok and "NaN" not in c.note:
            c.note = f"not bit-exact: differs by {c.max_abs:g}"
        return c
    if q is None or max_steps is None or "NaN" in c.note:
        return c
    from ..quantize.agreement import agreement

    step = 1.0 if gs[0].dtype == np.uint8 else float(q["scale"])
    a = agreement(gs, rs, step)
    ok = a.ok(max_steps)
    note = ""
    if not ok:
        note = (f"top-1 agrees on {a.top1:.0%} of inputs" if a.top1 is not None and a.top1 < 1
                else f"p99 {a.steps_p99:g} steps > {max_steps:g}")
    return dataclasses.replace(c, ok=ok, note=note, agreement=a, kind="quantized", max_steps=a.steps_max,
                               top1_agreement=a.top1, topk_overlap=a.top5, top_k=5 if a.top5 is not None else None)


def quantized_outputs_of(onnx_path) -> dict:
    """The exporter's Int8 output metadata (name -> scale, zero_point, form) of an ONNX
    file; {} when it has none or cannot be read."""
    import json

    import onnx

    from .export.net import QUANTIZED_OUTPUTS_KEY

    try:
        m = onnx.load(os.fspath(onnx_path), load_external_data=False)
    except Exception:  # noqa: BLE001 - no metadata is the answer for an unreadable file
        return {}
    for p in m.metadata_props:
        if p.key == QUANTIZED_OUTPUTS_KEY:
            try:
                q = json.loads(p.value)
            except ValueError:
                return {}
            return q if isinstance(q, dict) else {}
    return {}


def judge_quantized(outputs: list, got: dict, ref: dict, qouts: dict, rtol: float) -> list:
    """`compare_all`'s verdicts with each Int8 output of an approximate (qdq/float) export
    judged as `convert` judges it: in quantization steps and top-k agreement, since an
    engine's own Int8 arithmetic is not Caffe2's bit for bit. `compare` and the engine
    parity checks (OpenVINO, TensorRT) used to demand exactness there and fail every
    QNNPACK net that `convert --to onnx` had passed."""
    out = []
    for o in outputs:
        q = qouts.get(o.name)
        if not isinstance(q, dict) or q.get("form") not in ("qdq", "float") or o.name not in got or o.name not in ref:
            out.append(o)
            continue
        g, r = np.asarray(got[o.name]), np.asarray(ref[o.name])
        try:
            if r.dtype == np.uint8 and g.dtype.kind == "f":
                r = ((r.astype(np.float64) - float(q["zero_point"])) * float(q["scale"])).astype(np.float32)
            elif g.dtype == np.uint8 and r.dtype.kind == "f" and not q.get("dequantized"):
                g = ((g.astype(np.float64) - float(q["zero_point"])) * float(q["scale"])).astype(np.float32)
            out.append(_judge(o.name, [g], [r], q, q["form"], rtol, 0, steps_bound(None)))
        except (KeyError, TypeError, ValueError):
            out.append(o)
    return out


def _quantized_outputs(sess) -> dict:
    import json

    from .export.net import QUANTIZED_OUTPUTS_KEY

    meta = sess.get_modelmeta().custom_metadata_map or {}
    try:
        return json.loads(meta.get(QUANTIZED_OUTPUTS_KEY, "{}"))
    except ValueError:
        return {}


def _np_dtype(ort_type: str) -> np.dtype:
    table = {
        "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
        "tensor(int32)": np.int32, "tensor(int64)": np.int64, "tensor(int8)": np.int8, "tensor(uint8)": np.uint8,
        "tensor(bool)": np.bool_, "tensor(int16)": np.int16,
    }
    if ort_type not in table:
        raise C2Error(f"input type {ort_type} is not supported for verification")
    return np.dtype(table[ort_type])


def _with_shapes(model, input_shapes):
    """A shallow copy of `model` whose declared input shapes are the ones exported
    (the executor checks fed shapes against the declared ones)."""
    import copy

    m = copy.copy(model)
    vi = dict(model.value_info)
    for name, shape in input_shapes.items():
        vi[name] = (vi.get(name, (1, None))[0], [int(d) for d in shape])
    m.value_info = vi
    return m


def _example_batch(input_shapes, model):
    try:
        shapes = dict(model.input_shapes())
    except Exception:
        shapes = {}
    shapes.update(input_shapes or {})
    firsts = {tuple(s)[0] for s in shapes.values() if s}
    return next(iter(firsts)) if len(firsts) == 1 else None
