"""Convert and verify every model listed in a YAML manifest, in parallel worker processes.

Resumable: jobs that already succeeded with the same inputs and options are
skipped on a second run. Prints a summary table; exits 0 only if every job
succeeded (or had succeeded before), 2 on a bad manifest, 3 if any job failed.
"""

from __future__ import annotations

import os
import sys


def add_arguments(p):
    p.add_argument("manifest", help="YAML manifest (see c2core/batch/manifest.py)")
    p.add_argument("-j", "--jobs", type=int, default=min(4, os.cpu_count() or 1), help="parallel worker processes")
    p.add_argument("--no-resume", action="store_true", help="redo every job, ignoring the state file")
    p.add_argument("--index", type=int, default=None,
                   help="run only the job at this 0-based index (one pod per model in a Kubernetes Indexed Job)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def _bar(done, total, msg, width=30):
    fill = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {msg[:60]:<60}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(args) -> int:
    import json
    from dataclasses import asdict

    from c2core.batch import load_manifest, run_batch

    from c2core.errors import C2Error

    jobs, out_dir = load_manifest(args.manifest)
    if args.index is not None:
        if not 0 <= args.index < len(jobs):
            raise C2Error(f"--index {args.index} out of range: the manifest lists {len(jobs)} job(s)", args.manifest)
        jobs = [jobs[args.index]]
    show = sys.stderr.isatty() or os.environ.get("C2_PROGRESS") == "1"
    total = len(jobs)

    def progress(fraction, msg):
        done = round((fraction or 0.0) * total)
        if show:
            _bar(done, total, msg)
        else:
            print(f"[{done}/{total}] {msg}", file=sys.stderr, flush=True)
    if args.jobs < 1:
        raise C2Error("must be at least 1", "--jobs")
    res = run_batch(jobs, out_dir, workers=args.jobs, resume=not args.no_resume, progress=progress,
                    shared=args.index is not None)
    if args.json:
        print(json.dumps([asdict(r) for r in res.results], indent=1))
    else:
        print(res.table())
    return 0 if res.ok else 3
