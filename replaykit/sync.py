"""Blocking wrappers for scripts and notebooks without an event loop.

Each call runs the async API on one event loop in a helper thread (an anyio blocking
portal) and hands back coarse items: whole analyzed replays, never single events.

    import replaykit.sync as rk
    for replay in rk.analyze("recordings/"):
        print(replay.markdown())
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from anyio.from_thread import start_blocking_portal

from . import _api
from .analysis._actions import Action
from .analysis._options import AnalyzerOptions
from .analysis._signal import Signal
from .analysis._signal_config import SignalConfig
from .rrweb._decode import DEFAULT_MAX_INPUT_BYTES
from .sources._local import LocalSource, Recording

__all__ = ["actions", "analyze", "analyze_recording", "signals"]

T = TypeVar("T")


def _iterate(make: Callable[[], Any]) -> Iterator[Any]:
    with start_blocking_portal() as portal:
        agen = make()
        try:
            while True:
                try:
                    item = portal.call(agen.__anext__)
                except StopAsyncIteration:
                    return
                yield item
        finally:
            portal.call(agen.aclose)


def analyze(
    paths: _api.PathArg | Sequence[_api.PathArg] | LocalSource,
    *,
    options: AnalyzerOptions | None = None,
    signals: _api.SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    on_error: Literal["raise", "record"] = "raise",
) -> Iterator[_api.AnalyzedReplay]:
    """Blocking twin of :func:`replaykit.analyze`: yields one analyzed replay at a time."""
    return _iterate(
        lambda: _api.analyze(
            paths,
            options=options,
            signals=signals,
            format=format,
            max_input_bytes=max_input_bytes,
            on_error=on_error,
        )
    )


def analyze_recording(
    recording: Recording | _api.PathArg,
    *,
    options: AnalyzerOptions | None = None,
    signals: _api.SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> _api.AnalyzedReplay:
    """Blocking twin of :func:`replaykit.analyze_recording`."""

    async def run() -> _api.AnalyzedReplay:
        return await _api.analyze_recording(
            recording,
            options=options,
            signals=signals,
            format=format,
            max_input_bytes=max_input_bytes,
        )

    with start_blocking_portal() as portal:
        return portal.call(run)


def actions(
    recording: Recording | _api.PathArg,
    *,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
) -> list[Action]:
    """All actions of one recording, in time order."""
    return analyze_recording(recording, options=options, format=format).actions


def signals(
    recording: Recording | _api.PathArg,
    *,
    config: SignalConfig | str | None = None,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
) -> list[Signal]:
    """All frustration signals of one recording, in time order (preset name or config)."""
    replay = analyze_recording(
        recording,
        options=options,
        signals=config if config is not None else True,
        format=format,
    )
    return replay.signals
