#!/usr/bin/env python3
"""Real TensorRT check on a machine with an NVIDIA GPU: `make gpu-check` (or run this file).

Builds FP32, FP16 and INT8 plans of the default model
(~/.cache/caffe2-studio/models/efficientnet-lite0, `make default-model`)
through `c2core.backends.deploy.to_tensorrt` (export, build, parity against
the Caffe2 executor), then benchmarks each plan, and writes a report:
  <out>/tensorrt-check.json  and  <out>/tensorrt-check.txt
(default out: ./gpu-check-report). INT8 is calibrated on images synthesised
here from smooth random fields (no data set download), so its parity only
shows the calibration ran; use --calib FOLDER for real images. INT8 is
skipped, with the reason, on TensorRT 11 (no implicit calibration).

Exit status: 0 all precisions within tolerance, 1 a failure, 77 nothing to
check here (no GPU / TensorRT / cuda-python: the reason is printed and
written to the report). Under `make test` / pytest, tests/gpu/test_gpu_check.py
runs this only where TensorRT is available and skips with the reason elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:  # run as is from a checkout: this checkout's c2core
    sys.path.insert(0, ROOT)
SKIP = 77
DEFAULT_MODEL = os.path.expanduser("~/.cache/caffe2-studio/models/efficientnet-lite0")


def _write(out_dir: str, report: dict) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tensorrt-check.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, default=str)
        f.write("\n")
    lines = [f"TensorRT check: {report['status']}", f"  model: {report.get('model')}",
             f"  TensorRT {report.get('tensorrt', '?')} on {report.get('gpu', '?')} (sm {report.get('cc', '?')}), "
             f"CUDA memory via {report.get('cuda_memory', '?')}"]
    if report.get("fake"):
        lines.insert(1, f"  {report['fake']}")
    if report.get("reason"):
        lines.append(f"  reason: {report['reason']}")
    for p, r in report.get("precisions", {}).items():
        if r.get("status") == "skipped":
            lines.append(f"  {p:5s} skipped: {r['reason']}")
            continue
        if r.get("status") == "error":
            lines.append(f"  {p:5s} ERROR: {r['error']}")
            continue
        lines.append(f"  {p:5s} {r['status']:4s} max rel err {r['max_rel_err']:.3g} (tol {r['rtol']:g}), "
                     f"build {r['build_s']:.1f} s, plan {r['plan_mb']:.1f} MB, "
                     f"median {r['median_ms']:.3f} ms/batch ({r['images_per_s']:.0f} img/s at batch {r['batch']})")
    with open(os.path.join(out_dir, "tensorrt-check.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def _synthetic_images(folder: str, n: int, size: int, seed: int = 0) -> str:
    """Smooth random RGB images (low-frequency fields), a stand-in for photos in calibration."""
    import numpy as np
    from PIL import Image

    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        low = rng.uniform(0, 255, (8, 8, 3)).astype(np.uint8)
        Image.fromarray(low).resize((size, size), Image.BICUBIC).save(os.path.join(folder, f"calib{i:03d}.png"))
    return folder


def _convert(model, plan, precision, shapes, calib, timing_cache, inputs):
    """Caffe2 -> plan through the one conversion path (c2core.pipeline; c2core.backends.deploy before it),
    kept even when parity fails so it can be benchmarked: (result or None, parity report)."""
    kw = dict(precision=precision, input_shapes=shapes, calib_dir=calib, timing_cache=timing_cache, keep_failed=True,
              inputs=inputs,
              progress=lambda f, m: print(f"  [{precision}] {m}", file=sys.stderr))
    try:
        from c2core.pipeline import ConversionFailed as Failed
        from c2core.pipeline import to_tensorrt
    except ImportError:
        from c2core.backends.deploy import ParityFailed as Failed
        from c2core.backends.deploy import to_tensorrt
    try:
        res = to_tensorrt(model, plan, **kw)
    except Failed as e:
        rep = e.report
        return (rep if hasattr(rep, "details") else None), getattr(rep, "parity", rep)
    return res, getattr(res, "parity", None) or res.report


def _parity_numbers(par) -> dict:
    """max relative error, tolerance and verdict from either parity report shape."""
    if hasattr(par, "results"):  # compare.CompareReport
        r = par.results[0]
        if r.status not in ("ok", "mismatch"):
            raise RuntimeError(f"parity run {r.status}: {r.error}")
        diffs = [(d.rel, d.tolerance) for d in r.outputs]
    else:  # parity.ParityReport
        if not par.outputs:
            raise RuntimeError(f"parity run failed: {getattr(par, 'error', '?')}")
        diffs = [(o.max_rel, o.tolerance) for o in par.outputs]
    return {"max_rel_err": max(d for d, _ in diffs), "rtol": max(t for _, t in diffs), "parity_ok": bool(par.ok),
            "parity": par.to_dict() if hasattr(par, "to_dict") else str(par)}


def _bench(plan: str, shapes: dict, seconds: float) -> dict:
    import numpy as np

    from c2core.backends import ModelSource, create

    batch = next(iter(shapes.values()))[0]
    rng = np.random.default_rng(0)
    x = {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
    with ModelSource.open(plan) as src, create("tensorrt") as be:
        be.prepare(src)
        for _ in range(5):
            be.run(x)
        times = []
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end and len(times) < 2000:
            t0 = time.perf_counter()
            be.run(x)
            times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    return {"runs": len(times), "median_ms": med * 1e3, "p90_ms": float(np.percentile(times, 90)) * 1e3,
            "images_per_s": batch / med}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.environ.get("C2STUDIO_DEFAULT_MODEL", DEFAULT_MODEL))
    ap.add_argument("--out", default="gpu-check-report")
    ap.add_argument("--precisions", default="fp32,fp16,int8")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--calib", help="folder of calibration images (default: 64 synthetic ones)")
    ap.add_argument("--bench-seconds", type=float, default=3.0)
    args = ap.parse_args(argv)

    from c2core.backends.tensorrt import trt_availability

    report = {"status": "skipped", "model": args.model, "host": platform.node(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "precisions": {}}
    av = trt_availability()
    if not av.ok:
        report["reason"] = f"TensorRT unavailable: {av.reason}"
        _write(args.out, report)
        return SKIP
    if not os.path.isfile(os.path.join(args.model, "predict_net.pb")):
        report["reason"] = f"default model not found at {args.model} (run `make default-model`)"
        _write(args.out, report)
        return SKIP

    from c2core.backends.cuda_memory import open_cuda
    from c2core.io import open_model

    cuda = open_cuda()
    gpu, cc = cuda.device(0)
    report.update(tensorrt=av.version, gpu=gpu, cc=cc, cuda_memory=cuda.kind, status="pass")
    import tensorrt

    if os.sep + "fakes" + os.sep in os.path.abspath(getattr(tensorrt, "__file__", "")):
        report["fake"] = "FAKE tensorrt/cuda-python from tests/fakes: a logic run, NOT a TensorRT pass; timings mean nothing"
    from c2core.backends import ModelSource

    model = open_model(args.model)
    with ModelSource.open(args.model) as src:
        shape = next(iter(src.input_shapes().values()), None)
    if not shape:
        report.update(status="FAIL", reason="the model declares no input shape (model.json 'input.shape')")
        _write(args.out, report)
        return 1
    shapes = {model.data_inputs[0]: (args.batch,) + tuple(shape[1:])}
    calib = args.calib or _synthetic_images(os.path.join(args.out, "calib-images"), 64, int(shape[-1]))
    # parity on preprocessed images (the input range the model and the INT8 calibration expect), not N(0, 1)
    from c2core.backends.calibration import CalibrationBatches

    with ModelSource.open(args.model, batch=args.batch) as src:
        folder = _synthetic_images(os.path.join(args.out, "parity-images"), args.batch, int(shape[-1]), seed=1)
        parity_inputs = {model.data_inputs[0]: next(iter(CalibrationBatches.for_source(folder, src, args.batch)))}
    report["parity_inputs"] = f"{args.batch} synthetic images through the model's preprocessing"
    for precision in [p.strip() for p in args.precisions.split(",") if p.strip()]:
        entry = report["precisions"][precision] = {"batch": args.batch}
        if precision == "int8" and int(av.version.split(".")[0]) >= 11:
            entry.update(status="skipped", reason=f"TensorRT {av.version} has no implicit INT8 calibration")
            continue
        plan = os.path.join(args.out, f"{os.path.basename(os.path.normpath(args.model))}-{precision}.plan")
        t0 = time.perf_counter()
        try:
            res, par = _convert(model, plan, precision, shapes, calib if precision == "int8" else None,
                                os.path.join(args.out, "timing.cache"), parity_inputs)
            entry["build_s"] = time.perf_counter() - t0
            entry.update(_parity_numbers(par))
            entry["plan_mb"] = os.path.getsize(plan) / 1e6 if os.path.exists(plan) else 0.0
            info = (getattr(res, "details", None) or {}).get("plan")
            entry["sidecar"] = getattr(info, "__dict__", None)
            entry.update(_bench(plan, shapes, args.bench_seconds))
            entry["status"] = "pass" if entry["parity_ok"] else "FAIL"
        except Exception as e:  # noqa: BLE001 - the report must say what broke, then go on
            entry.update(status="error", error=f"{type(e).__name__}: {e}", trace=traceback.format_exc())
        if entry["status"] != "pass":
            report["status"] = "FAIL"
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write(args.out, report)
    return 0 if report["status"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
