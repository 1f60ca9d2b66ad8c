"""Junk lines a new user met in timelines of pages replaykit had never seen, one test each.

Zero-distance scrolls, a gesture that turns back, a scroll container named by its
children's glued text, a <label> click printed as several lines, a select's choice before
its click, one SPA navigation printed twice, a header counting hidden page loads, idle and
long pause for one gap, rage counts that disagree, a recording with no full snapshot, and
an input correction folded into one action.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from _builders import T0, analyze_dicts, custom, document, el, inc, meta, page, snapshot, text
from _signal_builders import click, run

import replaykit.sync as rsync
from replaykit._api import AnalyzedReplay
from replaykit.analysis._actions import Action, Coverage, InputDetails, ScrollDetails
from replaykit.analysis._signal_config import DEFAULT_SIGNAL_CONFIG
from replaykit.analysis._signals import detect_signals
from replaykit.analysis._timeline import markdown_timeline
from replaykit.cli._output import write_json, write_markdown, write_ndjson, write_table

URL = "https://app.example/regions"


def _lines(actions: list[Action]) -> list[str]:
    return [line for line in markdown_timeline(actions).splitlines() if line.startswith("- ")]


def _scroll(t: int, node_id: int, y: float) -> dict[str, Any]:
    return inc(t, 3, id=node_id, x=0, y=y)


def _regions_page() -> dict[str, Any]:
    spans = [
        el(20 + 2 * i, "span", {}, text(21 + 2 * i, name))
        for i, name in enumerate(
            ["All regions", "EU-West · Orders", "EU-West · Payments", "US-East · Orders"]
        )
    ]
    return document(
        el(10, "div", {"class": "css-1x9f2a", "style": "overflow:auto"}, *spans),
        el(11, "section", {}, el(12, "h2", {}, text(13, "Live incidents")), el(14, "ul", {})),
        el(15, "label", {"for": "ok"}, text(16, "Remember me")),
        el(17, "input", {"type": "checkbox", "id": "ok"}),
        el(18, "label", {"for": "country"}, text(19, "Country")),
        el(
            30,
            "select",
            {"id": "country"},
            el(31, "option", {"value": "us"}, text(32, "United States")),
        ),
        el(40, "input", {"type": "email", "id": "email"}),
    )


def _analyze(events: list[dict[str, Any]]) -> list[Action]:
    actions, _ = analyze_dicts(events)
    return actions


# --- scrolls -------------------------------------------------------------------------------


def test_no_zero_distance_scroll_line() -> None:
    # The page restores y=4006, where the snapshot already was: nothing moved.
    events = [meta(0, URL), snapshot(10, _regions_page(), top=4006), _scroll(60, 1, 4006)]
    events.append(_scroll(5000, 1, 4006))  # a later no-op (jitter) is not a line either
    actions = _analyze(events)
    assert [a for a in actions if a.kind == "scroll"] == []
    assert not any("0px" in line for line in _lines(actions))


def test_a_gesture_that_turns_back_is_two_scrolls() -> None:
    ys = [100, 200, 300, 400, 330, 250, 150]
    events = [*page(0, URL, _regions_page())]
    events += [_scroll(1000 + 100 * i, 1, y) for i, y in enumerate(ys)]
    scrolls = [a for a in _analyze(events) if a.kind == "scroll"]
    assert len(scrolls) == 2
    down, up = (s.details for s in scrolls)
    assert isinstance(down, ScrollDetails) and isinstance(up, ScrollDetails)
    assert down.dy == 400 and down.y == 400
    assert up.dy == -250 and up.y == 150
    assert scrolls[1].timestamp == T0 + 1400  # the leg starts where it turned


def test_a_bounce_at_the_end_of_a_leg_is_not_a_second_scroll() -> None:
    ys = [100, 200, 300, 292]
    events = [*page(0, URL, _regions_page())]
    events += [_scroll(1000 + 100 * i, 1, y) for i, y in enumerate(ys)]
    assert len([a for a in _analyze(events) if a.kind == "scroll"]) == 1


def test_a_scroll_container_is_named_by_its_heading_or_landmark_never_glued_text() -> None:
    events = [*page(0, URL, _regions_page()), _scroll(1000, 10, 300), _scroll(3000, 11, 200)]
    scrolls = [a for a in _analyze(events) if a.kind == "scroll"]
    assert len(scrolls) == 2
    assert "regionsEU" not in (scrolls[0].label or "")
    assert scrolls[1].label == "Live incidents"


# --- clicks and choices ----------------------------------------------------------------------


def test_one_click_on_a_label_is_one_line() -> None:
    events = [
        *page(0, URL, _regions_page()),
        click(1000, 16),  # the label's text
        click(1000, 17),  # the click the browser sends to its checkbox
        inc(1001, 5, id=17, text="on", isChecked=True, userTriggered=True),
    ]
    actions = _analyze(events)
    assert [a.kind for a in actions if a.kind in ("click", "toggle")] == ["click", "toggle"]
    assert len([line for line in _lines(actions) if "clicked" in line]) == 1


def test_the_click_closing_a_select_does_not_follow_the_choice() -> None:
    events = [
        *page(0, URL, _regions_page()),
        inc(2000, 5, id=30, text="us", userTriggered=True),
        click(2010, 30),
    ]
    lines = _lines(_analyze(events))
    assert any('chose "United States"' in line for line in lines)
    assert not any("clicked" in line for line in lines)


def test_one_spa_navigation_is_one_line() -> None:
    events = [
        *page(0, URL, _regions_page()),
        custom(1000, "$pageview", {"href": "https://app.example/orders/", "how": "pushState"}),
        custom(1005, "$url_changed", {"href": "/orders"}),
    ]
    navs = [a for a in _analyze(events) if a.kind == "navigation"]
    assert [a.url for a in navs] == [URL, "https://app.example/orders/"]


# --- the header, gaps and rage -------------------------------------------------------------


def _replay(actions: list[Action], coverage: Coverage, signals: bool = False) -> AnalyzedReplay:
    first = min((a.timestamp for a in actions), default=T0)
    last = max((a.timestamp for a in actions), default=T0)
    return AnalyzedReplay(
        replay_id="r1",
        source="test",
        actions=actions,
        coverage=coverage,
        start_timestamp=first,
        end_timestamp=last,
    )


def test_the_header_counts_the_lines_it_lists() -> None:
    events = [
        *page(0, URL, _regions_page()),
        click(1000, 13),
        *page(5000, URL + "/2", _regions_page()),
    ]
    actions, coverage = analyze_dicts(events)
    assert any(a.kind == "page_load" for a in actions)
    text_out = _replay(actions, coverage).markdown()
    listed = [line for line in text_out.splitlines() if line.startswith("- ")]
    assert f"{len(listed)} actions over" in text_out


def test_idle_and_long_pause_are_one_line_after_the_action_they_follow() -> None:
    events = [
        *page(0, URL, _regions_page()),
        click(1000, 13),
        click(40_000, 13),
        inc(41_000, 1, positions=[{"x": 1, "y": 1, "id": 3, "timeOffset": 0}]),
    ]
    actions, tape = run(events)
    signals = detect_signals("r1", actions, tape, DEFAULT_SIGNAL_CONFIG)
    gaps = [s for s in signals if s.kind in ("idle", "long_pause")]
    assert [s.kind for s in gaps] == ["idle"]
    lines = _lines_with(actions, signals)
    first_click = next(i for i, line in enumerate(lines) if "clicked" in line)
    idle = next(i for i, line in enumerate(lines) if "idle" in line)
    assert idle == first_click + 1


def _lines_with(actions: list[Action], signals: list[Any]) -> list[str]:
    out = markdown_timeline(actions, signals=signals)
    return [line for line in out.splitlines() if line.startswith("- ")]


def test_rage_counts_agree_in_the_timeline_signals_and_query(corpus_dir: Path) -> None:
    from replaykit.bundle import ReplayBundle

    path = corpus_dir / "recorded" / "shop_frustrated.json"
    (replay,) = rsync.analyze(path, signals=True)
    (rage,) = [s for s in replay.signals if s.kind == "rage_click"]
    assert len(rage.evidence) == rage.details["clicks"] == 5
    assert "rage click: 5 clicks" in replay.markdown()
    bursts = ReplayBundle.from_replays([replay]).rage_bursts().collect()
    assert bursts["clicks"].to_list() == [5]


# --- no full snapshot ----------------------------------------------------------------------


def test_a_recording_without_a_full_snapshot_says_where_and_why(tmp_path: Path) -> None:
    events = [
        meta(0, URL),
        click(100, 5),
        inc(300, 1, positions=[{"x": 1, "y": 1, "id": 3, "timeOffset": 0}]),
    ]
    path = tmp_path / "no-snapshot.json"
    path.write_text(json.dumps(events))
    (replay,) = rsync.analyze(path)
    assert replay.actions[0].kind == "navigation" and replay.actions[0].url == URL
    assert replay.coverage.note and "no full snapshot" in replay.coverage.note
    outputs = {}
    for name, writer in (
        ("markdown", write_markdown),
        ("ndjson", write_ndjson),
        ("json", write_json),
        ("table", write_table),
    ):
        import io

        buf = io.StringIO()
        writer([replay], buf)
        outputs[name] = buf.getvalue()
        assert "no full snapshot" in outputs[name], name
    assert f"opened {URL}" in outputs["markdown"] or "opened" in outputs["markdown"]
    notes = [json.loads(x) for x in outputs["ndjson"].splitlines() if '"note"' in x]
    assert notes and notes[0]["record"] == "note"


# --- corrections ---------------------------------------------------------------------------


def _typing(start: int, node_id: int, values: list[str], step: int = 120) -> list[dict[str, Any]]:
    return [
        inc(start + i * step, 5, id=node_id, text=v, userTriggered=True)
        for i, v in enumerate(values)
    ]


def test_deleting_after_a_pause_and_retyping_are_their_own_input_actions() -> None:
    typed = "ann@exmaple.com"
    first = [typed[: i + 1] for i in range(len(typed))]
    deleting = [typed[:-k] for k in range(1, 12)]  # back to "ann@"
    retype = ["ann@" + "example.com"[: i + 1] for i in range(len("example.com"))]
    events = [*page(0, URL, _regions_page())]
    events += _typing(1000, 40, first)  # ends at 1000 + 14 * 120 = 2680
    events += _typing(3100, 40, deleting, step=80)  # 420 ms pause, then 11 backspaces
    events += _typing(4400, 40, retype)  # ~500 ms pause, then retyped
    inputs = [a for a in _analyze(events) if a.kind == "input"]
    assert len(inputs) == 3
    details = [a.details for a in inputs]
    assert all(isinstance(d, InputDetails) for d in details)
    d0, d1, d2 = details  # type: ignore[misc]
    assert not d0.correction and d0.chars_added == 15
    assert d1.correction and d1.chars_removed == 11 and d1.chars_added == 0
    assert not d2.correction and d2.value == "ann@example.com" and d2.chars_added == 11
    assert "corrected" in markdown_timeline(inputs)


def test_a_short_fix_without_a_pause_stays_in_its_burst() -> None:
    values = ["a", "ab", "abx", "ab", "abc"]
    inputs = [
        a
        for a in _analyze([*page(0, URL, _regions_page()), *_typing(1000, 40, values)])
        if a.kind == "input"
    ]
    assert len(inputs) == 1


@pytest.mark.parametrize("chunk", [0, 3])
def test_corrections_do_not_depend_on_chunking(chunk: int) -> None:
    typed = "hello world"
    events = [*page(0, URL, _regions_page())]
    events += _typing(1000, 40, [typed[: i + 1] for i in range(len(typed))])
    events += _typing(2800, 40, [typed[:-k] for k in range(1, 6)], step=60)
    actions, _ = run(events, chunk_size=chunk)
    inputs = [a for a in actions if a.kind == "input"]
    assert [getattr(a.details, "correction", None) for a in inputs] == [False, True]
    _ = msgspec  # the module is used by the builders


def test_clicks_carry_the_elements_data_attributes() -> None:
    attrs = {"data-testid": "buy", "data-sku": "K-1", "data-rr-is-password": "x"}
    attrs |= {f"data-extra-{i}": str(i) for i in range(20)}
    root = document(el(10, "button", attrs, text(11, "Buy")))
    (found,) = [a for a in _analyze([*page(0, URL, root), click(1000, 11)]) if a.kind == "click"]
    data = found.details.data  # type: ignore[union-attr]
    assert data["data-testid"] == "buy" and data["data-sku"] == "K-1"
    assert "data-rr-is-password" not in data
    assert len(data) <= 1 + 8  # the test hook plus at most 8 more
