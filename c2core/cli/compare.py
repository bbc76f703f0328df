"""Compare backends' outputs against the executor, with per-precision tolerances.

`c2core compare PATH --backends onnxruntime,openvino,openvino:fp16 [--reference c2]`
runs the same inputs (seeded random, or --input FILE: .npy array or image
preprocessed the model's way) on every backend and prints, per output, the max
absolute and relative error (max|got-ref| / max|ref|) and the tolerance used.
Exit 0 when all are within tolerance; 2 when one fails or differs.
Unavailable backends are listed with the reason and do not fail the run.
"""

from __future__ import annotations

import json
import sys


def add_arguments(p) -> None:
    p.add_argument("model", metavar="PATH", help="Caffe2 model (file or folder) or .onnx")
    p.add_argument("--backends", default="onnxruntime,openvino,openvino:fp16",
                   help="comma-separated NAME[:PRECISION] (default onnxruntime,openvino,openvino:fp16)")
    p.add_argument("--reference", default="c2", help="backend every other one is measured against (default c2)")
    p.add_argument("--batch", type=int, help="batch size (default: the model's declared shape)")
    p.add_argument("--input", metavar="FILE", help="input: a .npy array or an image (default: seeded N(0,1))")
    p.add_argument("--seed", type=int, default=0)
    for prec in ("fp32", "fp16", "int8"):
        p.add_argument(f"--rtol-{prec}", type=float, metavar="X", help=f"relative tolerance for {prec} backends")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def load_input_file(path: str, source) -> dict:
    """{input name: array} from a .npy file or an image (model preprocessing)."""
    import numpy as np

    from c2core.errors import C2Error

    names = source.input_names()
    if len(names) != 1:
        raise C2Error(f"--input needs a single-input model (this one has {len(names)})")
    if path.lower().endswith(".npy"):
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise C2Error(f"cannot read .npy: {e}", path) from None
        return {names[0]: arr.astype(np.float32) if arr.dtype.kind == "f" else arr}
    from c2core.classify import load_image, resolve_preprocess

    pre = resolve_preprocess(source)
    x = pre.apply(load_image(path))[None]
    if source.batch and source.batch > 1:
        x = np.repeat(x, source.batch, axis=0)
    return {names[0]: x}


def run(args) -> int:
    from c2core.backends import ModelSource, parse_specs
    from c2core.compare import compare_backends
    from c2core.errors import C2Error
    from c2core.tasks import stderr_progress

    specs = parse_specs(args.backends)
    if not specs:
        raise C2Error("--backends lists no backend")
    tol = {p: getattr(args, f"rtol_{p}") for p in ("fp32", "fp16", "int8") if getattr(args, f"rtol_{p}") is not None}
    with ModelSource.open(args.model, batch=args.batch) as src:
        inputs = load_input_file(args.input, src) if args.input else None
        report = compare_backends(src, specs, reference=parse_specs(args.reference)[0], inputs=inputs, seed=args.seed,
                                  tolerances=tol, progress=stderr_progress())
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(report.format())
    if not report.ok:
        names = ", ".join(r.backend for r in report.failures)
        raise C2Error(f"{len(report.failures)} backend(s) failed or outside tolerance: {names}", args.model)
    return 0
