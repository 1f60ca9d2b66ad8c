"""Target lifting, selectors, labels and URL patterns (rrweb-format §15), plus corpus truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from replaykit.analysis._labels import (
    INTERACTIVE_ROLES,
    css_selector,
    default_label,
    is_masked_text,
    lift_target,
    normalize_url,
    selector_label,
)
from replaykit.rrweb._dom import DomTracker
from replaykit.rrweb._model import (
    Event,
    FullSnapshotEvent,
    IncrementalEvent,
    InputData,
    MouseInteractionData,
    MutationData,
    Node,
)


def el(
    node_id: int, tag: str, attrs: dict[str, Any] | None = None, *kids: Any, **flags: Any
) -> dict[str, Any]:
    return {
        "type": 2,
        "id": node_id,
        "tagName": tag,
        "attributes": attrs or {},
        "childNodes": list(kids),
        **flags,
    }


def tx(node_id: int, content: str) -> dict[str, Any]:
    return {"type": 3, "id": node_id, "textContent": content}


def page(*body_kids: Any) -> DomTracker:
    """Document 1 > html 2 > body 3 > ..."""
    root = {
        "type": 0,
        "id": 1,
        "childNodes": [el(2, "html", {}, el(3, "body", {}, *body_kids))],
    }
    dom = DomTracker()
    node_type: Any = Node  # a union alias: msgspec accepts it, mypy's `type[T]` does not
    dom.load_snapshot(msgspec.convert(root, node_type))
    return dom


# --- lift_target ---------------------------------------------------------------------------


def test_lift_text_to_button_through_inline_wrappers() -> None:
    dom = page(el(10, "button", {}, el(11, "span", {}, el(12, "b", {}, tx(13, "Buy")))))
    assert lift_target(dom, 13) == 10
    assert lift_target(dom, 12) == 10
    assert lift_target(dom, 10) == 10


@pytest.mark.parametrize(
    ("attrs", "tag", "interactive"),
    [
        ({"href": "/x"}, "a", True),
        ({}, "a", False),  # a link without href is not a control
        ({"role": "button"}, "div", True),
        ({"role": "Tab "}, "div", True),
        ({"role": "presentation"}, "div", False),
        ({"onclick": ""}, "div", True),
        ({"contenteditable": "true"}, "div", True),
        ({"contenteditable": "false"}, "div", False),
        ({"tabindex": "0"}, "div", True),
        ({"tabindex": "-1"}, "div", False),
        ({"tabindex": "x"}, "div", False),
        ({}, "summary", True),
        ({}, "label", True),
        ({"type": "hidden"}, "input", False),
    ],
)
def test_lift_interactive_rules(attrs: dict[str, str], tag: str, interactive: bool) -> None:
    dom = page(el(10, tag, attrs, el(11, "div", {}, tx(12, "x"))))
    assert lift_target(dom, 12) == (10 if interactive else 11)


def test_lift_looks_at_most_six_ancestors() -> None:
    inner: dict[str, Any] = tx(99, "deep")
    for i in range(20, 13, -1):  # 7 divs between the button and the text's parent
        inner = el(i, "div", {}, inner)
    dom = page(el(10, "button", {}, inner))
    assert lift_target(dom, 99) == 20  # button is 7 levels above the text's parent
    near = page(el(10, "button", {}, el(11, "div", {}, el(12, "div", {}, tx(13, "x")))))
    assert lift_target(near, 13) == 10


def test_lift_unknown_and_documents() -> None:
    dom = page()
    assert lift_target(dom, 999) == 999
    assert lift_target(dom, 1) == 1
    assert lift_target(dom, 3) == 3  # body: nothing interactive above, keep it


def test_lift_does_not_leave_an_iframe() -> None:
    dom = page(el(10, "a", {"href": "/x"}, el(11, "iframe")))
    inner = {"type": 0, "id": 20, "childNodes": [el(21, "html", {}, el(22, "p", {}, tx(23, "t")))]}
    dom.apply_mutation(
        msgspec.convert(
            {"source": 0, "adds": [{"parentId": 11, "nextId": None, "node": inner}]},
            MutationData,
        )
    )
    assert lift_target(dom, 23) == 22


def test_interactive_roles_include_the_spec_list() -> None:
    spec = {"button", "link", "tab", "menuitem", "checkbox", "radio", "switch", "option"}
    assert spec <= INTERACTIVE_ROLES


# --- css_selector --------------------------------------------------------------------------


def test_selector_stops_at_stable_id() -> None:
    dom = page(
        el(
            10,
            "form",
            {"id": "checkout-form"},
            el(11, "label", {}, el(12, "input", {"type": "email", "name": "email"})),
        )
    )
    assert css_selector(dom, 12) == "form#checkout-form > label > input[type=email][name=email]"


@pytest.mark.parametrize(
    "generated",
    [":r1:", "ember123", "react-select-3-input", "12345", "a1b2c3d4e5", "item-20240101", "«r2»"],
)
def test_selector_skips_generated_ids(generated: str) -> None:
    dom = page(el(10, "section", {"id": "main"}, el(11, "button", {"id": generated})))
    assert css_selector(dom, 11) == "section#main > button"


@pytest.mark.parametrize("stable", ["load-more", "p-13", "EU-North-Payments", "__next", "nav_cart"])
def test_selector_keeps_stable_ids(stable: str) -> None:
    dom = page(el(10, "div", {}, el(11, "button", {"id": stable})))
    assert css_selector(dom, 11) == f"button#{stable}"


def test_selector_classes_two_stable_at_most() -> None:
    classes = (
        "css-1x2y3z sc-bdVaJa jsx-123 Button_primary__3xYz1 item12345 btn is-active primary big"
    )
    dom = page(el(10, "div", {"id": "root"}, el(11, "button", {"class": classes})))
    assert css_selector(dom, 11) == "div#root > button.btn.primary"


def test_selector_nth_of_type_counts_same_tag_siblings() -> None:
    dom = page(
        el(
            10,
            "ul",
            {"id": "list"},
            tx(11, " "),
            el(12, "li"),
            el(13, "p"),
            el(14, "li", {}, el(15, "a", {"href": "/x"})),
        )
    )
    assert css_selector(dom, 14) == "ul#list > li:nth-of-type(2)"
    assert css_selector(dom, 15) == "ul#list > li:nth-of-type(2) > a"
    assert css_selector(dom, 13) == "ul#list > p"


def test_selector_test_hooks_win() -> None:
    dom = page(
        el(
            10,
            "div",
            {"id": "app", "data-testid": "cart"},
            el(11, "div", {}, el(12, "button", {"data-cy": 'say "hi"', "id": "b"})),
            el(13, "span", {}, tx(14, "x")),
        )
    )
    assert css_selector(dom, 12) == '[data-cy="say \\"hi\\""]'
    assert css_selector(dom, 14) == '[data-testid="cart"] > span'


def test_selector_at_most_five_steps() -> None:
    inner: dict[str, Any] = el(99, "button")
    for i in range(20, 10, -1):
        inner = el(i, "div", {}, inner)
    dom = page(inner)
    assert css_selector(dom, 99) == "div > div > div > div > button"


def test_selector_iframe_and_shadow_scopes() -> None:
    dom = page(
        el(10, "iframe", {"id": "pay"}),
        el(
            30,
            "my-widget",
            {"class": "widget"},
            el(31, "div", {}, el(32, "button", {"class": "go"}), isShadow=True),
            isShadowHost=True,
        ),
    )
    inner = {
        "type": 0,
        "id": 20,
        "rootId": 20,
        "childNodes": [el(21, "html", {}, el(22, "body", {}, el(23, "input", {"name": "card"})))],
    }
    dom.apply_mutation(
        msgspec.convert(
            {
                "source": 0,
                "adds": [{"parentId": 10, "nextId": None, "node": inner}],
                "isAttachIframe": True,
            },
            MutationData,
        )
    )
    assert css_selector(dom, 23) == "iframe#pay >> html > body > input[name=card]"
    assert css_selector(dom, 20) == "iframe#pay >> document"
    assert css_selector(dom, 32) == "html > body > my-widget.widget >>> div > button.go"


def test_selector_odd_nodes() -> None:
    dom = page(
        el(10, "button", {"id": "ok"}, tx(11, "OK")), {"type": 5, "id": 12, "textContent": ""}
    )
    assert css_selector(dom, 999) == "unknown"
    assert css_selector(dom, 11) == "button#ok"  # a Text node: its parent
    assert css_selector(dom, 1) == "document"
    assert css_selector(dom, 12) == "html > body"  # a comment: its parent


def test_selector_quotes_odd_attribute_values() -> None:
    dom = page(el(10, "input", {"id": "f", "name": "user[email]", "type": "text"}))
    assert css_selector(dom, 10) == 'input#f[type=text][name="user[email]"]'


# --- default_label -------------------------------------------------------------------------


def test_label_precedence_aria_label_first() -> None:
    dom = page(
        el(5, "span", {"id": "lbl"}, tx(6, "From labelledby")),
        el(10, "button", {"aria-label": "Close dialog", "aria-labelledby": "lbl"}, tx(11, "×")),
        el(12, "button", {"aria-labelledby": "lbl missing"}, tx(13, "×")),
    )
    assert default_label(dom, 10) == "Close dialog"
    assert default_label(dom, 12) == "From labelledby"


def test_form_control_label_sources_in_order() -> None:
    dom = page(
        el(
            10,
            "form",
            {},
            el(11, "label", {"for": "email"}, tx(12, "Email address")),
            el(13, "input", {"id": "email", "placeholder": "you@x", "name": "email"}),
            el(
                14,
                "label",
                {},
                tx(15, "Quantity "),
                el(16, "select", {"name": "qty"}, el(17, "option", {}, tx(18, "1 2 3"))),
            ),
            el(19, "input", {"placeholder": "Coupon code", "name": "coupon"}),
            el(20, "input", {"name": "zip"}),
            el(21, "input", {"type": "password"}),
            el(22, "input", {}),
            el(23, "textarea", {}),
            el(24, "label", {}, el(25, "input", {"type": "checkbox"}), tx(26, " I accept")),
        )
    )
    assert default_label(dom, 13) == "Email address"
    assert default_label(dom, 16) == "Quantity"  # wrapping label minus the options
    assert default_label(dom, 19) == "Coupon code"
    assert default_label(dom, 20) == "zip"
    assert default_label(dom, 21) == "password field"
    assert default_label(dom, 22) == "text field"
    assert default_label(dom, 23) == "text area"
    assert default_label(dom, 25) == "I accept"


def test_title_beats_the_generic_kind_and_content_is_never_a_label() -> None:
    dom = page(
        el(10, "input", {"title": "Search the site"}),
        el(11, "textarea", {}, tx(12, "what the user typed")),
        el(13, "select", {}, el(14, "option", {}, tx(15, "Germany"))),
        el(16, "input", {"type": "checkbox"}),
    )
    assert default_label(dom, 10) == "Search the site"
    assert default_label(dom, 11) == "text area"
    assert default_label(dom, 13) == "drop-down"
    assert default_label(dom, 16) == "checkbox"


def test_icon_only_controls_use_descendant_names() -> None:
    dom = page(
        el(10, "a", {"href": "/cart"}, el(11, "img", {"alt": "Cart", "src": "/c.png"})),
        el(12, "button", {}, el(13, "svg", {"aria-label": "Close"})),
        el(14, "button", {}, el(15, "svg", {"aria-hidden": "true", "title": "x"})),
        el(16, "div", {}, el(17, "img", {"alt": "decor"})),
    )
    assert default_label(dom, 10) == "Cart"
    assert default_label(dom, 12) == "Close"
    assert default_label(dom, 14) == "button"
    assert default_label(dom, 16) == "div"  # not a control: no borrowing from images


def test_label_for_found_far_away() -> None:
    dom = page(
        el(
            10,
            "div",
            {},
            el(
                11,
                "div",
                {},
                el(
                    12,
                    "div",
                    {},
                    el(13, "div", {}, el(14, "div", {}, el(15, "input", {"id": "q"}))),
                ),
            ),
        ),
        el(20, "label", {"for": "q"}, tx(21, "Search")),
    )
    assert default_label(dom, 15) == "Search"


def test_alt_title_text_and_button_inputs() -> None:
    dom = page(
        el(10, "img", {"alt": "Company logo", "title": "Logo"}),
        el(11, "a", {"href": "/", "title": "Home page"}),
        el(12, "a", {"href": "/x"}, tx(13, "  Shop \n all  products ")),
        el(14, "input", {"type": "submit", "value": "Place order", "name": "go"}),
        el(15, "input", {"type": "image", "alt": "Search"}),
        el(16, "input", {"type": "reset"}),
    )
    assert default_label(dom, 10) == "Company logo"
    assert default_label(dom, 11) == "Home page"
    assert default_label(dom, 12) == "Shop all products"
    assert default_label(dom, 13) == "Shop all products"  # Text node: its element
    assert default_label(dom, 14) == "Place order"
    assert default_label(dom, 15) == "Search"
    assert default_label(dom, 16) == "input[type=reset]"


def test_masked_text_is_never_a_label() -> None:
    dom = page(
        el(10, "button", {}, tx(11, "***** ***")),
        el(12, "label", {"for": "card"}, tx(13, "Card number")),
        el(14, "input", {"id": "card", "value": "****************"}),
        el(15, "button", {"aria-label": "****"}, tx(16, "Pay now")),
        el(17, "input", {"type": "submit", "value": "****"}),
    )
    assert default_label(dom, 10) == "masked text (9 chars)"
    assert default_label(dom, 14) == "Card number"
    assert default_label(dom, 15) == "Pay now"
    assert default_label(dom, 17) == "masked text (4 chars)"


def test_label_length_cap() -> None:
    dom = page(el(10, "a", {"href": "/x"}, tx(11, "word " * 40)))
    label = default_label(dom, 10)
    assert len(label) == 60 and label.endswith("…")
    assert default_label(dom, 10) == label


def test_fallbacks_describe_the_container_or_the_step() -> None:
    dom = page(
        el(
            10,
            "section",
            {"aria-label": "Order summary"},
            el(11, "div", {"class": "spacer"}),
            el(12, "div", {}, el(13, "div")),
        ),
        el(20, "div", {}, el(21, "h2", {}, tx(22, "Reviews")), el(23, "span", {"class": "star"})),
        el(30, "button", {"id": "load-more"}),
        el(31, "div", {"class": "empty"}),
    )
    assert default_label(dom, 11) == 'div in "Order summary"'
    assert default_label(dom, 13) == 'div in "Order summary"'
    assert default_label(dom, 23) == 'span in "Reviews"'
    assert default_label(dom, 30) == "button#load-more"  # interactive: its selector step
    assert default_label(dom, 31) == "div.empty"  # no container text below body
    assert default_label(dom, 3) == "page background"  # a click on <body> itself
    assert default_label(dom, 999) == "unknown element"
    assert default_label(dom, 1) == "document"
    for node_id in (1, 2, 3, 10, 11, 12, 13, 20, 23, 30, 31):
        assert default_label(dom, node_id) not in ("", "element")


def test_selector_label_prefers_the_attribute() -> None:
    dom = page(
        el(10, "div", {"data-qa": "promo-card"}, el(11, "button", {}, tx(12, "Buy"))),
        el(13, "button", {}, tx(14, "Other")),
    )
    label_fn = selector_label("data-qa")
    assert label_fn(dom, 12) == "promo-card"
    assert label_fn(dom, 13) == "Other"
    assert label_fn(dom, 999) == "unknown element"
    assert selector_label()(dom, 13) == "Other"


# --- normalize_url, is_masked_text ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/shop/product/44?x=1", "http://h/shop/product/:id"),
        ("https://EXAMPLE.com:8443/a/#frag", "https://example.com:8443/a/"),
        ("https://u:secret@h.io/p/12/edit", "https://h.io/p/:id/edit"),
        ("http://h/o/3f2504e0-4f89-11d3-9a0c-0305e82c3301/x", "http://h/o/:id/x"),
        ("http://h/c/deadbeef01/x", "http://h/c/:id/x"),
        ("http://h/c/deadbeef/x", "http://h/c/deadbeef/x"),  # hex without a digit: a word
        ("http://h/v2/items", "http://h/v2/items"),
        ("/shop/product/12?ref=home", "/shop/product/:id"),
        ("http://[::1]:8080/a/1", "http://[::1]:8080/a/:id"),
        ("http://[::1", "http://[::1"),  # unparsable: unchanged
        ("", ""),
        ("   ", "   "),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_is_masked_text() -> None:
    assert is_masked_text("*****")
    assert is_masked_text("** ***\n*")
    assert not is_masked_text("")
    assert not is_masked_text("   ")
    assert not is_masked_text("**a")
    assert not is_masked_text("5 * 3")


# --- corpus: labels of real clicks against what the script did -----------------------------

_decoder = msgspec.json.Decoder(list[Event])


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def _click_labels(path: Path) -> list[str]:
    """Replay snapshots and mutations in time order; label every Click at its time."""
    dom = DomTracker()
    labels = []
    for event in sorted(_decoder.decode(path.read_bytes()), key=lambda e: e.timestamp):
        if isinstance(event, FullSnapshotEvent):
            dom.load_snapshot(event.data.node)
        elif isinstance(event, IncrementalEvent):
            data = event.data
            if isinstance(data, MutationData):
                dom.apply_mutation(data)
            elif isinstance(data, MouseInteractionData) and data.type == 2:
                labels.append(default_label(dom, lift_target(dom, data.id)))
    return labels


@pytest.mark.parametrize(
    "scenario", ["shop_happy_path", "shop_frustrated", "masked_inputs", "dashboard_heavy"]
)
def test_click_labels_match_truth(corpus_dir: Path, scenario: str) -> None:
    recorded = corpus_dir / "recorded"
    truth = json.loads((recorded / f"{scenario}.truth.json").read_text())
    # Every truth click in these scenarios fired a DOM click (`click_event: true`), so each
    # produced exactly one rrweb Click; the counts are checked rather than assumed.
    clicks = [a for a in truth["actions"] if a["kind"] == "click"]
    assert all(a["click_event"] for a in clicks)
    assert len(clicks) == truth["expected"]["click_events"]
    expected = [
        a["target"].get("label") or a["target"].get("text") or a["target"]["placeholder"]
        for a in clicks
    ]
    got = _click_labels(recorded / f"{scenario}.json")
    assert [_norm(s) for s in got] == [_norm(s) for s in expected]


def test_article_selection_drag_is_a_click_without_a_click_action(corpus_dir: Path) -> None:
    # The one truth action here that yields a Click without being a click: the selection
    # drag (`kind: selection`, `click_event: true`) starts and ends on one paragraph.
    recorded = corpus_dir / "recorded"
    truth = json.loads((recorded / "article_reader.truth.json").read_text())
    fired = [a for a in truth["actions"] if a.get("click_event")]
    assert [a["kind"] for a in fired] == ["selection", "click"]
    got = _click_labels(recorded / "article_reader.json")
    assert len(got) == 2
    paragraph = fired[0]["click_event_target"]["text"]
    assert _norm(paragraph).startswith(_norm(got[0]).rstrip("…"))
    assert _norm(got[1]) == _norm(fired[1]["target"]["text"])


def test_masked_input_labels_come_from_labels_not_values(corpus_dir: Path) -> None:
    recorded = corpus_dir / "recorded"
    truth = json.loads((recorded / "masked_inputs.truth.json").read_text())
    wanted = [
        a["target"].get("label") or a["target"]["placeholder"]
        for a in truth["actions"]
        if a["kind"] in ("input", "select")
    ]
    dom = DomTracker()
    seen: list[str] = []
    for event in sorted(
        _decoder.decode((recorded / "masked_inputs.json").read_bytes()), key=lambda e: e.timestamp
    ):
        if isinstance(event, FullSnapshotEvent):
            dom.load_snapshot(event.data.node)
        elif isinstance(event, IncrementalEvent):
            data = event.data
            if isinstance(data, MutationData):
                dom.apply_mutation(data)
            elif isinstance(data, InputData):
                assert is_masked_text(data.text) or data.text == "on"  # the recording is masked
                label = default_label(dom, data.id)
                assert not is_masked_text(label) and "*" not in label
                if label != "I accept the terms of sale" and (not seen or seen[-1] != label):
                    seen.append(label)
    # A select's truth label is its wrapping <label>'s whole text, options included
    # ("Quantity 1 2 3 4 5"); ours leaves the options out.
    assert len(seen) == len(wanted)
    for ours, theirs in zip(seen, wanted, strict=True):
        assert _norm(theirs).startswith(_norm(ours)), (ours, theirs)
