"""The Mixpanel events join: a user's events during each replay, from the raw export API.

``GET {export}/export?project_id=P&from_date=D&to_date=D&where=<expr>`` streams NDJSON, one
``{"event": name, "properties": {"time": <unix s>, "distinct_id": ..., ...}}`` per line
(protocol doc §6). The join asks once per user for the days spanning all of that user's
replays (plus a day either side: older projects count export days in their own time
zone) and clips each event to the replay windows, so it finds every event of the user,
not only those tagged with ``$mp_replay_id``. Replays with no known user fall back to the
tagged events: ``properties["$mp_replay_id"]`` equal to the replay id (one call each).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncGenerator, Iterable, Sequence
from typing import Any, Final

import httpx
import msgspec

from ..._errors import InvalidResponseError, QueryError, TransientError, UsageError
from ...analysis._joined import JoinedEvent as MixpanelEvent
from ...analysis._replay import AnalyzedReplay
from ._discover import DEFAULT_LOOKBACK_DAYS, DateArg, ReplayDescriptor, parse_day
from ._http import Session

logger = logging.getLogger("replaykit.mixpanel")

__all__ = [
    "EventsTarget",
    "MixpanelEvent",
    "ReplayWindow",
    "date_range",
    "iter_events",
    "windows",
]

UNKNOWN_END_MS: Final = 24 * 3600 * 1000
"""Window length assumed when a replay's end is unknown (a descriptor, not yet fetched)."""


class _Line(msgspec.Struct):
    event: str
    properties: dict[str, Any] = {}


_LINE = msgspec.json.Decoder(_Line)


class ReplayWindow(msgspec.Struct, frozen=True, kw_only=True):
    """Internal: the span of one replay and whose it is."""

    replay_id: str
    distinct_id: str | None
    start_ms: int | None
    end_ms: int | None

    def contains(self, t: int, margin: int, precision: int = 1) -> bool:
        """Whether an event at ``t`` (known to ``precision`` ms) may fall in the window."""
        if self.start_ms is None:
            return True
        end = self.end_ms if self.end_ms is not None else self.start_ms + UNKNOWN_END_MS
        # A whole-second time stands for [t, t + 999]: it overlaps the window if any part
        # of that second does (the replay's opening page view shares its first second).
        return self.start_ms - margin <= t + precision - 1 and t <= end + margin


EventsTarget = str | ReplayDescriptor | AnalyzedReplay


def windows(
    replays: EventsTarget | Iterable[EventsTarget], distinct_id: str | None
) -> list[ReplayWindow]:
    """The windows of ``replays``; ``distinct_id`` fills in where a replay has none."""
    items = [replays] if isinstance(replays, str | ReplayDescriptor | AnalyzedReplay) else replays
    out: list[ReplayWindow] = []
    for item in items:
        if isinstance(item, str):
            out.append(
                ReplayWindow(replay_id=item, distinct_id=distinct_id, start_ms=None, end_ms=None)
            )
        elif isinstance(item, ReplayDescriptor):
            out.append(
                ReplayWindow(
                    replay_id=item.replay_id,
                    distinct_id=item.distinct_id or distinct_id,
                    start_ms=item.start_time_ms,
                    end_ms=None,
                )
            )
        else:
            out.append(
                ReplayWindow(
                    replay_id=item.replay_id,
                    distinct_id=distinct_id,
                    start_ms=item.start_timestamp,
                    end_ms=item.end_timestamp,
                )
            )
    return out


def _day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


def date_range(
    group: Sequence[ReplayWindow], from_date: DateArg, to_date: DateArg, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The days to ask for: given dates, else the windows' days ± 1, else the lookback."""
    start, end = parse_day(from_date, "from_date"), parse_day(to_date, "to_date")
    starts = [w.start_ms for w in group if w.start_ms is not None]
    if start is None:
        if starts and len(starts) == len(group):
            start = _day(min(starts)) - dt.timedelta(days=1)
        else:
            start = (end or today) - dt.timedelta(days=DEFAULT_LOOKBACK_DAYS - 1)
    if end is None:
        if starts and len(starts) == len(group):
            ends = [
                w.end_ms if w.end_ms is not None else (w.start_ms or 0) + UNKNOWN_END_MS
                for w in group
            ]
            end = min(today, _day(max(ends)) + dt.timedelta(days=1))
        else:
            end = today
    if start > end:
        raise UsageError(f"from_date {start} is after to_date {end}")
    return start, end


def _quote(value: str) -> str:
    # Mixpanel expressions take JSON-style double-quoted strings.
    return json.dumps(value)


def _time_ms(props: dict[str, Any]) -> tuple[int, int] | None:
    """The event time in epoch ms and its precision in ms (1000 for whole seconds)."""
    value = props.get("time")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value >= 1e12:  # already milliseconds
        return int(value), 1
    if value == int(value):
        return int(value) * 1000, 1000
    return int(value * 1000), 1


async def _export(
    session: Session,
    where: str,
    start: dt.date,
    end: dt.date,
    names: Sequence[str] | None,
) -> AsyncGenerator[_Line, None]:
    """The export's event lines, streamed.

    The body is NDJSON, one event per ``\\n``-terminated line. A body that breaks off (read
    timeout, reset, fewer bytes than announced, a last line with no end that does not
    decode) is retried while nothing has been handed out yet, and raises
    :class:`~replaykit.TransientError` after that: the events already yielded cannot be
    taken back. A body whose first line is not an event (an HTML error page, an
    ``{"error": ...}`` object) raises instead of reading as "no events"; stray lines
    after real events are skipped and counted in a warning.
    """
    cfg = session.config
    params = {
        "from_date": start.isoformat(),
        "to_date": end.isoformat(),
        "where": where,
    }
    if cfg.uses_service_account:
        params["project_id"] = str(cfg.project_id)
    if names:
        params["event"] = json.dumps(list(names))
    attempt = 0
    while True:
        attempt += 1
        events = skipped = 0
        failure: TransientError | None = None
        async with session.api_stream(
            "GET",
            f"{cfg.export_base}/export",
            what="export",
            params=params,
            limiter=session.query_limiter,
        ) as response:
            pending = bytearray()
            try:
                async for piece in response.aiter_bytes():
                    pending += piece
                    *lines, rest = pending.split(b"\n")
                    pending = bytearray(rest)
                    for line in lines:
                        parsed = _parse_line(line, events, session)
                        if parsed is None:
                            skipped += 1 if line.strip() else 0
                            continue
                        events += 1
                        yield parsed
            except httpx.TimeoutException as exc:
                failure = TransientError(
                    f"export: timed out reading the answer ({type(exc).__name__})"
                )
            except httpx.RequestError as exc:
                failure = TransientError(f"export: answer cut short ({type(exc).__name__})")
            if failure is None and pending.strip():
                # The last line has no "\n": fine if it is whole, but JSON that stops before
                # it closes means the connection closed mid-line (no length to check).
                cut = _cut_json(pending)
                last = None if cut else _parse_line(pending, events, session)
                if last is not None:
                    events += 1
                    yield last
                elif cut:
                    failure = TransientError("export: answer cut short (incomplete line)")
                else:
                    skipped += 1
        if failure is None:
            if skipped:
                logger.warning("export: skipped %d lines that are not events", skipped)
            return
        if events:
            failure.message += f" after {events} events"
            raise failure
        if await session.give_up(attempt, failure):
            raise failure


def _cut_json(line: bytes | bytearray) -> bool:
    """True for JSON that stops before it closes (a line the connection cut)."""
    try:
        msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        return "truncated" in str(exc)
    return False


def _parse_line(line: bytes | bytearray, events_so_far: int, session: Session) -> _Line | None:
    """One export line as an event; None for a blank or stray line after real events.

    Before any event, a line that is not one means the answer is not an event stream at
    all: QueryError for an ``{"error": ...}`` object, InvalidResponseError otherwise.
    """
    if not line.strip():
        return None
    try:
        return _LINE.decode(line)
    except msgspec.DecodeError:
        if events_so_far:
            return None
    try:
        data = msgspec.json.decode(line)
    except msgspec.DecodeError:
        data = None
    if isinstance(data, dict) and "error" in data:
        raise QueryError(f"export: {session.server_text(bytes(line))}", status=200)
    raise InvalidResponseError("export: the answer is not NDJSON events", status=200)


async def iter_events(
    session: Session,
    targets: list[ReplayWindow],
    *,
    from_date: DateArg = None,
    to_date: DateArg = None,
    margin_ms: int = 0,
    names: Sequence[str] | None = None,
) -> AsyncGenerator[MixpanelEvent, None]:
    """Yield the events of every window, one export call per user (or id batch)."""
    today = dt.datetime.fromtimestamp(session.clock(), dt.UTC).date()
    by_user: dict[str, list[ReplayWindow]] = {}
    untagged: list[ReplayWindow] = []
    for w in targets:
        if w.distinct_id is not None:
            by_user.setdefault(w.distinct_id, []).append(w)
        else:
            untagged.append(w)
    for user, group in by_user.items():
        start, end = date_range(group, from_date, to_date, today)
        where = f'properties["distinct_id"] == {_quote(user)}'
        async for line in _export(session, where, start, end, names):
            stamp = _time_ms(line.properties)
            if stamp is None:
                continue
            t, precision = stamp
            for w in group:
                if w.contains(t, margin_ms, precision):
                    yield MixpanelEvent(
                        replay_id=w.replay_id,
                        name=line.event,
                        time_ms=t,
                        distinct_id=user,
                        properties=line.properties,
                    )
    # Without a user, ask per replay for the events tagged with its id: one equality per
    # expression is the form every export implementation (and fake) understands.
    for window in untagged:
        start, end = date_range([window], from_date, to_date, today)
        where = f'properties["$mp_replay_id"] == {_quote(window.replay_id)}'
        async for line in _export(session, where, start, end, names):
            stamp = _time_ms(line.properties)
            tag = line.properties.get("$mp_replay_id")
            if stamp is None or tag != window.replay_id:
                continue
            t, precision = stamp
            if not window.contains(t, margin_ms, precision):
                continue
            owner = line.properties.get("distinct_id")
            yield MixpanelEvent(
                replay_id=window.replay_id,
                name=line.event,
                time_ms=t,
                distinct_id=owner if isinstance(owner, str) else None,
                properties=line.properties,
            )
