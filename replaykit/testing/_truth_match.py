"""The common ground of truth scoring: items reduced to time + target, per-kind scores, and
the one-to-one matching by time (nearest first) that every scorer uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec

__all__ = ["KindScore", "TruthItem", "macro", "sum_scores"]


class TruthItem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that happened (truth) or was found (analysis), reduced to time + target."""

    kind: str
    timestamp: int
    target: Mapping[str, Any] | None = None
    label: str | None = None
    selector: str | None = None
    end_timestamp: int | None = None
    attrs: Mapping[str, Any] | None = None


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
    for key in ("aria_label", "alt", "title", "label", "text", "placeholder", "name"):
        value = _fold(target.get(key))
        if value and label and (value == label or value.startswith(label.rstrip("…"))):
            return True
    return False


def _pairs(
    truth: Sequence[TruthItem],
    found: Sequence[TruthItem],
    tolerance_ms: int,
    agrees: Callable[[TruthItem, TruthItem], bool] | None = None,
) -> list[tuple[int, int]]:
    """One-to-one matching, nearest first: (truth index, found index) pairs.

    With ``agrees`` a pair must satisfy it to match at all. Ends are compared too when both
    items have one.
    """

    def close(t: TruthItem, f: TruthItem) -> bool:
        if abs(t.timestamp - f.timestamp) > tolerance_ms:
            return False
        if t.end_timestamp is not None and f.end_timestamp is not None:
            return abs(t.end_timestamp - f.end_timestamp) <= tolerance_ms
        return True

    pairs = sorted(
        (abs(t.timestamp - f.timestamp), i, j)
        for i, t in enumerate(truth)
        for j, f in enumerate(found)
        if close(t, f) and (agrees is None or agrees(t, f))
    )
    used_t: set[int] = set()
    used_f: set[int] = set()
    out: list[tuple[int, int]] = []
    for _, i, j in pairs:
        if i in used_t or j in used_f:
            continue
        used_t.add(i)
        used_f.add(j)
        out.append((i, j))
    return out


def _match(
    truth: Sequence[TruthItem],
    found: Sequence[TruthItem],
    tolerance_ms: int,
    agrees: Callable[[TruthItem, TruthItem], bool] | None = None,
) -> tuple[int, int]:
    """One-to-one matching, nearest first: (matched, target_matched).

    With ``agrees`` (signals) a pair must satisfy it to match at all; without it (actions)
    pairs match by time and the target check only counts ``target_matched``. Ends are
    compared too when both items have one.
    """
    pairs = _pairs(truth, found, tolerance_ms, agrees)
    target_matched = sum(
        1 for i, j in pairs if agrees is not None or _target_agrees(truth[i], found[j])
    )
    return len(pairs), target_matched


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def sum_scores(per_replay: Iterable[Mapping[str, KindScore]]) -> dict[str, KindScore]:
    """Per-kind totals over several replays (micro counts)."""
    totals: dict[str, KindScore] = {}
    for scores in per_replay:
        for kind, s in scores.items():
            t = totals.get(kind)
            totals[kind] = (
                s
                if t is None
                else KindScore(
                    kind=kind,
                    truth=t.truth + s.truth,
                    found=t.found + s.found,
                    matched=t.matched + s.matched,
                    target_matched=t.target_matched + s.target_matched,
                )
            )
    return totals


def macro(scores: Mapping[str, KindScore]) -> tuple[float, float]:
    """Macro precision and recall over the kinds present in truth or found (1.0, 1.0 when
    there are none)."""
    present = [s for s in scores.values() if s.truth or s.found]
    if not present:
        return 1.0, 1.0
    n = len(present)
    return sum(s.precision for s in present) / n, sum(s.recall for s in present) / n
