"""One batch at a time per output folder.

Two `c2core batch` runs on the same output folder used to sweep each other's
temp files and race on outputs. A full run holds an exclusive lock on
`<output_dir>/.c2batch.locks/all`; a run of single jobs (`--index`, one pod per
job in a Kubernetes Indexed Job) holds that lock shared plus an exclusive
lock on its job's own `<job>.lock`, so pods run side by side but never with a
full run, nor two pods on one job. Lock files live in `<output_dir>/.c2batch.locks/`
(apart from the state files in `.c2batch/`). A second run does not wait: it stops at
once with a message naming the folder (and the holder's pid when known).
Locks are `flock`s, released by the kernel when a process dies, so a killed
batch never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import os

from ..errors import C2Error

LOCK_DIR = ".c2batch.locks"


def _try_lock(path: str, exclusive: bool):
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = ""
        try:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        except OSError:
            pass
        os.close(fd)
        return None, holder
    if exclusive:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd, ""


@contextlib.contextmanager
def batch_lock(out_dir: str, jobs: list[str] | None = None):
    """Hold the output folder's lock (exclusive, or shared + per-job locks when `jobs` is given)."""
    from .runner import _state_name

    lock_dir = os.path.join(out_dir, LOCK_DIR)
    os.makedirs(lock_dir, exist_ok=True)
    held = []
    try:
        fd, holder = _try_lock(os.path.join(lock_dir, "all"), exclusive=jobs is None)
        if fd is None:
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise C2Error(f"another c2core batch{who} is running on this output folder: wait for it to finish, "
                          "or use another output_dir", out_dir)
        held.append(fd)
        for name in jobs or ():
            fd, holder = _try_lock(os.path.join(lock_dir, _state_name(name)), exclusive=True)
            if fd is None:
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise C2Error(f"job '{name}' is already being run by another c2core batch{who}",
                              out_dir)
            held.append(fd)
        yield
    finally:
        for fd in held:
            os.close(fd)
