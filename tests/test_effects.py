"""Click effects: target kinds at click time, the effect read from the tape once the
window passed, the analyzer holding clicks back in time order, and the timeline lines."""

from __future__ import annotations

from pathlib import Path

from _builders import document, el, text
from _signal_builders import (
    T0,
    add_text,
    click,
    clicks_of,
    console,
    corpus_replay,
    fetch,
    pageview,
    run,
    start,
    tick,
)

from replaykit.analysis._actions import (
    Action,
    ClickDetails,
    ClickEffect,
    EffectError,
    EffectRequest,
)
from replaykit.analysis._effects import classify_target
from replaykit.analysis._signal import Signal
from replaykit.analysis._signal_config import DEFAULT_SIGNAL_CONFIG
from replaykit.analysis._timeline import describe_effect, markdown_timeline
from replaykit.rrweb._dom import DomTracker
from replaykit.rrweb._model import Node


def _details(action: Action) -> ClickDetails:
    assert isinstance(action.details, ClickDetails)
    return action.details


def _effect(action: Action) -> ClickEffect:
    effect = _details(action).effect
    assert effect is not None
    return effect


def _only_click(events: list[dict[str, object]]) -> Action:
    actions, _ = run(events)  # type: ignore[arg-type]
    (one,) = clicks_of(actions)
    return one


# --- target kinds --------------------------------------------------------------------------


def _dom() -> DomTracker:
    import msgspec

    root = document(
        el(10, "button", {}, text(11, "Go")),
        el(12, "input", {"type": "email", "id": "mail"}),
        el(13, "label", {"for": "mail"}, text(14, "Email")),
        el(15, "input", {"type": "checkbox", "id": "ok"}),
        el(16, "label", {"for": "ok"}, text(17, "OK")),
        el(18, "label", {}, el(19, "input", {"type": "radio"}), text(20, "Wrapped")),
        el(21, "a", {"href": "/x"}, text(22, "Link")),
        el(23, "a", {"href": "/x", "target": "_blank"}),
        el(24, "a", {"href": "/x.pdf", "download": ""}),
        el(25, "a", {"href": "mailto:a@b.c"}),
        el(26, "a", {"href": "/y", "target": "_self"}),
        el(27, "div", {}),
        el(28, "div", {"class": "ph-no-rageclick"}, el(29, "span", {"role": "button"})),
        el(30, "div", {"contenteditable": "true"}),
        el(31, "textarea", {}),
        el(32, "div", {"tabindex": "0"}),
        el(33, "div", {"tabindex": "-1"}),
        el(34, "input", {"type": "submit"}),
        el(35, "input", {}),
        el(36, "p", {}, text(37, "text")),
    )
    dom = DomTracker()
    dom.load_snapshot(msgspec.convert(root, Node))
    return dom


def test_targets_are_classified_like_the_candidate_rules() -> None:
    dom = _dom()
    kinds = {nid: classify_target(dom, nid) for nid in range(2, 37) if nid in dom}
    assert kinds[10] == ("control", None, False)
    assert kinds[12] == ("text_field", "email", False)
    assert kinds[13] == ("text_field", "email", False)  # a label is judged as its field
    assert kinds[16] == ("control", "checkbox", False)
    assert kinds[18] == ("control", "radio", False)  # a label wrapping its field
    assert kinds[21][0] == "link"
    assert kinds[23][0] == kinds[24][0] == kinds[25][0] == "link_elsewhere"
    assert kinds[26][0] == "link"  # target=_self stays in the tab
    assert kinds[27][0] is None  # a plain container
    assert kinds[29] == ("control", None, True)  # opted out through an ancestor's class
    assert kinds[30][0] == kinds[31][0] == "text_field"
    assert kinds[32][0] == "control"
    assert kinds[33][0] is None  # tabindex=-1 is not a tab stop
    assert kinds[34] == ("control", "submit", False)
    assert kinds[35] == ("text_field", "text", False)  # no type = text
    assert kinds[36][0] is None
    assert kinds[3][0] == "page"  # <body>
    assert classify_target(dom, 9999) == (None, None, False)


def test_click_details_carry_the_target_kind() -> None:
    actions, _ = run([*start(), click(1000, 11), click(2000, 24), click(3000, 16), tick(12_000)])
    kinds = [(_details(a).target_kind, _details(a).input_type) for a in clicks_of(actions)]
    assert kinds == [("control", None), ("text_field", "text"), ("link_elsewhere", None)]


# --- effects -------------------------------------------------------------------------------


def test_effect_reaction_text_requests_and_errors() -> None:
    one = _only_click(
        [
            *start(),
            click(1000, 11),
            add_text(1003, 900, 3, "Placing order…"),
            fetch(1010, 1271, "/api/order", 500, "POST"),
            console(1290, "Payment failed"),
            tick(9000),
        ]
    )
    effect = _effect(one)
    assert (effect.reaction_kind, effect.reaction_ms) == ("mutation", 3)
    assert effect.text_added == "Placing order…"
    (request,) = effect.requests
    assert request == EffectRequest(
        method="POST",
        path="/api/order",
        status=500,
        duration_ms=261,
        start_ms=10,
        triggered=True,
    )
    assert effect.errors == (EffectError(message="Payment failed", ms=290),)
    assert not effect.truncated and effect.navigation is None


def test_effect_navigation_spa_and_full_load() -> None:
    spa = _only_click(
        [*start(), click(1000, 15), pageview(1004, "https://shop.example/cart"), tick(9000)]
    )
    assert _effect(spa).navigation == "spa"
    assert _effect(spa).navigated_to == "https://shop.example/cart"
    assert (_effect(spa).reaction_kind, _effect(spa).reaction_ms) == ("navigation", 4)

    actions, _ = run(
        [*start(), click(1000, 15), *start(1400, "https://shop.example/cart"), tick(9000)]
    )
    (full,) = clicks_of(actions)
    assert _effect(full).navigation == "load"
    assert _effect(full).navigation_ms == 401  # the new document's snapshot


def test_no_reaction_and_a_recording_that_ends_too_soon() -> None:
    quiet = _effect(_only_click([*start(), click(1000, 11), tick(9000)]))
    assert quiet.reaction_ms is None and not quiet.truncated
    cut = _effect(_only_click([*start(), click(1000, 11), tick(3000)]))
    assert cut.reaction_ms is None and cut.truncated


def test_checkbox_reacts_through_its_input() -> None:
    from _builders import typed

    actions, _ = run([*start(), click(1000, 22), typed(1000, 22, "on", checked=True), tick(9000)])
    (box,) = clicks_of(actions)
    assert (_effect(box).reaction_kind, _effect(box).reaction_ms) == ("input", 0)


def test_requests_errors_and_text_stop_at_the_next_click() -> None:
    actions, _ = run(
        [
            *start(),
            click(1000, 11),
            click(1500, 13),
            add_text(1510, 900, 3, "Next page"),
            fetch(1520, 1600, "/api/next"),
            console(1700, "boom"),
            tick(10_000),
        ]
    )
    first, second = clicks_of(actions)
    assert _effect(first).requests == () and _effect(first).errors == ()
    assert _effect(first).text_added == ""
    # The page changed after the next click came: that change is the next click's, and
    # the first click's window closed at it (the attribution rule).
    assert _effect(first).reaction_ms is None
    assert _effect(first).next_action_ms == 500 and _effect(first).next_action == "click"
    assert _effect(first).outcome == "none"
    assert describe_effect(_effect(first)) == "no reaction"
    assert _effect(second).reaction_ms == 10 and _effect(second).outcome == "error"
    assert [r.path for r in _effect(second).requests] == ["/api/next"]
    assert [e.message for e in _effect(second).errors] == ["boom"]


def test_ticker_text_is_not_quoted() -> None:
    effect = _effect(
        _only_click(
            [*start(), click(1000, 11), add_text(1100, 900, 3, "03:37:26.8 -30.30 483"), tick(9000)]
        )
    )
    assert effect.text_added == "" and effect.reaction_ms == 100


# --- holding clicks back -------------------------------------------------------------------


def test_clicks_wait_for_their_window_and_output_stays_in_time_order() -> None:
    from _builders import typed

    events = [
        *start(),
        click(1000, 11),
        typed(1500, 20, "a"),
        add_text(2000, 900, 3, "Applied"),
        tick(7_500),
        click(8000, 13),
        tick(16_000),
    ]
    whole, _ = run(events)
    chunked, _ = run(events, chunk_size=2)
    assert [(a.kind, a.timestamp) for a in whole] == [(a.kind, a.timestamp) for a in chunked]
    assert [a.seq for a in whole] == list(range(len(whole)))
    assert [a.timestamp for a in whole] == sorted(a.timestamp for a in whole)
    assert _effect(clicks_of(whole)[0]) == _effect(clicks_of(chunked)[0])


def test_feed_holds_a_click_until_the_window_passed() -> None:
    import msgspec
    from _builders import T0 as base

    from replaykit.analysis._analyzer import ReplayAnalyzer
    from replaykit.rrweb._model import Event, EventChunk

    decoder = msgspec.json.Decoder(list[Event])

    def chunk(*events: dict[str, object]) -> EventChunk:
        return EventChunk(events=decoder.decode(msgspec.json.encode(list(events))))

    analyzer = ReplayAnalyzer("r")
    analyzer.feed(chunk(*start()))
    assert [a.kind for a in analyzer.feed(chunk(click(1000, 11)))] == []
    assert [a.kind for a in analyzer.feed(chunk(tick(7_999)))] == []
    released = analyzer.feed(chunk(tick(8_000)))
    assert [a.kind for a in released] == ["click"]
    assert released[0].timestamp == base + 1000


# --- timeline ------------------------------------------------------------------------------


def test_describe_effect_reads_like_what_happened() -> None:
    failed_order = ClickEffect(
        reaction_ms=3,
        reaction_kind="mutation",
        requests=(
            EffectRequest(
                method="POST", path="/api/order", status=500, duration_ms=261, triggered=True
            ),
        ),
        errors=(EffectError(message="Payment failed", ms=280),),
    )
    assert describe_effect(failed_order) == 'POST /api/order 500 261 ms; error "Payment failed"'
    assert describe_effect(ClickEffect()) == "no reaction"
    assert describe_effect(ClickEffect(truncated=True)) == "no reaction before the recording ended"
    went = ClickEffect(
        reaction_ms=2,
        reaction_kind="navigation",
        navigation="spa",
        navigated_to="https://shop.example/shop/cart",
    )
    assert describe_effect(went) == "went to /shop/cart"
    assert describe_effect(ClickEffect(), "text_field") == ""  # focus is the effect
    uncaught = ClickEffect(errors=(EffectError(message="Uncaught TypeError: x", uncaught=True),))
    assert describe_effect(uncaught) == 'uncaught "TypeError: x"'


def test_markdown_click_lines_show_effects_and_signals() -> None:
    actions, _ = run(
        [
            *start(),
            click(1000, 11),
            click(1200, 11),
            click(1400, 11),
            click(5000, 15),
            pageview(5002, "https://shop.example/cart"),
            tick(13_000),
        ]
    )
    plain = markdown_timeline(actions)
    assert '- 1.0s: clicked "Apply coupon" (button) → no reaction (x3)' in plain
    assert '- 5.0s: clicked "Cart" (a) → went to /cart' in plain
    assert markdown_timeline(actions, signals=None) == plain

    clicks = clicks_of(actions)
    first = clicks[0]
    rage = Signal(
        replay_id="test",
        kind="rage_click",
        timestamp=first.timestamp,
        t_ms=first.t_ms,
        end_timestamp=first.timestamp + 400,
        duration_ms=400,
        label="Apply coupon",
        evidence=tuple(c.seq for c in clicks[:3]),
        details={"clicks": 3},
    )
    dead = [
        Signal(
            replay_id="test",
            kind="dead_click",
            timestamp=c.timestamp,
            t_ms=c.t_ms,
            label=c.label,
            evidence=(c.seq,),
        )
        for c in clicks[:3]
    ]
    marked = markdown_timeline(actions, signals=[rage, *dead])
    lines = marked.splitlines()
    i = lines.index('- 1.0s: ⚠ rage click: 3 clicks on "Apply coupon" in 400 ms')
    assert lines[i + 1] == '- 1.0s: clicked "Apply coupon" (button) → no reaction ⚠ dead click (x3)'
    assert T0  # the builders' clock origin is shared with these events


def test_corpus_timeline_tells_the_frustrated_story(corpus_dir: Path) -> None:
    from replaykit.analysis._signals_click import (
        detect_dead_clicks,
        detect_error_clicks,
        detect_rage_clicks,
        detect_slow_clicks,
    )
    from replaykit.analysis._signals_errors import (
        detect_console_errors,
        detect_network_errors,
        detect_uncaught_exceptions,
    )

    actions, tape, _ = corpus_replay(corpus_dir / "recorded" / "shop_frustrated.json")
    signals = [
        s
        for detect in (
            detect_rage_clicks,
            detect_dead_clicks,
            detect_slow_clicks,
            detect_error_clicks,
            detect_console_errors,
            detect_uncaught_exceptions,
            detect_network_errors,
        )
        for s in detect("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    ]
    md = markdown_timeline(actions, signals=signals)
    assert '⚠ rage click: 5 clicks on "Apply coupon" in 968 ms' in md
    assert 'clicked "Apply coupon" (button) → no reaction ⚠ dead click' in md
    assert 'clicked "Load more" (button) → GET /api/products?offset=50&limit=12 200 1.5 s' in md
    assert "⚠ slow click" in md
    assert '⚠ network error: GET /api/reviews/44 → 404 (after "Show reviews")' in md
    assert 'clicked "Place order" (button) → error "Checkout failed' in md
    assert md.count("uncaught exception:") == 1  # the console line, not repeated as a signal
    assert 'clicked "Cart (1)" (a) → went to /shop/cart' in md
