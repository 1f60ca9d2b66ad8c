"""Wireframes of a mobile (screenshot) recording: the current screen's elements.

Mixpanel's mobile SDKs send, next to each screenshot, a Custom event tagged
``mp_wireframe`` whose payload is ``{"viewport": [w, h], "elements": [{"role", "text"?,
"bounds": [x, y, w, h]}]}`` (``text`` absent when the SDK masked it). This module reads
those payloads defensively and keeps what a tap needs:

- **scaling**: bounds may be in physical pixels while touches are in logical points
  (the Meta size); every element is converted to the touch space once, when its
  wireframe arrives (``touch = bounds * meta / viewport`` per axis).
- **hit testing** (:meth:`ScreenTracker.hit`): the element whose bounds contain the
  point, preferring interactive roles, then elements with text, then the smallest;
  negative and off-screen bounds are fine (only the on-screen part can be touched).
  A **near miss** resolves to the nearest element when the point lies within
  :data:`NEAR_MISS_PT` of its *touch target*: its bounds grown to at least
  :data:`MIN_TARGET_PT` on each axis (Material's 48 dp minimum touch target; Apple's
  HIG asks for 44 pt), since the platforms themselves route such touches to the control.
- **naming** (:mod:`._wireframe_labels`): an element's own text when it reads as words; otherwise
  its text or role plus the nearest words in the same row (``"+" next to "Ice Cream
  Sandwich"``), the same column (``image above "SwiftUI Inputs"``) or around it. Masked
  text is never shown (``masked text``).
- **screen titles** (:func:`screen_title`): the top-most text in the upper half of the
  screen, fully on screen, that is not a back/close control; among texts starting within
  8 pt of each other the tallest wins. Without one (all text masked) a screen is named
  ``screen N`` by its layout, and a layout seen before gets its old name back.
- **screen changes** (:meth:`ScreenTracker.observe`): which texts appeared, disappeared
  or changed (an element of the same role at about the same place with new text:
  ``"Checkout 1 item(s)" → "Checkout 2 item(s)"``), and whether the screen itself
  changed (:meth:`ScreenTracker.decide`): its title changed and the old one is gone, or,
  lacking titles, the set of elements changed materially (Jaccard similarity below
  :data:`NEW_SCREEN_SIMILARITY`). Re-renders of the same screen are not new screens.

Hostile input is capped and counted, never trusted: at most :data:`MAX_ELEMENTS`
elements per wireframe (the rest are counted in ``dropped``), texts clipped to
:data:`MAX_TEXT` chars, at most :data:`MAX_KNOWN_SCREENS` layouts remembered for naming.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import msgspec

from ._labels import is_masked_text

__all__ = [
    "INTERACTIVE_ROLES",
    "MAX_ELEMENTS",
    "MIN_TARGET_PT",
    "NEAR_MISS_PT",
    "NEW_SCREEN_SIMILARITY",
    "Element",
    "Hit",
    "ScreenChange",
    "Wireframe",
    "parse_wireframe",
    "screen_title",
    "wordy",
]

MAX_ELEMENTS = 500
"""Elements kept per wireframe; real screens hold well under 200."""
MAX_TEXT = 200
MAX_KNOWN_SCREENS = 64
MIN_TARGET_PT = 48.0
"""Minimum touch target per axis (Material: 48 dp; Apple HIG: 44 pt)."""
NEAR_MISS_PT = 12.0
"""How far outside an element's touch target a tap still resolves to it."""
NEW_SCREEN_SIMILARITY = 0.3
"""Below this Jaccard similarity of element sets (without usable titles) a wireframe is a
new screen."""
_TITLED_SIMILARITY = 0.7  # ... and below this when the title changed
_TITLE_BAND = 0.5  # titles live in the upper half of the screen
_TITLE_MOVE_PT = 48.0  # the old title "still shows" when found this close to its place
_TITLE_TIE_PT = 8.0
_TITLE_MAX_CHARS = 60
_CHANGE_NEAR_PT = 16.0  # an element "changed text" when its replacement is this close
_LAYOUT_GRID = 16.0  # masked elements are compared by bounds on this grid

INTERACTIVE_ROLES = frozenset(
    {
        "button",
        "switch",
        "checkbox",
        "radio",
        "slider",
        "link",
        "tab",
        "toggle",
        "input",
        "textfield",
        "textbox",
        "edittext",
        "searchfield",
        "picker",
        "stepper",
        "segmented",
    }
)
TEXT_FIELD_ROLES = frozenset({"input", "textfield", "textbox", "edittext", "searchfield"})
_BACK_TEXTS = frozenset(
    {"back", "← back", "< back", "‹ back", "<", "‹", "←", "close", "cancel", "done", "x", "✕"}
)


class Element(msgspec.Struct, frozen=True, gc=False):
    """One wireframe element in the touch coordinate space. ``text`` is None when the SDK
    masked it (or the element has none); ``index`` is its position in the payload."""

    role: str
    text: str | None
    x: float
    y: float
    w: float
    h: float
    index: int = 0

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px <= self.right and self.y <= py <= self.bottom

    def target_distance(self, px: float, py: float) -> float:
        """Distance from a point to this element's touch target (0 inside it)."""
        gx = max(0.0, (MIN_TARGET_PT - self.w) / 2)
        gy = max(0.0, (MIN_TARGET_PT - self.h) / 2)
        dx = max(self.x - gx - px, 0.0, px - (self.right + gx))
        dy = max(self.y - gy - py, 0.0, py - (self.bottom + gy))
        return math.hypot(dx, dy)


class Wireframe(msgspec.Struct, frozen=True, gc=False):
    """One ``mp_wireframe`` payload, scaled to the touch space (``width`` x ``height``).
    ``dropped`` counts elements past :data:`MAX_ELEMENTS`, ``malformed`` unreadable ones."""

    t: int
    width: float
    height: float
    elements: tuple[Element, ...]
    dropped: int = 0
    malformed: int = 0

    def visible(self) -> list[Element]:
        """Elements at least partly on screen."""
        w, h = self.width, self.height
        return [
            e
            for e in self.elements
            if e.right > 0 and e.bottom > 0 and (w <= 0 or e.x < w) and (h <= 0 or e.y < h)
        ]


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) and abs(f) < 1e7 else None


def _clean_text(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    text = " ".join(v.split())[:MAX_TEXT]
    if not text or is_masked_text(text) or set(text) <= {"•", "●", "*", "·", " "}:
        return None
    return text


def parse_wireframe(
    payload: Any, t: int, touch_size: tuple[float, float] | None
) -> Wireframe | None:
    """Read one ``mp_wireframe`` payload (None when it is not one at all).

    ``touch_size`` is the Meta width/height (the touch space); when it differs from the
    payload's viewport, bounds are scaled to it.
    """
    if not isinstance(payload, dict):
        return None
    raw = payload.get("elements")
    if not isinstance(raw, list):
        return None
    viewport = payload.get("viewport")
    vw = vh = None
    if isinstance(viewport, list | tuple) and len(viewport) >= 2:
        vw, vh = _number(viewport[0]), _number(viewport[1])
    tw, th = touch_size if touch_size else (0.0, 0.0)
    sx = tw / vw if vw and tw > 0 else 1.0
    sy = th / vh if vh and th > 0 else 1.0
    width = tw if tw > 0 else (vw or 0.0)
    height = th if th > 0 else (vh or 0.0)
    out: list[Element] = []
    malformed = 0
    for i, item in enumerate(raw[:MAX_ELEMENTS]):
        if not isinstance(item, dict):
            malformed += 1
            continue
        bounds = item.get("bounds")
        if not isinstance(bounds, list | tuple) or len(bounds) < 4:
            malformed += 1
            continue
        x, y, w, h = (_number(b) for b in bounds[:4])
        if x is None or y is None or w is None or h is None or w < 0 or h < 0:
            malformed += 1
            continue
        role = item.get("role")
        role = role[:40].lower() if isinstance(role, str) and role else "view"
        out.append(Element(role, _clean_text(item.get("text")), x * sx, y * sy, w * sx, h * sy, i))
    return Wireframe(
        t=t,
        width=width,
        height=height,
        elements=tuple(out),
        dropped=max(0, len(raw) - MAX_ELEMENTS),
        malformed=malformed,
    )


def wordy(text: str) -> bool:
    """Whether a text reads as words (not a price, a count or a symbol)."""
    letters = sum(map(str.isalpha, text))
    visible = len(text) - sum(map(str.isspace, text))
    return letters >= 2 and letters >= 0.5 * visible


def screen_title(wf: Wireframe, avoid: str | None = None) -> str | None:
    """The screen's title: the top-most text in the upper half, fully on screen, not a
    back/close control; among texts starting within 8 pt of each other, the tallest, but
    not ``avoid`` when another one ties (in a push transition the outgoing screen's title
    still shows next to the incoming one's)."""
    element = _title_element(wf, avoid)
    return element.text if element is not None else None


def _title_element(wf: Wireframe, avoid: str | None = None) -> Element | None:
    w, h = wf.width, wf.height
    band = h * _TITLE_BAND if h > 0 else math.inf
    group: list[Element] = []
    for e in wf.elements:
        text = e.text
        if text is None or len(text) > _TITLE_MAX_CHARS or not wordy(text):
            continue
        if text.lower() in _BACK_TEXTS or e.y < -2 or e.y >= band or e.x < -2:
            continue
        if w > 0 and e.right > w + 2:
            continue
        if not group or e.y < group[0].y - _TITLE_TIE_PT:
            group = [e, *(g for g in group if abs(g.y - e.y) <= _TITLE_TIE_PT)]
        elif abs(e.y - group[0].y) <= _TITLE_TIE_PT:
            group.append(e)
    if not group:
        return None
    others = [e for e in group if e.text != avoid] or group
    return max(others, key=lambda e: (e.h, -e.y))


def _key(e: Element) -> tuple[Any, ...]:
    if e.text is not None:
        return (e.role, e.text)
    # Masked elements by role, column and size, not by height on screen: scrolled
    # content keeps its layout.
    g = _LAYOUT_GRID
    return (e.role, round(e.x / g), round(e.w / g), round(e.h / g))


def _jaccard(a: frozenset[tuple[Any, ...]], b: frozenset[tuple[Any, ...]]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class Hit(msgspec.Struct, frozen=True):
    """What a tap landed on: the element (None: blank spot), how far outside it the point
    was (0 for a direct hit), the selector-like ``target`` and the ``label``."""

    element: Element | None
    distance: float
    target: str
    label: str
    near_miss: bool = False


class ScreenChange(msgspec.Struct, frozen=True):
    """What one wireframe changed against the previous one (texts never masked ones)."""

    appeared: tuple[str, ...] = ()
    disappeared: tuple[str, ...] = ()
    changed: tuple[tuple[str, str], ...] = ()
    adds: int = 0
    removes: int = 0

    @property
    def any(self) -> bool:
        return bool(self.adds or self.removes or self.changed)


def _sample(parts: Iterable[str], limit: int = MAX_TEXT) -> str:
    out = ""
    for part in parts:
        nxt = part if not out else f"{out} · {part}"
        if len(nxt) > limit:
            break
        out = nxt
    return out


def change_texts(change: ScreenChange) -> tuple[str, str]:
    """``(text_added, text_removed)`` samples of a change, changed texts first."""
    added = [new for _, new in change.changed] + [t for t in change.appeared if wordy(t)]
    removed = [old for old, _ in change.changed] + [t for t in change.disappeared if wordy(t)]
    return _sample(added), _sample(removed)


def diff(prev: Wireframe | None, cur: Wireframe) -> ScreenChange:
    """Elements (by role and text, masked ones by role and place) that appeared or
    disappeared, and texts that changed in place."""
    before = {} if prev is None else {_key(e): e for e in prev.visible()}
    after = {_key(e): e for e in cur.visible()}
    gone = [e for k, e in before.items() if k not in after]
    new = [e for k, e in after.items() if k not in before]
    changed: list[tuple[str, str]] = []
    paired_old: set[int] = set()
    paired_new: set[int] = set()
    old_texts = [e for e in gone if e.text is not None]
    for n in new:
        if n.text is None:
            continue
        for o in old_texts:
            if id(o) in paired_old or o.role != n.role:
                continue
            if abs(o.x - n.x) <= _CHANGE_NEAR_PT and abs(o.y - n.y) <= _CHANGE_NEAR_PT:
                assert o.text is not None
                changed.append((o.text, n.text))
                paired_old.add(id(o))
                paired_new.add(id(n))
                break
        if len(changed) >= 16:
            break
    appeared = tuple(e.text for e in new if e.text is not None and id(e) not in paired_new)
    disappeared = tuple(e.text for e in gone if e.text is not None and id(e) not in paired_old)
    return ScreenChange(
        appeared=appeared[:32],
        disappeared=disappeared[:32],
        changed=tuple(changed),
        adds=len(new) - len(paired_new),
        removes=len(gone) - len(paired_old),
    )
