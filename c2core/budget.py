"""The memory budget: how much memory one size read from a file may claim.

Files are untrusted: a 2 MB init net can declare a 2^34-element fill, a
192-byte .npy header can declare 16 GiB, a 99-byte PNG can decode to
gigabytes. Every such size is checked here *before* anything is allocated,
against one budget:

- default: half of the machine's physical memory (`DEFAULT_FRACTION`);
- `C2CORE_MAX_MEMORY` in the environment, or the CLI's `--max-memory`
  (which sets that variable, so worker processes inherit it): a size such as
  `4G`, `512M`, `1.5GiB`, `2000000000` (bytes) or a share of RAM such as `25%`.

A refusal is a `BudgetError` (a `C2Error`: one line, exit 2) naming what was
refused (blob, op, file), the size it needed and the budget. Where data
should be present in a file (a .npy body, a tensor's raw bytes), sizes are
also checked against what the file really holds (`check_stored`), so a short
file is reported as truncated instead of being allocated and padded.
"""

from __future__ import annotations

import os
import re

from .errors import C2Error, C2FormatError

ENV = "C2CORE_MAX_MEMORY"
DEFAULT_FRACTION = 0.5
_FALLBACK_RAM = 8 << 30  # when the OS does not say

_override: int | None = None


class BudgetError(C2FormatError):
    """A size declared by a file (or computed from it) exceeds the memory budget."""


def physical_ram() -> int:
    """Bytes of physical memory (a guess of 8 GiB when the OS does not say)."""
    try:
        n = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        if n > 0:
            return int(n)
    except (ValueError, OSError, AttributeError):
        pass
    return _FALLBACK_RAM


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([kmgt]?)(?:i?b)?\s*$", re.I)


def parse_size(text: str) -> int:
    """`4G`, `512MiB`, `1.5g`, `123456` (bytes) or `25%` (of RAM) -> bytes (ValueError when not a size)."""
    s = str(text).strip()
    if s.endswith("%"):
        try:
            pct = float(s[:-1])
        except ValueError:
            raise ValueError(f"'{text}' is not a size") from None
        if not (0 < pct <= 100):
            raise ValueError(f"'{text}': a share of memory must be between 0 and 100%")
        return max(1, int(physical_ram() * pct / 100))
    m = _SIZE.match(s)
    if not m:
        raise ValueError(f"'{text}' is not a size (e.g. 4G, 512M, 25%)")
    n = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if n <= 0:
        raise ValueError(f"'{text}': the budget must be positive")
    return n


def set_limit(nbytes: int | None) -> None:
    """Set the budget for this process (None: back to env/default)."""
    global _override
    _override = None if nbytes is None else int(nbytes)


def limit() -> int:
    """The budget in bytes: set_limit, else C2CORE_MAX_MEMORY, else a fraction of RAM."""
    if _override is not None:
        return _override
    env = os.environ.get(ENV)
    if env:
        try:
            return parse_size(env)
        except ValueError as e:
            raise C2Error(str(e), ENV) from None
    return int(physical_ram() * DEFAULT_FRACTION)


def human(n: int | float) -> str:
    """1536 -> '1.5 KiB' (binary units; bytes below 1 KiB)."""
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(n) < 1024 or unit == "EiB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"


def describe_limit() -> str:
    return f"the memory budget of {human(limit())} (--max-memory / {ENV})"


def numel(shape) -> int:
    """Product of dims as an exact Python int (no overflow)."""
    n = 1
    for d in shape:
        n *= int(d)
    return n


def check_bytes(nbytes: int, what: str, path: str | None = None, detail: str = "") -> int:
    """`nbytes` if within the budget, else BudgetError naming `what`."""
    nbytes = int(nbytes)
    if nbytes > limit():
        extra = f" ({detail})" if detail else ""
        raise BudgetError(f"{what}: needs {human(nbytes)}{extra}, over {describe_limit()}", path)
    return nbytes


def check_shape(shape, itemsize: int, what: str, path: str | None = None, dtype: str | None = None) -> tuple[int, ...]:
    """A shape safe to allocate with `itemsize`-byte elements, as ints; negative
    dims are a C2Error, sizes over the budget a BudgetError."""
    dims = tuple(int(d) for d in shape)
    if any(d < 0 for d in dims):
        raise C2Error(f"{what}: negative dimension in shape {_short(dims)}", path)
    n = numel(dims)
    detail = f"shape {_short(dims)}{' ' + dtype if dtype else ''}"
    check_bytes(n * max(int(itemsize), 1), what, path, detail)
    return dims


def check_stored(needed: int, available: int, what: str, path: str | None = None) -> None:
    """Data the file should hold: a short file is truncated, not zero-padded."""
    if needed > available:
        raise C2Error(f"{what}: declares {human(needed)} of data but the file holds only {human(available)} "
                      "(truncated or corrupt)", path)


def _short(dims) -> str:
    s = str(list(dims))
    return s if len(s) <= 80 else s[:77] + "...]"


def check_output(shape, itemsize: int, what: str) -> None:
    """An op's output about to be allocated at run time (shape from arguments
    or from a tensor's values): BudgetError naming the op before allocating."""
    dims = [int(d) for d in shape]
    if any(d < 0 for d in dims):
        raise C2Error(f"{what}: negative output dimension in {_short(dims)}")
    check_bytes(numel(dims) * max(int(itemsize), 1), what, None, f"shape {_short(dims)}")
