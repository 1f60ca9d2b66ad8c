"""Analyzed replays → column lists, one frame batch at a time.

A :class:`FrameBuffers` holds one list per column of every stored frame. Adding a replay
extends those lists (values only: no row dicts, no DataFrame per replay), and
:meth:`FrameBuffers.take` turns the lists into one ``pl.DataFrame`` per frame with the
documented schema, so a batch is built in a single conversion. The replay Structs
themselves are not kept.

Page visits and active time are the signal detectors' (``page_visits``, ``active_time``:
PostHog's active time over every event): an :class:`~replaykit.AnalyzedReplay` from the
analyze functions carries them (``visits``, ``active_ms``), and a tape passed to ``add``
recomputes them. A replay built without them (by hand, or decoded from older output)
falls back to its actions:

- a visit starts at each ``navigation`` action and ends at the next navigation in the
  same tab (``window_id``), or at the replay's end;
- active time is the union of user-action spans (clicks, inputs, selects, toggles,
  non-programmatic scrolls, selections, resizes), gaps of at most
  :data:`ACTIVITY_GAP_MS` bridged, each segment at least 1 ms (PostHog's rule applied to
  actions rather than raw events, so it is a lower bound: pointer movement is not an
  action).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec
import polars as pl

from ..analysis._actions import (
    ACTION_KINDS,
    Action,
    ClickDetails,
    ConsoleErrorDetails,
    InputDetails,
    NavigationDetails,
    ScrollDetails,
)
from ..analysis._activity import active_time
from ..analysis._joined import JoinedEvent as MixpanelEvent
from ..analysis._labels import normalize_url
from ..analysis._replay import AnalyzedReplay
from ..analysis._signal import SIGNAL_KINDS, Signal
from ..analysis._tape import Tape
from ..analysis._visits import PageVisit, page_visits
from ..rrweb._model import Event
from ..rrweb._rows import EventRow, event_row
from ._schema import SCHEMAS, action_count_column, signal_count_column

__all__ = ["ACTIVITY_GAP_MS", "FrameBuffers", "active_ms", "day_of"]

ACTIVITY_GAP_MS: Final = 5000
"""Gaps between user actions up to this long count as active (PostHog's threshold)."""

_DAY_MS: Final = 86_400_000
_EPOCH: Final = dt.date(1970, 1, 1)
_USER_KINDS: Final = frozenset({"click", "input", "select", "toggle", "selection", "viewport"})
_URL_CACHE_MAX: Final = 65_536
# Actions that open a visit rather than happen during one.
_VISIT_BOUNDARIES: Final = frozenset({"navigation", "page_load"})

_encoder = msgspec.json.Encoder(enc_hook=str)
_day_cache: dict[int, dt.date] = {}


def day_of(timestamp: int | None) -> dt.date:
    """UTC date of an epoch-ms timestamp (1970-01-01 for None), the partition key."""
    if timestamp is None:
        return _EPOCH
    number = timestamp // _DAY_MS
    day = _day_cache.get(number)
    if day is None:
        day = _EPOCH + dt.timedelta(days=number)
        if len(_day_cache) < 100_000:
            _day_cache[number] = day
    return day


def _span(action: Action) -> tuple[int, int] | None:
    """The user-activity span of an action (epoch ms), or None when it is not activity."""
    kind = action.kind
    details = action.details
    if kind == "scroll":
        if isinstance(details, ScrollDetails):
            if details.programmatic:
                return None
            return action.timestamp, action.timestamp + max(0, details.t_end_ms - action.t_ms)
        return action.timestamp, action.timestamp
    if kind not in _USER_KINDS:
        return None
    if isinstance(details, InputDetails):
        return action.timestamp, action.timestamp + max(0, details.t_end_ms - action.t_ms)
    return action.timestamp, action.timestamp


def active_ms(actions: Iterable[Action], gap_ms: int = ACTIVITY_GAP_MS) -> int:
    """Milliseconds covered by user actions, gaps up to ``gap_ms`` bridged (see module doc)."""
    spans = sorted(s for s in map(_span, actions) if s is not None)
    total = 0
    seg_start: int | None = None
    seg_end = 0
    for start, end in spans:
        if seg_start is not None and start - seg_end <= gap_ms:
            seg_end = max(seg_end, end)
            continue
        if seg_start is not None:
            total += max(1, seg_end - seg_start)
        seg_start, seg_end = start, end
    if seg_start is not None:
        total += max(1, seg_end - seg_start)
    return total


class _Visit:
    """One page visit being assembled (counts filled in as actions and signals arrive)."""

    __slots__ = (
        "actions",
        "active_ms",
        "clicks",
        "document",
        "end",
        "how",
        "max_scroll_y",
        "signals",
        "start",
        "t_ms",
        "url",
        "window_id",
    )

    def __init__(
        self,
        *,
        url: str | None,
        window_id: str | None,
        document: int,
        start: int,
        t_ms: int,
        how: str | None,
        end: int | None = None,
        active_ms: int | None = None,
        max_scroll_y: float | None = None,
    ) -> None:
        self.url = url
        self.window_id = window_id
        self.document = document
        self.start = start
        self.t_ms = t_ms
        self.how = how
        self.end = end
        self.active_ms = active_ms
        self.max_scroll_y = max_scroll_y
        self.actions = 0
        self.clicks = 0
        self.signals = 0


def _visits_from_actions(actions: Sequence[Action], end: int | None) -> list[_Visit]:
    """Fallback visits: one per navigation action, until the tab's next one or the end."""
    open_visit: dict[str | None, _Visit] = {}
    out: list[_Visit] = []
    for a in actions:
        if a.kind != "navigation":
            continue
        details = a.details
        visit = _Visit(
            url=a.url,
            window_id=a.window_id,
            document=a.document,
            start=a.timestamp,
            t_ms=a.t_ms,
            how=details.how if isinstance(details, NavigationDetails) else None,
        )
        previous = open_visit.get(a.window_id)
        if previous is not None:
            previous.end = a.timestamp
        open_visit[a.window_id] = visit
        out.append(visit)
    for visit in out:
        if visit.end is None:
            visit.end = end if end is not None else visit.start
        visit.end = max(visit.end, visit.start)
    return out


def _detector_visits(found: Sequence[PageVisit]) -> list[_Visit]:
    """Visits as the signal detectors define them (with per-visit active time)."""
    return [
        _Visit(
            url=v.url,
            window_id=v.window_id,
            document=v.document,
            start=v.enter,
            t_ms=v.enter_ms,
            how=v.how,
            end=v.leave,
            active_ms=v.active_ms,
            max_scroll_y=v.max_scroll_y,
        )
        for v in found
    ]


class _Attribution:
    """Which visit an action or signal belongs to: the one open in its tab at its time
    (the tab's first visit for anything earlier)."""

    def __init__(self, visits: list[_Visit]) -> None:
        self.tabs: dict[str | None, tuple[list[int], list[_Visit]]] = {}
        for v in sorted(visits, key=lambda v: v.start):
            starts, items = self.tabs.setdefault(v.window_id, ([], []))
            starts.append(v.start)
            items.append(v)

    def visit(self, window_id: str | None, timestamp: int) -> _Visit | None:
        tab = self.tabs.get(window_id)
        if tab is None:
            return None
        starts, items = tab
        return items[max(0, bisect.bisect_right(starts, timestamp) - 1)]


class FrameBuffers:
    """Column lists for every stored frame, filled replay by replay.

    ``rows`` counts buffered rows over all frames (what a batch size is measured in).
    """

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {
            frame: {name: [] for name in schema.names()} for frame, schema in SCHEMAS.items()
        }
        self.rows = 0
        self._pages: dict[str, str] = {}

    def _page(self, url: str | None) -> str | None:
        if url is None:
            return None
        page = self._pages.get(url)
        if page is None:
            page = normalize_url(url)
            if len(self._pages) >= _URL_CACHE_MAX:
                self._pages.clear()  # bounded: a long run sees unboundedly many URLs
            self._pages[url] = page
        return page

    def take(self) -> dict[str, pl.DataFrame]:
        """Convert the buffered lists into one DataFrame per frame and start empty lists."""
        frames = {
            frame: pl.DataFrame(cols, schema=SCHEMAS[frame]) for frame, cols in self.columns.items()
        }
        for cols in self.columns.values():
            for name in cols:
                cols[name] = []
        self.rows = 0
        return frames

    # --- one replay ---------------------------------------------------------------------

    def add(
        self,
        replay: AnalyzedReplay,
        *,
        distinct_id: str | None = None,
        mixpanel_events: Iterable[MixpanelEvent] | None = None,
        events: Iterable[Event] | None = None,
        tape: Tape | None = None,
    ) -> None:
        """Append one replay's rows to every frame.

        ``distinct_id`` and ``mixpanel_events`` default to the replay's own (the events
        join of a Mixpanel replay). The events frame gets ``events`` when given, else
        the rows the analysis took in its one pass (``AnalyzedReplay.event_rows``, with
        ``AnalyzerOptions(event_rows=True)``), else nothing.

        With the replay's ``tape`` (from a :class:`~replaykit.ReplayAnalyzer`), visits
        and active time follow the signal detectors' definitions (``page_visits``,
        ``active_time``); without it they are derived from the actions (module doc).
        """
        start = replay.start_timestamp
        day = day_of(start)
        rid = replay.replay_id
        if replay.visits and replay.active_ms is not None:
            # Computed once, by the analysis itself (`AnalyzedReplay.visits`/`active_ms`).
            visits = _detector_visits(replay.visits)
            active = replay.active_ms
        elif tape is not None and replay.actions:
            visits = _detector_visits(page_visits(replay.actions, tape))
            active = active_time(tape).active_ms
        else:
            visits = _visits_from_actions(replay.actions, replay.end_timestamp)
            active = active_ms(replay.actions)
        where = _Attribution(visits)
        self._add_actions(rid, day, replay.actions, where)
        kinds = self._add_signals(rid, day, replay.signals, where)
        ordered = self._add_visits(rid, day, visits)
        mp_count = 0
        if distinct_id is None:
            distinct_id = replay.distinct_id
        if mixpanel_events is None:
            mixpanel_events = replay.mixpanel_events
        for event in mixpanel_events:
            self._add_mixpanel(rid, day, start, event)
            if distinct_id is None:
                distinct_id = event.distinct_id
            mp_count += 1
        rows: Iterable[EventRow] = (
            map(event_row, events) if events is not None else replay.event_rows or ()
        )
        self._add_events(rid, day, start, rows)
        self._add_session(replay, day, ordered, kinds, distinct_id, mp_count, active)

    def _add_actions(
        self, rid: str, day: dt.date, actions: list[Action], where: _Attribution
    ) -> None:
        c = self.columns["actions"]
        page = self._page
        count = 0
        for a in actions:
            details = a.details
            end_t = x = y = dy = reaction = None
            tag = button = target_kind = how = message = None
            if isinstance(details, ClickDetails):
                x, y, tag, button = details.x, details.y, details.tag, details.button
                target_kind = details.target_kind
                if details.effect is not None:
                    reaction = details.effect.reaction_ms
            elif isinstance(details, ScrollDetails):
                x, y, dy, end_t = details.x, details.y, details.dy, details.t_end_ms
            elif isinstance(details, InputDetails):
                end_t = details.t_end_ms
            elif isinstance(details, NavigationDetails):
                how = details.how
            elif isinstance(details, ConsoleErrorDetails):
                message = details.message
            c["replay_id"].append(rid)
            c["day"].append(day)
            c["seq"].append(a.seq)
            c["kind"].append(a.kind)
            c["timestamp"].append(a.timestamp)
            c["t_ms"].append(a.t_ms)
            c["end_t_ms"].append(end_t)
            c["node_id"].append(a.node_id)
            c["target"].append(a.target)
            c["label"].append(a.label)
            c["tag"].append(tag)
            c["url"].append(a.url)
            c["page"].append(page(a.url))
            c["document"].append(a.document)
            c["window_id"].append(a.window_id)
            c["x"].append(x)
            c["y"].append(y)
            c["dy"].append(dy)
            c["button"].append(button)
            c["target_kind"].append(target_kind)
            c["reaction_ms"].append(reaction)
            c["how"].append(how)
            c["message"].append(message)
            c["details"].append(_encoder.encode(details).decode())
            count += 1
            if a.kind not in _VISIT_BOUNDARIES:
                visit = where.visit(a.window_id, a.timestamp)
                if visit is not None:
                    visit.actions += 1
                    if a.kind == "click":
                        visit.clicks += 1
        self.rows += count

    def _add_signals(
        self, rid: str, day: dt.date, signals: list[Signal], where: _Attribution
    ) -> dict[str, int]:
        c = self.columns["signals"]
        page = self._page
        kinds: dict[str, int] = {}
        for i, s in enumerate(signals):
            c["replay_id"].append(rid)
            c["day"].append(day)
            c["seq"].append(i)
            c["kind"].append(s.kind)
            c["timestamp"].append(s.timestamp)
            c["t_ms"].append(s.t_ms)
            c["end_timestamp"].append(s.end_timestamp)
            c["duration_ms"].append(s.duration_ms)
            c["target"].append(s.target)
            c["label"].append(s.label)
            c["url"].append(s.url)
            c["page"].append(page(s.url))
            c["document"].append(s.document)
            c["window_id"].append(s.window_id)
            c["evidence"].append(list(s.evidence))
            c["preset"].append(s.preset)
            c["details"].append(_encoder.encode(s.details).decode())
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
            visit = where.visit(s.window_id, s.timestamp)
            if visit is not None:
                visit.signals += 1
        self.rows += len(signals)
        return kinds

    def _add_visits(self, rid: str, day: dt.date, visits: list[_Visit]) -> list[_Visit]:
        ordered = sorted(visits, key=lambda v: (v.start, v.t_ms))
        c = self.columns["pages"]
        page = self._page
        last = len(ordered) - 1
        for i, v in enumerate(ordered):
            stop = v.end if v.end is not None and v.end >= v.start else v.start
            c["replay_id"].append(rid)
            c["day"].append(day)
            c["visit"].append(i)
            c["url"].append(v.url)
            c["page"].append(page(v.url))
            c["how"].append(v.how)
            c["document"].append(v.document)
            c["window_id"].append(v.window_id)
            c["start_timestamp"].append(v.start)
            c["end_timestamp"].append(stop)
            c["t_ms"].append(v.t_ms)
            c["duration_ms"].append(stop - v.start)
            c["n_actions"].append(v.actions)
            c["n_clicks"].append(v.clicks)
            c["n_signals"].append(v.signals)
            c["active_ms"].append(v.active_ms)
            c["max_scroll_y"].append(v.max_scroll_y)
            c["exit"].append(i == last)
        self.rows += len(ordered)
        return ordered

    def _add_mixpanel(self, rid: str, day: dt.date, start: int | None, e: MixpanelEvent) -> None:
        c = self.columns["mixpanel"]
        insert_id = e.properties.get("$insert_id")
        c["replay_id"].append(rid)
        c["day"].append(day)
        c["timestamp"].append(e.time_ms)
        c["t_ms"].append(None if start is None else e.time_ms - start)
        c["event_name"].append(e.name)
        c["distinct_id"].append(e.distinct_id)
        c["insert_id"].append(None if insert_id is None else str(insert_id))
        c["properties"].append(_encoder.encode(e.properties).decode())
        self.rows += 1

    def _add_events(
        self, rid: str, day: dt.date, start: int | None, rows: Iterable[EventRow]
    ) -> int:
        c = self.columns["events"]
        n = 0
        for row in rows:
            ts = row.timestamp
            c["replay_id"].append(rid)
            c["day"].append(day)
            c["timestamp"].append(ts)
            c["t_ms"].append(None if start is None else ts - start)
            c["type"].append(row.type)
            c["source"].append(row.source)
            c["mouse_type"].append(row.mouse_type)
            c["node_id"].append(row.node_id)
            c["x"].append(row.x)
            c["y"].append(row.y)
            c["url"].append(row.url)
            c["name"].append(row.name)
            n += 1
        self.rows += n
        return n

    def _add_session(
        self,
        replay: AnalyzedReplay,
        day: dt.date,
        ordered: list[_Visit],
        signal_kinds: dict[str, int],
        distinct_id: str | None,
        mp_count: int,
        active: int,
    ) -> None:
        c = self.columns["sessions"]
        cov = replay.coverage
        failure = replay.failure
        action_kinds: dict[str, int] = {}
        for a in replay.actions:
            action_kinds[a.kind] = action_kinds.get(a.kind, 0) + 1
        entry_url = ordered[0].url if ordered else None
        exit_url = ordered[-1].url if ordered else None
        c["replay_id"].append(replay.replay_id)
        c["day"].append(day)
        c["source"].append(replay.source)
        c["distinct_id"].append(distinct_id)
        c["start_timestamp"].append(replay.start_timestamp)
        c["end_timestamp"].append(replay.end_timestamp)
        c["duration_ms"].append(replay.duration_ms)
        c["active_ms"].append(active)
        c["n_actions"].append(len(replay.actions))
        c["n_signals"].append(len(replay.signals))
        c["n_pages"].append(len(ordered))
        c["n_events"].append(sum(cov.events.values()))
        c["n_mp_events"].append(mp_count)
        c["entry_url"].append(entry_url)
        c["exit_url"].append(exit_url)
        c["entry_page"].append(self._page(entry_url))
        c["exit_page"].append(self._page(exit_url))
        for kind in ACTION_KINDS:
            c[action_count_column(kind)].append(action_kinds.get(kind, 0))
        for skind in SIGNAL_KINDS:
            c[signal_count_column(skind)].append(signal_kinds.get(skind, 0))
        c["truncated"].append(cov.truncated)
        c["failed"].append(failure is not None)
        c["failure_error"].append(None if failure is None else failure.error)
        c["failure_message"].append(None if failure is None else failure.message)
        c["unknown_events"].append(sum(cov.unknown.values()))
        c["malformed_events"].append(cov.malformed)
        c["repaired_timestamps"].append(cov.repaired_timestamps)
        c["documents"].append(cov.documents)
        c["coverage"].append(_encoder.encode(cov).decode())
        c["platform"].append(cov.platform or ("web" if failure is None else None))
        self.rows += 1
