"""Accuracy against ground truth: actions and signals, per kind, over recorded sessions.

For every ``X.json`` in the given directories that has an ``X.truth.json`` beside it
(schema ``rrweb-harness-truth/1``), the recording is analyzed the way
``replaykit.analyze_events(iter_event_chunks(X), X.stem)`` does it (the same analyzer fed
the same chunks, kept so its tape can be read), its signals are detected with the default
``replaykit`` definitions, and both are scored with ``replaykit.testing``'s scorer
(``frustration-signals.md`` §1: ±250 ms, ±1000 ms for idle; signal targets by id or tag +
text).

Printed per kind (click, input, select, scroll, navigation, rage, dead, slow, error click,
console error, uncaught exception, network error, idle ≥ 30 s, quick back, form abandon):
truth count, found count, matched count, precision, recall; the last line is
``macro precision P recall R`` over the kinds present in truth or found. ``--json``
prints one JSON object instead. Always exits 0 (no recordings: a note and zero kinds).

    python benchmarks/accuracy.py ../shared/corpus/recorded
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
    KindScore,
    load_truth,
    macro,
    score_replay,
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


def evaluate(
    dirs: Sequence[str | Path], preset: str = "replaykit"
) -> tuple[dict[str, KindScore], dict[str, dict[str, KindScore]]]:
    """Per-kind totals over all recordings, and the scores of each recording."""
    config = signal_config(preset)
    detect = signal_runner()
    per_file: dict[str, dict[str, KindScore]] = {}
    for path, truth_path in recordings(dirs):
        actions, tape = analyze(path)
        signals = detect(path.stem, actions, tape, config)
        per_file[str(path)] = score_replay(actions, signals, load_truth(truth_path))
    totals = sum_scores(per_file.values())
    for kind, _ in ACCURACY_KINDS:  # every kind gets a row, even with no recordings
        totals.setdefault(kind, KindScore(kind=kind, truth=0, found=0, matched=0, target_matched=0))
    return {kind: totals[kind] for kind, _ in ACCURACY_KINDS}, per_file


def _row(s: KindScore) -> dict[str, Any]:
    return {
        "truth": s.truth,
        "found": s.found,
        "matched": s.matched,
        "precision": round(s.precision, 4),
        "recall": round(s.recall, 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", help="directories holding X.json + X.truth.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--preset", default="replaykit", help="signal definitions to use")
    args = parser.parse_args(argv)
    totals, per_file = evaluate(args.dirs, args.preset)
    precision, recall = macro(totals)
    if args.json:
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
                },
                indent=2,
            )
        )
        return 0
    if not per_file:
        print(f"note: no X.json with X.truth.json beside it in {', '.join(args.dirs)}")
    else:
        print(f"{len(per_file)} recordings, preset {args.preset}")
    names = dict(ACCURACY_KINDS)
    print(f"{'kind':<20}{'truth':>7}{'found':>7}{'matched':>9}{'precision':>11}{'recall':>8}")
    for kind, s in totals.items():
        print(
            f"{names[kind]:<20}{s.truth:>7}{s.found:>7}{s.matched:>9}"
            f"{s.precision:>11.3f}{s.recall:>8.3f}"
        )
    print(f"macro precision {precision:.3f} recall {recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
