"""Several browser tabs in one replay: each tab keeps its own DOM, URL and bursts."""

from __future__ import annotations

import msgspec
from _builders import click, document, el, page, text, typed

from replaykit import analyze_events, detect_signals
from replaykit.analysis._analyzer import ReplayAnalyzer
from replaykit.rrweb._model import Event, EventChunk

_decoder = msgspec.json.Decoder(list[Event])


def chunk(window: str, events: list[dict[str, object]], index: int) -> EventChunk:
    return EventChunk(
        events=_decoder.decode(msgspec.json.encode(events)), index=index, window_id=window
    )


def tab(label: str) -> dict[str, object]:
    # Both tabs number their nodes alike: ids only mean something within one tab.
    return document(
        el(10, "button", {}, text(11, label)), el(12, "input", {"name": f"{label}-field"})
    )


def test_tabs_keep_their_own_dom_and_urls() -> None:
    chunks = [
        chunk("A", [*page(0, "https://a.example/", tab("Alpha")), click(100, 11)], 0),
        chunk("B", [*page(50, "https://b.example/", tab("Beta")), click(150, 11)], 1),
        chunk("A", [typed(200, 12, "x"), click(3000, 11)], 2),
        chunk("B", [click(2500, 11)], 3),
    ]
    actions, coverage = analyze_events(chunks, "tabs")
    clicks = [(a.window_id, a.label, a.url) for a in actions if a.kind == "click"]
    assert clicks == [
        ("A", "Alpha", "https://a.example/"),
        ("B", "Beta", "https://b.example/"),
        ("B", "Beta", "https://b.example/"),
        ("A", "Alpha", "https://a.example/"),
    ]
    assert [a.seq for a in actions] == list(range(len(actions)))
    assert [a.timestamp for a in actions] == sorted(a.timestamp for a in actions)
    assert coverage.windows == 2 and coverage.documents == 2
    loads = [a for a in actions if a.kind == "page_load"]
    assert {a.window_id for a in loads} == {"A", "B"}


def test_a_rage_burst_never_spans_tabs() -> None:
    analyzer = ReplayAnalyzer("tabs")
    events_a = [*page(0, "https://a.example/", tab("Alpha"))]
    events_b = [*page(0, "https://b.example/", tab("Beta"))]
    actions = []
    actions += analyzer.feed(chunk("A", events_a, 0))
    actions += analyzer.feed(chunk("B", events_b, 1))
    # Two clicks per tab at the same spot, interleaved: no tab has three.
    actions += analyzer.feed(chunk("A", [click(1000, 11), click(1200, 11)], 2))
    actions += analyzer.feed(chunk("B", [click(1100, 11), click(1300, 11)], 3))
    actions += analyzer.finish()
    signals = detect_signals("tabs", actions, analyzer.tape)
    assert not [s for s in signals if s.kind == "rage_click"]
    assert {r.window_id for r in analyzer.tape.documents} == {"A", "B"}
