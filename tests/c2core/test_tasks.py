"""Task: progress, result, error, cancel, threads; progress helpers."""

import io
import threading
import time

import pytest

from c2core.errors import C2Error, Cancelled
from c2core.tasks import (CANCELLED, DONE, FAILED, CancelToken, Task, check_cancel, stderr_progress,
                          sub_progress)


def test_run_reports_progress_and_result():
    seen = []

    def job(progress, cancel):
        for i in range(3):
            progress((i + 1) / 3, f"step {i + 1}")
        return 42

    t = Task(job, "j", on_progress=lambda f, m: seen.append((round(f, 3), m)))
    assert t.run() == 42 and t.state == DONE and t.result == 42 and t.error is None
    assert seen == [(0.333, "step 1"), (0.667, "step 2"), (1.0, "step 3"), (1.0, "done")]
    with pytest.raises(RuntimeError, match="already done"):
        t.run()


def test_error_is_kept_and_reraised():
    def job(progress, cancel):
        raise C2Error("bad input", "x.pb")

    t = Task(job)
    with pytest.raises(C2Error):
        t.run()
    assert t.state == FAILED and str(t.error) == "x.pb: bad input"


def test_cancel_from_another_thread():
    started = threading.Event()

    def job(progress, cancel):
        started.set()
        while True:
            cancel.check()
            time.sleep(0.001)

    t = Task(job).start()
    assert started.wait(5)
    t.cancel()
    assert t.wait(5) and t.state == CANCELLED and isinstance(t.error, Cancelled)


def test_cancel_before_start_never_runs_the_job():
    ran = []
    t = Task(lambda p, c: ran.append(1))
    t.cancel()
    with pytest.raises(Cancelled):
        t.run()
    assert ran == [] and t.state == CANCELLED


def test_check_cancel_takes_the_one_token():
    tok = CancelToken()
    check_cancel(tok)
    check_cancel(None)
    tok.cancel()
    assert tok() is True and tok.cancelled
    with pytest.raises(Cancelled):
        check_cancel(tok)


def test_a_task_cancelled_while_finishing_is_cancelled():
    def job(progress, cancel):
        cancel.cancel()  # as if Cancel was pressed just before the function returned
        return 1

    t = Task(job)
    with pytest.raises(Cancelled):
        t.run()
    assert t.state == CANCELLED


def test_sub_progress_maps_into_a_range():
    seen = []
    sub = sub_progress(lambda f, m: seen.append(f), 0.5, 0.75)
    sub(0.0, "a")
    sub(1.0, "b")
    sub(2.0, "clamped")
    sub(None, "unknown")
    assert seen == [0.5, 0.75, 0.75, None]


def test_stderr_progress_in_a_log_prints_steps_and_tenths_only():
    out = io.StringIO()
    rep = stderr_progress(out)
    rep(0.0, "exporting")
    for i in range(1, 95):
        rep(i / 94 * 0.5, f"op {i}/94: Conv")
    rep(0.5, "converting")
    rep(1.0, "done")
    lines = out.getvalue().splitlines()
    assert lines[0] == "[  0%] exporting" and lines[-1] == "[100%] done"
    assert 5 <= len([ln for ln in lines if "op " in ln]) <= 7  # one per tenth, not 94


def test_an_error_after_cancel_ends_the_task_cancelled_not_failed():
    """Cancel asked for, then the work breaks on its way out (its input was closed under
    it): the task ends cancelled, as the caller wants nothing from it; an error with no
    cancel asked for still fails."""

    def broken_after_cancel(progress, cancel):
        cancel.cancel()
        raise C2Error("the model has no weights")

    t = Task(broken_after_cancel, name="t")
    with pytest.raises(Cancelled):
        t.run()
    assert t.state == "cancelled"

    t2 = Task(lambda progress, cancel: (_ for _ in ()).throw(C2Error("bad")), name="t2")
    with pytest.raises(C2Error):
        t2.run()
    assert t2.state == "failed"
