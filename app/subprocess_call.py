"""Run one core function in a child process: for C++ work that holds the GIL.

OpenVINO's `convert_model`/`save_model` hold Python's GIL for up to seconds,
which would freeze the GUI thread even though the job runs on a worker. The
job calls the core function through `call_in_subprocess` instead: a spawned
child imports the function by name, runs it, and sends back the result or the
error; Cancel terminates the child, so it stops at once.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import time

from c2core.errors import C2Error, Cancelled


class _PipeProgress:
    """The child's `progress(fraction, message)`: forwarded to the parent through the pipe."""

    def __init__(self, conn):
        self.conn = conn

    def __call__(self, fraction, message=""):
        self.conn.send(("progress", (fraction, message)))


def _child(conn, module: str, name: str, args, kwargs, with_progress: bool) -> None:
    try:
        fn = getattr(importlib.import_module(module), name)
        if with_progress:
            kwargs = dict(kwargs, progress=_PipeProgress(conn))
        conn.send(("ok", fn(*args, **kwargs)))
    except C2Error as e:
        try:  # the error itself (a ConversionFailed carries its report), else its words
            conn.send(("c2exception", e))
        except Exception:
            conn.send(("c2error", (e.reason, e.path)))
    except BaseException as e:  # reported, never lost in the child
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def call_in_subprocess(fn, *args, cancel=None, progress=None, timeout: float = 3600.0, **kwargs):
    """fn(*args, **kwargs) in a spawned child; raises Cancelled (child killed) or the child's error.

    With `progress`, the child's function gets a `progress=` callback whose reports
    arrive here and are passed on (so a job's progress bar keeps moving).
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn.__module__, fn.__name__, args, kwargs, progress is not None),
                       daemon=True)
    proc.start()
    child.close()
    deadline = time.monotonic() + timeout
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                raise Cancelled("cancelled")
            if parent.poll(0.05):
                try:
                    status, payload = parent.recv()
                except EOFError:
                    raise C2Error(f"{fn.__name__} crashed in its worker process (exit code {proc.exitcode})") from None
                if status == "progress":
                    progress(*payload)
                    continue
                break
            if not proc.is_alive() and not parent.poll(0):
                raise C2Error(f"{fn.__name__} crashed in its worker process (exit code {proc.exitcode})")
            if time.monotonic() > deadline:
                raise C2Error(f"{fn.__name__} took longer than {timeout:.0f} s")
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join()
        parent.close()
    if status == "ok":
        return payload
    if status == "c2exception":
        raise payload
    if status == "c2error":
        raise C2Error(*payload)
    raise C2Error(payload)
