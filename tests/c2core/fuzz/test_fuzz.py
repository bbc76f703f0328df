"""The fuzz test: hostile mutations of real and built-in models through the CLI.

Every case must exit 0 or 2 (one `error:` line, no traceback, no output or
temp file left behind on failure, no hang). The cases run in one worker
process (imports paid once) under an address-space cap, with a small memory
budget so that absurd sizes meet the budget's refusal long before the cap.
`make test` runs FUZZ_CASES (default 300); set FUZZ_CASES=2000 (and
FUZZ_SEED) for a longer hunt. Measured numbers are printed (-s) and written to
`fuzz-report.json` in the pytest temp folder.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CORPUS, ROOT

CASES = int(os.environ.get("FUZZ_CASES", "300"))
SEED = int(os.environ.get("FUZZ_SEED", "1"))
BUDGET = "1G"  # the memory budget inside the worker
AS_LIMIT_GB = 16  # hard cap on the worker's address space (torch maps a lot of virtual memory)


def _run_worker(tmp_path, cases: int, seed: int) -> list[dict]:
    out = tmp_path / "fuzz-results.json"
    env = dict(os.environ, C2CORE_MAX_MEMORY=BUDGET, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    env.pop("C2CORE_STRICT", None)  # as a user runs it: developer checks off
    cmd = [sys.executable, "-m", "tests.c2core.fuzz.fuzzer", "--cases", str(cases), "--seed", str(seed),
           "--out", str(out), "--as-limit-gb", str(AS_LIMIT_GB)]
    if CORPUS.is_dir():
        cmd += ["--corpus", str(CORPUS)]
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=max(600, cases * 5))
    assert p.returncode == 0, f"fuzz worker failed:\n{p.stderr[-4000:]}"
    return json.loads(out.read_text())


@pytest.mark.slow
def test_fuzz_cli_exit_codes(tmp_path):
    if not CORPUS.is_dir():
        print(f"note: corpus absent at {CORPUS}: fuzzing built-in models only")
    results = _run_worker(tmp_path, CASES, SEED)
    assert len(results) == CASES
    counts = collections.Counter(r["rc"] for r in results)
    worst = max(results, key=lambda r: r["maxrss_kb"])
    jump = max(results, key=lambda r: r["rss_growth_kb"])
    slow = max(results, key=lambda r: r["seconds"])
    report = {"cases": len(results), "seed": SEED, "exit_counts": dict(counts),
              "peak_rss_mb": round(worst["maxrss_kb"] / 1024, 1),
              "largest_rss_growth": {"case": jump["case"], "mb": round(jump["rss_growth_kb"] / 1024, 1),
                                     "label": jump["label"], "command": jump["argv"]},
              "longest": {"case": slow["case"], "seconds": slow["seconds"], "label": slow["label"],
                          "command": slow["argv"]},
              "total_seconds": round(sum(r["seconds"] for r in results), 1)}
    (tmp_path / "fuzz-report.json").write_text(json.dumps(report, indent=1))
    print("\nfuzz:", json.dumps(report))
    bad = [r for r in results if r["problems"]]
    detail = "\n".join(f"case {r['case']} {r['argv']} {r['label']}: {', '.join(r['problems'])}: {r['last']}\n"
                       f"{r['traceback'][-1500:]}" for r in bad[:10])
    assert not bad, f"{len(bad)} of {len(results)} fuzz cases broke the contract (seed {SEED}):\n{detail}"
    assert counts.get(1, 0) == 0
    assert counts.get(0, 0) > 0 and counts.get(2, 0) > 0  # the mutations reach both outcomes
