"""Form abandonment reads each field's form from the DOM at input time, so fields with
their own stable id (whose selectors stop before the form) are judged too."""

from __future__ import annotations

import msgspec
from _builders import analyze_dicts, click, document, el, page, text, typed

from replaykit import detect_signals
from replaykit.analysis._analyzer import ReplayAnalyzer
from replaykit.rrweb._model import Event, EventChunk

URL = "https://shop.example/checkout"


def checkout() -> dict[str, object]:
    return document(
        el(
            10,
            "form",
            {"id": "checkout"},
            el(11, "input", {"id": "email", "type": "email"}),
            el(12, "input", {"id": "street"}),
            el(13, "button", {"type": "button"}, text(14, "Check address")),
            el(15, "button", {}, text(16, "Pay")),
        ),
        el(20, "a", {"href": "/cart"}, text(21, "Back to cart")),
    )


def run(*events: dict[str, object]) -> list[str]:
    typed_events = msgspec.json.Decoder(list[Event]).decode(msgspec.json.encode(list(events)))
    analyzer = ReplayAnalyzer("forms")
    actions = analyzer.feed(EventChunk(events=typed_events)) + analyzer.finish()
    return [s.kind for s in detect_signals("forms", actions, analyzer.tape)]


def test_fields_know_their_form() -> None:
    actions, _ = analyze_dicts([*page(0, URL, checkout()), typed(100, 11, "a@b.c"), click(900, 16)])
    fields = [a for a in actions if a.kind in ("input", "click")]
    assert all(getattr(a.details, "form", None) == "form#checkout" for a in fields)
    assert fields[0].target == "input#email[type=email]"  # the selector alone stops early


def test_left_without_submitting_is_abandoned() -> None:
    kinds = run(
        *page(0, URL, checkout()),
        typed(100, 11, "a@b.c"),
        typed(1500, 12, "Main St 1"),
        click(3000, 14),  # type=button: not a submit
        click(5000, 21),
        *page(5200, "https://shop.example/cart", document()),
    )
    assert kinds.count("form_abandon") == 1


def test_a_submit_click_is_an_attempt() -> None:
    kinds = run(
        *page(0, URL, checkout()),
        typed(100, 11, "a@b.c"),
        click(3000, 16),  # <button> without type submits
        *page(3300, "https://shop.example/done", document()),
    )
    assert "form_abandon" not in kinds
