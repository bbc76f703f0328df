"""`c2core draw`: formats by extension, options, exit codes, atomic output."""

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from c2core.builder import NetBuilder
from c2core.io.save import save_net

C2CORE = [sys.executable, "-m", "c2core.cli.main"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def cli(*args):
    return subprocess.run(C2CORE + [str(a) for a in args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def net_file(tmp_path):
    b = NetBuilder("chain")
    b.op("Conv", ["data", "w"], "c", kernel=1)
    b.op("Relu", "c", "c")
    b.op("Add", ["c", "data"], "out")
    b.inputs("data", "w").outputs("out")
    p = tmp_path / "predict_net.pb"
    save_net(b.net, str(p))
    return p


def _svg_titles(path):
    root = ET.parse(path).getroot()
    return sorted(g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node")


@needs_dot
def test_svg_full_and_minimal(net_file, tmp_path):
    out = tmp_path / "full.svg"
    r = cli("draw", net_file, "-o", out)
    assert r.returncode == 0, r.stderr
    titles = _svg_titles(out)
    assert [t for t in titles if t.startswith("op")] == ["op0", "op1", "op2"]
    assert len([t for t in titles if t.startswith("blob")]) == 5  # data, w, c, c (in place), out
    out2 = tmp_path / "min.svg"
    assert cli("draw", net_file, "-o", out2, "--minimal", "--rankdir", "TB").returncode == 0
    assert _svg_titles(out2) == ["op0", "op1", "op2"]
    assert "Conv (op#0)" in out2.read_text()


def test_dot_options(net_file, tmp_path):
    out = tmp_path / "g.dot"
    r = cli("draw", net_file, "-o", out, "--minimal-dependency", "--append-output", "--rankdir", "TB")
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "rankdir=TB" in text
    assert "op0 -> op1" in text and "op1 -> op2" in text and "op0 -> op2" not in text
    assert 'label="Relu (op#1)\\nc"' in text
    assert "blob" not in text


@needs_dot
@pytest.mark.parametrize("ext,magic", [("pdf", b"%PDF"), ("png", b"\x89PNG")])
def test_binary_formats(net_file, tmp_path, ext, magic):
    out = tmp_path / f"g.{ext}"
    assert cli("draw", net_file, "-o", out).returncode == 0
    assert out.read_bytes()[:4] == magic[:4]


def test_bad_extension_and_bad_model_exit_2(net_file, tmp_path):
    r = cli("draw", net_file, "-o", tmp_path / "g.gif")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "g.gif" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "junk.pbtxt"
    bad.write_text("op { type: ")
    out = tmp_path / "g.svg"
    r = cli("draw", bad, "-o", out)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "junk.pbtxt" in r.stderr
    assert not out.exists()


def test_missing_output_option_is_usage_error(net_file):
    r = cli("draw", net_file)
    assert r.returncode == 2 and "-o" in r.stderr
