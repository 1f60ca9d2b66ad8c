"""Run every signal detector over one analyzed replay.

Detectors live in one module per family (clicks, errors and network, page-level); each is
a plain function ``detect_x(replay_id, actions, tape, config) -> list[Signal]``. This
module calls them all with one :class:`SignalConfig` (a preset name or a config value) and
returns the signals in time order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from ._actions import Action
from ._signal import SIGNAL_KINDS, Signal
from ._signal_config import SignalConfig, signal_config
from ._tape import Tape

__all__ = ["Detector", "detect_signals", "detectors"]

Detector = Callable[[str, Sequence[Action], Tape, SignalConfig], list[Signal]]

_DETECTOR_MODULES = ("_signals_click", "_signals_errors", "_signals_page")
_KIND_ORDER = {kind: i for i, kind in enumerate(SIGNAL_KINDS)}
_registry: list[Detector] | None = None


def detectors() -> list[Detector]:
    """Every ``detect_*`` function the detector modules export, in module order."""
    global _registry
    if _registry is None:
        found: list[Detector] = []
        for name in _DETECTOR_MODULES:
            module = importlib.import_module(f"{__package__}.{name}")
            for attr in getattr(module, "__all__", ()):
                if attr.startswith("detect_"):
                    found.append(getattr(module, attr))
        _registry = found
    return _registry


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
    for detect in detectors():
        signals.extend(detect(replay_id, actions, tape, cfg))
    signals.sort(key=lambda s: (s.timestamp, _KIND_ORDER.get(s.kind, 99), s.target or ""))
    return signals
