"""What a user sees first and when something goes wrong: welcome page, error banner,
window title, disabled actions that look disabled, a toolbar that fits at 1400×900."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt

from app_testing import open_and_wait


def test_welcome_says_how_to_start(window):
    w = window.welcome
    assert window.stack.currentWidget() is w
    texts = " ".join(lbl.text() for lbl in w.findChildren(type(w.shortcuts)))
    assert "Drop a predict_net.pb" in texts
    for key in ("Ctrl+O", "Ctrl+F", "Ctrl+K"):
        assert key in w.shortcuts.text()
    assert w.recent.count() == 1 and "models you open are listed here" in w.recent.item(0).text()
    assert not (w.recent.item(0).flags() & Qt.ItemIsEnabled)


def test_recent_label_names_the_folder_of_generic_files():
    from app.welcome import recent_label

    assert recent_label("/z/densenet121/predict_net.pbtxt") == "densenet121/predict_net.pbtxt"
    assert recent_label("/z/squeezenet/init_net.pb") == "squeezenet/init_net.pb"
    assert recent_label("/z/nets/resnet50.minidb") == "resnet50.minidb"
    assert recent_label("/z/models/efficientnet-lite0/") == "efficientnet-lite0"


def test_example_button_opens_the_cached_example(qtbot, window, tiny_model_dir, monkeypatch):
    import app.welcome as welcome

    monkeypatch.setattr(welcome, "EXAMPLE_MODEL", tiny_model_dir)
    page = welcome.WelcomePage()
    qtbot.addWidget(page)
    assert not page.example_btn.isHidden()  # tiny_model_dir holds a predict_net.pb
    with qtbot.waitSignal(page.open_recent) as sig:
        page.example_btn.click()
    assert sig.args == [tiny_model_dir]
    monkeypatch.setattr(welcome, "EXAMPLE_MODEL", os.path.join(tiny_model_dir, "absent"))
    page2 = welcome.WelcomePage()
    qtbot.addWidget(page2)
    assert page2.example_btn.isHidden()


def test_error_banner_explains_and_dismisses(qtbot, window, tmp_path):
    bad = tmp_path / "broken.pb"
    bad.write_bytes(b"garbage\n")
    with qtbot.waitSignal(window.open_failed, timeout=20000):
        window.open_path(str(bad))
    text = window.banner.label.text()
    assert "Could not open broken.pb" in text
    assert "not a Caffe2 NetDef" in text  # the core's reason, as it said it
    assert "init+predict pair" in text  # what the app can open instead
    assert "Could not open broken.pb" in window.status_label.text()
    assert window.windowTitle() == "Caffe2 Studio"
    dismiss = [b for b in window.banner.findChildren(type(window.welcome.example_btn)) if b.text() == "Dismiss"][0]
    qtbot.mouseClick(dismiss, Qt.LeftButton)
    assert not window.banner.isVisible()


def test_window_title_names_model_and_path(qtbot, window, tiny_model_dir):
    open_and_wait(qtbot, window, tiny_model_dir)
    title = window.windowTitle()
    assert title.startswith("tiny_cnn (") and title.endswith(") — Caffe2 Studio")
    shown = title[len("tiny_cnn ("):-len(") — Caffe2 Studio")]
    assert os.path.abspath(os.path.expanduser(shown)) == os.path.abspath(tiny_model_dir)


def _darkest(widget) -> int:
    img = widget.grab().toImage()
    ptr = img.constBits()
    a = np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    a = a[:, : img.width() * 4].reshape(img.height(), img.width(), 4)[..., :3]
    return int(a.min(axis=2).min())


def test_disabled_toolbar_actions_look_disabled(qtbot, window, tiny_model_dir):
    btn = window.toolbar.widgetForAction(window.act_onnx)
    assert not window.act_onnx.isEnabled()
    disabled = _darkest(btn)
    open_and_wait(qtbot, window, tiny_model_dir)
    assert window.act_onnx.isEnabled()
    enabled = _darkest(btn)
    # the label goes from light grey to the theme's near-black text
    assert disabled > 120 and enabled < 80, (disabled, enabled)


def test_toolbar_fits_at_the_minimum_window_size(qtbot, window, tiny_model_dir):
    open_and_wait(qtbot, window, tiny_model_dir)
    window.resize(1400, 900)
    qtbot.wait(50)
    tb = window.toolbar
    for a in tb.actions():
        if a.isSeparator():
            continue
        b = tb.widgetForAction(a)
        assert b is not None and b.isVisible(), a.text()
        assert b.geometry().right() <= tb.width(), f"{a.text()} is pushed out of the toolbar"
        if b.toolButtonStyle() != Qt.ToolButtonIconOnly:  # labels are not elided
            assert b.width() >= b.fontMetrics().horizontalAdvance(a.text().replace("&", "")), a.text()


def test_shortcuts_listed_on_the_welcome_page_exist(window):
    """Every key the welcome page advertises is bound to a window action that does what it says."""
    from PySide6.QtGui import QKeySequence

    from app.welcome import SHORTCUTS

    bound = {a.shortcut().toString(QKeySequence.PortableText): a.text().replace("&", "").lower()
             for a in window.findChildren(type(window.act_open)) if not a.shortcut().isEmpty()}
    for key, what in SHORTCUTS:
        assert key in bound, f"{key} ({what}) is not bound"
        assert what.split()[0] in bound[key] or what.split()[-1] in bound[key], (key, what, bound[key])
