"""Softmax applied exactly once; top-K order and labels."""

import numpy as np

from c2core.builder import NetBuilder
from c2core.classify import softmax, to_probabilities, top_k
from c2core.classify.topk import ends_in_softmax, looks_like_probabilities


def test_softmax_formula():
    x = np.array([[1.0, 2.0, 3.0]])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(softmax(x), [e / e.sum()], rtol=1e-6)


def test_probabilities_are_not_softmaxed_twice():
    p = softmax(np.array([[0.5, 3.0, -1.0]]))
    np.testing.assert_allclose(to_probabilities(p, True), p)
    np.testing.assert_allclose(to_probabilities(p, None), p)  # detected from the numbers
    logits = np.array([[0.5, 3.0, -1.0]])
    np.testing.assert_allclose(to_probabilities(logits, None), softmax(logits), rtol=1e-6)
    np.testing.assert_allclose(to_probabilities(logits.reshape(1, 3, 1, 1), False), softmax(logits), rtol=1e-6)
    assert not looks_like_probabilities(logits)


def test_ends_in_softmax_reads_the_caffe2_producer():
    class Src:
        kind = "caffe2"

    nb = NetBuilder("n").inputs("data", "w", "b").outputs("prob")
    nb.op("FC", ["data", "w", "b"], "fc")
    nb.op("Softmax", "fc", "prob")
    from c2core.model import Model

    src = Src()
    src.model = Model(predict_net=nb.net)
    assert ends_in_softmax(src, "prob") is True
    assert ends_in_softmax(src, "fc") is False
    assert ends_in_softmax(src, "nothing") is None


def test_top_k_order_ties_and_labels():
    p = np.array([0.1, 0.3, 0.3, 0.2, 0.1])
    t = top_k(p, 3, ["a", "b", "c", "d", "e"])
    assert [x["index"] for x in t] == [1, 2, 3]
    assert t[0] == {"index": 1, "label": "b", "score": 0.3}
    assert top_k(p, 10)[-1]["index"] == 4 and len(top_k(p, 10)) == 5
    assert top_k(np.array([0.2, 0.8]), 1, ["x"])[0]["label"] == "1"  # label list too short: index
