"""`c2core convert --to openvino`: OpenVINO IR (.xml + .bin) with FP32 or FP16 weights.

The weight precision is always explicit (--precision fp32 by default; OpenVINO
itself would silently compress to FP16). The IR is checked against the
executor before it is moved onto OUT; the parity report is printed.
"""

from __future__ import annotations

PRECISION_HELP = ("weights/arithmetic: openvino fp32|fp16 (FP16 weights)|int8 (NNCF PTQ, --calib), onnx fp32|int8 "
                  "(ORT static QDQ, --calib), tensorrt fp32|fp16|int8 (default fp32)")


def add_precision(p) -> None:
    """--precision, shared by the onnx, openvino and tensorrt targets (defined once by convert)."""
    p.add_argument("--precision", choices=("fp32", "fp16", "int8"), default="fp32", help=PRECISION_HELP)


def add_target_arguments(p) -> None:
    """OpenVINO takes only the shared options (--precision, the int8 group)."""


def run_task(fn, name: str):
    """Run a pipeline entry point as a Task with progress on stderr."""
    from c2core.tasks import Task, stderr_progress

    return Task(fn, name=name, on_progress=stderr_progress()).run()


def convert_target(model, args):
    from c2core.cli.inputs import model_input_shapes, parse_input_files
    from c2core.errors import C2Error
    from c2core.pipeline import to_openvino

    if args.precision == "int8":
        from .convert_int8 import convert_int8

        return convert_int8(model, args, "openvino")
    if args.precision not in ("fp32", "fp16"):
        raise C2Error(f"OpenVINO IR weights are fp32, fp16 or int8, not {args.precision}", "--precision")
    inputs = parse_input_files(args.input, model.data_inputs)
    shapes = model_input_shapes(model, args.input_shape, inputs)
    rep = run_task(lambda progress, cancel: to_openvino(
        model, args.output, precision=args.precision, dynamic_batch=args.dynamic_batch, input_shapes=shapes or None,
        opset=args.opset, verify=args.verify, rtol=args.rtol, seed=args.seed, keep_failed=args.keep_failed,
        progress=progress, cancel=cancel, inputs=inputs or None), "convert-openvino")
    print(f"wrote {rep.outputs[0]} + {rep.outputs[1]}: {args.precision} weights ({rep.details['bin_bytes']:,} bytes), "
          f"{'dynamic' if args.dynamic_batch else 'static'} batch")
    return rep
