"""Page-level signal detectors: quick backs, scrolling, cursor, idle, forms.

Every detector has the signature ``detect_x(replay_id, actions, tape, config) ->
list[Signal]`` and reads only the finished replay's actions and tape. The runner calls
the five listed in :data:`PAGE_DETECTORS`:

- :func:`detect_quick_backs` (``quick_back``, §8; in ``_visits``),
- :func:`detect_scroll_signals` (``scroll_reversal``, ``excessive_scroll``, §9; here),
- :func:`detect_thrashed_cursor` (``thrashed_cursor``, §10; in ``_activity``),
- :func:`detect_idle` (``idle``, ``long_pause``, §11; in ``_activity``),
- :func:`detect_form_abandons` (``form_abandon``, §13; in ``_forms``).

"§N" cites ``frustration-signals.md``. Non-signal summaries live beside them:
:func:`page_visits` and :func:`active_time`.
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from ._actions import Action, ScrollDetails
from ._activity import (
    ActiveTime,
    ActivitySegment,
    action_end,
    active_time,
    detect_idle,
    detect_thrashed_cursor,
    make_signal,
    replay_start,
)
from ._forms import detect_form_abandons
from ._labels import normalize_url
from ._signal import Signal
from ._signal_config import ScrollConfig, SignalConfig
from ._tape import ScrollRecord, Tape
from ._visits import PageVisit, detect_quick_backs, page_visits

__all__ = [
    "PAGE_DETECTORS",
    "ActiveTime",
    "ActivitySegment",
    "PageVisit",
    "active_time",
    "detect_form_abandons",
    "detect_idle",
    "detect_quick_backs",
    "detect_scroll_signals",
    "detect_thrashed_cursor",
    "page_visits",
]


class _Reversal:
    """One scroll reversal while it is being collected."""

    __slots__ = ("direction", "leg_px", "node_id", "prev_leg_start", "rapid", "t", "t_seen", "y")

    def __init__(
        self,
        t: int,
        t_seen: int,
        direction: int,
        leg_px: float,
        y: float,
        rapid: bool,
        node_id: int,
        prev_leg_start: int,
    ) -> None:
        self.t = t
        self.t_seen = t_seen
        self.direction = direction
        self.leg_px = leg_px
        self.y = y
        self.rapid = rapid
        self.node_id = node_id
        self.prev_leg_start = prev_leg_start


class _Legs:
    """Scroll legs on one target during one visit.

    ``extreme`` is the turning point of the current leg (the furthest position reached in
    its direction); movement against it only counts as a new leg once it has gone
    ``min_leg_px`` past that point, so jitter never makes a reversal.
    """

    __slots__ = (
        "direction",
        "distance",
        "extreme",
        "last_t",
        "leg_start_t",
        "leg_start_y",
        "max_y",
        "pending_prev_t",
        "pending_t",
    )

    def __init__(self, y: float, t: int) -> None:
        self.direction = 0
        self.extreme = y
        self.leg_start_y = y
        self.leg_start_t = t
        self.pending_t: int | None = None
        self.pending_prev_t: int | None = None
        self.last_t: int | None = None
        self.distance = 0.0
        self.max_y = y

    def reset(self, y: float, t: int) -> None:
        """The page moved by itself (scroll-to-top, anchor jump): start afresh from there."""
        self.direction = 0
        self.extreme = self.leg_start_y = y
        self.leg_start_t = t
        self.pending_t = self.pending_prev_t = None

    def move(self, r: ScrollRecord, cfg: ScrollConfig, previous_y: float) -> _Reversal | None:
        y = r.y
        self.distance += abs(y - previous_y)
        self.max_y = max(self.max_y, y)
        reversal: _Reversal | None = None
        delta = y - self.extreme
        if self.direction == 0:
            if abs(delta) >= cfg.min_leg_px:
                self.direction = 1 if delta > 0 else -1
                self.extreme = y
        elif delta * self.direction >= 0:
            self.extreme = y  # further the same way
            self.pending_t = self.pending_prev_t = None
        else:
            if self.pending_t is None:
                self.pending_t, self.pending_prev_t = r.t, self.last_t
            if abs(delta) >= cfg.min_leg_px:
                since = (
                    None if self.pending_prev_t is None else self.pending_t - self.pending_prev_t
                )
                reversal = _Reversal(
                    t=self.pending_t,
                    t_seen=r.t,
                    direction=-self.direction,
                    leg_px=abs(self.extreme - self.leg_start_y),
                    y=self.extreme,
                    rapid=since is not None and since < cfg.rapid_ms,
                    node_id=r.node_id,
                    prev_leg_start=self.leg_start_t,
                )
                self.direction = -self.direction
                self.leg_start_y, self.leg_start_t = self.extreme, self.pending_t
                self.extreme = y
                self.pending_t = self.pending_prev_t = None
        self.last_t = r.t
        return reversal


# Scroll containers kept in sync by the page (an editor's scrollbar and its content, a
# sticky header table and its body) turn together: within a frame or two, well inside
# rrweb's 100 ms scroll throttle plus one event.
_MIRROR_MS = 300


def _mirrors(reversal: _Reversal, seen: Sequence[_Reversal]) -> bool:
    """The same turn already counted on another target (one gesture, two scrolled nodes)."""
    return any(
        r.node_id != reversal.node_id
        and r.direction == reversal.direction
        and abs(r.t - reversal.t) <= _MIRROR_MS
        for r in seen[-4:]
    )


def _timestamp(action: Action) -> int:
    return action.timestamp


def _initial_ys(tape: Tape) -> dict[tuple[str | None, int], float]:
    """The scroll position each (window, document) was loaded at, read once: a lookup per
    scroll over every document was quadratic on recordings with many of both."""
    initial: dict[tuple[str | None, int], float] = {}
    for d in tape.documents:
        if d.new_document:
            initial.setdefault((d.window_id, d.document), d.scroll_y)
    return initial


def _episodes(times: Sequence[int], cfg: ScrollConfig) -> list[tuple[int, int, int]]:
    """Rage-scroll episodes: ≥ ``episode_reversals`` reversals within ``episode_window_ms``,
    overlapping stretches merged; (start, end, reversals)."""
    need = max(1, cfg.episode_reversals)
    spans: list[list[int]] = []
    for i in range(len(times) - need + 1):
        a, b = times[i], times[i + need - 1]
        if b - a > cfg.episode_window_ms:
            continue
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return [(a, b, bisect_right(times, b) - bisect_right(times, a - 1)) for a, b in spans]


def detect_scroll_signals(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """``scroll_reversal`` (one per reversal) and ``excessive_scroll`` (one per visit) (§9).

    Per window, page visit, document and scrolled target (the window or an element), the
    user's Scroll positions form *legs*: a leg opens once the position has moved
    ``scroll.min_leg_px`` (50 px) from the last turning point, so layout jitter never
    counts; scrolls the page made itself (``programmatic``: within 200 ms of a navigation
    or snapshot, anchor jumps) restart the legs from where they left the page. A reversal
    is a leg going the opposite way from the previous one; it is *rapid* when it began <
    ``rapid_ms`` (500 ms, PostHog's ingestion feature) after the previous scroll event.
    The same turn on two targets within 300 ms (containers the page scrolls in sync, like
    an editor's scrollbar and its content) counts once.

    One ``scroll_reversal`` per reversal, because the doc validates reversals by count
    (§9 "Validate": sign changes between consecutive scroll actions) and a single
    reversal is a meaningful event ("scrolled back up to re-read"). ``timestamp`` is the
    first scroll event of the new leg; ``details``: ``direction`` (``up``/``down``),
    ``previous_leg_px``, ``turn_y``, ``rapid``, ``index`` (n-th in the visit), ``target``
    (``window``/``element``), ``min_leg_px``. ``evidence``: the scroll actions of both legs.

    One ``excessive_scroll`` per visit whose scrolling was excessive: a rage episode (≥
    ``episode_reversals`` (3) reversals within ``episode_window_ms`` (3 s)), or a
    reversal count > mean + 2σ of the visits to the same URL template in this replay
    (when there are ≥ ``baseline_min_visits`` (20) of them), else ≥
    ``excessive_reversals`` (6). ``details``: ``reversals``, ``rapid_reversals``,
    ``episodes``, ``reasons``, ``threshold``, ``distance_px``, ``max_y``; ``evidence``: the
    scroll actions of its reversals.
    """
    cfg = config.scroll
    start = replay_start(actions, tape)
    visits = page_visits(actions, tape, config)
    enters: dict[str | None, list[int]] = defaultdict(list)
    visit_of: dict[str | None, list[PageVisit]] = defaultdict(list)
    for v in visits:
        enters[v.window_id].append(v.enter)
        visit_of[v.window_id].append(v)
    scroll_actions = [
        a for a in actions if isinstance(a.details, ScrollDetails) and not a.details.programmatic
    ]
    # Per scrolled target, in time order, so a reversal's evidence is found by bisection
    # (scanning every scroll action per reversal was quadratic).
    scrolls_of: dict[tuple[str | None, int, int | None], list[Action]] = defaultdict(list)
    for a in scroll_actions:
        scrolls_of[(a.window_id, a.document, a.node_id)].append(a)
    for group in scrolls_of.values():
        group.sort(key=lambda a: a.timestamp)
    initial_ys = _initial_ys(tape)
    by_window: dict[str | None, list[ScrollRecord]] = defaultdict(list)
    for r in tape.scrolls:
        by_window[r.window_id].append(r)
    out: list[Signal] = []
    # (window, visit index) -> reversals, with each target's legs for totals
    per_visit: dict[tuple[str | None, int], list[_Reversal]] = defaultdict(list)
    legs_of_visit: dict[tuple[str | None, int], list[_Legs]] = defaultdict(list)
    evidence: dict[tuple[str | None, int], set[int]] = defaultdict(set)
    for window_id, records in by_window.items():
        records.sort(key=lambda r: r.t)
        positions: dict[tuple[int, int], float] = {}
        states: dict[tuple[int, int, int], _Legs] = {}
        window_enters = enters.get(window_id, [])
        for r in records:
            visit = bisect_right(window_enters, r.t) - 1
            place = (r.document, r.node_id)
            previous_y = positions.get(place)
            if previous_y is None:
                previous_y = initial_ys.get((window_id, r.document), 0.0) if r.is_window else 0.0
            positions[place] = r.y
            key = (visit, r.document, r.node_id)
            legs = states.get(key)
            if legs is None:
                legs = states[key] = _Legs(previous_y, r.t)
                legs_of_visit[(window_id, visit)].append(legs)
            if r.programmatic:
                legs.reset(r.y, r.t)
                continue
            reversal = legs.move(r, cfg, previous_y)
            if reversal is None or _mirrors(reversal, per_visit[(window_id, visit)]):
                continue
            per_visit[(window_id, visit)].append(reversal)
            signal = _reversal_signal(
                replay_id,
                reversal,
                r,
                len(per_visit[(window_id, visit)]),
                scrolls_of.get((window_id, r.document, r.node_id), []),
                start,
                config,
            )
            evidence[(window_id, visit)].update(signal.evidence)
            out.append(signal)
    out.extend(_excessive(replay_id, per_visit, legs_of_visit, visit_of, evidence, start, config))
    return out


def _reversal_signal(
    replay_id: str,
    rev: _Reversal,
    record: ScrollRecord,
    index: int,
    target_scrolls: Sequence[Action],
    start: int | None,
    config: SignalConfig,
) -> Signal:
    # `target_scrolls`: the user's scroll actions on this record's target, by time. One
    # target's scroll bursts follow each other, so those ending after the previous leg
    # began are the last ones starting before the reversal was seen.
    involved: list[Action] = []
    for i in range(bisect_right(target_scrolls, rev.t_seen, key=_timestamp) - 1, -1, -1):
        a = target_scrolls[i]
        if action_end(a) < rev.prev_leg_start:
            break
        involved.append(a)
    involved.reverse()
    named = next((a for a in reversed(involved) if a.target), None)
    url = next((a.url for a in reversed(involved) if a.url), None)
    return make_signal(
        replay_id,
        "scroll_reversal",
        rev.t,
        start,
        config,
        url=url,
        document=record.document,
        window_id=record.window_id,
        evidence=tuple(a.seq for a in involved),
        target=named.target if named else None,
        label=named.label if named else None,
        details={
            "direction": "down" if rev.direction > 0 else "up",
            "previous_leg_px": round(rev.leg_px, 1),
            "turn_y": rev.y,
            "rapid": rev.rapid,
            "index": index,
            "target": "window" if record.is_window else "element",
            "node_id": record.node_id,
            "min_leg_px": config.scroll.min_leg_px,
            "rapid_ms": config.scroll.rapid_ms,
        },
    )


def _baseline(
    visit_of: dict[str | None, list[PageVisit]],
    per_visit: dict[tuple[str | None, int], list[_Reversal]],
    cfg: ScrollConfig,
) -> Callable[[PageVisit], tuple[float, str]]:
    """Threshold per visit: mean + kσ of its URL template's visits, else the fixed count."""
    counts: dict[str, list[int]] = defaultdict(list)
    for window_id, visits in visit_of.items():
        for i, v in enumerate(visits):
            counts[normalize_url(v.url or "")].append(len(per_visit.get((window_id, i), ())))

    # One value per URL template: recomputing a template's statistics for each of its
    # visits was quadratic when one template has thousands of them.
    known: dict[str, tuple[float, str]] = {}

    def threshold(v: PageVisit) -> tuple[float, str]:
        key = normalize_url(v.url or "")
        found = known.get(key)
        if found is not None:
            return found
        sample = counts.get(key, [])
        if len(sample) >= cfg.baseline_min_visits:
            mean = statistics.fmean(sample)
            found = (mean + cfg.baseline_sigmas * statistics.pstdev(sample), "baseline")
        else:
            found = (cfg.excessive_reversals, "fixed")
        known[key] = found
        return found

    return threshold


def _excessive(
    replay_id: str,
    per_visit: dict[tuple[str | None, int], list[_Reversal]],
    legs_of_visit: dict[tuple[str | None, int], list[_Legs]],
    visit_of: dict[str | None, list[PageVisit]],
    evidence: dict[tuple[str | None, int], set[int]],
    start: int | None,
    config: SignalConfig,
) -> list[Signal]:
    cfg = config.scroll
    threshold_of = _baseline(visit_of, per_visit, cfg)
    out: list[Signal] = []
    for (window_id, index), reversals in per_visit.items():
        visits = visit_of.get(window_id, [])
        visit = visits[index] if 0 <= index < len(visits) else None
        by_target: dict[int, list[int]] = defaultdict(list)
        for rev in reversals:
            by_target[rev.node_id].append(rev.t)
        episodes = sorted(e for times in by_target.values() for e in _episodes(times, cfg))
        threshold, basis = (
            threshold_of(visit) if visit is not None else (cfg.excessive_reversals, "fixed")
        )
        over = len(reversals) > threshold if basis == "baseline" else len(reversals) >= threshold
        if not episodes and not over:
            continue
        reasons = (["episode"] if episodes else []) + (["count"] if over else [])
        legs = legs_of_visit.get((window_id, index), [])
        first = episodes[0][0] if episodes else min(r.t for r in reversals)
        last = max(r.t_seen for r in reversals)
        details: dict[str, Any] = {
            "reversals": len(reversals),
            "rapid_reversals": sum(r.rapid for r in reversals),
            "episodes": [{"start": a, "end": b, "reversals": n} for a, b, n in episodes],
            "reasons": reasons,
            "threshold": round(threshold, 2),
            "threshold_basis": basis,
            "distance_px": round(sum(leg.distance for leg in legs), 1),
            "max_y": max((leg.max_y for leg in legs), default=0.0),
            "episode_reversals": cfg.episode_reversals,
            "episode_window_ms": cfg.episode_window_ms,
        }
        out.append(
            make_signal(
                replay_id,
                "excessive_scroll",
                first,
                start,
                config,
                end=last,
                url=visit.url if visit else None,
                document=visit.document if visit else 1,
                window_id=window_id,
                evidence=tuple(sorted(evidence.get((window_id, index), ()))),
                details=details,
            )
        )
    return out


PAGE_DETECTORS: tuple[Callable[[str, Sequence[Action], Tape, SignalConfig], list[Signal]], ...] = (
    detect_quick_backs,
    detect_scroll_signals,
    detect_thrashed_cursor,
    detect_idle,
    detect_form_abandons,
)
"""The page-level detectors, for the signal runner."""
