"""CUDA device memory and streams for TensorRT, without a CUDA build of torch.

TensorRT's Python API takes raw device pointers and a stream handle; it does
not allocate input/output memory itself. What we ship installs CPU torch, so
the memory comes from cuda-python's runtime bindings (`cudaMalloc`,
`cudaStreamCreate`, `cudaMemcpyAsync`: the calls NVIDIA's own Python samples
use), which the `[tensorrt]` extra installs. Where cuda-python is absent but
torch is a CUDA build, torch's allocator and streams are used instead.

Both are behind one small interface (`CudaMemory`): `alloc`, `upload`,
`download`, `new_stream`, `sync`, `free`, `device()`. Every CUDA return code
is checked; a failure is a `C2Error` naming the call and CUDA's error name.

`cuda_reason()` says, in words a user can act on, what is missing: the
bindings, the NVIDIA driver, or a GPU.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ..errors import C2Error

CUDA_PYTHON_PIN = "cuda-python==12.9.4"  # the [tensorrt] extra's pin (CUDA 12, like tensorrt-cu12)


@dataclass
class DeviceBuffer:
    ptr: int
    nbytes: int
    keep: object = None  # what owns the memory (torch tensor), if not cudaFree


@dataclass
class Stream:
    handle: int
    obj: object = None


def import_cudart():
    """cuda-python's runtime module: `cuda.bindings.runtime` (12.6+, 13.x) or the older `cuda.cudart`."""
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        from cuda import cudart  # cuda-python < 12.6
    return cudart


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _enum_name(err) -> str:
    return getattr(err, "name", None) or str(err)


class CudaPython:
    """Device memory through cuda-python's runtime API (every call returns (err, *values))."""

    kind = "cuda-python"

    def __init__(self, cudart=None):
        self.rt = cudart or import_cudart()
        self._ok = self.rt.cudaError_t.cudaSuccess

    def _call(self, what: str, result):
        err, *values = result if isinstance(result, tuple) else (result,)
        if err != self._ok:
            raise C2Error(f"CUDA {what} failed: {_enum_name(err)}")
        return values[0] if len(values) == 1 else (values or None)

    def device(self, index: int = 0) -> tuple[str, str]:
        props = self._call("cudaGetDeviceProperties", self.rt.cudaGetDeviceProperties(index))
        name = props.name
        if isinstance(name, (bytes, bytearray)):
            name = bytes(name).split(b"\0", 1)[0].decode("utf-8", "replace")
        return str(name), f"{props.major}.{props.minor}"

    def alloc(self, nbytes: int) -> DeviceBuffer:
        nbytes = max(int(nbytes), 1)
        return DeviceBuffer(int(self._call("cudaMalloc", self.rt.cudaMalloc(nbytes))), nbytes)

    def free(self, buf: DeviceBuffer) -> None:
        if buf is not None and buf.ptr:
            self._call("cudaFree", self.rt.cudaFree(buf.ptr))
            buf.ptr = 0

    def new_stream(self) -> Stream:
        s = self._call("cudaStreamCreate", self.rt.cudaStreamCreate())
        return Stream(_stream_int(s), s)

    def free_stream(self, stream: Stream) -> None:
        if stream is not None and stream.obj is not None:
            self._call("cudaStreamDestroy", self.rt.cudaStreamDestroy(stream.obj))
            stream.obj = None

    def upload(self, buf: DeviceBuffer, host: np.ndarray, stream: Stream | None = None) -> None:
        """Host -> device; async on `stream` (keep `host` alive until `sync`), synchronous without one."""
        host = _checked(host, buf)
        kind = self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        if stream is None:
            self._call("cudaMemcpy", self.rt.cudaMemcpy(buf.ptr, host.ctypes.data, host.nbytes, kind))
        else:
            self._call("cudaMemcpyAsync", self.rt.cudaMemcpyAsync(buf.ptr, host.ctypes.data, host.nbytes, kind,
                                                                   stream.obj))

    def download(self, host: np.ndarray, buf: DeviceBuffer, stream: Stream | None = None) -> None:
        host = _checked(host, buf)
        kind = self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        if stream is None:
            self._call("cudaMemcpy", self.rt.cudaMemcpy(host.ctypes.data, buf.ptr, host.nbytes, kind))
        else:
            self._call("cudaMemcpyAsync", self.rt.cudaMemcpyAsync(host.ctypes.data, buf.ptr, host.nbytes, kind,
                                                                   stream.obj))

    def sync(self, stream: Stream) -> None:
        self._call("cudaStreamSynchronize", self.rt.cudaStreamSynchronize(stream.obj))


class TorchCuda:
    """The same through a CUDA build of torch (used when cuda-python is not installed)."""

    kind = "torch"

    def __init__(self):
        import torch

        self.torch = torch

    def device(self, index: int = 0) -> tuple[str, str]:
        major, minor = self.torch.cuda.get_device_capability(index)
        return self.torch.cuda.get_device_name(index), f"{major}.{minor}"

    def alloc(self, nbytes: int) -> DeviceBuffer:
        t = self.torch.empty(max(int(nbytes), 1), dtype=self.torch.uint8, device="cuda")
        return DeviceBuffer(int(t.data_ptr()), t.numel(), t)

    def free(self, buf: DeviceBuffer) -> None:
        if buf is not None:
            buf.keep, buf.ptr = None, 0

    def new_stream(self) -> Stream:
        s = self.torch.cuda.Stream()
        return Stream(int(s.cuda_stream), s)

    def free_stream(self, stream: Stream) -> None:
        if stream is not None:
            stream.obj = None

    def _bytes(self, host: np.ndarray):
        return self.torch.from_numpy(host.reshape(-1).view(np.uint8))

    def upload(self, buf: DeviceBuffer, host: np.ndarray, stream: Stream | None = None) -> None:
        host = _checked(host, buf)
        dst = buf.keep[: host.nbytes]
        if stream is None:
            dst.copy_(self._bytes(host))
            self.torch.cuda.synchronize()
        else:
            with self.torch.cuda.stream(stream.obj):
                dst.copy_(self._bytes(host), non_blocking=True)

    def download(self, host: np.ndarray, buf: DeviceBuffer, stream: Stream | None = None) -> None:
        host = _checked(host, buf)
        src = buf.keep[: host.nbytes]
        if stream is None:
            self._bytes(host).copy_(src)
        else:
            with self.torch.cuda.stream(stream.obj):
                self._bytes(host).copy_(src, non_blocking=True)

    def sync(self, stream: Stream) -> None:
        stream.obj.synchronize()


CudaMemory = CudaPython | TorchCuda


def _stream_int(s) -> int:
    try:
        return int(s)
    except TypeError:
        return int(s.getPtr())


def _checked(host: np.ndarray, buf: DeviceBuffer) -> np.ndarray:
    if not host.flags.c_contiguous:
        raise C2Error("internal: host array for a CUDA copy must be C-contiguous")
    if host.nbytes > buf.nbytes:
        raise C2Error(f"internal: {host.nbytes} bytes do not fit a device buffer of {buf.nbytes}")
    return host


def _torch_cuda_build() -> bool:
    """True when torch is installed as a CUDA build (checked without importing torch when absent)."""
    if not _has_module("torch"):
        return False
    import torch

    return torch.version.cuda is not None


def cuda_reason() -> str:
    """'' when CUDA memory is usable here, else what is missing, in order: bindings, driver, GPU."""
    if _has_module("cuda"):
        try:
            rt = import_cudart()
        except (ImportError, OSError) as e:
            return f"cuda-python is installed but its runtime bindings cannot be loaded: {e}"
        return _probe_cudart(rt)
    if _torch_cuda_build():
        import torch

        if not torch.cuda.is_available():
            return ("no CUDA GPU is visible to torch (check the NVIDIA driver with `nvidia-smi`); "
                    f"for TensorRT without torch: pip install {CUDA_PYTHON_PIN}")
        return ""
    return (f"cuda-python is not installed (TensorRT needs it for device memory): pip install {CUDA_PYTHON_PIN}, "
            "or `pip install 'caffe2-studio[tensorrt]'`")


def _probe_cudart(rt) -> str:
    ok = rt.cudaError_t.cudaSuccess
    err, driver = rt.cudaDriverGetVersion()
    if err != ok or not driver:
        return "no NVIDIA driver found (libcuda is not loaded: install the NVIDIA driver; `nvidia-smi` must work)"
    err, count = rt.cudaGetDeviceCount()
    if _enum_name(err) == "cudaErrorNoDevice":
        count, err = 0, ok
    if _enum_name(err) == "cudaErrorInsufficientDriver":
        return (f"the NVIDIA driver ({_driver(driver)}) is too old for this CUDA runtime: update the driver or "
                "install a cuda-python matching it")
    if err != ok:
        return f"no usable CUDA GPU: cudaGetDeviceCount failed with {_enum_name(err)} (driver {_driver(driver)})"
    if count < 1:
        return f"no CUDA GPU is visible (driver {_driver(driver)} found, 0 devices; check CUDA_VISIBLE_DEVICES)"
    return ""


def _driver(v: int) -> str:
    return f"CUDA {v // 1000}.{(v % 1000) // 10}"


def open_cuda() -> CudaMemory:
    """The CUDA memory provider: cuda-python when installed, else CUDA torch; C2Error when neither works."""
    why = cuda_reason()
    if why:
        raise C2Error(f"CUDA is not usable here: {why}")
    if _has_module("cuda"):
        return CudaPython()
    return TorchCuda()
