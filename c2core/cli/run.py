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

import sys

from ..errors import C2Error, about
from .inputs import add_shape_arguments, parse_input_files


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
    p.add_argument("--seed", type=int, default=0, help="seed of the N(0,1) data fed to inputs given only by --input-shape")
    add_shape_arguments(p)


def _declared_dtype(model, name):
    """The dtype value_info.json (or an op reading bytes) gives input `name`, else None (float32)."""
    import numpy as np

    from ..inputs import consumer_dtype
    from ..shapes.info import DTYPE_OF_PROTO

    vi = (model.value_info or {}).get(name)
    try:
        dt = DTYPE_OF_PROTO.get(int(vi[0])) if vi is not None else None
    except (TypeError, ValueError):
        dt = None
    dt = dt or consumer_dtype(model, name)
    return np.dtype(dt) if dt is not None else None


def _absent_message(model, absent, inputs) -> str:
    """Which inputs have no data, and the two ways to give it (with the shape the
    input resolver finds for each, so the hint can be pasted as is)."""
    from ..inputs import resolve_inputs

    try:
        r = resolve_inputs(model, arrays=inputs)
        known = r.shapes
    except C2Error:
        known = {}
    scalars = [n for n in absent if n in known and len(known[n]) == 0]  # no --input-shape spells a 0-d shape
    hints = [f"--input-shape {n}={','.join(str(d) for d in known[n])}" if n in known else f"--input-shape {n}=D0,D1,..."
             for n in absent if n not in scalars]
    msg = f"no data for input(s) {', '.join(repr(n) for n in absent)}: give --input NAME=FILE.npy"
    if hints:
        msg += f", or {' '.join(hints)} for seeded random data"
    if scalars:
        msg += f" ({', '.join(repr(n) for n in scalars)}: 0-d, from a .npy only)"
    return msg


def run(args) -> int:
    import numpy as np

    from ..io import open_model
    from ..io.npy import load_npy
    from ..io.save import atomic_path
    from ..runtime import Predictor

    from ..inputs import parse_input_shapes

    model = open_model(args.path, args.init, value_info=args.value_info)
    with about(args.path):
        pred = Predictor(model, device=args.device, threads=args.threads, fold=not args.no_fold)
    inputs = {name: load_npy(path) for name, path in parse_input_files(args.input, pred.inputs).items()}
    given = parse_input_shapes(args.input_shape, pred.inputs)
    rng = np.random.default_rng(args.seed)
    for name, shape in given.items():
        if name in inputs:
            if tuple(inputs[name].shape) != tuple(shape):
                raise C2Error(f"input '{name}' from file has shape {list(inputs[name].shape)}, not {list(shape)}",
                              "--input-shape")
        elif name in pred.inputs:
            dt = _declared_dtype(model, name)
            if dt is not None and dt.kind in "iub":  # a uint8 image, a bool condition, int indices
                hi = 256 if dt == np.uint8 else 2
                inputs[name] = rng.integers(0, hi, shape).astype(dt)
                print(f"note: input '{name}' {list(shape)} {dt}: seeded integers in [0, {hi}) (seed {args.seed})",
                      file=sys.stderr)
                continue
            inputs[name] = rng.standard_normal(shape).astype(np.float32)
            print(f"note: input '{name}' {list(shape)}: seeded N(0,1) data (seed {args.seed})", file=sys.stderr)
    absent = [n for n in pred.inputs if n not in inputs]
    if absent:
        raise C2Error(_absent_message(model, absent, inputs), args.path)
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
