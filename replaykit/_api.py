"""The async surface: analyze recordings as async iterators.

Async lives at the boundaries only: a recording's chunks are read and decoded in a worker
thread (one hop per chunk, never per event) and analyzed with a plain loop in between.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from contextlib import aclosing
from typing import Literal

import anyio
import msgspec

from ._errors import RecordingFormatError, ReplaykitError
from ._mixpanel_event import MixpanelEvent
from .analysis._actions import Action, Coverage
from .analysis._activity import active_time
from .analysis._analyzer import ReplayAnalyzer
from .analysis._options import AnalyzerOptions
from .analysis._signal import Signal
from .analysis._signal_config import SignalConfig
from .analysis._signals import detect_signals
from .analysis._timeline import markdown_timeline
from .analysis._visits import PageVisit, page_visits
from .rrweb._decode import DEFAULT_MAX_INPUT_BYTES, iter_event_chunks
from .rrweb._model import EventChunk
from .sources._local import LocalSource, Recording

__all__ = [
    "AnalyzedReplay",
    "ReplayFailure",
    "analyze",
    "analyze_recording",
    "iter_actions",
    "iter_signals",
]

PathArg = str | os.PathLike[str]
SignalsArg = bool | str | SignalConfig | None
"""Which signals to detect: False/None none, True the replaykit defaults, a preset name
(``"posthog"``, ``"sentry"``, ...) or a :class:`~replaykit.SignalConfig`."""


def _signal_choice(signals: SignalsArg) -> SignalConfig | str | None:
    if signals is None or signals is False:
        return None
    if signals is True:
        return "replaykit"
    return signals


class ReplayFailure(msgspec.Struct, frozen=True, kw_only=True):
    """Why a replay could not be analyzed: the error's class name, message and exit code.

    ``skipped`` is true for a file a directory scan found that is not a recording at all.
    """

    error: str
    message: str
    exit_code: int
    skipped: bool = False


class AnalyzedReplay(msgspec.Struct, frozen=True, kw_only=True):
    """One replay's analysis: its actions in time order and what was seen/skipped.

    ``signals`` holds the frustration signals in time order when they were asked for
    (``signals=`` on the analyze functions). ``active_ms`` is the active time (PostHog's
    definition: time with user activity, gaps over 5 s excluded) and ``visits`` the page
    visits (enter, leave, dwell, active time, scroll depth per page). ``failure`` is set
    (and ``actions`` empty) when the replay could not be read and the caller asked for
    failures to be recorded rather than raised.

    For replays from Mixpanel, ``distinct_id`` is the user who recorded it (when known)
    and ``mixpanel_events`` the user's Mixpanel events during the replay (the events join,
    on by default in ``replays_for_user``, ``for-user``, ``aggregate`` and the distributed
    chunks; ``mixpanel_events=True`` on :meth:`MixpanelClient.analyze`).
    """

    replay_id: str
    source: str
    actions: list[Action]
    coverage: Coverage
    signals: list[Signal] = []
    active_ms: int | None = None
    visits: list[PageVisit] = []
    start_timestamp: int | None = None
    end_timestamp: int | None = None
    failure: ReplayFailure | None = None
    distinct_id: str | None = None
    mixpanel_events: list[MixpanelEvent] = []

    @property
    def duration_ms(self) -> int:
        """Milliseconds from the first to the last event (0 when empty)."""
        if self.start_timestamp is None or self.end_timestamp is None:
            return 0
        return self.end_timestamp - self.start_timestamp

    def markdown(self) -> str:
        """The markdown timeline of this replay, with a one-line header."""
        return markdown_timeline(
            self.actions, title=f"Replay {self.replay_id}", signals=self.signals or None
        )


def _as_recording(item: Recording | PathArg) -> Recording:
    if isinstance(item, Recording):
        return item
    path = os.fspath(item)
    recordings = list(LocalSource(path).recordings())
    if len(recordings) != 1:
        raise ReplaykitError(f"{path} names {len(recordings)} recordings; pass one file")
    return recordings[0]


def _chunks(recording: Recording, format: str, max_input_bytes: int) -> Iterator[EventChunk]:
    return iter_event_chunks(
        recording.path,
        format=format,
        max_input_bytes=max_input_bytes,
        replay_id=recording.replay_id,
    )


async def _analyze_stream(
    recording: Recording,
    analyzer: ReplayAnalyzer,
    format: str,
    max_input_bytes: int,
) -> AsyncGenerator[list[Action], None]:
    chunks = _chunks(recording, format, max_input_bytes)
    try:
        while True:
            # Decoding and `feed` each pause the collector while they allocate; between
            # chunks it runs, so other tasks on the loop never go long without it.
            chunk = await anyio.to_thread.run_sync(next, chunks, None)
            if chunk is None:
                break
            batch = analyzer.feed(chunk)
            del chunk
            if batch:
                yield batch
            await anyio.lowlevel.checkpoint()
        tail = analyzer.finish()
        if tail:
            yield tail
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # release the file now, not when the generator is collected


async def iter_actions(
    recording: Recording | PathArg,
    *,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> AsyncIterator[Action]:
    """Stream the actions of one recording as they are found.

    ``async for action in iter_actions("session.json"): ...``. Raises a
    :class:`~replaykit.RecordingError` subclass when the file cannot be read.
    """
    rec = _as_recording(recording)
    analyzer = ReplayAnalyzer(rec.replay_id, options)
    async with aclosing(_analyze_stream(rec, analyzer, format, max_input_bytes)) as batches:
        async for batch in batches:
            for action in batch:
                yield action


async def analyze_recording(
    recording: Recording | PathArg,
    *,
    options: AnalyzerOptions | None = None,
    signals: SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> AnalyzedReplay:
    """Analyze one recording completely and return its :class:`AnalyzedReplay`.

    ``signals=True`` (or a preset name / :class:`~replaykit.SignalConfig`) also detects
    frustration signals; they are in ``AnalyzedReplay.signals``.
    """
    rec = _as_recording(recording)
    analyzer = ReplayAnalyzer(rec.replay_id, options)
    actions: list[Action] = []
    async with aclosing(_analyze_stream(rec, analyzer, format, max_input_bytes)) as batches:
        async for batch in batches:
            actions.extend(batch)
    config = _signal_choice(signals)
    found = (
        detect_signals(rec.replay_id, actions, analyzer.tape, config) if config is not None else []
    )
    return AnalyzedReplay(
        replay_id=rec.replay_id,
        source=rec.path,
        actions=actions,
        coverage=analyzer.coverage,
        signals=found,
        active_ms=active_time(analyzer.tape).active_ms,
        visits=page_visits(actions, analyzer.tape),
        start_timestamp=analyzer.start_timestamp,
        end_timestamp=analyzer.end_timestamp,
    )


async def iter_signals(
    recording: Recording | PathArg,
    *,
    config: SignalConfig | str | None = None,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> AsyncIterator[Signal]:
    """Stream the frustration signals of one recording in time order.

    Signals are judged over windows that reach past their start (a dead click waits
    2.5 s for a reaction, an idle gap needs its end), so they are yielded once the
    recording has been read. ``config`` is a preset name or a
    :class:`~replaykit.SignalConfig` (default: replaykit's definitions).
    """
    replay = await analyze_recording(
        recording,
        options=options,
        signals=config if config is not None else True,
        format=format,
        max_input_bytes=max_input_bytes,
    )
    for signal in replay.signals:
        yield signal


async def analyze(
    paths: PathArg | Sequence[PathArg] | LocalSource,
    *,
    options: AnalyzerOptions | None = None,
    signals: SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    on_error: Literal["raise", "record"] = "raise",
) -> AsyncIterator[AnalyzedReplay]:
    """Analyze every recording under ``paths``, one :class:`AnalyzedReplay` at a time.

    With ``on_error="record"`` a recording that cannot be read yields an
    ``AnalyzedReplay`` whose ``failure`` says why, and the others are still analyzed; with
    ``"raise"`` (the default) the first error propagates. ``signals`` asks for frustration
    signals too (see :func:`analyze_recording`). A missing path always raises
    :class:`~replaykit.RecordingNotFoundError` (there is no replay to attach it to).
    """
    source = paths if isinstance(paths, LocalSource) else LocalSource(paths)
    async for rec in source:
        try:
            result = await analyze_recording(
                rec,
                options=options,
                signals=signals,
                format=format,
                max_input_bytes=max_input_bytes,
            )
        except ReplaykitError as exc:
            if on_error == "raise":
                raise
            result = AnalyzedReplay(
                replay_id=rec.replay_id,
                source=rec.path,
                actions=[],
                coverage=Coverage(),
                failure=ReplayFailure(
                    error=type(exc).__name__,
                    message=str(exc),
                    exit_code=exc.exit_code,
                    skipped=not rec.explicit and isinstance(exc, RecordingFormatError),
                ),
            )
        yield result
