"""`c2core convert --to tensorrt`: a TensorRT plan + sidecar JSON, built on this GPU.

--precision fp32|fp16|int8 (int8: TensorRT 10 with --calib FOLDER of images),
--workspace-mb, --timing-cache FILE (reused and updated), --dynamic-batch with
--batch-range MIN,OPT,MAX (an optimisation profile). The plan's sidecar
records TensorRT version, GPU, compute capability, precision and input shapes;
plans only load on the same TensorRT version and GPU.
"""

from __future__ import annotations

from .convert_openvino import run_task


def add_target_arguments(p) -> None:
    g = p.add_argument_group("tensorrt target")
    g.add_argument("--workspace-mb", type=int, default=1024, help="builder workspace limit in MiB (default 1024)")
    g.add_argument("--timing-cache", metavar="FILE", help="TensorRT timing cache to reuse and update")
    g.add_argument("--calib-batch", type=int, default=8,
                   help="int8: calibration images read at a time (default 8); TensorRT is fed batches of the "
                        "model's own input shape, every image used")
    g.add_argument("--batch-range", metavar="MIN,OPT,MAX", help="with --dynamic-batch: profile batch sizes (default 1,1,32)")


def parse_batch_range(text):
    from c2core.errors import C2Error

    if text is None:
        return None
    try:
        lo, opt, hi = (int(x) for x in text.split(","))
    except ValueError:
        raise C2Error(f"expected MIN,OPT,MAX (e.g. 1,8,32), got '{text}'", "--batch-range") from None
    return lo, opt, hi


def convert_target(model, args):
    from c2core.cli.inputs import model_input_shapes, parse_input_files
    from c2core.pipeline import to_tensorrt

    inputs = parse_input_files(args.input, model.data_inputs)
    shapes = model_input_shapes(model, args.input_shape, inputs)
    rep = run_task(lambda progress, cancel: to_tensorrt(
        model, args.output, precision=args.precision, dynamic_batch=args.dynamic_batch,
        batch_range=parse_batch_range(args.batch_range), input_shapes=shapes or None, opset=args.opset,
        workspace_mb=args.workspace_mb, timing_cache=args.timing_cache, calib_dir=args.calib,
        calib_batch=args.calib_batch, verify=args.verify, rtol=args.rtol, seed=args.seed,
        keep_failed=args.keep_failed, progress=progress, cancel=cancel, inputs=inputs or None), "convert-tensorrt")
    info = rep.details["plan"]
    print(f"wrote {rep.outputs[0]} + {rep.outputs[1]}: TensorRT {info.tensorrt}, {info.gpu} (sm {info.compute_capability}), "
          f"{info.precision}, built in {info.build_seconds:.1f} s")
    if info.calibration:
        c = info.calibration
        print(f"calibrated on {c['samples']} images ({c['tensors']} batches of {list(c['shape'].values())[0]})")
    import sys

    for w in info.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return rep
