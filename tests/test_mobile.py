"""Mobile (screenshot) recordings: taps, swipes, screens and their signals.

The five public Mixpanel SDK recordings (``tests/fixtures/mobile/``) plus hand-built
streams, one per gesture rule. A small scorer compares taps and scrolls with the seed's
own summaries of the same files (``seed-expected-summaries.json``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from click.testing import CliRunner

from replaykit._api import AnalyzedReplay, analyze_recording
from replaykit.analysis._actions import Action, ClickDetails, NavigationDetails, ScrollDetails
from replaykit.analysis._analyzer import ReplayAnalyzer
from replaykit.analysis._gestures import GestureTracker
from replaykit.analysis._mobile import MobileAnalyzer, describe_any
from replaykit.analysis._signal import Signal
from replaykit.analysis._signals import detect_signals
from replaykit.cli import cli
from replaykit.rrweb._model import Event, EventChunk

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mobile"
RECORDINGS = sorted(p.stem for p in FIXTURES.glob("mixpanel-*.json"))
PLATFORM = {
    "mixpanel-android-snacks-001": "android",
    "mixpanel-android-wireframe-masked-001": "android",
    "mixpanel-flutter-web-clicks-001": "flutter",
    "mixpanel-ios-wireframe-001": "ios",
    "mixpanel-rn-ios-001": "react-native",
}
T0 = 1_700_000_000_000
_decoder = msgspec.json.Decoder(list[Event])


def analyzed(name: str) -> AnalyzedReplay:
    async def run() -> AnalyzedReplay:
        return await analyze_recording(FIXTURES / f"{name}.json", signals=True)

    return anyio.run(run)


def taps(actions: list[Action]) -> list[Action]:
    return [a for a in actions if isinstance(a.details, ClickDetails)]


# --- the seed as a scorer -------------------------------------------------------------------


def seed_truth(name: str) -> dict[str, Any]:
    """Taps (with positions), mouse clicks and scrolls in the seed's summary of a file."""
    summary = json.loads((FIXTURES / "seed-expected-summaries.json").read_text())[name]
    tapped = [(int(x), int(y)) for x, y in re.findall(r"Tapped at \((\d+), (\d+)\)", summary)]
    return {
        "taps": tapped,
        "clicks": summary.count("Clicked element"),
        "scrolls": summary.count("Scrolled"),
    }


def score(name: str, actions: list[Action]) -> dict[str, int]:
    """How replaykit's gestures compare with the seed's: taps matched by position (the
    seed prints where the finger lifted, replaykit where it went down: 3 pt apart at most),
    taps and scrolls found, and the seed's counts."""
    truth = seed_truth(name)
    found = [a for a in taps(actions)]
    points = [(a.details.x, a.details.y) for a in found if isinstance(a.details, ClickDetails)]
    unmatched = list(points)
    matched = 0
    for x, y in truth["taps"]:
        for p in unmatched:
            if p[0] is not None and p[1] is not None and abs(p[0] - x) <= 3 and abs(p[1] - y) <= 3:
                unmatched.remove(p)
                matched += 1
                break
    scrolls = [a for a in actions if isinstance(a.details, ScrollDetails)]
    return {
        "seed_taps": len(truth["taps"]) + truth["clicks"],
        "taps": len(found),
        "matched": matched,
        "seed_scrolls": truth["scrolls"],
        "scrolls": len(scrolls),
    }


@pytest.mark.parametrize("name", RECORDINGS)
def test_gestures_score_against_the_seed(name: str) -> None:
    s = score(name, analyzed(name).actions)
    assert s["taps"] == s["seed_taps"], s
    assert s["matched"] == len(seed_truth(name)["taps"]), s
    assert s["scrolls"] >= s["seed_scrolls"], s


# --- the public recordings --------------------------------------------------------------------


def _unmasked_texts(name: str) -> set[str]:
    texts: set[str] = set()
    for ev in json.loads((FIXTURES / f"{name}.json").read_text()):
        if ev.get("type") == 5 and ev["data"].get("tag") == "mp_wireframe":
            for el in ev["data"]["payload"]["elements"]:
                if el.get("text"):
                    texts.add(" ".join(el["text"].split()))
    return texts


@pytest.mark.parametrize("name", RECORDINGS)
def test_public_recordings_read_as_taps_and_screens(name: str) -> None:
    replay = analyzed(name)
    assert replay.coverage.platform == PLATFORM[name]
    navs = [a for a in replay.actions if a.kind == "navigation"]
    assert navs, "every recording opens a screen"
    for a in navs:
        assert isinstance(a.details, NavigationDetails) and a.details.how == "screen"
        assert a.url is not None and a.url.startswith("app://")
    known = _unmasked_texts(name)
    for a in taps(replay.actions):
        assert isinstance(a.details, ClickDetails) and a.details.button == "tap"
        assert a.label and a.label != "img" and "img" not in (a.details.tag or "")
        assert a.target and " > " in a.target
        # Masked text is never shown: every quoted name is a text the SDK left readable.
        for quoted in re.findall(r'"([^"]+)"', a.label):
            assert quoted in known, (a.label, quoted)
        if '"' not in a.label and not a.label.startswith(("blank spot", "image", "button")):
            assert a.label in known, a.label
    markdown = replay.markdown()
    assert "img" not in markdown and 'opened screen "' in markdown
    assert "went to /" not in markdown


def test_dead_taps_only_where_the_screen_did_not_change() -> None:
    for name in RECORDINGS:
        replay = analyzed(name)
        for s in replay.signals:
            if s.kind != "dead_click":
                continue
            tap = next(a for a in replay.actions if a.seq == s.evidence[0])
            assert isinstance(tap.details, ClickDetails) and tap.details.effect is not None
            effect = tap.details.effect
            assert effect.reaction_ms is None or effect.reaction_ms > 2500, (name, tap)


def test_android_cart_flow() -> None:
    replay = analyzed("mixpanel-android-snacks-001")
    found = taps(replay.actions)
    assert len(found) == 16
    screens = [a.url for a in replay.actions if a.kind == "navigation"]
    assert screens == ["app://Snacks"]  # one screen, re-rendered 16 times
    plus = [a for a in found if (a.label or "").startswith('"+" next to')]
    assert len(plus) == 12
    assert plus[0].label == '"+" next to "Ice Cream Sandwich"'
    assert all(a.details.tag == "button" for a in plus if isinstance(a.details, ClickDetails))
    effects = [a.details.effect for a in plus if isinstance(a.details, ClickDetails)]
    changed = [e for e in effects if e is not None and "item(s)" in e.text_added]
    assert len(changed) == 11  # one "+" tap was a near miss that did nothing
    assert "Checkout 1 item(s)" in changed[0].text_added
    assert "Checkout 1 item(s)" in changed[1].text_removed
    assert "Checkout 2 item(s)" in changed[1].text_added
    assert not [s for s in replay.signals if s.kind == "rage_click"]
    # Dead taps only where the screen did not change before the next tap: the "+" near
    # miss on "Donut" and a tap on the "Honeycomb" text (not a control).
    by_seq = {a.seq: a for a in found}
    dead = [by_seq[s.evidence[0]] for s in replay.signals if s.kind == "dead_click"]
    assert [a.label for a in dead] == ["Honeycomb", '"+" next to "Donut"']
    assert all(
        isinstance(a.details, ClickDetails)
        and a.details.effect is not None
        and a.details.effect.outcome == "none"
        for a in dead
    )
    md = replay.markdown()
    assert 'opened screen "Snacks"' in md
    assert '"Checkout 1 item(s) · $12.99" → "Checkout 2 item(s) · $15.98"' in md
    assert "Wireframe" not in md and "Snack photo" not in md  # no element dumps


def test_ios_scrolls_are_scrolls_and_the_tab_opens_a_screen() -> None:
    replay = analyzed("mixpanel-ios-wireframe-001")
    scrolls = [a for a in replay.actions if isinstance(a.details, ScrollDetails)]
    assert [(s.details.gesture, round(s.details.dy)) for s in scrolls] == [  # type: ignore[union-attr]
        ("swipe", 191),
        ("swipe", -171),
    ]
    assert [a.url for a in replay.actions if a.kind == "navigation"] == [
        "app://SwiftUI Text",
        "app://SwiftUI Inputs",
    ]
    tab = taps(replay.actions)[-1]
    assert tab.label == 'image above "SwiftUI Inputs"'
    assert isinstance(tab.details, ClickDetails) and tab.details.effect is not None
    assert tab.details.effect.navigated_to == "app://SwiftUI Inputs"


def test_react_native_screens_and_near_miss_on_a_dialog_button() -> None:
    replay = analyzed("mixpanel-rn-ios-001")
    assert [a.url for a in replay.actions if a.kind == "navigation"] == [
        "app://Success",
        "app://Session Replay Demo",
        "app://Masking Test",
    ]
    found = taps(replay.actions)
    assert [a.label for a in found[:3]] == ["OK", "OK", "Go to Test Screen"]
    first = found[0].details
    assert isinstance(first, ClickDetails) and first.near_miss_pt is not None


def test_android_wireframe_in_physical_pixels_is_scaled_to_touches() -> None:
    name = "mixpanel-android-wireframe-masked-001"
    events = json.loads((FIXTURES / f"{name}.json").read_text())
    t = events[-1]["timestamp"] + 100
    # The first button is [258, 407, 564, 126] in 1080x2400 pixels: about (108, 155) in the
    # 411x866 touch space.
    events += [touch(t, 7, 200, 170, absolute=True), touch(t + 80, 9, 200, 170, absolute=True)]
    actions, _ = run(events)
    (tap,) = taps(actions)
    assert tap.details.tag == "button"  # type: ignore[union-attr]
    assert tap.target == "screen 1 > button[0]"
    assert "masked" not in (tap.label or "") or "*" not in (tap.label or "")


# --- hand-built streams, one per rule -----------------------------------------------------------

SCREENSHOT_DOC = {
    "type": 0,
    "id": 1,
    "childNodes": [
        {"type": 1, "id": 2, "name": "html", "publicId": "", "systemId": ""},
        {
            "type": 2,
            "id": 3,
            "tagName": "html",
            "attributes": {},
            "childNodes": [
                {
                    "type": 2,
                    "id": 25,
                    "tagName": "body",
                    "attributes": {},
                    "childNodes": [
                        {
                            "type": 2,
                            "id": 28,
                            "tagName": "img",
                            "attributes": {"src": "data:image/jpeg;base64,REDACTED"},
                            "childNodes": [],
                        }
                    ],
                }
            ],
        },
    ],
}


def meta(t: int, w: int = 400, h: int = 800) -> dict[str, Any]:
    return {"type": 4, "data": {"width": w, "height": h}, "timestamp": T0 + t}


def shot(t: int) -> dict[str, Any]:
    return {"type": 2, "data": {"node": SCREENSHOT_DOC}, "timestamp": T0 + t}


def wire(
    t: int, elements: list[dict[str, Any]], vp: tuple[int, int] = (400, 800)
) -> dict[str, Any]:
    return {
        "type": 5,
        "data": {"tag": "mp_wireframe", "payload": {"viewport": list(vp), "elements": elements}},
        "timestamp": T0 + t,
    }


def touch(t: int, kind: int, x: float, y: float, *, absolute: bool = False) -> dict[str, Any]:
    return {
        "type": 3,
        "data": {"source": 2, "type": kind, "id": 28, "x": x, "y": y},
        "timestamp": t if absolute else T0 + t,
    }


def moves(t: int, points: list[tuple[float, float]]) -> dict[str, Any]:
    step = 16
    n = len(points)
    return {
        "type": 3,
        "data": {
            "source": 6,
            "positions": [
                {"x": x, "y": y, "id": 28, "timeOffset": -(n - 1 - i) * step}
                for i, (x, y) in enumerate(points)
            ],
        },
        "timestamp": T0 + t,
    }


def tap_at(t: int, x: float, y: float, hold: int = 80) -> list[dict[str, Any]]:
    return [touch(t, 7, x, y), touch(t + hold, 9, x, y)]


def el(role: str, bounds: list[float], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"role": role, "bounds": bounds}
    if text is not None:
        out["text"] = text
    return out


def cart(checkout: str = "Checkout 1 item(s)") -> list[dict[str, Any]]:
    return [
        el("text", [0, 20, 400, 40], "Cart"),
        el("text", [20, 100, 150, 22], "Ice Cream Sandwich"),
        el("button", [330, 90, 50, 44], "+"),
        el("text", [20, 160, 150, 22]),  # masked
        el("button", [100, 600, 200, 48], checkout),
    ]


def run(events: list[dict[str, Any]], signals: bool = False) -> tuple[list[Action], list[Signal]]:
    chunk = EventChunk(events=_decoder.decode(json.dumps(events).encode()))
    analyzer = ReplayAnalyzer("r")
    actions = analyzer.feed(chunk) + analyzer.finish()
    found = detect_signals("r", actions, analyzer.tape, "replaykit") if signals else []
    return actions, found


def start() -> list[dict[str, Any]]:
    return [meta(0), wire(0, cart()), shot(0)]


def test_a_near_miss_a_few_points_outside_a_button_resolves_to_it() -> None:
    actions, _ = run([*start(), *tap_at(1000, 97, 605), *tap_at(3000, 200, 400)])
    near, blank = taps(actions)
    assert near.label == "Checkout 1 item(s)" and near.target == "Cart > button[1]"
    assert isinstance(near.details, ClickDetails) and near.details.near_miss_pt == 3.0
    assert blank.label is not None and blank.label.startswith("blank spot")
    assert isinstance(blank.details, ClickDetails) and blank.details.target_kind is None


def test_an_element_without_words_is_named_by_its_row() -> None:
    actions, _ = run([*start(), *tap_at(1000, 355, 110), *tap_at(3000, 60, 170)])
    plus, masked = taps(actions)
    assert plus.label == '"+" next to "Ice Cream Sandwich"'
    assert masked.label is not None and masked.label.startswith("masked text")  # no content


def test_a_cancelled_swipe_is_not_a_tap() -> None:
    events = [
        *start(),
        touch(1000, 7, 200, 500),
        moves(1200, [(200, 480), (200, 400), (200, 300)]),
        touch(1250, 10, 200, 300),
    ]
    actions, _ = run(events)
    assert not taps(actions)
    (scroll,) = [a for a in actions if a.kind == "scroll"]
    assert isinstance(scroll.details, ScrollDetails)
    assert scroll.details.cancelled and scroll.details.gesture == "swipe"
    assert scroll.details.dy == 200


def test_a_swipe_that_comes_back_is_still_a_swipe_and_scrolled_content_is_no_screen() -> None:
    scrolled = [
        {**e, "bounds": [e["bounds"][0], e["bounds"][1] - 300, *e["bounds"][2:]]} for e in cart()
    ]
    events = [
        *start(),
        touch(1000, 7, 200, 500),
        moves(1200, [(200, 400), (200, 300)]),
        touch(1300, 9, 200, 300),
        wire(1800, scrolled[1:]),  # the title scrolled away: still the same screen
        touch(4000, 7, 200, 500),
        moves(4200, [(200, 400), (200, 498)]),
        touch(4300, 9, 200, 499),
    ]
    actions, _ = run(events)
    assert [a.kind for a in actions] == ["navigation", "scroll", "scroll"]


def test_a_long_press() -> None:
    actions, _ = run(
        [*start(), *tap_at(1000, 200, 620, hold=700), *tap_at(3000, 200, 620, hold=120)]
    )
    long, short = taps(actions)
    assert isinstance(long.details, ClickDetails) and long.details.long_press
    assert isinstance(short.details, ClickDetails) and not short.details.long_press
    assert "long-pressed" in describe_any(long)


def test_gesture_thresholds() -> None:
    g = GestureTracker()
    g.down(0, 10, 10)
    g.move(50, 16, 14)  # within the 10 pt slop
    tap = g.up(100, 15, 12)
    assert tap is not None and tap.kind == "tap"
    g.down(200, 10, 10)
    g.move(250, 40, 10)
    back = g.up(300, 11, 10)
    assert back is not None and back.kind == "swipe"
    assert g.up(400, 0, 0) is None  # no press open
    g.down(500, 0, 0)
    interrupted = g.down(600, 5, 5)
    assert interrupted is not None and interrupted.cancelled


def test_a_tap_shows_the_checkout_text_change_and_a_new_screen() -> None:
    events = [
        *start(),
        *tap_at(1000, 355, 110),
        shot(1400),
        wire(1400, cart("Checkout 2 item(s)")),
        *tap_at(3000, 200, 620),
        shot(3500),
        wire(
            3500,
            [el("text", [0, 20, 400, 40], "Thank you"), el("button", [100, 600, 200, 48], "Done")],
        ),
    ]
    actions, signals = run(events, signals=True)
    plus, pay = taps(actions)
    assert isinstance(plus.details, ClickDetails) and plus.details.effect is not None
    assert plus.details.effect.text_removed == "Checkout 1 item(s)"
    assert plus.details.effect.text_added == "Checkout 2 item(s)"
    assert '"Checkout 1 item(s)" → "Checkout 2 item(s)"' in describe_any(plus)
    assert isinstance(pay.details, ClickDetails) and pay.details.effect is not None
    assert pay.details.effect.navigated_to == "app://Thank you"
    assert 'opened screen "Thank you"' in describe_any(pay)
    assert [a.url for a in actions if a.kind == "navigation"] == ["app://Cart", "app://Thank you"]
    assert not [s for s in signals if s.kind == "dead_click"]


def test_twenty_taps_on_one_spot_in_a_second_are_a_rage_click() -> None:
    events = [*start()]
    for i in range(22):
        events += tap_at(1000 + i * 45, 200 + i % 3, 620 - i % 2, hold=20)
    events.append(meta(9000))  # the recording goes on: the dead-click window passes
    actions, signals = run(events, signals=True)
    assert len(taps(actions)) == 22
    rage = [s for s in signals if s.kind == "rage_click"]
    assert len(rage) == 1 and len(rage[0].evidence) == 22
    assert rage[0].label == "Checkout 1 item(s)"
    assert len([s for s in signals if s.kind == "dead_click"]) == 22  # nothing changed


def test_quick_back_between_screens() -> None:
    other = [el("text", [0, 20, 400, 40], "Details"), el("button", [0, 60, 80, 40], "Back")]
    events = [
        *start(),
        *tap_at(1000, 200, 620),
        wire(1300, other),
        *tap_at(2000, 40, 80),
        wire(2300, cart()),
        shot(9000),
    ]
    actions, signals = run(events, signals=True)
    assert [a.url for a in actions if a.kind == "navigation"] == [
        "app://Cart",
        "app://Details",
        "app://Cart",
    ]
    assert [s.kind for s in signals if s.kind == "quick_back"] == ["quick_back"]


def test_flutter_mouse_down_up_click_is_one_tap() -> None:
    events = [
        *start(),
        touch(1000, 1, 200, 620),
        touch(1080, 0, 200, 620),
        touch(1080, 2, 200, 620),
        touch(3000, 2, 355, 110),  # a lone Click is a tap too
    ]
    actions, _ = run(events)
    assert [a.label for a in taps(actions)] == [
        "Checkout 1 item(s)",
        '"+" next to "Ice Cream Sandwich"',
    ]


def test_hostile_wireframes_are_capped_and_counted() -> None:
    events: list[dict[str, Any]] = [meta(0), shot(0)]
    layouts = [cart(), [el("text", [0, 20, 400, 40], "Other"), el("image", [0, 100, 400, 400])]]
    for i in range(2000):
        events.append(wire(10 + i, layouts[i % 2]))
    huge = [el("button", [i % 400, i % 800, 10, 10], f"b{i}") for i in range(5000)]
    events.append(wire(5000, huge))
    events += [
        {"type": 5, "data": {"tag": "mp_wireframe", "payload": "nope"}, "timestamp": T0 + 5001},
        {
            "type": 5,
            "data": {"tag": "mp_wireframe", "payload": {"elements": "x"}},
            "timestamp": T0 + 5002,
        },
        wire(
            5003,
            [
                1,
                {"bounds": [0, 0]},
                {"bounds": ["a", 0, 1, 1]},
                {"bounds": [1e300, 0, -5, 1]},
                el("x", [0, 0, 1, 1]),
            ],
        ),  # type: ignore[list-item]
        *tap_at(6000, 5, 5),
        touch(7000, 9, 1, 1),  # an end without a start
        touch(7100, 10, 1, 1),
    ]
    actions, _ = run(events, signals=True)
    chunk = EventChunk(events=_decoder.decode(json.dumps(events).encode()))
    analyzer = ReplayAnalyzer("r")
    analyzer.feed(chunk)
    analyzer.finish()
    cov = analyzer.coverage
    assert cov.unknown["wireframe:elements_over_cap"] == 4500
    assert cov.unknown["wireframe:malformed_elements"] == 4
    assert cov.unknown["wireframe:malformed"] == 2
    assert len(taps(actions)) == 1
    assert len(actions) <= 2003
    assert len(analyzer.tape.mutations) <= 2010


def test_standalone_mobile_analyzer_has_the_analyzer_interface() -> None:
    chunk = EventChunk(
        events=_decoder.decode(json.dumps([*start(), *tap_at(1000, 200, 620)]).encode())
    )
    m = MobileAnalyzer("r")
    actions = m.feed(chunk) + m.finish()
    assert [a.kind for a in actions] == ["navigation", "click"]
    assert [a.seq for a in actions] == [0, 1]
    assert m.coverage.platform == "ios" and m.remaining_seconds is None
    assert m.tape.documents and m.tape.pointer


def test_web_recordings_are_untouched() -> None:
    events = [
        {
            "type": 4,
            "data": {"href": "http://s.test/", "width": 800, "height": 600},
            "timestamp": T0,
        },
        shot(1),  # an image-only page, but the Meta has an href: a web page
    ]
    actions, _ = run(events)
    assert actions and actions[0].url == "http://s.test/"


# --- the CLI --------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["markdown", "ndjson", "json", "table"])
def test_cli_outputs(output: str) -> None:
    path = FIXTURES / "mixpanel-android-snacks-001.json"
    result = CliRunner().invoke(cli, ["analyze", str(path), "-o", output, "--signals"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "img" not in out.replace("image", "")
    if output == "markdown":
        assert 'opened screen "Snacks"' in out
        assert 'tapped "+" next to "Ice Cream Sandwich" (button)' in out
    elif output == "table":
        assert "Snacks" in out and "tapped" in out
    else:
        assert '"button":"tap"' in out.replace(" ", "") and "app://Snacks" in out


def test_bundle_platform_column() -> None:
    from replaykit.bundle import ReplayBundle

    bundle = ReplayBundle.from_replays([analyzed("mixpanel-ios-wireframe-001")])
    s = bundle.sessions.collect().row(0, named=True)
    assert s["platform"] == "ios" and s["entry_url"] == "app://SwiftUI Text"
