"""`c2core convert MODEL --to openvino|onnx --precision int8 --calib DIR -o OUT`:
post-training INT8 quantization for a CPU engine (c2core/quantize/ptq.py).

Options: --calib DIR (images; shared with the TensorRT target), --calib-count N
(default 300, or every image when fewer), --val DIR (held-back images for the
report; default: DIR's images not used for calibration), --preset NAME
(preprocessing when the model has no model.json). Prints the quantization
report; --json ends with one line {"target", "outputs", "quantization": {...}}.
"""

from __future__ import annotations

from ..errors import C2Error


def add_quant_arguments(p) -> None:
    """The int8 group, --calib included (TensorRT's INT8 calibration reads it too);
    defined once by convert, before the targets add theirs."""
    from ..preprocess.presets import PRESETS

    g = p.add_argument_group("int8 post-training quantization (--to openvino|onnx --precision int8)")
    g.add_argument("--calib", metavar="FOLDER", help="folder of calibration images (model preprocessing; TensorRT int8 too)")
    g.add_argument("--calib-count", type=int, default=300, metavar="N",
                   help="calibration images to use (default 300, or all when fewer)")
    g.add_argument("--val", metavar="DIR", help="held-back images for the report (default: calibration folder's unused ones)")
    g.add_argument("--preset", choices=sorted(PRESETS), help="preprocessing preset when the model has no model.json")


def convert_int8(model, args, engine: str):
    """Quantize; returns a pipeline ConvertReport whose details hold the quantization report."""
    from ..backends import ModelSource
    from ..quantize.ptq import quantize
    from .convert_openvino import run_task
    from .inputs import model_input_shapes

    if not getattr(args, "calib", None):
        raise C2Error("--precision int8 needs --calib DIR, a folder of calibration images", "--calib")
    shapes = model_input_shapes(model, args.input_shape, {})
    if getattr(args, "dynamic_batch", False):
        raise C2Error("--precision int8 writes a static batch-1 model; drop --dynamic-batch", "--dynamic-batch")
    with ModelSource(model=model, batch=1, input_shapes=shapes or None, opset=args.opset) as source:
        report = run_task(lambda progress, cancel: quantize(
            source, engine, args.calib, args.output, count=args.calib_count, val_dir=args.val, preset=args.preset,
            progress=progress, cancel=cancel), f"quantize-{engine}")
    print(f"wrote {' + '.join(report.files)} (+ model.json): INT8 for {engine}")
    print(report.format())
    from ..pipeline import ConvertReport

    return ConvertReport(engine if engine == "openvino" else "onnx", outputs=list(report.files), written=True,
                         precision="int8", details={"quantization": report.to_dict()})
