"""The async surface: analyze recordings as async iterators.

Async lives at the boundaries only: a recording's chunks are read and decoded in a worker
thread (one hop per chunk, never per event) and analyzed with a plain loop in between.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Sequence
from contextlib import aclosing
from typing import Any, Literal, overload

import anyio
import msgspec

from ._errors import RecordingFormatError, ReplayFailure, ReplaykitError
from .analysis._actions import Action, Coverage
from .analysis._analyzer import ReplayAnalyzer, run_analyzer
from .analysis._analyzer import analyze_events as analyze_chunks
from .analysis._options import AnalyzerOptions
from .analysis._replay import (
    DEFAULT_MAX_KEPT_EVENTS,
    AnalyzedReplay,
    RawEvents,
    failed_replay,
    finish_replay,
    raw_events_from,
    raw_events_of,
)
from .analysis._signal import Signal
from .analysis._signal_config import SignalConfig
from .rrweb._decode import DEFAULT_MAX_INPUT_BYTES, iter_event_chunks
from .rrweb._model import EventChunk
from .sources._local import LocalSource, Recording

__all__ = [
    "DEFAULT_MAX_KEPT_EVENTS",
    "AnalyzedReplay",
    "ReplayFailure",
    "analyze",
    "analyze_events",
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


def _close(chunks: Iterator[EventChunk]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()  # release the file now, not when the generator is collected


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
        _close(chunks)


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


def analyze_file(
    recording: Recording | PathArg,
    *,
    options: AnalyzerOptions | None = None,
    signals: SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    keep_events: bool = False,
    max_kept_events: int = DEFAULT_MAX_KEPT_EVENTS,
) -> AnalyzedReplay:
    """:func:`analyze_recording` on the calling thread: decode and analyze in one loop, no
    event loop and no thread hop (the blocking API's path: nothing else waits its turn)."""
    rec = _as_recording(recording)
    kept = raw_events_of(rec.path, max_kept_events, max_input_bytes) if keep_events else None
    analyzer = ReplayAnalyzer(rec.replay_id, options)
    chunks = _chunks(rec, format, max_input_bytes)
    try:
        actions = run_analyzer(analyzer, chunks)
    finally:
        _close(chunks)
    return finish_replay(
        analyzer, actions, source=rec.path, signals=_signal_choice(signals), kept=kept
    )


def analyze_files(
    paths: PathArg | Sequence[PathArg] | LocalSource,
    *,
    options: AnalyzerOptions | None = None,
    signals: SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    on_error: Literal["raise", "record"] = "raise",
    keep_events: bool = False,
) -> Iterator[AnalyzedReplay]:
    """:func:`analyze` on the calling thread, one recording after another."""
    source = paths if isinstance(paths, LocalSource) else LocalSource(paths)
    for rec in source.recordings():
        try:
            result = analyze_file(
                rec,
                options=options,
                signals=signals,
                format=format,
                max_input_bytes=max_input_bytes,
                keep_events=keep_events,
            )
        except ReplaykitError as exc:
            if on_error == "raise":
                raise
            result = _failure_of(rec, exc)
        yield result


def _failure_of(rec: Recording, exc: ReplaykitError) -> AnalyzedReplay:
    # A file a directory scan found that is not a recording at all is skipped; anything
    # else is a failure of that replay.
    skipped = not rec.explicit and isinstance(exc, RecordingFormatError)
    return failed_replay(rec.replay_id, rec.path, ReplayFailure.of(exc, skipped=skipped))


async def analyze_recording(
    recording: Recording | PathArg,
    *,
    options: AnalyzerOptions | None = None,
    signals: SignalsArg = False,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    keep_events: bool = False,
    max_kept_events: int = DEFAULT_MAX_KEPT_EVENTS,
) -> AnalyzedReplay:
    """Analyze one recording completely and return its :class:`AnalyzedReplay`.

    ``signals=True`` (or a preset name / :class:`~replaykit.SignalConfig`) also detects
    frustration signals; they are in ``AnalyzedReplay.signals``. ``keep_events=True``
    also keeps the raw events (``AnalyzedReplay.events``, ``to_rrweb_json()``), at most
    ``max_kept_events`` of them (see :data:`DEFAULT_MAX_KEPT_EVENTS` for the memory cost).
    """
    rec = _as_recording(recording)
    kept = (
        await anyio.to_thread.run_sync(raw_events_of, rec.path, max_kept_events, max_input_bytes)
        if keep_events
        else None
    )
    analyzer = ReplayAnalyzer(rec.replay_id, options)
    actions: list[Action] = []
    async with aclosing(_analyze_stream(rec, analyzer, format, max_input_bytes)) as batches:
        async for batch in batches:
            actions.extend(batch)
    return finish_replay(
        analyzer, actions, source=rec.path, signals=_signal_choice(signals), kept=kept
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
    keep_events: bool = False,
) -> AsyncIterator[AnalyzedReplay]:
    """Analyze every recording under ``paths``, one :class:`AnalyzedReplay` at a time.

    With ``on_error="record"`` a recording that cannot be read yields an
    ``AnalyzedReplay`` whose ``failure`` says why, and the others are still analyzed; with
    ``"raise"`` (the default) the first error propagates. ``signals`` asks for frustration
    signals too and ``keep_events`` the raw events (see :func:`analyze_recording`). A
    missing path always raises
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
                keep_events=keep_events,
            )
        except ReplaykitError as exc:
            if on_error == "raise":
                raise
            result = _failure_of(rec, exc)
        yield result


@overload
def analyze_events(
    events: list[dict[str, Any]] | bytes | str,
    replay_id: str = "replay",
    options: AnalyzerOptions | None = None,
    *,
    signals: SignalsArg = False,
    keep_events: bool = False,
    max_kept_events: int = DEFAULT_MAX_KEPT_EVENTS,
) -> AnalyzedReplay: ...


@overload
def analyze_events(
    events: Iterable[EventChunk],
    replay_id: str = "replay",
    options: AnalyzerOptions | None = None,
) -> tuple[list[Action], Coverage]: ...


def analyze_events(
    events: Any,
    replay_id: str = "replay",
    options: AnalyzerOptions | None = None,
    *,
    signals: SignalsArg = False,
    keep_events: bool = False,
    max_kept_events: int = DEFAULT_MAX_KEPT_EVENTS,
) -> Any:
    """Analyze events held in memory, synchronously.

    - A list of rrweb event dicts (or the JSON text / bytes of a recording, in any format
      :func:`~replaykit.sniff_format` knows): returns an :class:`AnalyzedReplay` (with
      ``signals`` when asked; ``keep_events=True`` keeps the dicts, so
      ``to_rrweb_json()`` works).
    - Decoded :class:`~replaykit.EventChunk` s (e.g. from
      :func:`~replaykit.iter_event_chunks`): returns ``(actions, coverage)``, as before.
    """
    raw = isinstance(events, bytes | str) or (
        isinstance(events, list) and all(isinstance(e, dict) for e in events[:1])
    )
    if not raw:
        return analyze_chunks(events, replay_id, options)
    data = events.encode() if isinstance(events, str) else events
    if isinstance(data, list):
        data = msgspec.json.encode(data)
    analyzer = ReplayAnalyzer(replay_id, options)
    actions = run_analyzer(analyzer, iter_event_chunks(data, replay_id=replay_id))
    kept: RawEvents | None = None
    if keep_events and isinstance(events, list):
        kept = RawEvents(max_kept_events)
        kept.extend(events)
    elif keep_events:
        kept = raw_events_from(data, replay_id, max_kept_events)
    return finish_replay(
        analyzer, actions, source="memory", signals=_signal_choice(signals), kept=kept
    )
