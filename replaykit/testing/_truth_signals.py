"""Scoring detected signals against the truth's ``signals[]`` (``frustration-signals.md``
§1): per-kind times and tolerances, and the target (or request) a match must agree on."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..analysis._signal import Signal
from ._truth_match import KindScore, TruthItem, _fold, _int, _match

__all__ = [
    "SIGNAL_SCORED_KINDS",
    "SIGNAL_TIMES",
    "score_dead_interactive",
    "score_signals",
    "signal_found_items",
    "signal_truth_items",
]

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
