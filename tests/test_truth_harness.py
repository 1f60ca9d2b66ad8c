"""replaykit's own ground-truth corpus (benchmarks/truth): the committed recordings and
truth files, one journey recorded live when Chromium and the harness' node_modules are
there, and the scorer's click-effect columns on a hand-built truth."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from replaykit import analyze_events, iter_event_chunks
from replaykit.analysis._actions import Action, ClickDetails, ClickEffect, EffectError
from replaykit.analysis._signal import Signal
from replaykit.testing._truth import (
    EFFECT_CLASSES,
    found_effect_class,
    score_click_effects,
    score_dead_interactive,
    sum_click_effects,
    truth_effect_class,
    truth_items,
)

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "benchmarks" / "truth"
CORPUS = HARNESS / "corpus"
SHARED_KEYS = {
    "schema",
    "scenario",
    "description",
    "recording_file",
    "recorder",
    "base_url",
    "t_start",
    "t_end",
    "clock",
    "page_loads",
    "navigations",
    "actions",
    "signals",
    "observed",
    "expected",
    "input_gaps_over_5s",
}
SIGNAL_KINDS = {
    "rage_click",
    "dead_click",
    "slow_click",
    "error_click",
    "console_error",
    "uncaught_exception",
    "network_error",
    "idle",
    "quick_back",
    "form_abandon",
}


def _truths() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(CORPUS.glob("*.truth.json")):
        out[path.name.removesuffix(".truth.json")] = json.loads(path.read_text("utf-8"))
    return out


# --- (a) the committed corpus ------------------------------------------------------------


def test_corpus_size_and_variety() -> None:
    truths = _truths()
    assert len(truths) >= 12, sorted(truths)
    clicks = sum(
        1
        for t in truths.values()
        for a in t["actions"]
        if a["kind"] == "click" and a.get("click_event")
    )
    assert clicks >= 150
    page_types = {pt for t in truths.values() for pt in [t["page_type"], *t.get("page_types", [])]}
    assert len(page_types) >= 6, page_types


@pytest.mark.parametrize("name", sorted(_truths()) or ["<none>"])
def test_truth_file_is_valid(name: str) -> None:
    truths = _truths()
    if name not in truths:
        pytest.fail("no committed truth files in benchmarks/truth/corpus")
    truth = truths[name]
    assert truth["schema"] == "rrweb-harness-truth/1"
    assert set(truth) >= SHARED_KEYS, SHARED_KEYS - set(truth)
    assert truth["scenario"] == name
    assert truth["recording_file"] == f"{name}.json"
    assert isinstance(truth["page_type"], str) and truth["page_type"]
    assert truth["recorder"]["versions"]["rrweb"]
    ids = [a["id"] for a in truth["actions"]]
    assert ids == list(range(1, len(ids) + 1))
    for a in truth["actions"]:
        assert isinstance(a["t"], int), a
        if a["kind"] == "click" and a.get("click_event"):
            assert a["effect_class"] in EFFECT_CLASSES, a
            assert truth_effect_class(a) == a["effect_class"]
            assert isinstance(a["target"], dict) and a["target"].get("tag"), a
            if a["effect_class"] != "none":
                assert isinstance(a["effect_ms"], int), a
        if a["kind"] == "navigate":
            assert a["how"] in {"goto", "back", "forward", "enter"}, a
        if a["kind"] == "input":
            assert a["chars"] == len(a["value"]), a
            assert a["corrections"] >= 0
    for s in truth["signals"]:
        assert s["kind"] in SIGNAL_KINDS, s
        if s["kind"] == "dead_click":
            assert isinstance(s["interactive"], bool), s
    assert truth["expected"]["click_events"] == sum(
        1 + len(a.get("extra_click_events", []))
        for a in truth["actions"]
        if a["kind"] == "click" and a.get("click_event")
    )


@pytest.mark.parametrize("name", sorted(_truths()) or ["<none>"])
def test_recording_decodes(name: str) -> None:
    path = CORPUS / f"{name}.json"
    if not path.is_file():
        pytest.fail(f"{path} missing")
    chunks = list(iter_event_chunks(path))
    events = sum(len(chunk.events) for chunk in chunks)
    raw = json.loads(path.read_text("utf-8"))
    assert events == len(raw) > 0
    assert not any(chunk.malformed or chunk.unknown or chunk.truncated for chunk in chunks)
    truth = _truths()[name]
    assert truth["expected"]["full_page_loads"] == sum(1 for e in raw if e["type"] == 4)
    assert (CORPUS / f"{name}.raw.json").is_file()


def test_journeys_cover_the_brief() -> None:
    truths = _truths()
    actions = [a for t in truths.values() for a in t["actions"]]
    signals = [s for t in truths.values() for s in t["signals"]]
    hows = {a.get("how") for a in actions if a["kind"] == "navigate"}
    assert {"back", "forward", "goto", "enter"} <= hows
    classes = {a.get("effect_class") for a in actions if a["kind"] == "click"}
    assert set(EFFECT_CLASSES) <= classes
    kinds = {s["kind"] for s in signals}
    assert {"rage_click", "dead_click", "error_click", "slow_click", "quick_back"} <= kinds
    assert any(a.get("corrections") for a in actions if a["kind"] == "input")
    assert any(a.get("reverses") for a in actions if a["kind"] == "scroll")
    assert any(not s["interactive"] for s in signals if s["kind"] == "dead_click")
    assert any(s["interactive"] for s in signals if s["kind"] == "dead_click")


# --- (b) one journey recorded live ----------------------------------------------------------


def _chromium() -> str | None:
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def test_record_one_journey(tmp_path: Path) -> None:
    chromium = _chromium()
    node = shutil.which("node")
    if chromium is None:
        pytest.skip("chromium not installed")
    if node is None:
        pytest.skip("node not installed")
    if not (HARNESS / "node_modules" / "rrweb").is_dir():
        pytest.skip("harness node_modules missing (npm ci --prefix benchmarks/truth)")
    script = str(HARNESS / "record.mjs")
    run = subprocess.run(
        [node, script, "--out", str(tmp_path), "--journey", "ci_smoke", "--chromium", chromium],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    recording = tmp_path / "ci_smoke.json"
    truth = json.loads((tmp_path / "ci_smoke.truth.json").read_text("utf-8"))
    actions, _ = analyze_events(iter_event_chunks(recording), "ci_smoke")
    clicks = [a for a in truth["actions"] if a["kind"] == "click"]
    assert len(clicks) == 5
    expected = ["reaction", "none", "error", "navigation", "reaction"]
    assert [c["effect_class"] for c in clicks] == expected
    assert clicks[-1]["effect"] == "toggle"
    found = [a for a in actions if a.kind == "click"]
    # One press, one click: the browser's second Click for a <label> is folded into it.
    assert len(found) == len(clicks)
    assert truth["expected"]["click_events"] >= len(clicks)
    assert len([i for i in truth_items(truth) if i.kind == "click"]) == 5
    # The truth rebuilt from the raw file is the same truth.
    rebuild = [node, script, "--out", str(tmp_path), "--journey", "ci_smoke", "--rebuild"]
    assert subprocess.run(rebuild, capture_output=True, timeout=30, check=False).returncode == 0
    assert json.loads((tmp_path / "ci_smoke.truth.json").read_text("utf-8")) == truth


# --- (c) the scorer's click-effect columns ---------------------------------------------------


def _click(t: int, label: str, effect: ClickEffect | None) -> Action:
    return Action(
        replay_id="r",
        seq=0,
        kind="click",
        t_ms=0,
        timestamp=t,
        label=label,
        target="button",
        details=ClickDetails(effect=effect),
    )


def test_found_effect_class_is_the_outcome() -> None:
    assert found_effect_class(_click(0, "x", None)) is None
    for outcome in ("navigation", "error", "reaction", "none"):
        effect = ClickEffect(outcome=outcome)  # type: ignore[arg-type]
        assert found_effect_class(_click(0, "x", effect)) == outcome
    assert found_effect_class(_click(0, "x", ClickEffect(truncated=True))) is None


def test_truth_effect_class_maps_the_shared_effects() -> None:
    assert truth_effect_class({"effect_class": "none", "effect": "focus"}) == "none"
    for effect, cls in [
        ("navigation", "navigation"),
        ("error", "error"),
        ("none", "none"),
        ("dom_change", "reaction"),
        ("delayed_dom_change", "reaction"),
        ("toggle", "reaction"),
        ("focus", "none"),
    ]:
        assert truth_effect_class({"effect": effect}) == cls


def test_click_effect_scores_on_a_hand_built_truth() -> None:
    truth = {
        "actions": [
            {"kind": "click", "t": 1000, "effect_class": "navigation", "target": {"text": "Go"}},
            {"kind": "click", "t": 3000, "effect_class": "reaction", "target": {"text": "Sort"}},
            {
                "kind": "click",
                "t": 5000,
                "effect_class": "none",
                "target": {"aria_label": "Export CSV"},
            },
            {"kind": "click", "t": 7000, "effect_class": "error", "target": {"text": "Save"}},
            {"kind": "click", "t": 9000, "effect": "focus", "target": {"label": "Email"}},
            {"kind": "click", "t": 11000, "effect_class": "none", "target": {"text": "Title"}},
            {"kind": "click", "t": 13000, "click_event": False, "effect_class": "none"},
        ]
    }
    found = [
        _click(1100, "Go", ClickEffect(navigation="load", outcome="navigation")),  # agrees
        _click(3050, "Sort", ClickEffect(navigation="spa", outcome="navigation")),
        _click(
            5000, "Export CSV", ClickEffect(errors=(EffectError(message="x"),), outcome="error")
        ),
        _click(7000, "Save…", ClickEffect(errors=(EffectError(message="y"),), outcome="error")),
        _click(9010, "Email", ClickEffect(outcome="reaction")),  # focus click: none vs reaction
        _click(11000, "Other", ClickEffect(truncated=True)),  # undetermined, wrong label
        _click(20000, "Stray", ClickEffect(outcome="none")),  # unmatched
    ]
    s = score_click_effects(found, truth)
    assert (s.truth, s.found, s.matched) == (6, 7, 6)
    assert s.undetermined == 1
    assert s.classified == 5
    assert s.class_agree == 2  # Go, Save
    assert s.class_accuracy == pytest.approx(2 / 5)
    assert (s.misattributed, s.misattributed_navigation, s.misattributed_error) == (2, 1, 1)
    assert s.label_agree == 5  # "Save…" is a truncation of Save; "Other" is not Title
    assert s.label_agreement == pytest.approx(5 / 6)
    assert (s.focus_clicks, s.focus_agree) == (1, 0)
    # The focus click (truth "focus" = none) was found as a reaction.
    assert s.confusion == {
        "navigation": {"navigation": 1},
        "reaction": {"navigation": 1},
        "none": {"error": 1, "reaction": 1, "undetermined": 1},
        "error": {"error": 1},
    }
    assert len(s.mismatches) == 4
    total = sum_click_effects([s, s])
    assert (total.matched, total.class_agree, total.misattributed) == (12, 4, 4)
    assert total.confusion["reaction"] == {"navigation": 2}


def test_dead_clicks_on_interactive_targets_only() -> None:
    truth = {
        "signals": [
            {"kind": "dead_click", "t": 1000, "target": {"tag": "button", "id": "a"}},
            {"kind": "dead_click", "t": 2000, "interactive": True, "target": {"id": "b"}},
            {"kind": "dead_click", "t": 3000, "interactive": False, "target": {"id": "c"}},
        ]
    }

    def dead(t: int, target: str, **details: Any) -> Signal:
        return Signal(
            replay_id="r", kind="dead_click", timestamp=t, t_ms=0, target=target, details=details
        )

    found = [dead(1000, "button#a"), dead(2100, "div#b"), dead(3000, "h2#c", interactive=False)]
    s = score_dead_interactive(found, truth)
    assert (s.truth, s.found, s.matched) == (2, 2, 2)


def test_icon_only_signal_targets_match_by_aria_label_or_test_id() -> None:
    from replaykit.testing import score_signals

    def slow(t: int, target: str, label: str) -> Signal:
        return Signal(
            replay_id="r",
            kind="slow_click",
            timestamp=t,
            end_timestamp=t + 1400,
            t_ms=0,
            target=target,
            label=label,
        )

    truth = {
        "signals": [
            {
                "kind": "slow_click",
                "t_click": 1000,
                "t_effect": 2400,
                "target": {"tag": "button", "aria_label": "Copy API key", "class": "css-c0py11"},
            }
        ]
    }
    ok = [slow(1000, "form#profile > div.row > button.icon-btn", "Copy API key")]
    assert score_signals(ok, truth, kinds=["slow_click"])["slow_click"].matched == 1
    wrong_tag = [slow(1000, "div.icon", "Copy API key")]
    assert score_signals(wrong_tag, truth, kinds=["slow_click"])["slow_click"].matched == 0
    truth["signals"][0]["target"] = {"tag": "button", "testid": "refresh"}
    by_testid = [slow(1000, '[data-testid="refresh"]', "Refresh services")]
    assert score_signals(by_testid, truth, kinds=["slow_click"])["slow_click"].matched == 1
