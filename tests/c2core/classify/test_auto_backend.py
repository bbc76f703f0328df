"""`auto` backend: the fastest engine whose output matches the executor's; one that disagrees is never chosen."""

from __future__ import annotations

import numpy as np

from c2core.backends import ModelSource, available_names
from c2core.builder import NetBuilder, model_from
from c2core.classify import auto_backend


def _model():
    rng = np.random.default_rng(1)
    b = NetBuilder("auto_tiny")
    b.inputs("data", "w", "b").outputs("prob")
    b.op("FC", ["data", "w", "b"], "fc")
    b.op("Softmax", "fc", "prob")
    m = model_from(b.net, {"w": rng.standard_normal((5, 12)).astype(np.float32),
                           "b": rng.standard_normal(5).astype(np.float32)})
    m.value_info = {"data": (1, [1, 12])}
    return m


def test_picks_an_available_engine_and_says_what_it_measured(monkeypatch):
    monkeypatch.setattr(auto_backend, "_CHOICES", {})
    with ModelSource(model=_model(), batch=1) as src:
        name, note = auto_backend.pick_backend(src)
    assert name in available_names()
    assert "c2" in note and " ms" in note
    # remembered for this content and shape: asked again, the same answer without measuring
    with ModelSource(model=_model(), batch=1) as src:
        assert auto_backend.pick_backend(src) == (name, note)


def test_an_engine_that_disagrees_with_the_executor_is_not_chosen(monkeypatch):
    from c2core.backends import onnxruntime as ort_mod

    if "onnxruntime" not in available_names():
        return
    monkeypatch.setattr(auto_backend, "_CHOICES", {})
    real_run = ort_mod.OnnxRuntimeBackend._run

    def wrong(self, inputs):  # a fast engine with a wrong answer
        return {k: v + 0.5 for k, v in real_run(self, inputs).items()}

    monkeypatch.setattr(ort_mod.OnnxRuntimeBackend, "_run", wrong)
    with ModelSource(model=_model(), batch=1) as src:
        name, note = auto_backend.pick_backend(src, candidates=("c2", "onnxruntime"))
    assert name == "c2"
    assert "onnxruntime: results differ from the executor" in note
