"""Touch gestures from a mobile (screenshot) recording: tap, long press, swipe, cancelled.

Mixpanel's mobile SDKs record the finger as rrweb MouseInteraction events on the
screenshot node (``7`` touch start, ``9`` touch end, ``10`` touch cancel) plus TouchMove
samples (source 6); Flutter on the web records mouse Down / Up / Click (``1`` / ``0`` /
``2``) instead. :class:`GestureTracker` turns one pointer's samples into
:class:`Gesture` s with a small state machine:

- **tap**: the pointer went down and up, never travelling more than
  :attr:`GestureConfig.slop` from where it went down, in less than
  :attr:`GestureConfig.long_press_ms`;
- **long press**: the same, held at least ``long_press_ms``;
- **swipe** (a scroll or fling): it travelled more than ``slop`` at any point (a finger
  that goes out and comes back is still a swipe, never a tap);
- **cancelled**: the system took the touch away (touch cancel), whatever it was so far;
  never a tap.

Thresholds and where they come from:

- ``slop = 10`` points: Android's ``ViewConfiguration`` touch slop is 8 dp
  (``config_viewConfigurationTouchSlop``); UIKit's pan recognizer starts after roughly
  10 pt of travel. The recordings' touch space is logical points/dp, so one value serves
  both; the larger one keeps a slightly shaky tap a tap.
- ``long_press_ms = 500``: Android ``ViewConfiguration.getLongPressTimeout()`` default
  (500 ms; 400 ms on some newer releases) and UIKit
  ``UILongPressGestureRecognizer.minimumPressDuration`` default (0.5 s).
- ``stale_ms = 30_000``: a pointer down for longer with no end is closed as cancelled (a
  lost touch-end must not hold the gesture open forever).
"""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

import msgspec

__all__ = ["Gesture", "GestureConfig", "GestureKind", "GestureTracker"]

GestureKind: TypeAlias = Literal["tap", "long_press", "swipe", "cancelled"]


class GestureConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Travel and duration thresholds (see the module docstring for their sources)."""

    slop: float = 10.0
    long_press_ms: int = 500
    stale_ms: int = 30_000


class Gesture(msgspec.Struct, frozen=True, kw_only=True):
    """One finished gesture. ``x0``/``y0`` where the pointer went down, ``x1``/``y1`` where
    it ended; ``travel`` the largest distance from the start at any sample; ``samples``
    the positions seen (down, moves, up). ``cancelled`` is set for a touch cancel (kind
    ``cancelled``) or a gesture cut short by a new press or a stale pointer."""

    kind: GestureKind
    t_start: int
    t_end: int
    x0: float
    y0: float
    x1: float
    y1: float
    travel: float = 0.0
    samples: int = 1
    cancelled: bool = False

    @property
    def duration_ms(self) -> int:
        return max(0, self.t_end - self.t_start)


class _Open:
    __slots__ = ("samples", "t", "travel", "x", "x_last", "y", "y_last")

    def __init__(self, t: int, x: float, y: float) -> None:
        self.t = t
        self.x = x
        self.y = y
        self.x_last = x
        self.y_last = y
        self.travel = 0.0
        self.samples = 1


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


class GestureTracker:
    """One pointer's state machine. Feed it ``down``/``move``/``up``/``cancel`` in time
    order; each call that finishes a gesture returns it."""

    def __init__(self, config: GestureConfig | None = None) -> None:
        self.config = config or GestureConfig()
        self._open: _Open | None = None
        self.interrupted = 0  # presses that started while another was still down

    @property
    def pressed(self) -> bool:
        """Whether a pointer is down now."""
        return self._open is not None

    def down(self, t: int, x: float | None, y: float | None) -> Gesture | None:
        """A press began; a press still open is closed as cancelled and returned."""
        previous = None
        if self._open is not None:
            self.interrupted += 1
            previous = self._close(t, None, None, cancelled=True)
        if _finite(x) and _finite(y):
            assert x is not None and y is not None
            self._open = _Open(t, x, y)
        return previous

    def move(self, t: int, x: float | None, y: float | None) -> Gesture | None:
        """A position while pressed (ignored when no press is open)."""
        g = self._open
        if g is None or not (_finite(x) and _finite(y)):
            return None
        assert x is not None and y is not None
        if t - g.t > self.config.stale_ms:
            return self._close(t, None, None, cancelled=True)
        g.samples += 1
        g.x_last, g.y_last = x, y
        g.travel = max(g.travel, math.hypot(x - g.x, y - g.y))
        return None

    def up(self, t: int, x: float | None, y: float | None) -> Gesture | None:
        """The pointer lifted: the gesture is finished (None without an open press)."""
        if self._open is None:
            return None
        return self._close(t, x, y, cancelled=False)

    def cancel(self, t: int, x: float | None = None, y: float | None = None) -> Gesture | None:
        """The system cancelled the touch."""
        if self._open is None:
            return None
        return self._close(t, x, y, cancelled=True)

    def expire(self, t: int) -> Gesture | None:
        """Close a press held longer than ``stale_ms`` (a lost touch end)."""
        g = self._open
        if g is None or t - g.t <= self.config.stale_ms:
            return None
        return self._close(t, None, None, cancelled=True)

    def _close(self, t: int, x: float | None, y: float | None, *, cancelled: bool) -> Gesture:
        g = self._open
        assert g is not None
        self._open = None
        if _finite(x) and _finite(y):
            assert x is not None and y is not None
            g.samples += 1
            g.x_last, g.y_last = x, y
            g.travel = max(g.travel, math.hypot(x - g.x, y - g.y))
        cfg = self.config
        t_end = max(t, g.t)
        kind: GestureKind
        if cancelled:
            kind = "cancelled"
        elif g.travel > cfg.slop:
            kind = "swipe"
        elif t_end - g.t >= cfg.long_press_ms:
            kind = "long_press"
        else:
            kind = "tap"
        return Gesture(
            kind=kind,
            t_start=g.t,
            t_end=t_end,
            x0=g.x,
            y0=g.y,
            x1=g.x_last,
            y1=g.y_last,
            travel=round(g.travel, 1),
            samples=g.samples,
            cancelled=cancelled,
        )
