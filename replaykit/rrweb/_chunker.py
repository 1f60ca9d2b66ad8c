"""Chunking typed events: per-window pending events, timestamp repair, and chunk emission."""

from __future__ import annotations

import statistics
from operator import attrgetter

import msgspec

from ._containers import MALFORMED, TOO_DEEP
from ._model import Event, EventChunk

__all__ = ["Chunker"]

_LOOKAHEAD = 5  # neighbours on each side for the outlier median (rrweb-format §14)
# Windows (PostHog tabs) kept apart per recording. Each holds pending events here and an
# analyzer downstream; a recording naming a new window per element grew both with every
# line. Elements of further windows are counted (unknown "window:over_limit"), not kept.
_MAX_WINDOWS = 100
_OVER_WINDOWS = "window:over_limit"
_timestamp = attrgetter("timestamp")


class _Pending:
    __slots__ = ("events", "malformed", "nbytes", "sizes", "start", "too_deep", "unknown")

    def __init__(self) -> None:
        self.events: list[Event] = []
        # Input bytes behind each event (a block's size spread evenly over its events).
        self.sizes: list[float] = []
        self.nbytes = 0.0  # sum of `sizes` from `start` on (see Chunker.add)
        self.start = 0  # events before it were emitted (sliced lazily, see Chunker._emit)
        self.unknown: dict[str, int] = {}
        self.malformed = 0
        self.too_deep = 0

    def has_counts(self) -> bool:
        return bool(self.unknown or self.malformed or self.too_deep)


class Chunker:
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
