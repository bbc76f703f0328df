"""The noise AICamera's style-transfer preprocessing adds, shared by the executor
kernel, the shape-independent ONNX export and the tests.

Caffe2's `PackedInt8BGRANHWCToNCHWCStylizerPreprocess` draws `noise_size`
(default 491) Gaussian values N(0, noise_std) once per workspace and cycles
through them, one value per output element in the input's pixel order (pixel by
pixel, B, G, R within a pixel), restarting for every image. Caffe2's draw is
unseeded; here it is seeded by the op's `device_option.random_seed` (0 when
unset), so the executor and an ONNX export agree exactly. With noise_std = 0
the op is deterministic and matches Caffe2 exactly.
"""

from __future__ import annotations

import numpy as np


def noise_values(noise_std: float, noise_size: int, seed: int = 0) -> np.ndarray:
    """The cycle of noise values (float32)."""
    if noise_size < 1:
        raise ValueError(f"noise_size must be at least 1, got {noise_size}")
    return np.random.default_rng(seed).normal(0.0, noise_std, noise_size).astype(np.float32)


def noise_map(noise: np.ndarray, h: int, w: int) -> np.ndarray:
    """(3, h, w) map: output element (c, y, x) gets noise[((y*w + x)*3 + c) % len(noise)]."""
    point = np.arange(h * w, dtype=np.int64)[:, None]
    idx = (point * 3 + np.arange(3, dtype=np.int64)[None, :]) % len(noise)
    return np.ascontiguousarray(noise[idx].T.reshape(3, h, w))


def op_noise(op, args) -> np.ndarray | None:
    """The op's noise cycle, or None when noise_std is 0."""
    std = args.float("noise_std")
    if std == 0.0:
        return None
    seed = int(op.device_option.random_seed) if op.HasField("device_option") else 0
    return noise_values(std, args.int("noise_size"), seed)
