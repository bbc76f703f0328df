"""The memory budget: sizes from files refused before allocating, with exit 2 naming what, how much and the budget.

Each test holds a reproducer from the audit (issue 13): a few bytes declaring
gigabytes. tracemalloc proves nothing large was allocated before the refusal.
"""

from __future__ import annotations

import io
import json
import tracemalloc

import numpy as np
import pytest

from c2core import budget
from c2core.builder import NetBuilder, make_arg, model_from
from c2core.cli.main import main
from c2core.errors import C2Error
from c2core.io.save import save_model, save_net
from c2core.proto import caffe2_pb2
from tests.references.tiny_classifier import tiny_classifier


def _cli(argv, capsys):
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    return rc, err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error: "), err
    assert "Traceback" not in err
    return lines[-1]


def test_parse_size_and_limit(monkeypatch):
    assert budget.parse_size("4G") == 4 << 30
    assert budget.parse_size("512MiB") == 512 << 20
    assert budget.parse_size("1.5g") == int(1.5 * (1 << 30))
    assert budget.parse_size("1000") == 1000
    assert budget.parse_size("50%") == budget.physical_ram() // 2
    for bad in ("", "x", "-1G", "0", "150%", "4 parsecs"):
        with pytest.raises(ValueError):
            budget.parse_size(bad)
    monkeypatch.delenv(budget.ENV, raising=False)
    assert budget.limit() == int(budget.physical_ram() * budget.DEFAULT_FRACTION)
    monkeypatch.setenv(budget.ENV, "3M")
    assert budget.limit() == 3 << 20


def test_cli_flag_anywhere_and_bad_values(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(budget.ENV, raising=False)
    m, _ = tiny_classifier()
    save_model(m, str(tmp_path / "m"))
    assert _cli(["--max-memory", "1G", "info", tmp_path / "m"], capsys)[0] == 0
    assert _cli(["info", tmp_path / "m", "--max-memory=1G"], capsys)[0] == 0
    rc, err = _cli(["info", tmp_path / "m", "--max-memory", "lots"], capsys)
    assert rc == 2 and _one_error_line(err).startswith("error: --max-memory: ")
    monkeypatch.setenv(budget.ENV, "nonsense")
    rc, err = _cli(["info", tmp_path / "m"], capsys)
    assert rc == 2 and "C2CORE_MAX_MEMORY" in _one_error_line(err)


def _pair_with_fill(tmp_path, op_type, shape, **args):
    m, w = tiny_classifier()
    d = tmp_path / "m"
    save_model(m, str(d))
    init = caffe2_pb2.NetDef()
    init.ParseFromString((d / "init_net.pb").read_bytes())
    op = init.op.add(type=op_type, output=["unused_big"])
    op.arg.extend([make_arg("shape", shape)] + [make_arg(k, v) for k, v in args.items()])
    save_net(init, str(d / "init_net.pb"))
    return d


@pytest.mark.parametrize("op_type", ["ConstantFill", "XavierFill", "GaussianFill"])
def test_init_fill_over_budget_refused_before_allocating(tmp_path, capsys, op_type):
    # the audit's 2 MB model that allocated 8.6 GB for a blob the net never uses
    d = _pair_with_fill(tmp_path, op_type, [1 << 31, 4])
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 3, 8, 8), np.float32))
    tracemalloc.start()
    rc, err = _cli(["--max-memory", "1G", "run", d, "-i", x, "-o", tmp_path / "o.npz"], capsys)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    line = _one_error_line(err)
    assert rc == 2 and "unused_big" in line and "32.0 GiB" in line and "1.0 GiB" in line, line
    assert peak < 512 << 20  # imports only: nothing near the 32 GiB declared
    assert not (tmp_path / "o.npz").exists()


def test_value_info_dims_over_budget_and_bad_numbers(tmp_path, capsys):
    m, _ = tiny_classifier()
    d = tmp_path / "m"
    save_model(m, str(d))
    cases = {
        '{"data": [1, [1099511627776]]}': "memory budget",
        '{"data": [1, [1, null, 8, 8]]}': "dimension None",
        '{"data": [1, [1, 3.5, 8, 8]]}': "dimension 3.5",
        '{"data": [1, [1, Infinity, 8, 8]]}': "Infinity",
        '{"data": [1, [1, NaN, 8, 8]]}': "NaN",
        '{"data": [1, [1, -7, 8, 8]]}': "dimension -7",
        '{"data": [77, [1, 3, 8, 8]]}': "elem_type 77",
        '{"data": [1, [true, 3, 8, 8]]}': "dimension True",
    }
    for text, phrase in cases.items():
        (d / "value_info.json").write_text(text)
        rc, err = _cli(["--max-memory", "1G", "info", d], capsys)
        line = _one_error_line(err)
        assert rc == 2 and "value_info.json" in line and phrase in line, (text, line)


def _npy_header_only(path, shape, descr="<f4", extra=b""):
    import numpy.lib.format as npf

    buf = io.BytesIO()
    npf.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    path.write_bytes(buf.getvalue() + extra)


def test_npy_header_checked_before_reading(tmp_path, capsys):
    from c2core.io.npy import load_npy

    big = tmp_path / "big.npy"
    _npy_header_only(big, (65536, 65536))  # 192 bytes declaring 16 GiB
    tracemalloc.start()
    with pytest.raises(budget.BudgetError, match=r"16.0 GiB.*memory budget"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(budget, "_override", 1 << 30)
            load_npy(big)
    assert tracemalloc.get_traced_memory()[1] < 8 << 20
    tracemalloc.stop()
    short = tmp_path / "short.npy"
    _npy_header_only(short, (1000,), extra=b"\0" * 100)
    with pytest.raises(C2Error, match="holds only 100 bytes"):
        load_npy(short)
    be = tmp_path / "be.npy"
    np.save(be, np.arange(6, dtype=">f4").reshape(2, 3))
    a = load_npy(be)
    assert a.dtype == np.float32 and a.dtype.isnative and a.tolist() == [[0, 1, 2], [3, 4, 5]]
    f = tmp_path / "f.npy"
    np.save(f, np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)))
    assert load_npy(f).tolist() == [[0, 1, 2], [3, 4, 5]]
    for name, arr, phrase in (("s.npy", np.array(["a", "b"]), "strings"),
                              ("st.npy", np.zeros(2, [("a", "f4")]), "structured"),
                              ("c.npy", np.zeros(2, np.complex64), "complex"),
                              ("o.npy", np.array([{}, 1], dtype=object), "pickled")):
        np.save(tmp_path / name, arr, allow_pickle=True)
        with pytest.raises(C2Error, match=phrase):
            load_npy(tmp_path / name)


def test_run_input_npy_over_budget_exit_2(tmp_path, capsys):
    m, _ = tiny_classifier()
    save_model(m, str(tmp_path / "m"))
    big = tmp_path / "big.npy"
    _npy_header_only(big, (65536, 65536))
    rc, err = _cli(["--max-memory", "1G", "run", tmp_path / "m", "-i", big, "-o", tmp_path / "o.npz"], capsys)
    line = _one_error_line(err)
    assert rc == 2 and "big.npy" in line and "16.0 GiB" in line


def _runnable(net):
    return model_from(net, {"unused_w": np.zeros(1, np.float32)})


def test_runtime_output_sizes_checked_before_kernels(monkeypatch):
    from c2core.runtime import Predictor

    monkeypatch.setattr(budget, "_override", 1 << 30)
    nb = NetBuilder("r").inputs("x").outputs("y")
    nb.op("ResizeNearest", "x", "y", height_scale=5e4, width_scale=5e4)
    p = Predictor(_runnable(nb.net))
    with pytest.raises(C2Error, match=r"op #0 ResizeNearest output 'y'.*149.0 GiB.*1.0 GiB"):
        p.run({"x": np.zeros((1, 1, 4, 4), np.float32)})
    # sized by a tensor's values: the kernel checks before torch allocates
    nb = NetBuilder("c").inputs("s").outputs("y")
    nb.op("ConstantFill", "s", "y", input_as_shape=1)
    p = Predictor(_runnable(nb.net))
    with pytest.raises(C2Error, match=r"op #0 ConstantFill.*16.0 GiB.*memory budget"):
        p.run({"s": np.array([65536, 65536], np.int64)})
    nb = NetBuilder("p").inputs("x").outputs("y")
    nb.op("PadImage", "x", "y", pad=100000)
    with pytest.raises(C2Error, match=r"op #0 PadImage output 'y'.*memory budget"):
        Predictor(_runnable(nb.net)).run({"x": np.zeros((1, 1, 4, 4), np.float32)})
    # a sane size still runs, with the right values (nearest: each pixel repeated)
    nb = NetBuilder("ok").inputs("x").outputs("y")
    nb.op("ResizeNearest", "x", "y", height_scale=2.0, width_scale=2.0)
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    y = Predictor(_runnable(nb.net)).run({"x": x})["y"]
    np.testing.assert_array_equal(y, x.repeat(2, axis=2).repeat(2, axis=3))


def test_onnx_import_sizes(tmp_path, capsys):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def save(nodes, inits, name):
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
        p = tmp_path / f"{name}.onnx"
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
        return p

    shape = numpy_helper.from_array(np.array([65536, 65536], np.int64), "s")
    cos = save([helper.make_node("ConstantOfShape", ["s"], ["c"]), helper.make_node("Add", ["x", "c"], ["y"])],
               [shape], "cos")
    big = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40])
    none = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    short = numpy_helper.from_array(np.zeros(4, np.float32), "w")
    short.raw_data = short.raw_data[:-2]
    cases = [(cos, "ConstantOfShape", "16.0 GiB"),
             (save([helper.make_node("Add", ["x", "w"], ["y"])], [big], "huge"), "initializer 'w'", "4.0 TiB"),
             (save([helper.make_node("Add", ["x", "w"], ["y"])], [none], "nodata"), "initializer 'w'", "no data"),
             (save([helper.make_node("Add", ["x", "w"], ["y"])], [short], "short"), "initializer 'w'", "14")]
    for path, what, phrase in cases:
        tracemalloc.start()
        rc, err = _cli(["--max-memory", "1G", "import", path, "-o", tmp_path / ("out_" + path.stem)], capsys)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        line = _one_error_line(err)
        assert rc == 2 and what in line and phrase in line, line
        assert peak < 512 << 20
        assert not (tmp_path / ("out_" + path.stem)).exists()


def test_readme_states_budget_and_exit_codes():
    from tests.conftest import ROOT

    text = (ROOT / "README.md").read_text()
    assert "--max-memory" in text and "C2CORE_MAX_MEMORY" in text and "half of the physical RAM" in text
    assert "2 bad input" in text and "1 internal error" in text


def test_budget_error_message_shape():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(budget, "_override", 1 << 20)
        with pytest.raises(budget.BudgetError) as e:
            budget.check_shape([1024, 1024], 4, "blob 'w'", "f.pb", "float32")
    msg = str(e.value)
    assert msg.startswith("f.pb: blob 'w': needs 4.0 MiB") and "1.0 MiB" in msg and "--max-memory" in msg
    json.dumps(msg)
