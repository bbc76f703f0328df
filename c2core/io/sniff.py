"""Recognise a Caffe2 file and parse one NetDef, binary or text, from bytes.

`parse_netdef` never lets a protobuf exception escape: every failure becomes a
`C2FormatError` naming the file and the problem (empty, truncated, garbage,
text with a syntax error at line:column).
"""

from __future__ import annotations

import re

from ..errors import C2FormatError
from ..proto import caffe2_pb2

MINIDB_META_KEY = b"!!META_NET_DEF"

_TEXT_START = re.compile(rb"\A(?:\s*#[^\n]*\n)*\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*[:{<]|\[)")


def without_bom(data: bytes) -> bytes:
    """Text saved by Windows editors: a UTF-8 byte-order mark dropped, UTF-16 (with its mark)
    re-encoded as UTF-8. No binary NetDef starts with these bytes (wire types 6 and 7 do not
    exist), so a binary file is never touched."""
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data


def looks_like_text(data: bytes) -> bool:
    """Text format (.pbtxt): printable UTF-8 beginning with `field:` or `field {`."""
    head = without_bom(data[:4096])
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte char may be cut at 4096: retry a little shorter.
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return bool(_TEXT_START.match(head))


def looks_like_minidb(data: bytes) -> bool:
    """A minidb starts with two little-endian int32 lengths, then the first key."""
    if len(data) < 8:
        return False
    klen = int.from_bytes(data[0:4], "little", signed=True)
    vlen = int.from_bytes(data[4:8], "little", signed=True)
    if not (0 < klen < 4096 and 0 <= vlen <= len(data)):
        return False
    key = data[8 : 8 + klen]
    return len(key) == klen and all(32 <= c < 127 for c in key)


def parse_netdef(data: bytes, path: str) -> tuple[caffe2_pb2.NetDef, str]:
    """Parse one NetDef; returns (net, 'text' | 'binary')."""
    data = without_bom(data)
    if not data:
        raise C2FormatError("file is empty", path)
    if not data[:4096].strip() and not data.strip():  # strip() copies: only when the head is blank
        raise C2FormatError("file contains only whitespace", path)
    net = caffe2_pb2.NetDef()
    if looks_like_text(data) or _text_with_bad_utf8(data, path):
        from google.protobuf import text_format

        try:
            depth = _text_depth(data)
            if depth > MAX_TEXT_DEPTH:
                raise text_format.ParseError(f"braces nested {depth} deep, more than the {MAX_TEXT_DEPTH} this tool reads")
            text_format.Parse(data.decode("utf-8"), net, allow_unknown_field=True)
            check_names(net, path)
            return net, "text"
        except text_format.ParseError as e:
            text_err = str(e)
        except RecursionError:
            text_err = "nested too deeply"
        except UnicodeDecodeError as e:
            text_err = f"not valid UTF-8 text ({e.reason} at byte {e.start})"
        # A binary net can start with printable bytes; try before giving up.
        net = caffe2_pb2.NetDef()
        if _try_binary(net, data) and _plausible(net):
            check_names(net, path)
            return net, "binary"
        raise C2FormatError(f"not a valid text NetDef: {text_err}", path)
    if not _try_binary(net, data):
        from .nesting import subnet_depth

        depth = subnet_depth(data)
        if depth is not None and depth >= _PROTOBUF_SUBNET_DEPTH:
            raise C2FormatError(f"sub-nets (If/While bodies) nested {depth} deep: more than protobuf's parser "
                                f"accepts (about {_PROTOBUF_SUBNET_DEPTH - 1})", path)
        raise C2FormatError(
            f"not a Caffe2 NetDef (binary protobuf parse failed after {len(data):,} bytes: truncated or corrupt)", path
        )
    if not _plausible(net):
        untyped = [i for i, op in enumerate(net.op) if not op.type]
        if untyped and (len(untyped) < len(net.op) or net.name or len(net.external_input) or len(net.external_output)):
            # a net (it names itself, its blobs, or typed ops), with ops that name no type
            raise C2FormatError(f"op #{untyped[0]} has no type ({len(untyped)} op(s) without one)", path)
        raise C2FormatError("not a Caffe2 NetDef (parsed, but holds no ops, no inputs and no outputs)", path)
    check_names(net, path)
    return net, "binary"


# protobuf's recursion limit (100 levels) allows about 33 sub-net levels
# (three messages each); deeper binary nets fail to parse.
_PROTOBUF_SUBNET_DEPTH = 33
# Text nesting guard: the text parser recurses once per brace level.
MAX_TEXT_DEPTH = 96


_QUOTED_OR_COMMENT = re.compile(rb'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')
_BRACE = re.compile(rb"[{}<>]")


def _text_depth(data: bytes) -> int:
    """Deepest `{`/`<` nesting outside quoted strings and comments (no recursion)."""
    if data.count(b"{") + data.count(b"<") <= MAX_TEXT_DEPTH:
        return 0
    depth = deepest = 0
    for m in _BRACE.finditer(_QUOTED_OR_COMMENT.sub(b"", data)):
        if m.group() in (b"{", b"<"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _text_with_bad_utf8(data: bytes, path: str) -> bool:
    """Text format with invalid UTF-8 somewhere: reported as such, not as a failed binary parse."""
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    return bool(_TEXT_START.match(head.decode("utf-8", "replace").encode("utf-8"))) or \
        str(path).lower().endswith((".pbtxt", ".prototxt", ".txt"))


def check_names(net, path: str) -> None:
    """Reject names that are not UTF-8 text.

    protobuf hands back `bytes` instead of `str` for a proto2 string field
    holding invalid UTF-8; every name is a dictionary key downstream, so
    one such name is reported here, precisely, instead of failing later.
    """
    for field in ("external_input", "external_output"):
        for b in getattr(net, field):
            if not isinstance(b, str):
                raise C2FormatError(f"{field} name {bytes(b)!r} is not valid UTF-8", path)
    if not isinstance(net.name, str):
        raise C2FormatError(f"net name {bytes(net.name)!r} is not valid UTF-8", path)
    for i, op in enumerate(net.op):
        for field in ("input", "output"):
            for b in getattr(op, field):
                if not isinstance(b, str):
                    raise C2FormatError(f"op #{i} ({_text(op.type)}) {field} name {bytes(b)!r} is not valid UTF-8", path)
        if not isinstance(op.type, str) or not isinstance(op.name, str):
            raise C2FormatError(f"op #{i}: type {_text(op.type)!r} / name {_text(op.name)!r} is not valid UTF-8", path)


def _text(v) -> str:
    return v if isinstance(v, str) else bytes(v).decode("utf-8", "backslashreplace")


def _try_binary(net, data: bytes) -> bool:
    from google.protobuf.message import DecodeError

    try:
        net.ParseFromString(data)
        return True
    except (DecodeError, RuntimeError, ValueError):
        return False


def _plausible(net) -> bool:
    """Garbage can parse as protobuf by accident; a real net names something. An empty net
    that only names itself is real too: the init net of a model without weights, as
    Caffe2 saves `core.Net("init")`."""
    if not (len(net.op) or len(net.external_input) or len(net.external_output)):
        return 0 < len(net.name) <= 256 and net.name.isprintable() and not len(net.arg) and not net.type
    return all(op.type for op in net.op)
