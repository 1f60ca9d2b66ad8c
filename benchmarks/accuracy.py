"""Accuracy against ground truth: actions, signals and click effects, per corpus.

Each directory argument is one corpus; a table is printed per corpus. For every ``X.json``
in a directory that has an ``X.truth.json`` beside it
(schema ``rrweb-harness-truth/1``), the recording is analyzed the way
``replaykit.analyze_events(iter_event_chunks(X), X.stem)`` does it (the same analyzer fed
the same chunks, kept so its tape can be read), its signals are detected with the default
``replaykit`` definitions, and both are scored with ``replaykit.testing``'s scorer
(``frustration-signals.md`` §1: ±250 ms, ±1000 ms for idle; signal targets by id or tag +
text).

Printed per kind (click, input, select, scroll, navigation, rage, dead, slow, error click,
console error, uncaught exception, network error, idle ≥ 30 s, quick back, form abandon):
truth count, found count, matched count, precision, recall; the last line is
``macro precision P recall R`` over the kinds present in truth or found. Before it, per
corpus: dead clicks on interactive targets only; the **click-effect class accuracy** of
matched clicks (replaykit's ``navigation``/``error``/``reaction``/``none`` against the
truth's ``effect_class``, or the class derived from the shared truth's ``effect``) with a
truth-by-found confusion table; the **misattribution count** (matched clicks replaykit
credits with a navigation or error the truth does not give that click); **label
agreement** (the found label names the truth target). ``--mismatches`` lists the
disagreeing clicks. ``--json`` prints one JSON object instead. Always exits 0 (no
recordings: a note and zero kinds).

    python benchmarks/accuracy.py ../shared/corpus/recorded benchmarks/truth/corpus
    python benchmarks/accuracy.py --json DIR [DIR ...]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run from a checkout without installing

from replaykit import iter_event_chunks  # noqa: E402
from replaykit._gc import gc_paused  # noqa: E402
from replaykit.analysis._actions import Action  # noqa: E402
from replaykit.analysis._analyzer import ReplayAnalyzer  # noqa: E402
from replaykit.analysis._signal import Signal  # noqa: E402
from replaykit.analysis._signal_config import SignalConfig, signal_config  # noqa: E402
from replaykit.analysis._tape import Tape  # noqa: E402
from replaykit.testing._truth import (  # noqa: E402
    ACCURACY_KINDS,
    EFFECT_CLASSES,
    ClickEffectScore,
    KindScore,
    load_truth,
    macro,
    score_click_effects,
    score_dead_interactive,
    score_replay,
    sum_click_effects,
    sum_scores,
)

Detect = Callable[[str, Sequence[Action], Tape, SignalConfig], list[Signal]]
_DETECTOR_MODULES = ("_signals_page", "_signals_click", "_signals_errors")


def signal_runner() -> Callable[[str, Sequence[Action], Tape, SignalConfig], list[Signal]]:
    """The library's ``detect_signals`` runner, else every ``detect_*`` the detector modules
    that exist export, run in turn (for checkouts where the runner is not there yet)."""
    try:
        from replaykit.analysis._signals import detect_signals
    except ImportError:
        pass
    else:
        return detect_signals
    found: list[Detect] = []
    for name in _DETECTOR_MODULES:
        try:
            module = importlib.import_module(f"replaykit.analysis.{name}")
        except ImportError:
            continue
        names = getattr(module, "__all__", dir(module))
        found.extend(getattr(module, n) for n in names if n.startswith("detect_"))

    def run(
        replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
    ) -> list[Signal]:
        out: list[Signal] = []
        for detect in found:
            out.extend(detect(replay_id, actions, tape, config))
        return sorted(out, key=lambda s: s.timestamp)

    return run


def analyze(path: Path) -> tuple[list[Action], Tape]:
    """``analyze_events(iter_event_chunks(path), path.stem)``, keeping the analyzer's tape."""
    with gc_paused():
        analyzer = ReplayAnalyzer(path.stem)
        actions: list[Action] = []
        for chunk in iter_event_chunks(path):
            actions.extend(analyzer.feed(chunk))
        actions.extend(analyzer.finish())
        return actions, analyzer.tape


def recordings(dirs: Sequence[str | Path]) -> list[tuple[Path, Path]]:
    """(recording, truth) pairs: every ``X.json`` with an ``X.truth.json`` beside it."""
    pairs: list[tuple[Path, Path]] = []
    for d in dirs:
        for path in sorted(Path(d).glob("*.json")):
            if path.name.endswith(".truth.json"):
                continue
            truth = path.with_name(f"{path.stem}.truth.json")
            if truth.is_file():
                pairs.append((path, truth))
    return pairs


class CorpusResult:
    """One corpus: per-kind totals, per-file scores, click effects, interactive dead clicks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.totals: dict[str, KindScore] = {}
        self.per_file: dict[str, dict[str, KindScore]] = {}
        self.effects: dict[str, ClickEffectScore] = {}
        self.dead_interactive: dict[str, KindScore] = {}

    @property
    def effect_totals(self) -> ClickEffectScore:
        return sum_click_effects(self.effects.values())

    @property
    def dead_interactive_total(self) -> KindScore:
        total = sum_scores({"d": s} for s in self.dead_interactive.values()).get("d")
        return total or KindScore(
            kind="dead_click_interactive", truth=0, found=0, matched=0, target_matched=0
        )


def _totals(per_file: dict[str, dict[str, KindScore]]) -> dict[str, KindScore]:
    totals = sum_scores(per_file.values())
    for kind, _ in ACCURACY_KINDS:  # every kind gets a row, even with no recordings
        totals.setdefault(kind, KindScore(kind=kind, truth=0, found=0, matched=0, target_matched=0))
    return {kind: totals[kind] for kind, _ in ACCURACY_KINDS}


def evaluate_corpus(directory: str | Path, preset: str = "replaykit") -> CorpusResult:
    """Every recording of one corpus directory, scored."""
    config = signal_config(preset)
    detect = signal_runner()
    result = CorpusResult(str(directory))
    for path, truth_path in recordings([directory]):
        actions, tape = analyze(path)
        signals = detect(path.stem, actions, tape, config)
        truth = load_truth(truth_path)
        result.per_file[str(path)] = score_replay(actions, signals, truth)
        result.effects[str(path)] = score_click_effects(actions, truth, replay=path.stem)
        result.dead_interactive[str(path)] = score_dead_interactive(signals, truth)
    result.totals = _totals(result.per_file)
    return result


def evaluate(
    dirs: Sequence[str | Path], preset: str = "replaykit"
) -> tuple[dict[str, KindScore], dict[str, dict[str, KindScore]]]:
    """Per-kind totals over all recordings, and the scores of each recording."""
    per_file: dict[str, dict[str, KindScore]] = {}
    for d in dirs:
        per_file.update(evaluate_corpus(d, preset).per_file)
    return _totals(per_file), per_file


def _row(s: KindScore) -> dict[str, Any]:
    return {
        "truth": s.truth,
        "found": s.found,
        "matched": s.matched,
        "precision": round(s.precision, 4),
        "recall": round(s.recall, 4),
    }


def _effects_json(e: ClickEffectScore, mismatches: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "truth_clicks": e.truth,
        "found_clicks": e.found,
        "matched": e.matched,
        "classified": e.classified,
        "class_agree": e.class_agree,
        "class_accuracy": round(e.class_accuracy, 4),
        "undetermined": e.undetermined,
        "misattributed": e.misattributed,
        "misattributed_navigation": e.misattributed_navigation,
        "misattributed_error": e.misattributed_error,
        "label_agree": e.label_agree,
        "label_agreement": round(e.label_agreement, 4),
        "focus_clicks": e.focus_clicks,
        "focus_agree": e.focus_agree,
        "confusion": e.confusion,
    }
    if mismatches:
        out["mismatches"] = list(e.mismatches)
    return out


def _corpus_json(r: CorpusResult, preset: str, mismatches: bool) -> dict[str, Any]:
    precision, recall = macro(r.totals)
    return {
        "files": sorted(r.per_file),
        "preset": preset,
        "kinds": {kind: _row(s) for kind, s in r.totals.items()},
        "dead_click_interactive": _row(r.dead_interactive_total),
        "click_effects": _effects_json(r.effect_totals, mismatches),
        "per_file": {
            name: {k: _row(s) for k, s in scores.items() if s.truth or s.found}
            for name, scores in r.per_file.items()
        },
        "macro": {"precision": round(precision, 4), "recall": round(recall, 4)},
    }


def _short(effect: dict[str, Any] | None) -> str:
    if effect is None:
        return "no effect"
    return ", ".join(f"{k}={v}" for k, v in effect.items() if v not in (None, 0, False))


def _print_effects(e: ClickEffectScore, show_mismatches: bool) -> None:
    print(
        f"click effect class  matched {e.matched} of {e.truth} truth clicks; "
        f"agree {e.class_agree}/{e.classified} = {e.class_accuracy:.3f}; "
        f"undetermined {e.undetermined}"
    )
    cols = [*EFFECT_CLASSES, "undetermined"]
    print("  " + "truth / found".ljust(14) + "".join(f"{c:>13}" for c in cols))
    for t_cls in EFFECT_CLASSES:
        row = e.confusion.get(t_cls, {})
        print(f"  {t_cls:<14}" + "".join(f"{row.get(c, 0):>13}" for c in cols))
    print(
        f"misattributed       {e.misattributed} clicks credited with what the truth does not "
        f"give them (navigation {e.misattributed_navigation}, error {e.misattributed_error})"
    )
    print(f"label agreement     {e.label_agree}/{e.matched} = {e.label_agreement:.3f}")
    if e.focus_clicks:
        print(
            f"focus clicks        {e.focus_clicks} (truth effect 'focus' scored as none; "
            f"{e.focus_agree} agree)"
        )
    if show_mismatches:
        for m in e.mismatches:
            print(
                f"  - {m['replay']} t={m['t']} {m['intent']!r}: truth {m['truth_class']}"
                f" ({m['truth_effect']}), found {m['found_class']}"
                f"{' misattributed ' + '+'.join(m['misattributed']) if m['misattributed'] else ''}"
                f", label {m['found_label']!r}{'' if m['label_agrees'] else ' (disagrees)'}"
                f"; truth window {m['truth_window_ms']} ms to {m['truth_window_end']}"
                f"; found {_short(m['found_effect'])}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", help="corpus directories holding X.json + X.truth.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--preset", default="replaykit", help="signal definitions to use")
    parser.add_argument(
        "--mismatches", action="store_true", help="list clicks whose effect or label disagree"
    )
    args = parser.parse_args(argv)
    results = [evaluate_corpus(d, args.preset) for d in args.dirs]
    per_file: dict[str, dict[str, KindScore]] = {}
    for r in results:
        per_file.update(r.per_file)
    totals = _totals(per_file)
    if args.json:
        precision, recall = macro(totals)
        print(
            json.dumps(
                {
                    "files": sorted(per_file),
                    "preset": args.preset,
                    "kinds": {kind: _row(s) for kind, s in totals.items()},
                    "per_file": {
                        name: {k: _row(s) for k, s in scores.items() if s.truth or s.found}
                        for name, scores in per_file.items()
                    },
                    "macro": {"precision": round(precision, 4), "recall": round(recall, 4)},
                    "corpora": {
                        r.name: _corpus_json(r, args.preset, args.mismatches) for r in results
                    },
                },
                indent=2,
            )
        )
        return 0
    names = dict(ACCURACY_KINDS)
    for n, r in enumerate(results):
        if n:
            print()
        print(f"== corpus {r.name}")
        if not r.per_file:
            print(f"note: no X.json with X.truth.json beside it in {r.name}")
        else:
            print(f"{len(r.per_file)} recordings, preset {args.preset}")
        print(f"{'kind':<20}{'truth':>7}{'found':>7}{'matched':>9}{'precision':>11}{'recall':>8}")
        rows = list(r.totals.items())
        for kind, s in rows:
            print(
                f"{names[kind]:<20}{s.truth:>7}{s.found:>7}{s.matched:>9}"
                f"{s.precision:>11.3f}{s.recall:>8.3f}"
            )
        d = r.dead_interactive_total
        print(
            f"{'dead (interactive)':<20}{d.truth:>7}{d.found:>7}{d.matched:>9}"
            f"{d.precision:>11.3f}{d.recall:>8.3f}"
        )
        _print_effects(r.effect_totals, args.mismatches)
        precision, recall = macro(r.totals)
        print(f"macro precision {precision:.3f} recall {recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
