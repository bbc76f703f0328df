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
    """Run a deploy job as a Task with progress on stderr; print its parity report."""
    from c2core.backends.deploy import ParityFailed
    from c2core.tasks import Task, stderr_progress

    task = Task(fn, name=name, on_progress=stderr_progress())
    try:
        return task.run()
    except ParityFailed as e:
        print(e.report.format())
        raise


def convert_target(model, args) -> int:
    from c2core.backends.deploy import to_openvino
    from c2core.cli.inputs import model_input_shapes, parse_input_files
    from c2core.errors import C2Error

    if args.precision not in ("fp32", "fp16"):
        raise C2Error(f"OpenVINO IR weights are fp32 or fp16, not {args.precision}", "--precision")
    inputs = parse_input_files(args.input, model.data_inputs)
    shapes = model_input_shapes(model, args.input_shape, inputs)
    res = run_task(lambda progress, cancel: to_openvino(
        model, args.output, precision=args.precision, dynamic_batch=args.dynamic_batch, input_shapes=shapes or None,
        opset=args.opset, verify=args.verify, rtol=args.rtol, seed=args.seed, keep_failed=args.keep_failed,
        progress=progress, cancel=cancel, inputs=inputs or None), "convert-openvino")
    print(f"wrote {res.outputs[0]} + {res.outputs[1]}: {args.precision} weights ({res.details['bin_bytes']:,} bytes), "
          f"{'dynamic' if args.dynamic_batch else 'static'} batch")
    print(res.report.format() if res.report is not None else "verification skipped (--no-verify)")
    args._outcome = (list(res.outputs), res.report)
    return 0
