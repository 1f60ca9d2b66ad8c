"""Activity over time: active time, idle gaps, long pauses and a thrashing cursor.

Everything here reads the replay's :class:`~replaykit.analysis._tape.Tape` (``activity``
holds ``(t, active)`` for every event, ``pointer`` every mouse position at its real time)
and its actions; nothing raises on odd input (empty tapes, unsorted lists, missing times).

- :func:`active_time` is PostHog's ingestion algorithm (``frustration-signals.md`` §12).
- :func:`detect_idle` emits ``idle`` (no activity for 30 s) and ``long_pause`` (no user
  action for 10 s) signals (§11).
- :func:`detect_thrashed_cursor` emits ``thrashed_cursor`` episodes (§10).

The small helpers at the bottom (:func:`make_signal`, :func:`replay_start`, ...) are shared
with the other page-level detector modules (``_visits``, ``_signals_page``).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any, TypeVar

import msgspec

from ._actions import Action, InputDetails, ScrollDetails
from ._signal import Signal, SignalKind
from ._signal_config import DEFAULT_SIGNAL_CONFIG, SignalConfig, ThrashConfig
from ._tape import PointerRecord, Tape

__all__ = [
    "ActiveTime",
    "ActivitySegment",
    "active_time",
    "activity_instants",
    "detect_idle",
    "detect_thrashed_cursor",
]

# Sources whose MutationRecord marks a MediaInteraction (rrweb source 7), an active source
# for PostHog that the tape's activity flags do not include.
_MEDIA_SOURCE = 7


class ActivitySegment(msgspec.Struct, frozen=True, kw_only=True):
    """A stretch of the replay, active (someone was doing something) or not; epoch ms."""

    start: int
    end: int
    active: bool

    @property
    def duration_ms(self) -> int:
        """``end - start``."""
        return self.end - self.start


class ActiveTime(msgspec.Struct, frozen=True, kw_only=True):
    """Active vs wall time of one replay (PostHog ``active_milliseconds``, §12).

    ``wall_ms`` = last − first event timestamp (after the decoder's outlier repair);
    ``active_ms`` = the summed length of the active segments, a zero-length one counting
    1 ms; ``idle_ms`` = ``wall_ms - active_ms`` (never negative). ``segments`` alternate
    between active and inactive stretches, for skipping idle parts in a player.
    """

    active_ms: int
    idle_ms: int
    wall_ms: int
    segments: tuple[ActivitySegment, ...] = ()
    threshold_ms: int = 5000


def _promoted(tape: Tape, selection_active: bool) -> Counter[int]:
    """Times of passive-flagged events that are active for this definition.

    MediaInteraction is one of PostHog's active sources; the tape keeps it as a
    MutationRecord with ``source=7``. Mixpanel's SDK also counts Selection.
    """
    times: Counter[int] = Counter(m.t for m in tape.mutations if m.source == _MEDIA_SOURCE)
    if selection_active:
        times.update(tape.selections)
    return times


def active_time(tape: Tape, config: SignalConfig | None = None) -> ActiveTime:
    """Active time the way PostHog's ingestion computes ``active_milliseconds`` (§12).

    Walk every event in time order, L = the time of the last active event (mouse move,
    mouse interaction, scroll, viewport resize, input, touch move, media interaction,
    drag). A new segment starts at the first event; when the current segment is inactive
    and an active event arrives; or when it is active and an event comes more than
    ``activity_threshold_ms`` (5000) after L (L read *before* the event updates it). A
    segment is active if its first event is; every event moves its end.

    Like PostHog's ingestion, all windows (tabs) of the replay are walked as one stream.
    """
    cfg = (config or DEFAULT_SIGNAL_CONFIG).active_time
    threshold = cfg.activity_threshold_ms
    events = sorted(tape.activity, key=lambda e: e[0])  # stable: stream order within a ms
    promote = _promoted(tape, cfg.selection_active)
    if promote:
        # An active event already at that ms makes the promotion moot (and keeps this exact
        # should the tape start flagging media as active itself).
        for t, active in events:
            if active and promote.get(t):
                promote[t] -= 1
    segments: list[ActivitySegment] = []
    seg_start = seg_end = 0
    seg_active = False
    have_segment = False
    last_active = 0
    for t, flagged in events:
        active = flagged
        if not active and promote.get(t):
            promote[t] -= 1
            active = True
        new = (
            not have_segment
            or (active and not seg_active)
            or (seg_active and last_active + threshold < t)
        )
        if active:
            last_active = t
        if new:
            if have_segment:
                segments.append(ActivitySegment(start=seg_start, end=seg_end, active=seg_active))
            seg_start = seg_end = t
            seg_active = active
            have_segment = True
        else:
            seg_end = t
    if have_segment:
        segments.append(ActivitySegment(start=seg_start, end=seg_end, active=seg_active))
    first = (
        tape.first_timestamp
        if tape.first_timestamp is not None
        else (events[0][0] if events else 0)
    )
    last = (
        tape.last_timestamp
        if tape.last_timestamp is not None
        else (events[-1][0] if events else first)
    )
    wall = max(0, last - first)
    active_ms = sum(max(1, s.end - s.start) for s in segments if s.active)
    return ActiveTime(
        active_ms=active_ms,
        idle_ms=max(0, wall - active_ms),
        wall_ms=wall,
        segments=tuple(segments),
        threshold_ms=threshold,
    )


def activity_instants(tape: Tape) -> list[int]:
    """Sorted instants at which someone did something (§11).

    The events of PostHog's active sources at their timestamps, plus every mouse/touch/drag
    position at its own time (a batched MouseMove carries positions up to a second older
    than the event), minus the scrolls the page made itself (``programmatic``).
    """
    instants = [t for t, active in tape.activity if active]
    instants.extend(m.t for m in tape.mutations if m.source == _MEDIA_SOURCE)
    instants.extend(p.t for p in tape.pointer if p.kind in ("move", "touch", "drag"))
    instants.sort()
    programmatic = Counter(s.t for s in tape.scrolls if s.programmatic)
    if not programmatic:
        return instants
    kept: list[int] = []
    for t in instants:
        if programmatic.get(t):
            programmatic[t] -= 1  # drop one instant: that scroll event's own
            continue
        kept.append(t)
    return kept


def detect_idle(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """``idle`` and ``long_pause`` signals (§11).

    - ``idle``: consecutive activity instants (:func:`activity_instants`) at least
      ``idle.idle_ms`` (30 s) apart. ``timestamp`` is the last activity before the gap,
      ``end_timestamp`` the first after it. 30 s is PostHog's ingestion inactivity
      feature (gaps > 30 s); posthog-js and Sentry go idle after 5 min (their presets).
    - ``long_pause``: consecutive *user actions* (clicks, inputs, selects, toggles, user
      scrolls, selections, navigations; ``idle.pause_kinds``) at least ``idle.pause_ms``
      (10 s, the seed's ``long_pauses``) apart, measured from the end of a burst (typing,
      scrolling) to the start of the next action.

    A long pause that overlaps an idle gap is not reported: one gap, one signal (the
    idle one, which also says the mouse was still).

    A gap that runs into the end of the recording has no known length: it is left out
    unless ``idle.count_open_ended`` (then ``details["open_ended"]`` is True). A gap from
    the first event to the first activity is a real, bounded gap (``leading``).

    Idleness is a property of the person, not of a tab: activity in any window ends it,
    so gaps are measured over all windows together. ``details``: ``duration_ms``,
    ``threshold_ms``, ``open_ended``, ``leading``, ``before``/``after`` (the kinds and
    labels of the user actions around the gap). ``evidence``: those actions' ``seq``.
    """
    cfg = config.idle
    start = replay_start(actions, tape)
    end = tape.last_timestamp
    user = sorted(
        (a for a in actions if a.kind in cfg.pause_kinds and is_user_action(a)),
        key=lambda a: (a.timestamp, a.seq),
    )
    out: list[Signal] = []
    # Looked up per gap: sorted once (a scan of every action per gap was quadratic).
    by_time = _ActionsByTime(actions)
    user_times = [a.timestamp for a in user]
    instants = activity_instants(tape)
    gaps: list[tuple[int, int, bool, bool]] = []  # (start, end, open_ended, leading)
    if instants:
        if start is not None and instants[0] - start >= cfg.idle_ms:
            gaps.append((start, instants[0], False, True))
        gaps.extend((a, b, False, False) for a, b in pairwise(instants) if b - a >= cfg.idle_ms)
        if end is not None and end - instants[-1] >= cfg.idle_ms:
            gaps.append((instants[-1], end, True, False))
    elif start is not None and end is not None and end - start >= cfg.idle_ms:
        gaps.append((start, end, True, True))
    for g_start, g_end, open_ended, leading in gaps:
        if open_ended and not cfg.count_open_ended:
            continue
        out.append(
            _gap_signal(
                replay_id,
                "idle",
                g_start,
                g_end,
                cfg.idle_ms,
                open_ended,
                leading,
                by_time,
                user,
                user_times,
                start,
                config,
            )
        )
    last_end: int | None = None
    for action in user:
        if last_end is not None and action.timestamp - last_end >= cfg.pause_ms:
            out.append(
                _gap_signal(
                    replay_id,
                    "long_pause",
                    last_end,
                    action.timestamp,
                    cfg.pause_ms,
                    False,
                    False,
                    by_time,
                    user,
                    user_times,
                    start,
                    config,
                )
            )
        a_end = action_end(action)
        last_end = a_end if last_end is None else max(last_end, a_end)
    if (
        cfg.count_open_ended
        and last_end is not None
        and end is not None
        and end - last_end >= cfg.pause_ms
    ):
        out.append(
            _gap_signal(
                replay_id,
                "long_pause",
                last_end,
                end,
                cfg.pause_ms,
                True,
                False,
                by_time,
                user,
                user_times,
                start,
                config,
            )
        )
    # One gap, one signal: a long pause that spans an idle gap is the same stillness, and
    # the idle signal (no activity at all) says more.
    idle = [
        (sig.timestamp, sig.end_timestamp or sig.timestamp) for sig in out if sig.kind == "idle"
    ]
    if idle:
        out = [
            sig
            for sig in out
            if sig.kind != "long_pause"
            or not any(
                a < (sig.end_timestamp or sig.timestamp) and b > sig.timestamp for a, b in idle
            )
        ]
    return out


def _describe(action: Action | None) -> dict[str, Any] | None:
    if action is None:
        return None
    return {"seq": action.seq, "kind": action.kind, "label": action.label}


def _gap_signal(
    replay_id: str,
    kind: SignalKind,
    g_start: int,
    g_end: int,
    threshold: int,
    open_ended: bool,
    leading: bool,
    by_time: _ActionsByTime,
    user: Sequence[Action],
    times: Sequence[int],
    start: int | None,
    config: SignalConfig,
) -> Signal:
    i = bisect_right(times, g_start) - 1
    j = bisect_left(times, g_end)
    before = user[i] if i >= 0 else None
    after = user[j] if j < len(user) and not open_ended else None
    context = by_time.latest(g_start)
    return make_signal(
        replay_id,
        kind,
        g_start,
        start,
        config,
        end=g_end,
        url=context.url if context else None,
        document=context.document if context else 1,
        window_id=context.window_id if context else None,
        evidence=tuple(a.seq for a in (before, after) if a is not None),
        details={
            "duration_ms": g_end - g_start,
            "threshold_ms": threshold,
            "open_ended": open_ended,
            "leading": leading,
            "before": _describe(before),
            "after": _describe(after),
        },
    )


# --- thrashing cursor -------------------------------------------------------------------


def detect_thrashed_cursor(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """``thrashed_cursor`` episodes: the mouse jerked back and forth (§10).

    Mouse positions (not touch, not drag, none while a button is held) at their real
    times, per window and document. On each axis, consecutive samples moving the same way
    form a leg; legs shorter than ``thrash.min_leg_px`` (20 px) are dropped; a reversal is
    a kept leg going the other way from the previous kept one. An episode is a stretch
    with ≥ ``min_reversals`` (4) reversals on one axis within ``window_ms`` (1000 ms) and a
    mean pointer speed ≥ ``min_speed_px_ms`` (0.3 px/ms) between its first and last
    reversal; overlapping stretches merge. The definition follows OpenReplay's tracker
    (> 4 horizontal changes per 225 ms, its ``openreplay`` preset) loosened for rrweb's
    ≥ 50 ms mouse sampling.

    ``details``: ``reversals`` (per axis), ``mean_speed_px_ms``, the thresholds.
    ``evidence``: actions of that window and document during the episode.
    """
    start = replay_start(actions, tape)
    by_window: dict[str | None, list[PointerRecord]] = defaultdict(list)
    for r in tape.pointer:
        by_window[r.window_id].append(r)
    out: list[Signal] = []
    by_time = _ActionsByTime(actions)
    for window_id, records in by_window.items():
        out.extend(_thrash_in_window(replay_id, by_time, records, window_id, start, config))
    return out


def _pressed_spans(records: Iterable[PointerRecord]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    down: int | None = None
    for r in records:
        if r.kind == "down":
            if down is not None:
                spans.append((down, r.t))  # a lost MouseUp: end the press at the next one
            down = r.t
        elif r.kind == "up" and down is not None:
            spans.append((down, r.t))
            down = None
    if down is not None:
        spans.append((down, 2**62))
    return spans


def _reversals(ts: Sequence[int], vs: Sequence[float], min_leg: float) -> list[int]:
    """Times at which a kept leg starts going the other way on one axis."""
    legs: list[tuple[int, int, float]] = []  # (sign, start t, length)
    sign = 0
    start_t = ts[0] if ts else 0
    start_v = vs[0] if vs else 0.0
    for k in range(1, len(ts)):
        d = vs[k] - vs[k - 1]
        if d == 0:
            continue
        s = 1 if d > 0 else -1
        if s != sign:
            if sign:
                legs.append((sign, start_t, abs(vs[k - 1] - start_v)))
            sign, start_t, start_v = s, ts[k - 1], vs[k - 1]
    if sign and ts:
        legs.append((sign, start_t, abs(vs[-1] - start_v)))
    out: list[int] = []
    previous = 0
    for s, t, length in legs:
        if length < min_leg:
            continue
        if previous and s != previous:
            out.append(t)
        previous = s
    return out


def _thrash_in_window(
    replay_id: str,
    by_time: _ActionsByTime,
    records: list[PointerRecord],
    window_id: str | None,
    start: int | None,
    config: SignalConfig,
) -> list[Signal]:
    cfg = config.thrash
    out: list[Signal] = []
    records.sort(key=lambda r: r.t)
    spans = _pressed_spans(records)
    span_starts = [s for s, _ in spans]
    by_doc: dict[int, list[PointerRecord]] = defaultdict(list)
    for r in records:
        if r.kind != "move":
            continue
        k = bisect_right(span_starts, r.t) - 1
        if k >= 0 and spans[k][0] <= r.t <= spans[k][1]:
            continue  # button held: a drag or a text selection, not thrashing
        by_doc[r.document].append(r)
    for document, moves in sorted(by_doc.items()):
        for ep_start, ep_end, info in _episodes(moves, cfg):
            context = by_time.latest(ep_start, window_id=window_id, any_window=False)
            evidence = by_time.seqs_between(window_id, document, ep_start, ep_end)
            out.append(
                make_signal(
                    replay_id,
                    "thrashed_cursor",
                    ep_start,
                    start,
                    config,
                    end=ep_end,
                    url=context.url if context else None,
                    document=document,
                    window_id=window_id,
                    evidence=evidence,
                    details={
                        **info,
                        "window_ms": cfg.window_ms,
                        "min_reversals": cfg.min_reversals,
                        "min_leg_px": cfg.min_leg_px,
                        "min_speed_px_ms": cfg.min_speed_px_ms,
                    },
                )
            )
    return out


def _episodes(
    moves: Sequence[PointerRecord], cfg: ThrashConfig
) -> list[tuple[int, int, dict[str, Any]]]:
    if len(moves) < 3:
        return []
    ts = [m.t for m in moves]
    # Path length so far at each sample, for mean speed over any stretch.
    cum = [0.0]
    for p, q in pairwise(moves):
        cum.append(cum[-1] + math.hypot(q.x - p.x, q.y - p.y))

    def speed(a: int, b: int) -> float:
        if b <= a:
            return 0.0
        i = bisect_left(ts, a)
        j = bisect_right(ts, b) - 1
        return (cum[j] - cum[i]) / (b - a) if j > i else 0.0

    per_axis: dict[str, list[int]] = {}
    stretches: list[tuple[int, int]] = []
    for axis in cfg.axes:
        values = [m.x if axis == "x" else m.y for m in moves]
        revs = _reversals(ts, values, cfg.min_leg_px)
        per_axis[axis] = revs
        need = max(1, cfg.min_reversals)
        for i in range(len(revs) - need + 1):
            a, b = revs[i], revs[i + need - 1]
            if b - a <= cfg.window_ms and speed(a, b) >= cfg.min_speed_px_ms:
                stretches.append((a, b))
    stretches.sort()
    merged: list[list[int]] = []
    for a, b in stretches:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[tuple[int, int, dict[str, Any]]] = []
    for a, b in merged:
        reversals = {
            axis: bisect_right(revs, b) - bisect_left(revs, a) for axis, revs in per_axis.items()
        }
        out.append((a, b, {"reversals": reversals, "mean_speed_px_ms": round(speed(a, b), 3)}))
    return out


# --- helpers shared with the other page-level modules -----------------------------------

USER_ACTION_KINDS = frozenset(
    {"click", "input", "select", "toggle", "scroll", "selection", "navigation"}
)


def is_user_action(action: Action) -> bool:
    """A person did it (§0 "User actions"); scrolls the page made itself are not."""
    if action.kind not in USER_ACTION_KINDS:
        return False
    details = action.details
    return not (isinstance(details, ScrollDetails) and details.programmatic)


def action_end(action: Action) -> int:
    """Epoch ms at which an action ended: bursts (typing, scrolling) end later than they
    start."""
    details = action.details
    if isinstance(details, InputDetails | ScrollDetails) and details.t_end_ms > action.t_ms:
        return action.timestamp + (details.t_end_ms - action.t_ms)
    return action.timestamp


def replay_start(actions: Sequence[Action], tape: Tape) -> int | None:
    """The replay's first timestamp: the tape's, else what an action's ``t_ms`` implies."""
    if tape.first_timestamp is not None:
        return tape.first_timestamp
    for action in actions:
        return action.timestamp - action.t_ms
    return None


class _ActionsByTime:
    """A replay's actions sorted once by time, for the lookups each gap or episode makes.

    :func:`latest_action` and a filter over every action per signal made the detectors
    quadratic on long recordings; these answer the same questions by bisection.
    """

    def __init__(self, actions: Sequence[Action]) -> None:
        self._actions = actions
        # Stable sort on (timestamp, seq): among equal keys the later one in `actions`
        # comes last, which is the one `latest_action` keeps (it compares with >=).
        order = sorted(range(len(actions)), key=lambda i: (actions[i].timestamp, actions[i].seq))
        with_url = [i for i in order if actions[i].url is not None]
        self._any_url = self._runs({None: with_url})[None]
        self._with_url = self._runs(_group(with_url, lambda i: actions[i].window_id))
        self._by_page = self._runs(
            _group(order, lambda i: (actions[i].window_id, actions[i].document))
        )

    def _runs(self, groups: dict[_K, list[int]]) -> dict[_K, tuple[list[int], list[int]]]:
        """Each group's indices with their timestamps beside them, for bisection."""
        return {k: (v, [self._actions[i].timestamp for i in v]) for k, v in groups.items()}

    def latest(
        self, t: int, *, window_id: str | None = None, any_window: bool = True
    ) -> Action | None:
        """What :func:`latest_action` returns, by bisection."""
        indices, stamps = self._any_url if any_window else self._with_url.get(window_id, _NONE)
        k = bisect_right(stamps, t) - 1
        return self._actions[indices[k]] if k >= 0 else None

    def seqs_between(
        self, window_id: str | None, document: int, t0: int, t1: int
    ) -> tuple[int, ...]:
        """``seq`` of the actions of one window and document in ``[t0, t1]``, in list order."""
        indices, stamps = self._by_page.get((window_id, document), _NONE)
        found = sorted(indices[bisect_left(stamps, t0) : bisect_right(stamps, t1)])
        return tuple(self._actions[i].seq for i in found)


_K = TypeVar("_K")
_NONE: tuple[list[int], list[int]] = ([], [])


def _group(indices: list[int], key: Callable[[int], _K]) -> dict[_K, list[int]]:
    groups: dict[_K, list[int]] = defaultdict(list)
    for i in indices:
        groups[key(i)].append(i)
    return groups


def latest_action(
    actions: Sequence[Action], t: int, *, window_id: str | None = None, any_window: bool = True
) -> Action | None:
    """The last action at or before ``t`` that knows its URL (in ``window_id`` unless
    ``any_window``)."""
    best: Action | None = None
    for action in actions:
        if action.timestamp > t or action.url is None:
            continue
        if not any_window and action.window_id != window_id:
            continue
        if best is None or (action.timestamp, action.seq) >= (best.timestamp, best.seq):
            best = action
    return best


def make_signal(
    replay_id: str,
    kind: SignalKind,
    t: int,
    start: int | None,
    config: SignalConfig,
    *,
    end: int | None = None,
    url: str | None = None,
    document: int = 1,
    window_id: str | None = None,
    evidence: tuple[int, ...] = (),
    target: str | None = None,
    label: str | None = None,
    details: dict[str, Any] | None = None,
) -> Signal:
    """A :class:`Signal` with ``t_ms`` from the replay start and the config's preset."""
    return Signal(
        replay_id=replay_id,
        kind=kind,
        timestamp=t,
        t_ms=max(0, t - start) if start is not None else 0,
        end_timestamp=end,
        duration_ms=None if end is None else max(0, end - t),
        target=target,
        label=label,
        url=url,
        document=document,
        window_id=window_id,
        evidence=evidence,
        preset=config.preset,
        details=details or {},
    )
