"""replaykit: turn rrweb session recordings into timelines, signals and Polars frames.

    import replaykit

    async for replay in replaykit.analyze("recordings/"):
        print(replay.markdown())

    async with replaykit.MixpanelClient() as mp:           # Mixpanel session replays
        async with mp.replays_for_user("user-42") as replays:
            async for replay in replays:
                print(replay.markdown())

Blocking twins live in :mod:`replaykit.sync`; the command line is ``replaykit``.
"""

from contextlib import suppress as _suppress

from msgspec import Struct as _Struct

from ._api import (
    AnalyzedReplay,
    ReplayFailure,
    analyze,
    analyze_events,
    analyze_recording,
    iter_actions,
    iter_signals,
)
from ._errors import (
    AnalysisTimeoutError,
    AuthenticationError,
    ConfigError,
    InvalidResponseError,
    MixpanelError,
    QueryError,
    RateLimitError,
    RecordingError,
    RecordingFormatError,
    RecordingNotFoundError,
    RecordingTooLargeError,
    ReplaykitError,
    ReplayNotFoundError,
    ServerError,
    SessionReplayAccessError,
    SignedURLExpiredError,
    TransientError,
    UnsupportedReplayFormatError,
    UsageError,
)
from .analysis._actions import (
    ACTION_KINDS,
    Action,
    ClickDetails,
    ConsoleErrorDetails,
    Coverage,
    InputDetails,
    NavigationDetails,
    PageLoadDetails,
    ScrollDetails,
    SelectDetails,
    SelectionDetails,
    ToggleDetails,
    ViewportDetails,
)
from .analysis._analyzer import ReplayAnalyzer
from .analysis._labels import (
    css_selector,
    default_label,
    lift_target,
    normalize_url,
    selector_label,
)
from .analysis._options import AnalyzerOptions
from .analysis._signal import SIGNAL_KINDS, Signal
from .analysis._signal_config import PRESETS as SIGNAL_PRESETS
from .analysis._signal_config import SignalConfig, signal_config
from .analysis._signals import detect_signals
from .analysis._timeline import describe_action, markdown_timeline
from .rrweb._decode import decode_events, iter_event_chunks, sniff_format
from .rrweb._dom import DomTracker
from .rrweb._model import EventChunk
from .sources._local import LocalSource, Recording
from .sources.mixpanel import (
    ClientLimits,
    FetchedReplay,
    MixpanelClient,
    MixpanelConfig,
    MixpanelEvent,
    ReplayDescriptor,
    RetryPolicy,
    SignedReplay,
    Timeouts,
)

__version__ = "0.1.0"

# The bundle (Polars) loads on first use: `import replaykit` stays light for scripts and
# services that only analyze.
_LAZY = {"BundleBuilder", "ReplayBundle", "aggregate"}

__all__ = [
    "ACTION_KINDS",
    "SIGNAL_KINDS",
    "SIGNAL_PRESETS",
    "Action",
    "AnalysisTimeoutError",
    "AnalyzedReplay",
    "AnalyzerOptions",
    "AuthenticationError",
    "BundleBuilder",
    "ClickDetails",
    "ClientLimits",
    "ConfigError",
    "ConsoleErrorDetails",
    "Coverage",
    "DomTracker",
    "EventChunk",
    "FetchedReplay",
    "InputDetails",
    "InvalidResponseError",
    "LocalSource",
    "MixpanelClient",
    "MixpanelConfig",
    "MixpanelError",
    "MixpanelEvent",
    "NavigationDetails",
    "PageLoadDetails",
    "QueryError",
    "RateLimitError",
    "Recording",
    "RecordingError",
    "RecordingFormatError",
    "RecordingNotFoundError",
    "RecordingTooLargeError",
    "ReplayAnalyzer",
    "ReplayBundle",
    "ReplayDescriptor",
    "ReplayFailure",
    "ReplayNotFoundError",
    "ReplaykitError",
    "RetryPolicy",
    "ScrollDetails",
    "SelectDetails",
    "SelectionDetails",
    "ServerError",
    "SessionReplayAccessError",
    "Signal",
    "SignalConfig",
    "SignedReplay",
    "SignedURLExpiredError",
    "Timeouts",
    "ToggleDetails",
    "TransientError",
    "UnsupportedReplayFormatError",
    "UsageError",
    "ViewportDetails",
    "aggregate",
    "analyze",
    "analyze_events",
    "analyze_recording",
    "css_selector",
    "decode_events",
    "default_label",
    "describe_action",
    "detect_signals",
    "iter_actions",
    "iter_event_chunks",
    "iter_signals",
    "lift_target",
    "markdown_timeline",
    "normalize_url",
    "selector_label",
    "signal_config",
    "sniff_format",
]

# Public functions and errors report the public module, so tracebacks and docs say
# `replaykit.analyze`. Structs keep their defining module: msgspec resolves their
# (postponed) annotations in that module's namespace when it builds a decoder.
for _name in __all__:
    if _name in _LAZY:
        continue  # set on first use, below
    _obj = globals()[_name]
    if isinstance(_obj, type) and issubclass(_obj, _Struct):
        continue
    if hasattr(_obj, "__module__") and not isinstance(_obj, tuple | dict):
        with _suppress(AttributeError, TypeError):
            _obj.__module__ = "replaykit"
del _name, _obj


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from . import bundle

        value = getattr(bundle, name)
        if not isinstance(value, type) or not issubclass(value, _Struct):
            with _suppress(AttributeError, TypeError):
                value.__module__ = "replaykit"
        globals()[name] = value
        return value
    raise AttributeError(f"module 'replaykit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
