"""app.jobs: the one bridge from core tasks to Qt signals."""

from __future__ import annotations

import threading

from c2core.errors import C2FormatError


def _run(qtbot, fn):
    from app.jobs import Job

    job = Job(fn, "test job")
    got = {"progress": []}
    job.progress.connect(lambda f, m: got["progress"].append((f, m)))
    job.finished.connect(lambda r: got.setdefault("finished", r))
    job.failed.connect(lambda m: got.setdefault("failed", m))
    job.cancelled.connect(lambda: got.setdefault("cancelled", True))
    with qtbot.waitSignal(job.done, timeout=10000):
        job.start()
    return job, got


def test_result_and_progress_arrive_on_the_gui_thread(qtbot):
    main = threading.get_ident()
    seen_threads = []

    def fn(progress, cancel):
        seen_threads.append(threading.get_ident())
        for i in range(1000):  # chatty: throttled to a few signals
            progress(i / 1000, f"step {i}")
        progress(1.0, "done")
        return 42

    job, got = _run(qtbot, fn)
    assert got["finished"] == 42 and job.state == "finished"
    assert seen_threads[0] != main
    assert 1 <= len(got["progress"]) < 100
    assert got["progress"][-1] == (1.0, "done")


def test_core_error_message_is_delivered(qtbot):
    def fn(progress, cancel):
        raise C2FormatError("not a NetDef", "/x/predict_net.pb")

    job, got = _run(qtbot, fn)
    assert got["failed"] == "/x/predict_net.pb: not a NetDef" and job.state == "failed"


def test_a_bug_is_reported_not_raised(qtbot):
    def fn(progress, cancel):
        return {}["missing"]

    job, got = _run(qtbot, fn)
    assert got["failed"].startswith("KeyError") and job.state == "failed"


def test_cancel_token_stops_the_task(qtbot):
    from app.jobs import Job

    started = threading.Event()

    def fn(progress, cancel):
        started.set()
        while True:
            cancel.check()

    job = Job(fn, "spin")
    with qtbot.waitSignal(job.cancelled, timeout=10000):
        job.start()
        started.wait(5)
        job.cancel()
    assert job.state == "cancelled"
    qtbot.waitUntil(lambda: job not in __import__("app.jobs", fromlist=["live_jobs"]).live_jobs(), timeout=5000)
