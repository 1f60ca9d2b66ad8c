"""Following a phone's screens: which wireframe is current, which element a touch lands
on (scaled to touch points, near misses resolved), and when the screen changed."""

from __future__ import annotations

from typing import Any

import msgspec

from ._wireframe import (
    _TITLE_BAND,
    _TITLE_MOVE_PT,
    _TITLED_SIMILARITY,
    INTERACTIVE_ROLES,
    MAX_KNOWN_SCREENS,
    MIN_TARGET_PT,
    NEAR_MISS_PT,
    NEW_SCREEN_SIMILARITY,
    Element,
    Hit,
    ScreenChange,
    Wireframe,
    _jaccard,
    _key,
    _title_element,
    diff,
    screen_title,
)
from ._wireframe_labels import clip, context, label_for, v_overlap

__all__ = ["ScreenTracker"]


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
            ctx = context(probe, elements)
            if ctx is not None:
                label = f'blank spot {ctx[0]} "{clip(ctx[1])}"'
            elif any(
                e.text is None and v_overlap(probe, e) > 0 for e in elements if e.role == "text"
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
