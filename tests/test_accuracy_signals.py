"""Actions and signals against the recorded corpus' truth, with the scorer and pipeline
of ``benchmarks/accuracy.py`` (frustration-signals.md §1 matching rule)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from replaykit.analysis._signal import Signal
from replaykit.testing._truth import ACCURACY_KINDS, KindScore, score_signals

_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "accuracy.py"
KINDS = [kind for kind, _ in ACCURACY_KINDS]


def _accuracy_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replaykit_accuracy_benchmark", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluated(corpus_dir: Path) -> tuple[dict[str, KindScore], dict[str, Any]]:
    module = _accuracy_module()
    totals, per_file = module.evaluate([corpus_dir / "recorded"])
    assert per_file, "no recordings with truth found"
    return totals, per_file


@pytest.mark.parametrize("kind", KINDS)
def test_precision_and_recall_per_kind(
    evaluated: tuple[dict[str, KindScore], dict[str, Any]], kind: str
) -> None:
    totals, per_file = evaluated
    score = totals[kind]
    if not score.truth and not score.found:
        pytest.skip(f"no {kind} in truth or found")
    misses = {
        Path(name).stem: (s.truth, s.found, s.matched)
        for name, scores in per_file.items()
        if (s := scores[kind]).matched != s.truth or s.matched != s.found
    }
    assert score.precision >= 0.95, (score, misses)
    assert score.recall >= 0.95, (score, misses)


def test_script_prints_the_macro_line_last(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _accuracy_module()
    assert module.main([str(corpus_dir / "recorded")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("macro precision ")
    assert " recall " in lines[-1]
    assert module.main(["--json", str(corpus_dir / "recorded")]) == 0


# --- the signal scorer itself ----------------------------------------------------------


def _signal(kind: str, t: int, **fields: Any) -> Signal:
    return Signal(replay_id="r", kind=kind, timestamp=t, t_ms=0, **fields)  # type: ignore[arg-type]


def _one(kind: str, truth_signal: dict[str, Any], found: list[Signal]) -> KindScore:
    truth = {"signals": [{"kind": kind, **truth_signal}]}
    return score_signals(found, truth, kinds=[kind])[kind]


def test_signal_targets_match_by_id_else_tag_and_text() -> None:
    by_id = {"t": 1000, "target": {"tag": "button", "id": "apply", "text": "Apply"}}
    assert _one("dead_click", by_id, [_signal("dead_click", 1100, target="button#apply")]).matched
    wrong = [_signal("dead_click", 1000, target="button#other", label="Other")]
    assert _one("dead_click", by_id, wrong).matched == 0
    by_text = {"t": 1000, "target": {"tag": "button", "text": "Apply coupon"}}
    ok = [_signal("dead_click", 1000, target="div.coupon > button.btn", label="Apply coupon")]
    assert _one("dead_click", by_text, ok).matched == 1
    tag_differs = [_signal("dead_click", 1000, target="a.btn", label="Apply coupon")]
    assert _one("dead_click", by_text, tag_differs).matched == 0
    late = [_signal("dead_click", 1251, target="button#apply")]
    assert _one("dead_click", by_id, late).matched == 0


def test_idle_is_matched_within_a_second_at_both_ends() -> None:
    truth = {"t_start": 10_000, "t_end": 45_000}
    assert _one("idle", truth, [_signal("idle", 10_900, end_timestamp=44_100)]).matched == 1
    assert _one("idle", truth, [_signal("idle", 11_100, end_timestamp=45_000)]).matched == 0
    assert _one("idle", truth, [_signal("idle", 10_000, end_timestamp=46_200)]).matched == 0
    open_ended = _signal("idle", 10_000, end_timestamp=45_000, details={"open_ended": True})
    assert _one("idle", truth, [open_ended]).found == 0


def test_quick_back_dated_by_forward_and_back() -> None:
    truth = {"t_forward": 5000, "t_back": 5800}
    assert _one("quick_back", truth, [_signal("quick_back", 5000, end_timestamp=5810)]).matched
    assert not _one("quick_back", truth, [_signal("quick_back", 5000, end_timestamp=7000)]).matched


def test_network_errors_agree_on_the_request() -> None:
    truth = {"t": 3000, "method": "GET", "url": "/api/reviews/44", "status": 404}
    details = {"method": "GET", "url": "/api/reviews/44", "status": 404}
    assert _one("network_error", truth, [_signal("network_error", 3010, details=details)]).matched
    other = {**details, "status": 500}
    assert not _one("network_error", truth, [_signal("network_error", 3010, details=other)]).matched
