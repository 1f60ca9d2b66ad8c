"""The :class:`Signal` Struct: one frustration signal or notable event in a replay.

Detectors (one module per family) are plain functions
``detect_x(replay_id, actions, tape, config) -> list[Signal]`` over a finished replay's
actions and :class:`~replaykit.analysis._tape.Tape`; :func:`detect_signals` in
``_signals.py`` runs them all and sorts the result by time.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, get_args

import msgspec

__all__ = ["SIGNAL_KINDS", "Signal", "SignalKind"]

SignalKind: TypeAlias = Literal[
    "rage_click",
    "dead_click",
    "slow_click",
    "error_click",
    "quick_back",
    "scroll_reversal",
    "excessive_scroll",
    "thrashed_cursor",
    "idle",
    "long_pause",
    "form_abandon",
    "network_error",
    "network_failed",
    "slow_request",
    "console_error",
    "uncaught_exception",
    "slow_page",
]

SIGNAL_KINDS: tuple[SignalKind, ...] = get_args(SignalKind)
"""Every signal kind, in the order detectors report ties."""


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """One signal: what, when, where, and the evidence for it.

    ``timestamp`` is epoch ms of its start (``t_ms`` from the replay's first event);
    ``end_timestamp``/``duration_ms`` for signals that span time (rage bursts, idle gaps).
    ``target``/``label`` name the element involved (selector and human label) when there
    is one; ``url`` is the page. ``evidence`` lists the ``seq`` of the actions involved
    (the clicks of a rage burst, the click a dead/slow/error click is about).
    ``preset`` names the definition used (``replaykit`` or a product preset) and
    ``details`` holds the kind's measurements (delays, counts, message, status, the
    thresholds applied); each kind's keys are documented with its detector.
    """

    replay_id: str
    kind: SignalKind
    timestamp: int
    t_ms: int
    end_timestamp: int | None = None
    duration_ms: int | None = None
    target: str | None = None
    label: str | None = None
    url: str | None = None
    document: int = 1
    window_id: str | None = None
    evidence: tuple[int, ...] = ()
    preset: str = "replaykit"
    details: dict[str, Any] = {}
