"""Score analyzed actions against a recording harness' ground truth.

The truth schema is ``rrweb-harness-truth/1`` (see the shared corpus README): what the
script that drove the browser really did. Matching is one-to-one, per kind, by time
(within ``tolerance_ms``), nearest first; a truth item and a found action never match
twice. ``target_matched`` additionally requires the target to agree (truth ``id`` in the
selector, or truth text/label equal to the action's label after whitespace/case folding).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from ..analysis._actions import Action, ScrollDetails

__all__ = ["KindScore", "TruthItem", "found_items", "load_truth", "score", "truth_items"]

SCORED_KINDS: tuple[str, ...] = ("click", "input", "select", "scroll", "navigation", "selection")


class TruthItem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that happened (truth) or was found (analysis), reduced to time + target."""

    kind: str
    timestamp: int
    target: Mapping[str, Any] | None = None
    label: str | None = None
    selector: str | None = None


class KindScore(msgspec.Struct, frozen=True, kw_only=True):
    """Per-kind counts and rates; precision/recall are 1.0 when there is nothing to find."""

    kind: str
    truth: int
    found: int
    matched: int
    target_matched: int

    @property
    def precision(self) -> float:
        """Matched / found."""
        return self.matched / self.found if self.found else (1.0 if not self.truth else 0.0)

    @property
    def recall(self) -> float:
        """Matched / truth."""
        return self.matched / self.truth if self.truth else (1.0 if not self.found else 0.0)


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
        if kind == "scroll" and action.get("scroll_before") == action.get("scroll_after"):
            continue
        items.append(TruthItem(kind=kind, timestamp=int(action["t"]), target=action.get("target")))
    for nav in truth.get("navigations", []):
        items.append(TruthItem(kind="navigation", timestamp=int(nav["t"])))
    return items


def found_items(actions: Iterable[Action]) -> list[TruthItem]:
    """The analyzer's actions in the same shape (programmatic scrolls left out)."""
    items: list[TruthItem] = []
    for a in actions:
        if a.kind not in SCORED_KINDS:
            continue
        if isinstance(a.details, ScrollDetails) and a.details.programmatic:
            continue
        items.append(
            TruthItem(kind=a.kind, timestamp=a.timestamp, label=a.label, selector=a.target)
        )
    return items


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _target_agrees(truth: TruthItem, found: TruthItem) -> bool:
    target = truth.target
    if not target or not isinstance(target, Mapping):
        return True
    ident = target.get("id")
    if ident and found.selector and f"#{ident}" in found.selector:
        return True
    label = _fold(found.label)
    for key in ("label", "text", "placeholder", "name"):
        value = _fold(target.get(key))
        if value and label and (value == label or value.startswith(label.rstrip("…"))):
            return True
    return False


def _match(
    truth: Sequence[TruthItem], found: Sequence[TruthItem], tolerance_ms: int
) -> tuple[int, int]:
    pairs = sorted(
        (abs(t.timestamp - f.timestamp), i, j)
        for i, t in enumerate(truth)
        for j, f in enumerate(found)
        if abs(t.timestamp - f.timestamp) <= tolerance_ms
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    matched = target_matched = 0
    for _, i, j in pairs:
        if i in used_t or j in used_f:
            continue
        used_t.add(i)
        used_f.add(j)
        matched += 1
        if _target_agrees(truth[i], found[j]):
            target_matched += 1
    return matched, target_matched


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
