"""`python -m bench [NAME [ARGS...]]`: run one benchmark module, or all of them.

Modules are found by name in this package (any `bench/<name>.py` with a
`main(argv)`), so adding a benchmark is adding a file; `--list` shows them.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench

_HELPERS = {"resnet50", "photos"}  # modules that build inputs for others; not benchmarks


def available() -> dict[str, str]:
    out = {}
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_") or info.name in _HELPERS:
            continue
        mod = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(mod, "main", None)):
            out[info.name] = ((mod.__doc__ or "").strip().splitlines() or [""])[0]
    return out


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = available()
    if argv and argv[0] in ("-h", "--help", "--list"):
        print("usage: python -m bench [NAME [ARGS...]]\n\nbenchmarks:")
        for n, doc in sorted(names.items()):
            print(f"  {n:<12} {doc}")
        return 0
    if not argv:
        rc = 0
        for n in sorted(names):
            print(f"== bench {n}", flush=True)
            rc = max(rc, int(importlib.import_module(f"bench.{n}").main([]) or 0))
        return rc
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"error: no benchmark '{name}' (have: {', '.join(sorted(names)) or 'none'})", file=sys.stderr)
        return 2
    return int(importlib.import_module(f"bench.{name}").main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
