"""INT8 post-training quantization on EfficientNet-Lite0: OpenVINO and ONNX Runtime vs FP32.

`python -m bench quantize [--model DIR] [--images DIR] [--calib-count N] [--runs N] [--json OUT]`

One run, both engines side by side, through the same `c2core.quantize.ptq.quantize`
that `c2core convert --precision int8` uses:
- p50 latency INT8 / FP32 on the same engine, batch 1, default threads, the
  two models' runs interleaved one by one (goals: OpenVINO <= 0.7x, ONNX
  Runtime <= 0.8x);
- weights size INT8 / FP32 (IR .bin, ONNX file; goal <= 0.3x);
- top-1 agreement with FP32 over the held-back images (goal >= 95%), plus
  top-5 and the agreement on images where FP32 is confident.
Images (default): 96 JPEGs made from scikit-image's photos of objects plus
crops, flips and rotations (bench/photos.py); the first --calib-count (48)
calibrate, the other 48 are held back. The CPU's int8 instruction sets
(VNNI / AMX) are printed, since INT8 speed-ups depend on them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

DEFAULT_MODEL = os.path.expanduser("~/.cache/caffe2-studio/models/efficientnet-lite0")
GOALS = {"openvino": 0.7, "onnxruntime": 0.8}
SIZE_GOAL, TOP1_GOAL = 0.3, 0.95


def cpu_int8_features() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((ln.split(":", 1)[1].split() for ln in f if ln.startswith("flags")), [])
    except OSError:
        return []
    return sorted({f for f in flags if "vnni" in f or f.startswith("amx") or f in ("avx512f", "avx2")})


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench quantize", description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--images", help="calibration + held-back images (default: generated from scikit-image photos)")
    ap.add_argument("--calib-count", type=int, default=48)
    ap.add_argument("--runs", type=int, default=50, help="timed runs per model (default 50)")
    ap.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from bench.backends import ensure_model
    from c2core.backends import ModelSource
    from c2core.quantize.ptq import quantize

    folder = ensure_model(args.model)
    tmp = tempfile.mkdtemp(prefix="bench-quantize-")
    images = args.images
    if images is None:
        from bench.photos import write_photos

        images = os.path.join(tmp, "photos")
        write_photos(images, 96)
    print(f"model {folder}\nimages {images} (first {args.calib_count} calibrate, the rest are held back)")
    print(f"CPU int8-relevant flags: {', '.join(cpu_int8_features()) or 'none found'}", flush=True)
    rows = {}
    with ModelSource.open(folder, batch=1) as src:
        for engine in ("openvino", "onnxruntime"):
            out = os.path.join(tmp, engine, "model.xml" if engine == "openvino" else "model.onnx")
            rep = quantize(src, engine, images, out, count=args.calib_count, latency_runs=args.runs)
            print(rep.format(), flush=True)
            rows[engine] = rep.to_dict()
    print()
    print(f"{'engine':<12} {'FP32 p50':>9} {'INT8 p50':>9} {'ratio':>6} {'goal':>6}   {'size':>5} {'goal':>5}   "
          f"{'top-1':>6} {'top-5':>6} {'goal':>5}")
    for engine, r in rows.items():
        lat_ok = r["latency_ratio"] <= GOALS[engine]
        size_ok = r["size_ratio"] <= SIZE_GOAL
        top_ok = r["top1_agreement"] >= TOP1_GOAL
        r["goals"] = {"latency_ratio": [GOALS[engine], lat_ok], "size_ratio": [SIZE_GOAL, size_ok],
                      "top1_agreement": [TOP1_GOAL, top_ok]}
        print(f"{engine:<12} {r['fp32_p50_ms']:>7.2f}ms {r['int8_p50_ms']:>7.2f}ms {r['latency_ratio']:>5.2f}x "
              f"{'<=' + format(GOALS[engine], 'g'):>6} {_verdict(lat_ok):>6}   {r['size_ratio']:>4.2f}x "
              f"{_verdict(size_ok):>6}   {r['top1_agreement']:>6.1%} {r['top5_agreement']:>6.1%} {_verdict(top_ok):>6}")
    missed = [f"{e} {k}" for e, r in rows.items() for k, (_, ok) in r["goals"].items() if not ok]
    if missed:
        print(f"goals missed: {', '.join(missed)}")
        if not any("vnni" in f or f.startswith("amx") for f in cpu_int8_features()):
            print("note: this CPU has no VNNI/AMX int8 dot-product instructions; INT8 kernels gain little here")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"images": images, "calib_count": args.calib_count, "cpu_flags": cpu_int8_features(),
                       "engines": rows}, f, indent=2)
    print(json.dumps({"engines": {e: {k: r[k] for k in ("latency_ratio", "size_ratio", "top1_agreement",
                                                          "top5_agreement")} for e, r in rows.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
