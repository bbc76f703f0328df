"""INT8 calibration data: batches of preprocessed images from a folder.

TensorRT's entropy calibrator needs a few hundred representative inputs,
prepared exactly as at inference time; this reads them from a folder through
the model's own preprocessing (`classify.presets`), in full batches only
(TensorRT asks for a fixed batch size), in file-name order so builds repeat.
"""

from __future__ import annotations

import numpy as np

from ..errors import C2Error


class CalibrationBatches:
    """Iterable of float32 (batch, C, H, W) arrays; len() = number of batches."""

    def __init__(self, folder: str, preprocess, batch_size: int = 8, max_images: int | None = None):
        from ..classify.images import list_images

        if batch_size < 1:
            raise C2Error(f"calibration batch size must be at least 1, got {batch_size}")
        self.folder = folder
        self.preprocess = preprocess
        self.batch_size = int(batch_size)
        paths = list_images(folder)
        if max_images is not None:
            paths = paths[:max_images]
        if len(paths) < self.batch_size:
            raise C2Error(f"calibration needs at least {self.batch_size} images (one batch), found {len(paths)}", folder)
        self.paths = paths[: len(paths) - len(paths) % self.batch_size]
        self.dropped = len(paths) - len(self.paths)

    @classmethod
    def for_source(cls, folder: str, source, batch_size: int | None = None, max_images: int | None = None):
        """Batches preprocessed the way `source`'s model expects (sidecar preset, input size)."""
        from ..classify import resolve_preprocess

        shapes = source.input_shapes()
        if batch_size is None:
            first = next(iter(shapes.values()), (8,))
            batch_size = int(first[0]) if first and first[0] > 0 else 8
        return cls(folder, resolve_preprocess(source), batch_size, max_images)

    def __len__(self) -> int:
        return len(self.paths) // self.batch_size

    def __iter__(self):
        from ..classify.images import load_image

        for i in range(0, len(self.paths), self.batch_size):
            chunk = self.paths[i:i + self.batch_size]
            yield np.stack([self.preprocess.apply(load_image(p)) for p in chunk]).astype(np.float32)
