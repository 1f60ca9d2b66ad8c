"""The markdown timeline: one line per action, written for a person or an LLM to read.

Each line is ``{seconds}s: {text}``; consecutive identical lines collapse into one with a
count (``(x5)``). Secrets stay out: masked or sensitive input values are never printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from ._actions import (
    Action,
    ClickDetails,
    ConsoleErrorDetails,
    InputDetails,
    NavigationDetails,
    ScrollDetails,
    SelectDetails,
    SelectionDetails,
    ToggleDetails,
    ViewportDetails,
)

__all__ = ["describe_action", "markdown_timeline", "short_url"]


def _quote(text: str | None) -> str:
    return f'"{text}"' if text else "an unnamed element"


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


def describe_action(action: Action) -> str:
    """One plain-English phrase for an action, e.g. ``clicked button "Place order"``."""
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
        return f"{verb} {label}{role}"
    if isinstance(d, InputDetails):
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


def markdown_timeline(
    actions: Iterable[Action],
    *,
    title: str | None = None,
    describe: Callable[[Action], str] = describe_action,
) -> str:
    """Render actions as a markdown timeline, collapsing consecutive duplicates.

    Navigation lines already carry the new URL; ``page_load`` actions (the same moment for
    a full load) are folded into them. Non-navigation lines name the page only when it
    changed since the previous line.
    """
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

    for action in actions:
        if action.kind == "page_load":
            continue
        text = describe(action)
        if text == previous_text:
            previous_count += 1
            continue
        flush()
        previous_text = text
        previous_count = 1
        previous_start = f"{action.t_ms / 1000:.1f}s"
    flush()
    return "\n".join(lines) + ("\n" if lines else "")
