"""Console errors, uncaught exceptions, failed/slow requests and slow pages on hand-built
sequences, then against the recorded corpus' truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _builders import plugin
from _signal_builders import (
    SCENARIOS,
    T0,
    at,
    click,
    console,
    corpus_replay,
    fetch,
    run,
    start,
    tick,
    times_match,
    truth_times,
)

from replaykit.analysis._signal import Signal
from replaykit.analysis._signal_config import DEFAULT_SIGNAL_CONFIG, SignalConfig
from replaykit.analysis._signals_errors import (
    detect_console_errors,
    detect_network_errors,
    detect_network_failures,
    detect_slow_pages,
    detect_slow_requests,
    detect_uncaught_exceptions,
    error_fingerprint,
)
from replaykit.analysis._tape import Tape

Events = list[dict[str, Any]]
END = tick(20_000)


def _detect(
    detect: Any, events: Events, config: SignalConfig = DEFAULT_SIGNAL_CONFIG
) -> list[Signal]:
    actions, tape = run(events)
    found: list[Signal] = detect("test", actions, tape, config)
    return found


# --- console -------------------------------------------------------------------------------


def test_logged_errors_and_uncaught_exceptions_are_separate_kinds() -> None:
    events = [
        *start(),
        console(1000, "Checkout failed: quote missing for region US"),
        console(1010, "Uncaught TypeError: Cannot read properties of undefined (reading 'US')"),
        console(1020, "reviews request failed with status 404", level="warn"),
        console(1030, "assertion", level="assert"),
        console(1040, "Uncaught (in promise) Error: nope"),
        END,
    ]
    logged = _detect(detect_console_errors, events)
    assert at(logged) == [1000, 1030]
    assert logged[0].details["message"] == "Checkout failed: quote missing for region US"
    assert logged[0].details["level"] == "error" and logged[1].details["level"] == "assert"
    assert logged[0].url == "https://shop.example/checkout"
    assert logged[0].evidence  # the console_error action of the same record
    uncaught = _detect(detect_uncaught_exceptions, events)
    assert at(uncaught) == [1010, 1040]
    assert uncaught[0].details["fingerprint"] == (
        "TypeError: Cannot read properties of undefined (reading <str>)"
    )
    assert uncaught[0].details["frame"] == "handler (app.js:1:1)"


def test_fingerprints_group_errors_that_differ_only_in_ids() -> None:
    a = error_fingerprint("Failed to load https://x.test/a?id=1 for user 12345")
    b = error_fingerprint("Failed to load https://x.test/b?id=2 for user 67890")
    assert a == b == "Failed to load <url> for user <n>"
    assert error_fingerprint("id 3f2a9c1b7e off") == "id <hex> off"
    events = [*start(), console(1000, "user 1 failed"), console(2000, "user 2 failed"), END]
    assert [s.details["occurrence"] for s in _detect(detect_console_errors, events)] == [1, 2]


# --- network -------------------------------------------------------------------------------


def test_404_and_500_are_network_errors_with_method_path_status() -> None:
    events = [
        *start(),
        click(1000, 11),
        fetch(1004, 1007, "/api/reviews/44", 404),
        fetch(2000, 2130, "/api/shipping-estimate?zip=10115", 500),
        fetch(3000, 3020, "/api/cart", 200, "POST"),
        END,
    ]
    errors = _detect(detect_network_errors, events)
    assert [(s.details["method"], s.details["url"], s.details["status"]) for s in errors] == [
        ("GET", "/api/reviews/44", 404),
        ("GET", "/api/shipping-estimate?zip=10115", 500),
    ]
    assert at(errors) == [1007, 2130]  # when the recorder reported the response
    assert [s.details["class"] for s in errors] == ["4xx", "5xx"]
    assert errors[0].details["endpoint"] == "GET /api/reviews/:id"
    # The first was triggered by the click (start 4 ms after it); the second by nothing.
    assert errors[0].label == "Apply coupon" and len(errors[0].evidence) == 1
    assert errors[1].label is None and errors[1].evidence == ()


def test_resources_and_duplicates_are_not_counted_twice() -> None:
    events = [
        *start(),
        fetch(1000, 1010, "/img/missing.png", 404, initiator="img", wrapper=False),
        fetch(2000, 2010, "/api/x", 500),
        fetch(2000, 2010, "/api/x", 500),
        END,
    ]
    assert at(_detect(detect_network_errors, events)) == [2010]


def test_a_wrapper_request_without_status_failed() -> None:
    events = [
        *start(),
        fetch(1000, 1010, "/api/down", None),
        fetch(2000, 2010, "/api/unknown", None, wrapper=False),  # observer only: unknown
        END,
    ]
    (failed,) = _detect(detect_network_failures, events)
    assert failed.kind == "network_failed" and failed.details["url"] == "/api/down"
    assert _detect(detect_network_errors, events) == []


def test_slow_requests_with_endpoint_statistics() -> None:
    events = [
        *start(),
        fetch(1000, 1100, "/api/products/1"),
        fetch(2000, 5500, "/api/products/2"),
        fetch(6000, 6200, "/api/products/3", 503),
        END,
    ]
    (slow,) = _detect(detect_slow_requests, events)
    assert slow.duration_ms == 3500 and slow.timestamp == T0 + 5500
    assert slow.details["endpoint"] == "GET /api/products/:id"
    assert slow.details["endpoint_count"] == 3
    assert slow.details["endpoint_error_rate"] == pytest.approx(0.333)
    assert slow.details["endpoint_p50_ms"] == 200


def test_slow_page_from_the_navigation_entry() -> None:
    def navigation(t: int, duration: float, initial: bool) -> dict[str, Any]:
        entry = {
            "initiatorType": "navigation",
            "name": "https://shop.example/checkout",
            "startTime": 0,
            "endTime": 28,
            "duration": duration,
            "status": 200,
        }
        return plugin(t, "rrweb/network@1", {"requests": [entry], "isInitial": initial})

    slow = [*start(), navigation(10, 0, True), navigation(20, 3400, False), END]
    (page,) = _detect(detect_slow_pages, slow)
    assert page.details == {"url": "/checkout", "load_ms": 3400, "slow_page_ms": 3000}
    fast = [*start(), navigation(10, 0, True), navigation(20, 327, False), END]
    assert _detect(detect_slow_pages, fast) == []


def test_odd_input_never_raises() -> None:
    for detect in (
        detect_console_errors,
        detect_uncaught_exceptions,
        detect_network_errors,
        detect_network_failures,
        detect_slow_requests,
        detect_slow_pages,
    ):
        assert detect("x", [], Tape(), DEFAULT_SIGNAL_CONFIG) == []


# --- the recorded corpus -------------------------------------------------------------------

_KINDS = (
    ("console_error", "console_errors", detect_console_errors),
    ("uncaught_exception", "uncaught_exceptions", detect_uncaught_exceptions),
    ("network_error", "network_errors", detect_network_errors),
)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_corpus_error_signals_match_truth(corpus_dir: Path, scenario: str) -> None:
    actions, tape, truth = corpus_replay(corpus_dir / "recorded" / f"{scenario}.json")
    for kind, count_key, detect in _KINDS:
        found = detect(scenario, actions, tape, DEFAULT_SIGNAL_CONFIG)
        assert len(found) == truth["expected"][count_key], (scenario, kind, found)
        assert times_match([s.timestamp for s in found], truth_times(truth, kind)), (scenario, kind)
    for detect in (detect_network_failures, detect_slow_requests, detect_slow_pages):
        assert detect(scenario, actions, tape, DEFAULT_SIGNAL_CONFIG) == []


def test_corpus_network_errors_carry_method_path_status(corpus_dir: Path) -> None:
    actions, tape, truth = corpus_replay(corpus_dir / "recorded" / "shop_frustrated.json")
    found = detect_network_errors("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    expected = [
        (s["method"], s["url"], s["status"])
        for s in truth["signals"]
        if s["kind"] == "network_error"
    ]
    assert [(s.details["method"], s.details["url"], s.details["status"]) for s in found] == expected
    messages = {s["kind"]: s["message"] for s in truth["signals"] if "message" in s}
    (logged,) = detect_console_errors("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert logged.details["message"] == messages["console_error"]
    (uncaught,) = detect_uncaught_exceptions("s", actions, tape, DEFAULT_SIGNAL_CONFIG)
    assert messages["uncaught_exception"] in uncaught.details["message"]
