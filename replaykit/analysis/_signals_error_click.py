"""Error clicks (``frustration-signals.md`` §5): clicks followed by an error they caused."""

from __future__ import annotations

from collections.abc import Sequence

from ._actions import Action
from ._click_context import (
    _attribute_errors,
    _clicks,
    _effects,
    _signal,
)
from ._signal import Signal
from ._signal_config import SignalConfig
from ._tape import Tape

__all__ = ["detect_error_clicks"]


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
