"""The analyzer on small hand-built event sequences: one behaviour per test."""

from __future__ import annotations

from _builders import (
    T0,
    analyze_dicts,
    click,
    custom,
    document,
    el,
    inc,
    kinds,
    meta,
    mouse,
    mutation,
    page,
    plugin,
    scroll,
    snapshot,
    text,
    typed,
)

from replaykit import (
    AnalyzerOptions,
    ClickDetails,
    ConsoleErrorDetails,
    InputDetails,
    NavigationDetails,
    ScrollDetails,
    SelectDetails,
    SelectionDetails,
    ToggleDetails,
    ViewportDetails,
)

URL = "https://shop.example/cart"


def shop_page() -> dict[str, object]:
    return document(
        el(
            10,
            "form",
            {"id": "checkout-form"},
            el(11, "label", {"for": "email"}, text(12, "Email")),
            el(13, "input", {"id": "email", "type": "email", "name": "email"}),
            el(14, "input", {"type": "password", "name": "pw", "placeholder": "Password"}),
            el(15, "button", {"type": "submit"}, text(16, "Place order")),
            el(17, "input", {"type": "checkbox", "id": "terms"}),
            el(18, "label", {"for": "terms"}, text(19, "I accept the terms")),
            el(
                20,
                "select",
                {"name": "country"},
                el(21, "option", {"value": "US"}, text(22, "United States")),
                el(23, "option", {"value": "DE"}, text(24, "Germany")),
            ),
            el(25, "input", {"type": "radio", "name": "ship", "value": "std"}),
            el(26, "input", {"type": "radio", "name": "ship", "value": "exp"}),
        ),
        el(30, "div", {"class": "panel"}, el(31, "span", {}, text(32, "Order summary"))),
        el(40, "a", {"href": "#details"}, text(41, "Details")),
    )


def run(*events: dict[str, object], **kw: object) -> list:  # type: ignore[type-arg]
    actions, _ = analyze_dicts([*page(0, URL, shop_page()), *events], **kw)  # type: ignore[arg-type]
    return [a for a in actions if a.kind not in ("navigation", "page_load")]


def test_click_resolves_label_and_selector_at_event_time() -> None:
    (action,) = run(click(1000, 16))
    assert action.kind == "click"
    assert action.label == "Place order"
    assert action.node_id == 15  # lifted from the text node to the button
    assert action.target is not None and "button" in action.target
    assert action.url == URL
    assert action.t_ms == 1000
    assert action.timestamp == T0 + 1000
    assert isinstance(action.details, ClickDetails)
    assert action.details.raw_node_id == 16


def test_focus_blur_mousedown_mouseup_are_not_clicks() -> None:
    assert run(mouse(100, 1, 15), mouse(110, 5, 13), mouse(120, 6, 13), mouse(130, 0, 15)) == []


def test_dblclick_marks_the_click_double_instead_of_adding_one() -> None:
    actions = run(click(100, 15), click(250, 15), mouse(250, 4, 15))
    assert kinds(actions) == ["click", "click"]
    assert isinstance(actions[1].details, ClickDetails) and actions[1].details.double


def test_lone_dblclick_and_contextmenu_are_clicks_with_their_button() -> None:
    actions = run(mouse(100, 4, 15), mouse(2000, 3, 15))
    buttons = [a.details.button for a in actions if isinstance(a.details, ClickDetails)]
    assert buttons == ["dblclick", "contextmenu"]


def test_tap_and_its_synthesised_click_are_one_action() -> None:
    actions = run(mouse(100, 7, 15), mouse(150, 9, 15), click(160, 15))
    assert len(actions) == 1
    assert isinstance(actions[0].details, ClickDetails) and actions[0].details.button == "tap"


def test_typing_is_one_input_per_burst_per_field() -> None:
    actions = run(
        typed(100, 13, "a"),
        typed(300, 13, "ab"),
        typed(900, 13, "abc"),
        typed(3000, 13, "abcd"),  # > 1 s later: a new burst
    )
    inputs = [a for a in actions if a.kind == "input"]
    assert len(inputs) == 2
    first = inputs[0].details
    assert isinstance(first, InputDetails)
    assert first.value == "abc" and first.events == 3 and first.chars_added == 3
    assert inputs[0].label == "Email"
    assert first.field_type == "email"


def test_interleaved_fields_make_separate_inputs() -> None:
    actions = run(typed(100, 13, "a"), typed(200, 14, "*"), typed(300, 13, "ab"))
    assert [a.node_id for a in actions] == [13, 14]


def test_password_and_masked_values_never_appear() -> None:
    actions = run(typed(100, 14, "s3cret"), typed(5000, 13, "*****"))
    pw, masked = actions
    assert isinstance(pw.details, InputDetails) and isinstance(masked.details, InputDetails)
    assert pw.details.value is None and pw.details.sensitive and pw.details.length == 6
    assert masked.details.value is None and masked.details.masked
    assert "s3cret" not in repr(actions)


def test_deletions_are_counted() -> None:
    actions = run(typed(100, 13, "abc"), typed(200, 13, "ab"), typed(300, 13, "a"))
    (action,) = actions
    assert isinstance(action.details, InputDetails)
    assert action.details.chars_removed == 2 and action.details.value == "a"


def test_checkbox_is_a_toggle_and_radio_siblings_unchecking_are_ignored() -> None:
    actions = run(
        typed(100, 17, "on", checked=True),
        typed(2000, 26, "exp", checked=True),
        typed(2000, 25, "std", checked=False),
    )
    assert kinds(actions) == ["toggle", "toggle"]
    first = actions[0].details
    assert isinstance(first, ToggleDetails) and first.checked and first.field_type == "checkbox"
    assert actions[0].label == "I accept the terms"


def test_select_reports_option_text() -> None:
    (action,) = run(typed(100, 20, "DE"))
    assert action.kind == "select"
    assert isinstance(action.details, SelectDetails)
    assert action.details.value == "DE" and action.details.option == "Germany"


def test_scroll_gestures_jitter_and_programmatic() -> None:
    actions = run(
        scroll(1000, 1, 100),
        scroll(1100, 1, 200),  # same gesture (100 ms later)
        scroll(2000, 1, 210),  # 10 px: layout jitter
        scroll(3000, 1, 600),  # a new gesture
        click(5000, 41),  # in-page anchor link
        scroll(5300, 1, 4000),  # the browser jumping to the anchor
    )
    scrolls = [a for a in actions if a.kind == "scroll"]
    assert len(scrolls) == 3
    d0, d1, d2 = (s.details for s in scrolls)
    assert isinstance(d0, ScrollDetails) and isinstance(d1, ScrollDetails)
    assert isinstance(d2, ScrollDetails)
    assert (d0.y, d0.dy, d0.events, d0.target) == (200, 200, 2, "window")
    assert d1.dy == 390 and not d1.programmatic
    assert d2.programmatic


def test_scroll_right_after_navigation_is_programmatic() -> None:
    actions = run(
        custom(1000, "$pageview", {"href": URL + "/next", "how": "pushState"}),
        scroll(1050, 1, 0 + 500),
    )
    scroll_action = next(a for a in actions if a.kind == "scroll")
    assert isinstance(scroll_action.details, ScrollDetails) and scroll_action.details.programmatic


def test_element_scroll_names_the_element() -> None:
    (action,) = run(scroll(100, 30, 300))
    assert isinstance(action.details, ScrollDetails) and action.details.target == "element"
    assert action.target is not None and "div" in action.target


def test_navigation_full_loads_spa_and_checkouts() -> None:
    root = shop_page()
    events = [
        *page(0, URL, root),
        custom(50, "$pageview", {"href": URL, "how": "load"}),  # same visit as the Meta
        custom(1000, "$pageview", {"href": URL + "/a", "how": "pushState"}),
        custom(2000, "$pageview", {"href": URL, "how": "popstate"}),
        # A checkout: Meta + FullSnapshot without DomContentLoaded/Load, same URL.
        meta(3000, URL),
        snapshot(3001, root),
        # A full reload of the same URL.
        *page(4000, URL, root),
        # A new page.
        *page(6000, "https://shop.example/done", root),
    ]
    actions, coverage = analyze_dicts(events)
    navs = [a for a in actions if a.kind == "navigation"]
    hows = [a.details.how for a in navs if isinstance(a.details, NavigationDetails)]
    assert hows == ["load", "push", "pop", "reload", "load"]
    assert [a.url for a in navs][-1] == "https://shop.example/done"
    assert coverage.documents == 3 and coverage.snapshots == 4
    assert kinds(actions).count("page_load") == 3


def test_checkout_at_an_unannounced_url_is_a_late_navigation() -> None:
    root = shop_page()
    actions, _ = analyze_dicts([*page(0, URL, root), meta(5000, URL + "/x"), snapshot(5001, root)])
    navs = [a for a in actions if a.kind == "navigation"]
    assert isinstance(navs[-1].details, NavigationDetails) and navs[-1].details.how == "late"


def test_legacy_2018_href_and_size_come_from_load_events() -> None:
    events = [
        {"type": 0, "timestamp": T0, "data": {"href": "http://legacy.example/"}},
        {"type": 1, "timestamp": T0 + 1, "data": {"width": 800, "height": 600}},
        snapshot(2, shop_page()),
        click(100, 16),
    ]
    actions, _ = analyze_dicts(events)
    assert actions[0].kind == "navigation" and actions[0].url == "http://legacy.example/"
    assert actions[-1].url == "http://legacy.example/"


def test_reload_never_reuses_a_label_from_the_previous_document() -> None:
    first = document(el(10, "button", {}, text(11, "Old label")))
    second = document(el(10, "button", {}, text(11, "New label")))
    actions, _ = analyze_dicts(
        [*page(0, URL, first), click(100, 11), *page(1000, URL, second), click(1100, 11)]
    )
    labels = [a.label for a in actions if a.kind == "click"]
    assert labels == ["Old label", "New label"]


def test_click_before_any_snapshot_is_kept_and_named_unknown() -> None:
    actions, _ = analyze_dicts([click(0, 5), *page(100, URL, shop_page())])
    assert actions[0].kind == "click" and actions[0].label == "unknown element #5"


def test_labels_follow_mutations() -> None:
    actions = run(
        mutation(500, texts=[{"id": 16, "value": "Pay now"}]),
        click(600, 16),
        mutation(700, removes=[{"parentId": 10, "id": 15}]),
        click(800, 16),
    )
    assert [a.label for a in actions] == ["Pay now", "unknown element #16"]


def test_console_errors_are_unquoted_and_uncaught_flagged() -> None:
    actions = run(
        plugin(100, "rrweb/console@1", {"level": "log", "payload": ['"fine"'], "trace": []}),
        plugin(
            200,
            "rrweb/console@1",
            {"level": "error", "payload": ['"Boom"', "42"], "trace": ["f (a.js:1:2)"]},
        ),
        plugin(300, "rrweb/console@1", {"level": "error", "payload": ['"Uncaught TypeError: x"']}),
        inc(400, 11, level="error", payload=['"legacy"'], trace=[]),
    )
    details = [a.details for a in actions]
    assert all(isinstance(d, ConsoleErrorDetails) for d in details)
    messages = [(d.message, d.uncaught) for d in details if isinstance(d, ConsoleErrorDetails)]
    assert messages == [("Boom 42", False), ("Uncaught TypeError: x", True), ("legacy", False)]


def test_viewport_resizes_burst_into_one_action() -> None:
    actions = run(inc(100, 4, width=1000, height=700), inc(300, 4, width=900, height=650))
    (action,) = actions
    assert isinstance(action.details, ViewportDetails)
    assert (action.details.width, action.details.height) == (900, 650)


def test_selection_drag_is_one_selection_and_its_click_is_not_a_click() -> None:
    root = document(el(10, "p", {"id": "p1"}, text(11, "The quick brown fox jumps")))
    actions, _ = analyze_dicts(
        [
            *page(0, URL, root),
            mouse(1000, 1, 11, x=10),
            inc(1050, 14, ranges=[{"start": 11, "startOffset": 0, "end": 11, "endOffset": 3}]),
            inc(1100, 14, ranges=[{"start": 11, "startOffset": 0, "end": 11, "endOffset": 9}]),
            mouse(1200, 0, 10, x=120),
            click(1201, 10, x=120),
        ]
    )
    user = [a for a in actions if a.kind not in ("navigation", "page_load")]
    assert kinds(user) == ["selection"]
    assert isinstance(user[0].details, SelectionDetails)
    assert user[0].details.text == "The quick"
    assert user[0].timestamp == T0 + 1201


def test_a_double_click_that_selects_a_word_stays_a_click() -> None:
    root = document(el(10, "p", {"id": "p1"}, text(11, "The quick brown fox jumps")))
    word = [{"start": 11, "startOffset": 4, "end": 11, "endOffset": 9}]
    actions, _ = analyze_dicts(
        [
            *page(0, URL, root),
            mouse(1000, 1, 11, x=40),
            click(1080, 10, x=40),
            mouse(1200, 1, 11, x=40),
            inc(1210, 14, ranges=word),  # the second press selects the word
            click(1280, 10, x=40),
        ]
    )
    user = [a for a in actions if a.kind not in ("navigation", "page_load")]
    assert kinds(user)[0] == "click" and "selection" in kinds(user)
    assert kinds(user).count("click") == 2


def test_unknown_plugins_and_custom_tags_are_counted_not_dropped() -> None:
    _, coverage = analyze_dicts(
        [
            *page(0, URL, shop_page()),
            plugin(10, "acme/thing@1", {"x": 1}),
            custom(20, "whatever", "payload"),
        ]
    )
    assert coverage.unknown == {"plugin:acme/thing@1": 1}
    assert coverage.events["custom:whatever"] == 1
    assert coverage.events["meta"] == 1 and coverage.events["full_snapshot"] == 1


def test_chunking_does_not_change_the_result() -> None:
    events = [
        *page(0, URL, shop_page()),
        typed(100, 13, "a"),
        click(150, 16),
        typed(300, 13, "ab"),
        scroll(400, 1, 300),
        typed(600, 13, "abc"),
        click(2000, 16),
    ]
    whole, _ = analyze_dicts(events)
    chunked, _ = analyze_dicts(events, chunk_size=2)
    assert whole == chunked
    assert [a.seq for a in whole] == list(range(len(whole)))
    assert [a.timestamp for a in whole] == sorted(a.timestamp for a in whole)


def test_options_change_thresholds() -> None:
    options = AnalyzerOptions(input_debounce_ms=100)
    actions, _ = analyze_dicts(
        [*page(0, URL, shop_page()), typed(100, 13, "a"), typed(300, 13, "ab")], options
    )
    assert kinds(actions).count("input") == 2
