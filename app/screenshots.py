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
         broken: str | None = None) -> list[str]:
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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("model")
    p.add_argument("image", nargs="*", help="photos to classify")
    p.add_argument("--large", help="a large net to show at its initial zoom (densenet121)")
    p.add_argument("--broken", help="a file that cannot be opened (error banner)")
    a = p.parse_args(argv)
    for s in take(a.out_dir, a.model, a.image, large=a.large, broken=a.broken):
        print(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
