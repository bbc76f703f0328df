"""Byte counts as people read them, one convention for the CLI and the app:
decimal units (1 KB = 1000 bytes), as file managers and `c2core info` show them."""

from __future__ import annotations


def human_bytes(n: int) -> str:
    """`512 B`, `10.8 KB`, `18.6 MB`, `1.2 GB` (one decimal above bytes)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # not reached: GB takes everything larger
