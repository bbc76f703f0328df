"""Writing blobs to an .npz whatever their names are.

Blob names come from the model file: `allow_pickle` or `file` clash with
`np.savez`'s own keywords, `a\\x00b` is cut at the NUL by zipfile, `../../x`
becomes a path inside the archive (and outside the folder for `unzip`).
So the archive is written member by member (zipfile + NumPy's .npy writer):
a plain name is its own key (`np.load(out)["prob"]`, as before); any other
name is stored under `out_<i>` and the exact names of those go in a name
table, member `__names__`: a JSON object {key: blob name}, read with
`json.loads(str(np.load(out)["__names__"]))`.
"""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np

NAMES_KEY = "__names__"
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:+=@,\-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.:+=@,\-]*)*")
_MAX_KEY = 200


def is_plain(name: str) -> bool:
    """A name that is safe as an archive member and a NumPy key as it is."""
    return (len(name) <= _MAX_KEY and bool(_PLAIN.fullmatch(name)) and name != NAMES_KEY
            and ".." not in name.split("/") and not name.startswith("out_"))


def member_keys(names) -> dict[str, str]:
    """blob name -> key in the archive (plain names keep theirs)."""
    out = {}
    for i, n in enumerate(names):
        out[n] = n if is_plain(n) else f"out_{i}"
    return out


def write_npz(f, arrays: dict) -> dict[str, str]:
    """Write `arrays` (name -> ndarray) to the open binary file `f`; returns
    {key: name} for the names stored under another key (empty when none)."""
    keys = member_keys(list(arrays))
    renamed = {k: n for n, k in keys.items() if k != n}
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, a in arrays.items():
            with z.open(keys[name] + ".npy", "w", force_zip64=True) as m:
                np.lib.format.write_array(m, np.asanyarray(a), allow_pickle=False)
        if renamed:
            with z.open(NAMES_KEY + ".npy", "w") as m:
                np.lib.format.write_array(m, np.array(json.dumps(renamed, ensure_ascii=True)), allow_pickle=False)
    return renamed


def read_npz(path) -> dict:
    """name -> array of an .npz written by `write_npz` (exact blob names)."""
    with np.load(path, allow_pickle=False) as z:
        table = json.loads(str(z[NAMES_KEY])) if NAMES_KEY in z.files else {}
        return {table.get(k, k): z[k] for k in z.files if k != NAMES_KEY}
