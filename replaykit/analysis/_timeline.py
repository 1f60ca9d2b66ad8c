"""The markdown timeline: one line per action, written for a person or an LLM to read.

Each line is ``{seconds}s: {text}``; consecutive identical lines collapse into one with a
count (``(x5)``). Secrets stay out: masked or sensitive input values are never printed.

A click line says what the click did when the analyzer attached its effect, e.g.
``clicked "Place order" (button) → POST /api/order 500 261 ms; error "Payment failed"``,
``→ no reaction`` or ``→ went to /shop/cart``. Given signals, the timeline marks them:
a dead/slow/error click on its click's line (``⚠ dead click``), anything else on a line of
its own at its time (``⚠ rage click: 5 clicks on "Apply coupon" in 968 ms``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from ._actions import (
    Action,
    ClickDetails,
    ClickEffect,
    ConsoleErrorDetails,
    InputDetails,
    NavigationDetails,
    ScrollDetails,
    SelectDetails,
    SelectionDetails,
    ToggleDetails,
    ViewportDetails,
)
from ._signal import Signal

__all__ = [
    "describe_action",
    "describe_effect",
    "describe_signal",
    "markdown_timeline",
    "short_url",
]

_EFFECT_TEXT = 60  # chars of appeared text quoted on a click line
_ERROR_TEXT = 80
_SHOWN_REQUESTS = 2
_SHOWN_ERRORS = 2
# Signals about one click that read best as a mark on that click's line.
_CLICK_MARKS = frozenset({"dead_click", "slow_click", "error_click"})
# Signals that restate an action line (the console record is already a line of its own).
_RESTATED = frozenset({"console_error", "uncaught_exception"})
_GAP_KINDS = frozenset({"idle", "long_pause"})  # placed after the action they follow
_SIGNAL_NAMES = {
    "quick_back": "quick back",
    "scroll_reversal": "scroll reversal",
    "excessive_scroll": "excessive scrolling",
    "thrashed_cursor": "thrashing cursor",
    "idle": "idle",
    "long_pause": "long pause",
    "form_abandon": "form abandoned",
}


def _quote(text: str | None) -> str:
    if not text:
        return "an unnamed element"
    # A label that quotes its own parts (`"+" next to "Donut"`) is shown as it is.
    return text if text.startswith('"') else f'"{text}"'


def short_url(url: str | None) -> str:
    """The path (with query and fragment) of a URL, for display; non-URLs unchanged."""
    if not url:
        return "(unknown page)"
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    path = parts.path or "/"
    return (
        path
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def describe_effect(effect: ClickEffect, target_kind: str | None = None) -> str:
    """What a click did, in a few words: ``went to /shop/cart``, ``POST /api/order 500
    261 ms; error "Payment failed"``, ``showed "Loading…"``, ``no reaction``.

    Navigation, requests the click triggered (failed ones always), errors and the text
    that appeared are listed in that order; a click on a text field (focus is its
    effect) says nothing unless something notable happened. Empty when there is nothing
    worth saying.
    """
    parts: list[str] = []
    if effect.navigation is not None and effect.navigated_to:
        verb = "loaded" if effect.navigation == "load" else "went to"
        parts.append(f"{verb} {short_url(effect.navigated_to)}")
    shown = [
        r
        for r in effect.requests
        if r.failed
        or (r.status is not None and r.status >= 400)
        or (r.triggered and effect.navigation is None)
    ]
    for r in shown[:_SHOWN_REQUESTS]:
        status = "failed" if r.failed else (str(r.status) if r.status is not None else "")
        took = _seconds(r.duration_ms) if r.duration_ms is not None else ""
        parts.append(" ".join(p for p in (r.method, r.path, status, took) if p))
    if len(shown) > _SHOWN_REQUESTS:
        parts.append(f"+{len(shown) - _SHOWN_REQUESTS} more requests")
    for e in effect.errors[:_SHOWN_ERRORS]:
        message = e.message
        for prefix in ("Uncaught (in promise) ", "Uncaught "):
            if message.startswith(prefix):
                message = message[len(prefix) :]
                break
        kind = "uncaught" if e.uncaught else "error"
        parts.append(f'{kind} "{_clip(message, _ERROR_TEXT)}"')
    if effect.navigation is None and target_kind != "text_field":
        if effect.text_added:
            parts.append(f'showed "{_clip(effect.text_added, _EFFECT_TEXT)}"')
        elif effect.text_removed:
            parts.append(f'removed "{_clip(effect.text_removed, _EFFECT_TEXT)}"')
    if parts:
        return "; ".join(parts)
    if target_kind == "text_field" or effect.reaction_kind == "input":
        return ""  # focus, or a toggle/select that is a line of its own
    if effect.reaction_ms is None:
        return "no reaction before the recording ended" if effect.truncated else "no reaction"
    what = {
        "mutation": "page changed",
        "navigation": "navigated",
        "scroll": "page scrolled",
    }.get(effect.reaction_kind or "", "page changed")
    return f"{what} after {_seconds(effect.reaction_ms)}"


def describe_action(action: Action) -> str:
    """One plain-English phrase for an action, e.g. ``clicked "Place order" (button)``;
    a click with an effect adds it after an arrow (``→ went to /shop/cart``)."""
    d = action.details
    label = _quote(action.label)
    if isinstance(d, ClickDetails):
        verb = {
            "click": "double-clicked" if d.double else "clicked",
            "dblclick": "double-clicked",
            "contextmenu": "right-clicked",
            "tap": "tapped",
        }[d.button]
        role = f" ({d.tag})" if d.tag else ""
        effect = describe_effect(d.effect, d.target_kind) if d.effect is not None else ""
        arrow = f" → {effect}" if effect else ""
        return f"{verb} {label}{role}{arrow}"
    if isinstance(d, InputDetails):
        if d.correction:
            fixed = f' to "{d.value}"' if d.value else ""
            return (
                f"corrected {label} ({d.field_type}): deleted {d.chars_removed}"
                + (f", typed {d.chars_added}" if d.chars_added else "")
                + fixed
            )
        if d.value is not None:
            what = f'typed "{d.value}"' if d.value else "cleared"
        else:
            hidden = "masked" if d.masked else "hidden"
            what = f"typed {d.length} chars ({hidden})"
        edits = f", deleted {d.chars_removed}" if d.chars_removed else ""
        return f"{what} into {label} ({d.field_type}){edits}"
    if isinstance(d, SelectDetails):
        if d.masked:
            return f"chose a masked option in {label}"
        return f'chose "{d.option or d.value}" in {label}'
    if isinstance(d, ToggleDetails):
        state = "on" if d.checked else "off"
        return f"toggled {d.field_type} {label} -> {state}"
    if isinstance(d, ScrollDetails):
        where = "page" if d.target == "window" else label
        direction = "down" if d.dy > 0 else "up" if d.dy < 0 else "sideways"
        amount = abs(d.dy) if d.dy else abs(d.dx)
        who = " (by the page)" if d.programmatic else ""
        return f"scrolled {where} {direction} {amount:.0f}px to y={d.y:.0f}{who}"
    if isinstance(d, NavigationDetails):
        how = {
            "load": "opened",
            "reload": "reloaded",
            "push": "went to",
            "replace": "was redirected to",
            "pop": "went back/forward to",
            "late": "was on",
        }.get(d.how, "went to")
        return f"{how} {short_url(action.url)}"
    if isinstance(d, ViewportDetails):
        return f"resized the window to {d.width}x{d.height}"
    if isinstance(d, SelectionDetails):
        return f'selected text "{d.text[:80]}"'
    if isinstance(d, ConsoleErrorDetails):
        prefix = "uncaught exception" if d.uncaught else "console error"
        return f"{prefix}: {d.message[:200]}"
    return action.kind.replace("_", " ")


def describe_signal(signal: Signal) -> str:
    """One plain-English phrase for a signal, e.g. ``rage click: 5 clicks on "Apply
    coupon" in 968 ms`` or ``network error: GET /api/reviews/44 → 404``."""
    d = signal.details
    label = _quote(signal.label)
    kind = signal.kind
    if kind == "rage_click":
        clicks = d.get("clicks", len(signal.evidence))
        span = signal.duration_ms if signal.duration_ms is not None else d.get("span_ms", 0)
        return f"rage click: {clicks} clicks on {label} in {span} ms"
    if kind == "dead_click":
        timeout = d.get("timeout_ms")
        within = f" within {_seconds(timeout)}" if isinstance(timeout, int | float) else ""
        return f"dead click on {label} (no reaction{within})"
    if kind == "slow_click":
        delay = d.get("delay_ms", signal.duration_ms or 0)
        return f"slow click on {label}: result after {_seconds(delay)}"
    if kind == "error_click":
        return f'error click on {label}: "{_clip(str(d.get("message", "")), _ERROR_TEXT)}"'
    if kind in ("console_error", "uncaught_exception"):
        what = kind.replace("_", " ")
        return f"{what}: {_clip(str(d.get('message', '')), 200)}"
    if kind in ("network_error", "network_failed", "slow_request"):
        request = f"{d.get('method', 'GET')} {d.get('url', '')}".strip()
        after = f" (after {label})" if signal.label else ""
        if kind == "network_error":
            return f"network error: {request} → {d.get('status')}{after}"
        if kind == "network_failed":
            return f"request failed: {request} (no response){after}"
        return f"slow request: {request} took {_seconds(signal.duration_ms or 0)}{after}"
    if kind == "slow_page":
        return f"slow page load: {d.get('url', '')} took {_seconds(signal.duration_ms or 0)}"
    name = _SIGNAL_NAMES.get(kind, kind.replace("_", " "))
    on = f" on {label}" if signal.label else ""
    span = f" ({_seconds(signal.duration_ms)})" if signal.duration_ms else ""
    return f"{name}{on}{span}"


def markdown_timeline(
    actions: Iterable[Action],
    *,
    title: str | None = None,
    describe: Callable[[Action], str] = describe_action,
    signals: Iterable[Signal] | None = None,
) -> str:
    """Render actions as a markdown timeline, collapsing consecutive duplicates.

    Navigation lines already carry the new URL; ``page_load`` actions (the same moment for
    a full load) are folded into them. Non-navigation lines name the page only when it
    changed since the previous line.

    With ``signals``, dead/slow/error clicks mark their click's line (``⚠ dead click``),
    console signals are already lines (the console action), and every other signal gets
    a line ``⚠ {describe_signal}`` at its time, before the actions of the same moment.
    Without signals the output is unchanged.
    """
    marks: dict[int, list[str]] = {}
    extra: list[tuple[int, int, str]] = []
    action_list = list(actions)
    if signals is not None:
        by_seq = {a.seq: a for a in action_list}
        for signal in signals:
            own = by_seq.get(signal.evidence[0]) if len(signal.evidence) == 1 else None
            if (
                signal.kind in _CLICK_MARKS
                and own is not None
                and isinstance(own.details, ClickDetails)
            ):
                marks.setdefault(own.seq, []).append(signal.kind.replace("_", " "))
            elif signal.kind in _RESTATED and own is not None:
                continue
            else:
                # A gap (idle, long pause) follows the action it comes after; other
                # signals open the moment they start (a rage burst, before its clicks).
                rank = 1 if signal.kind in _GAP_KINDS else 0
                extra.append((signal.t_ms, rank, f"⚠ {describe_signal(signal)}"))
    extra.sort(key=lambda e: (e[0], e[1]))

    lines: list[str] = []
    if title:
        lines.append(f"# {title}")
        lines.append("")
    previous_text: str | None = None
    previous_count = 0
    previous_start = ""

    def flush() -> None:
        if previous_text is None:
            return
        suffix = f" (x{previous_count})" if previous_count > 1 else ""
        lines.append(f"- {previous_start}: {previous_text}{suffix}")

    pending = 0  # next signal line to place
    entries: list[tuple[int, str]] = []
    for action in action_list:
        if action.kind == "page_load":
            continue
        while pending < len(extra) and (
            extra[pending][0] < action.t_ms
            or (extra[pending][0] == action.t_ms and extra[pending][1] == 0)
        ):
            entries.append((extra[pending][0], extra[pending][2]))
            pending += 1
        text = describe(action)
        mark = marks.get(action.seq)
        if mark:
            text += " ⚠ " + ", ".join(mark)
        entries.append((action.t_ms, text))
    entries.extend((t, text) for t, _, text in extra[pending:])
    for t_ms, text in entries:
        if text == previous_text:
            previous_count += 1
            continue
        flush()
        previous_text = text
        previous_count = 1
        previous_start = f"{t_ms / 1000:.1f}s"
    flush()
    return "\n".join(lines) + ("\n" if lines else "")
