"""model.json of a zoo build: c2core.io.sidecar with the zoo's complete format required."""

from __future__ import annotations

from ..io.sidecar import FORMAT, SIDECAR, write_sidecar  # noqa: F401  (the zoo's names for them)
from ..io.sidecar import read_sidecar as _read


def read_sidecar(folder_or_file: str) -> dict:
    """The sidecar of a zoo model folder (or the model.json path itself), every field checked."""
    return _read(folder_or_file, required=True, complete=True)
