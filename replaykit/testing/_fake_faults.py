"""The fake Mixpanel's faults: its switches (:class:`Faults`), scripted :class:`FaultRule`
faults and which rule a request sets off, and the mobile recordings it can serve instead."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = ["SENSITIVE_FLAG", "FaultAction", "FaultRule", "Faults", "Route"]

Route = Literal["insights", "sign", "cdn", "export", "oauth", "other"]
FaultAction = Literal[
    "status",
    "reset",
    "truncate",
    "cut",
    "invalid_json",
    "error_200",
    "non_list",
    "empty",
    "delay",
    "slow",
    "redirect",
]
SENSITIVE_FLAG = "SESSION_RECORDING_SENSITIVE_DATA"


class FaultRule(msgspec.Struct, kw_only=True):
    """A scripted fault: ``action`` on matching requests ``on_call`` .. ``on_call+times-1``.

    Requests match on ``route`` and, when set, ``chunk`` and ``replay_id``; they are counted
    per rule (1-based). ``times=None`` never stops. ``hits`` counts matching requests so far.
    """

    route: Route
    action: FaultAction
    on_call: int = 1
    times: int | None = 1
    status: int = 500
    retry_after: float | str | None = None
    delay: float = 0.0
    chunk: int | None = None
    replay_id: str | None = None
    location: str | None = None
    body: str | None = None
    hits: int = 0


class Faults(msgspec.Struct, kw_only=True):
    """The fake's switches; the docstring of :mod:`replaykit.testing._fake_mixpanel`
    documents each one."""

    sign_ttl: float = 300.0
    sign_max_uses: int | None = None
    reject_credentials: bool = False
    sign_sensitive: Literal["dict", "list", "string"] | None = None
    sign_reorder: bool = False
    sign_omit: set[str] = msgspec.field(default_factory=set)
    missing_chunks: set[int] = msgspec.field(default_factory=set)
    past_end_status: int = 404
    chunk_delay: float = 0.0
    cdn_gzip: bool = False
    unsorted: bool = False
    mobile: Literal["non-rrweb", "wireframe"] | None = None
    max_concurrent: dict[str, int] = msgspec.field(default_factory=dict)
    gate_retry_after: float | str | None = None
    insights_row_cap: int = 3000
    enforce_time_window: bool = False
    cdn_origin: str | None = None
    rules: list[FaultRule] = msgspec.field(default_factory=list)


def _due_rule(
    rules: list[FaultRule], route: Route, chunk: int | None, replay_id: str | None
) -> FaultRule | None:
    """The first rule due on this request; every rule it matches counts it (call under the
    fake's lock)."""
    fired = None
    for rule in rules:
        if rule.route != route:
            continue
        if rule.chunk is not None and rule.chunk != chunk:
            continue
        if rule.replay_id is not None and rule.replay_id != replay_id:
            continue
        rule.hits += 1  # every matching rule counts the request; the first due fires
        last = None if rule.times is None else rule.on_call + rule.times - 1
        due = rule.hits >= rule.on_call and (last is None or rule.hits <= last)
        fired = fired or (rule if due else None)
    return fired


def _mobile_chunk(events: list[Any], kind: str, first: bool) -> list[Any]:
    stamps = [e.get("timestamp", 0) for e in events if isinstance(e, dict)] or [0]
    if kind == "non-rrweb":
        return [{"timestamp": t, "screen": "Home", "wireframes": [{"id": 1}]} for t in stamps]
    out: list[Any] = []
    if first:
        shot = {"type": 2, "tagName": "img", "attributes": {"src": "data:image/png;base64,"}}
        node = {"type": 0, "id": 1, "childNodes": [{**shot, "id": 2, "childNodes": []}]}
        out += [
            {"type": 4, "data": {"width": 390, "height": 844}, "timestamp": stamps[0]},
            {"type": 2, "data": {"node": node, "initialOffset": {}}, "timestamp": stamps[0]},
        ]
    for i, t in enumerate(stamps):
        if i % 2:
            out.append({"type": 5, "data": {"tag": "mp_wireframe", "payload": {}}, "timestamp": t})
        else:
            touch = {"source": 2, "type": (7, 9, 10)[i % 3], "id": 2, "x": 10, "y": 20}
            out.append({"type": 3, "data": touch, "timestamp": t})
    return out
