"""Sniffing: naming the container format of a recording from its first bytes."""

from __future__ import annotations

import contextlib

from .._errors import RecordingFormatError
from ._json import (
    _BOM,
    _FIRST_KEY,
    _GZIP_MAGIC,
    _HEAD_BYTES,
    _KEYMAP,
    _KEYS,
    _LBRACE,
    _NON_WS,
    _OPEN,
    _PAIR_HEAD,
    _RAWS,
    _WRAPPER_KEYS,
    _WRAPPER_ONLY_KEYS,
    BAD_OR_DEEP,
)

__all__ = ["sniff"]


def _is_zlib(head: bytes) -> bool:
    # RFC 1950: deflate with a 32 KiB window (0x78), no preset dictionary, header check.
    return (
        len(head) >= 2
        and head[0] == 0x78
        and not head[1] & 0x20
        and (head[0] << 8 | head[1]) % 31 == 0
    )


def _first_char(head: bytes) -> int | None:
    m = _NON_WS.search(head)
    return head[m.start()] if m else None


def sniff(head: bytes, replay_id: str | None = None) -> str:
    """Name the container format of `head` (see :func:`replaykit.rrweb._decode.sniff_format`)."""
    if head[:2] == _GZIP_MAGIC:
        return "gzip"
    if _is_zlib(head):
        return "zlib"
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    m = _NON_WS.search(head)
    if m is None:
        raise RecordingFormatError("empty input: no recording data", replay_id=replay_id, offset=0)
    first = head[m.start()]
    text = head[m.start() :]
    if first == _OPEN:
        return _sniff_array(text)
    if first == _LBRACE:
        return _sniff_object(text, replay_id, m.start())
    raise RecordingFormatError(
        f"not a recording: input starts with {text[:16]!r}", replay_id=replay_id, offset=m.start()
    )


def _packer_like(s: bytes) -> bool:
    """Whether JSON string content looks like `@rrweb/packer` output (zlib bytes as chars)."""
    return s[:1] == b"x" and (s[1:3] == b"\\u" or s[1:2] == b"^" or (len(s) > 1 and s[1] >= 0x80))


def _sniff_array(text: bytes) -> str:
    m = _PAIR_HEAD.match(text)
    if m is None or _packer_like(m.group(1)):
        return "json"
    nl = text.find(b"\n")
    if nl < 0:
        # The first `[windowId, {...` line does not end inside the head: a long pair line.
        return "posthog"
    try:
        return "posthog" if len(_RAWS.decode(text[:nl])) == 2 else "json"
    except BAD_OR_DEEP:
        return "json"


def _sniff_object(text: bytes, replay_id: str | None, offset: int) -> str:
    nl = text.find(b"\n")
    line = text if nl < 0 else text[:nl]
    keys: set[str] | None = None
    with contextlib.suppress(*BAD_OR_DEEP):
        keys = set(_KEYMAP.decode(line))
    long_object = False
    if keys is None:
        # The first object does not end on the first line (or in the head): look at names.
        m = _FIRST_KEY.match(text)
        if m is not None and m.group(1) in (b"type", b"timestamp"):
            return "ndjson"
        keys = {k.decode() for k in _KEYS.findall(text)}
        # Wrappers may put megabytes before their events (Highlight push payloads start
        # with `messages` and `resources` strings).
        long_object = nl < 0 and len(text) >= _HEAD_BYTES
    if "window_id" in keys:
        return "posthog"
    if ("type" in keys or "timestamp" in keys) and not keys & _WRAPPER_ONLY_KEYS:
        return "ndjson"
    if keys & _WRAPPER_KEYS or long_object:
        return "wrapped"
    raise RecordingFormatError(
        f"not a recording: JSON object without a known key (starts with {text[:24]!r})",
        replay_id=replay_id,
        offset=offset,
    )


def _check_forced(fmt: str, head: bytes, replay_id: str | None) -> None:
    if fmt == "gzip":
        ok = head[:2] == _GZIP_MAGIC
    elif fmt == "zlib":
        ok = _is_zlib(head)
    else:
        c = _first_char(head)
        if c is None:
            raise RecordingFormatError(
                "empty input: no recording data", replay_id=replay_id, offset=0
            )
        allowed = {"json": b"[", "ndjson": b"{", "wrapped": b"{", "posthog": b"{["}[fmt]
        ok = c in allowed
    if not ok:
        raise RecordingFormatError(
            f"input is not {fmt!r} data (starts with {head[:16]!r})", replay_id=replay_id, offset=0
        )
