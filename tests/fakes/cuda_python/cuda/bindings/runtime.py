"""FAKE `cuda.bindings.runtime` of cuda-python 12.9 (logic tests only, no GPU involved).

The subset of the CUDA runtime bindings that c2core uses, with cuda-python's
calling convention: every call returns a tuple whose first item is a
`cudaError_t` (values from CUDA 12's driver_types.h), device pointers are
ints, streams are `cudaStream_t` objects convertible with int().

Device memory is simulated: `cudaMalloc` hands out addresses in a range no
host pointer uses, backed by bytearrays; any copy that touches bytes outside
one allocation fails with cudaErrorIllegalAddress (as a real out-of-bounds
read would fault), so a calibrator or backend that reads past a buffer is
caught. Async copies and kernels queued on a stream only happen at
`cudaStreamSynchronize` (a caller that forgets to synchronise reads stale
data, as on a GPU). Stream 0 (the default stream) runs work at once.

`STATE` is the fake machine: `driver` (0 = no driver), `devices`
[(name, major, minor)], and the bookkeeping tests inspect.
"""

from __future__ import annotations

import ctypes
import enum


class cudaError_t(enum.IntEnum):
    cudaSuccess = 0
    cudaErrorInvalidValue = 1
    cudaErrorMemoryAllocation = 2
    cudaErrorInsufficientDriver = 35
    cudaErrorNoDevice = 100
    cudaErrorInvalidResourceHandle = 400
    cudaErrorIllegalAddress = 700


class cudaMemcpyKind(enum.IntEnum):
    cudaMemcpyHostToHost = 0
    cudaMemcpyHostToDevice = 1
    cudaMemcpyDeviceToHost = 2
    cudaMemcpyDeviceToDevice = 3
    cudaMemcpyDefault = 4


class cudaStream_t:
    def __init__(self, handle: int = 0):
        self._h = int(handle)

    def __int__(self):
        return self._h

    def getPtr(self):
        return self._h


class cudaDeviceProp:
    def __init__(self, name: str, major: int, minor: int):
        self.name = name.encode() + b"\0" * (256 - len(name))
        self.major, self.minor = major, minor
        self.totalGlobalMem = 24 << 30


class _State:
    BASE = 0x7A00_0000_0000  # far from any host address this process has

    def reset(self, driver: int = 12040, devices=(("NVIDIA A10", 8, 6),)):
        self.driver = driver
        self.devices = list(devices)
        self.allocs: dict[int, bytearray] = {}
        self.next = self.BASE
        self.queues: dict[int, list] = {}
        self.next_stream = 0x1000
        self.faults: list[str] = []
        self.malloc_calls = 0

    def find(self, ptr: int, n: int) -> tuple[bytearray, int]:
        for base, mem in self.allocs.items():
            if base <= ptr < base + len(mem):
                if ptr + n > base + len(mem):
                    break
                return mem, ptr - base
        self.faults.append(f"illegal access of {n} bytes at {ptr:#x}")
        raise _Fault(f"illegal access of {n} bytes at {ptr:#x}")

    def read(self, ptr: int, n: int) -> bytes:
        mem, off = self.find(ptr, n)
        return bytes(mem[off:off + n])

    def write(self, ptr: int, data: bytes) -> None:
        mem, off = self.find(ptr, len(data))
        mem[off:off + len(data)] = data

    def enqueue(self, stream: int, fn) -> None:
        """Queue `fn` on `stream` (run at synchronize); the default stream runs it now."""
        if stream == 0:
            fn()
        elif stream not in self.queues:
            raise _Fault(f"unknown stream {stream:#x}")
        else:
            self.queues[stream].append(fn)


class _Fault(Exception):
    pass


STATE = _State()
STATE.reset()


def _ok(*values):
    return (cudaError_t.cudaSuccess, *values)


def _need_device():
    if not STATE.driver:
        return cudaError_t.cudaErrorInsufficientDriver
    if not STATE.devices:
        return cudaError_t.cudaErrorNoDevice
    return None


def cudaDriverGetVersion():
    return _ok(STATE.driver)


def cudaRuntimeGetVersion():
    return _ok(12090)


def cudaGetDeviceCount():
    if not STATE.driver:
        return (cudaError_t.cudaErrorInsufficientDriver, 0)
    if not STATE.devices:
        return (cudaError_t.cudaErrorNoDevice, 0)
    return _ok(len(STATE.devices))


def cudaGetDeviceProperties(device: int):
    err = _need_device()
    if err is not None:
        return (err, None)
    if not 0 <= device < len(STATE.devices):
        return (cudaError_t.cudaErrorInvalidValue, None)
    return _ok(cudaDeviceProp(*STATE.devices[device]))


def cudaGetErrorName(err):
    return _ok(cudaError_t(err).name.encode())


def cudaMalloc(size: int):
    err = _need_device()
    if err is not None:
        return (err, 0)
    if size <= 0:
        return (cudaError_t.cudaErrorInvalidValue, 0)
    ptr = STATE.next
    STATE.allocs[ptr] = bytearray(int(size))
    STATE.next += (int(size) + 0xFFF) // 0x1000 * 0x1000 + 0x1000  # a guard gap between allocations
    STATE.malloc_calls += 1
    return _ok(ptr)


def cudaFree(ptr: int):
    if int(ptr) not in STATE.allocs:
        return (cudaError_t.cudaErrorInvalidValue,)
    del STATE.allocs[int(ptr)]
    return _ok()


def _copy(dst: int, src: int, count: int, kind) -> None:
    kind = cudaMemcpyKind(kind)
    if kind == cudaMemcpyKind.cudaMemcpyHostToDevice:
        STATE.write(dst, ctypes.string_at(src, count))
    elif kind == cudaMemcpyKind.cudaMemcpyDeviceToHost:
        ctypes.memmove(dst, STATE.read(src, count), count)
    elif kind == cudaMemcpyKind.cudaMemcpyDeviceToDevice:
        STATE.write(dst, STATE.read(src, count))
    else:
        raise _Fault(f"copy kind {kind.name} not simulated")


def cudaMemcpy(dst, src, count, kind):
    try:
        _copy(int(dst), int(src), int(count), kind)
    except _Fault:
        return (cudaError_t.cudaErrorIllegalAddress,)
    return _ok()


def cudaMemcpyAsync(dst, src, count, kind, stream):
    args = (int(dst), int(src), int(count), kind)
    try:
        STATE.enqueue(int(stream), lambda: _copy(*args))
    except _Fault:
        return (cudaError_t.cudaErrorIllegalAddress,)
    return _ok()


def cudaStreamCreate():
    err = _need_device()
    if err is not None:
        return (err, None)
    h = STATE.next_stream
    STATE.next_stream += 0x10
    STATE.queues[h] = []
    return _ok(cudaStream_t(h))


def cudaStreamSynchronize(stream):
    h = int(stream)
    if h == 0:
        return _ok()
    if h not in STATE.queues:
        return (cudaError_t.cudaErrorInvalidResourceHandle,)
    work, STATE.queues[h] = STATE.queues[h], []
    try:
        for fn in work:
            fn()
    except _Fault:
        return (cudaError_t.cudaErrorIllegalAddress,)
    return _ok()


def cudaStreamDestroy(stream):
    if STATE.queues.pop(int(stream), None) is None:
        return (cudaError_t.cudaErrorInvalidResourceHandle,)
    return _ok()
