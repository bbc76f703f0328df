"""Netron start/stop, About box, settings persistence, welcome page and default model."""

from __future__ import annotations

import os
import urllib.request

from PySide6.QtGui import QDesktopServices

from app_testing import open_and_wait, run_convert


def test_open_in_netron_serves_and_stops_on_close(qtbot, tiny_model_dir, monkeypatch):
    from app import netron_control
    from app.main import make_app
    from app.window import MainWindow

    opened = []
    monkeypatch.delenv("C2STUDIO_NO_BROWSER", raising=False)
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toString()) or True))
    make_app()
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    open_and_wait(qtbot, w, tiny_model_dir)
    with qtbot.waitSignal(w.netron_ready, timeout=30000) as sig:
        job = w.open_in_netron()  # returns at once: the server starts on a worker
    assert job is not None
    url = sig.args[0]
    assert url and url.startswith("http://localhost:")
    assert opened == [url]  # the system browser was asked to open it
    (server,) = netron_control.running()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and b"netron" in r.read().lower()
    with qtbot.waitSignal(w.netron_ready, timeout=30000) as sig:
        w.open_in_netron()  # the same model again: the same server
    assert sig.args[0] == url and netron_control.running() == [server]
    w.close()  # quitting stops every server
    assert netron_control.running() == []
    assert not server.running


def test_netron_server_of_a_closed_model_stops(qtbot, window, tiny_model_dir, tmp_path):
    from app import netron_control
    from app_models import chain_net

    from c2core.io.save import save_model

    save_model(chain_net(3), str(tmp_path / "other"))
    open_and_wait(qtbot, window, tiny_model_dir)
    with qtbot.waitSignal(window.netron_ready, timeout=30000):
        window.open_in_netron()
    (first,) = netron_control.running()
    open_and_wait(qtbot, window, str(tmp_path / "other"))
    assert netron_control.running() == [] and not first.running
    with qtbot.waitSignal(window.netron_ready, timeout=30000):
        window.open_in_netron()
    assert len(netron_control.running()) == 1


def test_converted_onnx_opens_in_netron(qtbot, window, tiny_model_dir, tmp_path):
    from app import netron_control

    open_and_wait(qtbot, window, tiny_model_dir)
    dlg, _, _ = run_convert(qtbot, window, "onnx", tmp_path / "m.onnx", lambda d: d.verify.setChecked(False))
    assert dlg.netron_btn.isVisible()
    with qtbot.waitSignal(window.netron_ready, timeout=30000) as sig:
        dlg.view_in_netron()
    assert sig.args[0] and netron_control.running()[0].served_file == str(tmp_path / "m.onnx")
    window.close()
    assert netron_control.running() == []


def test_netron_error_is_shown_not_raised(qtbot, window):
    from c2core.graph import Graph

    from app.document import Document
    from app_models import tiny_cnn

    m = tiny_cnn()
    window.set_document(Document(m, Graph(m), ""))  # in memory: nothing on disk to serve
    assert window.open_in_netron() is None
    assert "Netron" in window.banner.label.text() and window.banner.isVisible()
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=20000)


def test_about_lists_engine_versions(qtbot, window):
    from importlib import metadata

    dlg = window.show_about()
    qtbot.addWidget(dlg)
    text = dlg.label.text()
    for dist in ("torch", "onnx", "onnxruntime", "openvino", "numpy"):
        assert metadata.version(dist) in text
    assert "Graphviz dot" in text and "tensorrt" in text.lower()
    dlg.close()


def test_settings_persist_layout_preset_view_toggles_and_recent(qtbot, tiny_model_dir, tmp_path):
    from app.main import make_app
    from app.window import MainWindow
    from app_models import chain_net

    from c2core.io.save import save_model

    other = tmp_path / "other"
    save_model(chain_net(4), str(other))
    make_app()
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    open_and_wait(qtbot, w, tiny_model_dir)
    w.classify_panel.preset.setCurrentIndex(w.classify_panel.preset.findData("caffe"))
    w.act_lr.setChecked(True)
    w.act_shapes.setChecked(False)
    w.act_weights.setChecked(True)
    w.log_dock.hide()
    w.close()
    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    # view toggles survive a restart, and the canvas draws with them
    assert w2.act_lr.isChecked() and not w2.act_shapes.isChecked() and w2.act_weights.isChecked()
    assert (w2.canvas.options.rankdir, w2.canvas.options.show_shapes, w2.canvas.options.show_weights) == ("LR", False, True)
    assert not w2.log_dock.isVisible()  # window state restored
    assert w2.welcome.recent.item(0).data(256) == os.path.abspath(tiny_model_dir)
    # the preset is remembered for that model's content, not for every model
    open_and_wait(qtbot, w2, str(other))
    assert w2.classify_panel.preset.currentData() == ""
    open_and_wait(qtbot, w2, tiny_model_dir)
    assert w2.classify_panel.preset.currentData() == "caffe"
    w2.close()


def test_welcome_without_default_model_and_default_model_from_env(qtbot, tiny_model_dir, monkeypatch, tmp_path):
    from app.main import startup_path

    assert startup_path(None) is None
    monkeypatch.setenv("C2STUDIO_DEFAULT_MODEL", str(tmp_path / "absent"))
    assert startup_path(None) is None
    monkeypatch.setenv("C2STUDIO_DEFAULT_MODEL", tiny_model_dir)
    assert startup_path(None) == tiny_model_dir
    assert startup_path("/x/y.pb") == "/x/y.pb"


def test_shortcuts_are_standard(window):
    from PySide6.QtGui import QKeySequence

    assert window.act_open.shortcut() == QKeySequence(QKeySequence.Open)
    assert window.act_find.shortcut() == QKeySequence(QKeySequence.Find)
    assert window.act_quit.shortcut() == QKeySequence(QKeySequence.Quit)
    assert not window.act_onnx.isEnabled()  # nothing open yet
