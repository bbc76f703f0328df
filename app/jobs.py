"""The one place where headless work becomes Qt signals.

Core tasks (open a model, lay out a graph, export, classify) are plain
callables `fn(progress, cancel) -> result` that know nothing about Qt. `Job`
runs one on the app's own `QThreadPool` and re-emits what happens as signals
delivered on the GUI thread: `progress(fraction, message)`, `finished(result)`,
`failed(message)`, `cancelled()`. Progress is throttled so a chatty task
cannot flood the event loop, and `cancel()` sets the token the task polls.
Widgets never start threads themselves; tests check that `pool()` is idle.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from c2core.errors import C2Error, Cancelled
from c2core.tasks import CANCELLED, DONE, FAILED, PENDING, RUNNING, CancelToken, Task

log = logging.getLogger("c2studio.jobs")

_POOL: QThreadPool | None = None
_LIVE: set["Job"] = set()  # keep Python wrappers alive until their signals are delivered


def pool() -> QThreadPool:
    """The app's worker pool (separate from Qt's global one so tests can audit it)."""
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setObjectName("c2studio-jobs")
        _POOL.setMaxThreadCount(4)
    return _POOL


def live_jobs() -> list["Job"]:
    return list(_LIVE)


def make_token() -> CancelToken:
    return CancelToken()


class _Runnable(QRunnable):
    def __init__(self, job: "Job"):
        super().__init__()
        self.setAutoDelete(True)
        self._job = job

    def run(self) -> None:  # worker thread
        self._job._execute()


class Job(QObject):
    """A Qt face for one `c2core.tasks.Task`: its progress, result and state as signals.

    The task (state machine, cancel token, timing) is the core's; this class only
    runs it on the pool and re-emits what happens on the GUI thread.
    """

    progress = Signal(float, str)  # fraction in [0, 1] or -1 for "busy", message
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()  # after any of finished/failed/cancelled

    _STATES = {PENDING: "new", RUNNING: "running", DONE: "finished", FAILED: "failed", CANCELLED: "cancelled"}

    def __init__(self, fn: Callable[..., Any], name: str = "job", parent: QObject | None = None,
                 min_interval: float = 0.05):
        # No Qt parent on purpose: a dialog closed mid-job must not delete the object its
        # worker still emits from; `_LIVE` keeps it alive until `done` is delivered.
        super().__init__(None)
        self.fn = fn
        self.name = name
        self.task = Task(fn, name=name, on_progress=self._report)
        self.error: str | None = None
        self._started = False
        self._min_interval = min_interval
        self._last_emit = 0.0
        self.done.connect(self._forget)

    @property
    def token(self) -> CancelToken:
        return self.task.cancel_token

    @property
    def result(self) -> Any:
        return self.task.result

    @property
    def state(self) -> str:
        """new, running, finished, failed or cancelled (the task's state in the app's words)."""
        if self._started and self.task.state == PENDING:
            return "running"
        return self._STATES[self.task.state]

    @property
    def elapsed(self) -> float:
        return self.task.elapsed or 0.0

    # ----- GUI side -------------------------------------------------------
    def start(self) -> "Job":
        self._started = True
        _LIVE.add(self)
        log.info("%s: started", self.name)
        pool().start(_Runnable(self))
        return self

    def cancel(self) -> None:
        if self.state == "running":
            log.info("%s: cancel requested", self.name)
            self.task.cancel()

    @property
    def is_running(self) -> bool:
        return self.state == "running"

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until the worker returned (tests, app shutdown)."""
        return self.task.wait(timeout)

    def _forget(self) -> None:
        _LIVE.discard(self)

    # ----- worker side ----------------------------------------------------
    def _report(self, fraction: float | None = None, message: str = "") -> None:
        """The task's progress callback (c2core.tasks.Progress): throttled re-emit."""
        if fraction is not None and fraction > 1.0:
            fraction = 1.0
        now = time.monotonic()
        final = fraction is not None and fraction >= 1.0
        if not final and now - self._last_emit < self._min_interval:
            return
        self._last_emit = now
        self.progress.emit(-1.0 if fraction is None else float(fraction), str(message or ""))
        time.sleep(0.001)  # hand the GIL to the GUI thread so it can show this (and a Cancel) promptly

    def _execute(self) -> None:
        try:
            result = self.task.run()
        except Cancelled:
            log.info("%s: cancelled after %.2f s", self.name, self.elapsed)
            self.cancelled.emit()
        except C2Error as e:
            self.error = str(e)
            log.error("%s: %s", self.name, e)
            self.failed.emit(self.error)
        except Exception as e:  # a bug in the core: still shown, never fatal
            self.error = f"{type(e).__name__}: {e}"
            log.error("%s failed:\n%s", self.name, traceback.format_exc())
            self.failed.emit(self.error)
        else:
            log.info("%s: finished in %.2f s", self.name, self.elapsed)
            self.finished.emit(result)
        self.done.emit()


def run_job(fn, name: str, parent=None, on_done=None, on_error=None, on_progress=None) -> Job:
    """Start a job and wire the usual callbacks."""
    job = Job(fn, name, parent)
    if on_done is not None:
        job.finished.connect(on_done)
    if on_error is not None:
        job.failed.connect(on_error)
    if on_progress is not None:
        job.progress.connect(on_progress)
    return job.start()


def shutdown(timeout_ms: int = 10000) -> None:
    """Cancel every live job and wait for the pool (app exit, test teardown)."""
    for j in list(_LIVE):
        j.cancel()
    if _POOL is not None:
        _POOL.waitForDone(timeout_ms)
