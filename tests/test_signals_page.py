"""Page-level detectors on hand-built sequences (frustration-signals.md §8–§13)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from _builders import T0, click, document, el, mouse, mutation, page, scroll, text, typed
from _page_builders import (
    checkout_events,
    checkout_page,
    circle,
    detect,
    list_page,
    moves,
    nav_action,
    pageview,
    request,
    run,
    straight,
    tape_for,
    zigzag,
)

from replaykit import iter_event_chunks
from replaykit.analysis._analyzer import ReplayAnalyzer
from replaykit.analysis._signal_config import DEFAULT_SIGNAL_CONFIG, PRESETS, SignalConfig
from replaykit.analysis._signals_page import (
    PAGE_DETECTORS,
    active_time,
    detect_form_abandons,
    detect_idle,
    detect_quick_backs,
    detect_scroll_signals,
    detect_thrashed_cursor,
    page_visits,
)
from replaykit.analysis._tape import (
    DocumentRecord,
    InputRecord,
    PointerRecord,
    ScrollRecord,
    Tape,
)

SHOP = "http://shop.test"


def _with(**families: object) -> SignalConfig:
    return msgspec.structs.replace(DEFAULT_SIGNAL_CONFIG, **families)


# --- quick back (§8) ------------------------------------------------------------------


def _spa_round_trip(dwell_ms: int) -> list[dict[str, object]]:
    return [
        *page(0, f"{SHOP}/shop/products", list_page()),
        click(2000, 10),
        pageview(2001, f"{SHOP}/shop/product/5", "pushState"),
        pageview(2001 + dwell_ms, f"{SHOP}/shop/products", "popstate"),
        mouse(2001 + dwell_ms + 3000, 0, 10),
    ]


def test_quick_back_via_spa_popstate() -> None:
    [signal] = detect(detect_quick_backs, _spa_round_trip(809))
    assert signal.kind == "quick_back"
    assert (signal.timestamp, signal.end_timestamp) == (T0 + 2001, T0 + 2810)
    assert signal.details["dwell_ms"] == 809
    assert signal.details["from"] == "/shop/products"
    assert signal.details["to"] == "/shop/product/5"
    assert signal.details["mechanism"] == "popstate"
    assert signal.label == "Kestrel Mug"  # the click that opened the page
    assert len(signal.evidence) == 3


def test_slow_return_is_not_a_quick_back() -> None:
    # The happy path's product/12 visit: 6.4 s on the page, then back by a link.
    assert detect(detect_quick_backs, _spa_round_trip(6400)) == []


def test_quick_back_across_a_full_load_back() -> None:
    events = [
        *page(0, "http://blog.test/article/", list_page()),
        click(5000, 12),
        *page(5300, "http://blog.test/article/part-2.html", document()),
        *page(6900, "http://blog.test/article/", list_page()),  # browser back: new document
        mouse(9000, 0, 10),
    ]
    [signal] = detect(detect_quick_backs, events)
    assert signal.details["mechanism"] == "full_load"
    assert signal.details["how_back"] == "load"
    assert signal.document == 2
    assert signal.details["dwell_ms"] == 1600


def test_no_quick_back_across_unrelated_visits() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        pageview(1000, f"{SHOP}/b", "pushState"),
        pageview(1500, f"{SHOP}/c", "pushState"),  # A -> B -> C -> A: not a U-turn
        pageview(2000, f"{SHOP}/a", "pushState"),
    ]
    assert detect(detect_quick_backs, events) == []


def test_redirects_merge_into_the_next_visit() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        pageview(1000, f"{SHOP}/go", "pushState"),  # a redirect, 80 ms
        pageview(1080, f"{SHOP}/b", "replaceState"),
        pageview(2500, f"{SHOP}/a", "popstate"),
    ]
    [signal] = detect(detect_quick_backs, events)
    assert signal.timestamp == T0 + 1000  # left A when the redirect started
    assert signal.details["to"] == "/b"
    assert signal.details["dwell_ms"] == 1500


def test_quick_backs_are_per_window() -> None:
    actions = [
        nav_action(0, 0, f"{SHOP}/a", "load", window_id="w1"),
        nav_action(1, 1000, f"{SHOP}/b", "load", window_id="w2", document=2),
        nav_action(2, 1500, f"{SHOP}/a", "push", window_id="w1"),
    ]
    tape = tape_for(actions)
    # w2's page does not sit between w1's visits of /a (and /a -> /a is no change).
    assert detect_quick_backs("t", actions, tape, DEFAULT_SIGNAL_CONFIG) == []
    actions.append(nav_action(3, 2000, f"{SHOP}/c", "push", window_id="w1"))
    actions.append(nav_action(4, 2500, f"{SHOP}/x", "push", window_id="w2", document=2))
    actions.append(nav_action(5, 3000, f"{SHOP}/a", "pop", window_id="w1"))
    [signal] = detect_quick_backs("t", actions, tape_for(actions), DEFAULT_SIGNAL_CONFIG)
    assert signal.window_id == "w1"
    assert signal.details["to"] == "/c"


def test_posthog_preset_counts_any_fast_url_change() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        pageview(5000, f"{SHOP}/b", "pushState"),
        pageview(6500, f"{SHOP}/c", "pushState"),  # left /b after 1.5 s, not back to /a
        pageview(12000, f"{SHOP}/d", "pushState"),
    ]
    assert detect(detect_quick_backs, events) == []
    [signal] = detect(detect_quick_backs, events, PRESETS["posthog"])
    assert signal.preset == "posthog"
    assert (signal.details["to"], signal.details["back_to"]) == ("/b", "/c")


# --- scroll reversals (§9) -------------------------------------------------------------


def _scrolls(t0: int, ys: list[float], step_ms: int = 300) -> list[dict[str, object]]:
    return [scroll(t0 + i * step_ms, 1, y) for i, y in enumerate(ys)]


def test_scroll_jitter_is_ignored() -> None:
    events = [*page(0, f"{SHOP}/dash", list_page()), *_scrolls(1000, [15, 0, 15, 0, 15, 0])]
    assert detect(detect_scroll_signals, events) == []


def test_one_reversal_per_direction_change() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        *_scrolls(1000, [200, 400, 600]),
        *_scrolls(3000, [560, 300]),  # back up: the turn starts at 3000
        *_scrolls(5000, [290, 310]),  # 20 px wobble: not a leg
    ]
    [signal] = detect(detect_scroll_signals, events)
    assert signal.kind == "scroll_reversal"
    assert signal.timestamp == T0 + 3000
    assert signal.details["direction"] == "up"
    assert signal.details["previous_leg_px"] == 600
    assert signal.details["rapid"] is False
    assert signal.evidence  # the scroll actions of both legs


def test_containers_scrolled_in_sync_turn_once() -> None:
    # An editor's scrollbar (node 10) and its content (node 12) follow each other.
    ys = [200, 400, 250, 100]
    synced = [
        scroll(1000 + i * 300 + d, node, y)
        for i, y in enumerate(ys)
        for node, d in ((10, 0), (12, 30))
    ]
    events = [*page(0, f"{SHOP}/a", list_page()), *synced]
    [signal] = detect(detect_scroll_signals, events)
    assert signal.details["target"] == "element"


def test_navigation_and_programmatic_scrolls_reset_the_legs() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        *_scrolls(1000, [300, 600]),
        pageview(2000, f"{SHOP}/b", "pushState"),
        scroll(2050, 1, 0),  # the app's scrollTo(0, 0)
        *_scrolls(3000, [300, 700]),  # down again on the new page
        pageview(5000, f"{SHOP}/c", "pushState"),
        *_scrolls(7000, [400]),  # up, but on another page than the way down
    ]
    assert detect(detect_scroll_signals, events) == []


def test_rage_scroll_episode_is_excessive() -> None:
    ys = [400, 100, 400, 100, 400]  # four reversals, 300 ms apart
    events = [*page(0, f"{SHOP}/a", list_page()), *_scrolls(1000, ys)]
    signals = detect(detect_scroll_signals, events)
    reversals = [s for s in signals if s.kind == "scroll_reversal"]
    [excessive] = [s for s in signals if s.kind == "excessive_scroll"]
    assert len(reversals) == 4
    assert all(s.details["rapid"] for s in reversals)
    assert excessive.details["reasons"] == ["episode"]
    assert set(excessive.evidence) == {seq for s in reversals for seq in s.evidence}
    assert excessive.details["episodes"][0]["reversals"] == 4


def test_many_slow_reversals_in_one_visit_are_excessive() -> None:
    ys = [400, 100] * 4  # 7 reversals, 2 s apart: never 3 within 3 s
    events = [*page(0, f"{SHOP}/a", list_page()), *_scrolls(1000, ys, step_ms=2000)]
    signals = detect(detect_scroll_signals, events)
    [excessive] = [s for s in signals if s.kind == "excessive_scroll"]
    assert excessive.details["reasons"] == ["count"]
    assert excessive.details["reversals"] == 7
    assert excessive.details["threshold_basis"] == "fixed"


# --- thrashing cursor (§10) ------------------------------------------------------------


def test_zigzag_mouse_is_thrashing() -> None:
    events = [*page(0, f"{SHOP}/a", list_page()), *moves(1000, zigzag(1000, legs=8))]
    [signal] = detect(detect_thrashed_cursor, events)
    assert signal.kind == "thrashed_cursor"
    assert signal.details["reversals"]["x"] >= 4
    assert signal.details["mean_speed_px_ms"] >= 0.3
    assert T0 + 1000 <= signal.timestamp < signal.end_timestamp <= T0 + 1800


@pytest.mark.parametrize("path", [straight(1000, 3000), circle(1000, 6000)])
def test_straight_and_circular_movement_is_not_thrashing(
    path: list[tuple[int, float, float]],
) -> None:
    events = [*page(0, f"{SHOP}/a", list_page()), *moves(1000, path)]
    assert detect(detect_thrashed_cursor, events) == []


def test_slow_zigzag_and_dragging_are_not_thrashing() -> None:
    slow = zigzag(1000, legs=8, leg_ms=600)  # four reversals take 2.4 s
    held = [mouse(4900, 1, 10, 100, 300), mouse(6000, 0, 10, 100, 300)]  # button down..up
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        *moves(1000, slow),
        *held,
        *moves(5000, zigzag(5000, legs=8)),
    ]
    assert detect(detect_thrashed_cursor, events) == []


def test_openreplay_preset_judges_the_horizontal_axis_only() -> None:
    vertical = [(t, y, x) for t, x, y in zigzag(1000, legs=8)]  # the zigzag turned sideways
    events = [*page(0, f"{SHOP}/a", list_page()), *moves(1000, vertical)]
    assert len(detect(detect_thrashed_cursor, events)) == 1
    assert detect(detect_thrashed_cursor, events, PRESETS["openreplay"]) == []


# --- idle and long pauses (§11) --------------------------------------------------------


def test_idle_gap_between_activity() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        *moves(500, straight(500, 1000)),
        mutation(20_000),  # passive: a timer updating the page does not end idleness
        *moves(40_000, straight(40_000, 500)),
        click(41_000, 10),
    ]
    [idle] = [s for s in detect(detect_idle, events) if s.kind == "idle"]
    assert idle.timestamp == T0 + 1460  # the MouseMove event flushing the last positions
    assert idle.end_timestamp == T0 + 40_000
    assert idle.details["threshold_ms"] == 30_000
    assert idle.details["open_ended"] is False
    # Any active event in between (a scroll, even to the same spot) splits the gap.
    split = [*events, scroll(21_000, 1, 0)]
    assert [s for s in detect(detect_idle, split) if s.kind == "idle"] == []


def test_open_ended_gap_is_not_counted_by_default() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        click(1000, 10),
        mutation(45_000),  # the recording runs on, nobody acts
    ]
    assert detect(detect_idle, events) == []
    config = _with(idle=msgspec.structs.replace(DEFAULT_SIGNAL_CONFIG.idle, count_open_ended=True))
    signals = detect(detect_idle, events, config)
    # One gap, one signal: the idle gap, not also a long pause over the same stillness.
    assert [s.kind for s in signals] == ["idle"]
    assert all(s.details["open_ended"] for s in signals)


def test_programmatic_scroll_does_not_end_idleness() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        click(1000, 10),
        pageview(20_000, f"{SHOP}/b", "pushState"),
        scroll(20_050, 1, 0),  # the app's scrollTo after the route change
        click(36_000, 10),
    ]
    [idle] = [s for s in detect(detect_idle, events) if s.kind == "idle"]
    assert (idle.timestamp, idle.end_timestamp) == (T0 + 1000, T0 + 36_000)


def test_long_pause_between_actions_while_the_mouse_moves() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        click(1000, 10),
        *moves(2000, straight(2000, 10_000, speed=0.05)),
        click(13_500, 10),
    ]
    signals = detect(detect_idle, events)
    [pause] = signals
    assert pause.kind == "long_pause"
    assert (pause.timestamp, pause.end_timestamp) == (T0 + 1000, T0 + 13_500)
    assert pause.details["before"]["kind"] == "click"


# --- active time (§12) -----------------------------------------------------------------


def test_active_time_follows_posthog_segments() -> None:
    tape = Tape(
        activity=[
            (1000, False),  # lead-in: an inactive segment
            (2000, True),  # active from here
            (4000, True),
            (6000, False),  # 2 s after L: same segment
            (9500, False),  # 5.5 s after L: new (inactive) segment
            (20_000, True),  # lone active event: counts 1 ms
            (30_000, False),
        ],
        first_timestamp=1000,
        last_timestamp=30_000,
    )
    result = active_time(tape)
    assert [(s.start, s.end, s.active) for s in result.segments] == [
        (1000, 1000, False),
        (2000, 6000, True),
        (9500, 9500, False),
        (20_000, 20_000, True),
        (30_000, 30_000, False),
    ]
    assert result.active_ms == 4000 + 1
    assert result.wall_ms == 29_000
    assert result.idle_ms == 29_000 - 4001


def test_media_interaction_is_active() -> None:
    from replaykit.analysis._tape import MutationRecord

    tape = Tape(
        activity=[(0, False), (100, False), (300, False)],
        mutations=[MutationRecord(t=100, document=1, source=7)],
        first_timestamp=0,
        last_timestamp=300,
    )
    assert active_time(tape).active_ms == 200


def _analyzed(corpus_dir: Path, name: str) -> tuple[list, Tape]:  # type: ignore[type-arg]
    analyzer = ReplayAnalyzer(name)
    actions = []
    for chunk in iter_event_chunks(corpus_dir / "recorded" / f"{name}.json"):
        actions.extend(analyzer.feed(chunk))
    actions.extend(analyzer.finish())
    return actions, analyzer.tape


@pytest.mark.parametrize(
    ("name", "wall", "active"),
    [("shop_frustrated", 83_353, 46_649), ("dashboard_heavy", 56_351, 43_062)],
)
def test_active_time_reference_figures(corpus_dir: Path, name: str, wall: int, active: int) -> None:
    from replaykit.testing import load_truth

    _, tape = _analyzed(corpus_dir, name)
    result = active_time(tape)
    assert abs(result.wall_ms - wall) <= 3
    assert abs(result.active_ms - active) <= 3
    # §12 validation: Σ(gap − 5000) ≤ idle ≤ Σ gap + lead-in + tail over the truth's gaps.
    truth = load_truth(corpus_dir / "recorded" / f"{name}.truth.json")
    gaps = [g["duration_ms"] for g in truth["input_gaps_over_5s"]]
    first_active = min(t for t, a in tape.activity if a)
    last_active = max(t for t, a in tape.activity if a)
    assert tape.first_timestamp is not None and tape.last_timestamp is not None
    lead_in = first_active - tape.first_timestamp
    tail = tape.last_timestamp - last_active
    assert sum(g - 5000 for g in gaps) <= result.idle_ms <= sum(gaps) + lead_in + tail


# --- page visits -----------------------------------------------------------------------


def test_page_visits_dwell_active_time_and_scroll_depth() -> None:
    events = [
        *page(0, f"{SHOP}/a", list_page()),
        *_scrolls(1000, [300, 900]),
        *moves(1500, straight(1500, 1000)),
        pageview(4000, f"{SHOP}/b", "pushState"),
        scroll(4050, 1, 0),  # scroll-to-top on arrival: /b never showed y=900
        click(5000, 10),
        mutation(11_000),  # > 5 s after the click: a new, inactive segment
    ]
    actions, tape = run(events)
    first, second = page_visits(actions, tape)
    assert (first.path, first.how, second.path, second.how) == ("/a", "load", "/b", "push")
    assert first.dwell_ms == 4000 - 1 and first.ended_by == "navigation"
    assert second.leave == T0 + 11_000 and second.ended_by == "recording_end"
    assert first.max_scroll_y == 900 and second.max_scroll_y == 0
    assert first.scroll_depth_px == 900 + 800  # the Meta's viewport height
    assert 0 < first.active_ms <= first.dwell_ms
    # One PostHog segment runs from the first scroll to the click (L + 5 s covers the
    # passive route event); /b holds its part from 4000 to the click at 5000.
    assert second.active_ms == 1000


# --- form abandonment (§13) ------------------------------------------------------------


def test_filled_checkout_left_by_a_full_load_is_abandoned() -> None:
    events = [
        *checkout_events(),
        click(7000, 40),  # "Continue shopping"
        *page(7600, f"{SHOP}/shop/", list_page()),
    ]
    [signal] = detect(detect_form_abandons, events)
    assert signal.kind == "form_abandon"
    assert signal.timestamp == T0 + 7000  # when the person clicked away
    assert signal.details["fields_filled"] == 3
    assert signal.details["fields"] == ["Email", "Card", "Terms"]
    assert signal.details["left_to"] == "/shop/"
    assert signal.details["path"] == "/shop/checkout"
    assert signal.details["submitted"] is False
    assert signal.target == "form#checkout-form"
    assert signal.label == "checkout-form"


def test_masked_values_count_by_length() -> None:
    events = [*checkout_events(masked=True), *page(9000, f"{SHOP}/shop/", list_page())]
    [signal] = detect(detect_form_abandons, events)
    assert signal.details["fields_filled"] == 3
    assert signal.timestamp == T0 + 9001  # typed URL: no click led away, left at the load


def test_a_click_in_the_page_does_not_date_a_typed_url_leave() -> None:
    events = [*checkout_events(), click(6000, 23), *page(9000, f"{SHOP}/shop/", list_page())]
    [signal] = detect(detect_form_abandons, events)
    assert signal.timestamp == T0 + 9001


def test_submitted_checkout_is_not_abandoned() -> None:
    events = [
        *checkout_events(),
        click(7000, 30),  # Place order
        request(7300, f"{SHOP}/api/order", "POST", start=7010),
        pageview(7400, f"{SHOP}/shop/success", "pushState"),
    ]
    assert detect(detect_form_abandons, events) == []


def test_a_failed_submit_is_an_attempt() -> None:
    events = [
        *checkout_events(),
        click(7000, 30),  # Place order throws: nothing sent
        click(9000, 40),
        *page(9500, f"{SHOP}/shop/", list_page()),
    ]
    assert detect(detect_form_abandons, events) == []


def test_search_form_is_not_a_form_to_abandon() -> None:
    events = [
        *page(0, f"{SHOP}/shop/checkout", checkout_page(search=True)),
        click(1000, 51),
        typed(1200, 51, "mugs"),
        click(3000, 40),
        *page(3500, f"{SHOP}/shop/", list_page()),
    ]
    assert detect(detect_form_abandons, events) == []


def test_spa_leave_is_abandonment_unless_the_form_is_used_again() -> None:
    left = [*checkout_events(), pageview(8000, f"{SHOP}/shop/cart", "pushState")]
    [signal] = detect(detect_form_abandons, left)
    assert signal.details["how"] == "push"
    assert signal.timestamp == T0 + 8000
    still_there = [*left, typed(9000, 26, "4242 4242 4242 4243")]  # a modal route: form stayed
    assert detect(detect_form_abandons, still_there) == []


def test_unsent_form_at_the_end_counts_only_when_asked() -> None:
    events = [*checkout_events(), mutation(20_000)]
    assert detect(detect_form_abandons, events) == []
    config = _with(
        form_abandon=msgspec.structs.replace(
            DEFAULT_SIGNAL_CONFIG.form_abandon, count_session_end=True
        )
    )
    [signal] = detect(detect_form_abandons, events, config)
    assert signal.details["left_to"] is None
    assert signal.timestamp == T0 + 20_000


def test_enter_in_a_field_submits() -> None:
    events = [
        *checkout_events(),
        typed(6000, 26, "4242 4242 4242 4244"),
        request(6400, f"{SHOP}/api/order", "POST", start=6300),
        click(8000, 40),
        *page(8500, f"{SHOP}/shop/", list_page()),
    ]
    assert detect(detect_form_abandons, events) == []


def test_field_outside_a_known_form_is_not_judged() -> None:
    root = document(
        el(20, "div", {"class": "filters"}, el(21, "input", {"type": "text", "name": "f"})),
        el(40, "a", {"href": "/x"}, text(41, "Away")),
    )
    events = [
        *page(0, f"{SHOP}/dash", root),
        typed(1000, 21, "revenue"),
        click(2000, 40),
        *page(2500, f"{SHOP}/x", list_page()),
    ]
    assert detect(detect_form_abandons, events) == []


# --- every detector on odd input --------------------------------------------------------


def test_detectors_survive_empty_and_odd_input() -> None:
    odd = Tape(
        scrolls=[
            ScrollRecord(t=5, document=3, node_id=-1, x=0, y=-10, is_window=False),
            ScrollRecord(t=1, document=0, node_id=1, x=0, y=1e9, programmatic=True),
        ],
        inputs=[InputRecord(t=2, document=9, node_id=77, length=-1)],
        pointer=[
            PointerRecord(t=3, document=1, x=1, y=1, kind="up"),
            PointerRecord(t=3, document=1, x=1, y=1, kind="down"),
            PointerRecord(t=2, document=1, x=float("inf"), y=0),
        ],
        documents=[DocumentRecord(t=0, document=1, url=None, new_document=True)],
        activity=[(10, True), (-5, False)],
    )
    actions = [nav_action(0, 0, "not a url", "load"), nav_action(1, -50, "", "weird")]
    for tape in (Tape(), odd):
        for acts in ([], actions):
            for detector in PAGE_DETECTORS:
                assert isinstance(detector("t", acts, tape, DEFAULT_SIGNAL_CONFIG), list)
            assert isinstance(page_visits(acts, tape), list)
            assert active_time(tape).idle_ms >= 0


def test_form_abandon_counts_corrections() -> None:
    email = "ada@exmaple.com"
    fixing = [typed(6000 + 80 * k, 23, email[:-k]) for k in range(1, 12)]  # back to "ada@"
    events = [
        *checkout_events(),
        typed(5600, 23, email),  # back in the email field, the typo typed in
        *fixing,  # 480 ms later, deleting the mistyped domain: a correction
        typed(7100, 23, "ada@example.com"),
        click(9000, 40),
        *page(9600, f"{SHOP}/shop/", list_page()),
    ]
    [signal] = detect(detect_form_abandons, events)
    assert signal.details["corrections"] == 1
    [plain] = detect(
        detect_form_abandons,
        [*checkout_events(), click(7000, 40), *page(7600, f"{SHOP}/shop/", list_page())],
    )
    assert plain.details["corrections"] == 0
