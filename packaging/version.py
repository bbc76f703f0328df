"""CHANGELOG-driven version: the newest `## [X.Y.Z]` entry is the version.

`python packaging/version.py` prints it; `--sync` writes it into
`c2core/__init__.py` (the attribute setuptools reads); `--check` exits 1 when
they differ (used by tests and `make dist`).
"""

from __future__ import annotations

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRY = re.compile(r"^## \[(\d+\.\d+\.\d+(?:[-.+][0-9A-Za-z.]+)?)\]", re.M)
ATTR = re.compile(r'^__version__ = "([^"]*)"', re.M)


def changelog_version(text: str | None = None) -> str:
    text = text if text is not None else (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    m = ENTRY.search(text)
    if not m:
        raise SystemExit("CHANGELOG.md has no '## [X.Y.Z]' entry")
    return m.group(1)


def package_version() -> str:
    m = ATTR.search((ROOT / "c2core" / "__init__.py").read_text(encoding="utf-8"))
    return m.group(1) if m else ""


def main(argv) -> int:
    v = changelog_version()
    if "--sync" in argv:
        p = ROOT / "c2core" / "__init__.py"
        p.write_text(ATTR.sub(f'__version__ = "{v}"', p.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    elif "--check" in argv:
        if package_version() != v:
            print(f"version mismatch: CHANGELOG {v}, c2core {package_version()}", file=sys.stderr)
            return 1
    print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
