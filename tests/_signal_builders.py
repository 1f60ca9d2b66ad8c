"""Builders for signal-detector tests: a page with one control of each kind, plugin events
(console, network), selections, presses, and a runner that returns actions *and* tape.

Node ids of :func:`signal_page` (stable so tests read like the scenario they describe):

- 10 ``button#apply`` "Apply coupon" (no handler: dead unless the test adds a reaction)
- 12 ``button#next`` "Next"
- 14 ``a[href=/cart]`` "Cart"; 16 ``a[target=_blank]`` "Help"; 18 ``a[download]`` "Invoice"
- 20 ``input[type=text]#coupon``; 21 ``label[for=coupon]`` "Coupon"
- 22 ``input[type=checkbox]#terms``; 23 ``label[for=terms]`` "Terms"
- 25 ``div`` plain text "Just text"; 27 ``div[onclick]`` "Card"
- 29 ``button.ph-no-rageclick`` "Stepper"; 31 ``button#other`` "Other" (next to #apply)
- 33 ``p`` "Some paragraph text"
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
from _builders import T0, click, custom, document, el, inc, mouse, page, plugin, text

from replaykit.analysis._actions import Action
from replaykit.analysis._analyzer import ReplayAnalyzer
from replaykit.analysis._signal import Signal
from replaykit.analysis._tape import Tape
from replaykit.rrweb._decode import iter_event_chunks
from replaykit.rrweb._model import Event, EventChunk

URL = "https://shop.example/checkout"
_decoder = msgspec.json.Decoder(list[Event])


def signal_page() -> dict[str, Any]:
    return document(
        el(10, "button", {"id": "apply", "type": "button"}, text(11, "Apply coupon")),
        el(12, "button", {"id": "next"}, text(13, "Next")),
        el(14, "a", {"href": "/cart"}, text(15, "Cart")),
        el(16, "a", {"href": "/help", "target": "_blank"}, text(17, "Help")),
        el(18, "a", {"href": "/invoice.pdf", "download": ""}, text(19, "Invoice")),
        el(20, "input", {"type": "text", "id": "coupon"}),
        el(21, "label", {"for": "coupon"}, text(24, "Coupon")),
        el(22, "input", {"type": "checkbox", "id": "terms"}),
        el(23, "label", {"for": "terms"}, text(26, "Terms")),
        el(25, "div", {}, text(28, "Just text")),
        el(27, "div", {"onclick": "go()"}, text(30, "Card")),
        el(29, "button", {"class": "ph-no-rageclick"}, text(32, "Stepper")),
        el(31, "button", {"id": "other"}, text(34, "Other")),
        el(33, "p", {}, text(35, "Some paragraph text")),
    )


def start(t: int = 0, href: str = URL) -> list[dict[str, Any]]:
    """A fresh page load at ``t`` with :func:`signal_page`."""
    return page(t, href, signal_page())


def tick(t: int) -> dict[str, Any]:
    """A passive event that only moves the recording's clock (a stylesheet-free no-op
    mutation would be a reaction, so use a mouse move far from everything)."""
    return inc(t, 1, positions=[{"x": 900, "y": 900, "id": 3, "timeOffset": 0}])


def press(t: int, node_id: int, x: float = 10, y: float = 10) -> dict[str, Any]:
    return mouse(t, 1, node_id, x, y)


def selection(t: int, node_id: int, start: int = 0, end: int = 4) -> dict[str, Any]:
    return inc(
        t, 14, ranges=[{"start": node_id, "startOffset": start, "end": node_id, "endOffset": end}]
    )


def add_text(t: int, node_id: int, parent: int, content: str) -> dict[str, Any]:
    """A mutation adding a Text node (a visible reaction)."""
    return inc(
        t,
        0,
        adds=[
            {
                "parentId": parent,
                "nextId": None,
                "node": {"type": 3, "id": node_id, "textContent": content},
            }
        ],
        removes=[],
        texts=[],
        attributes=[],
    )


def replace_node(t: int, old: int, new: dict[str, Any], parent: int = 3) -> dict[str, Any]:
    """A mutation removing node ``old`` and adding ``new`` in its place (a re-render)."""
    return inc(
        t,
        0,
        adds=[{"parentId": parent, "nextId": None, "node": new}],
        removes=[{"parentId": parent, "id": old}],
        texts=[],
        attributes=[],
    )


def console(t: int, message: str, level: str = "error") -> dict[str, Any]:
    return plugin(
        t,
        "rrweb/console@1",
        {"level": level, "trace": ["handler (app.js:1:1)"], "payload": [json.dumps(message)]},
    )


def fetch(
    start_ms: float,
    end_ms: float,
    url: str,
    status: int | None = 200,
    method: str = "GET",
    *,
    initiator: str = "fetch",
    wrapper: bool = True,
) -> dict[str, Any]:
    """A network-plugin event for one request, reported when it ended.

    Times are ms from ``T0``, which is the document's time origin here (the plugin's
    ``startTime``/``endTime`` are origin-relative), so epoch start = ``T0 + start_ms``.
    """
    request: dict[str, Any] = {
        "name": f"https://shop.example{url}",
        "method": method,
        "initiatorType": initiator,
        "startTime": start_ms,
        "endTime": end_ms,
        "duration": end_ms - start_ms,
    }
    if status is not None:
        request["status"] = status
    if wrapper:
        request["requestHeaders"] = {}
        request["responseHeaders"] = {}
    return plugin(int(end_ms), "rrweb/network@1", {"requests": [request]})


def pageview(t: int, href: str, how: str = "pushState") -> dict[str, Any]:
    """An SPA navigation (``how``: ``pushState``, ``replaceState`` or ``popstate``)."""
    return custom(t, "$pageview", {"href": href, "how": how})


def run(events: list[dict[str, Any]], chunk_size: int = 0) -> tuple[list[Action], Tape]:
    """Decode and analyze hand-built events; the analyzer's actions and tape."""
    typed = _decoder.decode(msgspec.json.encode(events))
    typed.sort(key=lambda e: e.timestamp)
    if chunk_size:
        chunks = [
            EventChunk(events=typed[i : i + chunk_size], index=n)
            for n, i in enumerate(range(0, len(typed), chunk_size))
        ]
    else:
        chunks = [EventChunk(events=typed)]
    analyzer = ReplayAnalyzer("test")
    actions: list[Action] = []
    for chunk in chunks:
        actions.extend(analyzer.feed(chunk))
    actions.extend(analyzer.finish())
    return actions, analyzer.tape


def clicks_of(actions: list[Action]) -> list[Action]:
    return [a for a in actions if a.kind == "click"]


def at(signals: list[Signal]) -> list[int]:
    """Signal times relative to ``T0``."""
    return [s.timestamp - T0 for s in signals]


# --- the recorded corpus -------------------------------------------------------------------

SCENARIOS = (
    "shop_happy_path",
    "masked_inputs",
    "article_reader",
    "dashboard_heavy",
    "shop_frustrated",
)
TOLERANCE_MS = 250  # frustration-signals.md §1 matching rule


@cache
def corpus_replay(path: Path) -> tuple[list[Action], Tape, dict[str, Any]]:
    """A recorded scenario analyzed once per test session: actions, tape and its truth."""
    analyzer = ReplayAnalyzer(path.stem)
    actions: list[Action] = []
    for chunk in iter_event_chunks(path, replay_id=path.stem):
        actions.extend(analyzer.feed(chunk))
    actions.extend(analyzer.finish())
    truth = json.loads(path.with_name(f"{path.stem}.truth.json").read_text())
    return actions, analyzer.tape, truth


def truth_times(truth: dict[str, Any], kind: str, key: str = "t") -> list[int]:
    return sorted(int(s[key]) for s in truth["signals"] if s["kind"] == kind)


def times_match(found: list[int], expected: list[int]) -> bool:
    """Same count and each time within ±250 ms, pairing in order (§1)."""
    return len(found) == len(expected) and all(
        abs(f - e) <= TOLERANCE_MS for f, e in zip(sorted(found), sorted(expected), strict=True)
    )


def expected_counts(truth: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in truth["expected"].items() if isinstance(v, int)}


def base_events() -> list[dict[str, Any]]:
    return start(0)


__all__ = [
    "SCENARIOS",
    "T0",
    "URL",
    "add_text",
    "at",
    "base_events",
    "click",
    "clicks_of",
    "console",
    "corpus_replay",
    "expected_counts",
    "fetch",
    "pageview",
    "press",
    "replace_node",
    "run",
    "selection",
    "signal_page",
    "start",
    "tick",
    "times_match",
    "truth_times",
]
