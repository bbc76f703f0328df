"""Classification panel: a real photo through the tiny CNN, checked against NumPy; batches; cancel."""

from __future__ import annotations

import numpy as np
import pytest

from app_models import tiny_cnn_reference
from app_testing import open_and_wait


def _reference_probs(path):
    from c2core.classify import get_preset, load_image

    x = get_preset("torchvision").for_input_size(224).apply(load_image(path))[None]
    return x, tiny_cnn_reference(x)[0]


def test_classify_chelsea_matches_numpy_and_exposes_activations(qtbot, window, tiny_model_dir, chelsea_png):
    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.preset.setCurrentIndex(panel.preset.findData("torchvision"))
    panel.backend.setCurrentIndex(panel.backend.findData("c2"))
    with qtbot.waitSignal(panel.results_ready, timeout=60000) as sig:
        panel.add_images([chelsea_png])  # runs at once, as a drop does
    (res,) = sig.args[0]
    x, ref = _reference_probs(chelsea_png)
    order = np.argsort(-ref, kind="stable")[:5]
    assert [t["index"] for t in res["top"]] == order.tolist()
    np.testing.assert_allclose([t["score"] for t in res["top"]], ref[order], rtol=1e-4, atol=1e-6)
    assert res["latency_ms"] > 0
    card = panel.cards.itemAt(0).widget()
    assert len(card.bars) == 5 and card.bars[0].score == pytest.approx(ref[order[0]], rel=1e-4)
    # intermediate activations from fetch_all, shown by the inspector
    acts = window.document.activations
    assert {"conv1", "pool1", "fc", "prob"} <= set(acts)
    window.inspector.show_blob("fc")
    assert window.inspector.tensor.isVisible()
    tv = window.inspector.tensor
    from app_models import FC_B, FC_W

    win = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    from app_models import CONV_B, CONV_W

    conv = np.maximum(np.einsum("nchwij,ocij->nohw", win, CONV_W) + CONV_B[None, :, None, None], 0)
    fc = conv.mean(axis=(2, 3)) @ FC_W.T + FC_B
    np.testing.assert_allclose(tv.array, fc, rtol=1e-4, atol=1e-5)


def test_classify_batch_table_and_drop_on_panel(qtbot, window, tiny_model_dir, chelsea_png, coffee_png):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.preset.setCurrentIndex(panel.preset.findData("torchvision"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(chelsea_png), QUrl.fromLocalFile(coffee_png)])
    with qtbot.waitSignal(panel.results_ready, timeout=60000) as sig:
        enter = QDragEnterEvent(panel.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(panel, enter)
        QApplication.sendEvent(panel, QDropEvent(QPointF(panel.rect().center()), Qt.CopyAction, mime,
                                                 Qt.LeftButton, Qt.NoModifier))
    results = sig.args[0]
    assert [r["image"] for r in results] == [chelsea_png, coffee_png]
    assert panel.table.isVisible() and panel.table.rowCount() == 2
    for r, path in zip(results, (chelsea_png, coffee_png)):
        _, ref = _reference_probs(path)
        assert r["top"][0]["index"] == int(np.argmax(ref))
        assert r["top"][0]["score"] == pytest.approx(float(ref.max()), rel=1e-4)
    panel.table.selectRow(1)
    assert panel.cards.itemAt(panel.cards.count() - 1).widget() is not None
    # at 1400×900 with the default dock layout, every row of a small batch is on screen (not cut off)
    qtbot.wait(50)
    t = panel.table
    assert t.viewport().height() >= t.rowViewportPosition(1) + t.rowHeight(1)


def test_unavailable_backends_are_disabled_with_reason(qtbot, window, tiny_model_dir):
    from app import backend_status

    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    avail = backend_status.availability()
    model = panel.backend.model()
    for i in range(panel.backend.count()):
        name = panel.backend.itemData(i).split(":")[0]
        item = model.item(i)
        if name == "auto":  # picks among the available ones: always offered
            assert item.isEnabled()
            continue
        assert item.isEnabled() == avail[name].ok
        if not avail[name].ok:
            assert avail[name].reason in item.toolTip()
    assert not avail["tensorrt"].ok  # no TensorRT on these machines (see CAFFE2_NOTES)


def test_classify_cancel(qtbot, window, tiny_model_dir, chelsea_png):
    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.add_images([chelsea_png] * 40, run=False)
    panel.progressed.connect(lambda f, m: f >= 0.2 and panel.cancel_btn.click())
    with qtbot.waitSignal(panel.run_done, timeout=60000):
        job = panel.run()
    assert job.state == "cancelled"
    assert "cancelled" in panel.status.text()
    assert panel.run_btn.isEnabled() and not panel.cancel_btn.isEnabled()


def test_auto_backend_names_its_engine_and_matches_numpy(qtbot, window, tiny_model_dir, chelsea_png):
    from c2core.backends import available_names

    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    assert panel.backend.currentData() == "auto"  # the default
    panel.preset.setCurrentIndex(panel.preset.findData("torchvision"))
    with qtbot.waitSignal(panel.results_ready, timeout=120000) as sig:
        panel.add_images([chelsea_png])
    (res,) = sig.args[0]
    assert res["auto"] and res["backend"] in available_names()
    head = panel.cards.itemAt(0).widget().findChildren(__import__("PySide6.QtWidgets", fromlist=["QLabel"]).QLabel)
    assert any(f"{res['backend']} (auto)" in h.text() for h in head)
    assert "auto chose" in panel.status.text()
    _, ref = _reference_probs(chelsea_png)
    assert res["top"][0]["index"] == int(np.argmax(ref))
    assert res["top"][0]["score"] == pytest.approx(float(ref.max()), rel=1e-3)


def test_labels_file_refusal_structure_only_and_warning_wording(qtbot, window, tiny_model_dir, chelsea_png, tmp_path):
    from app_models import write_feature_map_model

    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.backend.setCurrentIndex(panel.backend.findData("c2"))
    labels = tmp_path / "ten.txt"
    labels.write_text("".join(f"class {chr(65 + i)}\n" for i in range(10)))
    panel.set_labels(str(labels))
    with qtbot.waitSignal(panel.results_ready, timeout=60000) as sig:
        panel.add_images([chelsea_png])
    (res,) = sig.args[0]
    assert all(t["label"] == f"class {chr(65 + t['index'])}" for t in res["top"])
    # the app names its own control, not a command-line flag
    assert "--preset" not in panel.status.text() and "Preset box" in panel.status.text()
    # a feature-map output is refused in words; the old result is cleared
    fm = tmp_path / "fm"
    fm.mkdir()
    open_and_wait(qtbot, window, write_feature_map_model(fm))
    assert panel.results == [] and panel.cards.count() == 0
    assert panel.labels_path is None  # labels are chosen per model
    panel.preset.setCurrentIndex(panel.preset.findData("torchvision"))
    with qtbot.waitSignal(panel.run_done, timeout=60000) as sig:
        panel.add_images([chelsea_png])
    assert sig.args == ["failed"]
    assert "not one score per class" in panel.status.text() and panel.cards.count() == 0
    # back on the first model, its labels file comes back
    open_and_wait(qtbot, window, tiny_model_dir)
    assert panel.labels_path == str(labels)


def test_classify_disabled_on_structure_only_models(qtbot, window, corpus_dir, chelsea_png):
    open_and_wait(qtbot, window, str(corpus_dir / "bvlc_alexnet"))
    panel = window.classify_panel
    panel.add_images([chelsea_png])
    assert not panel.run_btn.isEnabled() and panel.job is None
    assert "structure only" in panel.status.text()
    assert window.banner.isVisible() and "Structure only" in window.banner.label.text()


def test_preset_saved_to_model_json(qtbot, window, tiny_model_dir):
    import json
    import os

    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.preset.setCurrentIndex(panel.preset.findData("caffe"))
    path = panel.save_preset()
    assert path == os.path.join(tiny_model_dir, "model.json")
    assert json.load(open(path))["preprocessing"] == "caffe"
