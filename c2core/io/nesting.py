"""How deeply a serialized NetDef nests sub-nets, read from the wire format.

protobuf's parser gives up on messages nested beyond its recursion limit
(a NetDef inside an Argument inside an OperatorDef inside a NetDef costs
three levels, so about 33 nested If/While bodies) and says only that parsing
failed. To tell the user *why*, this walks the bytes iteratively (no
recursion, bounded work) following NetDef.op -> OperatorDef.arg ->
Argument.n / Argument.nets, and returns the deepest sub-net level found.
"""

from __future__ import annotations

# (message kind, field number) -> kind of the nested message
_NESTED = {("net", 2): "op", ("op", 5): "arg", ("arg", 8): "net", ("arg", 9): "net"}


def _varint(data: bytes, i: int, end: int) -> tuple[int, int]:
    shift = result = 0
    while i < end and shift < 64:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
    raise ValueError("bad varint")


def subnet_depth(data: bytes) -> int | None:
    """Deepest sub-net nesting (0: no sub-nets); None when the bytes are not
    well-formed protobuf at all (then depth is not the problem)."""
    deepest = 0
    stack = [("net", 0, len(data), 0)]
    try:
        while stack:
            kind, i, end, depth = stack.pop()
            deepest = max(deepest, depth)
            while i < end:
                key, i = _varint(data, i, end)
                field, wire = key >> 3, key & 7
                if wire == 0:
                    _, i = _varint(data, i, end)
                elif wire == 1:
                    i += 8
                elif wire == 5:
                    i += 4
                elif wire == 2:
                    n, i = _varint(data, i, end)
                    if i + n > end:
                        return None
                    sub = _NESTED.get((kind, field))
                    if sub is not None:
                        stack.append((sub, i, i + n, depth + (1 if sub == "net" else 0)))
                    i += n
                else:
                    return None
                if i > end:
                    return None
    except ValueError:
        return None
    return deepest
