"""One replay's analysis as a result: :class:`AnalyzedReplay`, and the one function that
assembles it for every source.

:func:`finish_replay` turns a finished analyzer into an :class:`AnalyzedReplay` —
actions, signals (within what is left of the replay's time budget), active time, page
visits, coverage — so local files, Mixpanel fetches and distributed chunks build their
results the same way. :class:`RawEvents` keeps a bounded copy of the raw events for
``keep_events=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import msgspec

from .._errors import RecordingFormatError, ReplayFailure, UsageError
from .._text import printable
from ..rrweb._decode import DEFAULT_MAX_INPUT_BYTES
from ..rrweb._input import read_whole
from ..rrweb._rows import EventRow
from ._actions import Action, Coverage
from ._activity import active_time
from ._analyzer import ReplayAnalyzer
from ._joined import JoinedEvent
from ._mobile import describe_any
from ._signal import Signal
from ._signal_config import SignalConfig
from ._signals import detect_signals
from ._timeline import markdown_timeline
from ._timeline_html import timeline_html
from ._visits import PageVisit, page_visits

__all__ = [
    "DEFAULT_MAX_KEPT_EVENTS",
    "AnalyzedReplay",
    "RawEvents",
    "failed_replay",
    "finish_replay",
    "raw_events_from",
    "raw_events_of",
]

DEFAULT_MAX_KEPT_EVENTS: Final = 1_000_000
"""Most raw events ``keep_events=True`` keeps per replay (the rest are dropped and
``events_truncated`` is set). Raw events as Python dicts take about 1 KB each (many times
their JSON size): a million is about a gigabyte."""


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

    ``event_rows`` holds one :class:`~replaykit.rrweb.EventRow` per decoded event when
    the analyzer was asked for them (``AnalyzerOptions(event_rows=True)``): the bundle's
    events frame, taken in the analysis pass rather than by reading the recording again.
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
    mixpanel_events: list[JoinedEvent] = []
    events: list[dict[str, Any]] | None = None
    events_truncated: bool = False
    event_rows: list[EventRow] | None = None

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
        from ._labels import normalize_url

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


def raw_events_of(
    path: str,
    limit: int = DEFAULT_MAX_KEPT_EVENTS,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> RawEvents:
    """The raw events of a local recording (see :func:`raw_events_from`)."""
    return _raw_events(read_whole(path, max_input_bytes, path), path, limit)


def raw_events_from(
    data: bytes,
    where: str,
    limit: int = DEFAULT_MAX_KEPT_EVENTS,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> RawEvents:
    """Raw events from a recording's bytes: a JSON array, NDJSON or an ``{"events":
    [...]}`` wrapper, gzip- or zlib-compressed or not, read under the decoder's input cap
    (:class:`~replaykit.RecordingTooLargeError` past it, raw or inflated). Formats that
    need replaykit's decoder to mean anything (rrweb packer strings, PostHog compressed
    events) raise :class:`~replaykit.RecordingFormatError`."""
    return _raw_events(read_whole(data, max_input_bytes, where), where, limit)


def _raw_events(data: bytes, where: str, limit: int) -> RawEvents:
    keeper = RawEvents(limit)
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


def finish_replay(
    analyzer: ReplayAnalyzer,
    actions: list[Action],
    *,
    source: str,
    signals: SignalConfig | str | None = None,
    distinct_id: str | None = None,
    joined: Sequence[JoinedEvent] = (),
    kept: RawEvents | None = None,
) -> AnalyzedReplay:
    """The :class:`AnalyzedReplay` of a finished analyzer (``actions`` = everything its
    ``feed`` and ``finish`` returned): signals with ``signals`` (a preset name or config)
    within what is left of the analyzer's time budget, active time, page visits."""
    tape = analyzer.tape
    found = (
        detect_signals(
            analyzer.replay_id,
            actions,
            tape,
            signals,
            max_seconds=analyzer.remaining_seconds,
        )
        if signals is not None
        else []
    )
    return AnalyzedReplay(
        replay_id=analyzer.replay_id,
        source=source,
        actions=actions,
        coverage=analyzer.coverage,
        signals=found,
        active_ms=active_time(tape).active_ms,
        visits=page_visits(actions, tape),
        start_timestamp=analyzer.start_timestamp,
        end_timestamp=analyzer.end_timestamp,
        distinct_id=distinct_id,
        mixpanel_events=list(joined),
        events=kept.events if kept is not None else None,
        events_truncated=kept.truncated if kept is not None else False,
        event_rows=analyzer.event_rows,
    )


def failed_replay(replay_id: str, source: str, failure: ReplayFailure) -> AnalyzedReplay:
    """The record of a replay that could not be analyzed (no actions, ``failure`` set)."""
    return AnalyzedReplay(
        replay_id=replay_id, source=source, actions=[], coverage=Coverage(), failure=failure
    )
