"""Hand-built rrweb event sequences for analyzer tests.

Each builder returns a plain dict shaped exactly like a recorder's JSON; `analyze_dicts`
runs them through the typed decoder and the analyzer, so tests exercise the real path.
"""

from __future__ import annotations

from typing import Any

import msgspec

from replaykit.analysis._actions import Action, Coverage
from replaykit.analysis._analyzer import analyze_events
from replaykit.analysis._options import AnalyzerOptions
from replaykit.rrweb._model import Event, EventChunk

_decoder = msgspec.json.Decoder(list[Event])

T0 = 1_700_000_000_000


def el(
    node_id: int, tag: str, attrs: dict[str, Any] | None = None, *children: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": 2,
        "id": node_id,
        "tagName": tag,
        "attributes": attrs or {},
        "childNodes": list(children),
    }


def text(node_id: int, content: str) -> dict[str, Any]:
    return {"type": 3, "id": node_id, "textContent": content}


def document(*body_children: dict[str, Any], body_id: int = 3) -> dict[str, Any]:
    return {
        "type": 0,
        "id": 1,
        "childNodes": [el(2, "html", {}, el(body_id, "body", {}, *body_children))],
    }


def meta(t: int, href: str, width: int = 1280, height: int = 800) -> dict[str, Any]:
    return {
        "type": 4,
        "timestamp": T0 + t,
        "data": {"href": href, "width": width, "height": height},
    }


def snapshot(t: int, root: dict[str, Any], top: int = 0) -> dict[str, Any]:
    return {
        "type": 2,
        "timestamp": T0 + t,
        "data": {"node": root, "initialOffset": {"top": top, "left": 0}},
    }


def load_events(t: int) -> list[dict[str, Any]]:
    return [
        {"type": 0, "timestamp": T0 + t, "data": {}},
        {"type": 1, "timestamp": T0 + t, "data": {}},
    ]


def page(t: int, href: str, root: dict[str, Any], *, fresh: bool = True) -> list[dict[str, Any]]:
    """A page load: [DomContentLoaded, Load,] Meta, FullSnapshot."""
    head = load_events(t) if fresh else []
    return [*head, meta(t, href), snapshot(t + 1, root)]


def inc(t: int, source: int, **data: Any) -> dict[str, Any]:
    return {"type": 3, "timestamp": T0 + t, "data": {"source": source, **data}}


def mouse(t: int, kind: int, node_id: int, x: float = 10, y: float = 10) -> dict[str, Any]:
    return inc(t, 2, type=kind, id=node_id, x=x, y=y)


def click(t: int, node_id: int, x: float = 10, y: float = 10) -> dict[str, Any]:
    return mouse(t, 2, node_id, x, y)


def typed(t: int, node_id: int, value: str, checked: bool = False) -> dict[str, Any]:
    return inc(t, 5, id=node_id, text=value, isChecked=checked)


def scroll(t: int, node_id: int, y: float, x: float = 0) -> dict[str, Any]:
    return inc(t, 3, id=node_id, x=x, y=y)


def custom(t: int, tag: str, payload: Any) -> dict[str, Any]:
    return {"type": 5, "timestamp": T0 + t, "data": {"tag": tag, "payload": payload}}


def plugin(t: int, name: str, payload: Any) -> dict[str, Any]:
    return {"type": 6, "timestamp": T0 + t, "data": {"plugin": name, "payload": payload}}


def mutation(t: int, **data: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"adds": [], "removes": [], "texts": [], "attributes": []}
    base.update(data)
    return inc(t, 0, **base)


def analyze_dicts(
    events: list[dict[str, Any]], options: AnalyzerOptions | None = None, chunk_size: int = 0
) -> tuple[list[Action], Coverage]:
    """Decode the dicts with the typed decoder and analyze them (optionally in chunks)."""
    typed_events = _decoder.decode(msgspec.json.encode(events))
    typed_events.sort(key=lambda e: e.timestamp)
    if chunk_size:
        chunks = [
            EventChunk(events=typed_events[i : i + chunk_size], index=n)
            for n, i in enumerate(range(0, len(typed_events), chunk_size))
        ]
    else:
        chunks = [EventChunk(events=typed_events)]
    return analyze_events(chunks, "test", options)


def kinds(actions: list[Action]) -> list[str]:
    return [a.kind for a in actions]
