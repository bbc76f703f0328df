"""The Inputs panel: shapes shown as the core resolves them, edited, remembered, saved, and
used by classification on ONNX Runtime and OpenVINO for a model without value_info.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app_models import LIGHT_LABELS, tiny3_reference, write_tiny3
from app_testing import open_and_wait


@pytest.fixture
def lights_dir(tmp_path):
    d = tmp_path / "lights"
    d.mkdir()
    return write_tiny3(d)  # no value_info.json


def _row(window, name):
    t = window.model_panel.inputs.table
    for r in range(t.rowCount()):
        if t.item(r, 0).text() == name:
            return [t.item(r, c).text() for c in range(4)]
    raise KeyError(name)


def _classify(qtbot, window, image, backend):
    panel = window.classify_panel
    panel.backend.setCurrentIndex(panel.backend.findData(backend))
    done = []
    panel.run_done.connect(done.append)
    with qtbot.waitSignal(panel.run_done, timeout=120000):
        panel.add_images([image])
    assert done == ["finished"], panel.status.text()
    return panel.results[0]


def _reference(image, size):
    from c2core.classify import get_preset, load_image

    return tiny3_reference(get_preset("torchvision").for_input_size(size).apply(load_image(image))[None])[0]


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_no_value_info_classifies_from_the_preset_then_from_a_set_shape(qtbot, window, lights_dir, chelsea_png, backend):
    from app import backend_status

    if not backend_status.availability()[backend].ok:
        pytest.skip(f"{backend} unavailable")
    open_and_wait(qtbot, window, lights_dir)
    # nothing declares the input: the preset's crop gives the size (images feed it)
    assert _row(window, "data")[1] == "1*×3×224×224"  # batch assumed; channels from the Conv filter
    assert _row(window, "data")[3].startswith("preprocessing")
    res = _classify(qtbot, window, chelsea_png, backend)
    ref = _reference(chelsea_png, 224)
    order = np.argsort(-ref, kind="stable")
    assert res["backend"] == backend
    assert [t["label"] for t in res["top"]] == [LIGHT_LABELS[i] for i in order]
    np.testing.assert_allclose([t["score"] for t in res["top"]], ref[order], rtol=1e-3, atol=1e-5)
    # a shape set in the panel feeds the run: the image is cropped to 160, not 224
    window.model_panel.inputs.set_shape("data", "1,3,160,160")
    assert _row(window, "data")[1] == "1×3×160×160" and _row(window, "data")[3] == "set here"
    res = _classify(qtbot, window, chelsea_png, backend)
    ref160 = _reference(chelsea_png, 160)
    order = np.argsort(-ref160, kind="stable")
    np.testing.assert_allclose([t["score"] for t in res["top"]], ref160[order], rtol=1e-3, atol=1e-5)
    assert not np.allclose(ref160, ref, atol=1e-4)  # the size made a difference
    # the graph's shapes follow the panel
    qtbot.waitUntil(lambda: window.document.shapes.get(("data", 0)) is not None
                    and window.document.shapes[("data", 0)].shape == (1, 3, 160, 160), timeout=10000)
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)  # relabelled with the new shapes


def test_shapes_are_remembered_per_model_and_saved_to_value_info(qtbot, window, lights_dir, tmp_path):
    import shutil

    open_and_wait(qtbot, window, lights_dir)
    inputs = window.model_panel.inputs
    assert not inputs.save_btn.isEnabled()
    inputs.set_shape("data", "2x3x96x96")
    bad = "1,3,-4,4"
    inputs.set_shape("data", bad)  # refused with a message, the old shape stays
    assert "positive" in inputs.message.text() and _row(window, "data")[1] == "2×3×96×96"
    # a copy of the same model (same content) elsewhere gets the shape back after a restart
    copy = tmp_path / "copy"
    shutil.copytree(lights_dir, copy)
    open_and_wait(qtbot, window, str(copy))
    assert _row(window, "data")[1] == "2×3×96×96"
    path = inputs.save_value_info()
    assert path == str(copy / "value_info.json")
    assert json.loads((copy / "value_info.json").read_text()) == {"data": [1, [2, 3, 96, 96]]}
    assert not any(p.name.endswith(".part") for p in copy.iterdir())  # written atomically
    inputs.reset()
    assert _row(window, "data")[3].startswith("preprocessing")
    qtbot.wait(50)
    qtbot.waitUntil(lambda: window._shapes_job is None or not window._shapes_job.is_running, timeout=10000)
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)


def test_placeholder_and_undeclared_inputs_show_unknown(qtbot, window, tmp_path):
    from c2core.builder import NetBuilder, model_from
    from c2core.io.save import save_model

    b = NetBuilder("two_inputs")
    b.inputs("a", "b").outputs("s")
    b.op("Relu", "a", "ra")
    b.op("Relu", "b", "rb")
    b.op("Add", ["ra", "rb"], "s")
    save_model(model_from(b.net, {}), str(tmp_path / "two"))
    open_and_wait(qtbot, window, str(tmp_path / "two"))
    assert _row(window, "a")[1] == "unknown" and _row(window, "b")[1] == "unknown"
    window.model_panel.inputs.set_shape("a", "2,5")
    window.model_panel.inputs.set_shape("b", "2,5")
    qtbot.waitUntil(lambda: window.document.shapes.get(("s", 1)) is not None
                    and window.document.shapes[("s", 1)].shape == (2, 5), timeout=10000)
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)


def test_a_shape_set_in_the_inputs_panel_feeds_the_conversion(qtbot, window, lights_dir, tmp_path):
    import onnx

    from app_testing import run_convert

    open_and_wait(qtbot, window, lights_dir)
    window.model_panel.inputs.set_shape("data", "1,3,96,96")
    qtbot.waitUntil(lambda: window.document.shapes.get(("data", 0)) is not None
                    and window.document.shapes[("data", 0)].shape == (1, 3, 96, 96), timeout=10000)
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)
    dlg, job, _ = run_convert(qtbot, window, "onnx", tmp_path / "lights.onnx")
    assert job.state == "finished" and dlg.report.ok, dlg.result.toPlainText()
    m = onnx.load(str(tmp_path / "lights.onnx"))
    (inp,) = [i for i in m.graph.input if i.name == "data"]
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 3, 96, 96]
    dlg.close()
