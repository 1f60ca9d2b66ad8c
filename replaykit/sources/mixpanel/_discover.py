"""Discover: list replays with one Insights query over ``$mp_session_record``.

The query measures the minimum ``$time`` of the event ``$mp_session_record``, grouped by
``$mp_replay_id`` then ``$mp_replay_retention_period``, filtered by user or by replay
ids. The answer's ``series`` nests one level per group, each with an ``$overall`` rollup to
skip; leaves are ``{"all": <unix seconds>}`` (protocol doc §3).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import AsyncGenerator, Iterable
from typing import Any, Final

import msgspec

from ..._errors import InvalidResponseError, QueryError, UsageError
from ._http import Session

__all__ = [
    "DEFAULT_LOOKBACK_DAYS",
    "DEFAULT_RETENTION_DAYS",
    "DateArg",
    "ReplayDescriptor",
    "discover",
    "insights_body",
    "parse_day",
    "time_section",
]

logger = logging.getLogger("replaykit.mixpanel")

DEFAULT_LOOKBACK_DAYS: Final = 90
"""Days searched when no date is given: the longest standard retention."""

DEFAULT_RETENTION_DAYS: Final = 30
"""Retention assumed for a replay whose retention property is missing."""

ROW_CAP: Final = 3000  # Insights returns at most this many rows and has no paging
_OVERALL: Final = "$overall"
_IDS_PER_QUERY: Final = 200  # keeps the filter list (and the request body) small

DateArg = dt.date | str | None


class ReplayDescriptor(msgspec.Struct, frozen=True, kw_only=True):
    """A replay found by discovery: what fetching needs to know before the CDN walk.

    ``start_time_ms`` is the first recorded event time (epoch ms) when known.
    ``retention_days`` is the suffix of the replay's chunk files; ``retention_known`` is
    false when discovery had no retention for it and ``DEFAULT_RETENTION_DAYS`` was
    assumed, in which case a fetch tries the other standard retentions before concluding
    the replay does not exist.
    """

    replay_id: str
    distinct_id: str | None = None
    start_time_ms: int | None = None
    retention_days: int = DEFAULT_RETENTION_DAYS
    retention_known: bool = True


def parse_day(value: DateArg, name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` string or date as a date; UsageError for anything else."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{name} must be YYYY-MM-DD, got {value!r}") from None


def time_section(
    from_date: DateArg, to_date: DateArg, *, today: dt.date, lookback: int = DEFAULT_LOOKBACK_DAYS
) -> dict[str, Any]:
    """The Insights ``time`` entry: an inclusive day range or the last ``lookback`` days."""
    start, end = parse_day(from_date, "from_date"), parse_day(to_date, "to_date")
    if start is None and end is None:
        return {
            "dateRangeType": "in the last",
            "unit": "day",
            "window": {"unit": "day", "value": lookback},
        }
    end = end or today
    start = start or end - dt.timedelta(days=lookback - 1)
    if start > end:
        raise UsageError(f"from_date {start} is after to_date {end}")
    return {
        "dateRangeType": "between",
        "unit": "day",
        "value": [start.isoformat(), end.isoformat()],
    }


def _group(prop: str) -> dict[str, Any]:
    return {
        "value": prop,
        "propertyName": prop,
        "resourceType": "events",
        "propertyType": "string",
        "propertyDefaultType": "string",
    }


def _filter(prop: str, values: list[str], operator: str = "equals") -> dict[str, Any]:
    return {
        "resourceType": "events",
        "filterType": "string",
        "defaultType": "string",
        "value": prop,
        "filterOperator": operator,
        "filterValue": values,
    }


def insights_body(
    project_id: int,
    *,
    event: str,
    math: str,
    math_property: str | None,
    time: dict[str, Any],
    filters: list[dict[str, Any]],
    groups: list[str],
) -> dict[str, Any]:
    """An Insights POST body: one metric, a time range, filters and group-by properties."""
    measurement: dict[str, Any] = {"math": math}
    if math_property is not None:
        measurement["property"] = {"name": math_property, "resourceType": "events"}
    sections = {
        "show": [
            {
                "type": "metric",
                "behavior": {"type": "event", "name": event, "resourceType": "events"},
                "measurement": measurement,
            }
        ],
        "time": [time],
        "filter": filters,
        "group": [_group(g) for g in groups],
    }
    return {
        "bookmark": {"sections": sections, "displayOptions": {"chartType": "table"}},
        "project_id": project_id,
        "queryLimits": {"limit": ROW_CAP},
    }


async def insights(session: Session, body: dict[str, Any], what: str) -> dict[str, Any]:
    """POST an Insights query; return the first dict-valued metric of its ``series``."""
    cfg = session.config
    params = {"query_origin": "replaykit"}
    if cfg.workspace_id is not None:
        params["workspace_id"] = str(cfg.workspace_id)
    data = await session.api_json(
        "POST",
        f"{cfg.query_base}/insights",
        what=what,
        json=body,
        params=params,
        limiter=session.query_limiter,
    )
    if not isinstance(data, dict):
        raise InvalidResponseError(f"{what}: the answer is not a JSON object", status=200)
    if "error" in data:
        raise QueryError(f"{what}: {session.server_text(msgspec.json.encode(data))}", status=200)
    series = data.get("series")
    if not isinstance(series, dict):
        raise QueryError(f"{what}: the answer has no series", status=200)
    meta = data.get("meta")
    if isinstance(meta, dict) and meta.get("is_segmentation_limit_hit"):
        warnings.warn(
            f"{what}: Mixpanel cut the answer at its row cap ({ROW_CAP}); "
            "narrow the date range to see every replay",
            UserWarning,
            stacklevel=3,
        )
    for metric in series.values():
        if isinstance(metric, dict):
            return metric
    return {}


def _leaf_time_ms(node: Any) -> int | None:
    value = node.get("all") if isinstance(node, dict) else node
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    ms = value * 1000 if value < 1e12 else value  # seconds, or already milliseconds
    return int(ms) if ms > 0 else None


def _retention(key: str) -> int | None:
    try:
        days = int(key)
    except ValueError:
        return None
    # Standard plans use 1/7/30/90 days; Enterprise may set any period, so accept any.
    return days if 0 < days <= 10_000 else None


def parse_series(
    metric: dict[str, Any], distinct_id: str | None, *, warn: bool = True
) -> list[ReplayDescriptor]:
    """Descriptors from a discovery ``series`` metric; malformed rows are skipped.

    A replay without a retention period gets ``DEFAULT_RETENTION_DAYS`` (and a
    ``UserWarning`` when ``warn``), with ``retention_known=False``.
    """
    found: list[ReplayDescriptor] = []
    seen: set[str] = set()
    for rid, node in metric.items():
        if not rid or rid == _OVERALL or rid in seen or not isinstance(node, dict):
            continue
        seen.add(rid)
        retention, start = None, None
        children = [(k, v) for k, v in node.items() if k != _OVERALL]
        for key, child in children:
            days = _retention(key)
            if days is not None:
                retention, start = days, _leaf_time_ms(child)
                break
        if retention is None:
            for _, child in children:
                start = _leaf_time_ms(child)
                if start is not None:
                    break
            if start is None:
                start = _leaf_time_ms(node.get(_OVERALL))
        if start is None:
            logger.debug("discover: dropping replay %s without a start time", rid)
            continue
        if retention is None and warn:
            warnings.warn(
                f"replay {rid}: discovery has no retention period; assuming "
                f"{DEFAULT_RETENTION_DAYS} days (a fetch tries the others if that fails)",
                UserWarning,
                stacklevel=2,
            )
        found.append(
            ReplayDescriptor(
                replay_id=rid,
                distinct_id=distinct_id,
                start_time_ms=start,
                retention_days=retention or DEFAULT_RETENTION_DAYS,
                retention_known=retention is not None,
            )
        )
    return found


async def discover(
    session: Session,
    *,
    from_date: DateArg = None,
    to_date: DateArg = None,
    distinct_id: str | None = None,
    replay_ids: Iterable[str] | None = None,
    limit: int | None = None,
    warn_missing_retention: bool = True,
) -> AsyncGenerator[ReplayDescriptor, None]:
    """Yield replay descriptors, newest first, at most ``limit``.

    Filter by ``distinct_id`` or by ``replay_ids`` (one query per 200 ids), or neither
    (every replay in the window). With no dates the last 90 days are searched; with one,
    the other is filled in (today, or 90 days before ``to_date``).
    """
    if distinct_id is not None and replay_ids is not None:
        raise UsageError("pass distinct_id or replay_ids, not both")
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be at least 1, got {limit}")
    today = dt.datetime.fromtimestamp(session.clock(), dt.UTC).date()
    time = time_section(from_date, to_date, today=today)
    groups = ["$mp_replay_id", "$mp_replay_retention_period"]
    batches: list[list[dict[str, Any]]]
    if replay_ids is not None:
        ids = list(dict.fromkeys(replay_ids))
        batches = [
            [_filter("$mp_replay_id", ids[i : i + _IDS_PER_QUERY])]
            for i in range(0, len(ids), _IDS_PER_QUERY)
        ]
    elif distinct_id is not None:
        batches = [[_filter("$distinct_id", [distinct_id])]]
    else:
        batches = [[]]
    found: list[ReplayDescriptor] = []
    for filters in batches:
        body = insights_body(
            session.config.project_id,
            event="$mp_session_record",
            math="min",
            math_property="$time",
            time=time,
            filters=filters,
            groups=groups,
        )
        metric = await insights(session, body, "discover")
        found.extend(parse_series(metric, distinct_id, warn=warn_missing_retention))
    # The server's order is arbitrary; newest first is what a person (and `limit`) wants.
    found.sort(key=lambda d: d.start_time_ms or 0, reverse=True)
    for descriptor in found[:limit]:
        yield descriptor
