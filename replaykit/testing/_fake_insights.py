"""The fake Mixpanel's Insights: table queries (group by, filters, ``min``/``total``,
row cap) answered from the event dataset."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ._fake_dataset import _day_start

if TYPE_CHECKING:
    from ._fake_mixpanel import FakeMixpanel

__all__: list[str] = []

_METRIC_NAMES = {"$mp_session_record": "Session Recording Checkpoint", "$all_events": "All Events"}


def _prop(event: dict[str, Any], name: str) -> Any:
    props = event["properties"]
    if name == "$event_name":
        return event["event"]
    if name == "$time":
        stamp = dt.datetime.fromtimestamp(int(props["time"]), dt.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S")
    if name == "$distinct_id":
        return props.get("distinct_id")
    return props.get(name)


def _insights_window(time_section: Any, now: float) -> tuple[float | None, float | None]:
    entry = time_section[0] if isinstance(time_section, list) and time_section else {}
    if not isinstance(entry, dict):
        return None, None
    value = entry.get("value")
    if entry.get("dateRangeType") == "between" and isinstance(value, list) and len(value) == 2:
        return _day_start(value[0]), _day_start(value[1]) + 86400
    window = entry.get("window")
    if isinstance(window, dict) and isinstance(window.get("value"), int):
        return now - window["value"] * 86400, None
    return None, None


def _matches_filters(event: dict[str, Any], filters: Any) -> bool:
    for f in filters if isinstance(filters, list) else []:
        if not isinstance(f, dict):
            continue
        wanted = f.get("filterValue")
        wanted = wanted if isinstance(wanted, list) else [wanted]
        found = _prop(event, str(f.get("value"))) in wanted
        negate = "not" in str(f.get("filterOperator", "")).lower()
        if found == negate:
            return False
    return True


def _insights(fake: FakeMixpanel, body: Any) -> tuple[int, Any]:
    """Answer an Insights table query from the event dataset (see the module docstring)."""
    try:
        sections = body["bookmark"]["sections"]
        show = sections["show"][0]
        event_name = show["behavior"]["name"]
        math_kind = show.get("measurement", {}).get("math", "total")
        groups = [g.get("propertyName") or g.get("value") for g in sections.get("group", [])]
    except (KeyError, IndexError, TypeError, AttributeError):
        return 400, {"error": "invalid bookmark: expected sections.show[0].behavior.name"}
    lo, hi = _insights_window(sections.get("time"), fake.now())
    limit = body.get("queryLimits", {}).get("limit", 3000)
    cap = min(fake.faults.insights_row_cap, limit if isinstance(limit, int) else 3000)
    root: dict[str, Any] = {}
    rows: set[tuple[str, ...]] = set()
    hit = False
    for ev in fake._events():
        if event_name != "$all_events" and ev["event"] != event_name:
            continue
        t = float(ev["properties"]["time"])
        if not fake._in_window(t, lo, hi) or not _matches_filters(ev, sections.get("filter")):
            continue
        keys: list[str] = []
        for g in groups:
            value = _prop(ev, g)
            if value is None:
                break
            keys.append(str(value))
        if tuple(keys) not in rows:
            if len(rows) >= cap:
                hit = True
                continue
            rows.add(tuple(keys))
        _accumulate(root, keys, len(groups), int(t) if math_kind == "min" else 1, math_kind)
    label = _METRIC_NAMES.get(event_name, event_name)
    suffix = "Minimum Time" if math_kind == "min" else "Total Events"
    days = [
        None if x is None else dt.datetime.fromtimestamp(x, dt.UTC).date().isoformat()
        for x in (lo, hi)
    ]
    return 200, {
        "computed_at": dt.datetime.now(dt.UTC).isoformat(),
        "date_range": {"from_date": days[0], "to_date": days[1]},
        "headers": ["$metric", *groups],
        "meta": {"is_segmentation_limit_hit": hit},
        "series": {f"{label} [{suffix}]": root},
    }


def _accumulate(node: dict[str, Any], keys: list[str], depth: int, value: int, how: str) -> None:
    """Fold ``value`` into each ``$overall`` on the path of ``keys`` and into its leaf.

    A path shorter than ``depth`` (a group property the event lacks) adds to rollups only.
    """

    def fold(target: dict[str, Any]) -> None:
        old = target.get("all")
        target["all"] = value if old is None else min(old, value) if how == "min" else old + value

    for key in keys:
        fold(node.setdefault("$overall", {}))
        node = node.setdefault(key, {})
    if len(keys) == depth:
        fold(node)
    else:
        fold(node.setdefault("$overall", {}))
