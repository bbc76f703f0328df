"""Export/Convert dialogs: each conversion runs as a job with progress, Cancel and a report."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from app_models import CONV_W, long_chain_with_shape, tiny_cnn_reference
from app_testing import open_and_wait, run_convert


def test_save_as_caffe2_text_roundtrip(qtbot, window, tiny_model_dir, tmp_path):
    from c2core.io import open_model

    open_and_wait(qtbot, window, tiny_model_dir)
    dlg, job, _ = run_convert(qtbot, window, "caffe2", tmp_path / "saved", lambda d: d.text_fmt.setChecked(True))
    assert job.state == "finished", dlg.result.toPlainText()
    assert sorted(os.listdir(tmp_path / "saved")) == ["init_net.pbtxt", "predict_net.pbtxt"]
    m = open_model(str(tmp_path / "saved"))
    assert [o.type for o in m.predict_net.op] == ["Conv", "Relu", "AveragePool", "FC", "Softmax"]
    np.testing.assert_array_equal(m.weights["conv_w"].array, CONV_W)
    assert "wrote" in dlg.result.toPlainText() and "predict_net.pbtxt" in dlg.result.toPlainText()


@pytest.mark.parametrize("fmt,magic", [("dot", b"digraph"), ("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_export_graph_formats(qtbot, window, tiny_model_dir, tmp_path, fmt, magic):
    open_and_wait(qtbot, window, tiny_model_dir)
    out = tmp_path / f"g.{fmt}"
    dlg, job, _ = run_convert(qtbot, window, "graph", out, fmt=fmt)
    assert job.state == "finished", dlg.result.toPlainText()
    data = out.read_bytes()
    assert magic in data[:400]
    if fmt in ("dot", "svg"):
        assert b"AveragePool" in data


def test_convert_to_onnx_verified_with_progress(qtbot, window, tiny_model_dir, tmp_path, chelsea_png):
    import onnxruntime as ort
    from c2core.classify import get_preset, load_image

    open_and_wait(qtbot, window, tiny_model_dir)
    out = tmp_path / "tiny.onnx"
    dlg, job, progress = run_convert(qtbot, window, "onnx", out)
    assert job.state == "finished", dlg.result.toPlainText()
    report = dlg.result.toPlainText()
    assert dlg.report.ok and "max_abs" in report and "prob" in report and str(out) in report
    assert progress and progress[-1][0] == pytest.approx(1.0) or dlg.bar.value() == 100
    # the written file computes the net: ONNX Runtime vs the NumPy reference on a real photo
    x = get_preset("torchvision").for_input_size(224).apply(load_image(chelsea_png))[None]
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (y,) = sess.run(["prob"], {"data": x})
    np.testing.assert_allclose(y, tiny_cnn_reference(x), rtol=1e-4, atol=1e-6)


def test_onnx_export_cancel_midway_writes_nothing(qtbot, window, tmp_path):
    from c2core.graph import Graph

    from app.document import Document

    from app.convert_dialog import ConvertDialog

    # a long net, not drawn (the dialog gets the document directly): the export has seconds of work left
    m = long_chain_with_shape(12000)
    dlg = ConvertDialog(window, "onnx", Document(m, Graph(m), ""))
    qtbot.addWidget(dlg)
    dlg.show()
    gc.collect()
    out = tmp_path / "chain.onnx"
    dlg.output.setText(str(out))
    dlg.verify.setChecked(False)
    seen = []

    def on_progress(f, msg):
        seen.append(f)
        if len(seen) == 1:
            dlg.cancel_btn.click()  # the real Cancel button, once the export reports progress

    dlg.progressed.connect(on_progress)
    with qtbot.waitSignal(dlg.done, timeout=120000):
        job = dlg.start()
    assert seen, "no progress reported"
    assert job.state == "cancelled"
    assert dlg.message.text() == "Cancelled" and not out.exists()
    assert dlg.run_btn.isEnabled() and not dlg.cancel_btn.isEnabled()


@pytest.mark.parametrize("kind", ["caffe2", "graph", "openvino"])
def test_cancel_midway_writes_nothing(qtbot, window, tmp_path, kind):
    """Cancel on the first progress report; the job ends cancelled and leaves no output."""
    from c2core.graph import Graph

    from app.document import Document
    from app_models import long_chain_with_weight

    from app.convert_dialog import ConvertDialog

    # dot on 3,000 blobs would take seconds; a Caffe2 save needs big weights to last long enough to cancel.
    # The dialog gets the document directly (not drawn), so the GUI thread is idle and free to click Cancel.
    m = long_chain_with_weight(300 if kind == "graph" else 8000, 12_000_000 if kind == "caffe2" else 1_000_000)
    dlg = ConvertDialog(window, kind, Document(m, Graph(m), ""), **({"fmt": "svg"} if kind == "graph" else {}))
    qtbot.addWidget(dlg)
    dlg.show()
    gc.collect()
    out = tmp_path / {"caffe2": "saved", "graph": "g.svg", "openvino": "m.xml"}[kind]
    dlg.output.setText(str(out))
    seen = []

    def on_progress(f, msg):
        seen.append(msg)
        if len(seen) == 1:
            dlg.cancel_btn.click()

    dlg.progressed.connect(on_progress)
    with qtbot.waitSignal(dlg.done, timeout=120000) as sig:
        dlg.start()
    assert seen and sig.args == ["cancelled"], dlg.result.toPlainText()
    assert "Cancelled" in dlg.result.toPlainText()
    assert not out.exists()


@pytest.mark.parametrize("precision,rtol", [("fp32", 1e-4), ("fp16", 2e-2)])
def test_convert_to_openvino_ir(qtbot, window, tiny_model_dir, tmp_path, precision, rtol, chelsea_png):
    import openvino as ov
    from c2core.classify import get_preset, load_image

    open_and_wait(qtbot, window, tiny_model_dir)

    def configure(dlg):
        if not dlg.available:
            pytest.skip(dlg.reason.text())
        dlg.precision.setCurrentText(precision)

    out = tmp_path / f"tiny_{precision}.xml"
    dlg, job, _ = run_convert(qtbot, window, "openvino", out, configure)
    assert job.state == "finished", dlg.result.toPlainText()
    assert out.exists() and out.with_suffix(".bin").exists()
    # the app's IR went through the pipeline's parity gate, as the CLI's does
    spec = "openvino" if precision == "fp32" else f"openvino:{precision}"
    text = dlg.result.toPlainText()
    assert dlg.report.ok and f"verification: {spec} vs c2core executor" in text and "PASSED" in text
    x = get_preset("torchvision").for_input_size(224).apply(load_image(chelsea_png))[None]
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(out)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    y = compiled([x])[compiled.output(0)]
    np.testing.assert_allclose(y, tiny_cnn_reference(x), rtol=rtol, atol=1e-4)


def test_tensorrt_shown_disabled_with_reason(qtbot, window, tiny_model_dir):
    from app import backend_status

    open_and_wait(qtbot, window, tiny_model_dir)
    av = backend_status.availability()["tensorrt"]
    qtbot.waitUntil(lambda: window.model_panel.support is not None, timeout=60000)
    if not av.ok:  # the menu entry itself is disabled and says why
        assert not window.act_tensorrt.isEnabled() and av.reason in window.act_tensorrt.toolTip()
        assert "unavailable" in window.act_tensorrt.text()
    dlg = window.convert("tensorrt")
    qtbot.addWidget(dlg)
    if av.ok:
        pytest.skip("TensorRT is available here")
    assert not dlg.run_btn.isEnabled()
    assert av.reason in dlg.reason.text() and dlg.reason.isVisible()
    assert dlg.start() is None
    assert not dlg.calib.isEnabled()  # calibration images only mean something for INT8
    dlg.precision.setCurrentText("int8")
    assert dlg.calib.isEnabled()


def test_convert_dialog_beforerun_convert(qtbot, window, tiny_model_dir):
    """Idle: a heading naming the model, opset with its range explained, no 0% bar, a readable Browse button."""
    open_and_wait(qtbot, window, tiny_model_dir)
    dlg = window.convert("onnx")
    qtbot.addWidget(dlg)
    qtbot.waitExposed(dlg)
    assert "Convert to ONNX" in dlg.heading.text() and "tiny_cnn" in dlg.heading.text()
    assert (dlg.opset.minimum(), dlg.opset.maximum(), dlg.opset.value()) == (13, 21, 17)
    assert "TensorRT" in dlg.opset.toolTip()
    assert dlg.verify.isChecked()
    assert not dlg.bar.isVisible()
    assert "Press Run" in dlg.result.placeholderText()
    from PySide6.QtWidgets import QPushButton

    browse = [b for b in dlg.output.findChildren(QPushButton)][0]
    assert browse.width() >= browse.fontMetrics().horizontalAdvance(browse.text())
    dlg.close()


def test_import_onnx_opens_the_result(qtbot, window, tiny_model_dir, tmp_path):
    from c2core.io import open_model
    from c2core.onnx import export_onnx

    onnx_path = tmp_path / "tiny.onnx"
    export_onnx(open_model(tiny_model_dir), str(onnx_path))
    dlg = window.convert("import_onnx")
    qtbot.addWidget(dlg)
    dlg.source.setText(str(onnx_path))
    dlg.output.setText(str(tmp_path / "imported"))
    with qtbot.waitSignal(window.document_opened, timeout=60000):
        dlg.start()
    assert "Imported ONNX" in dlg.result.toPlainText()
    assert os.path.samefile(window.document.path, tmp_path / "imported")
    types = [o.type for o in window.document.model.predict_net.op]
    assert "Conv" in types and "Softmax" in types
    qtbot.waitUntil(lambda: window.canvas.is_final, timeout=30000)


def test_onnx_export_in_child_process_cancels_and_reports_progress(qtbot, window, effnet_dir, tmp_path):
    """Models on disk export in a child process: progress still arrives, Cancel kills it, nothing is written."""
    open_and_wait(qtbot, window, effnet_dir, timeout=120000)
    dlg = window.convert("onnx")
    qtbot.addWidget(dlg)
    out = tmp_path / "effnet.onnx"
    dlg.output.setText(str(out))
    seen = []

    def on_progress(f, msg):
        seen.append(msg)
        if msg.startswith("op "):  # the child is exporting ops: cancel now
            dlg.cancel_btn.click()

    dlg.progressed.connect(on_progress)
    with qtbot.waitSignal(dlg.done, timeout=120000) as sig:
        dlg.start()
    assert sig.args == ["cancelled"] and any(m.startswith("op ") for m in seen)
    assert not out.exists() and not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # the child's staging swept


def test_import_of_a_broken_onnx_file_reports_the_core_error(qtbot, window, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 50)
    dlg = window.convert("import_onnx")
    qtbot.addWidget(dlg)
    dlg.source.setText(str(bad))
    dlg.output.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dlg.done, timeout=60000) as sig:
        dlg.start()
    assert sig.args == ["failed"]
    assert "broken.onnx" in dlg.result.toPlainText() and dlg.message.text() == "✗ Failed"
    assert window.document is None


def test_unsupported_ops_disable_run_before_it_starts(qtbot, window, tmp_path):
    from c2core.builder import NetBuilder, model_from
    from c2core.io.save import save_model

    b = NetBuilder("odd")
    b.inputs("x").outputs("y")
    b.op("Relu", "x", "r")
    b.op("MadeUpOp", "r", "y")
    save_model(model_from(b.net, {}), str(tmp_path / "odd"))
    open_and_wait(qtbot, window, str(tmp_path / "odd"))
    for kind in ("onnx", "openvino"):
        dlg = window.convert(kind)
        qtbot.addWidget(dlg)
        dlg.output.setText(str(tmp_path / "out" / f"odd.{kind}"))
        qtbot.waitUntil(lambda d=dlg: d.unsupported is not None, timeout=60000)
        assert dlg.unsupported == ["MadeUpOp"]
        assert not dlg.run_btn.isEnabled() and dlg.start() is None
        assert "MadeUpOp" in dlg.reason.text() and dlg.reason.isVisible()
        dlg.close()


def test_bad_output_folder_is_refused_in_words_and_not_remembered(qtbot, window, tiny_model_dir, tmp_path):
    import os

    from app import settings

    open_and_wait(qtbot, window, tiny_model_dir)
    dlg = window.convert("onnx")
    qtbot.addWidget(dlg)
    dlg.output.setText("/proc/nope/model.onnx")
    assert not dlg.run_btn.isEnabled() and dlg.start() is None
    assert "cannot create a folder here: /proc/nope" in dlg.reason.text()
    assert "Errno" not in dlg.reason.text() and "FileNotFoundError" not in dlg.reason.text()
    dlg.output.setText(str(tmp_path))  # a folder where a file is wanted
    assert "is a folder" in dlg.reason.text() and not dlg.run_btn.isEnabled()
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o500)
    if not os.access(ro, os.W_OK):  # root may write anywhere
        dlg.output.setText(str(ro / "m.onnx"))
        assert "not writable" in dlg.reason.text()
    assert settings.get("convert/dir") is None  # nothing invalid was remembered
    good = tmp_path / "good" / "m.onnx"
    dlg.output.setText(str(good))
    assert dlg.run_btn.isEnabled() and not dlg.reason.isVisible()
    dlg.verify.setChecked(False)
    with qtbot.waitSignal(dlg.done, timeout=120000):
        dlg.start()
    assert good.is_file() and settings.get("convert/dir") == str(tmp_path / "good")
    dlg.close()
    # a caffe2 save: the folder is the output, its parent is remembered
    dlg2 = window.convert("caffe2")
    qtbot.addWidget(dlg2)
    dlg2.output.setText("/proc/nope")
    assert not dlg2.run_btn.isEnabled() and "cannot create a folder here" in dlg2.reason.text()
    dlg2.close()


def test_text_format_save_warns_about_size_before_starting(qtbot, window, effnet_dir):
    open_and_wait(qtbot, window, effnet_dir, timeout=60000)
    dlg = window.convert("caffe2")
    qtbot.addWidget(dlg)
    assert dlg.message.text() == ""
    dlg.text_fmt.setChecked(True)
    assert "Text format" in dlg.message.text() and "MB" in dlg.message.text()
    dlg.text_fmt.setChecked(False)
    assert dlg.message.text() == ""
    dlg.close()


def test_onnx_export_that_fails_verification_writes_nothing_like_the_cli(qtbot, window, tmp_path, monkeypatch, capsys):
    """The app's ONNX job is the pipeline's: a failed verification publishes nothing, reports
    the numbers, and leaves the folder exactly as `c2core convert` leaves it."""
    from c2core.cli.main import main
    from c2core.graph import Graph
    from c2core.io.save import save_model
    from c2core.onnx import verify

    from app.convert_dialog import ConvertDialog
    from app.document import Document
    from tests.references.tiny_classifier import tiny_classifier

    real = verify._executor_reference

    def one_percent_off(model):  # the executor's answer, scaled: ONNX Runtime cannot match it
        run = real(model)
        return lambda feeds: {k: v * 1.01 for k, v in run(feeds).items()}

    monkeypatch.setattr(verify, "_executor_reference", one_percent_off)
    m, _ = tiny_classifier(batch=1)
    # in memory: the job runs on a worker thread of this process, so the stand-in reference applies
    dlg = ConvertDialog(window, "onnx", Document(m, Graph(m), ""))
    qtbot.addWidget(dlg)
    (tmp_path / "app").mkdir()
    out = tmp_path / "app" / "m.onnx"
    out.write_bytes(b"previous good file")
    dlg.output.setText(str(out))
    with qtbot.waitSignal(dlg.done, timeout=120000) as sig:
        dlg.start()
    text = dlg.result.toPlainText()
    assert sig.args == ["finished"] and not dlg.report.ok and dlg.report.outputs == []
    assert "nothing was written" in text and "FAIL" in text and "max_rel" in text
    assert out.read_bytes() == b"previous good file" and os.listdir(tmp_path / "app") == ["m.onnx"]

    save_model(m, str(tmp_path / "model"))
    (tmp_path / "cli").mkdir()
    cli_out = tmp_path / "cli" / "m.onnx"
    cli_out.write_bytes(b"previous good file")
    assert main(["convert", str(tmp_path / "model"), "-o", str(cli_out), "--input-shape", "1,3,8,8"]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert cli_out.read_bytes() == b"previous good file" and os.listdir(tmp_path / "cli") == ["m.onnx"]


def test_tensorrt_job_stages_and_gates_like_the_cli(qtbot, window, tmp_path, monkeypatch):
    """The app's TensorRT job is the pipeline's: the plan is built into the staging folder
    (never onto the final path) and published only after a parity check. TensorRT is
    absent here, so a stand-in builder writes bytes no engine can run: the parity check
    fails and nothing appears at the output."""
    import json

    from c2core.backends import tensorrt
    from c2core.backends.base import Availability

    from app import convert_jobs, jobs
    from tests.references.tiny_classifier import tiny_classifier

    built = {}

    def build_plan(onnx_path, plan, precision, **kw):
        built["where"] = os.path.dirname(plan)
        with open(plan, "wb") as f:
            f.write(b"not a real plan")
        with open(tensorrt.sidecar_path(plan), "w") as f:
            json.dump({"precision": precision}, f)
        return {"precision": precision}

    monkeypatch.setattr(tensorrt, "trt_availability", lambda: Availability(True))
    monkeypatch.setattr(tensorrt, "build_plan", build_plan)
    m, _ = tiny_classifier(batch=1)
    out = tmp_path / "trt" / "m.plan"
    # the dialog greys Run out where TensorRT is missing: drive the job it would start
    job = jobs.Job(convert_jobs.make_tensorrt(m, str(out), "fp32"), "Convert to TensorRT")
    with qtbot.waitSignal(job.done, timeout=120000):
        job.start()
    rep = job.result
    assert job.state == "finished" and not rep.ok and "nothing was written" in rep.text(), rep.text()
    assert os.path.dirname(built["where"]) == str(tmp_path / "trt")  # built inside the staging folder
    assert os.listdir(tmp_path / "trt") == []
