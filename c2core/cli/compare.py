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

from .inputs import add_shape_arguments


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
    add_shape_arguments(p)
    from .calib_options import add_calib_arguments

    add_calib_arguments(p)


def load_input_file(path: str, source) -> dict:
    """{input name: array} from a .npy file or an image (model preprocessing)."""
    import numpy as np

    from c2core.errors import C2Error

    names = source.input_names()
    if len(names) != 1:
        raise C2Error(f"needs a single-input model (this one has {len(names)})", "--input")
    if path.lower().endswith(".npy"):
        from c2core.io.npy import load_npy

        arr = load_npy(path)
        if source.model is not None and source.resolved().sources.get(names[0]) in (None, "inferred"):
            source.set_input_shapes({names[0]: arr.shape})  # the file's shape is the input's
        want = source.input_shapes().get(names[0])
        if want is not None and (arr.ndim != len(want) or tuple(arr.shape[1:]) != tuple(want[1:])):
            raise C2Error(f"has shape {list(arr.shape)}, input '{names[0]}' of the model is {list(want)} "
                          "(any batch size)", path)
        return {names[0]: arr.astype(np.float32) if arr.dtype.kind == "f" else arr}
    from c2core.classify import load_image, resolve_preprocess

    pre = resolve_preprocess(source)
    x = pre.apply(load_image(path))[None]
    if source.batch and source.batch > 1:
        x = np.repeat(x, source.batch, axis=0)
    return {names[0]: x}


def run(args) -> int:
    from c2core.backends import ModelSource, parse_specs
    from c2core.cli.calib_options import calib_options
    from c2core.compare import compare_backends
    from c2core.errors import C2Error, about
    from c2core.tasks import stderr_progress

    if args.batch is not None and args.batch < 1:
        raise C2Error(f"must be at least 1, not {args.batch}", "--batch")
    with about("--backends"):
        specs = parse_specs(args.backends)
    if not specs:
        raise C2Error("lists no backend", "--backends")
    with about("--reference"):
        reference = parse_specs(args.reference)[0]
    tol = {p: getattr(args, f"rtol_{p}") for p in ("fp32", "fp16", "int8") if getattr(args, f"rtol_{p}") is not None}
    with about(args.model), ModelSource.open(args.model, batch=args.batch, value_info=args.value_info) as src:
        src.set_input_shapes(args.input_shape)
        with about(args.input):
            inputs = load_input_file(args.input, src) if args.input else None
        src.input_shapes()  # resolve now: what was assumed is said before the backends run
        for w in src.warnings:
            print(f"warning: {w}", file=sys.stderr)
        report = compare_backends(src, specs, reference=reference, inputs=inputs, seed=args.seed,
                                  tolerances=tol, progress=stderr_progress(),
                                  backend_options=calib_options(args, specs + [reference]))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(report.format())
    if not report.ok:
        names = ", ".join(r.backend for r in report.failures)
        raise C2Error(f"{len(report.failures)} backend(s) failed or outside tolerance: {names}", args.model)
    return 0
