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
    from c2core.onnx.importer import import_onnx

    m = import_onnx(args.model, out_dir=args.output, text=args.text, input_shapes=parse_input_shapes(args.input_shape),
                    names=args.names)
    ops = m.op_types()
    shapes = ", ".join(f"{k} {list(v[1])}" for k, v in m.value_info.items())
    print(f"imported {os.path.basename(args.model)}: {sum(ops.values())} ops "
          f"({', '.join(f'{k}×{v}' for k, v in sorted(ops.items()))}), {m.num_parameters:,} parameters")
    print(f"inputs: {shapes or ', '.join(m.data_inputs)}; outputs: {', '.join(m.external_outputs)}")
    print(f"wrote {m.predict_path}")
    print(f"wrote {m.init_path}")
    return 0
