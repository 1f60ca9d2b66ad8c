"""Analyzed actions against what the recording script really did (recorded corpus truth)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaykit import analyze_events, iter_event_chunks
from replaykit.testing import load_truth, score

SCENARIOS = [
    "article_reader",
    "dashboard_heavy",
    "masked_inputs",
    "shop_frustrated",
    "shop_happy_path",
]
KINDS = ["click", "input", "select", "scroll", "navigation", "selection"]


@pytest.fixture(scope="module")
def analyzed(corpus_dir: Path) -> dict[str, tuple[list, dict]]:  # type: ignore[type-arg]
    out = {}
    for name in SCENARIOS:
        path = corpus_dir / "recorded" / f"{name}.json"
        actions, _ = analyze_events(iter_event_chunks(path), name)
        out[name] = (actions, load_truth(path.with_suffix(".truth.json")))
    return out


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("kind", KINDS)
def test_counts_and_times_match_truth(analyzed, scenario: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    actions, truth = analyzed[scenario]
    result = score(actions, truth, tolerance_ms=300)[kind]
    assert result.found == result.truth, result
    assert result.matched == result.truth, result


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_targets_match_truth(analyzed, scenario: str) -> None:  # type: ignore[no-untyped-def]
    actions, truth = analyzed[scenario]
    for kind in ("click", "input", "select"):
        result = score(actions, truth, tolerance_ms=300)[kind]
        assert result.target_matched == result.matched, result


def test_expected_counts_agree_with_truth_file(analyzed) -> None:  # type: ignore[no-untyped-def]
    # The truth's own summary counts; page loads equal the Meta count.
    for name, (actions, truth) in analyzed.items():
        loads = [a for a in actions if a.kind == "page_load"]
        assert len(loads) == truth["expected"]["full_page_loads"], name
        toggles = [a for a in actions if a.kind == "toggle"]
        assert len(toggles) == truth["expected"]["toggle_clicks"], name


def test_labels_are_never_generic(analyzed) -> None:  # type: ignore[no-untyped-def]
    for name, (actions, _) in analyzed.items():
        for action in actions:
            if action.kind in ("click", "input", "select", "toggle"):
                assert action.label, (name, action)
                assert action.label.strip().lower() not in {"element", "div", "span"}, (
                    name,
                    action,
                )


def test_masked_values_stay_masked(analyzed) -> None:  # type: ignore[no-untyped-def]
    actions, truth = analyzed["masked_inputs"]
    typed_values = [a["value"] for a in truth["actions"] if a["kind"] == "input" and a.get("value")]
    text = repr(actions)
    for value in typed_values:
        assert value not in text
