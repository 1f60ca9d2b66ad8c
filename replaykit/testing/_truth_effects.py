"""Scoring click effects: matched clicks' effect classes, misattributed navigations and
errors, and labels against the truth (:func:`score_click_effects`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from ..analysis._actions import Action, ClickDetails
from ._truth_match import TruthItem, _fold, _int, _pairs

__all__ = [
    "EFFECT_CLASSES",
    "ClickEffectScore",
    "found_effect_class",
    "score_click_effects",
    "sum_click_effects",
    "truth_effect_class",
]

EFFECT_CLASSES: tuple[str, ...] = ("navigation", "error", "reaction", "none")
"""The click-effect classes a truth's ``effect_class`` and a found click's outcome take."""

# The shared corpus' truth has only ``effect``; its words map onto the classes. ``focus``
# (clicking into a field: the browser focused it, the page did nothing) is ``none``, as
# the own corpus' browser-observed truth has it; :class:`ClickEffectScore` counts those
# clicks apart.
_EFFECT_TO_CLASS = {
    "navigation": "navigation",
    "error": "error",
    "none": "none",
    "dom_change": "reaction",
    "delayed_dom_change": "reaction",
    "toggle": "reaction",
    "focus": "none",
}

_NAME_KEYS = ("aria_label", "label", "text", "placeholder", "alt", "title", "name")


# The counters a ClickEffectScore tallies click by click (besides truth/found/matched).
_TALLIES = (
    "classified",
    "class_agree",
    "undetermined",
    "misattributed",
    "misattributed_navigation",
    "misattributed_error",
    "label_agree",
    "focus_clicks",
    "focus_agree",
)


def truth_effect_class(action: Mapping[str, Any]) -> str | None:
    """A truth click's effect class: its ``effect_class``, else derived from ``effect``."""
    cls = action.get("effect_class")
    if isinstance(cls, str) and cls in EFFECT_CLASSES:
        return cls
    effect = action.get("effect")
    return _EFFECT_TO_CLASS.get(effect) if isinstance(effect, str) else None


def found_effect_class(action: Action) -> str | None:
    """A found click's effect class: the analyzer's ``ClickEffect.outcome`` (None when
    undetermined, or when the click carries no effect)."""
    details = action.details
    if not isinstance(details, ClickDetails) or details.effect is None:
        return None
    return details.effect.outcome


def _found_credits(action: Action) -> tuple[bool, bool]:
    """(navigation, error): whether the analyzer credits the click with either."""
    details = action.details
    effect = details.effect if isinstance(details, ClickDetails) else None
    cls = found_effect_class(action)
    if effect is None:
        return cls == "navigation", cls == "error"
    return (
        cls == "navigation" or effect.navigation is not None,
        cls == "error" or bool(effect.errors),
    )


def _truth_credits(action: Mapping[str, Any]) -> tuple[bool, bool]:
    """(navigation, error) the truth gives the click (its class, or its effect details)."""
    cls = truth_effect_class(action)
    detail = action.get("effect_detail")
    detail = detail if isinstance(detail, Mapping) else {}
    return (
        cls == "navigation" or "navigation" in detail,
        cls == "error" or "error" in detail,
    )


def _label_agrees(target: Any, label: str | None) -> bool:
    """The found label names the truth target: equal (folded) to one of its names, or a
    truncated prefix of one."""
    if not isinstance(target, Mapping):
        return False
    found = _fold(label)
    if not found:
        return False
    short = found.rstrip("…").rstrip()
    for key in _NAME_KEYS:
        value = _fold(target.get(key))
        if value and (value == found or (found.endswith("…") and value.startswith(short))):
            return True
    return False


def _effect_summary(action: Action) -> dict[str, Any] | None:
    """The found effect's deciding fields, for reading a mismatch."""
    details = action.details
    effect = details.effect if isinstance(details, ClickDetails) else None
    if effect is None:
        return None
    return {
        "outcome": effect.outcome,
        "because": effect.because,
        "reaction_kind": effect.reaction_kind,
        "reaction_ms": effect.reaction_ms,
        "next_action": effect.next_action,
        "next_action_ms": effect.next_action_ms,
        "navigation": effect.navigation,
        "navigation_ms": effect.navigation_ms,
        "errors": len(effect.errors),
        "truncated": effect.truncated,
    }


class ClickEffectScore(msgspec.Struct, frozen=True, kw_only=True):
    """Matched clicks' effect classes, misattributions and labels against the truth.

    ``classified`` counts matched clicks with a truth class and a determined found class;
    ``class_agree`` those where the two are equal. ``undetermined``: matched clicks the
    analyzer left undetermined. ``misattributed``: matched clicks the analyzer credits
    with a navigation (``misattributed_navigation``) or an error
    (``misattributed_error``) the truth does not give that click. ``label_agree``:
    matched clicks whose found label names the truth target. ``focus_clicks``: matched
    clicks whose truth ``effect`` is ``focus`` (mapped to ``none``), ``focus_agree``
    those counted as agreeing. ``confusion[truth class][found class or
    "undetermined"]`` counts matched clicks; ``mismatches`` lists the disagreeing ones.
    """

    truth: int = 0
    found: int = 0
    matched: int = 0
    classified: int = 0
    class_agree: int = 0
    undetermined: int = 0
    misattributed: int = 0
    misattributed_navigation: int = 0
    misattributed_error: int = 0
    label_agree: int = 0
    focus_clicks: int = 0
    focus_agree: int = 0
    confusion: dict[str, dict[str, int]] = msgspec.field(default_factory=dict)
    mismatches: tuple[dict[str, Any], ...] = ()

    @property
    def class_accuracy(self) -> float:
        """Agreeing / classified (1.0 when nothing was classified)."""
        return self.class_agree / self.classified if self.classified else 1.0

    @property
    def label_agreement(self) -> float:
        """Agreeing labels / matched clicks (1.0 when none matched)."""
        return self.label_agree / self.matched if self.matched else 1.0


def score_click_effects(
    actions: Iterable[Action],
    truth: Mapping[str, Any],
    *,
    tolerance_ms: int = 250,
    replay: str = "",
) -> ClickEffectScore:
    """Effect classes, misattributions and labels of one replay's matched clicks."""
    truth_clicks = [
        a
        for a in truth.get("actions", [])
        if isinstance(a, Mapping)
        and a.get("kind") == "click"
        and a.get("click_event") is not False
        and _int(a.get("t")) is not None
    ]
    found_clicks = [a for a in actions if a.kind == "click"]
    t_items = [TruthItem(kind="click", timestamp=int(a["t"])) for a in truth_clicks]
    f_items = [TruthItem(kind="click", timestamp=a.timestamp) for a in found_clicks]
    confusion: dict[str, dict[str, int]] = {}
    mismatches: list[dict[str, Any]] = []
    counts = dict.fromkeys(_TALLIES, 0)
    pairs = sorted(_pairs(t_items, f_items, tolerance_ms))
    for i, j in pairs:
        t_action, f_action = truth_clicks[i], found_clicks[j]
        t_cls, f_cls = truth_effect_class(t_action), found_effect_class(f_action)
        if t_cls is not None:
            row = confusion.setdefault(t_cls, {})
            col = f_cls or "undetermined"
            row[col] = row.get(col, 0) + 1
        if f_cls is None:
            counts["undetermined"] += 1
        elif t_cls is not None:
            counts["classified"] += 1
            counts["class_agree"] += t_cls == f_cls
        focus = t_action.get("effect") == "focus" and "effect_class" not in t_action
        if focus:
            counts["focus_clicks"] += 1
            counts["focus_agree"] += t_cls == f_cls
        f_nav, f_err = _found_credits(f_action)
        t_nav, t_err = _truth_credits(t_action)
        wrong_nav, wrong_err = f_nav and not t_nav, f_err and not t_err
        counts["misattributed_navigation"] += wrong_nav
        counts["misattributed_error"] += wrong_err
        counts["misattributed"] += wrong_nav or wrong_err
        label_ok = _label_agrees(t_action.get("target"), f_action.label)
        counts["label_agree"] += label_ok
        if t_cls != f_cls or wrong_nav or wrong_err or not label_ok:
            mismatches.append(
                {
                    "replay": replay,
                    "t": int(t_action["t"]),
                    "intent": t_action.get("intent"),
                    "truth_class": t_cls,
                    "truth_effect": t_action.get("effect"),
                    "found_class": f_cls,
                    "found_label": f_action.label,
                    "found_target": f_action.target,
                    "truth_target": t_action.get("target"),
                    "misattributed": [
                        k for k, v in (("navigation", wrong_nav), ("error", wrong_err)) if v
                    ],
                    "label_agrees": label_ok,
                    "truth_window_ms": t_action.get("window_ms"),
                    "truth_window_end": t_action.get("window_end"),
                    "found_effect": _effect_summary(f_action),
                }
            )
    return ClickEffectScore(
        truth=len(truth_clicks),
        found=len(found_clicks),
        matched=len(pairs),
        confusion=confusion,
        mismatches=tuple(mismatches),
        **counts,
    )


def sum_click_effects(scores: Iterable[ClickEffectScore]) -> ClickEffectScore:
    """Totals over several replays (counts and confusion summed, mismatches joined)."""
    fields = ("truth", "found", "matched", *_TALLIES)
    totals = dict.fromkeys(fields, 0)
    confusion: dict[str, dict[str, int]] = {}
    mismatches: list[dict[str, Any]] = []
    for s in scores:
        for name in fields:
            totals[name] += getattr(s, name)
        for t_cls, row in s.confusion.items():
            out = confusion.setdefault(t_cls, {})
            for f_cls, n in row.items():
                out[f_cls] = out.get(f_cls, 0) + n
        mismatches.extend(s.mismatches)
    return ClickEffectScore(confusion=confusion, mismatches=tuple(mismatches), **totals)
