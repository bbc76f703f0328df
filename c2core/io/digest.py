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


def net_fingerprint(model) -> str:
    """A short, stable id of a model's predict net content (not its path): what the app
    remembers a user's per-model choices (input shapes, preset) under, so a copied or
    renamed model keeps them and an edited one does not."""
    net = getattr(model, "predict_net", model)
    data = net.SerializeToString(deterministic=True)
    return hashlib.sha256(data).hexdigest()[:32]
