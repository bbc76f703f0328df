"""Every kind of bad input: a precise error naming the file (API and CLI), or a warning.

Through the CLI each hard error must exit 2 with exactly one stderr line
`error: <file>: <reason>` and no traceback; soft problems (unused init
blobs, blobs nobody provides, unknown op types) open with warnings.
"""

import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from c2core.builder import init_net_from, make_arg
from c2core.errors import C2FormatError
from c2core.io import open_model
from c2core.io.save import save_net
from io_synthetic import tiny_predict, tiny_weights, write_pair

C2CORE = [sys.executable, "-m", "c2core.cli.main"]


def cli(*args):
    return subprocess.run(C2CORE + [str(a) for a in args], capture_output=True, text=True, timeout=120)


def assert_cli_error(path, bad, *match):
    r = cli("info", path)
    assert r.returncode == 2, r.stderr + r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert os.path.basename(str(bad)) in lines[0]
    assert "Traceback" not in r.stderr
    for m in match:
        assert m in lines[0], lines[0]
    return lines[0]


def _binary_pair(tmp_path):
    return write_pair(tmp_path)


def _one_file(tmp_path, name, content, reason):
    """A lone predict-net file with `content` (bytes or text)."""
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return p, p, reason


def _bad_fill_shape(tmp_path, op_index, shape, reason):
    """A pair whose init net's fill op #op_index declares `shape` instead of its real one."""
    w = tiny_weights()
    p, i = write_pair(tmp_path, weights=w)
    init = init_net_from(w)
    init.op[op_index].arg[0].CopyFrom(make_arg("shape", shape))
    save_net(init, str(i))
    return p, i, reason


def make_empty(tmp_path):
    return _one_file(tmp_path, "predict_net.pb", b"", "empty")


def make_whitespace_text(tmp_path):
    return _one_file(tmp_path, "predict_net.pbtxt", "  \n\n ", "only whitespace")


def make_truncated(tmp_path):
    p, i = _binary_pair(tmp_path)
    data = i.read_bytes()
    i.write_bytes(data[: len(data) // 2])
    return p, i, "truncated or corrupt"


def make_garbage_binary(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    return _one_file(tmp_path, "predict_net.pb", data, "not a Caffe2 NetDef")


def make_garbage_text(tmp_path):
    return _one_file(tmp_path, "predict_net.pbtxt", 'name: "x"\nop {\n  type: "Relu"\n  input: \n}\n',
                     "not a valid text NetDef")


def make_prose_text(tmp_path):
    return _one_file(tmp_path, "predict_net.pbtxt", "This is a README, not a network.\n", "NetDef")


def make_swapped(tmp_path):
    p, i = _binary_pair(tmp_path)
    pd, idata = p.read_bytes(), i.read_bytes()
    p.write_bytes(idata)
    i.write_bytes(pd)
    return p, p, "swapped"


def make_mismatched(tmp_path):
    p, i = write_pair(tmp_path, weights={"other_w": np.ones(3, np.float32), "other_b": np.ones(1, np.float32)})
    return p, i, "mismatched pair"


def make_both_init(tmp_path):
    p, i = _binary_pair(tmp_path)
    p.write_bytes(i.read_bytes())
    return i, i, "init net"


def make_count_mismatch(tmp_path):
    return _bad_fill_shape(tmp_path, 1, [5], "needs 5 values but 4 are stored")  # conv_b stores 4 values


def make_absurd_shape(tmp_path):
    return _bad_fill_shape(tmp_path, 0, [1 << 20, 1 << 20, 1 << 10], "over the memory budget")


def make_negative_dim(tmp_path):
    return _bad_fill_shape(tmp_path, 0, [4, -3], "negative dimension")


def make_non_utf8_name(tmp_path):
    net = tiny_predict()
    net.op[3].output[0] = "PROB"
    data = net.SerializeToString().replace(b"PROB", b"PR\xffB")
    return _one_file(tmp_path, "predict_net.pb", data, "not valid UTF-8")


def make_truncated_minidb(tmp_path):
    rec = b"!!META_NET_DEF"
    return _one_file(tmp_path, "model.minidb", struct.pack("<ii", len(rec), 1000) + rec + b"\x00" * 10, "minidb")


def make_missing(tmp_path):
    return tmp_path / "nope.pb", tmp_path / "nope.pb", "no such file"


HARD = [make_empty, make_whitespace_text, make_truncated, make_garbage_binary, make_garbage_text, make_prose_text,
        make_swapped, make_mismatched, make_both_init, make_count_mismatch, make_absurd_shape, make_negative_dim,
        make_non_utf8_name, make_truncated_minidb, make_missing]


@pytest.mark.parametrize("make", HARD, ids=[f.__name__[5:] for f in HARD])
def test_hard_errors_api(tmp_path, make):
    p, bad, text = make(tmp_path)
    with pytest.raises(C2FormatError) as e:
        m = open_model(str(p))
        m.weights  # noqa: B018 - values are checked when loaded, too
    assert text in e.value.reason, e.value.reason
    assert os.path.basename(e.value.path) == os.path.basename(str(bad))


# A corrupt init net beside a sound predict net: `info` shows the structure with a
# warning naming the bad file (tests/c2core/io/test_corrupt_init.py); the API still
# refuses the weights themselves.
CORRUPT_INIT = {make_truncated, make_count_mismatch, make_absurd_shape, make_negative_dim}


@pytest.mark.parametrize("make", [m for m in HARD if m not in CORRUPT_INIT],
                         ids=[f.__name__[5:] for f in HARD if f not in CORRUPT_INIT])
def test_hard_errors_cli(tmp_path, make):
    p, bad, text = make(tmp_path)
    assert_cli_error(p, bad, text)


def test_absurd_shape_is_refused_before_allocating(tmp_path):
    p, i, _ = make_absurd_shape(tmp_path)
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(C2FormatError):
        open_model(str(p)).weights  # noqa: B018
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 << 20


def test_unused_init_blobs_warn(tmp_path):
    w = dict(tiny_weights(), stale_w=np.ones(2, np.float32))
    p, _ = write_pair(tmp_path, weights=w)
    m = open_model(str(p))
    assert any("init_net.pb" in x and "never used" in x and "stale_w" in x for x in m.warnings)
    r = cli("info", p)
    assert r.returncode == 0 and "stale_w" in r.stdout


def test_blobs_nobody_provides_warn(tmp_path):
    net = tiny_predict()
    net.op.add(type="Add", input=["prob", "ghost"], output=["out"])
    p, _ = write_pair(tmp_path, predict=net)
    m = open_model(str(p))
    assert any("predict_net.pb" in x and "nobody provides" in x and "ghost" in x for x in m.warnings)
    r = cli("info", p, "--json")
    assert r.returncode == 0 and any("ghost" in x for x in __import__("json").loads(r.stdout)["warnings"])


def test_unknown_ops_open_draw_and_are_listed(tmp_path):
    net = tiny_predict()
    net.op.add(type="MyCustomOp", input=["prob"], output=["custom"])
    p, _ = write_pair(tmp_path, predict=net)
    m = open_model(str(p))
    assert any("MyCustomOp" in x for x in m.warnings)
    from c2core.cli.info import summary

    assert summary(m)["unknown_ops"] == ["MyCustomOp"]
    out = tmp_path / "g.svg"
    r = cli("draw", p, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "MyCustomOp (op#4)" in out.read_text()


def test_wrong_input_shape_option_is_a_user_error(tmp_path):
    p, _ = write_pair(tmp_path)
    r = cli("info", p, "--input-shape", "data=1,a")
    assert r.returncode == 2 and r.stderr.startswith("error: --input-shape:") and "Traceback" not in r.stderr
    r = cli("info", p, "--input-shape", "nosuch=1,2")
    assert r.returncode == 2 and "nosuch" in r.stderr


def test_swapped_pair_picked_by_its_init_name(tmp_path):
    p, i, _ = make_swapped(tmp_path)
    with pytest.raises(C2FormatError, match="swapped") as e:
        open_model(str(i))
    assert e.value.path == str(i)
