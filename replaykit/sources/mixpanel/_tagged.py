"""The Insights events join (the reference client's way): events tagged with a replay id.

One Insights query per 200 replays: event ``$all_events``, measure ``total``, grouped by
``$time``, ``$event_name``, ``$mp_replay_id`` and up to five caller properties, filtered to
the replay ids and to ``$event_name`` other than ``$mp_session_record`` (protocol doc §6).
The answer nests one level per group (each with an ``$overall`` rollup to skip); a leaf
``{"all": N}`` counts N identical events in that second, kept as ``MixpanelEvent.count``.

It finds only events the SDK tagged with ``$mp_replay_id`` while recording, and it counts
against the Query API budget; the export join (:mod:`._events`) sees every event of a user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Final

from ..._errors import UsageError
from ._discover import DateArg, _filter, insights, insights_body, time_section
from ._events import MixpanelEvent, ReplayWindow, date_range
from ._http import Session

__all__ = ["MAX_PROPERTIES", "tagged_events"]

MAX_PROPERTIES: Final = 5  # Insights takes at most five extra group-by properties
_BASE_GROUPS: Final = ("$time", "$event_name", "$mp_replay_id")
_IDS_PER_QUERY: Final = 200
_OVERALL: Final = "$overall"


def _leaves(node: Any, depth: int, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    """(group values, count) for every leaf ``depth`` levels below ``node``."""
    if not isinstance(node, dict):
        return []
    if depth == 0:
        count = node.get("all")
        if isinstance(count, bool) or not isinstance(count, int | float) or not count > 0:
            return []
        return [(path, int(count))]
    out: list[tuple[tuple[str, ...], int]] = []
    for key, child in node.items():
        if key != _OVERALL:
            out.extend(_leaves(child, depth - 1, (*path, str(key))))
    return out


def _second_ms(stamp: str) -> int | None:
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # Insights prints UTC seconds without a zone
    return int(when.timestamp()) * 1000


async def tagged_events(
    session: Session,
    targets: list[ReplayWindow],
    *,
    from_date: DateArg = None,
    to_date: DateArg = None,
    margin_ms: int = 0,
    names: Sequence[str] | None = None,
    properties: Sequence[str] = (),
) -> AsyncGenerator[MixpanelEvent, None]:
    """Yield each replay's tagged events from Insights, per replay in time order."""
    if len(properties) > MAX_PROPERTIES:
        raise UsageError(f"at most {MAX_PROPERTIES} properties, got {len(properties)}")
    today = dt.datetime.fromtimestamp(session.clock(), dt.UTC).date()
    groups = [*_BASE_GROUPS, *properties]
    wanted = set(names) if names else None
    by_id = {w.replay_id: w for w in targets}
    ids = list(by_id)
    for i in range(0, len(ids), _IDS_PER_QUERY):
        batch = [by_id[rid] for rid in ids[i : i + _IDS_PER_QUERY]]
        if from_date is None and to_date is None and all(w.start_ms for w in batch):
            start, end = date_range(batch, None, None, today)
            time = time_section(start, end, today=today)
        else:
            time = time_section(from_date, to_date, today=today)
        body = insights_body(
            session.config.project_id,
            event="$all_events",
            math="total",
            math_property=None,
            time=time,
            filters=[
                _filter("$mp_replay_id", [w.replay_id for w in batch]),
                _filter("$event_name", ["$mp_session_record"], "does not equal"),
            ],
            groups=groups,
        )
        metric = await insights(session, body, "events")
        found: list[MixpanelEvent] = []
        for path, count in _leaves(metric, len(groups), ()):
            stamp, name, rid, *values = path
            window = by_id.get(rid)
            t = _second_ms(stamp)
            if window is None or t is None or name == "$mp_session_record":
                continue
            if (wanted is not None and name not in wanted) or not window.contains(
                t, margin_ms, 1000
            ):
                continue
            found.append(
                MixpanelEvent(
                    replay_id=rid,
                    name=name,
                    time_ms=t,
                    distinct_id=window.distinct_id,
                    properties=dict(zip(properties, values, strict=True)),
                    count=count,
                )
            )
        order = {rid: n for n, rid in enumerate(ids)}
        found.sort(key=lambda e: (order[e.replay_id], e.time_ms, e.name))
        for event in found:
            yield event
