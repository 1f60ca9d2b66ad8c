"""Shared JSON-text primitives of the container layer: byte constants, regexes, decoders.

Everything here is stateless: the byte values and patterns the sniffer, the feeders and
the salvage scanner agree on, the msgspec decoders that only split JSON (values stay raw),
and what counts as "not JSON".
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

__all__ = ["BAD_JSON", "BAD_OR_DEEP", "MALFORMED", "TOO_DEEP"]

_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"
_OPEN, _CLOSE, _QUOTE, _COMMA, _LBRACE = 0x5B, 0x5D, 0x22, 0x2C, 0x7B
_WS: Final = b" \t\r\n"
_EDGE: Final = b", \t\r\n"  # what may sit between a block's edge and its first/last element
_PROBE_MAX_LINE = 1 << 16
_HEAD_BYTES = 1 << 16

# One token per JSON string (an unterminated string runs to the end) or bracket/comma.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[][{},]', re.DOTALL)
_NON_WS = re.compile(rb"\S")
_EDGE_RUN = re.compile(rb"[, \t\r\n]*")
_FIRST_KEY = re.compile(rb'\s*\{\s*"([^"\\]*)"\s*:')
_KEYS = re.compile(
    rb'"(window_id|windowId|events|snapshots|snapshotsByWindowId|pageId|properties|version'
    rb'|data|event|type|timestamp)"\s*:'
)
_PAIR_HEAD = re.compile(rb'\s*\[\s*"([^"\\]*(?:\\.[^"\\]*)*)"\s*,\s*\{', re.DOTALL)
_ARRAY_KEY = re.compile(rb'"(?:events|snapshots|\$snapshot_data|data)"\s*:\s*\[')
_BY_WINDOW_KEY = re.compile(
    rb'"snapshotsByWindowId"\s*:\s*\{\s*"([^"\\]*(?:\\.[^"\\]*)*)"\s*:\s*\[', re.DOTALL
)
_WINDOW_ID_KEY = re.compile(rb'"windowId"\s*:')
_WINDOW_VALUE = re.compile(rb'"window_id"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)

_WRAPPER_ONLY_KEYS: Final = frozenset(
    {"window_id", "events", "snapshots", "snapshotsByWindowId", "pageId", "properties"}
)
_WRAPPER_KEYS: Final = _WRAPPER_ONLY_KEYS | {"version", "data", "event", "windowId"}

_RAW = msgspec.json.Decoder(msgspec.Raw)
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])
_KEYMAP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_PAIR = msgspec.json.Decoder(tuple[str, msgspec.Raw])
_ANY = msgspec.json.Decoder()

MALFORMED: Final = "malformed"
TOO_DEEP: Final = "too_deep"

BAD_JSON: Final = (msgspec.DecodeError, UnicodeDecodeError)
"""What msgspec raises for bytes that are not JSON (invalid UTF-8 is a UnicodeDecodeError)."""
BAD_OR_DEEP: Final = (*BAD_JSON, RecursionError)
"""...or for JSON nested deeper than the interpreter's recursion limit."""


def _first_line(buf: bytes, pos: int) -> tuple[int, int] | None:
    """Offsets of the first line from `pos` with something other than whitespace."""
    n = len(buf)
    while pos < n:
        nl = buf.find(b"\n", pos)
        end = n if nl < 0 else nl
        m = _NON_WS.search(buf, pos, end)
        if m is not None:
            return m.start(), end
        pos = end + 1
    return None


def _window_name(raw: bytes | memoryview) -> str | None:
    if not len(raw):
        return None
    try:
        value = _ANY.decode(raw)
    except BAD_OR_DEEP:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _skip_edge(buf: bytes, lo: int, hi: int) -> int:
    """`lo` moved past commas and whitespace (in C: a hostile run can be gigabytes)."""
    m = _EDGE_RUN.match(buf, lo, hi)
    return m.end() if m is not None else lo


def _rskip(buf: bytes, lo: int, hi: int, chars: bytes) -> int:
    """`hi` moved back past any of `chars`, no lower than `lo`.

    Looks at windows growing from the end (rstrip of a slice, in C): a byte-by-byte loop
    took seconds on a recording of megabytes of trailing spaces.
    """
    step = 64
    while hi > lo:
        start = max(lo, hi - step)
        kept = len(buf[start:hi].rstrip(chars))
        if kept:
            return start + kept
        hi = start
        step *= 2
    return lo
