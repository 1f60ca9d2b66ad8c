"""Phrases for the actions of a mobile recording: taps, swipes and screens.

:func:`describe_mobile_action` says what a tap, swipe or screen change did in words
(:func:`describe_tap_effect` for a tap's effect); :func:`describe_any` falls back to the
web phrase; :func:`display_url` shows an ``app://`` screen URL as the screen's name.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from ._actions import Action, ClickDetails, ClickEffect, NavigationDetails, ScrollDetails
from ._mobile_detect import screen_of

__all__ = [
    "describe_any",
    "describe_mobile_action",
    "describe_tap_effect",
    "display_url",
]


def _quoted(label: str | None) -> str:
    if not label:
        return "an unnamed spot"
    return label if '"' in label else f'"{label}"'


def _ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def describe_tap_effect(effect: ClickEffect) -> str:
    """What a tap did: ``opened screen "Cart"``, ``"Checkout 1 item(s)" → "Checkout 2
    item(s)"``, ``showed "Saved"``, ``screen changed after 370 ms``, ``no reaction``."""
    screen = screen_of(effect.navigated_to) if effect.navigation is not None else None
    if screen is not None:
        return f'opened screen "{screen}"'
    if effect.text_added and effect.text_removed and _alike(effect.text_removed, effect.text_added):
        return f'"{_clip(effect.text_removed)}" → "{_clip(effect.text_added)}"'
    if effect.text_added:
        return f'showed "{_clip(effect.text_added)}"'
    if effect.text_removed:
        return f'removed "{_clip(effect.text_removed)}"'
    if effect.reaction_ms is None:
        return "no reaction before the recording ended" if effect.truncated else "no reaction"
    return f"screen changed after {_ms(effect.reaction_ms)}"


def _alike(a: str, b: str) -> bool:
    """Whether ``b`` reads as ``a`` changed (``Checkout 1 item(s)`` → ``Checkout 2
    item(s)``) rather than something else that appeared."""
    return SequenceMatcher(None, a[:80], b[:80]).ratio() >= 0.5


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_mobile_action(action: Action) -> str | None:
    """One phrase for an action of a mobile recording (None for web actions):
    ``opened screen "Snacks"``, ``tapped "+" next to "Ice Cream Sandwich" (button) →
    "Checkout 1 item(s)" → "Checkout 2 item(s)"``, ``scrolled down 191 pt (swipe)``."""
    d = action.details
    if isinstance(d, NavigationDetails):
        if d.how != "screen":
            return None
        name = screen_of(action.url) or "an unnamed screen"
        return f'opened screen "{name}"'
    if isinstance(d, ClickDetails):
        if d.button != "tap" or screen_of(action.url) is None:
            return None
        verb = "long-pressed" if d.long_press else "tapped"
        role = f" ({d.tag})" if d.tag else ""
        effect = describe_tap_effect(d.effect) if d.effect is not None else ""
        return f"{verb} {_quoted(action.label)}{role}{' → ' + effect if effect else ''}"
    if isinstance(d, ScrollDetails) and d.gesture is not None:
        vertical = abs(d.dy) >= abs(d.dx)
        amount = abs(d.dy) if vertical else abs(d.dx)
        sign = d.dy if vertical else d.dx
        direction = (
            ("down" if sign > 0 else "up") if vertical else ("right" if sign > 0 else "left")
        )
        how = "cancelled swipe" if d.cancelled else d.gesture
        return f"scrolled {direction} {amount:.0f} pt ({how})"
    return None


def describe_any(action: Action) -> str:
    """:func:`describe_mobile_action` for mobile actions, the web phrase otherwise."""
    from ._timeline import describe_action

    text = describe_mobile_action(action)
    return text if text is not None else describe_action(action)


def display_url(url: str | None) -> str | None:
    """``app://Snacks`` → ``Snacks`` for display; other URLs unchanged."""
    screen = screen_of(url)
    return screen if screen is not None else url
