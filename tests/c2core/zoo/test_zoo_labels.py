"""The ImageNet-1k labels: 1000 lines in the standard class order, one packaged copy."""

import pathlib

from c2core.zoo import labels_file, read_labels

ROOT = pathlib.Path(__file__).resolve().parents[3]

# Well-known indices of the standard ILSVRC-2012 class order (synset-sorted).
ANCHORS = {
    0: "tench", 1: "goldfish", 2: "great white shark", 7: "cock", 99: "goose", 151: "Chihuahua",
    207: "golden retriever", 208: "Labrador retriever", 235: "German shepherd", 281: "tabby",
    282: "tiger cat", 283: "Persian cat", 284: "Siamese cat", 285: "Egyptian cat", 291: "lion", 292: "tiger",
    340: "zebra", 386: "African elephant", 388: "giant panda", 409: "analog clock", 430: "basketball",
    457: "bow tie", 504: "coffee mug", 508: "computer keyboard", 657: "missile", 744: "projectile",
    812: "space shuttle", 817: "sports car", 948: "Granny Smith", 954: "banana", 967: "espresso", 968: "cup",
    988: "acorn", 998: "ear", 999: "toilet tissue",
}


def test_thousand_labels_in_standard_order():
    labels = read_labels()
    assert len(labels) == 1000
    assert all(s == s.strip() and s for s in labels)
    for i, name in ANCHORS.items():
        assert labels[i] == name, i


def test_only_the_known_duplicates():
    labels = read_labels()
    dups = sorted({s for s in labels if labels.count(s) > 1})
    assert dups == ["crane", "maillot"]  # 134/517 (bird/machine), 638/639 (two synsets)


def test_one_copy_the_packaged_one():
    assert pathlib.Path(labels_file()) == ROOT / "c2core" / "resources" / "imagenet_labels.txt"
    assert not (ROOT / "resources" / "imagenet_labels.txt").exists()  # no second copy to drift
