"""SHA-256 of a file, read in 1 MiB chunks: how sidecars (TensorRT plans, zoo builds)
recognise the exact file they were made from."""

from __future__ import annotations

import hashlib


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
