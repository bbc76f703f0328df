"""c2core.runtime.threads: the OpenMP wait policy is only ever a default."""

import os
import subprocess
import sys

from c2core.runtime import threads


def _run(env_extra, code):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


SNIPPET = ("import os; from c2core.runtime.threads import prefer_passive_openmp as p; "
           "r = p(); print(r, os.environ.get('OMP_WAIT_POLICY'))")


def test_sets_passive_before_torch_is_imported():
    assert _run({}, SNIPPET) == ["True", "PASSIVE"]


def test_never_overrides_the_user():
    assert _run({"OMP_WAIT_POLICY": "ACTIVE"}, SNIPPET) == ["False", "ACTIVE"]
    assert _run({"GOMP_SPINCOUNT": "1000"}, SNIPPET) == ["False", "None"]


def test_too_late_once_torch_is_loaded(monkeypatch):
    import torch  # noqa: F401  (loaded: libgomp has read its settings)

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    assert threads.prefer_passive_openmp() is False
    assert "OMP_WAIT_POLICY" not in os.environ
