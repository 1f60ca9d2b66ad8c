"""Hostile recordings through the whole path (decode + DOM + analyzer): a typed error or a
counted skip, never a crash, a hang or unbounded memory."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import msgspec
from _builders import T0, click, document, el, inc, meta, page, snapshot, text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaykit import (
    AnalyzerOptions,
    RecordingError,
    analyze_events,
    iter_event_chunks,
)

FIXTURE = Path(__file__).resolve().parent.parent / "examples" / "recordings"
SHOP = FIXTURE / "tracelane-shop-checkout-console.json"


def run(data: bytes, options: AnalyzerOptions | None = None):  # type: ignore[no-untyped-def]
    return analyze_events(iter_event_chunks(data), "hostile", options)


def wide_snapshot(n_nodes: int) -> dict[str, Any]:
    rows = [el(100 + i, "div", {}) for i in range(n_nodes)]
    return document(*rows)


def test_node_cap_flags_truncated_and_analysis_continues() -> None:
    events = [
        meta(0, "https://x.example/"),
        snapshot(1, wide_snapshot(200_000)),
        click(100, 150),  # inside the cap: still named
        click(200, 190_000),  # dropped by the cap: unknown, but still a click
    ]
    actions, coverage = run(msgspec.json.encode(events))
    assert coverage.truncated and coverage.dom_truncated
    assert coverage.dom["dropped_nodes"] > 0
    assert coverage.dom["nodes"] <= 50_000
    clicks = [a for a in actions if a.kind == "click"]
    assert len(clicks) == 2
    assert clicks[1].label == "unknown element #190000"


def test_ten_thousand_deep_chain_by_mutations_is_capped() -> None:
    adds = [
        {"parentId": 3 if i == 0 else 10_000 + i - 1, "nextId": None, "node": el(10_000 + i, "div")}
        for i in range(10_000)
    ]
    events = [
        *page(0, "https://x.example/", document()),
        inc(10, 0, adds=adds, removes=[], texts=[], attributes=[]),
        click(20, 19_999),
        click(30, 10_005),
    ]
    actions, coverage = run(msgspec.json.encode(events))
    assert coverage.dom["depth_capped"] > 0
    assert [a.kind for a in actions].count("click") == 2


def test_ten_thousand_deep_snapshot_is_counted_and_skipped() -> None:
    # Built as text: every JSON library here recurses, so none can write this tree either.
    depth = 10_000
    opening = "".join(
        f'{{"type":2,"id":{20_000 + i},"tagName":"div","attributes":{{}},"childNodes":['
        for i in range(depth)
    )
    tree = opening + '{"type":3,"id":99999,"textContent":"bottom"}' + "]}" * depth
    deep_snapshot = f'{{"type":2,"timestamp":{T0 + 1},"data":{{"node":{tree}}}}}'
    head = json.dumps(meta(0, "https://x.example/"))
    tail = json.dumps(click(50, 3))
    actions, coverage = run(f"[{head},{deep_snapshot},{tail}]".encode())
    assert coverage.too_deep == 1
    # No snapshot survived: the Meta's URL still opens the timeline, and a note says why
    # nothing on the page can be named.
    assert [a.kind for a in actions] == ["navigation", "click"]
    assert actions[0].url == "https://x.example/"
    assert coverage.note is not None and "no full snapshot" in coverage.note


def test_truncated_recording_keeps_what_came_before() -> None:
    data = SHOP.read_bytes()
    whole, _ = run(data)
    cut = data[: len(data) * 2 // 3]
    actions, coverage = run(cut)
    assert coverage.input_truncated
    assert 0 < len(actions) < len(whole)
    assert [a.kind for a in actions] == [a.kind for a in whole[: len(actions)]]


def test_wrong_types_and_unknown_kinds_are_counted() -> None:
    events: list[Any] = [
        *page(0, "https://x.example/", document(el(10, "button", {}, text(11, "Go")))),
        {"type": 3, "timestamp": str(T0 + 10), "data": {"source": 2, "type": 2, "id": 10}},
        {"type": 3, "timestamp": T0 + 20, "data": {"source": 2, "type": "2", "id": "x"}},
        {"type": 3, "timestamp": T0 + 30},
        {"type": 3, "timestamp": T0 + 40, "data": {"source": 1, "positions": "nope"}},
        {"type": 99, "timestamp": T0 + 50, "data": {}},
        {"type": 3, "timestamp": T0 + 60, "data": {"source": 42}},
        {"type": 6, "timestamp": T0 + 70, "data": {"plugin": "acme@9", "payload": {}}},
        "not an event",
        42,
        None,
    ]
    actions, coverage = run(json.dumps(events).encode())
    # The numeric-string timestamp is coerced, so that click counts.
    assert [a.label for a in actions if a.kind == "click"] == ["Go"]
    assert coverage.unknown["type:99"] == 1
    assert coverage.unknown["source:42"] == 1
    assert coverage.unknown["plugin:acme@9"] == 1
    assert coverage.malformed >= 6


def _mutate(value: Any, rnd: random.Random) -> Any:
    """Randomly damage one spot of a JSON value (types, keys, numbers)."""
    choice = rnd.random()
    if isinstance(value, dict) and value:
        key = rnd.choice(list(value))
        if choice < 0.2:
            del value[key]
        else:
            value[key] = _mutate(value[key], rnd)
        return value
    if isinstance(value, list) and value:
        i = rnd.randrange(len(value))
        if choice < 0.2:
            del value[i]
        else:
            value[i] = _mutate(value[i], rnd)
        return value
    return rnd.choice([None, -1, 0, 2**63, "", "x" * 50, 1.5, True, [], {}, [1, [2]], {"a": 1}])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32), damage=st.integers(1, 40))
def test_randomly_damaged_recordings_never_crash(seed: int, damage: int) -> None:
    rnd = random.Random(seed)
    events = json.loads(SHOP.read_bytes())
    for _ in range(damage):
        i = rnd.randrange(len(events))
        events[i] = _mutate(events[i], rnd)
    data = json.dumps(events).encode()
    try:
        actions, coverage = run(data)
    except RecordingError:
        return  # a typed error is an allowed outcome
    assert all(a.t_ms >= 0 for a in actions)
    assert [a.seq for a in actions] == list(range(len(actions)))
    counted = sum(coverage.events.values()) + sum(coverage.unknown.values()) + coverage.malformed
    assert counted >= 1
