"""Streaming decode of rrweb recordings into typed event chunks.

    for chunk in iter_event_chunks("session.json.gz", replay_id="r1"):
        for event in chunk.events:
            ...

Inputs: a JSON array (compact, one event per line, or pretty-printed), NDJSON, gzip or
zlib of any of those, PostHog window lines, `[windowId, event]` lines and exports,
Highlight and Steel wrappers; packed (`@rrweb/packer`) and PostHog-compressed (`cv`)
elements may be mixed in. The container is sniffed from the first bytes
(:func:`sniff_format`); the unwrapping lives in :mod:`._containers`, the typing in
:mod:`._typed_sink` and the chunking in :mod:`._chunker`.

Speed comes from decoding whole blocks with one typed msgspec call. Only a block that
fails is split and decoded element by element; a failing element is decoded generically,
repaired if it can be (numeric-string timestamps, packed strings, compressed PostHog
payloads), and otherwise counted in its chunk (`unknown`, `malformed`, `too_deep`), so
`len(events) + sum(unknown.values()) + malformed + too_deep` is the number of elements.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Final, Protocol, TypeAlias

from .._errors import (
    RecordingFormatError,
    ReplaykitError,
    UsageError,
)
from . import _containers
from ._chunker import Chunker
from ._input import DEFAULT_MAX_EVENT_BYTES
from ._model import Event, EventChunk
from ._typed_sink import EventSink

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_INPUT_BYTES",
    "FORMATS",
    "decode_events",
    "iter_event_chunks",
    "sniff_format",
]

FORMATS: Final[tuple[str, ...]] = ("auto", "json", "ndjson", "gzip", "zlib", "posthog", "wrapped")
"""Container formats accepted by `format=`.

`json`: a JSON array (compact, one event per line, or pretty-printed); `ndjson`: one event
per line; `gzip` / `zlib`: a compressed recording in any other format; `posthog`: PostHog
JSONL, `{"window_id", "data": [...]}` lines or `[windowId, event]` lines; `wrapped`: an
object around the events (`{"events": [...]}`, `{"data": {"events": [...]}}`,
`{"events": {"events": [...]}}`, PostHog exports with `snapshots` or
`snapshotsByWindowId`, Steel `{"pageId", "event"}` lines); `auto`: sniff it.
"""

DEFAULT_MAX_INPUT_BYTES: Final[int] = 1 << 30
"""Cap (1 GiB) on the input and, separately, on its decompressed size."""
CHUNK_BYTES: Final[int] = 1 << 20
"""Input bytes behind one chunk at most (unless one event is larger): 1 MiB."""


class _BinaryReader(Protocol):
    """Anything with `read(n) -> bytes`: an open binary file, BytesIO, a socket file."""

    def read(self, size: int, /) -> bytes: ...


Source: TypeAlias = "bytes | bytearray | memoryview | str | os.PathLike[str] | _BinaryReader"


def sniff_format(head: bytes) -> str:
    """Name the container format of a recording from its first bytes.

    gzip magic `1f 8b` → "gzip"; a zlib header (`78 01|5e|9c|da`) → "zlib"; `[` → "json",
    or "posthog" for `[windowId, {...}]` lines; `{` → "posthog" for `{"window_id", ...}`
    lines, "ndjson" when the first line is an event object, "wrapped" for an object with
    a known wrapper key (`events`, `data`, `snapshots`, `pageId`, ...). Pass a few KiB: a
    longer head lets the first line be checked as a whole. Raises RecordingFormatError when
    the bytes are not a recording (empty, not JSON, an object with no known key).
    """
    return _containers.sniff(head)


def iter_event_chunks(
    source: Source,
    *,
    format: str = "auto",
    chunk_events: int = 2000,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_jump_ms: float = 3_600_000,
    replay_id: str | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> Iterator[EventChunk]:
    """Decode a recording into :class:`EventChunk` s of at most `chunk_events` events.

    `source` is the data (bytes), a file path (str or PathLike) or a binary file object.
    Large inputs are read in blocks; nothing is decoded before the first chunk is asked
    for. Each chunk's events are in timestamp order (stable); an isolated timestamp more
    than `max_jump_ms` away from its neighbours is first replaced by its predecessor's.
    Chunks are numbered by `index`; with PostHog containers a chunk holds one window.

    Raises (while iterating) RecordingNotFoundError for a missing path,
    RecordingTooLargeError when the input or its decompressed form exceeds
    `max_input_bytes`, or as soon as the text of one element (one event, or one line-long
    value; a run with no comma or newline) exceeds `max_event_bytes` (64 MiB by default;
    a compression bomb is stopped there instead of being inflated up to the input cap),
    RecordingFormatError when the bytes are not a recording or not in
    the forced `format`; a recording cut off mid-way is not an error (`truncated` is set on
    the last chunk) unless not one element survived. Argument errors raise UsageError now.
    """
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if chunk_events < 1:
        raise UsageError(f"chunk_events must be at least 1, got {chunk_events}")
    if max_input_bytes < 1:
        raise UsageError(f"max_input_bytes must be at least 1, got {max_input_bytes}")
    if max_event_bytes < 1:
        raise UsageError(f"max_event_bytes must be at least 1, got {max_event_bytes}")
    if not max_jump_ms > 0:
        raise UsageError(f"max_jump_ms must be positive, got {max_jump_ms}")
    return _iter_chunks(
        source, format, chunk_events, max_input_bytes, max_jump_ms, replay_id, max_event_bytes
    )


def decode_events(
    source: Source,
    *,
    format: str = "auto",
    chunk_events: int = 2000,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_jump_ms: float = 3_600_000,
    replay_id: str | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> list[Event]:
    """All events of a recording: :func:`iter_event_chunks`' chunks concatenated.

    Each chunk is sorted on its own, so the list is in timestamp order unless the input
    itself jumps back across a chunk boundary (or mixes PostHog windows). Options and
    errors are :func:`iter_event_chunks`' (`max_event_bytes` caps the text of one element,
    64 MiB by default: RecordingTooLargeError past it).
    """
    events: list[Event] = []
    for chunk in iter_event_chunks(
        source,
        format=format,
        chunk_events=chunk_events,
        max_input_bytes=max_input_bytes,
        max_jump_ms=max_jump_ms,
        replay_id=replay_id,
        max_event_bytes=max_event_bytes,
    ):
        events.extend(chunk.events)
    return events


def _iter_chunks(
    source: Source,
    fmt: str,
    chunk_events: int,
    cap: int,
    max_jump_ms: float,
    replay_id: str | None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
) -> Iterator[EventChunk]:
    try:
        pieces, close = _containers.open_source(source, cap, replay_id)
        try:
            chunker = Chunker(chunk_events, max_jump_ms, CHUNK_BYTES)
            sink = EventSink(chunker, cap)
            for _ in _containers.feed(
                pieces,
                fmt,
                sink,
                cap=cap,
                replay_id=replay_id,
                max_event_bytes=max_event_bytes,
            ):
                yield from chunker.drain()
            if chunker.elements == 0 and sink.truncated:
                raise RecordingFormatError(
                    "recording is cut off before its first complete event",
                    offset=getattr(pieces, "total", None),
                )
            yield from chunker.finish(sink.truncated)
        finally:
            close()
    except ReplaykitError as exc:
        if exc.replay_id is None:
            exc.replay_id = replay_id
        raise
    except Exception as exc:
        # Safety net for hostile input: callers rely on only ever seeing replaykit errors.
        # Every known failure is handled above; reaching this is a bug worth reporting.
        raise RecordingFormatError(
            f"undecodable input ({type(exc).__name__})", replay_id=replay_id
        ) from exc
