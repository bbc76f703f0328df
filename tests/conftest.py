"""Shared test fixtures: the real-model corpus beside the project."""

import os
import pathlib
import sys

import pytest

# Developer checks on under test (c2core.errors.strict_checks): a shape rule that
# crashes fails the test instead of silently giving unknown shapes, and importer
# converters must emit only what they declare. Set before c2core loads;
# subprocesses (CLI tests) inherit it. Tests of the lenient path use `lenient_shapes`.
os.environ.setdefault("C2CORE_STRICT", "1")

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


@pytest.fixture
def lenient_shapes():
    """Shape inference as users get it: a crashing rule gives unknown outputs."""
    from c2core.shapes import strict_rules

    prev = strict_rules(False)
    yield
    strict_rules(prev)
