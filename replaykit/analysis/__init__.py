"""From decoded events to human actions, their effects, signals, labels and timelines.

The analyzer (:class:`ReplayAnalyzer`) turns event chunks into :class:`Action` s in one
pass; :func:`detect_signals` finds frustration signals over its tape; the results are an
:class:`AnalyzedReplay`. Labels, selectors and timelines are pluggable plain functions.
"""

from ._actions import (
    ACTION_KINDS,
    Action,
    ClickDetails,
    ClickEffect,
    ConsoleErrorDetails,
    Coverage,
    EffectError,
    EffectRequest,
    InputDetails,
    NavigationDetails,
    PageLoadDetails,
    ScrollDetails,
    SelectDetails,
    SelectionDetails,
    ToggleDetails,
    ViewportDetails,
)
from ._analyzer import ReplayAnalyzer
from ._joined import JoinedEvent
from ._labels import (
    container_label,
    css_selector,
    default_label,
    lift_target,
    normalize_url,
    selector_label,
)
from ._options import AnalyzerOptions
from ._replay import AnalyzedReplay
from ._signal import SIGNAL_KINDS, Signal
from ._signal_config import PRESETS as SIGNAL_PRESETS
from ._signal_config import SignalConfig, signal_config
from ._signals import detect_signals
from ._timeline import describe_action, describe_signal, markdown_timeline

__all__ = [
    "ACTION_KINDS",
    "SIGNAL_KINDS",
    "SIGNAL_PRESETS",
    "Action",
    "AnalyzedReplay",
    "AnalyzerOptions",
    "ClickDetails",
    "ClickEffect",
    "ConsoleErrorDetails",
    "Coverage",
    "EffectError",
    "EffectRequest",
    "InputDetails",
    "JoinedEvent",
    "NavigationDetails",
    "PageLoadDetails",
    "ReplayAnalyzer",
    "ScrollDetails",
    "SelectDetails",
    "SelectionDetails",
    "Signal",
    "SignalConfig",
    "ToggleDetails",
    "ViewportDetails",
    "container_label",
    "css_selector",
    "default_label",
    "describe_action",
    "describe_signal",
    "detect_signals",
    "lift_target",
    "markdown_timeline",
    "normalize_url",
    "selector_label",
    "signal_config",
]
