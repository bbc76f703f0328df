"""Draw a model's operator graph to DOT, SVG, PDF or PNG, as Caffe2's net_drawer did.

`c2core draw PATH -o OUT.{dot,svg,pdf,png} [--rankdir TB|LR] [--minimal]
[--minimal-dependency] [--append-output]`. Ops are boxes coloured by
category, blobs are octagons; `--minimal` draws ops only, and
`--minimal-dependency` (implies `--minimal`) keeps only direct dependencies.
Only the predict net is read (an init net beside it is not needed).
"""

from __future__ import annotations

import sys


def add_arguments(p) -> None:
    p.add_argument("path", help="predict net, init net, model folder or minidb file")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file; the extension picks the format (.dot, .svg, .pdf, .png)")
    p.add_argument("--rankdir", default="LR", choices=("TB", "LR", "BT", "RL"), help="layout direction (default LR)")
    p.add_argument("--minimal", action="store_true", help="ops only, with an edge from each producer")
    p.add_argument("--minimal-dependency", action="store_true",
                   help="ops only, with edges to the nearest ancestors only")
    p.add_argument("--append-output", action="store_true", help="append output blob names to op labels")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="stop Graphviz's layout after this long (default 60)")


def run(args) -> int:
    from ..draw import draw, format_of
    from ..io import open_structure

    from ..errors import C2Error, about

    fmt = format_of(args.output)  # a bad extension fails before the model is read
    if not (args.timeout > 0):
        raise C2Error("must be a positive number of seconds", "--timeout")
    model = open_structure(args.path)
    with about(args.path):
        draw(model, args.output, fmt=fmt, rankdir=args.rankdir, minimal=args.minimal or args.minimal_dependency,
             minimal_dependency=args.minimal_dependency, append_output=args.append_output, timeout=args.timeout)
    for w in model.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {args.output} ({len(model.predict_net.op)} ops)")
    return 0
