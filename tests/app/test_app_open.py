"""Opening models: dialog path, dropped files and folders, pairs, bad files, recent list, CLI screenshot."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app_testing import open_and_wait


def test_open_by_dialog_path(qtbot, window, tiny_model_dir, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    predict = os.path.join(tiny_model_dir, "predict_net.pb")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([predict], "")))
    with qtbot.waitSignal(window.document_opened, timeout=20000):
        window.act_open.trigger()
    doc = window.document
    assert [op.type for op in doc.model.predict_net.op] == ["Conv", "Relu", "AveragePool", "FC", "Softmax"]
    assert not doc.model.structure_only  # init_net.pb beside it was paired
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=20000)
    # Conv+Relu (in place) collapse into one box: 4 op boxes + data input + prob output
    kinds = sorted(n.kind for n in window.canvas.drawing.nodes)
    assert kinds == ["input", "op", "op", "op", "op", "output"]
    assert window.stack.currentWidget() is window.canvas
    assert "tiny_cnn" in window.windowTitle()


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    target = window.centralWidget()
    # Qt delivers a drop only to a widget that accepted the drag's enter event, as a real drag does.
    enter = QDragEnterEvent(target.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    ev = QDropEvent(QPointF(target.rect().center()), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, ev)
    return ev


def test_drop_folder_opens(qtbot, window, tiny_model_dir):
    with qtbot.waitSignal(window.document_opened, timeout=20000):
        ev = _drop(window, [tiny_model_dir])
    assert ev.isAccepted()
    assert window.document.model.name == "tiny_cnn"


def test_drop_pair_in_any_order(qtbot, window, tiny_model_dir):
    init = os.path.join(tiny_model_dir, "init_net.pb")
    predict = os.path.join(tiny_model_dir, "predict_net.pb")
    with qtbot.waitSignal(window.document_opened, timeout=20000):
        _drop(window, [init, predict])
    m = window.document.model
    assert m.predict_path == predict and m.init_path == init
    assert set(m.weight_specs) == {"conv_w", "conv_b", "fc_w", "fc_b"}


def test_structure_only_net_opens(qtbot, window, tmp_path):
    from c2core.io.save import save_net

    from app_models import tiny_cnn

    p = tmp_path / "alone.pbtxt"
    save_net(tiny_cnn().predict_net, str(p), text=True)
    doc = open_and_wait(qtbot, window, str(p))
    assert doc.model.structure_only
    assert len(window.canvas.node_items) >= 4


def test_bad_file_shows_core_message_not_crash(qtbot, window, tmp_path):
    bad = tmp_path / "predict_net.pb"
    bad.write_bytes(b"\x00\xffnot a protobuf at all" * 10)
    with qtbot.waitSignal(window.open_failed, timeout=20000) as sig:
        window.open_path(str(bad))
    msg = sig.args[0]
    assert str(bad) in msg  # the core's C2Error names the file
    assert window.banner.isVisible() and "Could not open" in window.banner.label.text()
    assert window.document is None
    # the window still works: a good model opens afterwards
    with qtbot.waitSignal(window.open_failed, timeout=20000):
        window.open_path(str(tmp_path / "missing.pb"))
    assert "no such file" in window.last_error


def test_recent_files_persist(qtbot, window, tiny_model_dir):
    from app import settings

    open_and_wait(qtbot, window, tiny_model_dir)
    assert settings.recent_files()[0] == os.path.abspath(tiny_model_dir)
    assert [a.text() for a in window.recent_menu.actions()] == [os.path.abspath(tiny_model_dir)]


def test_cli_screenshot_of_broken_path_exits_0(tmp_path):
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", C2STUDIO_SETTINGS=str(tmp_path / "s.ini"))
    r = subprocess.run([sys.executable, "-m", "app.main", str(tmp_path / "nope.pb"), "--screenshot", str(out)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert img.width() >= 1400 and img.height() >= 900


def test_cli_screenshot_without_path_shows_welcome(tmp_path):
    out = tmp_path / "welcome.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", C2STUDIO_SETTINGS=str(tmp_path / "s.ini"))
    env.pop("C2STUDIO_DEFAULT_MODEL", None)
    r = subprocess.run([sys.executable, "-m", "app.main", "--screenshot", str(out)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10000


def test_log_panel_records_jobs(qtbot, window, tiny_model_dir):
    open_and_wait(qtbot, window, tiny_model_dir)
    qtbot.waitUntil(lambda: "open model: finished" in window.log_panel.toPlainText(), timeout=5000)
    assert "graph: dot layout of 6 nodes drawn" in window.log_panel.toPlainText()


@pytest.mark.parametrize("choose", ["folder", "predict_net.pb"])
def test_corrupt_init_net_opens_the_structure_with_a_banner(qtbot, window, tiny_model_dir, chelsea_png, choose):
    """A sound predict net beside a corrupt init net: the graph opens (structure only), a warning
    banner says why, Classify is disabled; also when predict_net.pb alone is chosen."""
    import pathlib

    init = pathlib.Path(tiny_model_dir) / "init_net.pb"
    init.write_bytes(init.read_bytes()[: len(init.read_bytes()) // 2])  # truncated: unreadable
    path = tiny_model_dir if choose == "folder" else str(pathlib.Path(tiny_model_dir) / "predict_net.pb")
    open_and_wait(qtbot, window, path)
    doc = window.document
    assert doc.model.structure_only and len(doc.model.predict_net.op) == 5
    assert window.banner.isVisible()
    text = window.banner.label.text()
    assert "Structure only" in text and "init_net.pb" in text
    window.classify_panel.add_images([chelsea_png])
    assert not window.classify_panel.run_btn.isEnabled() and window.classify_panel.job is None


def test_placeholder_fill_is_not_shown_as_the_input_shape(qtbot, window, tmp_path):
    """An init net holding a 1-element ConstantFill for `data`: the graph, the inspector and the
    Inputs panel never show shape 1 for it."""
    import numpy as np

    from c2core.builder import NetBuilder, model_from
    from c2core.io.save import save_model

    b = NetBuilder("placeholder")
    b.inputs("data", "w", "bias").outputs("y")
    b.op("FC", ["data", "w", "bias"], "y")
    m = model_from(b.net, {"w": np.ones((4, 8), np.float32), "bias": np.zeros(4, np.float32),
                           "data": np.zeros((1,), np.float32)})
    save_model(m, str(tmp_path / "p"))
    open_and_wait(qtbot, window, str(tmp_path / "p"))
    assert "data" in window.document.model.data_inputs
    info = window.document.shapes.get(("data", 0))
    assert info is None or info.shape in (None, (1, 8))  # unknown, or the FC's feature count
    node = next(n for n in window.canvas.drawing.nodes if n.kind == "input" and n.blob == "data")
    assert node.lines in ([], ["1×8"])
    window.inspector.show_blob("data", 0)
    assert "shape\n1\n" not in window.inspector.text() + "\n"
    t = window.model_panel.inputs.table
    assert t.item(0, 0).text() == "data" and t.item(0, 1).text() != "1"
