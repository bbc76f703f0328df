"""RecurrentNetwork's arguments, read the same way by the executor and the shape rules
(torch-free: shape inference must not import torch)."""

from __future__ import annotations


def strs(args, name) -> list[str]:
    v = args.get(name)
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    return [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in items]


def rnn_links(args) -> list[tuple[str, str, int, int]]:
    """(internal, external, offset, window) per link; window 1 when link_window is absent."""
    internal, external = strs(args, "link_internal"), strs(args, "link_external")
    offsets = args.ints("link_offset", []) or []
    windows = args.ints("link_window", []) or []
    if not (len(internal) == len(external) == len(offsets)):
        raise ValueError("link_internal, link_external and link_offset differ in length")
    if windows and len(windows) != len(internal):
        raise ValueError("link_window and link_internal differ in length")
    return [(i, e, int(o), int(windows[k]) if windows else 1) for k, (i, e, o) in enumerate(zip(internal, external, offsets))]


def rnn_aliases(args) -> list[tuple[str, str, int]]:
    src, dst, off = strs(args, "alias_src"), strs(args, "alias_dst"), args.ints("alias_offset", []) or []
    if not (len(src) == len(dst) == len(off)):
        raise ValueError("alias_src, alias_dst and alias_offset differ in length")
    return list(zip(src, dst, (int(o) for o in off)))
