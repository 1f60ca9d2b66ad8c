"""The fake Mixpanel's raw export: the event dataset as NDJSON, filtered by dates, event
names and simple ``where`` expressions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import msgspec

from ._fake_dataset import _day_start

if TYPE_CHECKING:
    from ._fake_mixpanel import FakeMixpanel

__all__: list[str] = []

_WHERE = re.compile(r'properties\["([^"]+)"\]\s*(==|!=)\s*"([^"]*)"')


def _export(fake: FakeMixpanel, query: str, basic: bool) -> tuple[int, Any]:
    """Answer an export request (``basic``: it came with HTTP Basic auth): status and body."""
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    if basic and params.get("project_id") != str(fake.project_id):
        return 400, {"error": "project_id is required and must match the account"}
    try:
        lo, hi = _day_start(params["from_date"]), _day_start(params["to_date"]) + 86400
        names = msgspec.json.decode(params["event"]) if "event" in params else None
        limit = int(params["limit"]) if "limit" in params else None
    except (KeyError, ValueError, msgspec.DecodeError):
        return 400, {"error": "from_date and to_date (YYYY-MM-DD) are required"}
    where = _WHERE.findall(params.get("where", ""))
    if params.get("where") and not where:
        return 400, {"error": "unsupported where expression"}
    lines = []
    for ev in fake._events():
        props = ev["properties"]
        props["time"] = int(props["time"])
        wanted = ev["event"] != "$mp_session_record" if names is None else ev["event"] in names
        if not wanted or not fake._in_window(props["time"], lo, hi):
            continue
        if any((str(props.get(k)) == v) != (op == "==") for k, op, v in where):
            continue
        lines.append(msgspec.json.encode(ev) + b"\n")
        if limit is not None and len(lines) >= limit:
            break
    return 200, b"".join(lines)
