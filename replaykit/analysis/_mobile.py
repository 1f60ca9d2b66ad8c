"""Mobile (screenshot) recordings: taps, swipes and screens instead of DOM clicks.

Mixpanel's Android, iOS, Flutter and React Native SDKs record rrweb-shaped streams with
no DOM: each screen change is a FullSnapshot holding one ``img`` (the screenshot) and an
``mp_wireframe`` Custom event listing the screen's elements; touches are
MouseInteraction events on that image (``mixpanel-replay-protocol.md``, the corpus
README). :class:`MobileAnalyzer` reads them with the same interface as
:class:`~replaykit.analysis._analyzer.ReplayAnalyzer` (``feed``/``finish``,
``coverage``, ``tape``, ``remaining_seconds``) and emits the same :class:`Action` s:

- a **tap** is a ``click`` with ``ClickDetails(button="tap")`` (``long_press`` for a
  long press), named by the wireframe element under the finger (``_wireframe.py``), its
  ``target`` a selector-like path ``<screen> > role[index]``;
- a **swipe** is a ``scroll`` with ``gesture="swipe"`` (``dy`` > 0: the content moved
  up, i.e. the user scrolled down); a cancelled touch that travelled is a scroll with
  ``cancelled=True``, never a tap (gestures: ``_gestures.py``);
- a **screen** is a ``navigation`` with ``how="screen"`` and ``url="app://<title>"``.

It fills the same :class:`Tape` records, so the web detectors run unchanged: every
screenshot after the first and every wireframe change is a :class:`MutationRecord`
(wireframe diffs carry ``text_added``/``text_removed``: what appeared, vanished or
changed), swipes are window :class:`ScrollRecord` s, touches :class:`PointerRecord` s, the
first screen a :class:`DocumentRecord`. A tap's effect is therefore the next screen
change; a tap on a control with no screenshot or wireframe change in the window is a
dead click; 3+ taps on one spot within the rage rule's gaps are a rage click.

:func:`is_screenshot_chunk` tells such a stream from its first chunks; ReplayAnalyzer
hands the stream over (see ``ReplayAnalyzer.feed``).
"""

from __future__ import annotations

import time
from bisect import insort
from typing import Any, Protocol

from .._errors import AnalysisTimeoutError
from ..rrweb._model import (
    CustomEvent,
    EventChunk,
    FullSnapshotEvent,
    IncrementalEvent,
    MetaEvent,
    MouseInteractionData,
    MouseMoveData,
    PluginEvent,
    TouchMoveData,
)
from ._actions import (
    INCREMENTAL_KEYS,
    Action,
    ActionDetails,
    ActionKind,
    ClickDetails,
    Coverage,
    NavigationDetails,
    ScrollDetails,
    TargetKind,
)
from ._gestures import Gesture, GestureConfig, GestureTracker
from ._mobile_detect import (
    PLATFORMS,
    SCREEN_URL_PREFIX,
    WIREFRAME_TAG,
    PlatformHints,
    is_screenshot_chunk,
    screen_of,
    screen_url,
)
from ._mobile_queue import ActionQueue
from ._mobile_text import describe_any, describe_mobile_action, describe_tap_effect, display_url
from ._options import AnalyzerOptions
from ._screens import ScreenTracker
from ._signal_config import EffectConfig
from ._tape import DocumentRecord, MutationRecord, PointerRecord, ScrollRecord, Tape
from ._wireframe import (
    INTERACTIVE_ROLES,
    TEXT_FIELD_ROLES,
    Wireframe,
    change_texts,
    parse_wireframe,
)

__all__ = [
    "PLATFORMS",
    "SCREEN_URL_PREFIX",
    "MobileAnalyzer",
    "describe_any",
    "describe_mobile_action",
    "describe_tap_effect",
    "display_url",
    "is_screenshot_chunk",
    "screen_of",
]

SETTLE_MS = 1_500
"""Wireframes this soon after a swipe are its scrolled content (momentum), not a screen."""
CAPTURE_MS = 150
"""The SDKs capture the screen as a finger goes down: a wireframe this soon after a touch
start shows the screen that was touched (it may be the first capture of a screen that
appeared since the last one), so the tap is resolved against it."""
# Stepper/pager texts: tapping them fast is counting, not anger (the web rage rule's
# ignore list, posthog-js); such taps carry `opt_out` so the rage detector skips them.
_STEPPER_TEXTS = frozenset({"+", "-", "−", "–", ">", "<", "›", "‹", "next", "previous", "prev"})
_POINTER_EVERY_MS = 50
_KIND_KEYS = 200
_TOUCH_DOWN = (7, 1)  # TouchStart, MouseDown (Flutter on the web)
_TOUCH_UP = (9, 0)  # TouchEnd, MouseUp
_TOUCH_CANCEL = 10
_CLICK = 2
_ACTIVE = ("MouseMoveData", "MouseInteractionData", "TouchMoveData", "DragData", "ScrollData")


class _Host(Protocol):
    start_timestamp: int | None
    end_timestamp: int | None


class MobileAnalyzer:
    """One-pass analyzer for a screenshot recording (see the module docstring).

    ``coverage``/``tape`` may be shared with a host analyzer that handed the stream
    over; ``host`` then gets ``start_timestamp``/``end_timestamp`` as they advance.
    """

    def __init__(
        self,
        replay_id: str,
        options: AnalyzerOptions | None = None,
        *,
        effects: EffectConfig | None = None,
        gestures: GestureConfig | None = None,
        coverage: Coverage | None = None,
        tape: Tape | None = None,
        touch_size: tuple[float, float] | None = None,
        start_timestamp: int | None = None,
        host: _Host | None = None,
    ) -> None:
        self.replay_id = replay_id
        self.options = options or AnalyzerOptions()
        self.effects = effects or self.options.effects
        self.coverage = coverage if coverage is not None else Coverage()
        self.tape = tape if tape is not None else Tape()
        self.start_timestamp = start_timestamp
        self.end_timestamp: int | None = None
        self.url: str | None = None
        self._host = host
        self._touch_size = touch_size
        self._gestures = GestureTracker(gestures)
        self.screens = ScreenTracker()
        self._press_wf: Wireframe | None = None  # the screen as the finger went down
        self._press_screen: str | None = None
        self._press_t: int | None = None
        self._captured = False  # the touch-start capture of this press was seen
        self._swipe_end = -(10**15)
        self._last_ts: float | None = None
        self._last_pointer_t = -(10**15)
        self._documents = 0
        self._queue = ActionQueue(self.tape, self.effects)
        self._scroll_y: dict[str | None, float] = {}
        self._mouse_pressed_t: int | None = None
        self._last_tap_end: tuple[int, float, float] | None = None
        self.hints = PlatformHints()
        self._spent = 0.0

    # --- public ---------------------------------------------------------------------------

    @property
    def remaining_seconds(self) -> float | None:
        """Seconds left of ``options.max_seconds`` (None without a budget)."""
        limit = self.options.max_seconds
        return None if limit is None else max(0.0, limit - self._spent)

    @property
    def platform(self) -> str:
        """The recording SDK's platform (:attr:`PlatformHints.platform`)."""
        return self.hints.platform

    def feed(self, chunk: EventChunk) -> list[Action]:
        """Process one chunk; return the actions that can no longer change."""
        started = time.perf_counter()
        cov = self.coverage
        if self._host is None:  # a host analyzer counts its chunks itself
            for key, n in chunk.unknown.items():
                cov.unknown[key] = cov.unknown.get(key, 0) + n
            cov.malformed += chunk.malformed
            cov.too_deep += chunk.too_deep
            cov.repaired_timestamps += chunk.repaired_timestamps
            cov.inversions += chunk.inversions
            cov.input_truncated = cov.input_truncated or chunk.truncated
        for ev in chunk.events:
            self._event(ev)
        out = self._release(final=False)
        self._sync(started)
        return out

    def note_meta(self, href: str | None, size: tuple[int, int] | None) -> None:
        """A Meta the host saw before handing over."""
        if size and size[0] > 0 and size[1] > 0:
            self._touch_size = (float(size[0]), float(size[1]))

    def finish(self) -> list[Action]:
        """Close an open gesture and return the remaining actions."""
        started = time.perf_counter()
        end = self.end_timestamp
        if end is not None:
            g = self._gestures.cancel(end)
            if g is not None:
                self._on_gesture(g)
        self._settle_screen(end or 0)
        cov = self.coverage
        cov.documents = max(cov.documents, self._documents)
        cov.platform = self.platform
        self.tape.first_timestamp = self.start_timestamp
        self.tape.last_timestamp = self.end_timestamp
        out = self._release(final=True)
        self._sync(started)
        return out

    # --- events ---------------------------------------------------------------------------

    def _sync(self, started: float) -> None:
        self._spent += time.perf_counter() - started
        host = self._host
        if host is not None:
            host.start_timestamp = self.start_timestamp
            host.end_timestamp = self.end_timestamp
        elif self.options.max_seconds is not None and self._spent > self.options.max_seconds:
            raise AnalysisTimeoutError(
                f"analysis ran past its time budget (max_seconds={self.options.max_seconds:g})",
                replay_id=self.replay_id,
                seconds=self.options.max_seconds,
            )

    def _count(self, key: str, n: int = 1) -> None:
        events = self.coverage.events
        if key not in events and len(events) >= _KIND_KEYS:
            key = key.split(":", 1)[0] + ":other"
        events[key] = events.get(key, 0) + n

    def _unknown(self, key: str, n: int = 1) -> None:
        unknown = self.coverage.unknown
        if key in unknown or len(unknown) < _KIND_KEYS:
            unknown[key] = unknown.get(key, 0) + n

    def _event(self, ev: Any) -> None:
        ts = ev.timestamp
        t = int(ts)
        if self.start_timestamp is None:
            self.start_timestamp = t
        if self._last_ts is not None and ts < self._last_ts:
            self.coverage.late_events += 1
        else:
            self._last_ts = ts
        if self.end_timestamp is None or t > self.end_timestamp:
            self.end_timestamp = t
        stale = self._gestures.expire(t)
        if stale is not None:
            self._on_gesture(stale)
        if self.screens.pending and not self._gestures.pressed:
            self._settle_screen(t)
        cls = type(ev)
        activity = self.tape.activity
        if cls is IncrementalEvent:
            data = ev.data
            name = type(data).__name__
            self._count(INCREMENTAL_KEYS.get(name, "incremental:" + name))
            activity.append((t, name in _ACTIVE))
            if isinstance(data, MouseInteractionData):
                self._on_interaction(t, data)
            elif isinstance(data, TouchMoveData | MouseMoveData):
                self._on_moves(t, data)
            return
        activity.append((t, False))
        if cls is MetaEvent:
            self._count("meta")
            d = ev.data
            if d.width > 0 and d.height > 0:
                self._touch_size = (float(d.width), float(d.height))
            self.hints.note_meta(d)
        elif cls is FullSnapshotEvent:
            self._count("full_snapshot")
            self._on_screenshot(t)
        elif cls is CustomEvent:
            tag = ev.data.tag
            self._count(f"custom:{tag}")
            if tag == WIREFRAME_TAG:
                self._on_wireframe(t, ev.data.payload)
            else:
                self.hints.note_payload(ev.data.payload)
        elif cls is PluginEvent:
            self._count(f"plugin:{ev.data.plugin}")
        else:
            self._count(type(ev).__name__.removesuffix("Event").lower() or "event")

    def _on_screenshot(self, t: int) -> None:
        cov = self.coverage
        cov.snapshots += 1
        if self._documents == 0:
            self._start_document(t)
            return
        if self._gestures.pressed:
            # The SDK's capture of the touch itself (it screenshots as a finger goes
            # down and while it moves): not a reaction to anything.
            self._count("screenshot:during_touch")
            return
        # A new screenshot: the screen's pixels changed (one image replaced another).
        self.tape.mutations.append(MutationRecord(t=t, document=1, source=0, adds=1, removes=1))

    def _start_document(self, t: int) -> None:
        self._documents = 1
        w, h = self._touch_size or (0.0, 0.0)
        self.tape.documents.append(
            DocumentRecord(
                t=t, document=1, url=self.url, new_document=True, width=int(w), height=int(h)
            )
        )

    def _on_wireframe(self, t: int, payload: Any) -> None:
        wf = parse_wireframe(payload, t, self._touch_size)
        if wf is None:
            # Not a wireframe payload (counted apart: `malformed` counts non-events).
            self._unknown("wireframe:malformed")
            return
        if wf.dropped:
            self._unknown("wireframe:elements_over_cap", wf.dropped)
        if wf.malformed:
            self._unknown("wireframe:malformed_elements", wf.malformed)
        change = self.screens.observe(wf)
        press_t = self._press_t if self._gestures.pressed else None
        capture = press_t is not None and not self._captured and t - press_t <= CAPTURE_MS
        if change.any:
            added, removed = change_texts(change)
            # The capture of the touched screen shows what was there before the press.
            at = press_t - 1 if capture and press_t is not None else t
            insort(
                self.tape.mutations,
                MutationRecord(
                    t=at,
                    document=1,
                    source=0,
                    adds=change.adds,
                    removes=change.removes,
                    texts=len(change.changed),
                    text_added=added,
                    text_removed=removed,
                ),
                key=lambda r: r.t,
            )
        if self._gestures.pressed:
            if capture and press_t is not None:
                # The capture of the touched screen: settled now, as of just before the
                # press, and the press is resolved against it.
                self._captured = True
                self._settle_screen(press_t - 1, at=press_t - 1)
                self._press_wf = wf
                self._press_screen = self.screens.name
            return  # later ones wait for the finger: a swipe scrolls, a tap may navigate
        self._settle_screen(t)

    def _settle_screen(self, t: int, *, at: int | None = None) -> None:
        """Decide whether the pending wireframe opened a new screen (``at``: the
        navigation's time, default the wireframe's)."""
        screens = self.screens
        if not screens.pending:
            return
        wf_t = screens.current.t if screens.current is not None else t
        if screens.name is not None and wf_t - self._swipe_end <= SETTLE_MS:
            screens.confirm()  # scrolled content after a swipe
            return
        previous = self.url
        name = screens.decide()
        if name is None:
            return
        self.url = screen_url(name)
        when = wf_t if at is None else at
        if self._documents == 0:
            self._start_document(when)
        self._emit(
            when,
            "navigation",
            NavigationDetails(how="screen", from_url=previous, document=1),
            target=name,
            label=name,
        )

    # --- touches --------------------------------------------------------------------------

    def _pointer(self, t: int, x: float | None, y: float | None, kind: str) -> None:
        if x is None or y is None:
            return
        if kind == "move":
            if t - self._last_pointer_t < _POINTER_EVERY_MS:
                return
            self._last_pointer_t = t
        self.tape.pointer.append(PointerRecord(t=t, document=1, x=x, y=y, kind=kind))

    def _on_interaction(self, t: int, data: MouseInteractionData) -> None:
        kind = data.type
        x, y = data.x, data.y
        if kind in _TOUCH_DOWN:
            if kind == 7:
                self.hints.touch = True
            else:
                self.hints.mouse = True
            self.hints.note_position(x, y)
            self._pointer(t, x, y, "down")
            # Hit tests use the screen as the finger went down, even if it changes
            # during the press.
            previous = self._gestures.down(t, x, y)
            if previous is not None:
                self._on_gesture(previous)
            self._settle_screen(t)
            self._press_wf = self.screens.current
            self._press_screen = self.screens.name
            self._press_t = t
            self._captured = False
        elif kind in _TOUCH_UP:
            self._pointer(t, x, y, "up")
            g = self._gestures.up(t, x, y)
            if g is not None:
                self._on_gesture(g)
        elif kind == _TOUCH_CANCEL:
            g = self._gestures.cancel(t, x, y)
            if g is not None:
                self._on_gesture(g)
        elif kind == _CLICK:
            # A Click right after a Down/Up pair at the same spot is that pair's tap
            # (Flutter on the web records all three); a lone Click is a tap of its own.
            last = self._last_tap_end
            if last is not None and t - last[0] <= 1_000:
                return
            if x is not None and y is not None:
                self.hints.mouse = True
                self._settle_screen(t)
                self._press_wf = self.screens.current
                self._press_screen = self.screens.name
                self._press_t = t
                self._gestures.down(t, x, y)
                g = self._gestures.up(t, x, y)
                if g is not None:
                    self._on_gesture(g)

    def _on_moves(self, t: int, data: TouchMoveData | MouseMoveData) -> None:
        for p in data.positions[:256]:
            pt = int(t + p.time_offset)
            if isinstance(data, TouchMoveData):
                self.hints.note_position(p.x, p.y)
            self._pointer(pt, p.x, p.y, "touch" if isinstance(data, TouchMoveData) else "move")
            g = self._gestures.move(pt, p.x, p.y)
            if g is not None:
                self._on_gesture(g)

    def _on_gesture(self, g: Gesture) -> None:
        if g.kind in ("tap", "long_press"):
            self._last_tap_end = (g.t_end, g.x1, g.y1)
            self._tap(g)
        elif g.travel > self._gestures.config.slop:
            self._swipe(g)
        else:
            self._count("gesture:cancelled")
        self._press_wf = None
        self._press_t = None
        # The wireframes that arrived during the press: a swipe's are scrolled content.
        self._settle_screen(g.t_end)

    def _tap(self, g: Gesture) -> None:
        wf = self._press_wf if self._press_wf is not None else self.screens.current
        hit = self.screens.hit(g.x0, g.y0, wf, self._press_screen)
        e = hit.element
        target_kind: TargetKind | None
        if e is None:
            target_kind = None
        elif e.role in TEXT_FIELD_ROLES:
            target_kind = "text_field"
        else:
            target_kind = "control"
        role = e.role if e is not None else None
        # The tap's time is the press (when the platform's controls react, and before
        # the SDK's own capture of it); effects are read from there.
        self._emit(
            g.t_start,
            "click",
            ClickDetails(
                button="tap",
                x=g.x0,
                y=g.y0,
                tag=role,
                target_kind=target_kind,
                long_press=g.kind == "long_press",
                near_miss_pt=hit.distance if hit.near_miss else None,
                opt_out=e is not None and (e.text or "").strip().lower() in _STEPPER_TEXTS,
            ),
            target=hit.target,
            label=hit.label,
        )
        if e is not None and e.role not in INTERACTIVE_ROLES and e.text is None:
            self._count("tap:unnamed")

    def _swipe(self, g: Gesture) -> None:
        # The content follows the finger: a finger moving up scrolls the screen down.
        dx, dy = g.x0 - g.x1, g.y0 - g.y1
        key = self.screens.name
        y = max(0.0, self._scroll_y.get(key, 0.0) + dy)
        self._scroll_y[key] = y
        if not g.cancelled:
            self._swipe_end = g.t_end
        self.tape.scrolls.append(
            ScrollRecord(t=g.t_end, document=1, node_id=0, x=0, y=y, is_window=True)
        )
        name = self._press_screen or self.screens.name
        self._emit(
            g.t_start,
            "scroll",
            ScrollDetails(
                target="window",
                x=0,
                y=y,
                dx=round(dx, 1),
                dy=round(dy, 1),
                events=g.samples,
                t_end_ms=max(0, g.t_end - (self.start_timestamp or g.t_end)),
                gesture="swipe",
                cancelled=g.cancelled,
            ),
            target=name,
            label=name,
        )

    # --- emission -------------------------------------------------------------------------

    def _emit(
        self,
        t: int,
        kind: ActionKind,
        details: ActionDetails,
        *,
        target: str | None = None,
        label: str | None = None,
    ) -> None:
        action = Action(
            replay_id=self.replay_id,
            seq=-1,
            kind=kind,
            t_ms=max(0, t - (self.start_timestamp or t)),
            timestamp=t,
            target=target,
            label=label,
            url=self.url,
            document=1,
            details=details,
        )
        self._queue.push(action)

    def _release(self, *, final: bool) -> list[Action]:
        return self._queue.release(final=final, stream_t=self._last_ts, end=self.end_timestamp)
