"""Errors the core raises on purpose.

Every error a user can cause (a bad file, a wrong shape, an op nobody can run)
is a `C2Error`; the CLI turns those into one line `error: <file>: <reason>` and
exit code 2. Anything else is a bug and exits 1.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


def strict_checks() -> bool:
    """Developer checks on (C2CORE_STRICT=1, which the test suite sets): a shape
    rule that crashes raises instead of giving unknown shapes, and the importer
    verifies each converter emits only the op types it declares."""
    return os.environ.get("C2CORE_STRICT", "") not in ("", "0")


class C2Error(Exception):
    """A problem with the user's input, reported without a traceback."""

    def __init__(self, reason: str, path: str | None = None):
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)

    def with_path(self, path: str | None) -> "C2Error":
        """This error, naming `path` when it names no file yet (the CLI prints `error: <file>: <reason>`)."""
        if self.path is None and path:
            self.path = path
            self.args = (f"{path}: {self.reason}",)
        return self


class C2FormatError(C2Error):
    """A file that cannot be read as what it claims to be."""


class UnsupportedOpsError(C2Error):
    """Ops that a runtime or exporter cannot handle, listed all at once."""

    def __init__(self, ops, what: str = "the executor", path: str | None = None):
        self.ops = sorted(set(ops))
        super().__init__(f"{len(self.ops)} op type(s) not supported by {what}: {', '.join(self.ops)}", path)


class C2RuntimeError(C2Error):
    """An op failed while running; the message names op, blobs, shapes, dtypes."""


class Cancelled(Exception):
    """A long task was cancelled through its cancel token."""


@contextmanager
def about(path: str | None):
    """C2Errors raised inside that name no file are about `path`: the model, an
    input file, or the command-line option that was wrong (`--backend`)."""
    try:
        yield
    except C2Error as e:
        raise e.with_path(path) from None
