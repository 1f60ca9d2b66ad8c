"""Broken-JSON salvage: splitting array bodies that msgspec rejects into elements.

:func:`scan_elements` is a bracket counter that skips strings with a regular expression:
slower than msgspec, so it only runs on text msgspec rejected. Cut-off wrappers keep the
complete prefix of their events array.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence

import msgspec

from .._errors import RecordingFormatError
from ._json import (
    _ARRAY_KEY,
    _BY_WINDOW_KEY,
    _COMMA,
    _FIRST_KEY,
    _LBRACE,
    _NON_WS,
    _OPEN,
    _QUOTE,
    _RAW,
    _RAWS,
    _TOKENS,
    _WINDOW_ID_KEY,
    _WINDOW_VALUE,
    BAD_JSON,
    BAD_OR_DEEP,
    MALFORMED,
    _window_name,
)
from ._sink import Sink, _feed_raws, _feed_tagged

__all__ = ["scan_elements"]


def scan_elements(
    buf: bytes | memoryview, pos: int, end: int
) -> tuple[list[tuple[int, int]], int | None]:
    """Split an array body into element spans without recursion.

    `pos` is just after the `[`. Returns the spans of the elements (whitespace-only spans
    dropped; the last may be incomplete when the input ends inside it) and the offset just
    past the closing `]`, or None when `end` came first. Brackets inside strings are skipped
    by matching whole strings; mismatched brackets are only counted, so corrupt input gives
    spans that later fail to decode rather than an error here.
    """
    spans: list[tuple[int, int]] = []
    depth = 1
    start = pos
    closed: int | None = None
    for m in _TOKENS.finditer(buf, pos, end):
        c = buf[m.start()]
        if c == _QUOTE:
            continue
        if c == _COMMA:
            if depth == 1:
                spans.append((start, m.start()))
                start = m.end()
        elif c in (_OPEN, _LBRACE):
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                closed = m.end()
                spans.append((start, m.start()))
                break
    else:
        spans.append((start, end))
    return [(a, b) for a, b in spans if _NON_WS.search(buf, a, b)], closed


def _views(buf: bytes, spans: Sequence[tuple[int, int]]) -> list[memoryview]:
    view = memoryview(buf)
    return [view[a:b] for a, b in spans]


def _decodes(raw: bytes | memoryview) -> bool:
    try:
        _RAW.decode(raw)
    except RecursionError:
        return True  # complete but deep: let the sink count it as too deep
    except BAD_JSON:
        return False
    return True


def _salvage_body(
    sink: Sink, window: str | None, buf: bytes, pos: int, at_end: bool
) -> Generator[None, None, int | None]:
    """Feed the elements of an array body at `pos` that msgspec rejected as a whole.

    Complete elements are fed (bad ones are counted by the sink). An element cut off by
    the end of the data is dropped when `at_end` (the input was truncated: `truncated` is
    set) and counted as malformed otherwise. Returns the offset just past the closing `]`,
    or None when the data ended first.
    """
    spans, closed = scan_elements(buf, pos, len(buf))
    if closed is None and spans and not _decodes(memoryview(buf)[spans[-1][0] : spans[-1][1]]):
        spans.pop()
        if at_end:
            sink.truncated = True
        else:
            sink.count(window, MALFORMED)
    yield from _feed_raws(sink, window, _views(buf, spans))
    return closed


def _feed_array_text(sink: Sink, window: str | None, raw: bytes | memoryview) -> Iterator[None]:
    """Feed one JSON array of elements (a wrapper's `events`, a window's `data`, ...)."""
    if _WINDOW_ID_KEY.search(raw):
        yield from _feed_export_array(sink, window, raw)
        return
    if sink.block(window, raw):
        yield
        return
    buf = bytes(raw)
    m = _NON_WS.search(buf)
    pos = m.start() + 1 if m else len(buf)
    yield from _salvage_body(sink, window, buf, pos, at_end=False)


def _feed_export_array(sink: Sink, window: str | None, raw: bytes | memoryview) -> Iterator[None]:
    """PostHog export `snapshots`: events tagged with `windowId`; split into window runs."""
    try:
        raws: list[msgspec.Raw] = _RAWS.decode(raw)
    except BAD_OR_DEEP:
        buf = bytes(raw)
        m = _NON_WS.search(buf)
        pos = m.start() + 1 if m else len(buf)
        yield from _salvage_body(sink, window, buf, pos, at_end=False)
        return
    yield from _feed_tagged(sink, window, raws)


def _salvage_wrapper(sink: Sink, buf: bytes, *, strict: bool) -> Iterator[None]:
    """A wrapper that does not parse (cut off): keep its events array's complete prefix.

    `buf` is one JSON value that failed to decode. An event cut off has nothing to keep;
    with `strict`, a value with no events array at all is not a recording.
    """
    sink.truncated = True
    first = _FIRST_KEY.match(buf)
    if first is not None and first.group(1) in (b"type", b"timestamp"):
        return  # an event, not a wrapper: nothing complete inside to keep
    window: str | None = None
    m = _BY_WINDOW_KEY.search(buf)
    if m is not None:
        window = _window_name(b'"' + m.group(1) + b'"')
    else:
        m = _ARRAY_KEY.search(buf)
        if m is not None:
            named = _WINDOW_VALUE.search(buf, 0, m.start())
            window = _window_name(b'"' + named.group(1) + b'"') if named else None
    if m is None:
        if strict:
            raise RecordingFormatError(
                "not a recording: the JSON document does not parse and holds no events array"
            )
        return
    spans, closed = scan_elements(buf, m.end(), len(buf))
    if closed is None and spans and not _decodes(memoryview(buf)[spans[-1][0] : spans[-1][1]]):
        spans.pop()
    yield from _feed_tagged(sink, window, _views(buf, spans))
