"""Run every signal detector over one analyzed replay.

Detectors live in one module per family (clicks, errors and network, page-level); each is
a plain function ``detect_x(replay_id, actions, tape, config) -> list[Signal]``. This
module calls them all with one :class:`SignalConfig` (a preset name or a config value) and
returns the signals in time order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from .._errors import AnalysisTimeoutError
from ._actions import Action
from ._signal import SIGNAL_KINDS, Signal
from ._signal_config import SignalConfig, signal_config
from ._signals_click import (
    detect_dead_clicks,
    detect_error_clicks,
    detect_rage_clicks,
    detect_slow_clicks,
)
from ._signals_errors import (
    detect_console_errors,
    detect_network_errors,
    detect_network_failures,
    detect_slow_pages,
    detect_slow_requests,
    detect_uncaught_exceptions,
)
from ._signals_page import PAGE_DETECTORS
from ._tape import Tape

__all__ = ["DETECTORS", "Detector", "detect_signals"]

Detector = Callable[[str, Sequence[Action], Tape, SignalConfig], list[Signal]]

DETECTORS: tuple[Detector, ...] = (
    detect_rage_clicks,
    detect_dead_clicks,
    detect_slow_clicks,
    detect_error_clicks,
    detect_console_errors,
    detect_uncaught_exceptions,
    detect_network_errors,
    detect_network_failures,
    detect_slow_requests,
    detect_slow_pages,
    *PAGE_DETECTORS,
)
"""Every detector, run in this order (the output is sorted by time afterwards)."""

_KIND_ORDER = {kind: i for i, kind in enumerate(SIGNAL_KINDS)}


def detect_signals(
    replay_id: str,
    actions: Sequence[Action],
    tape: Tape,
    config: SignalConfig | str | None = None,
    *,
    max_seconds: float | None = None,
) -> list[Signal]:
    """All signals of one replay, ordered by start time (then kind, then target).

    ``config`` is a :class:`SignalConfig` or a preset name (``replaykit`` by default,
    ``posthog``, ``sentry``, ``datadog``, ``mixpanel``, ...). ``max_seconds`` is a time
    budget (e.g. :attr:`ReplayAnalyzer.remaining_seconds <replaykit.ReplayAnalyzer>`):
    checked between detectors, it raises :class:`~replaykit.AnalysisTimeoutError` once
    spent (0 raises at once).
    """
    cfg = signal_config(config)
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    signals: list[Signal] = []
    for detect in (*DETECTORS, None):
        # Detectors are linear, but a long hostile replay still takes a while: look at
        # the clock between them (never inside one), and once after the last.
        if deadline is not None and time.monotonic() >= deadline:
            raise AnalysisTimeoutError(
                f"signal detection ran past its time budget (max_seconds={max_seconds})",
                replay_id=replay_id,
                seconds=max_seconds,
            )
        if detect is not None:
            signals.extend(detect(replay_id, actions, tape, cfg))
    signals.sort(key=lambda s: (s.timestamp, _KIND_ORDER.get(s.kind, 99), s.target or ""))
    return signals
