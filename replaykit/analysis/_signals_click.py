"""Click frustration signals: rage, dead, slow and error clicks.

Each detector is ``detect_x(replay_id, actions, tape, config) -> list[Signal]`` over a
finished replay (its actions and :class:`~replaykit.analysis._tape.Tape`). Definitions and
defaults are replaykit's from ``frustration-signals.md`` (§2 rage, §3 dead, §4 slow, §5
error click), with each product's numbers available as a preset
(:data:`~replaykit.analysis._signal_config.PRESETS`). Every signal lists the click
``seq`` s it is about in ``evidence`` and the measured values plus the thresholds applied
in ``details``. Detectors never raise on odd input: clicks without positions, unknown
targets or empty tapes simply produce fewer signals.

How the four relate (§3–§5): an error is attributed to the latest click at most 2 s before
it, making that click an *error click*; an error click is never dead; a dead click is
judged one by one (rage-burst members too, flagged ``in_rage``); a slow click is one that
is neither dead nor an error click.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from ._actions import Action, ClickDetails
from ._effects import (
    NavMark,
    first_input,
    first_mutation,
    first_navigation,
    first_scroll,
    first_selection,
    is_request,
    navigations_from_actions,
    url_path,
)
from ._signal import Signal
from ._signal_config import DeadClickConfig, RageClickConfig, SignalConfig
from ._tape import ConsoleRecord, NetworkRecord, Tape

__all__ = [
    "detect_dead_clicks",
    "detect_error_clicks",
    "detect_rage_clicks",
    "detect_slow_clicks",
]

# Buttons that are a press on the page: a lone DblClick (no Click before it) and a tap
# count; a context menu is its own gesture (§0).
_PRESS_BUTTONS = frozenset({"click", "dblclick", "tap"})
# A press more than this before its click belongs to another gesture (old recorders may
# not report MouseDown at all).
_MAX_PRESS_MS = 5_000
_SENTRY_INPUT_TYPES = frozenset({"submit", "button"})


class _Click:
    """A click action with the fields the detectors read, unpacked once."""

    __slots__ = ("action", "details", "document", "node_id", "t", "window_id", "x", "y")

    def __init__(self, action: Action, details: ClickDetails) -> None:
        self.action = action
        self.details = details
        self.t = action.timestamp
        self.document = action.document
        self.window_id = action.window_id
        self.node_id = action.node_id
        self.x = details.x
        self.y = details.y


def _clicks(actions: Sequence[Action]) -> list[_Click]:
    out = [
        _Click(a, a.details)
        for a in actions
        if isinstance(a.details, ClickDetails) and a.details.button in _PRESS_BUTTONS
    ]
    out.sort(key=lambda c: (c.t, c.action.seq))
    return out


def _t_ms(tape: Tape, actions: Sequence[Action], t: int) -> int:
    first = tape.first_timestamp
    if first is None:
        first = min((a.timestamp - a.t_ms for a in actions), default=t)
    return max(0, t - first)


def _signal(
    replay_id: str,
    kind: Any,
    click: _Click,
    config: SignalConfig,
    details: dict[str, Any],
    *,
    evidence: tuple[int, ...] | None = None,
    end: int | None = None,
    target: tuple[str | None, str | None] | None = None,
) -> Signal:
    a = click.action
    return Signal(
        replay_id=replay_id,
        kind=kind,
        timestamp=a.timestamp,
        t_ms=a.t_ms,
        end_timestamp=end,
        duration_ms=None if end is None else end - a.timestamp,
        target=a.target if target is None else target[0],
        label=a.label if target is None else target[1],
        url=a.url,
        document=a.document,
        window_id=a.window_id,
        evidence=evidence if evidence is not None else (a.seq,),
        preset=config.preset,
        details=details,
    )


# --- error attribution (§5) ----------------------------------------------------------------


def _is_error(record: ConsoleRecord, levels: Sequence[str]) -> bool:
    return record.uncaught or record.level in levels


def _attribute_errors(
    clicks: Sequence[_Click], tape: Tape, config: SignalConfig
) -> dict[int, list[ConsoleRecord | NetworkRecord]]:
    """Errors per click ``seq``: each error goes to the latest click at most
    ``error_click.window_ms`` before it, in the same tab and document (§5)."""
    cfg = config.error_click
    out: dict[int, list[ConsoleRecord | NetworkRecord]] = {}
    if not clicks:
        return out
    times = [c.t for c in clicks]

    def latest(t: float, document: int, window_id: str | None) -> _Click | None:
        """The latest click at or before ``t`` in the tab and document, within the window."""
        i = bisect_right(times, t) - 1
        while i >= 0:
            c = clicks[i]
            if t - c.t > cfg.window_ms:
                return None
            if c.document == document and c.window_id == window_id:
                return c
            i -= 1
        return None

    for record in tape.console:
        if _is_error(record, cfg.levels):
            owner = latest(record.t, record.document, record.window_id)
            if owner is not None:
                out.setdefault(owner.action.seq, []).append(record)
    if cfg.include_network:
        slow = config.slow
        for request in tape.network:
            failed = request.status is None and request.from_wrapper
            bad = request.status is not None and request.status >= config.network.error_status
            if request.start is None or not (failed or bad) or not is_request(request):
                continue
            # Only a request the click triggered (§4's window) is the click's error.
            owner = latest(
                request.start + slow.request_before_ms, request.document, request.window_id
            )
            if owner is None:
                continue
            offset = request.start - owner.t
            if -slow.request_before_ms <= offset <= slow.request_after_ms:
                out.setdefault(owner.action.seq, []).append(request)
    return out


def detect_error_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Error clicks (§5): clicks followed by a JavaScript error they most likely caused.

    Each console ``error``/``assert`` record and uncaught exception is attributed to the
    **latest** click (or tap) preceding it by at most ``error_click.window_ms`` (2000 ms;
    Datadog keeps the action open up to 10 s, PostHog's features use 5 s) in the same tab
    and document; a click with at least one error is one error click. With
    ``include_network`` a request the click triggered that failed or returned ≥ 400 also
    counts (off by default: a 404 the page handles is a network error, not an error
    click). ``details``: ``message`` (the uncaught one if any, else the first),
    ``messages``, ``errors``, ``first_error_ms``, ``window_ms``.
    """
    clicks = _clicks(actions)
    owners = _attribute_errors(clicks, tape, config)
    out: list[Signal] = []
    for c in clicks:
        errors = owners.get(c.action.seq)
        if not errors:
            continue
        messages: list[str] = []
        uncaught: str | None = None
        for e in errors:
            if isinstance(e, ConsoleRecord):
                messages.append(e.message)
                if e.uncaught and uncaught is None:
                    uncaught = e.message
            else:
                status = e.status if e.status is not None else "failed"
                messages.append(f"{e.method} {url_path(e.url)} {status}")
        first = min(e.t for e in errors)
        out.append(
            _signal(
                replay_id,
                "error_click",
                c,
                config,
                {
                    "message": _strip_uncaught(uncaught or messages[0]),
                    "messages": messages[:10],
                    "errors": len(errors),
                    "first_error_ms": max(0, first - c.t),
                    "window_ms": config.error_click.window_ms,
                },
            )
        )
    return out


def _strip_uncaught(message: str) -> str:
    """``Uncaught TypeError: x`` → ``x``... keeps the error class: ``TypeError: x``."""
    for prefix in ("Uncaught (in promise) ", "Uncaught "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


# --- dead clicks (§3) ----------------------------------------------------------------------


def _is_candidate(c: _Click, cfg: DeadClickConfig) -> bool:
    d = c.details
    kind = d.target_kind
    if cfg.candidates == "sentry":
        # Sentry's click detector: only a, button and input[type=submit|button]; links
        # that download or open elsewhere are skipped.
        if d.tag == "button":
            return kind != "blocked"
        if d.tag == "a":
            return kind == "link"
        return d.tag == "input" and (d.input_type or "") in _SENTRY_INPUT_TYPES
    if kind == "link":
        return cfg.links
    return kind == "control"


class _Context:
    """Per-replay lookups shared by the click detectors (built once per call)."""

    def __init__(self, actions: Sequence[Action], tape: Tape, config: SignalConfig) -> None:
        self.tape = tape
        self.config = config
        self.clicks = _clicks(actions)
        self.click_times = [c.t for c in self.clicks]
        self.navs: list[NavMark] = navigations_from_actions(actions)
        self.errors = _attribute_errors(self.clicks, tape, config)
        self.end = tape.last_timestamp
        if self.end is None:
            self.end = max((a.timestamp for a in actions), default=None)
        # MouseDown/TouchStart times per (window, document), to tell a click that ended a
        # text-selection press (pointer records are not time-sorted: moves carry offsets).
        self.presses: dict[tuple[str | None, int], list[int]] = {}
        for p in tape.pointer:
            if p.kind == "down":
                self.presses.setdefault((p.window_id, p.document), []).append(p.t)
        for times in self.presses.values():
            times.sort()
        self.requests = sorted(
            (r for r in tape.network if r.start is not None and is_request(r)),
            key=lambda r: r.start or 0.0,
        )
        self.request_starts = [r.start or 0.0 for r in self.requests]

    def pressed_selection(self, c: _Click) -> bool:
        """Whether the press that ended in this click changed the text selection."""
        times = self.presses.get((c.window_id, c.document), [])
        i = bisect_right(times, c.t) - 1
        if i < 0 or c.t - times[i] > _MAX_PRESS_MS:
            return False
        return first_selection(self.tape, times[i], c.t) is not None

    def requests_in(self, lo: float, hi: float, c: _Click) -> list[NetworkRecord]:
        i = bisect_left(self.request_starts, lo)
        out: list[NetworkRecord] = []
        while i < len(self.requests) and self.request_starts[i] <= hi:
            r = self.requests[i]
            if r.window_id == c.window_id and r.document == c.document:
                out.append(r)
            i += 1
        return out

    def reaction(self, c: _Click, cfg: DeadClickConfig) -> tuple[str, int] | None:
        """The first reaction within the dead-click windows (§3 step 3), as (kind, ms)."""
        t, w, tape = c.t, c.window_id, self.tape
        found: list[tuple[int, str]] = []
        m = first_mutation(tape, t, t + cfg.timeout_ms, w, structural_only=cfg.ignore_ambient)
        if m is not None:
            found.append((m.t, "mutation"))
        i = first_input(tape, t, t + cfg.timeout_ms, w)
        if i is not None:
            found.append((i.t, "input"))
        n = first_navigation(self.navs, t, t + cfg.timeout_ms, w)
        if n is not None:
            found.append((n.t, "navigation"))
        s = first_scroll(tape, t, t + cfg.scroll_window_ms, w)
        if s is not None:
            found.append((s.t, "scroll"))
        sel = first_selection(tape, t, t + cfg.selection_window_ms)
        if sel is not None:
            found.append((sel, "selection"))
        if cfg.count_network:
            requests = self.requests_in(t, t + cfg.timeout_ms, c)
            if requests:
                found.append((math.floor(requests[0].start or t), "network"))
        if not found:
            return None
        when, kind = min(found)
        return kind, max(0, when - t)

    def left_page(self, c: _Click) -> bool:
        """Whether the click ended its document: a new document arrived within the
        slow-click timeout with no other click or input in the tab before it. A link or
        submit whose next page loads slowly is alive once that page arrives (§3 edge
        cases), not dead because the old page stood still meanwhile."""
        t, w = c.t, c.window_id
        nav = first_navigation(self.navs, t, t + self.config.slow.timeout_ms, w)
        if nav is None or nav.document <= c.document:
            return False
        i = bisect_right(self.click_times, t)
        while i < len(self.clicks) and self.clicks[i].t < nav.t:
            if self.clicks[i].window_id == w:
                return False
            i += 1
        changed = first_input(self.tape, t, nav.t, w)
        return changed is None or changed.t >= nav.t

    def later_reaction_ms(self, c: _Click, cfg: DeadClickConfig) -> int | None:
        """The first DOM change after the dead window (up to the slow-click timeout)."""
        t, w = c.t, c.window_id
        horizon = t + max(self.config.slow.timeout_ms, self.config.effect.window_ms)
        times = [
            r.t
            for r in (
                first_mutation(self.tape, t, horizon, w, structural_only=cfg.ignore_ambient),
                first_input(self.tape, t, horizon, w),
                first_navigation(self.navs, t, horizon, w),
            )
            if r is not None
        ]
        return min(times) - t if times else None

    def dead(self, cfg: DeadClickConfig) -> dict[int, dict[str, Any]]:
        """Dead clicks by ``seq``, with their details (before rage flags)."""
        out: dict[int, dict[str, Any]] = {}
        last_on_node: dict[tuple[str | None, int, int], int] = {}
        for c in self.clicks:
            key = (c.window_id, c.document, c.node_id if c.node_id is not None else -1)
            previous = last_on_node.get(key)
            last_on_node[key] = c.t
            if not _is_candidate(c, cfg):
                continue
            if (
                cfg.merge_same_node_ms
                and previous is not None
                and c.node_id is not None
                and c.t - previous <= cfg.merge_same_node_ms
            ):
                continue  # a repeat of the click just judged (Sentry/PostHog merge these)
            if c.action.seq in self.errors:
                continue  # an error click, not a dead one (§3 step 2)
            if self.pressed_selection(c):
                continue  # the press selected text: the selection is the effect
            if self.reaction(c, cfg) is not None or self.left_page(c):
                continue
            if self.end is None or self.end < c.t + cfg.timeout_ms:
                continue  # the recording stopped before the window closed: undetermined
            out[c.action.seq] = {
                "target_kind": c.details.target_kind,
                "first_reaction_ms": self.later_reaction_ms(c, cfg),
                "timeout_ms": cfg.timeout_ms,
                "scroll_window_ms": cfg.scroll_window_ms,
                "selection_window_ms": cfg.selection_window_ms,
                "count_network": cfg.count_network,
            }
        return out


def detect_dead_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Dead clicks (§3): a click on something that should react, and nothing happened.

    *Candidates* are clicks whose target is an interactive control or a same-tab link
    (``ClickDetails.target_kind``; text-like fields, links that download or open
    elsewhere, blocked elements, the page background and plain content are not judged),
    that are not error clicks (§5) and whose press did not select text. A candidate is
    **alive** if, after it, the page mutates, any field gets an Input (a checkbox
    toggling) or the page navigates within ``dead.timeout_ms`` (2500 ms, PostHog's
    mutation window), scrolls within ``scroll_window_ms`` (300 ms, Sentry) or the
    selection changes within ``selection_window_ms`` (100 ms, PostHog); a later click is
    never a reaction. If the recording ends inside the window the click is undetermined
    and not reported. Presets: Sentry (7 s, a/button/input[submit] only), Datadog
    (100 ms, network counts), Mixpanel (500 ms), OpenReplay (1234 ms).

    Tab visibility changes (§3's ±1000 ms rule) are not on the tape yet, so they are not
    considered. With ``ignore_ambient`` only mutations adding or removing nodes count (the
    tape does not keep which nodes a mutation touched).

    ``details``: ``in_rage`` (part of a rage burst), ``first_reaction_ms`` (a change that
    came after the window, up to 7 s, else None), ``target_kind`` and the windows applied.
    """
    ctx = _Context(actions, tape, config)
    dead = ctx.dead(config.dead)
    if not dead:
        return []
    in_rage = {seq for burst in _rage_bursts(ctx, config.rage) for seq in burst.seqs}
    out: list[Signal] = []
    for c in ctx.clicks:
        details = dead.get(c.action.seq)
        if details is not None:
            out.append(
                _signal(
                    replay_id,
                    "dead_click",
                    c,
                    config,
                    {"in_rage": c.action.seq in in_rage, **details},
                )
            )
    return out


# --- rage clicks (§2) ----------------------------------------------------------------------


class _Burst:
    __slots__ = ("clicks", "seqs")

    def __init__(self, clicks: list[_Click]) -> None:
        self.clicks = clicks
        self.seqs = tuple(c.action.seq for c in clicks)


def _distance(a: _Click, b: _Click, cfg: RageClickConfig) -> float:
    if a.x is None or a.y is None or b.x is None or b.y is None:
        return math.inf
    dx, dy = abs(a.x - b.x), abs(a.y - b.y)
    return dx + dy if cfg.distance == "manhattan" else math.hypot(dx, dy)


def _same_target(a: _Click, b: _Click) -> bool:
    if a.node_id is not None and a.node_id == b.node_id:
        return True
    # A re-rendered control gets a new node id but keeps its selector and label.
    return (
        a.action.target is not None
        and a.action.target == b.action.target
        and a.action.label == b.action.label
    )


def _replaced_between(tape: Tape, start: int, end: int, window_id: str | None) -> bool:
    """Whether any node was removed between two times (so a target may have been replaced).

    The tape counts removals per mutation but not which nodes; when nothing was removed
    at all, the first target is certainly still on the page.
    """
    records = tape.mutations
    for i in range(bisect_left(records, start, key=lambda r: r.t), len(records)):
        r = records[i]
        if r.t > end:
            return False
        if r.removes and r.window_id == window_id:
            return True
    return False


def _extends(burst: list[_Click], c: _Click, cfg: RageClickConfig, tape: Tape) -> bool:
    first, last = burst[0], burst[-1]
    if c.document != first.document:
        return False  # a reload or new page between the clicks breaks the burst (§2)
    if c.t - last.t > cfg.max_gap_ms:
        return False
    if (
        cfg.max_span_ms is not None
        and cfg.window_clicks is None
        and c.t - first.t > cfg.max_span_ms
    ):
        return False
    if cfg.same_target and not _same_target(first, c):
        return False
    if cfg.group_by == "label":
        return c.action.label is not None and c.action.label == first.action.label
    anchor = first if cfg.anchor == "first" else last
    if _distance(anchor, c, cfg) > cfg.radius_px:
        return False
    # Two different live controls next to each other are two decisions, not one burst;
    # a control replaced at the same spot (re-render) is still the same thing to the user.
    return not (
        first.details.target_kind is not None
        and c.details.target_kind is not None
        and not _same_target(first, c)
        and not _replaced_between(tape, first.t, c.t, c.window_id)
    )


def _fits_window(burst: list[_Click], cfg: RageClickConfig) -> bool:
    """Datadog's rule: some ``window_clicks`` consecutive clicks within ``max_span_ms``."""
    k = cfg.window_clicks
    if k is None:
        return True
    span = cfg.max_span_ms if cfg.max_span_ms is not None else math.inf
    return any(burst[i + k - 1].t - burst[i].t <= span for i in range(len(burst) - k + 1))


def _is_rage(burst: list[_Click], ctx: _Context, cfg: RageClickConfig) -> bool:
    if len(burst) < cfg.min_clicks or not _fits_window(burst, cfg):
        return False
    first, last = burst[0], burst[-1]
    tape = ctx.tape
    if cfg.break_on_selection and first_selection(tape, first.t, last.t) is not None:
        return False  # double/triple-click text selection
    if cfg.break_on_scroll:
        scroll = first_scroll(tape, first.t, last.t, first.window_id, programmatic=False)
        if scroll is not None:
            return False  # the page moved under the pointer: not the same spot
    main = Counter(c.details.target_kind for c in burst).most_common(1)[0][0]
    if main == "text_field":
        return False  # clicking around inside a field (caret placement)
    ignore = {t.lower() for t in cfg.ignore_texts}
    for c in burst:
        label = (c.action.label or "").strip().lower()
        if label and label in ignore:
            return False  # pager/stepper controls are meant to be clicked fast
        if cfg.ignore_classes and c.details.opt_out:
            return False
    return True


def _rage_bursts(ctx: _Context, cfg: RageClickConfig) -> list[_Burst]:
    out: list[_Burst] = []
    by_window: dict[str | None, list[_Click]] = {}
    for c in ctx.clicks:
        by_window.setdefault(c.window_id, []).append(c)
    for clicks in by_window.values():  # never merge tabs
        burst: list[_Click] = []
        for c in clicks:
            if burst and _extends(burst, c, cfg, ctx.tape):
                burst.append(c)
            else:
                if _is_rage(burst, ctx, cfg):
                    out.append(_Burst(burst))
                burst = [c]
            if cfg.reset_after and len(burst) >= cfg.min_clicks:
                if _is_rage(burst, ctx, cfg):
                    out.append(_Burst(burst))
                burst = []  # Mixpanel's SDK fires at the n-th click and starts over
        if _is_rage(burst, ctx, cfg):
            out.append(_Burst(burst))
    out.sort(key=lambda b: b.clicks[0].t)
    return out


def detect_rage_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Rage clicks (§2): a burst of rapid clicks on the same spot, one signal per burst.

    Clicks join a burst while each comes at most ``rage.max_gap_ms`` (1000 ms, PostHog and
    Mixpanel) after the previous one, lies within ``radius_px`` (30 px, PostHog/Mixpanel)
    of the burst's first click (Euclidean), stays in the same document (a reload breaks
    it) and tab, and is not a different control next to a still-present first one (a
    control re-rendered at the same spot does not break it). A burst of at least
    ``min_clicks`` (3, PostHog) is rage unless the selection changed or the user scrolled
    during it, its main target is a text field, or it hit pager/stepper controls
    (``next``, ``+`` ...) or opted-out elements (PostHog's ignore lists). A double click
    inside a burst is already one click (the analyzer marks it ``double``). Presets:
    PostHog (Manhattan from the previous click), Mixpanel (4 clicks, reset after firing),
    Datadog (same target, 100 px, 3 within 1 s), Sentry (≥ 5 same-node dead clicks),
    OpenReplay/seed (same label).

    ``details``: ``clicks``, ``span_ms``, ``max_gap_ms_seen``, ``radius_px_seen``,
    ``target_kind`` and the thresholds applied; ``evidence`` holds every click's ``seq``.
    """
    ctx = _Context(actions, tape, config)
    cfg = config.rage
    bursts = _rage_bursts(ctx, cfg)
    if cfg.require_dead:
        dead = ctx.dead(config.dead)
        bursts = [b for b in bursts if b.seqs[0] in dead]
    out: list[Signal] = []
    for b in bursts:
        clicks = b.clicks
        first, last = clicks[0], clicks[-1]
        # Name the burst after the control hit most often.
        counts = Counter((c.action.target, c.action.label) for c in clicks)
        main_target = counts.most_common(1)[0][0]
        gaps = [y.t - x.t for x, y in pairwise(clicks)]
        spread = max((_distance(first, c, cfg) for c in clicks[1:]), default=0.0)
        details = {
            "clicks": len(clicks),
            "span_ms": last.t - first.t,
            "max_gap_ms_seen": max(gaps, default=0),
            "radius_px_seen": None if math.isinf(spread) else round(spread, 1),
            "target_kind": first.details.target_kind,
            "min_clicks": cfg.min_clicks,
            "max_gap_ms": cfg.max_gap_ms,
            "radius_px": cfg.radius_px,
            "distance": cfg.distance,
            "anchor": cfg.anchor,
        }
        out.append(
            _signal(
                replay_id,
                "rage_click",
                first,
                config,
                details,
                evidence=b.seqs,
                end=last.t,
                target=main_target,
            )
        )
    return out


# --- slow clicks (§4) ----------------------------------------------------------------------


def detect_slow_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Slow clicks (§4): the click worked, but its result took ``slow.slow_ms`` (1000 ms)
    or more (and less than ``timeout_ms``, 7000 ms: past that it is dead to Sentry).

    Judged for candidates (as for dead clicks) that are neither dead nor error clicks.
    With network data, the fetch/XHR requests starting within −50..+500 ms of the click
    are the ones it *triggered*; its latency is when the last of them ended
    (``start − click + duration``) and its visible effect (``t_effect``) is the first
    mutation within 1000 ms after that end (else the end). An immediate busy state (a
    spinner 3 ms after the click) is kept as ``first_feedback_ms`` and does not cancel
    slowness. Without a triggered request the latency is the delay to the first mutation,
    input or navigation (Sentry's model; the ``sentry`` preset always uses it, 3–7 s).

    ``details``: ``delay_ms`` (``t_effect`` − click), ``latency_ms`` (what was judged),
    ``t_effect``, ``first_feedback_ms``, ``request`` (method, url, status, duration_ms)
    when one was triggered, and the thresholds. The signal spans click → effect.
    """
    ctx = _Context(actions, tape, config)
    cfg = config.slow
    dead = ctx.dead(config.dead)
    out: list[Signal] = []
    for c in ctx.clicks:
        seq = c.action.seq
        if seq in dead or seq in ctx.errors or not _is_candidate(c, config.dead):
            continue
        measured = _latency(c, ctx)
        if measured is None:
            continue
        latency, t_effect, feedback, request = measured
        if not (cfg.slow_ms <= latency < cfg.timeout_ms):
            continue
        details: dict[str, Any] = {
            "delay_ms": t_effect - c.t,
            "latency_ms": latency,
            "t_effect": t_effect,
            "first_feedback_ms": feedback,
            "slow_ms": cfg.slow_ms,
            "timeout_ms": cfg.timeout_ms,
        }
        if request is not None:
            details["request"] = {
                "method": request.method,
                "url": url_path(request.url),
                "status": request.status,
                "duration_ms": round(request.duration or 0),
            }
        out.append(_signal(replay_id, "slow_click", c, config, details, end=t_effect))
    return out


def _latency(c: _Click, ctx: _Context) -> tuple[int, int, int | None, NetworkRecord | None] | None:
    """(latency, t_effect, first_feedback_ms, slowest triggered request) or None."""
    cfg = ctx.config.slow
    tape, t, w = ctx.tape, c.t, c.window_id
    horizon = t + cfg.timeout_ms
    first_change = [
        r.t
        for r in (
            first_mutation(tape, t, horizon, w),
            first_input(tape, t, horizon, w),
            first_navigation(ctx.navs, t, horizon, w),
        )
        if r is not None
    ]
    feedback = min(first_change) - t if first_change else None
    if cfg.use_network:
        triggered = [
            r
            for r in ctx.requests_in(t - cfg.request_before_ms, t + cfg.request_after_ms, c)
            if r.duration is not None or r.end is not None
        ]
        if triggered:

            def ended(r: NetworkRecord) -> float:
                if r.end is not None:
                    return r.end
                return (r.start or t) + (r.duration or 0.0)

            slowest = max(triggered, key=ended)
            end = ended(slowest)
            latency = round(end - t)
            after = first_mutation(
                tape, math.floor(end), math.floor(end) + cfg.effect_after_request_ms, w
            )
            t_effect = after.t if after is not None else round(end)
            return latency, t_effect, feedback, slowest
    if feedback is None:
        return None
    return feedback, t + feedback, feedback, None
