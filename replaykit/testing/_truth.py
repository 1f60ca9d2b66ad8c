"""Score analyzed actions and signals against a recording harness' ground truth.

The truth schema is ``rrweb-harness-truth/1`` (see the shared corpus README): what the
script that drove the browser really did. Matching is one-to-one, per kind, by time
(within ``tolerance_ms``), nearest first; a truth item and a found one never match twice.

- Actions (:func:`score`): matched by time alone; ``target_matched`` additionally requires
  the target to agree (truth ``id`` in the selector, or truth text/label equal to the
  action's label after whitespace/case folding).
- Signals (:func:`score_signals`), per ``frustration-signals.md`` §1: times within ±250 ms
  (±1000 ms for ``idle``, whose truth is "the mouse was still", not an event), ends too
  where both sides have one; when the truth names a target it must agree, by ``id`` (or
  ``data-testid``) in the signal's selector or by tag + visible text (tag + ``aria-label``
  for an icon-only control); a ``network_error`` must also agree on
  method, status and path. Each truth kind is matched at one time (:data:`SIGNAL_TIMES`).
- Click effects (:func:`score_click_effects`): truth clicks (those that produced a DOM
  ``click`` event) matched one-to-one to found clicks by time; for each pair the effect
  class (``navigation`` / ``error`` / ``reaction`` / ``none``, :func:`truth_effect_class`
  and :func:`found_effect_class`) is compared, navigations and errors credited to a click
  the truth does not give it are counted as misattributions, and the found label is checked
  against the truth target's name.

The common ground (items, matching, :class:`KindScore`) is in :mod:`._truth_match`, signal
scoring in :mod:`._truth_signals`, click-effect scoring in :mod:`._truth_effects`; this
module loads truth files, scores actions, and re-exports every name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..analysis._actions import Action, InputDetails, ScrollDetails
from ..analysis._signal import Signal
from ._truth_effects import (
    EFFECT_CLASSES,
    ClickEffectScore,
    found_effect_class,
    score_click_effects,
    sum_click_effects,
    truth_effect_class,
)
from ._truth_match import KindScore, TruthItem, _match, macro, sum_scores
from ._truth_signals import (
    SIGNAL_SCORED_KINDS,
    SIGNAL_TIMES,
    score_dead_interactive,
    score_signals,
    signal_found_items,
    signal_truth_items,
)

__all__ = [
    "ACCURACY_KINDS",
    "EFFECT_CLASSES",
    "SCORED_KINDS",
    "SIGNAL_SCORED_KINDS",
    "SIGNAL_TIMES",
    "ClickEffectScore",
    "KindScore",
    "TruthItem",
    "found_effect_class",
    "found_items",
    "load_truth",
    "macro",
    "score",
    "score_click_effects",
    "score_dead_interactive",
    "score_replay",
    "score_signals",
    "signal_found_items",
    "signal_truth_items",
    "sum_click_effects",
    "sum_scores",
    "truth_effect_class",
    "truth_items",
]

SCORED_KINDS: tuple[str, ...] = ("click", "input", "select", "scroll", "navigation", "selection")


def load_truth(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a ``*.truth.json`` file."""
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def truth_items(truth: Mapping[str, Any]) -> list[TruthItem]:
    """The observable actions of a truth file.

    A scroll whose position did not change (``scroll_before == scroll_after``) leaves no
    trace in a recording (the recorder only reports position changes), so it is not
    expected to be found. Navigations come from ``navigations[]`` (full loads and SPA).
    """
    items: list[TruthItem] = []
    for action in truth.get("actions", []):
        kind = action.get("kind")
        if kind not in SCORED_KINDS:
            continue
        if kind == "click" and action.get("click_event") is False:
            continue  # pressed, but the browser dispatched no click (a disabled control)
        if kind == "scroll" and action.get("scroll_before") == action.get("scroll_after"):
            continue
        items.append(TruthItem(kind=kind, timestamp=int(action["t"]), target=action.get("target")))
    for nav in truth.get("navigations", []):
        items.append(TruthItem(kind="navigation", timestamp=int(nav["t"])))
    return items


def found_items(actions: Iterable[Action]) -> list[TruthItem]:
    """The analyzer's actions in the same shape (programmatic scrolls left out).

    A harness writes one ``input`` action per field visit, with its ``corrections``
    counted; the analyzer splits a corrected visit into the typing, the correction and
    the retyping (issue 11 §5). Those parts — a correction and what directly follows it
    on the same field — are scored as the one input they began with.
    """
    items: list[TruthItem] = []
    last_input: dict[str | None, Action] = {}
    for a in actions:
        if a.kind not in SCORED_KINDS:
            continue
        if isinstance(a.details, ScrollDetails) and a.details.programmatic:
            continue
        if isinstance(a.details, InputDetails):
            before = last_input.get(a.target)
            last_input[a.target] = a
            if before is not None and isinstance(before.details, InputDetails):
                gap = a.timestamp - (before.timestamp + before.details.t_end_ms - before.t_ms)
                if (a.details.correction or before.details.correction) and gap <= 2_000:
                    continue  # part of the visit the earlier input began
        items.append(
            TruthItem(kind=a.kind, timestamp=a.timestamp, label=a.label, selector=a.target)
        )
    return items


def score(
    actions: Iterable[Action],
    truth: Mapping[str, Any],
    *,
    tolerance_ms: int = 300,
    kinds: Sequence[str] = SCORED_KINDS,
) -> dict[str, KindScore]:
    """Score one replay's actions against its truth, per kind."""
    expected = truth_items(truth)
    found = found_items(actions)
    scores: dict[str, KindScore] = {}
    for kind in kinds:
        t_items = [t for t in expected if t.kind == kind]
        f_items = [f for f in found if f.kind == kind]
        matched, target_matched = _match(t_items, f_items, tolerance_ms)
        scores[kind] = KindScore(
            kind=kind,
            truth=len(t_items),
            found=len(f_items),
            matched=matched,
            target_matched=target_matched,
        )
    return scores


ACCURACY_KINDS: tuple[tuple[str, str], ...] = (
    ("click", "click"),
    ("input", "input"),
    ("select", "select"),
    ("scroll", "scroll"),
    ("navigation", "navigation"),
    ("rage_click", "rage"),
    ("dead_click", "dead"),
    ("slow_click", "slow"),
    ("error_click", "error click"),
    ("console_error", "console error"),
    ("uncaught_exception", "uncaught exception"),
    ("network_error", "network error"),
    ("idle", "idle ≥ 30 s"),
    ("quick_back", "quick back"),
    ("form_abandon", "form abandon"),
)
"""The kinds an accuracy report covers, in print order: (kind, display name)."""


def score_replay(
    actions: Iterable[Action],
    signals: Iterable[Signal],
    truth: Mapping[str, Any],
    *,
    tolerance_ms: int = 250,
) -> dict[str, KindScore]:
    """Actions and signals of one replay against its truth, for every :data:`ACCURACY_KINDS`
    kind, all at the §1 tolerance (±250 ms; idle ±1000 ms)."""
    action_kinds = [k for k, _ in ACCURACY_KINDS if k in SCORED_KINDS]
    signal_kinds = [k for k, _ in ACCURACY_KINDS if k in SIGNAL_SCORED_KINDS]
    scores = score(actions, truth, tolerance_ms=tolerance_ms, kinds=action_kinds)
    scores.update(score_signals(signals, truth, tolerance_ms=tolerance_ms, kinds=signal_kinds))
    return scores
