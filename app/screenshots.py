"""Documentation screenshots of the real window: `python -m app.screenshots OUT_DIR MODEL [IMAGE...]`.

Drives the app the way a user would (open the model, classify photos, select
an op, a weight blob, the model tab) and saves one PNG of the whole window per
state. With `--large NET` and `--broken FILE` it also shows the welcome page,
the error banner, a large net at its initial zoom and the convert dialogs.
Used by the Xvfb screenshot test and to refresh docs/screenshots/.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _wait(app, predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def take(out_dir: str, model: str, image=None, size=(1600, 1000), large: str | None = None,
         broken: str | None = None, no_value_info: str | None = None, three_class: str | None = None,
         control: str | None = None) -> list[str]:
    from .main import make_app
    from .window import MainWindow

    app = make_app()
    os.makedirs(out_dir, exist_ok=True)
    w = MainWindow()
    w.resize(*size)
    w.show()
    _settle(app)
    shots = []

    def shot(name, widget=None):
        _settle(app, 0.4)
        path = os.path.join(out_dir, name)
        if not (widget or w).grab().save(path):
            raise RuntimeError(f"cannot write {path}")
        shots.append(path)

    images = [image] if isinstance(image, str) else list(image or [])
    if broken:
        shot("welcome.png")
        w.open_path(broken)
        _wait(app, lambda: bool(w.last_error))
        shot("error-banner.png")
    if large:
        w.open_path(large)
        _wait(app, lambda: w.document is not None and w.document.path == large and w.canvas.is_final)
        # the initial view as a user gets it (not moved), with the first pooling op's
        # inputs and outputs highlighted: in DenseNet its output also feeds the block's Concat
        pool = next((n.index for n in w.document.graph.nodes if "Pool" in n.type), None)
        if pool is not None:
            w.canvas.node_items[w.canvas.drawing.node_of_op[pool]].setSelected(True)
        shot("densenet121.png" if "densenet121" in large else "large-net.png")
        w.canvas.scene.clearSelection()
    w.open_path(model)
    _wait(app, lambda: (w.document is not None and w.document.path == model) or bool(w.last_error))
    if w.document is None or w.document.path != model:
        shot("error.png")
        w.close()
        return shots
    _wait(app, lambda: w.canvas.is_final)
    doc = w.document
    if images:
        panel = w.classify_panel
        done = []
        panel.run_done.connect(done.append)
        panel.add_images(images)
        _wait(app, lambda: bool(done), 300)
    # an op with weights, centred and selected: the inspector shows its schema, args, shapes
    conv = next((n.index for n in doc.graph.nodes if n.type == "Conv"), 0)
    target = next((n.index for n in doc.graph.nodes if n.type == "Conv" and n.index > 8), conv)
    w.canvas.select_op(target)
    w.canvas.view.centerOn(w.canvas.node_items[w.canvas.drawing.node_of_op[target]])
    shot("main-window-op.png")
    # the first conv's filter: statistics, histogram, filter mosaic, value table
    wname = doc.graph.nodes[conv].inputs[1][0] if len(doc.graph.nodes[conv].inputs) > 1 else None
    if wname:
        w.inspector.show_blob(wname, 0)
        _wait(app, lambda: w.inspector.tensor.isVisible(), 60)
        shot("inspector-weights.png")
    w.model_dock.raise_()
    w.classify_dock.hide()  # the whole model tab in view, backend support included
    _wait(app, lambda: w.model_panel.support is not None, 120)
    shot("model-panel.png")
    w.classify_dock.show()
    if no_value_info and images:
        _no_value_info_shots(app, w, no_value_info, images[0], shot)
    if three_class and images:
        _open(app, w, three_class)
        panel = w.classify_panel
        panel.backend.setCurrentIndex(panel.backend.findData("c2"))
        _classify(app, panel, images[:1])
        fc = next(n.index for n in w.document.graph.nodes if n.type == "FC")
        w.canvas.select_op(fc)  # its W is 3×4: three classes
        w.inspector_dock.raise_()
        shot("three-class-labels.png")
    if control:
        _open(app, w, control)
        node = next(n.index for n in w.document.graph.nodes if n.type == "If")
        w.canvas.select_op(node)
        subs = w.document.graph.subnets(node)
        w.open_subnet(node, subs[0].arg, subs[0].position)
        _wait(app, lambda: w.canvas.is_final)
        inner = max(w.canvas.drawing.node_of_op)  # the sub-net's last op, selected and inspected
        w.canvas.select_op(inner)
        w.canvas.view.fit(None, w.canvas.options.rankdir)
        w.inspector_dock.raise_()
        shot("subnet-if.png")
    if large:  # the convert dialogs: ONNX options, and TensorRT refused with its reason
        from . import backend_status

        _wait(app, lambda: backend_status.cached() is not None, 120)
        for kind, name in (("onnx", "convert-dialog.png"), ("tensorrt", "convert-tensorrt.png")):
            dlg = w.convert(kind)
            shot(name, dlg)
            dlg.close()
        dlg = w.show_about()
        shot("about.png", dlg)
        dlg.close()
    w.close()
    return shots


def _open(app, w, path: str) -> None:
    w.open_path(path)
    _wait(app, lambda: (w.document is not None and w.document.path == path) or bool(w.last_error))
    _wait(app, lambda: w.canvas.is_final)


def _classify(app, panel, images) -> None:
    done = []
    panel.run_done.connect(done.append)
    panel.add_images(images)
    _wait(app, lambda: bool(done), 300)
    panel.run_done.disconnect()
    _settle(app, 0.3)


def _no_value_info_shots(app, w, path: str, image: str, shot) -> None:
    """A model folder without value_info.json: the Inputs panel with a shape typed in,
    then a classification on ONNX Runtime with that shape."""
    _open(app, w, path)
    w.model_dock.raise_()
    w.model_panel.inputs.set_shape(w.document.model.data_inputs[0], "1,3,240,240")
    _settle(app, 0.5)
    shot("inputs-panel.png")
    panel = w.classify_panel
    panel.backend.setCurrentIndex(panel.backend.findData("onnxruntime"))
    _classify(app, panel, [image])
    shot("classify-onnxruntime.png")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("model")
    p.add_argument("image", nargs="*", help="photos to classify")
    p.add_argument("--large", help="a large net to show at its initial zoom (densenet121)")
    p.add_argument("--broken", help="a file that cannot be opened (error banner)")
    p.add_argument("--no-value-info", help="a model folder without value_info.json (Inputs panel, onnxruntime)")
    p.add_argument("--three-class", help="a 3-class model with its own labels")
    p.add_argument("--control", help="a net with an If op (its sub-net opened)")
    a = p.parse_args(argv)
    for s in take(a.out_dir, a.model, a.image, large=a.large, broken=a.broken, no_value_info=a.no_value_info,
                  three_class=a.three_class, control=a.control):
        print(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
