"""INT8 calibration: preprocessed images from a folder, fed to TensorRT as it reads them.

TensorRT's entropy calibrator needs a few hundred representative inputs,
prepared exactly as at inference time; `CalibrationBatches` reads them from a
folder through the model's own preprocessing (`preprocess.presets`), in
file-name order so builds repeat.

How TensorRT 10 reads them (`IInt8Calibrator.get_batch(names)`): it ignores
`get_batch_size()` and, for every name in `names` (all network inputs, in its
order), copies ONE tensor of that input's full shape from the pointer we
return: the static input shape, or the calibration profile's kOPT shape for a
dynamic-batch network. So the batches a caller yields (8 images, 1 image,
whatever) are only a source of samples: `Int8Calibrator` regroups them into
tensors of exactly the shape TensorRT reads, one device buffer per input,
and drops an incomplete last group (reported in `dropped`). The bindings call
these methods from `noexcept` C++ (pyInt8.cpp): an exception escaping one
would end the process, so every callback catches everything, keeps it in
`error`, and the build re-raises it after TensorRT returns.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import C2Error


class CalibrationBatches:
    """Iterable of float32 (chunk, C, H, W) arrays of preprocessed images, every image once.

    `batch_size` is only how many images are read at a time: `Int8Calibrator`
    regroups them into the batch TensorRT reads, so no image is lost to a
    mismatch between the two (the last chunk may be shorter)."""

    def __init__(self, folder: str, preprocess, batch_size: int = 8, max_images: int | None = None,
                 min_images: int = 1):
        from ..preprocess.images import list_images

        if batch_size < 1:
            raise C2Error(f"calibration batch size must be at least 1, got {batch_size}")
        self.folder = folder
        self.preprocess = preprocess
        self.batch_size = int(batch_size)
        paths = list_images(folder)
        if max_images is not None:
            paths = paths[:max_images]
        if len(paths) < max(1, min_images):
            raise C2Error(f"calibration needs at least {max(1, min_images)} image(s) (one batch of the network's "
                          f"input), found {len(paths)}", folder)
        self.paths = paths

    @classmethod
    def for_source(cls, folder: str, source, batch_size: int | None = None, max_images: int | None = None):
        """Images preprocessed the way `source`'s model expects (sidecar preset, input size); the
        default chunk is the model's batch. Only models with one (image) input calibrate from images."""
        from ..preprocess.presets import resolve_preprocess

        shapes = source.input_shapes()
        if len(shapes) > 1:
            raise C2Error(f"INT8 calibration from an image folder feeds one image input; this model has "
                          f"{len(shapes)} inputs ({', '.join(shapes)})", folder)
        first = next(iter(shapes.values()), None)
        net_batch = int(first[0]) if first and first[0] > 0 and not getattr(source, "dynamic_batch", False) else 1
        if batch_size is None:
            batch_size = net_batch if net_batch > 1 else 8
        return cls(folder, resolve_preprocess(source), batch_size, max_images, min_images=net_batch)

    def __len__(self) -> int:
        return -(-len(self.paths) // self.batch_size)

    def __iter__(self):
        from ..preprocess.images import load_image

        for i in range(0, len(self.paths), self.batch_size):
            chunk = self.paths[i:i + self.batch_size]
            yield np.stack([self.preprocess.apply(load_image(p)) for p in chunk]).astype(np.float32)


def calibration_specs(inputs: dict) -> dict:
    """{name: (shape TensorRT reads, numpy dtype)} from `tensorrt.onnx_io`-style input descriptions:
    the kOPT shape of the calibration profile when there is one ("opt"), else the static shape."""
    out = {}
    for name, d in inputs.items():
        shape = tuple(int(x) for x in d.get("opt", d["shape"]))
        if any(x < 1 for x in shape):
            raise C2Error(f"calibration needs a static shape (or a batch range) for input '{name}', got {list(shape)}")
        out[name] = (shape, np.dtype(d.get("dtype", "float32")))
    return out


def split_samples(item, specs: dict):
    """One yielded item -> list of samples {name: array of the input's shape without the batch}.

    An item is an array (one-input models) or a dict name -> array; an array with
    the full rank of the input is a batch of samples, one of rank - 1 is a single sample."""
    if not isinstance(item, dict):
        if len(specs) != 1:
            raise C2Error(f"calibration data for a model with inputs {', '.join(specs)} must be dicts name -> array")
        item = {next(iter(specs)): item}
    missing = [n for n in specs if n not in item]
    if missing:
        raise C2Error(f"calibration data lacks input(s) {', '.join(missing)}")
    per_input = {}
    for name, (shape, dtype) in specs.items():
        a = np.asarray(item[name])
        if a.ndim == len(shape) - 1:
            a = a[None]
        if a.ndim != len(shape) or tuple(a.shape[1:]) != tuple(shape[1:]):
            raise C2Error(f"calibration sample for '{name}' has shape {list(np.shape(item[name]))}, the network "
                          f"reads {list(shape)} (batch of {shape[0]})")
        per_input[name] = a.astype(dtype, copy=False)
    counts = {len(a) for a in per_input.values()}
    if len(counts) != 1:
        raise C2Error("calibration item has different batch sizes per input")
    return [{n: a[i] for n, a in per_input.items()} for i in range(counts.pop())]


class CalibrationFeed:
    """Regroups samples from any iterable into host tensors of exactly the shapes TensorRT reads."""

    def __init__(self, source, specs: dict):
        self.specs = specs
        self._items = iter(source if source is not None else ())
        self._pending: list = []
        self.served = 0  # tensors handed to TensorRT
        self.samples_used = 0
        self.dropped = 0  # samples left over that did not fill a last tensor

    @property
    def batch(self) -> int:
        return next(iter(self.specs.values()))[0][0]

    def next_batch(self) -> dict | None:
        """{name: C-contiguous array of the full input shape}, or None when the samples run out."""
        n = self.batch
        while len(self._pending) < n:
            try:
                item = next(self._items)
            except StopIteration:
                self.dropped = len(self._pending)
                self._pending = []
                return None
            self._pending.extend(split_samples(item, self.specs))
        take, self._pending = self._pending[:n], self._pending[n:]
        out = {name: np.ascontiguousarray(np.stack([s[name] for s in take]).astype(dtype, copy=False))
               for name, (shape, dtype) in self.specs.items()}
        for name, (shape, _) in self.specs.items():
            assert out[name].shape == tuple(shape), (out[name].shape, shape)
        self.served += 1
        self.samples_used += n
        return out


def make_calibrator(trt, source, specs: dict, cache_path: str | None = None, cuda=None):
    """A TensorRT 10 `IInt8EntropyCalibrator2` over `source` (see `CalibrationFeed`) for inputs `specs`
    (`calibration_specs`), with device buffers from `cuda` (`cuda_memory.open_cuda()` when None).

    After the build: `.error` (an exception raised inside a callback, or None), `.feed.served`,
    `.feed.dropped`; `.close()` frees the device buffers."""
    if not hasattr(trt, "IInt8EntropyCalibrator2"):
        raise C2Error(f"TensorRT {getattr(trt, '__version__', '?')} has no implicit INT8 calibration "
                      "(IInt8EntropyCalibrator2 was removed in TensorRT 11)")

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.feed = CalibrationFeed(source, specs)
            self.cuda = cuda
            self.buffers: dict = {}
            self.error: BaseException | None = None

        def get_batch_size(self):  # ignored by TensorRT 10 (it reads the full input shape); kept consistent
            return self.feed.batch

        def get_batch(self, names, *_):
            if self.error is not None:
                return None
            try:
                unknown = [n for n in names if n not in specs]
                if unknown:
                    raise C2Error(f"TensorRT asked calibration data for unknown input(s) {', '.join(unknown)}")
                host = self.feed.next_batch()
                if host is None:
                    return None
                if self.cuda is None:
                    from .cuda_memory import open_cuda

                    self.cuda = open_cuda()
                ptrs = []
                for name in names:
                    arr = host[name]
                    buf = self.buffers.get(name)
                    if buf is None:
                        buf = self.buffers[name] = self.cuda.alloc(arr.nbytes)
                    self.cuda.upload(buf, arr)  # synchronous: TensorRT reads it once we return
                    ptrs.append(int(buf.ptr))
                return ptrs
            except BaseException as e:  # TensorRT would swallow it: keep it for the build to raise
                self.error = e
                return None

        def read_calibration_cache(self, *_):
            try:
                if cache_path and os.path.isfile(cache_path):
                    with open(cache_path, "rb") as fh:
                        return fh.read()
            except OSError as e:
                self.error = C2Error(f"cannot read the calibration cache: {e.strerror or e}", cache_path)
            return None

        def write_calibration_cache(self, cache, *_):
            if cache_path:
                try:
                    tmp = cache_path + ".tmp"
                    with open(tmp, "wb") as fh:
                        fh.write(bytes(cache))
                    os.replace(tmp, cache_path)
                except BaseException as e:  # noqa: BLE001 - see the module docstring
                    self.error = C2Error(f"cannot write the calibration cache: {getattr(e, 'strerror', None) or e}",
                                         cache_path)

        def close(self):
            if self.cuda is not None:
                for buf in self.buffers.values():
                    self.cuda.free(buf)
            self.buffers = {}

    return EntropyCalibrator()
