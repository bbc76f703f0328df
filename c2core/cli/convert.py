"""Convert a Caffe2 model to ONNX (and, through it, other targets), verified by running it.

`c2core convert PATH --to onnx -o OUT.onnx [--opset N] [--input-shape NAME=1,3,224,224]
[--dynamic-batch] [--int8 qdq|exact|float] [--verify/--no-verify] [--rtol X] [--input NAME=FILE]`

The model is exported to a staged file beside OUT, run in ONNX Runtime and in
the c2core executor on the same inputs (random with --seed, or the given .npy
/ image files), and moved onto OUT only when every output is within --rtol
(relative error max|onnx-ref| / max|ref|). A failed verification prints the
report and exits 2 with nothing written, unless --keep-failed.

Targets are a dispatch table: each entry names a module defining
`add_target_arguments(parser)` (options of that target only) and
`convert_target(model, args) -> ConvertReport` (a call of the target's
c2core.pipeline entry point). Options shared by every target (input
shapes, opset, verification) are defined here once.
"""

from __future__ import annotations

import argparse
import importlib

from ..errors import C2Error, about
from .inputs import model_input_shapes, parse_input_files

# target -> module with add_target_arguments(parser) and convert_target(model, args) -> int
TARGETS = {
    "onnx": "c2core.cli.convert",
    "openvino": "c2core.cli.convert_openvino",
    "tensorrt": "c2core.cli.convert_tensorrt",
}


def _target(name: str):
    return importlib.import_module(TARGETS[name])


def add_arguments(p) -> None:
    p.add_argument("path", help="predict net, model folder or minidb")
    p.add_argument("--init", help="init net (found by name beside PATH when omitted)")
    p.add_argument("--value-info", metavar="JSON", help="value_info.json with input shapes (found beside PATH when omitted)")
    p.add_argument("--to", default="onnx", choices=sorted(TARGETS), help="target format (default onnx)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="file to write (atomically)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset, 13..21 (default 17)")
    p.add_argument("--input-shape", action="append", default=[], metavar="[NAME=]D0,D1,...",
                   help="shape of a data input (repeatable; without NAME= the first data input's)")
    p.add_argument("--dynamic-batch", action="store_true", help="make dimension 0 of inputs and outputs symbolic ('batch')")
    p.add_argument("--int8", choices=("qdq", "exact", "float"), default="qdq",
                   help="Caffe2 Int8 ops as QuantizeLinear/DequantizeLinear around float ops (qdq, default; approximate: "
                        "verified in quantization steps and top-k agreement), QNNPACK's integer arithmetic bit for bit "
                        "(exact; verified bit-exact), or fully dequantised float (approximate)")
    p.add_argument("--verify", action=argparse.BooleanOptionalAction, default=True,
                   help="verify against the executor before writing (default on)")
    p.add_argument("--rtol", type=float, default=1e-4, help="relative error tolerance per output (default 1e-4)")
    p.add_argument("--max-steps", type=float, default=None, metavar="N",
                   help="--int8 qdq/float: pass bound on the 99th-percentile difference in quantization steps (default 4)")
    p.add_argument("--int-atol", type=float, default=0,
                   help="allowed difference for integer outputs (default 0; approximate Int8 outputs are judged in steps, see --max-steps)")
    p.add_argument("--input", action="append", default=[], metavar="[NAME=]FILE",
                   help="verification input: .npy array or image (repeatable; default random, fixed seed)")
    p.add_argument("--seed", type=int, default=0, help="seed for random verification inputs")
    p.add_argument("--keep-failed", action="store_true", help="write the file even when verification fails (still exit 2)")
    p.add_argument("--json", action="store_true",
                   help="end with one JSON line: target, files written, per-output verification errors (for scripts and `c2core batch`)")
    from .convert_int8 import add_quant_arguments
    from .convert_openvino import add_precision

    add_precision(p)  # options several targets read: defined once, here
    add_quant_arguments(p)
    for name in sorted(TARGETS):
        _target(name).add_target_arguments(p)


def run(args) -> int:
    from ..pipeline import ConversionFailed
    from ..pipeline.common import open_source

    model = open_source(args.path, args.init, args.value_info)
    try:
        with about(args.path):  # what names no file of its own is about the model
            report = _target(args.to).convert_target(model, args)
    except ConversionFailed as e:
        print(e.report.parity.format())
        raise
    if report.details.get("quantization") is None:  # a quantization prints its own report
        print(report.parity.format() if report.parity is not None else "verification skipped (--no-verify)")
    if getattr(args, "json", False):
        import json

        line = report.summary()
        if report.details.get("quantization") is not None:
            line["quantization"] = report.details["quantization"]
        print(json.dumps(line))
    return 0


# ----- the ONNX target ---------------------------------------------------------
def add_target_arguments(p) -> None:
    """ONNX takes only the shared options (--precision, the int8 group)."""


def convert_target(model, args):
    """Run the pipeline's ONNX entry point; returns its ConvertReport."""
    from ..pipeline import to_onnx

    if getattr(args, "precision", "fp32") == "int8":
        from .convert_int8 import convert_int8

        return convert_int8(model, args, "onnxruntime")
    if getattr(args, "precision", "fp32") != "fp32":
        raise C2Error(f"ONNX export is fp32 (Caffe2 Int8 nets: see --int8) or int8 (--calib), not {args.precision}",
                      "--precision")
    inputs = parse_input_files(args.input, model.data_inputs)
    rep = to_onnx(model, args.output, verify=args.verify, keep_failed=args.keep_failed, inputs=inputs, rtol=args.rtol,
                  int_atol=args.int_atol, seed=args.seed, opset=args.opset,
                  input_shapes=model_input_shapes(model, args.input_shape, inputs),
                  dynamic_batch=args.dynamic_batch, int8=args.int8, max_steps=args.max_steps)
    d = rep.details
    print(f"wrote {args.output}: opset {d['opset']}, IR {d['ir_version']}, {d['nodes']} nodes, "
          f"{d['initializers']} initializers")
    return rep
