"""Run every signal detector over one analyzed replay.

Detectors live in one module per family (clicks, errors and network, page-level); each is
a plain function ``detect_x(replay_id, actions, tape, config) -> list[Signal]``. This
module calls them all with one :class:`SignalConfig` (a preset name or a config value) and
returns the signals in time order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
) -> list[Signal]:
    """All signals of one replay, ordered by start time (then kind, then target).

    ``config`` is a :class:`SignalConfig` or a preset name (``replaykit`` by default,
    ``posthog``, ``sentry``, ``datadog``, ``mixpanel``, ...).
    """
    cfg = signal_config(config)
    signals: list[Signal] = []
    for detect in DETECTORS:
        signals.extend(detect(replay_id, actions, tape, cfg))
    signals.sort(key=lambda s: (s.timestamp, _KIND_ORDER.get(s.kind, 99), s.target or ""))
    return signals
