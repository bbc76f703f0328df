"""Import an ONNX model as a Caffe2 predict/init pair (predict_net.pb, init_net.pb, value_info.json).

Input and output names are kept exactly. Other blobs get readable Caffe2-style
names from the ONNX node names (conv_stem, conv_stem_w, blocks_1_clip) unless
--names keep preserves the ONNX names. Every ONNX op the importer cannot map
is listed in one error (exit 2) before anything is written.
"""

from __future__ import annotations

import os

from .inputs import parse_input_shapes


def add_arguments(p) -> None:
    p.add_argument("model", metavar="MODEL.onnx", help="the ONNX model to import")
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for predict_net/init_net")
    p.add_argument("--text", action="store_true", help="write .pbtxt text protobufs instead of binary .pb")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="fix an input's shape (e.g. a symbolic batch) so shape computations fold; repeatable")
    p.add_argument("--names", choices=("readable", "keep"), default="readable",
                   help="blob names: 'readable' (default) derives Caffe2-style names from the ONNX node names "
                        "(conv_stem, conv_stem_w, conv_stem_b; the graph's input and output names are kept); "
                        "'keep' keeps every ONNX name as it is (onnx::Conv_686, /_blocks.1/Clip_output_0)")


def run(args) -> int:
    from c2core.pipeline import import_onnx_model

    rep = import_onnx_model(args.model, args.output, text=args.text,
                            input_shapes=parse_input_shapes(args.input_shape), names=args.names)
    d = rep.details
    ops = d["op_types"]
    inputs = d["inputs"]
    shapes = ", ".join(f"{k} {v}" for k, v in inputs.items()) if isinstance(inputs, dict) else ", ".join(inputs)
    print(f"imported {os.path.basename(args.model)}: {sum(ops.values())} ops "
          f"({', '.join(f'{k}×{v}' for k, v in sorted(ops.items()))}), {d['parameters']:,} parameters")
    print(f"inputs: {shapes}; outputs: {', '.join(d['outputs'])}")
    for p in rep.outputs[:2]:
        if p.endswith((".pb", ".pbtxt")):
            print(f"wrote {p}")
    if len([p for p in rep.outputs if "init_net" in p]) == 0:
        print("no init net: the model has no weights")
    return 0
