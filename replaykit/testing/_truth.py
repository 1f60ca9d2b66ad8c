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
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import msgspec

from ..analysis._actions import Action, ClickDetails, InputDetails, ScrollDetails
from ..analysis._signal import Signal

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

SIGNAL_SCORED_KINDS: tuple[str, ...] = (
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
)

SIGNAL_TIMES: dict[str, tuple[str, str | None]] = {
    "rage_click": ("t_start", "t_end"),
    "dead_click": ("t", None),
    "slow_click": ("t_click", "t_effect"),
    "error_click": ("t", None),
    "console_error": ("t", None),
    "uncaught_exception": ("t", None),
    "network_error": ("t", None),
    "idle": ("t_start", "t_end"),
    # A quick back is dated when the page was entered (t_forward, the signal's timestamp)
    # and must also agree on when it was left (t_back, the signal's end).
    "quick_back": ("t_forward", "t_back"),
    "form_abandon": ("t", None),
}
"""Truth signal kind -> (start key, end key or None) compared with a Signal's
``timestamp`` and ``end_timestamp``."""

# §1: idle ends are "the mouse was still", not an event, so they get ±1000 ms.
_SIGNAL_TOLERANCE_MS = {"idle": 1000}


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


_TAG = re.compile(r"[a-z][a-z0-9-]*")


def _selector_tag(selector: str | None) -> str | None:
    """The tag of a selector's last step (``form#f > button#go.btn`` -> ``button``)."""
    if not selector:
        return None
    last = re.split(r" >>?>? ", selector)[-1].strip()
    match = _TAG.match(last)
    return match.group() if match else None


def _signal_target_agrees(truth: TruthItem, found: TruthItem) -> bool:
    """§1: by ``id`` in the selector, else tag + accessible name (aria-label, alt, title or
    visible text); network errors by request."""
    attrs = truth.attrs or {}
    if attrs:
        seen = found.attrs or {}
        for key, value in attrs.items():
            if value is not None and key in seen and seen[key] != value:
                return False
    target = truth.target
    if not target or not isinstance(target, Mapping):
        return True
    ident = target.get("id")
    if ident and found.selector and f"#{ident}" in found.selector:
        return True
    hook = target.get("testid")
    if hook and found.selector and f'"{hook}"]' in found.selector:
        return True  # the selector names the element by its test hook
    tag, label = target.get("tag"), _fold(found.label)
    if not tag or not label or _selector_tag(found.selector) != str(tag).lower():
        return False
    # The element's accessible name, in the order a person (and the analyzer) reads it:
    # aria-label, alt, title, then its visible text.
    for key in ("aria_label", "alt", "title", "text", "label"):
        name = _fold(target.get(key))
        if name and (name == label or name.startswith(label.rstrip("…"))):
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


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _path(url: Any) -> str | None:
    """Path + query of a URL or path string, for comparing request URLs."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def signal_truth_items(truth: Mapping[str, Any]) -> list[TruthItem]:
    """The truth's ``signals[]`` of the scored kinds, dated per :data:`SIGNAL_TIMES`.

    A ``network_error`` carries its method, status and path as ``attrs`` to agree on.
    """
    items: list[TruthItem] = []
    for signal in truth.get("signals", []):
        if not isinstance(signal, Mapping):
            continue
        kind = signal.get("kind")
        if kind not in SIGNAL_TIMES:
            continue
        start_key, end_key = SIGNAL_TIMES[kind]
        t = _int(signal.get(start_key, signal.get("t")))
        if t is None:
            continue
        attrs = None
        if kind == "network_error":
            attrs = {
                "method": signal.get("method"),
                "status": signal.get("status"),
                "path": _path(signal.get("url")),
            }
        target = signal.get("target")
        items.append(
            TruthItem(
                kind=kind,
                timestamp=t,
                end_timestamp=_int(signal.get(end_key)) if end_key else None,
                target=target if isinstance(target, Mapping) else None,
                attrs=attrs,
            )
        )
    return items


def signal_found_items(signals: Iterable[Signal]) -> list[TruthItem]:
    """Detected signals in the same shape. Open-ended gaps (the recording ended during
    them) are left out: the truth only lists gaps with a known end."""
    items: list[TruthItem] = []
    for s in signals:
        details = s.details or {}
        if details.get("open_ended"):
            continue
        attrs = None
        if s.kind in ("network_error", "network_failed"):
            attrs = {
                "method": details.get("method"),
                "status": details.get("status"),
                "path": _path(details.get("url")),
            }
        items.append(
            TruthItem(
                kind=s.kind,
                timestamp=s.timestamp,
                end_timestamp=s.end_timestamp,
                label=s.label,
                selector=s.target,
                attrs=attrs,
            )
        )
    return items


def score_signals(
    signals: Iterable[Signal],
    truth: Mapping[str, Any],
    *,
    tolerance_ms: int = 250,
    kinds: Sequence[str] = SIGNAL_SCORED_KINDS,
) -> dict[str, KindScore]:
    """Score one replay's signals against its truth, per kind (§1 matching rule).

    ``tolerance_ms`` applies to every kind but ``idle`` (±1000 ms). A match needs the
    target (and a network error's request) to agree, so ``target_matched == matched``.
    """
    expected = signal_truth_items(truth)
    found = signal_found_items(signals)
    scores: dict[str, KindScore] = {}
    for kind in kinds:
        t_items = [t for t in expected if t.kind == kind]
        f_items = [f for f in found if f.kind == kind]
        tolerance = max(tolerance_ms, _SIGNAL_TOLERANCE_MS.get(kind, 0))
        matched, target_matched = _match(t_items, f_items, tolerance, _signal_target_agrees)
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


# --- click effects ---------------------------------------------------------------------

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
    counts = dict.fromkeys(
        (
            "classified",
            "class_agree",
            "undetermined",
            "misattributed",
            "misattributed_navigation",
            "misattributed_error",
            "label_agree",
            "focus_clicks",
            "focus_agree",
        ),
        0,
    )
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
    fields = (
        "truth",
        "found",
        "matched",
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


def score_dead_interactive(
    signals: Iterable[Signal], truth: Mapping[str, Any], *, tolerance_ms: int = 250
) -> KindScore:
    """Dead clicks on interactive targets only: truth dead clicks whose ``interactive`` is
    not false against found dead clicks whose ``details["interactive"]`` is not false (the
    §1 matching rule)."""
    kept = [
        s
        for s in truth.get("signals", [])
        if isinstance(s, Mapping)
        and s.get("kind") == "dead_click"
        and s.get("interactive") is not False
    ]
    t_items = signal_truth_items({"signals": kept})
    found = signal_found_items(
        s
        for s in signals
        if s.kind == "dead_click" and (s.details or {}).get("interactive") is not False
    )
    matched, target_matched = _match(t_items, found, tolerance_ms, _signal_target_agrees)
    return KindScore(
        kind="dead_click_interactive",
        truth=len(t_items),
        found=len(found),
        matched=matched,
        target_matched=target_matched,
    )
