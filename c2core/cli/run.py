"""Run a model with Caffe2 semantics on inputs from .npy files and save the outputs.

`c2core run PATH --input NAME=FILE.npy ... [--fetch BLOB]... -o OUT.npz`.
`--input FILE.npy` without a name feeds the first data input. Every external
output (and each fetched blob) is written by name into OUT.npz, atomically
(names that are not plain keys, e.g. `allow_pickle`-like clashes, `../x` or
NUL bytes, go under `out_<i>` with a name table: see `c2core.io.npz`).
Bad input (no weights, wrong shape or dtype, unsupported ops, unreadable
.npy) exits 2 with a one-line reason.
"""

from __future__ import annotations

from ..errors import about
from .inputs import parse_input_files


def add_arguments(p) -> None:
    p.add_argument("path", help="predict net, model folder or minidb")
    p.add_argument("--init", help="init net (found by name beside PATH when omitted)")
    p.add_argument("--input", "-i", action="append", default=[], metavar="[NAME=]FILE.npy",
                   help="a data input (repeatable); without NAME= it feeds the first data input")
    p.add_argument("--fetch", action="append", default=[], metavar="BLOB", help="also save this intermediate blob (repeatable)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="where to write the outputs")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch threads while running")
    p.add_argument("--no-fold", action="store_true", help="do not fold BN/scale ops into convolutions")


def run(args) -> int:
    from ..io import open_model
    from ..io.npy import load_npy
    from ..io.save import atomic_path
    from ..runtime import Predictor

    model = open_model(args.path, args.init)
    with about(args.path):
        pred = Predictor(model, device=args.device, threads=args.threads, fold=not args.no_fold)
    inputs = {name: load_npy(path) for name, path in parse_input_files(args.input, pred.inputs).items()}
    with about(args.path):
        outs = pred.run(inputs, fetch=args.fetch)
    from ..io.npz import NAMES_KEY, member_keys, write_npz

    with atomic_path(args.output) as tmp:
        with open(tmp, "wb") as f:
            renamed = write_npz(f, outs)
    keys = member_keys(list(outs))
    for name, a in outs.items():
        shown = name if keys[name] == name else f"{name!r} (key {keys[name]})"
        print(f"{_short(shown)}: {list(a.shape)} {a.dtype}")
    print(f"wrote {len(outs)} array(s) to {args.output}; read with numpy.load(PATH)[KEY]")
    if renamed:
        print(f"{len(renamed)} blob name(s) are not plain keys and are stored as out_<i>; their exact names: "
              f"json.loads(str(numpy.load(PATH)['{NAMES_KEY}'])) (c2core.io.npz.read_npz does both)")
    return 0


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
