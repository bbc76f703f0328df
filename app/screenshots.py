"""Documentation screenshots of the real window: `python -m app.screenshots OUT_DIR MODEL [IMAGE]`.

Drives the app the way a user would (open the model, classify a photo, select
an op, a weight blob, the model tab) and saves one PNG of the whole window per
state. Used by the Xvfb screenshot test and to refresh docs/screenshots/.
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


def take(out_dir: str, model: str, image: str | None = None, size=(1600, 1000)) -> list[str]:
    from .main import make_app
    from .window import MainWindow

    app = make_app()
    os.makedirs(out_dir, exist_ok=True)
    w = MainWindow()
    w.resize(*size)
    w.show()
    _settle(app)
    shots = []

    def shot(name):
        _settle(app, 0.4)
        path = os.path.join(out_dir, name)
        if not w.grab().save(path):
            raise RuntimeError(f"cannot write {path}")
        shots.append(path)

    w.open_path(model)
    _wait(app, lambda: w.document is not None or bool(w.last_error))
    if w.document is None:
        shot("error.png")
        w.close()
        return shots
    _wait(app, lambda: w.canvas.is_final)
    doc = w.document
    if image:
        panel = w.classify_panel
        done = []
        panel.run_done.connect(done.append)
        panel.add_images([image])
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
    _wait(app, lambda: w.model_panel.support is not None, 120)
    shot("model-panel.png")
    w.close()
    return shots


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("model")
    p.add_argument("image", nargs="?")
    a = p.parse_args(argv)
    for s in take(a.out_dir, a.model, a.image):
        print(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
