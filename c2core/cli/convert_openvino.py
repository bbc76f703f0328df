"""`c2core convert --to openvino`: OpenVINO IR (.xml + .bin) with FP32 or FP16 weights.

The weight precision is always explicit (--precision fp32 by default; OpenVINO
itself would silently compress to FP16). The IR is checked against the
executor before it is moved onto OUT; the parity report is printed.
"""

from __future__ import annotations

PRECISION_HELP = "weights/arithmetic: openvino fp32|fp16 (FP16 weights), tensorrt fp32|fp16|int8 (default fp32)"


def add_precision_once(p) -> None:
    """--precision is shared by the openvino and tensorrt targets: define it once."""
    if "--precision" not in p._option_string_actions:
        p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32", help=PRECISION_HELP)


def add_target_arguments(p) -> None:
    add_precision_once(p)


def run_task(fn, name: str):
    """Run a pipeline entry point as a Task with progress on stderr."""
    from c2core.tasks import Task, stderr_progress

    return Task(fn, name=name, on_progress=stderr_progress()).run()


def convert_target(model, args):
    from c2core.cli.inputs import parse_input_files, parse_input_shapes
    from c2core.pipeline import to_openvino

    shapes = parse_input_shapes(args.input_shape, model.data_inputs)
    inputs = parse_input_files(args.input, model.data_inputs)
    rep = run_task(lambda progress, cancel: to_openvino(
        model, args.output, precision=args.precision, dynamic_batch=args.dynamic_batch, input_shapes=shapes or None,
        opset=args.opset, verify=args.verify, rtol=args.rtol, seed=args.seed, keep_failed=args.keep_failed,
        progress=progress, cancel=cancel, inputs=inputs or None), "convert-openvino")
    print(f"wrote {rep.outputs[0]} + {rep.outputs[1]}: {args.precision} weights ({rep.details['bin_bytes']:,} bytes), "
          f"{'dynamic' if args.dynamic_batch else 'static'} batch")
    return rep
