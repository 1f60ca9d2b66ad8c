"""The events join of the replay pipeline: each analyzed replay gets its user's events.

Two pieces, both bounded by the client's Query API limiter and retry policy:

- :func:`owners` looks up who recorded replays given by id (one Insights query per 200
  ids: ``$mp_session_record`` grouped by ``$mp_replay_id`` then ``$distinct_id``), so a
  replay named only by id still gets its ``distinct_id``.
- :class:`EventJoin` hands each finished replay the user's events from ``start - margin``
  to ``end + margin`` (:data:`DEFAULT_JOIN_MARGIN_MS`). It reads the raw export API (every
  event of the user, not only the ones tagged with ``$mp_replay_id``), **one call per
  user** for the days spanning every replay of that user it has been told about
  (:meth:`EventJoin.plan`); later replays of the same user are served from that answer
  while it covers their window. Replays without a known user fall back to the events
  tagged with their replay id (one call each).

The answer kept per user is bounded (:data:`MAX_CACHED_EVENTS`); a user with more events
than that is asked again for each replay instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from contextlib import aclosing
from typing import Final

import anyio

from ..._errors import MixpanelError
from ...analysis._joined import JoinedEvent as MixpanelEvent
from ._discover import ReplayDescriptor, _filter, insights, insights_body, time_section
from ._events import ReplayWindow, _export, _Line, _quote, _time_ms, date_range, iter_events
from ._http import Session

__all__ = ["DEFAULT_JOIN_MARGIN_MS", "MAX_CACHED_EVENTS", "EventJoin", "owners"]

logger = logging.getLogger("replaykit.mixpanel")

DEFAULT_JOIN_MARGIN_MS: Final = 30_000
"""How far before a replay's first event and after its last one the join reaches (ms):
the page view that starts a recording is often tracked a moment before rrweb's first
event, and server-side events of the last action land after its last one."""

MAX_CACHED_EVENTS: Final = 200_000
"""Most export lines kept per user between that user's replays."""

_IDS_PER_QUERY: Final = 200
_OVERALL: Final = "$overall"


async def owners(session: Session, replay_ids: Sequence[str]) -> dict[str, str]:
    """Replay id → ``distinct_id`` for the ids discovery knows (last 90 days)."""
    today = dt.datetime.fromtimestamp(session.clock(), dt.UTC).date()
    found: dict[str, str] = {}
    ids = list(dict.fromkeys(replay_ids))
    for i in range(0, len(ids), _IDS_PER_QUERY):
        body = insights_body(
            session.config.project_id,
            event="$mp_session_record",
            math="min",
            math_property="$time",
            time=time_section(None, None, today=today),
            filters=[_filter("$mp_replay_id", ids[i : i + _IDS_PER_QUERY])],
            groups=["$mp_replay_id", "$distinct_id"],
        )
        metric = await insights(session, body, "owner lookup")
        for rid, node in metric.items():
            if rid == _OVERALL or not isinstance(node, dict) or rid in found:
                continue
            for user in node:
                if user and user != _OVERALL:
                    found[rid] = user
                    break
    return found


class _UserEvents:
    """One user's exported events over ``[start, end]`` (days), in arrival order."""

    def __init__(self, start: dt.date, end: dt.date, lines: list[_Line]) -> None:
        self.start = start
        self.end = end
        self.lines = lines


class EventJoin:
    """Joins users' Mixpanel events to analyzed replays (see the module doc).

    ``names`` keeps only those event names; ``margin_ms`` widens every window.
    """

    def __init__(
        self,
        session: Session,
        *,
        margin_ms: int = DEFAULT_JOIN_MARGIN_MS,
        names: Sequence[str] | None = None,
        max_cached: int = MAX_CACHED_EVENTS,
    ) -> None:
        self.session = session
        self.margin_ms = margin_ms
        self.names = list(names) if names else None
        self.max_cached = max_cached
        self.calls = 0
        self._planned: dict[str, list[ReplayWindow]] = {}
        self._cache: dict[str, _UserEvents] = {}
        self._locks: dict[str, anyio.Lock] = {}

    def plan(self, descriptor: ReplayDescriptor) -> None:
        """Note a replay that will be joined, so its user's one export call covers it."""
        if descriptor.distinct_id is None or descriptor.start_time_ms is None:
            return
        self._planned.setdefault(descriptor.distinct_id, []).append(
            ReplayWindow(
                replay_id=descriptor.replay_id,
                distinct_id=descriptor.distinct_id,
                start_ms=descriptor.start_time_ms,
                end_ms=None,
            )
        )

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.session.clock(), dt.UTC).date()

    async def join(
        self,
        replay_id: str,
        distinct_id: str | None,
        start_ms: int | None,
        end_ms: int | None,
    ) -> tuple[str | None, list[MixpanelEvent]]:
        """The replay's user (as known, or as the tagged events say) and its events."""
        window = ReplayWindow(
            replay_id=replay_id, distinct_id=distinct_id, start_ms=start_ms, end_ms=end_ms
        )
        if distinct_id is None or start_ms is None:
            found: list[MixpanelEvent] = []
            self.calls += 1
            gen = iter_events(self.session, [window], margin_ms=self.margin_ms, names=self.names)
            async with aclosing(gen):
                async for event in gen:
                    found.append(event)
            if distinct_id is None:
                users = {e.distinct_id for e in found if e.distinct_id is not None}
                distinct_id = users.pop() if len(users) == 1 else None
            return distinct_id, found
        lock = self._locks.setdefault(distinct_id, anyio.Lock())
        async with lock:
            lines = await self._lines(distinct_id, window)
        events = []
        for line in lines:
            stamp = _time_ms(line.properties)
            if stamp is None:
                continue
            t, precision = stamp
            if window.contains(t, self.margin_ms, precision):
                events.append(
                    MixpanelEvent(
                        replay_id=replay_id,
                        name=line.event,
                        time_ms=t,
                        distinct_id=distinct_id,
                        properties=line.properties,
                    )
                )
        events.sort(key=lambda e: e.time_ms)
        return distinct_id, events

    async def _lines(self, user: str, window: ReplayWindow) -> list[_Line]:
        today = self._today()
        want_start, want_end = date_range([window], None, None, today)
        cached = self._cache.get(user)
        if cached is not None and cached.start <= want_start and want_end <= cached.end:
            return cached.lines
        group = [window, *self._planned.get(user, [])]
        start, end = date_range(group, None, None, today)
        start, end = min(start, want_start), max(end, want_end)
        where = f'properties["distinct_id"] == {_quote(user)}'
        lines: list[_Line] = []
        keep = True
        self.calls += 1
        gen = _export(self.session, where, start, end, self.names)

        def inside(line: _Line) -> bool:
            stamp = _time_ms(line.properties)
            return stamp is not None and window.contains(stamp[0], self.margin_ms, stamp[1])

        async with aclosing(gen):
            async for line in gen:
                if keep:
                    lines.append(line)
                    if len(lines) > self.max_cached:
                        # Too many to keep for later replays: keep this window's only.
                        keep = False
                        lines = [x for x in lines if inside(x)]
                elif inside(line):
                    lines.append(line)
        if keep:
            self._cache[user] = _UserEvents(start, end, lines)
        else:
            self._cache.pop(user, None)
            logger.info("events join: %s has over %d events; not kept", user, self.max_cached)
        return lines


def join_failed(replay_id: str, exc: MixpanelError) -> None:
    """Log a join that failed for one replay (its analysis is kept, without events)."""
    logger.warning(
        "replay %s: the Mixpanel events join failed (%s); its events are missing",
        replay_id,
        exc.message,
    )
