"""The wheel and sdist build, pass `twine check`, and the wheel's CLI works
from a clean virtual environment (not the development one)."""

import os
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--sdist", "--outdir", str(out), str(ROOT)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


def test_twine_check(dist):
    files = sorted(str(p) for p in dist.iterdir())
    assert any(f.endswith(".whl") for f in files) and any(f.endswith(".tar.gz") for f in files)
    r = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_wheel_holds_code_and_resources(dist):
    whl = next(dist.glob("*.whl"))
    names = set(zipfile.ZipFile(whl).namelist())
    for must in ("c2core/__init__.py", "c2core/proto/caffe2_pb2.py", "c2core/proto/caffe2.proto",
                 "c2core/schema/ops.json", "c2core/cli/main.py", "app/main.py"):
        assert must in names, must
    assert any(n.startswith("c2core/resources/") and n.endswith("imagenet_labels.txt") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    meta = next(n for n in names if n.endswith("entry_points.txt"))
    ep = zipfile.ZipFile(whl).read(meta).decode()
    assert "c2core = c2core.cli.main:main" in ep and "c2studio = app.main:main" in ep


def test_wheel_cli_in_fresh_venv(dist, tmp_path, corpus_dir):
    """Install the wheel alone (plus the two packages `info` needs) and run it.

    Only protobuf, numpy and pyyaml are installed besides the wheel: `info` must
    work without torch, onnx or Qt, which also proves its imports are lazy.
    """
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    whl = next(dist.glob("*.whl"))
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    r = subprocess.run(pip + ["--no-deps", str(whl)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(pip + ["protobuf>=7.35,<8", "numpy", "pyyaml"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.skip(f"could not install protobuf/numpy into the fresh venv: {r.stderr[-300:]}")
    c2 = env_dir / "bin" / "c2core"
    r = subprocess.run([str(c2), "info", str(corpus_dir / "resnet50" / "predict_net.pbtxt"), "--json"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    assert r.returncode == 0, r.stderr
    import json

    info = json.loads(r.stdout)
    assert info["num_ops"] == 175
    assert info["inputs"][0]["name"] == "gpu_0/data"
