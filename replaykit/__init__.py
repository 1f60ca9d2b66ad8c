"""replaykit: turn rrweb session recordings into timelines, signals and Polars frames.

    import replaykit

    async for replay in replaykit.analyze("recordings/"):
        print(replay.markdown())

    async with replaykit.MixpanelClient() as mp:           # Mixpanel session replays
        async with mp.replays_for_user("user-42") as replays:
            async for replay in replays:
                print(replay.markdown())

The names here are the everyday ones. The rest live in subpackages, each with its own
``__all__``: :mod:`replaykit.analysis` (actions, effects, signals, labels, timelines),
:mod:`replaykit.rrweb` (decoding, the DOM mirror), :mod:`replaykit.bundle` (Polars frames
and queries), :mod:`replaykit.mixpanel` (the Mixpanel client and its parts),
:mod:`replaykit.errors` (every error). Blocking twins live in :mod:`replaykit.sync`; the
command line is ``replaykit``. Every name here loads on first use, so ``import
replaykit`` takes milliseconds and loads neither Polars nor httpx until they are needed.
"""

from contextlib import suppress as _suppress
from importlib import import_module as _import_module
from types import ModuleType as _Module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
        ConfigError,
        MixpanelError,
        RecordingError,
        ReplaykitError,
        UsageError,
    )
    from .analysis._actions import Action, Coverage
    from .analysis._analyzer import ReplayAnalyzer
    from .analysis._options import AnalyzerOptions
    from .analysis._signal import Signal
    from .analysis._signal_config import PRESETS as SIGNAL_PRESETS
    from .analysis._signal_config import SignalConfig
    from .analysis._signals import detect_signals
    from .analysis._timeline import markdown_timeline
    from .bundle import BundleBuilder, ReplayBundle, aggregate
    from .mixpanel import MixpanelClient, MixpanelConfig
    from .rrweb._decode import iter_event_chunks
    from .sources._local import LocalSource, Recording

__version__ = "0.1.0"

__all__ = [
    "SIGNAL_PRESETS",
    "Action",
    "AnalysisTimeoutError",
    "AnalyzedReplay",
    "AnalyzerOptions",
    "BundleBuilder",
    "ConfigError",
    "Coverage",
    "LocalSource",
    "MixpanelClient",
    "MixpanelConfig",
    "MixpanelError",
    "Recording",
    "RecordingError",
    "ReplayAnalyzer",
    "ReplayBundle",
    "ReplayFailure",
    "ReplaykitError",
    "Signal",
    "SignalConfig",
    "UsageError",
    "aggregate",
    "analyze",
    "analyze_events",
    "analyze_recording",
    "detect_signals",
    "iter_actions",
    "iter_event_chunks",
    "iter_signals",
    "markdown_timeline",
]

# Every public name loads on first use (`import replaykit` itself imports nothing heavy,
# so the command line can catch Ctrl-C from its first instant): name -> (module, name).
_LAZY = {
    **dict.fromkeys(
        (
            "AnalyzedReplay",
            "ReplayFailure",
            "analyze",
            "analyze_events",
            "analyze_recording",
            "iter_actions",
            "iter_signals",
        ),
        "replaykit._api",
    ),
    **dict.fromkeys(
        (
            "AnalysisTimeoutError",
            "ConfigError",
            "MixpanelError",
            "RecordingError",
            "ReplaykitError",
            "UsageError",
        ),
        "replaykit._errors",
    ),
    "Action": "replaykit.analysis._actions",
    "Coverage": "replaykit.analysis._actions",
    "ReplayAnalyzer": "replaykit.analysis._analyzer",
    "AnalyzerOptions": "replaykit.analysis._options",
    "Signal": "replaykit.analysis._signal",
    "SignalConfig": "replaykit.analysis._signal_config",
    "detect_signals": "replaykit.analysis._signals",
    "markdown_timeline": "replaykit.analysis._timeline",
    "iter_event_chunks": "replaykit.rrweb._decode",
    "LocalSource": "replaykit.sources._local",
    "Recording": "replaykit.sources._local",
    "BundleBuilder": "replaykit.bundle",
    "ReplayBundle": "replaykit.bundle",
    "aggregate": "replaykit.bundle",
    "MixpanelClient": "replaykit.mixpanel",
    "MixpanelConfig": "replaykit.mixpanel",
}
_RENAMED = {"SIGNAL_PRESETS": ("replaykit.analysis._signal_config", "PRESETS")}

# Names that were public here before the public face was cut to the everyday ones: still
# reachable (from their subpackage, on first use) so existing code keeps working.
_MOVED = {
    **dict.fromkeys(
        (
            "ACTION_KINDS",
            "SIGNAL_KINDS",
            "ClickDetails",
            "ConsoleErrorDetails",
            "InputDetails",
            "NavigationDetails",
            "PageLoadDetails",
            "ScrollDetails",
            "SelectDetails",
            "SelectionDetails",
            "ToggleDetails",
            "ViewportDetails",
            "css_selector",
            "default_label",
            "describe_action",
            "lift_target",
            "normalize_url",
            "selector_label",
            "signal_config",
        ),
        "replaykit.analysis",
    ),
    **dict.fromkeys(
        ("DomTracker", "EventChunk", "decode_events", "sniff_format"), "replaykit.rrweb"
    ),
    **dict.fromkeys(
        (
            "ClientLimits",
            "FetchedReplay",
            "MixpanelEvent",
            "ReplayDescriptor",
            "RetryPolicy",
            "SignedReplay",
            "Timeouts",
        ),
        "replaykit.mixpanel",
    ),
    **dict.fromkeys(
        (
            "AuthenticationError",
            "InvalidResponseError",
            "QueryError",
            "RateLimitError",
            "RecordingFormatError",
            "RecordingNotFoundError",
            "RecordingTooLargeError",
            "ReplayNotFoundError",
            "ServerError",
            "SessionReplayAccessError",
            "SignedURLExpiredError",
            "TransientError",
            "UnsupportedReplayFormatError",
        ),
        "replaykit.errors",
    ),
}


def _public(value: object) -> object:
    """Report ``replaykit`` as the module of a public function or error class, so
    tracebacks and docs say ``replaykit.analyze``. Structs keep their defining module:
    msgspec resolves their (postponed) annotations there when it builds a decoder."""
    from msgspec import Struct  # loaded by the module `value` came from anyway

    if isinstance(value, type) and issubclass(value, Struct):
        return value
    if hasattr(value, "__module__") and not isinstance(value, tuple | dict):
        with _suppress(AttributeError, TypeError):
            value.__module__ = "replaykit"
    return value


def __getattr__(name: str) -> object:
    where, attribute = _RENAMED.get(name) or (_LAZY.get(name) or _MOVED.get(name), name)
    if where is None:
        raise AttributeError(f"module 'replaykit' has no attribute {name!r}")
    value = getattr(_import_module(where), attribute)
    if name in _LAZY:
        _public(value)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The public face, the subpackages loaded so far and the module's own attributes; not
    # the moved names a caller happened to reach (they are not part of the face).
    loaded = {n for n, v in globals().items() if n.startswith("_") or isinstance(v, _Module)}
    return sorted(set(__all__) | loaded)
