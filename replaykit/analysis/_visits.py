"""Page visits and quick backs.

A *page visit* is the time a tab showed one URL: from a navigation action (new document,
reload, SPA route change, a URL a checkout snapshot revealed; ``rrweb-format.md`` §16) to
the next navigation in the same window, or to the end of the recording. :func:`page_visits`
summarises each one (dwell, active time, scroll depth); :func:`detect_quick_backs` finds
A → B → A U-turns (``frustration-signals.md`` §8).

Multi-tab recordings are handled per ``window_id``: a visit never ends because another tab
navigated, and a quick back needs its three visits in one tab. Visits cross documents: a
full-load "back" to the previous page is a quick back like a popstate is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import msgspec

from ._actions import Action, NavigationDetails, ViewportDetails
from ._activity import ActivitySegment, active_time, is_user_action, make_signal, replay_start
from ._signal import Signal
from ._signal_config import SignalConfig
from ._tape import DocumentRecord, ScrollRecord, Tape

__all__ = ["PageVisit", "detect_quick_backs", "page_key", "page_path", "page_visits"]

# A navigation this long after the click before it was still caused by it (a full load
# can take seconds to produce the next document's first event).
_CAUSE_MS = 10_000
# New documents: the analyzer's `how` for a Meta + FullSnapshot that started a document.
_NEW_DOCUMENT = frozenset({"load", "reload"})


class PageVisit(msgspec.Struct, frozen=True, kw_only=True):
    """One page visit in one tab.

    - ``url`` as recorded, ``path`` = path + query (what a person calls the page),
      ``how`` the navigation that opened it (``load``, ``reload``, ``push``, ``replace``,
      ``pop``, ``late``, ``custom``; see ``NavigationDetails``), ``seq`` its action.
    - ``enter``/``leave`` epoch ms (leave = the tab's next navigation, else the last event
      of the recording in that tab), ``enter_ms`` from the replay start, ``dwell_ms``.
    - ``active_ms``: the PostHog active time (§12) that falls inside the visit.
    - ``max_scroll_y``: the deepest window scroll position shown during the visit (the
      position it started at included); ``scroll_depth_px`` adds the viewport height, i.e.
      how far down the page the bottom of the screen reached (0 height when unknown).
    - ``ended_by``: ``navigation`` or ``recording_end``.
    """

    url: str | None
    path: str | None
    how: str
    document: int
    window_id: str | None
    enter: int
    leave: int
    enter_ms: int
    dwell_ms: int
    active_ms: int
    max_scroll_y: float = 0
    scroll_depth_px: float = 0
    viewport_height: int = 0
    seq: int = -1
    ended_by: str = "navigation"


def page_path(url: str | None) -> str | None:
    """Path + query of a URL (fragment dropped), for display; non-URLs unchanged."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme and not parts.netloc and not parts.path:
        return url
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def page_key(url: str | None) -> str:
    """What makes two URLs the same page (§8, fmt §16): origin + path + query; the fragment
    is dropped unless it looks like a hash route (``#/...``, ``#!/...``)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    key = f"{parts.netloc.lower()}{parts.path or '/'}"
    if parts.query:
        key += f"?{parts.query}"
    if parts.fragment.startswith(("/", "!/")):
        key += f"#{parts.fragment}"
    return key


def _window_ends(actions: Sequence[Action], tape: Tape) -> dict[str | None, int]:
    """The last known time in each window."""
    ends: dict[str | None, int] = {}

    def see(window_id: str | None, t: int) -> None:
        if t > ends.get(window_id, -(2**62)):
            ends[window_id] = t

    for a in actions:
        see(a.window_id, a.timestamp)
    records = (
        tape.mutations,
        tape.scrolls,
        tape.inputs,
        tape.console,
        tape.network,
        tape.pointer,
        tape.documents,
    )
    for group in records:
        for r in group:
            see(r.window_id, r.t)
    if len(ends) <= 1 and tape.last_timestamp is not None:
        # One tab: the recording's own end (the last event of any kind) is that tab's.
        for window_id in ends or {None: 0}:
            ends[window_id] = max(ends.get(window_id, tape.last_timestamp), tape.last_timestamp)
    return ends


def page_visits(
    actions: Sequence[Action], tape: Tape, config: SignalConfig | None = None
) -> list[PageVisit]:
    """The replay's page visits, per window in time order (windows in order of first visit).

    Consecutive navigations to the same URL stay separate visits only when they load a new
    document (a reload); an SPA event repeating the current URL is not a visit.
    """
    start = replay_start(actions, tape)
    segments = [s for s in active_time(tape, config).segments if s.active]
    seg_starts = [s.start for s in segments]
    ends = _window_ends(actions, tape)
    navs: dict[str | None, list[Action]] = defaultdict(list)
    for a in sorted(actions, key=lambda a: (a.timestamp, a.seq)):
        if a.kind == "navigation":
            navs[a.window_id].append(a)
    viewports: dict[str | None, list[tuple[int, int]]] = defaultdict(list)
    for a in actions:
        if isinstance(a.details, ViewportDetails):
            viewports[a.window_id].append((a.timestamp, a.details.height))
    # Window scrolls and snapshots per (window, document), so each visit reads only its own.
    scrolls: dict[tuple[str | None, int], list[ScrollRecord]] = defaultdict(list)
    for r in sorted(tape.scrolls, key=lambda r: r.t):
        if r.is_window:
            scrolls[(r.window_id, r.document)].append(r)
    snapshots: dict[tuple[str | None, int], list[DocumentRecord]] = defaultdict(list)
    for d in tape.documents:
        snapshots[(d.window_id, d.document)].append(d)
    # Each visit reads its document's snapshots and scrolls and its window's viewports:
    # prepared once per document/window for bisection (a scan per visit was quadratic on
    # SPAs with many visits and scrolls).
    pages: dict[tuple[str | None, int], _PageRecords] = {}
    sizes: dict[str | None, _LastBefore[tuple[int, int]]] = {}
    out: list[PageVisit] = []
    for window_id, window_navs in navs.items():
        kept: list[Action] = []
        for nav in window_navs:
            how = nav.details.how if isinstance(nav.details, NavigationDetails) else "custom"
            if kept and how not in _NEW_DOCUMENT and page_key(nav.url) == page_key(kept[-1].url):
                continue
            kept.append(nav)
        window_end = ends.get(window_id, kept[-1].timestamp if kept else 0)
        for i, nav in enumerate(kept):
            last = i + 1 == len(kept)
            enter = nav.timestamp
            leave = max(enter, window_end if last else kept[i + 1].timestamp)
            document = (
                nav.details.document if isinstance(nav.details, NavigationDetails) else nav.document
            )
            key = (window_id, document)
            page = pages.get(key)
            if page is None:
                page = pages[key] = _PageRecords(snapshots.get(key, []), scrolls.get(key, []))
            size = sizes.get(window_id)
            if size is None:
                size = sizes[window_id] = _LastBefore(
                    [v for v in viewports.get(window_id, []) if v[1]], lambda v: v[0]
                )
            out.append(_visit(nav, enter, leave, last, start, (segments, seg_starts), page, size))
    return out


_T = TypeVar("_T")


class _LastBefore(Generic[_T]):
    """For any time t, the last item *in list order* among those timed at or before t.

    Bisection over a time-sorted copy that carries the running maximum of list positions:
    the same answer as a scan of the list, in O(log n) per question.
    """

    def __init__(self, items: Sequence[_T], time: Callable[[_T], float]) -> None:
        order = sorted(range(len(items)), key=lambda i: time(items[i]))
        self._items = items
        self._times = [time(items[i]) for i in order]
        self._latest: list[int] = []
        best = -1
        for i in order:
            best = max(best, i)
            self._latest.append(best)

    def get(self, t: float) -> _T | None:
        k = bisect_right(self._times, t) - 1
        return self._items[self._latest[k]] if k >= 0 else None


class _PageRecords:
    """One (window, document)'s snapshots and window scrolls, prepared for its visits."""

    def __init__(self, snapshots: Sequence[DocumentRecord], scrolls: Sequence[ScrollRecord]):
        self.height = _LastBefore([d for d in snapshots if d.height], lambda d: d.t)
        self.loaded = _LastBefore([d for d in snapshots if d.new_document], lambda d: d.t)
        self.scrolls = scrolls  # sorted by time
        self.times = [r.t for r in scrolls]


def _visit(
    nav: Action,
    enter: int,
    leave: int,
    last: bool,
    start: int | None,
    active: tuple[Sequence[ActivitySegment], Sequence[int]],
    page: _PageRecords,
    size: _LastBefore[tuple[int, int]],
) -> PageVisit:
    details = nav.details
    how = details.how if isinstance(details, NavigationDetails) else "custom"
    document = details.document if isinstance(details, NavigationDetails) else nav.document
    # Active time inside [enter, leave]: overlap with each active segment; a zero-length
    # segment (one lone active event) counts 1 ms, as in the replay total.
    segments, seg_starts = active
    active_ms = 0
    k = max(0, bisect_left(seg_starts, enter) - 1)
    while k < len(segments):
        seg = segments[k]
        s_start, s_end = seg.start, seg.end
        if s_start > leave or (s_start == leave and not last):
            break
        lo, hi = max(s_start, enter), min(s_end, leave)
        if s_end == s_start and enter <= s_start:
            active_ms += 1
        elif hi > lo:
            active_ms += hi - lo
        k += 1
    # Scroll depth: the window position when the visit began, then every window scroll.
    sized = page.height.get(enter + 1)
    height = sized.height if sized is not None else 0
    loaded = page.loaded.get(enter + 1)
    y0 = loaded.scroll_y if loaded is not None else 0.0
    scrolls, times = page.scrolls, page.times
    lo = bisect_left(times, enter)
    if lo:
        y0 = scrolls[lo - 1].y  # where the page stood when this visit began
    max_y = y0
    first = True
    hi = bisect_right(times, leave) if last else bisect_left(times, leave)
    for i in range(lo, max(lo, hi)):
        s = scrolls[i]
        if first and s.programmatic:
            # The app's scroll-to-top (or restoration) on arrival: the position the
            # previous page stood at was never really shown on this one.
            max_y = s.y
        max_y = max(max_y, s.y)
        first = False
    viewport = size.get(leave)
    if viewport is not None:
        height = viewport[1]
    return PageVisit(
        url=nav.url,
        path=page_path(nav.url),
        how=how,
        document=document,
        window_id=nav.window_id,
        enter=enter,
        leave=leave,
        enter_ms=max(0, enter - start) if start is not None else 0,
        dwell_ms=leave - enter,
        active_ms=active_ms,
        max_scroll_y=max_y,
        scroll_depth_px=max_y + height,
        viewport_height=height,
        seq=nav.seq,
        ended_by="recording_end" if last else "navigation",
    )


class _Stop(msgspec.Struct, kw_only=True):
    """One entry of the collapsed visit list used for quick backs (mutable while merging)."""

    key: str
    visit: PageVisit
    enter: int


def _collapsed(visits: Sequence[PageVisit], min_visit_ms: int) -> list[_Stop]:
    """One tab's visits with redirects merged into the next visit and repeats collapsed."""
    stops: list[_Stop] = []
    for v in visits:
        key = page_key(v.url)
        if stops and stops[-1].key == key:
            continue  # a reload or repeated URL event: still the same page
        stops.append(_Stop(key=key, visit=v, enter=v.enter))
    merged: list[_Stop] = []
    for i, stop in enumerate(stops):
        if merged and merged[-1].key == stop.key:
            continue
        nxt = stops[i + 1] if i + 1 < len(stops) else None
        if nxt is not None and nxt.enter - stop.enter < min_visit_ms:
            # A redirect: the next visit started when this one did.
            nxt.enter = min(nxt.enter, stop.enter)
            continue
        merged.append(stop)
    return merged


def _cause(window_actions: Sequence[Action], t: int) -> Action | None:
    """The click that led to a navigation at ``t``: the last user action before it, when
    that is a click less than 10 s earlier."""
    best: Action | None = None
    for a in window_actions:
        if a.timestamp > t:
            break
        if a.kind != "navigation" and is_user_action(a):
            best = a
    if best is not None and best.kind == "click" and t - best.timestamp <= _CAUSE_MS:
        return best
    return None


def _mechanism(back: PageVisit, cause: Action | None) -> str:
    if back.how == "pop":
        return "popstate"
    if back.how in _NEW_DOCUMENT:
        return "full_load"
    return "link" if cause is not None else back.how


def detect_quick_backs(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """``quick_back``: a page left for another and returned to within seconds (§8).

    Default (``quick_back.pattern="return"``): in one tab's visit list, with redirects
    (visits < ``min_visit_ms``, 250 ms) merged into the next visit and repeats of a URL
    collapsed, three consecutive visits A → B → A with B lasting ≤ ``max_dwell_ms``
    (3000 ms). The way back (popstate, a link, a full-load "back") is recorded, not
    required. ``any_change`` is PostHog's ingestion feature: any visit B left for a
    different URL within the threshold (the ``posthog`` presets: < 2000 ms).

    ``timestamp`` is when B was entered (``t_forward``), ``end_timestamp`` when the tab
    left it (``t_back``). ``target``/``label`` name the click that opened B, if one did.
    ``details``: ``dwell_ms``, ``from``/``to``/``back_to`` (paths of A, B, the return),
    ``how_forward``/``how_back`` (navigation kinds), ``mechanism``, the thresholds.
    ``evidence``: the opening click (if any) and the two navigations.
    """
    qb = config.quick_back
    start = replay_start(actions, tape)
    by_window: dict[str | None, list[PageVisit]] = defaultdict(list)
    for v in page_visits(actions, tape, config):
        by_window[v.window_id].append(v)
    ordered = sorted(actions, key=lambda a: (a.timestamp, a.seq))
    out: list[Signal] = []
    for window_id, visits in by_window.items():
        window_actions = [a for a in ordered if a.window_id == window_id]
        stops = _collapsed(visits, qb.min_visit_ms)
        for i in range(len(stops) - 1):
            a = stops[i - 1] if i > 0 else None
            b, c = stops[i], stops[i + 1]
            dwell = c.enter - b.enter
            if dwell > qb.max_dwell_ms:
                continue
            if qb.pattern == "return" and (a is None or a.key != c.key):
                continue
            opener = _cause(window_actions, b.enter)
            closer = _cause(window_actions, c.enter)
            evidence = tuple(
                sorted({x.seq for x in (opener,) if x is not None} | {b.visit.seq, c.visit.seq})
            )
            out.append(
                make_signal(
                    replay_id,
                    "quick_back",
                    b.enter,
                    start,
                    config,
                    end=c.enter,
                    url=b.visit.url,
                    document=b.visit.document,
                    window_id=window_id,
                    evidence=evidence,
                    target=opener.target if opener else None,
                    label=opener.label if opener else None,
                    details={
                        "dwell_ms": dwell,
                        "from": page_path(a.visit.url) if a else None,
                        "to": page_path(b.visit.url),
                        "back_to": page_path(c.visit.url),
                        "how_forward": b.visit.how,
                        "how_back": c.visit.how,
                        "mechanism": _mechanism(c.visit, closer),
                        "max_dwell_ms": qb.max_dwell_ms,
                        "min_visit_ms": qb.min_visit_ms,
                        "pattern": qb.pattern,
                    },
                )
            )
    return out
