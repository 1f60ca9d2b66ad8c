"""The mobile analyzer's queue of actions waiting for their effect windows.

A tap's effect is the next screen change before the next gesture, so actions are held
(in time order) until the stream has passed their effect window; :class:`ActionQueue`
keeps them with the navigations and gesture boundaries the attribution needs
(``_attribution.attribute_click``, the web's rule) and releases them numbered.
"""

from __future__ import annotations

import heapq
from bisect import insort

import msgspec

from ._actions import Action, ClickDetails, ClickEffect
from ._attribution import Boundary, attribute_click
from ._effects import NavMark
from ._signal_config import EffectConfig
from ._tape import Tape

__all__ = ["ActionQueue"]

_TRIM_AT = 4096  # gesture marks kept before those older than the queue are dropped


class ActionQueue:
    """Actions in time order, released once their effect window has passed."""

    def __init__(self, tape: Tape, effects: EffectConfig) -> None:
        self.tape = tape
        self.effects = effects
        self._navs: list[NavMark] = []
        self._click_ts: list[int] = []
        self._marks: list[Boundary] = []  # taps and swipes: where a tap's window ends
        self._done: list[tuple[int, int, Action]] = []
        self._order = 0
        self._seq = 0

    def push(self, action: Action) -> None:
        """Queue an action (its ``seq`` is set on release)."""
        t = action.timestamp
        kind = action.kind
        if kind == "navigation":
            self._navs.append(NavMark(t, 1, "screen", action.url, None))
        elif kind in ("click", "scroll"):
            # A tap's effect (texts) stops at the next gesture, tap or swipe: what
            # follows a swipe is scrolled content, not the tap's doing.
            insort(self._click_ts, t)
            insort(self._marks, Boundary(t, 0, "click", None, None, None))
        self._order += 1
        heapq.heappush(self._done, (t, self._order, action))

    def release(self, *, final: bool, stream_t: float | None, end: float | None) -> list[Action]:
        """The actions whose effect window the stream (at ``stream_t``) has passed; all
        of them when ``final`` (``end``: the stream's end, bounding the last windows)."""
        out: list[Action] = []
        done = self._done
        hold = self.effects.window_ms
        while done:
            t, _, item = done[0]
            if not final and (stream_t is None or stream_t < t + hold):
                break  # a click's effect window is open; later actions wait (time order)
            heapq.heappop(done)
            if item.kind == "click":
                item = self._with_effect(item, end if final else stream_t)
            out.append(msgspec.structs.replace(item, seq=self._seq))
            self._seq += 1
        if len(self._click_ts) > _TRIM_AT and done:
            cutoff = done[0][0]
            self._click_ts = [c for c in self._click_ts if c >= cutoff]
            self._marks = [m for m in self._marks if m.t >= cutoff]
            self._navs = [n for n in self._navs if n.t >= cutoff]
        return out

    def _with_effect(self, click: Action, end: float | None) -> Action:
        details = click.details
        assert isinstance(details, ClickDetails)
        # The web's attribution rule: the window closes at the next gesture (tap or swipe),
        # and a screen change before it is the tap's (`_attribution`).
        effect: ClickEffect = attribute_click(
            click,
            self.tape,
            network=(),
            navigations=self._navs,
            boundaries=self._marks,
            config=self.effects,
            stream_end=int(end) if end is not None else None,
        )
        return msgspec.structs.replace(
            click, details=msgspec.structs.replace(details, effect=effect)
        )
