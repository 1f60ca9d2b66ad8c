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

The detectors live one to a module (``_signals_rage``, ``_signals_dead``,
``_signals_slow``, ``_signals_error_click``) over a shared context (``_click_context``);
this module gathers them.
"""

from __future__ import annotations

from ._signals_dead import detect_dead_clicks
from ._signals_error_click import detect_error_clicks
from ._signals_rage import detect_rage_clicks
from ._signals_slow import detect_slow_clicks

__all__ = [
    "detect_dead_clicks",
    "detect_error_clicks",
    "detect_rage_clicks",
    "detect_slow_clicks",
]
