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
- **naming** (:func:`label_for`): an element's own text when it reads as words; otherwise
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
from collections.abc import Iterable, Sequence
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
    "ScreenTracker",
    "Wireframe",
    "label_for",
    "parse_wireframe",
    "screen_title",
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
_LABEL_MAX = 120
_COLUMN_GAP_PT = 24.0

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


def _wordy(text: str) -> bool:
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
        if text is None or len(text) > _TITLE_MAX_CHARS or not _wordy(text):
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
    added = [new for _, new in change.changed] + [t for t in change.appeared if _wordy(t)]
    removed = [old for old, _ in change.changed] + [t for t in change.disappeared if _wordy(t)]
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


def _v_overlap(a: Element, b: Element) -> float:
    return min(a.bottom, b.bottom) - max(a.y, b.y)


def _h_overlap(a: Element, b: Element) -> float:
    return min(a.right, b.right) - max(a.x, b.x)


def _context(e: Element, elements: Sequence[Element]) -> tuple[str, str] | None:
    """The nearest readable text around ``e``: ``("next to", text)`` in its row,
    ``("in", text)`` of a container, ``("above"/"below", text)`` in its column."""
    row: list[tuple[int, float, Element]] = []
    column: list[tuple[int, float, str, Element]] = []
    container: Element | None = None
    cx, cy = e.x + e.w / 2, e.y + e.h / 2
    for o in elements:
        if o is e or o.text is None:
            continue
        rank = (0 if o.role == "text" else 1) if _wordy(o.text) else 2
        if o.w * o.h > e.w * e.h and o.contains(cx, cy):
            if container is None or o.w * o.h < container.w * container.h:
                container = o
            continue
        vo = _v_overlap(e, o)
        if vo > 0 and vo >= 0.5 * min(e.h, o.h):
            gap = max(o.x - e.right, e.x - o.right, 0.0)
            row.append((rank, gap, o))
            continue
        ho = _h_overlap(e, o)
        if ho > 0 and ho >= 0.5 * min(e.w, o.w):
            if 0 <= o.y - e.bottom <= _COLUMN_GAP_PT:
                column.append((rank, o.y - e.bottom, "above", o))
            elif 0 <= e.y - o.bottom <= _COLUMN_GAP_PT:
                column.append((rank, e.y - o.bottom, "below", o))
    if container is not None and container.text is not None and _wordy(container.text):
        return "in", container.text
    if row:
        best = min(row, key=lambda r: (r[0], r[1]))
        if best[0] < 2 or not column:
            assert best[2].text is not None
            return "next to", best[2].text
    if column:
        c = min(column, key=lambda r: (r[0], r[1]))
        assert c[3].text is not None
        return c[2], c[3].text
    return None


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_for(e: Element, elements: Sequence[Element]) -> str:
    """What a person would call ``e``: its text when it reads as words, else its text or
    role with the nearest readable text around it. Masked text is never shown."""
    if e.text is not None and _wordy(e.text):
        return _clip(e.text, _LABEL_MAX)
    base = f'"{_clip(e.text, 30)}"' if e.text is not None else e.role
    if e.text is None and e.role == "text":
        base = "masked text"
    ctx = _context(e, elements)
    if ctx is not None:
        return f'{base} {ctx[0]} "{_clip(ctx[1])}"'[:_LABEL_MAX]
    if e.text is not None:
        return _clip(e.text, _LABEL_MAX)
    # No readable text around it: say which one of a row of alike elements it is.
    alike = sorted(
        (o for o in elements if o.role == e.role and _v_overlap(e, o) >= 0.5 * min(e.h, o.h)),
        key=lambda o: o.x,
    )
    if len(alike) > 1 and e in alike:
        return f"{base} {alike.index(e) + 1} of {len(alike)} in its row"
    return f"{base} at ({e.x + e.w / 2:.0f}, {e.y + e.h / 2:.0f})"


def _rank(e: Element) -> tuple[int, int, float]:
    interactive = 0 if e.role in INTERACTIVE_ROLES else 1
    texted = 0 if e.text is not None else 1
    return (interactive, texted, e.w * e.h)


class _Known(msgspec.Struct):
    name: str
    keys: frozenset[tuple[Any, ...]]


class ScreenTracker:
    """The current screen: its latest wireframe (for hit tests and diffs) and its name.

    :meth:`observe` takes every wireframe; the caller then either :meth:`decide` s whether
    it opened a new screen or :meth:`confirm` s it as the same screen (e.g. after a
    swipe: scrolled content is not a new screen).
    """

    def __init__(self) -> None:
        self.current: Wireframe | None = None
        self.name: str | None = None  # the current screen's name (title or fallback)
        self.title: str | None = None
        self._title_y: float | None = None
        self._screen_keys: frozenset[tuple[Any, ...]] = frozenset()
        self._known: list[_Known] = []
        self._unnamed = 0
        self.pending = False  # a wireframe waits for decide/confirm
        self.wireframes = 0

    def observe(self, wf: Wireframe) -> ScreenChange:
        change = diff(self.current, wf)
        self.current = wf
        self.pending = True
        self.wireframes += 1
        return change

    def confirm(self) -> None:
        """The latest wireframe is the same screen (scrolled or re-rendered)."""
        if self.current is None or not self.pending:
            return
        self.pending = False
        if self.name is None:
            self._open(self.current)
            return
        keys = self._keys(self.current)
        # Scrolled: follow the title up the screen (large iOS titles scroll away).
        if self.title is not None:
            for e in self.current.visible():
                if e.text == self.title and e.y < self.current.height * _TITLE_BAND:
                    self._title_y = e.y
                    break
        self._screen_keys = keys

    def decide(self) -> str | None:
        """Whether the latest wireframe opened a new screen: its name if so, else None."""
        wf = self.current
        if wf is None or not self.pending:
            return None
        self.pending = False
        if self.name is None:
            return self._open(wf)
        keys = self._keys(wf)
        title = screen_title(wf, avoid=self.title)
        similarity = _jaccard(keys, self._screen_keys)
        if title is not None and title == self.title:
            self._keep(wf, keys)
            return None
        if (
            title is not None
            and self.title is not None
            and self._old_title(wf) is None
            and similarity < _TITLED_SIMILARITY
        ):
            # A new title with the old one gone from its place and a good part of the
            # elements new: a new screen (scrolling changes the top-most text, not most
            # of the elements).
            return self._open(wf, title, keys)
        if similarity < NEW_SCREEN_SIMILARITY:
            return self._open(wf, title, keys)
        self._keep(wf, keys)
        return None

    def _old_title(self, wf: Wireframe) -> Element | None:
        """The current title's element in ``wf``, near where the title was."""
        y = self._title_y
        for e in wf.visible():
            if e.text == self.title and (y is None or abs(e.y - y) <= _TITLE_MOVE_PT):
                return e
        return None

    def _keep(self, wf: Wireframe, keys: frozenset[tuple[Any, ...]]) -> None:
        self._screen_keys = keys
        old = self._old_title(wf)
        if old is not None:
            self._title_y = old.y

    @staticmethod
    def _keys(wf: Wireframe) -> frozenset[tuple[Any, ...]]:
        return frozenset(_key(e) for e in wf.visible())

    def _open(
        self,
        wf: Wireframe,
        title: str | None = None,
        keys: frozenset[tuple[Any, ...]] | None = None,
    ) -> str:
        keys = self._keys(wf) if keys is None else keys
        title = screen_title(wf) if title is None else title
        name = title
        if name is None:
            best = max(self._known, key=lambda k: _jaccard(keys, k.keys), default=None)
            if best is not None and _jaccard(keys, best.keys) >= 0.6:
                name = best.name
            else:
                self._unnamed += 1
                name = f"screen {self._unnamed}"
        if len(self._known) < MAX_KNOWN_SCREENS and all(k.name != name for k in self._known):
            self._known.append(_Known(name, keys))
        self.name, self.title, self._screen_keys = name, title, keys
        element = _title_element(wf) if title is not None else None
        self._title_y = element.y if element is not None and element.text == title else None
        if title is not None and self._title_y is None:
            self._title_y = next((e.y for e in wf.visible() if e.text == title), None)
        return name

    def hit(
        self, px: float, py: float, wf: Wireframe | None = None, screen: str | None = None
    ) -> Hit:
        """Resolve a tap at ``(px, py)`` against ``wf`` (default: the current wireframe)."""
        wf = self.current if wf is None else wf
        screen = (screen or self.name or "screen").replace(">", "›")
        where = f"({px:.0f}, {py:.0f})"
        if wf is None:
            return Hit(None, 0.0, f"{screen} > blank", f"the screen at {where}")
        elements = wf.visible()
        inside = [e for e in elements if e.contains(px, py)]
        chosen: Element | None = None
        distance = 0.0
        if inside:
            chosen = min(inside, key=_rank)
        else:
            near = [
                (d, _rank(e), e)
                for e in elements
                if (d := e.target_distance(px, py)) <= NEAR_MISS_PT
            ]
            if near:
                distance, _, chosen = min(near, key=lambda n: (n[0], n[1]))
        if chosen is None:
            half = MIN_TARGET_PT / 2
            probe = Element("blank", None, px - 1, py - half, 2, 2 * half)
            ctx = _context(probe, elements)
            if ctx is not None:
                label = f'blank spot {ctx[0]} "{_clip(ctx[1])}"'
            elif any(
                e.text is None and _v_overlap(probe, e) > 0 for e in elements if e.role == "text"
            ):
                label = f"blank spot next to masked text at {where}"
            else:
                label = f"blank spot at {where}"
            return Hit(None, 0.0, f"{screen} > blank", label)
        same = sorted(
            (e for e in elements if e.role == chosen.role),
            key=lambda e: (round(e.y / 4), round(e.x / 4), e.index),
        )
        index = next((i for i, e in enumerate(same) if e is chosen), 0)
        return Hit(
            chosen,
            round(distance, 1),
            f"{screen} > {chosen.role}[{index}]",
            label_for(chosen, elements),
            near_miss=not inside,
        )
