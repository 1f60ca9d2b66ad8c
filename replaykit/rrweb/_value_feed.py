"""The JSON-value feeder: values one per line (NDJSON, PostHog, Steel) or one wrapper.

:func:`_expand` tells an event from the wrappers around events (PostHog window lines and
exports, Highlight, Steel) and yields what each value holds.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from .._errors import RecordingFormatError
from ._input import LineBlocks
from ._json import (
    _KEYMAP,
    _LBRACE,
    _NON_WS,
    _OPEN,
    _PAIR,
    _PROBE_MAX_LINE,
    _QUOTE,
    _RAW,
    BAD_JSON,
    BAD_OR_DEEP,
    MALFORMED,
    TOO_DEEP,
    _first_line,
    _window_name,
)
from ._salvage import _feed_array_text, _salvage_wrapper
from ._sink import DECODE_BATCH, Sink, _feed_raws
from ._sniff import _packer_like

__all__ = ["ValueFeeder"]

_MAX_WRAPPER_DEPTH = 8
_EMPTY = msgspec.Raw()


class _Shape(msgspec.Struct):
    """The keys that tell an event from the wrappers around events (values stay raw)."""

    type: msgspec.Raw = _EMPTY
    timestamp: msgspec.Raw = _EMPTY
    window_id: msgspec.Raw = _EMPTY
    windowId: msgspec.Raw = _EMPTY
    events: msgspec.Raw = _EMPTY
    snapshots: msgspec.Raw = _EMPTY
    snapshotsByWindowId: msgspec.Raw = _EMPTY
    data: msgspec.Raw = _EMPTY
    event: msgspec.Raw = _EMPTY
    properties: msgspec.Raw = _EMPTY


class _Props(msgspec.Struct, rename={"snapshot_data": "$snapshot_data", "window": "$window_id"}):
    """A PostHog `$snapshot` capture event's properties."""

    snapshot_data: msgspec.Raw = _EMPTY
    window: msgspec.Raw = _EMPTY


_SHAPE = msgspec.json.Decoder(_Shape)
_PROPS = msgspec.json.Decoder(_Props)

_EVENT_ITEM, _ARRAY_ITEM, _BAD_ITEM, _DEEP_ITEM = 0, 1, 2, 3
_Item = tuple[int, str | None, bytes | memoryview]


def _expand(raw: bytes | memoryview, window: str | None, depth: int) -> Iterator[_Item]:
    """What one JSON value holds: events, arrays of events (with their window), or junk."""
    if not len(raw) or depth > _MAX_WRAPPER_DEPTH:
        yield (_BAD_ITEM, window, b"")
        return
    c = memoryview(raw)[0]
    if c == _QUOTE:
        yield (_EVENT_ITEM, window, raw)  # a packed event
        return
    if c == _OPEN:
        if depth == 0:
            # PostHog blob lines: `[windowId, event]`.
            try:
                wid, event = _PAIR.decode(raw)
            except BAD_OR_DEEP:
                pass
            else:
                if memoryview(event)[0] == _LBRACE and not _packer_like(wid.encode()):
                    yield (_EVENT_ITEM, wid, event)
                    return
        yield (_ARRAY_ITEM, window, raw)
        return
    if c != _LBRACE:
        yield (_BAD_ITEM, window, b"")
        return
    try:
        shape = _SHAPE.decode(raw)
    except RecursionError:
        yield (_DEEP_ITEM, window, b"")
        return
    except BAD_JSON:
        yield (_BAD_ITEM, window, b"")
        return
    if len(shape.type) or len(shape.timestamp):
        yield (_EVENT_ITEM, window, raw)
        return
    w = _window_name(shape.window_id) or _window_name(shape.windowId) or window
    if len(shape.snapshotsByWindowId):
        try:
            by_window = _KEYMAP.decode(shape.snapshotsByWindowId)
        except BAD_OR_DEEP:
            yield (_BAD_ITEM, w, b"")
            return
        for wid, events in by_window.items():
            yield from _expand(events, wid, depth + 1)
        return
    for inner in (shape.events, shape.snapshots, shape.data):
        if len(inner) and memoryview(inner)[0] in (_OPEN, _LBRACE):
            yield from _expand(inner, w, depth + 1)
            return
    if len(shape.event) and memoryview(shape.event)[0] == _LBRACE:
        yield (_EVENT_ITEM, w, shape.event)  # Steel `{"pageId", "event"}`
        return
    if len(shape.properties):
        try:
            props = _PROPS.decode(shape.properties)
        except BAD_OR_DEEP:
            props = _Props()
        if len(props.snapshot_data):
            yield from _expand(props.snapshot_data, _window_name(props.window) or w, depth + 1)
            return
    yield (_BAD_ITEM, w, b"")


class ValueFeeder:
    """JSON values one per line (NDJSON, PostHog lines, Steel lines) or one document."""

    def __init__(self, sink: Sink, fmt: str) -> None:
        self.sink = sink
        self.fmt = fmt
        self.probed = False
        self.recognized = False  # some value held an event or an array of them
        self.unrecognized = False

    def run(self, blocks: LineBlocks) -> Iterator[None]:
        yield from self._run(blocks)
        if self.unrecognized and not self.recognized:
            raise RecordingFormatError("not a recording: no JSON value here holds events")

    def _run(self, blocks: LineBlocks) -> Iterator[None]:
        for block, final in blocks:
            if not self.probed:
                # As for arrays: a first line that is not a whole value means one
                # multi-line document (pretty-printed wrapper), to be read whole.
                span = _first_line(block, 0)
                if span is None:
                    continue
                self.probed = True
                if not final and span[1] - span[0] <= _PROBE_MAX_LINE:
                    try:
                        _RAW.decode(block[span[0] : span[1]])
                    except RecursionError:
                        pass
                    except BAD_JSON:
                        yield from self._whole(block + blocks.rest())
                        return
            if not _NON_WS.search(block):
                continue
            if self.fmt == "ndjson" and self.sink.event_lines(None, block):
                yield
                continue
            yield from self._lines(block, final)

    def _lines(self, block: bytes, final: bool) -> Iterator[None]:
        sink = self.sink
        cut: bytes | None = None
        try:
            values: list[msgspec.Raw] = _RAW.decode_lines(block)
        except BAD_OR_DEEP:
            values = []
            for line in block.split(b"\n"):
                s = line.strip()
                if not s:
                    continue
                try:
                    values.append(_RAW.decode(s))
                except RecursionError:
                    sink.count(None, TOO_DEEP)
                except BAD_JSON:
                    # The final block is the one unterminated line: cut off, not corrupt.
                    if final:
                        cut = s
                    else:
                        sink.count(None, MALFORMED)
        yield from self._items(item for v in values for item in _expand(v, None, 0))
        if cut is not None:
            yield from _salvage_wrapper(sink, cut, strict=False)

    def _items(self, items: Iterator[_Item]) -> Iterator[None]:
        sink = self.sink
        pending: dict[str | None, list[bytes | memoryview]] = {}
        for kind, window, payload in items:
            if kind == _BAD_ITEM:
                self.unrecognized = True
            else:
                self.recognized = True
            if kind == _EVENT_ITEM:
                batch = pending.setdefault(window, [])
                batch.append(payload)
                if len(batch) >= DECODE_BATCH:
                    yield from _feed_raws(sink, window, pending.pop(window))
            elif kind == _ARRAY_ITEM:
                if window in pending:
                    yield from _feed_raws(sink, window, pending.pop(window))
                yield from _feed_array_text(sink, window, payload)
            else:
                sink.count(window, TOO_DEEP if kind == _DEEP_ITEM else MALFORMED)
        for window, batch in pending.items():
            yield from _feed_raws(sink, window, batch)

    def _whole(self, buf: bytes) -> Iterator[None]:
        """One document (a pretty-printed wrapper or event) held whole."""
        try:
            doc = _RAW.decode(buf)
        except RecursionError:
            self.sink.count(None, TOO_DEEP)
            return
        except BAD_JSON:
            yield from _salvage_wrapper(self.sink, buf, strict=True)
            return
        yield from self._items(_expand(doc, None, 0))
