"""Benchmark latency (p50/p90/p99), throughput and peak memory per backend.

`c2core bench PATH [--backends c2,onnxruntime,openvino] [--batch N] [--runs N] [--json]`
Each backend is prepared, warmed up, then timed over --runs batches, by
default in its own subprocess so that its peak memory (peak RSS, VmHWM) is its own.
--json prints a list of {"backend", "precision", "batch", "p50_ms", "p90_ms",
"p99_ms", "throughput", "peak_mb"}; progress goes to stderr.
"""

from __future__ import annotations

import json
import sys

from .inputs import add_shape_arguments


def add_arguments(p) -> None:
    from .calib_options import add_calib_arguments

    p.add_argument("model", metavar="PATH", help="Caffe2 model (file or folder) or .onnx")
    p.add_argument("--backends", help="comma-separated NAME[:PRECISION] (default: every available CPU backend)")
    p.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    p.add_argument("--runs", type=int, default=50, help="timed runs per backend (default 50)")
    p.add_argument("--warmup", type=int, default=5, help="untimed runs first (default 5)")
    p.add_argument("--threads", type=int, help="threads per engine (default: each engine's own default)")
    p.add_argument("--in-process", action="store_true",
                   help="run all backends in this process (peak memory = sampled RSS growth instead of the isolated process peak RSS)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_calib_arguments(p)
    add_shape_arguments(p)


def run(args) -> int:
    from c2core.backends import parse_specs
    from c2core.benchmark import benchmark, default_specs, format_table
    from c2core.cli.calib_options import calib_options
    from c2core.errors import C2Error, about
    from c2core.tasks import stderr_progress

    for option, value, least in (("--batch", args.batch, 1), ("--runs", args.runs, 1), ("--warmup", args.warmup, 0)):
        if value < least:
            raise C2Error(f"must be at least {least}, not {value}", option)
    if args.backends:
        with about("--backends"):
            specs = parse_specs(args.backends)
    else:
        specs = default_specs()
    with about(args.model):
        warnings: list = []
        results = benchmark(args.model, specs, batch=args.batch, runs=args.runs, warmup=args.warmup,
                            threads=args.threads, isolate=not args.in_process, progress=stderr_progress(),
                            input_shapes=args.input_shape, value_info=args.value_info, warnings=warnings,
                            backend_options=calib_options(args, specs))
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    for r in results:
        if r.status != "ok":
            print(f"warning: {r.backend}: {r.status}: {r.error}", file=sys.stderr)
    if args.json:
        json.dump([r.public() for r in results if r.status == "ok"], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(results))
    if not any(r.status == "ok" for r in results):
        raise C2Error("no backend could be benchmarked", args.model)
    return 0
