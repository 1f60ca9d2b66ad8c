"""Rage, dead, slow and error clicks on small hand-built sequences (one rule per test),
then against the recorded corpus' truth (counts equal, times within ±250 ms)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _builders import el, text, typed
from _signal_builders import (
    SCENARIOS,
    T0,
    add_text,
    at,
    click,
    console,
    corpus_replay,
    fetch,
    pageview,
    press,
    replace_node,
    run,
    selection,
    start,
    tick,
    times_match,
    truth_times,
)

from replaykit.analysis._actions import Action, ClickDetails
from replaykit.analysis._signal import Signal
from replaykit.analysis._signal_config import (
    DEFAULT_SIGNAL_CONFIG,
    PRESETS,
    SignalConfig,
    signal_config,
)
from replaykit.analysis._signals_click import (
    detect_dead_clicks,
    detect_error_clicks,
    detect_rage_clicks,
    detect_slow_clicks,
)
from replaykit.analysis._tape import Tape

Events = list[dict[str, Any]]


def _rage(events: Events, config: SignalConfig = DEFAULT_SIGNAL_CONFIG) -> list[Signal]:
    actions, tape = run(events)
    return detect_rage_clicks("test", actions, tape, config)


def _dead(events: Events, config: SignalConfig = DEFAULT_SIGNAL_CONFIG) -> list[Signal]:
    actions, tape = run(events)
    return detect_dead_clicks("test", actions, tape, config)


def _slow(events: Events, config: SignalConfig = DEFAULT_SIGNAL_CONFIG) -> list[Signal]:
    actions, tape = run(events)
    return detect_slow_clicks("test", actions, tape, config)


def _errors(events: Events, config: SignalConfig = DEFAULT_SIGNAL_CONFIG) -> list[Signal]:
    actions, tape = run(events)
    return detect_error_clicks("test", actions, tape, config)


def burst(
    t0: int, n: int, node: int = 11, gap: int = 200, x: float = 400, y: float = 700
) -> Events:
    return [click(t0 + i * gap, node, x + (i % 2), y) for i in range(n)]


END = tick(20_000)  # the recording goes on long enough for every window to close

# --- rage clicks ---------------------------------------------------------------------------


def test_five_fast_clicks_on_one_button_are_one_rage_click() -> None:
    (rage,) = _rage([*start(), click(1000, 11, 445, 700), *burst(2677, 5), END])
    assert rage.kind == "rage_click"
    assert rage.timestamp - T0 == 2677 and rage.end_timestamp is not None
    assert rage.duration_ms == 800 and rage.details["clicks"] == 5
    assert rage.label == "Apply coupon" and len(rage.evidence) == 5
    assert rage.details["min_clicks"] == 3 and rage.details["radius_px"] == 30
    assert rage.preset == "replaykit"


def test_two_clicks_or_slow_clicks_are_not_rage() -> None:
    assert _rage([*start(), *burst(1000, 2), END]) == []
    assert _rage([*start(), *burst(1000, 4, gap=1100), END]) == []


def test_a_reload_mid_burst_breaks_it() -> None:
    events = [*start(), *burst(1000, 2), *start(1500), *burst(1600, 2), END]
    assert _rage(events) == []
    # Three on each side are two bursts, each in its own document.
    two = _rage([*start(), *burst(1000, 3), *start(1700), *burst(1800, 3), END])
    assert [s.document for s in two] == [1, 2]


def test_a_button_re_rendered_at_the_same_spot_keeps_the_burst() -> None:
    rerendered = el(50, "button", {"id": "apply", "type": "button"}, text(51, "Apply coupon"))
    events = [
        *start(),
        click(1000, 11, 400, 700),
        replace_node(1100, 10, rerendered),
        click(1200, 51, 401, 700),
        click(1400, 51, 400, 701),
        END,
    ]
    (rage,) = _rage(events)
    assert rage.details["clicks"] == 3


def test_adjacent_distinct_buttons_are_separate_decisions() -> None:
    # "Apply coupon" and "Other" 20 px apart, both still on the page: no burst.
    events = [
        *start(),
        click(1000, 11, 400, 700),
        click(1200, 34, 420, 700),
        click(1400, 11, 400, 700),
        click(1600, 34, 420, 700),
        END,
    ]
    assert _rage(events) == []


def test_clicks_on_plain_text_at_one_spot_can_be_rage() -> None:
    (rage,) = _rage([*start(), *burst(1000, 3, node=35), END])
    assert rage.details["target_kind"] is None


def test_a_selection_or_scroll_during_the_burst_cancels_it() -> None:
    assert _rage([*start(), *burst(1000, 3, node=35), selection(1250, 35), END]) == []
    from _builders import scroll

    assert _rage([*start(), *burst(1000, 3), scroll(1300, 1, 300), END]) == []


def test_text_fields_pagers_and_opted_out_controls_are_ignored() -> None:
    assert _rage([*start(), *burst(1000, 4, node=20), END]) == []  # caret placement
    assert _rage([*start(), *burst(1000, 4, node=13), END]) == []  # "Next"
    assert _rage([*start(), *burst(1000, 4, node=32), END]) == []  # .ph-no-rageclick
    # The presets without PostHog's ignore lists do count the pager.
    assert len(_rage([*start(), *burst(1000, 4, node=13), END], PRESETS["mixpanel"])) == 1


def test_drifting_clicks_rage_by_the_previous_click_not_the_first() -> None:
    drift = [click(1000 + i * 200, 35, 300 + i * 20, 700) for i in range(3)]
    assert _rage([*start(), *drift, END]) == []  # 40 px from the first
    (ph,) = _rage([*start(), *drift, END], PRESETS["posthog"])
    assert ph.preset == "posthog" and ph.details["distance"] == "manhattan"


def test_mixpanel_fires_at_four_and_starts_over() -> None:
    cfg = PRESETS["mixpanel"]
    assert _rage([*start(), *burst(1000, 3), END], cfg) == []
    assert [s.details["clicks"] for s in _rage([*start(), *burst(1000, 8), END], cfg)] == [4, 4]


def test_datadog_needs_three_within_a_second_on_the_same_target() -> None:
    cfg = PRESETS["datadog"]
    assert len(_rage([*start(), *burst(1000, 3, gap=400), END], cfg)) == 1
    assert _rage([*start(), *burst(1000, 3, gap=600), END], cfg) == []


def test_sentry_rage_is_a_dead_click_with_five_clicks() -> None:
    cfg = PRESETS["sentry"]
    assert len(_rage([*start(), *burst(1000, 5), END], cfg)) == 1
    assert _rage([*start(), *burst(1000, 4), END], cfg) == []
    alive = [*start(), *burst(1000, 5), add_text(1100, 900, 3, "Applied"), END]
    assert _rage(alive, cfg) == []


def test_openreplay_groups_by_label() -> None:
    cfg = PRESETS["openreplay"]
    far = [click(1000 + i * 250, 11, 100 + i * 200, 700) for i in range(3)]
    assert len(_rage([*start(), *far, END], cfg)) == 1  # same label, far apart, < 300 ms
    assert _rage([*start(), *burst(1000, 3, gap=350), END], cfg) == []


# --- dead clicks ---------------------------------------------------------------------------


def test_a_button_that_does_nothing_is_dead() -> None:
    (dead,) = _dead([*start(), click(1000, 11), END])
    assert dead.kind == "dead_click" and dead.timestamp - T0 == 1000
    assert dead.details["in_rage"] is False and dead.details["first_reaction_ms"] is None
    assert dead.details["timeout_ms"] == 2500 and dead.label == "Apply coupon"


def test_reaction_windows() -> None:
    from _builders import scroll

    assert _dead([*start(), click(1000, 11), add_text(3400, 900, 3, "Done"), END]) == []
    (late,) = _dead([*start(), click(1000, 11), add_text(3600, 900, 3, "Done"), END])
    assert late.details["first_reaction_ms"] == 2600
    assert _dead([*start(), click(1000, 11), scroll(1250, 1, 300), END]) == []
    assert len(_dead([*start(), click(1000, 11), scroll(1400, 1, 300), END])) == 1
    assert _dead([*start(), click(1000, 11), selection(1050, 35), END]) == []
    assert len(_dead([*start(), click(1000, 11), selection(1200, 35), END])) == 1
    assert (
        _dead([*start(), click(1000, 15), pageview(1010, "https://shop.example/cart"), END]) == []
    )
    assert _dead([*start(), click(1000, 15), *start(2000, "https://shop.example/cart"), END]) == []


def test_a_click_that_ends_its_document_is_alive_when_the_next_page_arrives() -> None:
    slow_load = [*start(), click(1000, 15), *start(5000, "https://shop.example/cart"), END]
    assert _dead(slow_load) == []
    # ... but not when the person clicked something else on the old page first (that
    # later click is the one the load is credited to).
    clicked_again = [
        *start(),
        click(1000, 15),
        click(4000, 34),
        *start(5000, "https://shop.example/cart"),
        END,
    ]
    assert at(_dead(clicked_again)) == [1000]


def test_a_change_after_the_next_click_is_that_clicks() -> None:
    # The change comes after the person clicked "Other": it answers "Other", and
    # "Apply coupon" got nothing before the person moved on (the attribution rule).
    events = [*start(), click(1000, 11), click(2000, 34), add_text(2100, 900, 3, "x"), END]
    (dead,) = _dead(events)
    assert dead.timestamp == T0 + 1000
    assert dead.details["next_action"] == "click" and dead.details["next_action_ms"] == 1000
    assert len(_dead([*start(), click(1000, 11), click(2000, 34), END])) == 2


def test_text_fields_and_the_page_background_are_not_candidates() -> None:
    assert _dead([*start(), click(1000, 20), END]) == []  # input[type=text]
    assert _dead([*start(), click(1000, 24), END]) == []  # its label
    assert _dead([*start(), click(1000, 3), END]) == []  # the page background


def test_plain_content_is_judged_in_replaykit_and_not_by_the_products() -> None:
    (dead,) = _dead([*start(), click(1000, 28), END])  # plain div text, nothing happened
    assert dead.details["interactive"] is False
    (on_button,) = _dead([*start(), click(1000, 11), END])
    assert on_button.details["interactive"] is True
    assert _dead([*start(), click(1000, 28), add_text(1100, 900, 3, "Copied"), END]) == []
    assert _dead([*start(), click(1000, 28), END], PRESETS["posthog"]) == []
    assert _dead([*start(), click(1000, 28), END], PRESETS["sentry"]) == []


def test_links_opening_elsewhere_are_not_dead() -> None:
    assert _dead([*start(), click(1000, 17), END]) == []  # target=_blank
    assert _dead([*start(), click(1000, 19), END]) == []  # download
    assert len(_dead([*start(), click(1000, 15), END])) == 1  # a same-tab link that did nothing
    assert _dead([*start(), click(1000, 15), END], PRESETS["posthog"]) == []  # links never dead


def test_the_checkbox_is_alive_through_its_input() -> None:
    events = [*start(), click(1000, 22), typed(1000, 22, "on", checked=True), END]
    assert _dead(events) == []
    via_label = [*start(), click(1000, 26), typed(1000, 22, "on", checked=True), END]
    assert _dead(via_label) == []


def test_a_click_ending_a_text_selection_drag_is_not_a_candidate() -> None:
    # The analyzer turns a drag's click into a selection action; no click is judged.
    events = [*start(), press(1000, 35, x=10), selection(1100, 35), click(1300, 35, x=90), END]
    actions, tape = run(events)
    assert not any(isinstance(a.details, ClickDetails) for a in actions)
    assert detect_dead_clicks("test", actions, tape, DEFAULT_SIGNAL_CONFIG) == []


def test_a_press_that_selected_text_is_not_judged() -> None:
    # Hand-built: a click on a control whose press selected text (no selection action).
    actions, tape = run([*start(), press(900, 11), click(1000, 11), END])
    assert len(detect_dead_clicks("test", actions, tape, DEFAULT_SIGNAL_CONFIG)) == 1
    tape.selections.append(T0 + 950)
    tape.selections.sort()
    assert detect_dead_clicks("test", actions, tape, DEFAULT_SIGNAL_CONFIG) == []


def test_error_clicks_are_not_dead() -> None:
    assert _dead([*start(), click(1000, 11), console(1020, "boom"), END]) == []


def test_undetermined_when_the_recording_ends_inside_the_window() -> None:
    assert _dead([*start(), click(1000, 11), tick(3000)]) == []
    assert len(_dead([*start(), click(1000, 11), tick(3500)])) == 1


def test_rage_members_are_dead_and_flagged() -> None:
    dead = _dead([*start(), click(1000, 11, 445, 700), *burst(2677, 5), END])
    assert [s.details["in_rage"] for s in dead] == [False, True, True, True, True, True]


def test_presets_change_the_dead_window() -> None:
    events = [*start(), click(1000, 11), add_text(1700, 900, 3, "Done"), END]
    assert _dead(events) == []
    assert len(_dead(events, PRESETS["mixpanel"])) == 1  # 500 ms
    assert _dead([*start(), click(1000, 30), END], PRESETS["sentry"]) == []  # div[onclick]
    assert len(_dead([*start(), click(1000, 30), END])) == 1


def test_datadog_counts_network_as_activity() -> None:
    events = [*start(), click(1000, 11), fetch(1050, 1080, "/api/x"), END]
    assert len(_dead(events, signal_config("mixpanel"))) == 1
    assert _dead(events, PRESETS["datadog"]) == []


# --- slow clicks ---------------------------------------------------------------------------


def test_a_slow_request_makes_a_slow_click_despite_a_spinner() -> None:
    events = [
        *start(),
        click(1000, 11),
        add_text(1003, 900, 3, "Loading…"),
        fetch(1003, 2524, "/api/products?offset=50"),
        add_text(2530, 901, 3, "More products"),
        END,
    ]
    (slow,) = _slow(events)
    assert slow.kind == "slow_click" and slow.timestamp - T0 == 1000
    assert slow.details["latency_ms"] == 1524 and slow.details["delay_ms"] == 1530
    assert slow.details["first_feedback_ms"] == 3
    assert slow.details["request"]["url"] == "/api/products?offset=50"
    assert slow.end_timestamp == T0 + 2530


def test_fast_requests_and_fast_mutations_are_not_slow() -> None:
    quick = [
        *start(),
        click(1000, 11),
        fetch(1010, 1040, "/api/cart", method="POST"),
        add_text(1045, 900, 3, "1"),
        END,
    ]
    assert _slow(quick) == []
    assert _slow([*start(), click(1000, 11), add_text(1600, 900, 3, "ok"), END]) == []


def test_without_a_request_the_first_mutation_is_the_latency() -> None:
    (slow,) = _slow([*start(), click(1000, 11), add_text(2200, 900, 3, "ok"), END])
    assert slow.details["latency_ms"] == 1200 and "request" not in slow.details
    # Sentry's 3 s threshold, mutation-only.
    assert (
        _slow([*start(), click(1000, 11), add_text(2200, 900, 3, "ok"), END], PRESETS["sentry"])
        == []
    )


def test_a_request_started_long_after_the_click_was_not_triggered_by_it() -> None:
    events = [
        *start(),
        click(1000, 11),
        add_text(1010, 900, 3, "ok"),
        fetch(1800, 4000, "/api/poll"),
        END,
    ]
    assert _slow(events) == []


def test_dead_and_error_clicks_are_not_slow() -> None:
    assert _slow([*start(), click(1000, 11), END]) == []
    erroring = [*start(), click(1000, 11), console(1010, "boom"), add_text(2500, 900, 3, "x"), END]
    assert _slow(erroring) == []


# --- error clicks --------------------------------------------------------------------------


def test_an_error_after_a_click_makes_it_an_error_click() -> None:
    events = [
        *start(),
        click(1000, 11),
        console(1022, "Checkout failed"),
        console(1029, "Uncaught TypeError: Cannot read properties of undefined (reading 'US')"),
        END,
    ]
    (err,) = _errors(events)
    assert err.kind == "error_click" and err.timestamp - T0 == 1000
    assert err.details["message"] == "TypeError: Cannot read properties of undefined (reading 'US')"
    assert err.details["errors"] == 2 and err.details["first_error_ms"] == 22


def test_errors_go_to_the_latest_click_within_two_seconds() -> None:
    events = [*start(), click(1000, 11), click(1500, 34), console(1600, "boom"), END]
    assert at(_errors(events)) == [1500]
    assert _errors([*start(), click(1000, 11), console(3100, "late"), END]) == []
    assert _errors([*start(), click(1000, 11), console(1100, "meh", level="warn"), END]) == []


def test_an_error_in_a_new_document_is_not_the_old_clicks() -> None:
    events = [
        *start(),
        click(1000, 15),
        *start(1200, "https://shop.example/cart"),
        console(1300, "x"),
        END,
    ]
    assert _errors(events) == []


def test_network_errors_are_not_error_clicks_unless_asked() -> None:
    from msgspec.structs import replace

    events = [*start(), click(1000, 11), fetch(1005, 1010, "/api/reviews/44", 404), END]
    assert _errors(events) == []
    cfg = replace(
        DEFAULT_SIGNAL_CONFIG,
        error_click=replace(DEFAULT_SIGNAL_CONFIG.error_click, include_network=True),
    )
    (err,) = _errors(events, cfg)
    assert err.details["message"] == "GET /api/reviews/44 404"


# --- odd input -----------------------------------------------------------------------------


def test_odd_input_never_raises() -> None:
    empty = Tape()
    for detect in (detect_rage_clicks, detect_dead_clicks, detect_slow_clicks, detect_error_clicks):
        assert detect("x", [], empty, DEFAULT_SIGNAL_CONFIG) == []
    positionless = Action(
        replay_id="x",
        seq=0,
        kind="click",
        t_ms=0,
        timestamp=5,
        node_id=None,
        details=ClickDetails(target_kind="control"),
    )
    for preset in PRESETS.values():
        for detect in (
            detect_rage_clicks,
            detect_dead_clicks,
            detect_slow_clicks,
            detect_error_clicks,
        ):
            detect("x", [positionless] * 4, empty, preset)


# --- the recorded corpus -------------------------------------------------------------------

_CLICK_KINDS = (
    ("rage_click", "rage_clicks", detect_rage_clicks, "t_start"),
    ("dead_click", "dead_clicks", detect_dead_clicks, "t"),
    ("slow_click", "slow_clicks", detect_slow_clicks, "t_click"),
    ("error_click", "error_clicks", detect_error_clicks, "t"),
)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_corpus_click_signals_match_truth(corpus_dir: Path, scenario: str) -> None:
    actions, tape, truth = corpus_replay(corpus_dir / "recorded" / f"{scenario}.json")
    for kind, count_key, detect, time_key in _CLICK_KINDS:
        found = detect(scenario, actions, tape, DEFAULT_SIGNAL_CONFIG)
        assert len(found) == truth["expected"][count_key], (scenario, kind, found)
        assert times_match([s.timestamp for s in found], truth_times(truth, kind, time_key)), (
            scenario,
            kind,
        )


def test_corpus_details_match_truth(corpus_dir: Path) -> None:
    actions, tape, truth = corpus_replay(corpus_dir / "recorded" / "shop_frustrated.json")
    by_kind = {s["kind"]: s for s in truth["signals"]}
    (rage,) = detect_rage_clicks("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert rage.details["clicks"] == by_kind["rage_click"]["clicks"]
    assert abs(rage.details["span_ms"] - by_kind["rage_click"]["span_ms"]) <= 250
    assert rage.target is not None and "#apply-coupon" in rage.target
    (slow,) = detect_slow_clicks("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert abs(slow.details["delay_ms"] - by_kind["slow_click"]["delay_ms"]) <= 250
    assert slow.target is not None and "#load-more" in slow.target
    (err,) = detect_error_clicks("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert by_kind["error_click"]["message"] in err.details["message"]
    assert err.target is not None and "#place-order" in err.target
    dead = detect_dead_clicks("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    truth_rage = {
        s["t"]
        for s in truth["signals"]
        if s["kind"] == "dead_click" and s.get("part_of_rage_click")
    }
    assert sum(s.details["in_rage"] for s in dead) == len(truth_rage)
