"""Find the other half of a Caffe2 model pair from the half the user picked.

Zoo, Detectron and translator outputs name their pairs in a handful of ways:
`predict_net.pb`/`init_net.pb`, `X.pb`/`X_init.pb`, `X_predict_net.pb`/
`X_init_net.pb`, `X_predict.pb`/`X_init.pb`, with `.pb`, `.pbtxt` or
`.prototxt` extensions in any mix. Names only propose; the opener confirms
init vs predict from the content.
"""

from __future__ import annotations

import os

EXTS = (".pb", ".pbtxt", ".prototxt", ".pb.txt", ".txt")
MODEL_EXTS = EXTS + (".minidb", ".db")


def split_ext(name: str) -> tuple[str, str]:
    low = name.lower()
    for e in sorted(EXTS + (".minidb", ".db"), key=len, reverse=True):
        if low.endswith(e):
            return name[: -len(e)], name[-len(e) :]
    stem, ext = os.path.splitext(name)
    return stem, ext


def init_stems(stem: str) -> list[str]:
    """Candidate init-net stems for a predict-net stem."""
    out = []
    for suf, rep in (("predict_net", "init_net"), ("_predict", "_init"), ("predict", "init")):
        if stem.endswith(suf):
            out.append(stem[: -len(suf)] + rep)
    out.append(stem + "_init")
    out.append(stem + "_init_net")
    return out


def predict_stems(stem: str) -> list[str]:
    """Candidate predict-net stems for an init-net stem."""
    out = []
    for suf, reps in (("init_net", ("predict_net",)), ("_init", ("_predict", "")), ("init", ("predict",))):
        if stem.endswith(suf):
            for rep in reps:
                out.append(stem[: -len(suf)] + rep)
    return [s for s in out if s]


def looks_like_init_name(name: str) -> bool:
    stem, _ = split_ext(os.path.basename(name))
    return stem.endswith("init_net") or stem.endswith("_init") or stem == "init"


def find_partner(path: str, want_init: bool) -> str | None:
    """The existing file that pairs with `path`, or None."""
    d = os.path.dirname(os.path.abspath(path))
    stem, ext = split_ext(os.path.basename(path))
    stems = init_stems(stem) if want_init else predict_stems(stem)
    try:
        present = {n.lower(): n for n in os.listdir(d)}
    except OSError:
        return None
    exts = [ext] + [e for e in EXTS if e != ext]
    for s in stems:
        for e in exts:
            cand = present.get((s + e).lower())
            if cand and os.path.join(d, cand) != os.path.abspath(path):
                return os.path.join(d, cand)
    return None


def model_files_in(folder: str) -> list[str]:
    out = []
    for n in sorted(os.listdir(folder)):
        p = os.path.join(folder, n)
        if os.path.isfile(p) and n.lower().endswith(MODEL_EXTS) and n != "value_info.json":
            out.append(p)
    return out
