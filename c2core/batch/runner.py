"""Run batch jobs in worker processes with retry, state file and progress.

Each job runs `python -m c2core.cli.main convert ... --json` in its own
process (crash isolation: a worker killed by a signal or the OOM killer is
retried, then reported, and never leaves a partial output because `convert`
writes atomically). After every finished job the state file
`<output_dir>/.c2batch/<job>.json` is written atomically, which is what
makes an interrupted batch resumable. One file per job means pods of a
Kubernetes Indexed Job sharing the output volume never race on the state.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

from ..io.save import make_folder, write_bytes
from .manifest import Job

STATE_DIR = ".c2batch"


@dataclass
class JobResult:
    name: str
    status: str  # succeeded | failed | skipped (already done)
    output: str | None = None
    seconds: float = 0.0
    attempts: int = 0
    reason: str = ""
    max_rel_err: float | None = None
    max_abs_err: float | None = None
    fingerprint: str = ""


@dataclass
class BatchResult:
    results: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status in ("succeeded", "skipped") for r in self.results)

    def counts(self) -> dict:
        c = {"succeeded": 0, "failed": 0, "skipped": 0}
        for r in self.results:
            c[r.status] = c.get(r.status, 0) + 1
        return c

    def table(self) -> str:
        rows = [("model", "status", "verify max rel", "time s", "output / reason")]
        for r in self.results:
            err = "-" if r.max_rel_err is None else f"{r.max_rel_err:.2e}"
            what = r.reason if r.status == "failed" else os.path.basename(r.output or "")
            rows.append((r.name, r.status + (f" ({r.attempts} tries)" if r.attempts > 1 else ""), err, f"{r.seconds:.1f}", what))
        widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
        lines = []
        for j, row in enumerate(rows):
            lines.append("  ".join(str(row[i]).ljust(widths[i]) for i in range(4)) + "  " + str(row[4]))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 16)
        c = self.counts()
        lines.append(f"\n{c['succeeded']} succeeded, {c['failed']} failed, {c['skipped']} skipped (already done)")
        return "\n".join(lines)


def _state_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _state_file(out_dir: str, name: str) -> str:
    return os.path.join(out_dir, STATE_DIR, _state_name(name) + ".json")


def _load_state(out_dir: str, name: str) -> dict:
    try:
        with open(_state_file(out_dir, name), "rb") as f:
            data = json.loads(f.read())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(out_dir: str, r: "JobResult") -> None:
    p = _state_file(out_dir, r.name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    write_bytes(p, json.dumps(asdict(r), indent=1, sort_keys=True).encode())


def _parse_report(stdout: str) -> tuple[float | None, float | None]:
    """max rel / abs error from `convert --json` output (last JSON line)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rep = json.loads(line)
        except ValueError:
            continue
        outs = (rep.get("verify") or {}).get("outputs") or []
        rels = [o.get("max_rel") for o in outs if o.get("max_rel") is not None]
        abss = [o.get("max_abs") for o in outs if o.get("max_abs") is not None]
        return (max(rels) if rels else None, max(abss) if abss else None)
    return None, None


def _last_error_line(stderr: str) -> str:
    for line in reversed(stderr.strip().splitlines()):
        if line.startswith("error:"):
            return line[len("error:"):].strip()
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


def _remove_stale_temps(output: str) -> None:
    """Temp files a killed worker left beside its output (never the output).
    Called under the folder's batch lock for a job whose output no other job
    of the manifest shares (load_manifest refuses duplicates), so the only
    writer of these temps is a dead earlier worker of this job."""
    d = os.path.dirname(output) or "."
    prefix = "." + os.path.basename(output) + "."
    for n in os.listdir(d):
        if n.startswith(prefix) and n.endswith(".part"):
            p = os.path.join(d, n)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    os.unlink(p)
                except OSError:
                    pass
    from ..io.publish import sweep

    sweep(d)  # a dead worker's staging folder (c2core.io.publish), or finish its committed publish


def _describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            return f"worker killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"worker killed by signal {-rc}"
    return f"exit code {rc}"


def run_batch(jobs: list[Job], out_dir: str, workers: int = 2, resume: bool = True,
              progress=None, cancel=None, python: str | None = None, shared: bool = False) -> BatchResult:
    """Run `jobs` under the output folder's lock (see lock.py): exclusive, or with
    `shared` (a run of single jobs beside others: `--index`) only these jobs'.
    A second run on a locked folder raises C2Error at once."""
    from .lock import batch_lock

    make_folder(out_dir)
    with batch_lock(out_dir, [j.name for j in jobs] if shared else None):
        return _run_batch(jobs, out_dir, workers, resume, progress, cancel, python)


def _run_batch(jobs: list[Job], out_dir: str, workers: int = 2, resume: bool = True,
               progress=None, cancel=None, python: str | None = None) -> BatchResult:
    """Run `jobs` with at most `workers` processes; returns every job's result.

    progress(fraction, message) (fraction = jobs finished / jobs) is called as jobs
    finish; a cancelled `cancel` (CancelToken) terminates the running workers
    (their outputs stay unwritten) and the batch returns what finished.
    """
    make_folder(out_dir)
    results: dict[str, JobResult] = {}
    pending: list[tuple[Job, int]] = []
    for job in jobs:
        fp = job.fingerprint()
        prev = _load_state(out_dir, job.name) if resume else None
        if resume and prev and prev.get("status") == "succeeded" and prev.get("fingerprint") == fp and os.path.exists(job.output):
            r = JobResult(**{**prev, "status": "skipped"})
            results[job.name] = r
        else:
            pending.append((job, 0))
    total = len(jobs)
    done = len(results)
    if progress:
        progress(done / max(total, 1), f"{done} already done" if done else "starting")
    running: dict = {}  # Popen -> (job, attempt, t0)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    py = python or sys.executable
    try:
        while pending or running:
            if cancel is not None and cancel.cancelled:
                for p in running:
                    p.terminate()
                for p in running:
                    p.wait()
                break
            while pending and len(running) < max(1, workers):
                job, attempt = pending.pop(0)
                os.makedirs(os.path.dirname(job.output) or ".", exist_ok=True)
                _remove_stale_temps(job.output)
                p = subprocess.Popen([py, "-m", "c2core.cli.main", *job.convert_argv(), "--json"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                running[p] = (job, attempt + 1, time.perf_counter())
            time.sleep(0.05)
            for p in [p for p in running if p.poll() is not None]:
                job, attempt, t0 = running.pop(p)
                out, err = p.communicate()
                dt = time.perf_counter() - t0
                if p.returncode < 0:
                    _remove_stale_temps(job.output)  # what the killed worker staged goes now
                if p.returncode < 0 and attempt <= job.retries:
                    pending.append((job, attempt))  # killed: try again
                    if progress:
                        progress(done / max(total, 1), f"{job.name}: {_describe_exit(p.returncode)}, retrying")
                    continue
                rel, abs_ = _parse_report(out)
                if p.returncode == 0 and os.path.exists(job.output):
                    r = JobResult(job.name, "succeeded", job.output, dt, attempt, "", rel, abs_, job.fingerprint())
                else:
                    reason = _last_error_line(err) if p.returncode > 0 else _describe_exit(p.returncode)
                    if p.returncode == 0:
                        reason = "convert reported success but wrote no output"
                    r = JobResult(job.name, "failed", None, dt, attempt, reason or _describe_exit(p.returncode), rel, abs_, job.fingerprint())
                results[job.name] = r
                _save_state(out_dir, r)
                done += 1
                if progress:
                    progress(done / max(total, 1), f"{job.name}: {r.status}")
    finally:
        for p in running:
            if p.poll() is None:
                p.kill()
                p.wait()
    ordered = [results[j.name] for j in jobs if j.name in results]
    return BatchResult(ordered)
