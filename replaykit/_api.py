"""The async surface: analyze recordings as async iterators.

Async lives at the boundaries only: a recording's chunks are read and decoded in a worker
thread (one hop per chunk, never per event) and analyzed with a plain loop in between.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import aclosing
from typing import Any, Final, Literal, overload

import anyio
import msgspec

from ._errors import RecordingFormatError, ReplaykitError, UsageError
from ._mixpanel_event import MixpanelEvent
from ._text import printable
from .analysis._actions import Action, Coverage
from .analysis._activity import active_time
from .analysis._analyzer import ReplayAnalyzer
from .analysis._mobile import describe_any
from .analysis._options import AnalyzerOptions
from .analysis._signal import Signal
from .analysis._signal_config import SignalConfig
from .analysis._signals import detect_signals
from .analysis._timeline import markdown_timeline
from .analysis._timeline_html import timeline_html
from .analysis._visits import PageVisit, page_visits
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

DEFAULT_MAX_KEPT_EVENTS: Final = 1_000_000
"""Most raw events ``keep_events=True`` keeps per replay (the rest are dropped and
``events_truncated`` is set). Raw events as Python dicts take about 1 KB each (many times
their JSON size): a million is about a gigabyte."""

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
    events: list[dict[str, Any]] | None = None
    events_truncated: bool = False

    @property
    def duration_ms(self) -> int:
        """Milliseconds from the first to the last event (0 when empty)."""
        if self.start_timestamp is None or self.end_timestamp is None:
            return 0
        return self.end_timestamp - self.start_timestamp

    def _repr_html_(self) -> str:
        """The timeline with its signals as an HTML table (Jupyter), every text escaped."""
        listed = sum(1 for a in self.actions if a.kind != "page_load")
        summary = (
            f"{listed} actions, {len(self.signals)} signals over {self.duration_ms / 1000:.1f}s"
        )
        if self.coverage.note:
            summary += f" — {self.coverage.note}"
        return timeline_html(f"Replay {self.replay_id}", summary, self.actions, self.signals)

    def markdown(self) -> str:
        """The markdown timeline of this replay: a title, a summary line (how many actions
        the timeline lists, over how long, from which URL), notes on what could not be
        read, then one line per action."""
        text = markdown_timeline(
            self.actions,
            title=f"Replay {self.replay_id}",
            signals=self.signals or None,
            describe=describe_any,  # mobile taps and screens read as such
        )
        header, _, body = text.partition("\n\n")
        listed = sum(1 for a in self.actions if a.kind != "page_load")
        noun = "action" if listed == 1 else "actions"
        summary = f"{listed} {noun} over {self.duration_ms / 1000:.1f}s"
        start_url = next((a.url for a in self.actions if a.url), None)
        if start_url:
            summary += f", starting at {start_url}"
        lines = [header, "", summary + "."]
        cov = self.coverage
        if cov.note:
            lines.append(f"> {cov.note}")
        if cov.truncated:
            lines.append("> truncated: part of the recording could not be analyzed")
        skipped = sum(cov.unknown.values()) + cov.malformed + cov.too_deep
        if skipped:
            lines.append(f"> {skipped} events skipped (unknown or malformed)")
        return printable("\n".join(lines) + "\n" + ("\n" + body if body else ""))

    # --- raw access ---------------------------------------------------------------------

    def to_rrweb_json(self) -> bytes:
        """The kept raw events as a JSON array in timestamp order (a stable sort), ready
        for rrweb-player. Needs ``keep_events=True`` when analyzing (``ValueError`` else)."""
        if self.events is None:
            raise ValueError(
                f"replay {self.replay_id} kept no raw events: analyze it with keep_events=True"
            )
        ordered = sorted(self.events, key=_event_time)
        return msgspec.json.encode(ordered)

    def clicks_on(self, target: str | Callable[[Action], bool]) -> list[Action]:
        """The clicks on an element, in time order.

        ``target`` is a predicate over :class:`~replaykit.Action`, or a string: a label
        (case-insensitive; equal to or part of the click's ``label``) or a selector (equal
        to the click's ``target`` or the end of it, e.g. ``"#buy"`` or ``"form > button"``).
        """
        clicks = [a for a in self.actions if a.kind == "click"]
        if callable(target):
            return [a for a in clicks if target(a)]
        needle = target.strip()
        folded = needle.casefold()
        if not folded:
            return []

        def hit(a: Action) -> bool:
            label = (a.label or "").casefold()
            selector = a.target or ""
            if folded in label or selector == needle:
                return True
            if not selector.endswith(needle) or len(selector) == len(needle):
                return False
            # A suffix counts when it starts a selector part: "#buy" or ".primary" on
            # "button#buy.primary"; "button.buy" after a space or ">" combinator.
            return needle[0] in "#.[:" or selector[-len(needle) - 1] in " >"

        return [a for a in clicks if hit(a)]

    def page_path(self, *, normalize: bool = False) -> list[str]:
        """The pages visited in order: the URL of each page load and navigation, repeats
        in a row collapsed (``normalize=True`` maps ``/product/44?x=1`` to
        ``/product/:id`` first)."""
        from .analysis._labels import normalize_url

        path: list[str] = []
        for a in self.actions:
            if a.kind not in ("page_load", "navigation") or not a.url:
                continue
            url = normalize_url(a.url) if normalize else a.url
            if not path or path[-1] != url:
                path.append(url)
        if not path:
            first = next((a.url for a in self.actions if a.url), None)
            if first:
                path.append(normalize_url(first) if normalize else first)
        return path


def _event_time(event: Any) -> float:
    stamp = event.get("timestamp") if isinstance(event, dict) else None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return 0.0
    return float(stamp)


class RawEvents:
    """Bounded keeper of raw events (``keep_events=True``)."""

    def __init__(self, limit: int = DEFAULT_MAX_KEPT_EVENTS) -> None:
        if limit < 1:
            raise UsageError(f"max_kept_events must be at least 1, got {limit}")
        self.limit = limit
        self.events: list[dict[str, Any]] = []
        self.truncated = False

    def extend(self, items: Any) -> None:
        if not isinstance(items, list):
            return
        room = self.limit - len(self.events)
        kept = [e for e in items if isinstance(e, dict)]
        if len(kept) > room:
            self.truncated = True
            kept = kept[: max(room, 0)]
        self.events.extend(kept)


def raw_events_of(path: str, limit: int = DEFAULT_MAX_KEPT_EVENTS) -> RawEvents:
    """The raw events of a local recording (see :func:`raw_events_from`)."""
    with open(path, "rb") as f:
        return raw_events_from(f.read(), path, limit)


def raw_events_from(data: bytes, where: str, limit: int = DEFAULT_MAX_KEPT_EVENTS) -> RawEvents:
    """Raw events from a recording's bytes: a JSON array, NDJSON or an ``{"events":
    [...]}`` wrapper, gzip- or zlib-compressed or not. Formats that need replaykit's
    decoder to mean anything (rrweb packer strings, PostHog compressed events) raise
    :class:`~replaykit.RecordingFormatError`."""
    import gzip
    import zlib

    keeper = RawEvents(limit)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:1] == b"\x78":
        with contextlib.suppress(zlib.error):
            data = zlib.decompress(data)
    try:
        value: Any = msgspec.json.decode(data)
    except msgspec.DecodeError:
        value = []
        for line in data.splitlines():
            if line.strip():
                try:
                    value.append(msgspec.json.decode(line))
                except msgspec.DecodeError:
                    raise RecordingFormatError(
                        f"{where}: keep_events reads JSON or NDJSON recordings only"
                    ) from None
    for _ in range(2):
        if isinstance(value, dict):
            inner = value.get("events", value.get("data"))
            value = inner if inner is not None else value
    if not isinstance(value, list) or any(not isinstance(e, dict) for e in value[:100]):
        raise RecordingFormatError(
            f"{where}: keep_events needs plain rrweb events (not packed or compressed ones)"
        )
    keeper.extend(value)
    return keeper


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
        await anyio.to_thread.run_sync(raw_events_of, rec.path, max_kept_events)
        if keep_events
        else None
    )
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
        events=kept.events if kept is not None else None,
        events_truncated=kept.truncated if kept is not None else False,
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
    from .analysis._analyzer import analyze_events as analyze_chunks

    raw = isinstance(events, bytes | str) or (
        isinstance(events, list) and all(isinstance(e, dict) for e in events[:1])
    )
    if not raw:
        return analyze_chunks(events, replay_id, options)
    data = events.encode() if isinstance(events, str) else events
    if isinstance(data, list):
        data = msgspec.json.encode(data)
    analyzer = ReplayAnalyzer(replay_id, options)
    actions: list[Action] = []
    for chunk in iter_event_chunks(data, replay_id=replay_id):
        actions.extend(analyzer.feed(chunk))
    actions.extend(analyzer.finish())
    config = _signal_choice(signals)
    found = detect_signals(replay_id, actions, analyzer.tape, config) if config is not None else []
    kept: RawEvents | None = None
    if keep_events and isinstance(events, list):
        kept = RawEvents(max_kept_events)
        kept.extend(events)
    elif keep_events:
        kept = raw_events_from(data, replay_id, max_kept_events)
    return AnalyzedReplay(
        replay_id=replay_id,
        source="memory",
        actions=actions,
        coverage=analyzer.coverage,
        signals=found,
        active_ms=active_time(analyzer.tape).active_ms,
        visits=page_visits(actions, analyzer.tape),
        start_timestamp=analyzer.start_timestamp,
        end_timestamp=analyzer.end_timestamp,
        events=kept.events if kept is not None else None,
        events_truncated=kept.truncated if kept is not None else False,
    )
