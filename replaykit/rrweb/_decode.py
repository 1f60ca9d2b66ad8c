"""Streaming decode of rrweb recordings into typed event chunks.

    for chunk in iter_event_chunks("session.json.gz", replay_id="r1"):
        for event in chunk.events:
            ...

Inputs: a JSON array (compact, one event per line, or pretty-printed), NDJSON, gzip or
zlib of any of those, PostHog window lines, `[windowId, event]` lines and exports,
Highlight and Steel wrappers; packed (`@rrweb/packer`) and PostHog-compressed (`cv`)
elements may be mixed in. The container is sniffed from the first bytes
(:func:`sniff_format`); the unwrapping lives in :mod:`._containers`.

Speed comes from decoding whole blocks with one typed msgspec call. Only a block that
fails is split and decoded element by element; a failing element is decoded generically,
repaired if it can be (numeric-string timestamps, packed strings, compressed PostHog
payloads), and otherwise counted in its chunk (`unknown`, `malformed`, `too_deep`), so
`len(events) + sum(unknown.values()) + malformed + too_deep` is the number of elements.
"""

from __future__ import annotations

import math
import os
import statistics
import zlib
from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any, Final, Protocol, TypeAlias, TypeGuard

import msgspec

from .._errors import (
    RecordingFormatError,
    RecordingTooLargeError,
    ReplaykitError,
    UsageError,
)
from .._gc import without_gc
from . import _containers
from ._containers import BAD_JSON, BAD_OR_DEEP, MALFORMED, TOO_DEEP
from ._input import DEFAULT_MAX_EVENT_BYTES
from ._model import Event, EventChunk

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

_EVENTS: msgspec.json.Decoder[list[Event]] = msgspec.json.Decoder(list[Event])
_EVENT: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()
_encode = msgspec.json.Encoder().encode

_LOOKAHEAD = 5  # neighbours on each side for the outlier median (rrweb-format §14)
_CV_FIELDS: Final[dict[int, tuple[str, ...]]] = {
    0: ("adds", "removes", "texts", "attributes"),  # Mutation
    8: ("adds", "removes"),  # StyleSheetRule
}
_MAX_NODES_WALKED = 1_000_000
# Windows (PostHog tabs) kept apart per recording. Each holds pending events here and an
# analyzer downstream; a recording naming a new window per element grew both with every
# line. Elements of further windows are counted (unknown "window:over_limit"), not kept.
_MAX_WINDOWS = 100
_OVER_WINDOWS = "window:over_limit"
_timestamp = attrgetter("timestamp")


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
            chunker = _Chunker(chunk_events, max_jump_ms, CHUNK_BYTES)
            sink = _Sink(chunker, cap)
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


# --- one element ---------------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _classify(obj: dict[str, Any]) -> str:
    """The counter key for an element that is an object but still not a known event."""
    etype = obj.get("type")
    if not _is_int(etype):
        return MALFORMED
    if not 0 <= etype <= 7:
        return f"type:{etype}"
    data = obj.get("data")
    if not isinstance(data, dict):
        return MALFORMED
    roots: list[Any] = []
    if etype == 2:
        roots.append(data.get("node"))
    elif etype == 3:
        source = data.get("source")
        if _is_int(source) and not 0 <= source <= 16:
            return f"source:{source}"
        adds = data.get("adds")
        if source == 0 and isinstance(adds, list):
            roots.extend(a.get("node") for a in adds if isinstance(a, dict))
    # An unknown node type anywhere in the tree fails the whole event: find it iteratively
    # (trees can be deeper than Python's recursion limit).
    stack = [n for n in roots if isinstance(n, dict)]
    walked = 0
    while stack and walked < _MAX_NODES_WALKED:
        node = stack.pop()
        walked += 1
        ntype = node.get("type")
        if _is_int(ntype) and not 0 <= ntype <= 5:
            return f"node_type:{ntype}"
        children = node.get("childNodes")
        if isinstance(children, list):
            stack.extend(c for c in children if isinstance(c, dict))
    return MALFORMED


class _Sink:
    """Typed-decodes what the containers cut out and hands the events to the chunker."""

    def __init__(self, chunker: _Chunker, budget: int) -> None:
        self.chunker = chunker
        self.truncated = False
        # Packed and `cv` strings inflate inside the already-capped input; their total
        # output gets the same cap so a recording of small bombs cannot blow up either.
        self._budget = budget
        self._cap = budget

    # -- container interface (see _containers.Sink) --

    @without_gc
    def block(self, window: str | None, data: bytes | memoryview) -> bool:
        try:
            events = _EVENTS.decode(data)
        except BAD_OR_DEEP:
            pass
        else:
            self.chunker.add(window, events, len(data))
            return True
        try:
            raws: list[msgspec.Raw] = _RAWS.decode(data)
        except BAD_OR_DEEP:
            return False
        self._each(window, raws)
        return True

    @without_gc
    def elements(self, window: str | None, raws: Sequence[bytes | memoryview]) -> None:
        if len(raws) > 1:
            try:
                events = _EVENTS.decode(b"".join((b"[", b",".join(raws), b"]")))
            except BAD_OR_DEEP:
                pass
            else:
                self.chunker.add(window, events, sum(len(r) for r in raws))
                return
        self._each(window, raws)

    @without_gc
    def event_lines(self, window: str | None, data: bytes) -> bool:
        try:
            events = _EVENT.decode_lines(data)
        except BAD_OR_DEEP:
            return False
        self.chunker.add(window, events, len(data))
        return True

    def count(self, window: str | None, key: str, n: int = 1) -> None:
        self.chunker.count(window, key, n)

    # -- element by element --

    def _each(self, window: str | None, raws: Sequence[bytes | memoryview]) -> None:
        good: list[Event] = []
        size = 0
        for raw in raws:
            result = self._decode_one(raw)
            if isinstance(result, str):
                self.chunker.count(window, result)
            else:
                good.append(result)
                size += len(raw)
        if good:
            self.chunker.add(window, good, size)

    def _decode_one(self, raw: bytes | memoryview) -> Event | str:
        """An event, or the key to count the element under."""
        try:
            return _EVENT.decode(raw)
        except RecursionError:
            return TOO_DEEP
        except BAD_JSON:
            pass
        try:
            obj = _ANY.decode(raw)
            fixed = self._repair(obj)
        except RecursionError:
            return TOO_DEEP
        except BAD_JSON:
            return MALFORMED
        if fixed is None:
            return MALFORMED
        try:
            return _EVENT.decode(_encode(fixed))
        except RecursionError:
            return TOO_DEEP
        except (msgspec.MsgspecError, TypeError, ValueError, OverflowError):
            return _classify(fixed)

    def _repair(self, obj: Any) -> dict[str, Any] | None:
        """Undo packing/compression and coerce a string timestamp; None if hopeless."""
        if isinstance(obj, str):
            obj = self._unpack(obj)
        if not isinstance(obj, dict):
            return None
        ts = obj.get("timestamp")
        if isinstance(ts, str):
            try:
                number = float(ts)
            except ValueError:
                return None
            if not math.isfinite(number):
                return None
            obj["timestamp"] = int(number) if number.is_integer() else number
        data = obj.get("data")
        etype = obj.get("type")
        if etype == 2 and isinstance(data, str):
            inner = self._gunzip_json(data)
            if inner is None:
                return None
            obj["data"] = inner
        elif etype == 3 and isinstance(data, dict) and _is_int(data.get("source")):
            for key in _CV_FIELDS.get(data["source"], ()):
                value = data.get(key)
                if isinstance(value, str):
                    inner = self._gunzip_json(value)
                    if inner is None:
                        return None
                    data[key] = inner
        return obj

    def _unpack(self, text: str) -> Any:
        """A packed element (rrweb-format §11): JSON text, or zlib bytes stored as chars."""
        if text.lstrip()[:1] == "{":
            try:
                inner = _ANY.decode(text)
            except BAD_JSON:
                inner = None
            if isinstance(inner, dict) and "timestamp" in inner:
                return inner
        raw = self._inflate(text, zlib.MAX_WBITS)
        if raw is None:
            return None
        try:
            inner = _ANY.decode(raw)
        except BAD_JSON:
            return None
        if isinstance(inner, dict) and inner.get("v") == "v1":
            return inner
        return None

    def _gunzip_json(self, text: str) -> Any:
        """A PostHog `cv` field: gzip bytes stored one byte per char, holding JSON."""
        raw = self._inflate(text, 32 + zlib.MAX_WBITS)  # 32+: accept gzip or zlib headers
        if raw is None:
            return None
        try:
            return _ANY.decode(raw)
        except BAD_JSON:
            return None

    def _inflate(self, text: str, wbits: int) -> bytes | None:
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            return None
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(data, self._budget + 1)
        except zlib.error:
            return None
        if len(out) > self._budget:
            raise RecordingTooLargeError(
                f"packed/compressed events inflate beyond the {self._cap}-byte cap"
            )
        if not d.eof:
            return None
        self._budget -= len(out)
        return out


# --- chunks --------------------------------------------------------------------------------


class _Pending:
    __slots__ = ("events", "malformed", "nbytes", "sizes", "start", "too_deep", "unknown")

    def __init__(self) -> None:
        self.events: list[Event] = []
        # Input bytes behind each event (a block's size spread evenly over its events).
        self.sizes: list[float] = []
        self.nbytes = 0.0  # sum of `sizes` from `start` on (see _Chunker.add)
        self.start = 0  # events before it were emitted (sliced lazily, see _Chunker._emit)
        self.unknown: dict[str, int] = {}
        self.malformed = 0
        self.too_deep = 0

    def has_counts(self) -> bool:
        return bool(self.unknown or self.malformed or self.too_deep)


class _Chunker:
    """Cuts events into chunks per window, repairing and sorting timestamps per chunk.

    A chunk is emitted once `chunk_events` events, or events from `chunk_bytes` of input,
    wait with 5 more behind them, so the outlier test sees five neighbours after the
    chunk's last event too. The byte budget keeps memory proportional to the chunk, not
    the recording: decoded events take ~3.5x the bytes they came from. Chunks go out as
    soon as they are cut; a cut-off input ends with an extra empty chunk marked
    `truncated`.
    """

    def __init__(self, chunk_events: int, max_jump_ms: float, chunk_bytes: int) -> None:
        self._size = chunk_events
        self._bytes = chunk_bytes
        self._jump = max_jump_ms
        self._pending: dict[str | None, _Pending] = {}
        self._history: dict[str | None, list[float]] = {}
        self._ready: list[EventChunk] = []
        self._index = 0
        self._window: str | None = None  # of the last chunk emitted
        self.elements = 0

    def _get(self, window: str | None) -> _Pending:
        pending = self._pending.get(window)
        if pending is None:
            pending = self._pending[window] = _Pending()
        return pending

    def _over_cap(self, window: str | None) -> bool:
        return window not in self._pending and len(self._pending) >= _MAX_WINDOWS

    def add(self, window: str | None, events: list[Event], nbytes: int = 0) -> None:
        if self._over_cap(window):
            if events:
                self.count(window, _OVER_WINDOWS, len(events))
            return
        pending = self._get(window)
        pending.events.extend(events)
        pending.sizes.extend([nbytes / len(events)] * len(events) if events else ())
        if events:
            pending.nbytes += nbytes
        self.elements += len(events)
        while True:
            if (
                len(pending.events) - pending.start < self._size + _LOOKAHEAD
                and pending.nbytes < self._bytes - 1
            ):
                # No chunk is full yet, by count or by bytes (the 1-byte margin absorbs
                # float rounding). `_next_size` walks up to a chunk of sizes: calling it
                # on every add cost O(chunk) per add when elements come one at a time.
                break
            size = self._next_size(pending)
            if len(pending.events) - pending.start < size + _LOOKAHEAD:
                break
            self._emit(window, pending, size)
        if pending.start:
            del pending.events[: pending.start]
            del pending.sizes[: pending.start]
            pending.start = 0

    def _next_size(self, pending: _Pending) -> int:
        """Events in the next chunk: `chunk_events`, or fewer once they hold `chunk_bytes`."""
        total = 0.0
        sizes = pending.sizes
        end = min(len(sizes), pending.start + self._size)
        for i in range(pending.start, end):
            total += sizes[i]
            if total >= self._bytes:
                return i - pending.start + 1
        return self._size

    def count(self, window: str | None, key: str, n: int = 1) -> None:
        if self._over_cap(window):
            window = next(iter(self._pending))  # counted with the first window
        pending = self._get(window)
        if key == MALFORMED:
            pending.malformed += n
        elif key == TOO_DEEP:
            pending.too_deep += n
        else:
            pending.unknown[key] = pending.unknown.get(key, 0) + n
        self.elements += n

    def drain(self) -> list[EventChunk]:
        ready, self._ready = self._ready, []
        return ready

    def finish(self, truncated: bool) -> list[EventChunk]:
        for window, pending in self._pending.items():
            while len(pending.events) > pending.start:
                self._emit(window, pending, self._size)
            if pending.has_counts():
                self._emit(window, pending, 0)
        if truncated or self._index == 0:
            # The cut is only known at the end: it travels on a last, empty chunk rather
            # than holding every chunk back one step (which kept two chunks alive).
            self._push(
                EventChunk(
                    events=[], index=self._index, truncated=truncated, window_id=self._window
                )
            )
            self._index += 1
        return self.drain()

    def _push(self, chunk: EventChunk) -> None:
        self._ready.append(chunk)

    def _emit(self, window: str | None, pending: _Pending, size: int) -> None:
        lo = pending.start
        hi = min(lo + size, len(pending.events))
        events = pending.events[lo:hi]
        after = [e.timestamp for e in pending.events[hi : hi + _LOOKAHEAD]]
        pending.start = hi
        pending.nbytes = sum(pending.sizes[hi:])
        before = self._history.get(window, [])
        repaired, inversions = _repair_times(events, before, after, self._jump)
        if events:
            self._history[window] = (before + [e.timestamp for e in events])[-_LOOKAHEAD:]
        if inversions:
            events.sort(key=_timestamp)  # list.sort is stable: ties keep array order
        self._push(
            EventChunk(
                events=events,
                index=self._index,
                unknown=pending.unknown,
                malformed=pending.malformed,
                too_deep=pending.too_deep,
                repaired_timestamps=repaired,
                inversions=inversions,
                window_id=window,
            )
        )
        self._index += 1
        self._window = window
        pending.unknown = {}
        pending.malformed = pending.too_deep = 0


def _repair_times(
    events: list[Event], before: list[float], after: list[float], jump: float
) -> tuple[int, int]:
    """Repair isolated outliers in place (rrweb-format §14); return (repaired, inversions).

    An event is an outlier when its timestamp is more than `jump` away from the previous
    event's, from the next event's, and from the median of its ±5 neighbours in array
    order. Requiring both sides keeps real idle gaps (one big step, then steady times)
    intact. The outlier gets its predecessor's timestamp (the first event of a stream, having
    none, gets its successor's).
    """
    ts = before + [e.timestamp for e in events] + after
    off = len(before)
    repaired = 0
    last = len(ts) - 1
    for j in range(len(events)):
        i = off + j
        t = ts[i]
        prev = ts[i - 1] if i > 0 else None
        nxt = ts[i + 1] if i < last else None
        if prev is not None and abs(t - prev) <= jump:
            continue
        if nxt is not None and abs(t - nxt) <= jump:
            continue
        if prev is None and nxt is None:
            continue
        neighbours = ts[max(0, i - _LOOKAHEAD) : i] + ts[i + 1 : i + 1 + _LOOKAHEAD]
        if abs(t - statistics.median(neighbours)) <= jump:
            continue
        fixed = prev if prev is not None else nxt
        assert fixed is not None
        ts[i] = fixed
        events[j] = msgspec.structs.replace(events[j], timestamp=fixed)
        repaired += 1
    inversions = 0
    prev_t = ts[off] if events else 0.0
    for t in ts[off + 1 : off + len(events)]:
        if t < prev_t:
            inversions += 1
        prev_t = t
    return repaired, inversions
