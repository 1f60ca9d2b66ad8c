"""The attribution rule on hand-built sequences: what answers a click, and what does not.

Each case is a scenario a person produces on a page replaykit has never seen: Back after a
click, a typed URL after a click, an error raised by the next click's handler, a ticker
mutating before and after a click, a toast 1.2 s after a click, an error at the same
millisecond as a click. The timeline (the click's effect) and the signals must agree.
"""

from __future__ import annotations

from typing import Any

from _builders import T0, inc, mouse, typed
from _signal_builders import (
    add_text,
    click,
    clicks_of,
    console,
    pageview,
    run,
    start,
    tick,
)

from replaykit.analysis._actions import Action, ClickDetails, ClickEffect
from replaykit.analysis._signal_config import DEFAULT_SIGNAL_CONFIG, PRESETS
from replaykit.analysis._signals_click import detect_dead_clicks, detect_error_clicks
from replaykit.analysis._timeline import markdown_timeline

Events = list[dict[str, Any]]
OTHER = "https://shop.example/other"
END = tick(20_000)


def _effect(action: Action) -> ClickEffect:
    assert isinstance(action.details, ClickDetails) and action.details.effect is not None
    return action.details.effect


def _clicks(events: Events) -> list[ClickEffect]:
    actions, _ = run(events)
    return [_effect(a) for a in clicks_of(actions)]


def _text_change(t: int, node_id: int, value: str) -> dict[str, Any]:
    return inc(t, 0, adds=[], removes=[], texts=[{"id": node_id, "value": value}], attributes=[])


def _ticker(start_ms: int, end_ms: int, period: int = 200) -> Events:
    """The paragraph's text (node 35) rewritten every ``period`` ms: a live ticker."""
    return [_text_change(t, 35, f"EUR {t % 97}.{t % 13}") for t in range(start_ms, end_ms, period)]


def _sorted(events: Events) -> Events:
    return sorted(events, key=lambda e: e["timestamp"])


# --- navigations ---------------------------------------------------------------------------


def test_browser_back_after_a_click_is_not_its_effect() -> None:
    (effect,) = _clicks([*start(), click(1000, 11), pageview(1500, OTHER, "popstate"), END])
    assert effect.navigation is None and effect.outcome == "none"
    assert effect.next_action == "back_forward" and effect.next_action_ms == 500


def test_a_back_control_may_traverse_history() -> None:
    from _builders import document, el, page, text

    root = document(el(10, "button", {"aria-label": "Back"}, text(11, "←")))
    events = [*page(0, "https://shop.example/a", root), click(1000, 11)]
    events += [pageview(1100, OTHER, "popstate"), END]
    (effect,) = _clicks(events)
    assert effect.outcome == "navigation" and "back control" in effect.because


def test_a_typed_url_after_a_button_click_is_not_its_effect() -> None:
    (effect,) = _clicks([*start(), click(1000, 11), *start(3000, OTHER), END])
    assert effect.navigation is None and effect.outcome == "none"
    assert effect.next_action == "load"


def test_a_link_or_a_quick_scripted_navigation_is_the_clicks_effect() -> None:
    (link,) = _clicks([*start(), click(1000, 15), *start(3000, OTHER), END])
    assert link.outcome == "navigation" and link.navigation == "load"
    assert link.because.startswith("link")
    (scripted,) = _clicks([*start(), click(1000, 11), pageview(1300, OTHER), END])
    assert scripted.outcome == "navigation" and scripted.navigation == "spa"


def test_a_navigation_after_the_next_click_belongs_to_it() -> None:
    first, second = _clicks(
        [*start(), click(1000, 11), click(1400, 15), pageview(1450, OTHER), END]
    )
    assert first.navigation is None and first.next_action == "click"
    assert second.outcome == "navigation"


# --- errors --------------------------------------------------------------------------------


def test_an_error_raised_by_the_next_click_is_that_clicks() -> None:
    events = [*start(), click(1000, 11), click(2800, 13), console(2810, "Uncaught TypeError: x")]
    actions, tape = run([*events, END])
    first, second = (_effect(a) for a in clicks_of(actions))
    assert first.errors == () and first.outcome == "none"
    assert second.outcome == "error"
    signals = detect_error_clicks("test", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert [s.timestamp for s in signals] == [T0 + 2800]


def test_an_error_at_the_same_millisecond_goes_by_stream_order() -> None:
    # The handler of the click at 2800 logs at 2800: the recorder emitted the click first.
    after = _clicks([*start(), click(1000, 11), click(2800, 13), console(2800, "boom"), END])
    assert after[0].errors == () and after[1].outcome == "error"
    # Logged at 2800 *before* the click event: the earlier click's (within its 2 s? no:
    # 1.8 s after it, so it is an error click too).
    before = _clicks([*start(), click(1000, 11), console(2800, "boom"), click(2800, 13), END])
    assert [e.message for e in before[0].errors] == ["boom"] and before[0].outcome == "error"
    assert before[1].errors == ()


def test_an_error_from_a_timer_the_click_started_is_its_own() -> None:
    (effect,) = _clicks([*start(), click(1000, 11), console(2200, "Uncaught Error: late"), END])
    assert effect.outcome == "error" and effect.errors[0].ms == 1200


# --- ambient activity ----------------------------------------------------------------------


def test_a_ticker_before_and_after_a_click_is_not_a_reaction() -> None:
    events = _sorted([*start(), *_ticker(100, 12_000), click(5000, 28), END])
    actions, tape = run(events)
    (effect,) = (_effect(a) for a in clicks_of(actions))
    assert effect.outcome == "none" and effect.mutation_ms is None
    assert effect.ambient_mutations_ignored > 0 and "ambient" in effect.because
    (dead,) = detect_dead_clicks("test", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert dead.details["interactive"] is False
    # The products count any change: with their SDK's view the click looks alive.
    posthog_like = PRESETS["mixpanel"]
    assert detect_dead_clicks("test", actions, tape, posthog_like) == []


def test_a_reaction_on_a_ticking_page_still_counts() -> None:
    toast = add_text(5040, 900, 3, "Saved")
    events = _sorted([*start(), *_ticker(100, 12_000), click(5000, 11), toast, END])
    (effect,) = _clicks(events)
    assert effect.outcome == "reaction" and effect.mutation_ms == 40
    assert effect.text_added == "Saved"


def test_a_control_changing_its_own_text_inside_a_live_region_reacted() -> None:
    # The ticker rewrites node 35 (inside p#33); the click is on the paragraph itself and
    # its own text changes at +30 ms: near the clicked element, but the region is the
    # ticker's own node, so it stays ambient. A change to another node under it counts.
    events = _sorted([*start(), *_ticker(100, 12_000), click(5000, 35), END])
    (effect,) = _clicks(events)
    assert effect.outcome == "none"


def test_one_earlier_change_does_not_make_a_region_ambient() -> None:
    # "+" twice: the counter's text changes after each press. The first change does not
    # make the counter ambient for the second press.
    events = [
        *start(),
        click(1000, 11),
        _text_change(1010, 35, "1 item"),
        click(2500, 11),
        _text_change(2510, 35, "2 items"),
        END,
    ]
    first, second = _clicks(events)
    assert first.outcome == "reaction" and second.outcome == "reaction"
    assert second.mutation_ms == 10


def test_a_toast_1200_ms_after_a_click_is_its_reaction() -> None:
    events = [*start(), click(1000, 11), add_text(2200, 900, 3, "Copied to clipboard"), END]
    actions, tape = run(events)
    (effect,) = (_effect(a) for a in clicks_of(actions))
    assert effect.outcome == "reaction" and effect.reaction_ms == 1200
    assert detect_dead_clicks("test", actions, tape, DEFAULT_SIGNAL_CONFIG) == []
    assert 'showed "Copied to clipboard"' in markdown_timeline(actions)


def test_a_full_table_re_sort_on_a_live_table_counts_as_a_reaction() -> None:
    def rows(t: int, first_id: int, n: int) -> dict[str, Any]:
        return inc(
            t,
            0,
            adds=[
                {
                    "parentId": 33,
                    "nextId": None,
                    "node": {"type": 3, "id": first_id + i, "textContent": f"row {i}"},
                }
                for i in range(n)
            ],
            removes=[],
            texts=[],
            attributes=[],
        )

    ticks = [rows(t, 10_000 + t, 2) for t in range(100, 10_000, 200)]
    events = _sorted([*start(), *ticks, click(5000, 13), rows(5300, 50_000, 200), END])
    (effect,) = _clicks(events)
    assert effect.outcome == "reaction" and effect.mutation_ms == 300


# --- the window ----------------------------------------------------------------------------


def test_typing_closes_the_window_and_a_toggle_is_the_press_itself() -> None:
    first, _ = _clicks([*start(), click(1000, 11), typed(1400, 20, "a"), click(3000, 13), END])
    assert first.next_action == "input" and first.next_action_ms == 400
    (toggle,) = _clicks([*start(), click(1000, 22), typed(1001, 22, "on", checked=True), END])
    assert toggle.outcome == "reaction" and toggle.reaction_kind == "input"


def test_a_repeat_press_on_the_same_control_continues_the_window() -> None:
    events = [*start(), click(1000, 11), click(1300, 11), add_text(1500, 900, 3, "Done"), END]
    first, second = _clicks(events)
    assert first.outcome == "reaction" and first.mutation_ms == 500
    assert second.outcome == "reaction"


def test_a_press_without_click_is_not_an_action() -> None:
    (effect,) = _clicks([*start(), mouse(900, 1, 11), click(1000, 11), END])
    assert effect.outcome == "none" and effect.because.startswith("no change within")


# --- presses, scrolls, scripted fills, navigation starts -----------------------------------


def test_the_window_runs_from_press_to_the_next_press() -> None:
    # The next click's press at 2600 (its click at 2680): an error at 2640 is its doing.
    events = [
        *start(),
        mouse(950, 1, 11),
        click(1000, 11),
        mouse(2600, 1, 13),
        console(2640, "Uncaught TypeError: from the next handler"),
        click(2680, 13),
        END,
    ]
    first, second = _clicks(events)
    assert first.errors == () and first.next_action_ms == 1600
    assert second.outcome == "error"


def test_a_drag_press_closes_the_window_too() -> None:
    events = [
        *start(),
        click(1000, 11),
        mouse(2000, 1, 25),  # a press that becomes a drag, no click
        add_text(2100, 900, 3, "Moved"),
        END,
    ]
    (effect,) = _clicks(events)
    assert effect.outcome == "none" and effect.next_action_ms == 1000


def test_changes_after_the_persons_scroll_answer_the_scroll() -> None:
    events = [
        *start(),
        click(1000, 28),  # static text
        inc(1500, 3, id=1, x=0, y=600),  # the person scrolls
        add_text(1600, 900, 3, "Loading more…"),  # infinite feed
        END,
    ]
    (effect,) = _clicks(events)
    assert effect.outcome == "none" and effect.mutation_ms is None


def test_a_value_set_by_a_click_elsewhere_is_its_effect_not_typing() -> None:
    events = [*start(), click(1000, 13), inc(1008, 5, id=20, text="dialog"), END]
    actions, _ = run(events)
    assert [a.kind for a in actions if a.kind in ("click", "input")] == ["click"]
    (effect,) = (_effect(a) for a in clicks_of(actions))
    assert effect.outcome == "reaction" and effect.reaction_kind == "input"


def test_a_new_document_that_began_after_the_click_is_not_its_doing() -> None:
    def nav_entry(t: int, end_ms: float) -> dict[str, Any]:
        from _builders import plugin

        request = {"initiatorType": "navigation", "name": OTHER, "startTime": 0, "endTime": end_ms}
        return plugin(t, "rrweb/network@1", {"requests": [request], "isInitial": True})

    # Loaded at 1700, its response ended 50 ms after its start: it began at ~1650, 650 ms
    # after the click — a typed URL, though within the 1 s fallback window.
    typed_url = [*start(), click(1000, 11), *start(1700, OTHER), nav_entry(1760, 50), END]
    (effect,) = _clicks(typed_url)
    assert effect.navigation is None and effect.next_action == "load"
    # Began with the click (response end 680 ms after a start at ~1020): the handler's.
    scripted = [*start(), click(1000, 11), *start(1700, OTHER), nav_entry(1760, 680), END]
    (effect,) = _clicks(scripted)
    assert effect.outcome == "navigation" and "began with the click" in effect.because


def test_plain_text_never_navigates_by_script() -> None:
    (effect,) = _clicks([*start(), click(1000, 28), pageview(1100, OTHER), END])
    assert effect.navigation is None


def test_back_controls_by_their_words() -> None:
    from replaykit.analysis._attribution import BACK_CONTROL

    for label in ("← Back to feed", "Back", "Previous page", "« Return"):
        assert BACK_CONTROL.search(label), label
    for label in ("Feedback", "Backup now", "Next"):
        assert not BACK_CONTROL.search(label), label
