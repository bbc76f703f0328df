"""Inspector and model panel contents for a small CNN, checked against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from app_models import CONV_B, CONV_W, FC_B, FC_W
from app_testing import open_and_wait


def test_op_inspector_shows_schema_args_and_shapes(qtbot, window, tiny_model_dir):
    open_and_wait(qtbot, window, tiny_model_dir)
    window.canvas.select_op(0)
    text = window.inspector.text()
    assert "Conv" in text and "op #0" in text
    assert "conv1" in text and "Layer" in text  # name and schema category
    assert "Convolution of X with filter" in text  # schema doc
    lines = [ln.strip() for ln in text.splitlines()]

    def value_of(key):  # table cells come out one per line: the value follows its name
        return lines[lines.index(key) + 1]

    assert value_of("kernel") == "3" and value_of("stride") == "2"
    assert value_of("group") == "1 (default)"  # unset: the schema default, marked
    assert "1×3×224×224" in text and "4×3×3×3" in text and "1×4×111×111" in text
    assert "float32" in text
    assert "engine" in text and "device" in text
    # the collapsed box holds Conv and the in-place Relu: both are described
    assert "Relu" in text and "(in place)" in text


def test_blob_inspector_weight_stats_histogram_filters_table_export(qtbot, window, tiny_model_dir, tmp_path):
    open_and_wait(qtbot, window, tiny_model_dir)
    insp = window.inspector
    insp.show_blob("conv_w")
    qtbot.waitUntil(lambda: insp.tensor.isVisible(), timeout=20000)
    text = insp.text()
    assert "weight" in text and "4×3×3×3" in text and "op #0 Conv" in text  # consumer
    tv = insp.tensor
    w = CONV_W.astype(np.float64)
    s = tv.stats
    assert (s.min, s.max) == (pytest.approx(w.min(), abs=1e-6), pytest.approx(w.max(), abs=1e-6))
    assert s.mean == pytest.approx(w.mean(), abs=1e-6) and s.std == pytest.approx(w.std(), abs=1e-6)
    assert (s.count, s.zeros, s.nan, s.inf) == (108, 0, 0, 0)
    assert tv.hist.counts.sum() == 108
    assert tv.filters.isVisible() and not tv.filters.pixmap().isNull()  # RGB filters (I == 3)
    m = tv.table_model
    assert (m.rowCount(), m.columnCount()) == (36, 3)
    assert float(m.value(5, 2)) == CONV_W.reshape(-1, 3)[5, 2]
    out = tv.export_npy(str(tmp_path / "conv_w.npy"))
    np.testing.assert_array_equal(np.load(out), CONV_W)


def test_activation_blob_has_producer_and_shape(qtbot, window, tiny_model_dir):
    open_and_wait(qtbot, window, tiny_model_dir)
    window.canvas.select_blob("pool1")
    text = window.inspector.text()
    assert "pool1" in text and "1×4×1×1" in text and "op #2 AveragePool" in text and "op #3 FC" in text


def test_tensor_stats_nan_inf_and_paging(qtbot):
    from app.inspector.tensor_stats import tensor_stats
    from app.inspector.tensor_view import ROWS_PER_PAGE, TensorView

    a = np.array([0.0, 1.0, -2.0, np.nan, np.inf, 0.0, 3.0], np.float32)
    s = tensor_stats(a)
    finite = np.array([0.0, 1.0, -2.0, 0.0, 3.0])
    assert (s.nan, s.inf, s.zeros, s.count) == (1, 1, 2, 7)
    assert s.mean == pytest.approx(finite.mean()) and s.std == pytest.approx(finite.std())
    assert (s.min, s.max) == (-2.0, 3.0)
    big = np.arange(2 * ROWS_PER_PAGE * 7 + 70, dtype=np.int64).reshape(-1, 7)
    tv = TensorView()
    qtbot.addWidget(tv)
    tv.set_array("big", big)
    assert tv.table_model.pages == 3
    tv.page.setValue(3)
    assert tv.table_model.rowCount() == 10
    assert int(tv.table_model.value(0, 0)) == big[2 * ROWS_PER_PAGE, 0]
    assert tv.table_model.headerData(0, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.Vertical) == str(2 * ROWS_PER_PAGE)


def test_model_panel_summary_and_backend_support(qtbot, window, tiny_model_dir):
    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.model_panel
    qtbot.waitUntil(lambda: panel.support is not None, timeout=60000)
    text = panel.text()
    params = CONV_W.size + CONV_B.size + FC_W.size + FC_B.size
    assert f"{params:,}" in text
    assert "648 B" in text  # 162 float32 values
    assert "1×10" in text  # the output's shape
    t = panel.inputs.table  # inputs: the editable table above the summary
    assert [t.item(0, c).text() for c in range(4)] == ["data", "1×3×224×224", "float32", "value_info.json"]
    for t in ("Conv", "Relu", "AveragePool", "FC", "Softmax"):
        assert t in text
    assert "all ops supported" in text
    assert panel.support["c2"] == []


def test_model_panel_warns_about_unsupported_ops(qtbot, window, tmp_path):
    from c2core.builder import NetBuilder, model_from
    from c2core.graph import Graph

    from app.document import Document

    b = NetBuilder("odd")
    b.inputs("x").outputs("y")
    b.op("Relu", "x", "r")
    b.op("MadeUpOp", "r", "y")
    m = model_from(b.net, {})
    window.set_document(Document(m, Graph(m), ""))
    qtbot.waitUntil(lambda: window.model_panel.support is not None, timeout=60000)
    assert window.model_panel.support["c2"] == ["MadeUpOp"]
    assert "⚠ 1 unsupported op type(s): MadeUpOp" in window.model_panel.text()
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=20000)


def test_argument_aliases_collapse(qtbot, window, tmp_path):
    """A Conv setting `strides` and `pads` shows them as set and no `stride`/`pad` default;
    `dilation` (set under no spelling) keeps its default row, once."""
    from c2core.builder import NetBuilder, model_from
    from c2core.graph import Graph

    from app.document import Document
    import numpy as np

    b = NetBuilder("aliases")
    b.inputs("x", "w").outputs("y")
    b.op("Conv", ["x", "w"], "y", kernel=3, strides=[2, 2], pads=[1, 1, 1, 1])
    m = model_from(b.net, {"w": np.zeros((2, 3, 3, 3), np.float32)})
    window.set_document(Document(m, Graph(m), ""))
    window.inspector.show_ops([0])
    lines = [ln.strip() for ln in window.inspector.text().splitlines()]  # one table cell per line
    args = lines[lines.index("Arguments") + 1:lines.index("Inputs")]
    assert args[args.index("strides") + 1] == "[2, 2]" and args[args.index("pads") + 1] == "[1, 1, 1, 1]"
    assert "stride" not in args and "pad" not in args  # no default beside a set spelling
    dil = [a for a in args if a.startswith("dilation") and " " not in a]  # names, not their docs
    assert dil == ["dilation"] and args[args.index("dilation") + 1] == "1 (default)"
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=20000)
