"""Slow clicks (``frustration-signals.md`` §4): the click worked, but its result was slow."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from ._actions import Action, EffectRequest
from ._click_context import (
    _Click,
    _Context,
    _is_candidate,
    _signal,
)
from ._mobile_detect import SCREEN_URL_PREFIX
from ._signal import Signal
from ._signal_config import SignalConfig
from ._tape import Tape

__all__ = ["detect_slow_clicks"]


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
        if (c.action.url or "").startswith(SCREEN_URL_PREFIX):
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
