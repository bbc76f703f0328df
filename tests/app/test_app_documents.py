"""Every job belongs to the document that started it: drops, model switches, late results."""

from __future__ import annotations

import numpy as np
import pytest

from app_models import LIGHT_LABELS, long_chain_with_shape, tiny3_reference, write_tiny3
from app_testing import open_and_wait


def _drop(window, paths):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    area = window.centralWidget()
    QApplication.sendEvent(area, QDragEnterEvent(area.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    QApplication.sendEvent(area, QDropEvent(QPointF(area.rect().center()), Qt.CopyAction, mime, Qt.LeftButton,
                                            Qt.NoModifier))


@pytest.fixture
def lights_dir(tmp_path):
    d = tmp_path / "lights"
    d.mkdir()
    return write_tiny3(d)


def test_drop_model_and_image_classifies_with_the_new_model(qtbot, window, tiny_model_dir, lights_dir, chelsea_png):
    """A 10-class model is open; dropping the 3-class folder plus a photo opens the 3-class model
    first and classifies with it: its own labels, scores equal to a NumPy reference."""
    from c2core.classify import get_preset, load_image

    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.backend.setCurrentIndex(panel.backend.findData("c2"))
    with qtbot.waitSignal(panel.results_ready, timeout=60000) as sig:
        _drop(window, [lights_dir, chelsea_png])
    assert window.document.model.name == "tiny_lights"
    (res,) = sig.args[0]
    ref = tiny3_reference(get_preset("torchvision").for_input_size(224).apply(load_image(chelsea_png))[None])[0]
    order = np.argsort(-ref, kind="stable")
    assert [t["label"] for t in res["top"]] == [LIGHT_LABELS[i] for i in order]  # 3 classes, its own labels
    np.testing.assert_allclose([t["score"] for t in res["top"]], ref[order], rtol=1e-4, atol=1e-6)
    assert panel.job.doc is window.document


def test_switching_models_during_classify_shows_no_old_result(qtbot, window, tiny_model_dir, lights_dir, chelsea_png):
    open_and_wait(qtbot, window, tiny_model_dir)
    panel = window.classify_panel
    panel.backend.setCurrentIndex(panel.backend.findData("c2"))
    panel.add_images([chelsea_png] * 30, run=False)
    shown = []
    panel.results_ready.connect(shown.append)
    job = panel.run()
    qtbot.waitUntil(lambda: job.state != "running" or panel.status.text().startswith("Classified"), timeout=60000)
    open_and_wait(qtbot, window, lights_dir)  # the other model opens while the run goes on
    assert job.wait(60)
    qtbot.waitUntil(lambda: job not in __import__("app.jobs", fromlist=["x"]).live_jobs(), timeout=10000)
    qtbot.wait(100)
    assert shown == [] and panel.results == [] and panel.cards.count() == 0
    assert window.document.activations == {}
    assert window.document.model.name == "tiny_lights"
    assert "classified" not in panel.status.text().lower()


def test_switching_models_during_convert_shows_no_old_result(qtbot, window, tmp_path, lights_dir):
    from app.document import Document
    from c2core.graph import Graph

    m = long_chain_with_shape(8000)  # in memory: exports on the worker, seconds of work to interrupt
    window.set_document(Document(m, Graph(m), ""))
    qtbot.waitUntil(lambda: window.canvas.is_drawn, timeout=60000)
    dlg = window.convert("onnx")
    qtbot.addWidget(dlg)
    out = tmp_path / "out" / "chain.onnx"
    dlg.output.setText(str(out))
    reports = []
    dlg.job_finished.connect(reports.append)
    job = dlg.start()
    assert job is not None
    open_and_wait(qtbot, window, lights_dir)
    assert job.wait(120)
    qtbot.waitUntil(lambda: job not in __import__("app.jobs", fromlist=["x"]).live_jobs(), timeout=10000)
    qtbot.wait(100)
    assert not dlg.isVisible() and dlg.doc is None
    assert reports == [] and dlg.report is None
    assert job.state in ("cancelled", "finished"), job.error
    if job.state == "cancelled":
        assert not out.exists()  # a cancelled conversion writes nothing
