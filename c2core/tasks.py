"""Headless long jobs: a function that reports progress and can be cancelled.

Conversions, plan builds, comparisons and benchmarks take seconds to minutes.
The CLI prints their progress on stderr; the GUI runs them on a worker thread
and shows a progress bar with a Cancel button. Both drive the same `Task`:

    task = Task(lambda progress, cancel: convert(..., progress=progress, cancel=cancel),
                on_progress=print_progress)
    task.run()            # blocking; or task.start() + task.wait() on a thread
    task.result / task.error / task.state

A job function receives `progress(fraction, message)` (fraction in [0, 1], or
None when unknown) and a `CancelToken`; it calls `cancel.check()` at safe
points, which raises `Cancelled` once someone called `task.cancel()`.
Nothing here knows about Qt: `app/jobs.py` turns the callbacks into signals.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Protocol

from .errors import Cancelled



class Progress(Protocol):
    """The one progress signature every long job takes: `progress(fraction, message)`.

    fraction is in [0, 1], or None while the amount of work is unknown; message is
    one short line ("exporting ONNX", "job 3/10: resnet"). Conversions, batch, zoo
    builds, benchmarks and the app's jobs all report through it.
    """

    def __call__(self, fraction: float | None, message: str) -> None: ...


PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"


class CancelToken:
    """Shared flag a job polls; `check()` raises `Cancelled` once set."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")

    def __call__(self) -> bool:
        """Callable like `cancel()` -> bool, for code that takes a plain predicate."""
        return self._event.is_set()


def no_progress(fraction: float | None, message: str) -> None:
    """The progress callback used when nobody listens."""


def check_cancel(cancel: "CancelToken | None") -> None:
    """Raise `Cancelled` when `cancel` (a CancelToken, or None for "cannot be
    cancelled") was cancelled: the one cancellation spelling of long jobs."""
    if cancel is not None:
        cancel.check()


def sub_progress(progress: Progress | None, start: float, end: float) -> Progress:
    """Map a step's own 0..1 progress into [start, end] of the parent's."""
    progress = progress or no_progress

    def report(fraction: float | None, message: str) -> None:
        progress(None if fraction is None else start + (end - start) * max(0.0, min(1.0, fraction)), message)

    return report


class Task:
    """One job: run it once, then read `result` or `error`."""

    def __init__(self, fn: Callable[[Progress, CancelToken], Any], name: str = "",
                 on_progress: Progress | None = None):
        self.fn = fn
        self.name = name
        self.on_progress = on_progress
        self.cancel_token = CancelToken()
        self.state = PENDING
        self.result: Any = None
        self.error: BaseException | None = None
        self.fraction: float | None = 0.0
        self.message = ""
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    def _progress(self, fraction: float | None, message: str) -> None:
        self.fraction, self.message = fraction, message
        if self.on_progress is not None:
            self.on_progress(fraction, message)

    def run(self) -> Any:
        """Run in the calling thread; returns the result or re-raises the error."""
        if self.state != PENDING:
            raise RuntimeError(f"task {self.name!r} already {self.state}")
        self.state, self.started_at = RUNNING, time.monotonic()
        try:
            self.cancel_token.check()
            self.result = self.fn(self._progress, self.cancel_token)
            self.cancel_token.check()  # cancelled while finishing: the caller asked for nothing
            self.state = DONE
            self._progress(1.0, "done")
            return self.result
        except Cancelled as e:
            self.state, self.error = CANCELLED, e
            raise
        except Exception as e:
            if self.cancel_token.cancelled:
                # Cancel was asked for and the work broke on its way out (e.g. the
                # document it read was closed): the caller wants nothing from it.
                self.state, self.error = CANCELLED, Cancelled(f"{self.name} cancelled")
                raise self.error from e
            self.state, self.error = FAILED, e
            raise
        except BaseException as e:  # recorded for the GUI, re-raised for the CLI
            self.state, self.error = FAILED, e
            raise
        finally:
            self.finished_at = time.monotonic()
            self._done.set()

    def start(self) -> "Task":
        """Run on a daemon thread; errors are kept in `error`, not raised."""

        def body():
            try:
                self.run()
            except BaseException:
                pass

        self._thread = threading.Thread(target=body, name=f"task:{self.name}", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """True once finished (done, failed or cancelled)."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    @property
    def elapsed(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.monotonic()) - self.started_at


def stderr_progress(stream=None, min_interval: float = 0.25) -> Progress:
    """A progress callback for the CLI: one line per new message on stderr.

    On a terminal the line is rewritten in place (throttled to `min_interval`);
    in a log or pipe a line is printed when the step changes or another tenth
    is done, so logs stay short.
    """
    import sys

    out = stream or sys.stderr
    tty = hasattr(out, "isatty") and out.isatty()
    state = {"last": 0.0, "msg": None, "key": None}

    def report(fraction: float | None, message: str) -> None:
        now = time.monotonic()
        pct = "    " if fraction is None else f"{int(round(fraction * 100)):3d}%"
        if tty:
            if now - state["last"] < min_interval and fraction not in (0.0, 1.0) and message == state["msg"]:
                return
            end = "\n" if fraction == 1.0 else ""
            out.write(f"\r[{pct}] {message[:100]:<100}{end}")
        else:
            # a log line when the step changes (its text before ':', numbers ignored)
            # or another tenth is done: "op 17/94: Conv" does not print 94 lines
            import re

            step = re.sub(r"\d+", "#", message.split(":")[0])
            key = (step, None if fraction is None else int(fraction * 10))
            if key == state["key"] or message == state["msg"]:
                return
            state["key"] = key
            out.write(f"[{pct}] {message}\n")
        out.flush()
        state["last"], state["msg"] = now, message

    return report
