"""The GUI thread keeps ticking while long jobs run (heartbeat QTimer every 10 ms)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from app_testing import open_and_wait

MAX_GAP_S = 0.100


class Heartbeat:
    """Records the longest interval between ticks of a 10 ms timer on the GUI thread."""

    def __init__(self):
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.max_gap = 0.0
        self.ticks = 0

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.ticks += 1

    def __enter__(self):
        # start from a clean slate: garbage and deferred deletes left by earlier tests are not this job's doing
        import gc

        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
        gc.collect()
        self.last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()
        self.timer.deleteLater()


def test_gui_stays_responsive_during_export_and_classification(qtbot, window, effnet_dir, chelsea_png, tmp_path,
                                                               record_property):
    open_and_wait(qtbot, window, effnet_dir, timeout=120000)
    qtbot.waitUntil(lambda: window.model_panel.support is not None, timeout=120000)
    # ONNX export + verification of EfficientNet-Lite0 (4.6 M parameters)
    dlg = window.convert("onnx")
    qtbot.addWidget(dlg)
    dlg.output.setText(str(tmp_path / "effnet.onnx"))
    with Heartbeat() as hb_export:
        with qtbot.waitSignal(dlg.done, timeout=300000) as sig:
            dlg.start()
    assert sig.args == ["finished"], dlg.result.toPlainText()
    assert dlg.report.ok
    # OpenVINO IR (FP16 weights): the conversion holds the GIL, so it runs in a child process
    dlg_ov = window.convert("openvino")
    qtbot.addWidget(dlg_ov)
    dlg_ov.output.setText(str(tmp_path / "effnet.xml"))
    dlg_ov.precision.setCurrentText("fp16")
    with Heartbeat() as hb_openvino:
        with qtbot.waitSignal(dlg_ov.done, timeout=300000) as sig:
            dlg_ov.start()
    assert sig.args == ["finished"], dlg_ov.result.toPlainText()
    # classification of a photo (executor + activations of every blob)
    panel = window.classify_panel
    with Heartbeat() as hb_classify:
        with qtbot.waitSignal(panel.run_done, timeout=300000) as sig:
            panel.add_images([chelsea_png])
    assert sig.args == ["finished"], panel.status.text()
    top = panel.results[0]["top"]
    assert any("cat" in t["label"] for t in top[:3])  # a tabby: the real model recognises it
    print(f"\nheartbeat max gap: ONNX export+verify {1000 * hb_export.max_gap:.1f} ms ({hb_export.ticks} ticks), "
          f"OpenVINO IR {1000 * hb_openvino.max_gap:.1f} ms ({hb_openvino.ticks} ticks), "
          f"classification {1000 * hb_classify.max_gap:.1f} ms ({hb_classify.ticks} ticks)")
    record_property("max_gap_openvino_ms", 1000 * hb_openvino.max_gap)
    assert hb_openvino.max_gap < MAX_GAP_S
    record_property("max_gap_export_ms", 1000 * hb_export.max_gap)
    record_property("max_gap_classify_ms", 1000 * hb_classify.max_gap)
    assert hb_export.max_gap < MAX_GAP_S
    assert hb_classify.max_gap < MAX_GAP_S
