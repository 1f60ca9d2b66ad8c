"""Click frustration signals: rage, dead, slow and error clicks.

Each detector is ``detect_x(replay_id, actions, tape, config) -> list[Signal]`` over a
finished replay (its actions and :class:`~replaykit.analysis._tape.Tape`). Definitions and
defaults are replaykit's from ``frustration-signals.md`` (§2 rage, §3 dead, §4 slow, §5
error click), with each product's numbers available as a preset
(:data:`~replaykit.analysis._signal_config.PRESETS`). Every signal lists the click
``seq`` s it is about in ``evidence`` and the measured values plus the thresholds applied
in ``details``. Detectors never raise on odd input: clicks without positions, unknown
targets or empty tapes simply produce fewer signals.

How the four relate (§3–§5): what answered a click — errors, the navigation it caused,
the first DOM change outside the page's ambient activity — is decided once, by the
attribution rule (:func:`~replaykit.analysis._attribution.attribute_click`), and carried
on the click as its ``effect``; these detectors only apply each preset's thresholds to it,
so a timeline and its signals never disagree. An error within ``error_click.window_ms``
of a click, before the person's next action, makes it an *error click*; an error click is
never dead; a dead click is judged one by one (rage-burst members too, flagged
``in_rage``); a slow click is one that is neither dead nor an error click.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from ._actions import Action, ClickDetails, ClickEffect, EffectRequest
from ._attribution import attribute_click, boundaries_from_actions
from ._effects import (
    first_scroll,
    first_selection,
    navigations_from_actions,
)
from ._signal import Signal
from ._signal_config import DeadClickConfig, RageClickConfig, SignalConfig
from ._tape import Tape

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
# Screens of mobile (screenshot) recordings (`_mobile.SCREEN_URL_PREFIX`): their SDKs send a
# capture about once a second, so how fast a tap was answered cannot be measured.
_SCREEN_PREFIX = "app://"


class _Click:
    """A click action with the fields the detectors read, unpacked once."""

    __slots__ = (
        "action",
        "details",
        "document",
        "effect",
        "node_id",
        "t",
        "window_id",
        "x",
        "y",
    )

    def __init__(self, action: Action, details: ClickDetails) -> None:
        self.action = action
        self.details = details
        self.effect: ClickEffect = details.effect or ClickEffect()
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


def _effects(
    clicks: list[_Click], actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> None:
    """Give every click its effect: the analyzer's, or (for actions built elsewhere, e.g. by
    hand or from an older export) the same rule applied here, with time order alone."""
    missing = [c for c in clicks if c.details.effect is None]
    if not missing:
        return
    boundaries = boundaries_from_actions(actions, tape)
    navs = navigations_from_actions(actions)
    network = tape.network
    end = tape.last_timestamp
    if end is None:
        end = max((a.timestamp for a in actions), default=None)
    for c in missing:
        c.effect = attribute_click(
            c.action,
            tape,
            network=network,
            navigations=navs,
            boundaries=boundaries,
            config=config.effect,
            stream_end=end,
        )


class _Error:
    """An error attributed to a click: a console record or a failed triggered request."""

    __slots__ = ("message", "ms", "uncaught")

    def __init__(self, message: str, ms: int, uncaught: bool) -> None:
        self.message = message
        self.ms = ms
        self.uncaught = uncaught


def _attribute_errors(clicks: Sequence[_Click], config: SignalConfig) -> dict[int, list[_Error]]:
    """Errors per click ``seq``: those in the click's effect (the attribution rule: after
    the click, before the person's next action) within ``error_click.window_ms`` (§5)."""
    cfg = config.error_click
    out: dict[int, list[_Error]] = {}
    for c in clicks:
        found = [
            _Error(e.message, e.ms, e.uncaught) for e in c.effect.errors if e.ms <= cfg.window_ms
        ]
        if cfg.include_network:
            for r in c.effect.requests:
                bad = r.status is not None and r.status >= config.network.error_status
                if r.triggered and (r.failed or bad):
                    status = r.status if r.status is not None else "failed"
                    found.append(
                        _Error(f"{r.method} {r.path} {status}", max(0, r.start_ms or 0), False)
                    )
        if found:
            out[c.action.seq] = found
    return out


def detect_error_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Error clicks (§5): clicks followed by a JavaScript error they most likely caused.

    Each console ``error``/``assert`` record and uncaught exception belongs to the click
    whose effect window it falls in (after the click, before the person's next action in
    the tab — an error logged by the next click's handler is that click's, even at the
    same millisecond) and counts when it came within ``error_click.window_ms`` (2000 ms;
    PostHog's features use 5 s; Datadog's 10 s is capped by the 7 s effect window); a
    click with at least one error is one error click. With
    ``include_network`` a request the click triggered that failed or returned ≥ 400 also
    counts (off by default: a 404 the page handles is a network error, not an error
    click). ``details``: ``message`` (the uncaught one if any, else the first),
    ``messages``, ``errors``, ``first_error_ms``, ``window_ms``.
    """
    clicks = _clicks(actions)
    _effects(clicks, actions, tape, config)
    owners = _attribute_errors(clicks, config)
    out: list[Signal] = []
    for c in clicks:
        errors = owners.get(c.action.seq)
        if not errors:
            continue
        messages = [e.message for e in errors]
        uncaught = next((e.message for e in errors if e.uncaught), None)
        first_ms = min(e.ms for e in errors)
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
                    "first_error_ms": max(0, first_ms),
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


_NOT_JUDGED = frozenset({"text_field", "link_elsewhere", "blocked", "page"})


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
    if cfg.candidates == "clickable":
        # Anything a person pressed expecting a result; focus is a field's answer, a
        # link elsewhere answers outside the page, a blocked element is not recorded and
        # the page background is where people click to dismiss or deselect.
        return kind not in _NOT_JUDGED and d.button != "contextmenu"
    return kind == "control"


def _is_interactive(c: _Click) -> bool:
    return c.details.target_kind in ("control", "link")


class _Context:
    """Per-replay lookups shared by the click detectors (built once per call)."""

    def __init__(self, actions: Sequence[Action], tape: Tape, config: SignalConfig) -> None:
        self.tape = tape
        self.config = config
        self.clicks = _clicks(actions)
        _effects(self.clicks, actions, tape, config)
        self.errors = _attribute_errors(self.clicks, config)
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

    def pressed_selection(self, c: _Click) -> bool:
        """Whether the press that ended in this click changed the text selection."""
        times = self.presses.get((c.window_id, c.document), [])
        i = bisect_right(times, c.t) - 1
        if i < 0 or c.t - times[i] > _MAX_PRESS_MS:
            return False
        return first_selection(self.tape, times[i], c.t) is not None

    def reaction(self, c: _Click, cfg: DeadClickConfig) -> tuple[str, int] | None:
        """The first reaction within the dead-click windows (§3 step 3), as (kind, ms),
        read from the click's effect (the attribution rule decided what is its own)."""
        e = c.effect
        found: list[tuple[int, str]] = []
        if e.navigation_ms is not None:
            found.append((e.navigation_ms, "navigation"))  # caused by it, at any delay
        for ms, kind in ((e.mutation_ms, "mutation"), (e.input_ms, "input")):
            if ms is not None and ms <= cfg.timeout_ms:
                found.append((ms, kind))
        if cfg.count_ambient and e.ambient_ms is not None and e.ambient_ms <= cfg.timeout_ms:
            found.append((e.ambient_ms, "mutation"))
        if (
            e.reaction_kind == "scroll"
            and e.reaction_ms is not None
            and e.reaction_ms <= cfg.timeout_ms
        ):
            found.append((e.reaction_ms, "scroll"))
        if e.scroll_ms is not None and e.scroll_ms <= cfg.scroll_window_ms:
            found.append((e.scroll_ms, "scroll"))
        if e.selection_ms is not None and e.selection_ms <= cfg.selection_window_ms:
            found.append((e.selection_ms, "selection"))
        if cfg.count_network:
            starts = [r.start_ms for r in e.requests if r.start_ms is not None and r.start_ms >= 0]
            if starts and min(starts) <= cfg.timeout_ms:
                found.append((min(starts), "network"))
        if not found:
            return None
        ms, kind = min(found)
        return kind, max(0, ms)

    def undetermined(self, c: _Click, cfg: DeadClickConfig) -> bool:
        """The click cannot be judged: the recording stopped, or the person left the page
        (Back/Forward, a typed URL) before the timeout — a page that is gone cannot be
        seen to answer."""
        e = c.effect
        if (
            e.next_action in ("load", "back_forward")
            and e.next_action_ms is not None
            and e.next_action_ms < cfg.timeout_ms
        ):
            return True
        horizon = cfg.timeout_ms
        if e.next_action_ms is not None:
            horizon = min(horizon, e.next_action_ms)
        return self.end is None or self.end < c.t + horizon

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
            if self.reaction(c, cfg) is not None:
                continue
            if self.undetermined(c, cfg):
                continue
            e = c.effect
            later = e.reaction_ms if e.reaction_ms is not None else None
            out[c.action.seq] = {
                "target_kind": c.details.target_kind,
                "interactive": _is_interactive(c),
                "first_reaction_ms": later,
                "next_action": e.next_action,
                "next_action_ms": e.next_action_ms,
                "ambient_mutations_ignored": e.ambient_mutations_ignored,
                "because": e.because,
                "timeout_ms": cfg.timeout_ms,
                "scroll_window_ms": cfg.scroll_window_ms,
                "selection_window_ms": cfg.selection_window_ms,
                "count_network": cfg.count_network,
            }
        return out


def detect_dead_clicks(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Dead clicks (§3): a click that expected a result, and nothing answered it.

    *Candidates* (``dead.candidates``): in the ``replaykit`` preset every click except on
    text-like fields (focus is their answer), links that download or open elsewhere,
    blocked elements and the page background — controls and links, and also things that
    only look clickable (static text, headings, images, chart legend items: Clarity counts
    these, they mean "I expected this to do something"; the signal says
    ``interactive: false``); the product presets judge interactive targets only, and
    ``sentry`` only ``a``, ``button`` and ``input[type=submit|button]``. Error clicks (§5)
    and presses that selected text are never dead.

    A candidate is **alive** when its effect (the attribution rule: what came after it and
    before the person's next action in the tab) holds a navigation it caused, a DOM change
    outside the page's ambient activity or an Input within ``dead.timeout_ms`` (2500 ms,
    PostHog's mutation window), a scroll within ``scroll_window_ms`` (300 ms, Sentry) or a
    selection change within ``selection_window_ms`` (100 ms, PostHog). A click the person
    followed with another action before anything answered is dead: they moved on. If the
    recording ends before the click could be judged it is undetermined and not reported.
    Presets: Sentry (7 s), Datadog (100 ms, network counts), Mixpanel (500 ms),
    OpenReplay (1234 ms); the product presets count ambient changes as reactions, as their
    SDKs do. Tab visibility changes (§3's ±1000 ms rule) are not on the tape.

    ``details``: ``in_rage`` (part of a rage burst), ``interactive``, ``target_kind``,
    ``first_reaction_ms`` (an answer that came too late, else None), ``next_action`` and
    ``next_action_ms`` (what ended the window), ``ambient_mutations_ignored``,
    ``because`` and the windows applied.
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
    when one was triggered, and the thresholds. The signal spans click → effect. Taps in
    mobile screenshot recordings are never slow clicks: captures come about once a second.
    """
    ctx = _Context(actions, tape, config)
    cfg = config.slow
    dead = ctx.dead(config.dead)
    out: list[Signal] = []
    for c in ctx.clicks:
        seq = c.action.seq
        if seq in dead or seq in ctx.errors or not _is_candidate(c, config.dead):
            continue
        if (c.action.url or "").startswith(_SCREEN_PREFIX):
            continue  # a screenshot recording captures about once a second: no latency
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
                "url": request.path,
                "status": request.status,
                "duration_ms": request.duration_ms,
            }
        out.append(_signal(replay_id, "slow_click", c, config, details, end=t_effect))
    return out


def _latency(c: _Click, ctx: _Context) -> tuple[int, int, int | None, EffectRequest | None] | None:
    """(latency, t_effect, first_feedback_ms, slowest triggered request) or None, from the
    click's effect: its own first reaction, and the requests it triggered."""
    cfg = ctx.config.slow
    e = c.effect
    t = c.t
    feedback = e.reaction_ms
    if not cfg.use_network:
        # Sentry's model: the first DOM change (mutation-class) is the effect.
        feedback = e.mutation_ms if e.mutation_ms is not None else e.reaction_ms
    if cfg.use_network:
        triggered = [
            r
            for r in e.requests
            if r.start_ms is not None
            and r.duration_ms is not None
            and -cfg.request_before_ms <= r.start_ms <= cfg.request_after_ms
        ]
        if triggered:
            slowest = max(triggered, key=lambda r: (r.start_ms or 0) + (r.duration_ms or 0))
            latency = (slowest.start_ms or 0) + (slowest.duration_ms or 0)
            end = t + latency
            limit = end + cfg.effect_after_request_ms
            if e.next_action_ms is not None:
                limit = min(limit, t + e.next_action_ms)
            t_effect = end
            tape = ctx.tape
            records = tape.mutations
            for k in range(bisect_left(records, end, key=lambda r: r.t), len(records)):
                m = records[k]
                if m.t > limit:
                    break
                if m.window_id == c.window_id and not m.ambient:
                    t_effect = m.t
                    break
            return latency, t_effect, feedback, slowest
    if feedback is None:
        return None
    return feedback, t + feedback, feedback, None
