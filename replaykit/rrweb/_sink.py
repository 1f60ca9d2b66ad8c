"""The sink protocol, and feeding already-split elements to it in bounded batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import msgspec

from . import _input
from ._json import BAD_OR_DEEP

__all__ = ["DECODE_BATCH", "Sink"]

DECODE_BATCH = 4096
"""Elements per typed decode when the elements are already split (one call per batch is
measurably faster than one per element for small events, and bounds the work per step)."""


class _WindowTag(msgspec.Struct):
    """PostHog export events carry their tab as `windowId`."""

    windowId: str | None = None


_WINDOW_TAG = msgspec.json.Decoder(_WindowTag)


class Sink(Protocol):
    """Receives JSON texts from the containers and turns them into typed events."""

    truncated: bool

    def block(self, window: str | None, data: bytes | memoryview) -> bool:
        """Decode a JSON array of elements; False (nothing consumed) if it is not JSON."""
        ...

    def elements(self, window: str | None, raws: Sequence[bytes | memoryview]) -> None:
        """Decode elements that were split already (each one JSON value)."""
        ...

    def event_lines(self, window: str | None, data: bytes) -> bool:
        """Decode NDJSON of plain events in one call; False (nothing consumed) on any error."""
        ...

    def count(self, window: str | None, key: str, n: int = 1) -> None:
        """Count `n` elements that could not be decoded (`malformed`, `too_deep`, ...)."""
        ...


def _feed_raws(
    sink: Sink, window: str | None, raws: Sequence[bytes | memoryview]
) -> Iterator[None]:
    """Feed split elements in batches of at most DECODE_BATCH elements / ~BLOCK_BYTES."""
    start = 0
    size = 0
    for i, raw in enumerate(raws):
        if len(raw) >= _input.BLOCK_BYTES and i > start:
            # A huge element goes alone: batching joins elements into one new buffer, a
            # copy of its size it does not need (a 50 MB text node would be held twice).
            sink.elements(window, raws[start:i])
            yield
            start = i
            size = 0
        size += len(raw)
        if size >= _input.BLOCK_BYTES or i + 1 - start >= DECODE_BATCH:
            sink.elements(window, raws[start : i + 1])
            yield
            start = i + 1
            size = 0
    if start < len(raws):
        sink.elements(window, raws[start:])
        yield


def _feed_tagged(
    sink: Sink, window: str | None, raws: Sequence[bytes | memoryview]
) -> Iterator[None]:
    run: list[bytes | memoryview] = []
    run_window = window
    for r in raws:
        try:
            tag = _WINDOW_TAG.decode(r).windowId
        except BAD_OR_DEEP:
            tag = None  # not an object: the sink will count it
        w = tag if tag is not None else window
        if w != run_window and run:
            yield from _feed_raws(sink, run_window, run)
            run = []
        run_window = w
        run.append(r)
    if run:
        yield from _feed_raws(sink, run_window, run)
