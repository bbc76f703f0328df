"""Ops whose output is one scalar: emptiness tests and counters."""

from __future__ import annotations

from .info import BlobInfo
from .registry import register


@register("IsEmpty", "HasElements")
def is_empty(ctx):
    return [BlobInfo((), "bool")]


@register("CountUp")
def count_up(ctx):
    return [BlobInfo((), "int64")]


@register("Iter")
def iter_(ctx):
    return [BlobInfo((), "int64")]
