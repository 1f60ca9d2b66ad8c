"""Idle gaps and long pauses (``frustration-signals.md`` §11): ``idle`` (no activity for
30 s) and ``long_pause`` (no user action for 10 s) signals.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from ._actions import Action
from ._active_time import activity_instants
from ._page_common import (
    _ActionsByTime,
    action_end,
    is_user_action,
    make_signal,
    replay_start,
)
from ._signal import Signal, SignalKind
from ._signal_config import SignalConfig
from ._tape import Tape

__all__ = ["detect_idle"]


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
