"""Container unwrapping for the streaming decoder (see :mod:`replaykit.rrweb._decode`).

This module turns the input — a path, bytes or a binary stream, possibly gzip/zlib
compressed — into JSON texts for a :class:`Sink`: whole JSON arrays of event elements,
lists of single elements, and counts of what could not even be split into elements.
Nothing here builds typed events; the sink does. :func:`feed` dispatches; the pieces live
in :mod:`._input` (bytes, inflating, caps), :mod:`._sniff`, :mod:`._array_feed`,
:mod:`._value_feed`, :mod:`._salvage` and :mod:`._sink`.

Layouts:

* a JSON array, compact or one element per line (read in blocks of `BLOCK_BYTES` cut at
  newlines, so a file is never held whole) or pretty-printed (read whole: its lines are
  not elements);
* JSON values, one per line (NDJSON events, PostHog `{"window_id", "data"}` window lines
  and `[windowId, event]` pairs, Steel `{"pageId", "event"}` lines), or one wrapper
  document (Highlight, PostHog exports).
"""

from __future__ import annotations

from collections.abc import Iterator

from .._errors import RecordingFormatError
from ._array_feed import ArrayFeeder
from ._input import (
    BLOCK_BYTES,
    DEFAULT_MAX_EVENT_BYTES,
    ElementGuard,
    LineBlocks,
    _drain,
    _Inflater,
    _Pieces,
    _read_head,
    open_source,
)
from ._json import BAD_JSON, BAD_OR_DEEP, MALFORMED, TOO_DEEP
from ._salvage import scan_elements
from ._sink import DECODE_BATCH, Sink
from ._sniff import _check_forced, sniff
from ._value_feed import ValueFeeder

__all__ = [
    "BAD_JSON",
    "BAD_OR_DEEP",
    "BLOCK_BYTES",
    "DECODE_BATCH",
    "MALFORMED",
    "TOO_DEEP",
    "Sink",
    "feed",
    "open_source",
    "scan_elements",
    "sniff",
]

_MAX_NESTED_COMPRESSION = 2


def feed(
    pieces: _Pieces,
    fmt: str,
    sink: Sink,
    *,
    cap: int,
    replay_id: str | None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    nesting: int = 0,
) -> Iterator[None]:
    """Unwrap `pieces` in format `fmt` ("auto" sniffs) into `sink`; yields after each step.

    RecordingTooLargeError as soon as the text of one element (a run with no comma or
    newline) passes `max_event_bytes`: a compression bomb is not held up to the input cap.
    """
    head = _read_head(pieces)
    if fmt == "auto":
        try:
            fmt = sniff(head, replay_id)
        except RecordingFormatError:
            if isinstance(pieces, _Inflater):
                # Inflate to the cap first: a bomb of zeros must say "too large", not "format".
                _drain(pieces)
                raise RecordingFormatError(
                    "decompressed data is not a recording", replay_id=replay_id, offset=0
                ) from None
            raise
    else:
        _check_forced(fmt, head, replay_id)
    if fmt in ("gzip", "zlib"):
        if nesting >= _MAX_NESTED_COMPRESSION:
            raise RecordingFormatError("compressed too many times over", replay_id=replay_id)
        inner = _Inflater(head, pieces, fmt, cap, replay_id)
        yield from feed(
            inner,
            "auto",
            sink,
            cap=cap,
            replay_id=replay_id,
            max_event_bytes=max_event_bytes,
            nesting=nesting + 1,
        )
        if inner.truncated:
            sink.truncated = True
        return
    guard = ElementGuard(pieces, max_event_bytes, replay_id)
    guard.observe(head)
    if fmt == "json":
        feeder = ArrayFeeder(sink)
        yield from feeder.run(LineBlocks(head, guard, feeder.cut))
    else:
        yield from ValueFeeder(sink, fmt).run(LineBlocks(head, guard))
