"""Shared test fixtures: the real-model corpus beside the project."""

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# pytest puts tests/ on sys.path, where tests/c2core/ would be taken for a namespace
# package `c2core` (the editable install's finder comes after the path finder).
# With the project root on sys.path the real, regular package always wins.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
CORPUS = pathlib.Path(os.environ.get("C2_CORPUS", ROOT.parent / "shared" / "corpus" / "caffe2-zoo"))
CORPUS_NETS = ["bvlc_alexnet", "densenet121", "inception_v1", "resnet50", "vgg19"]


@pytest.fixture(scope="session")
def corpus_dir():
    if not CORPUS.is_dir():
        pytest.skip(f"real-model corpus not found at {CORPUS} (../shared/corpus is absent)")
    return CORPUS
