"""Actions and signals against the recorded corpus' truth, with the scorer and pipeline
of ``benchmarks/accuracy.py`` (frustration-signals.md §1 matching rule)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from replaykit.testing._truth import ACCURACY_KINDS, KindScore

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
