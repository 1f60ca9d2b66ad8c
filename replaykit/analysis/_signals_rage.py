"""Rage clicks (``frustration-signals.md`` §2): bursts of clicks on one spot."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from ._actions import Action
from ._click_context import (
    _Click,
    _Context,
    _signal,
)
from ._effects import (
    first_scroll,
    first_selection,
)
from ._signal import Signal
from ._signal_config import RageClickConfig, SignalConfig
from ._tape import Tape

__all__ = ["_rage_bursts", "detect_rage_clicks"]


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
