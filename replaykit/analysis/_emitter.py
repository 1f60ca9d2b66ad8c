"""The analyzer's output side: held-back actions released in time order, with click effects.

Actions are pushed on a heap keyed by time, because a burst (typing, a scroll gesture) is
only finished after later events were seen; a click is held back until its effect window
has passed in the stream, then its effect is read from the tape
(:func:`~replaykit.analysis._attribution.attribute_click`). Also here: naming a target
(lifting, selector, label, form, field type) and opening and closing bursts.
"""

from __future__ import annotations

import heapq
import re

import msgspec

from ._actions import (
    Action,
    ActionDetails,
    ActionKind,
    ClickDetails,
    ClickEffect,
    InputDetails,
    NavigationDetails,
    ScrollDetails,
    SelectionDetails,
    ViewportDetails,
)
from ._attribution import Boundary, attribute_click
from ._effects import NavMark
from ._labels import is_masked_text, lift_target
from ._state import _AnalyzerState, _Burst
from ._tape import (
    NetworkRecord,
)

__all__: list[str] = []

_MAX_PRESS_MS = 1_000  # a press this long before its click still began it
_MAX_OPEN_BURSTS = 32  # input/scroll bursts open at once (see `_open_burst`)
_FORM_DEPTH = 40  # ancestors searched for a field's <form>
_SENSITIVE_NAME = re.compile(r"(pass|pwd|secret|token|card|cc-?num|cvv|cvc|iban|ssn)", re.I)


class _Emitter(_AnalyzerState):
    """Emission, release and bursts (see the module doc)."""

    def _t_ms(self, t: int) -> int:
        start = self.start_timestamp or 0
        return max(0, t - start)

    def _push(self, t: int, item: Action) -> int:
        self._order += 1
        heapq.heappush(self._done, (t, self._order, item))
        return self._order

    def _emit(
        self,
        t: int,
        kind: ActionKind,
        details: ActionDetails,
        *,
        node_id: int | None = None,
        target: str | None = None,
        label: str | None = None,
    ) -> int:
        # seq and t_ms are assigned on release, so a placeholder Action is stored here.
        if kind == "navigation" and isinstance(details, NavigationDetails):
            self._navs.append(
                NavMark(t, max(self._documents, 1), details.how, self.url, self.window_id, self._ev)
            )
        elif kind == "click":
            self._marks.append(
                Boundary(
                    t,
                    self._ev,
                    "click",
                    self.window_id,
                    node_id,
                    (target, label),
                    *self._press_of(t),
                )
            )
            self._ambient.user_action(t, node_id)
        action = Action(
            replay_id=self.replay_id,
            seq=-1,
            kind=kind,
            t_ms=self._t_ms(t),
            timestamp=t,
            node_id=node_id,
            target=target,
            label=label,
            url=self.url,
            document=max(self._documents, 1),
            window_id=self.window_id,
            details=details,
        )
        order = self._push(t, action)
        if kind == "click":
            press, press_order = self._press_of(t)
            self._click_orders[order] = (
                self._ev,
                (press, press_order) if press is not None else None,
            )
            self._click_t_prev = t
        return order

    def _press_of(self, t: int) -> tuple[int | None, int]:
        """The press (time, stream order) the click at ``t`` began with, if one was seen
        since the previous click and within a second."""
        press_t, press_order = self._press
        if press_order and 0 <= t - press_t <= _MAX_PRESS_MS and press_t >= self._click_t_prev:
            return press_t, press_order
        return None, 0

    def _release(self, *, final: bool) -> list[Action]:
        horizon = None if final else min((b.first_t for b in self._open.values()), default=None)
        out: list[Action] = []
        done = self._done
        stream_t = self._last_ts
        hold = self.effects.window_ms
        network: list[NetworkRecord] | None = None
        effects: dict[tuple[int, int, str | None, int | None], ClickEffect] = {}
        while done and (horizon is None or done[0][0] < horizon):
            t, order, item = done[0]
            is_click = item.kind == "click"
            if is_click and not final and (stream_t is None or stream_t < t + hold):
                break  # its effect window is still open; later actions wait (time order)
            heapq.heappop(done)
            if self._last_click is not None and self._last_click[2] == order:
                self._last_click = None
            if self._doubles and order in self._doubles:
                self._doubles.discard(order)
                if isinstance(item.details, ClickDetails):
                    details = msgspec.structs.replace(item.details, double=True)
                    item = msgspec.structs.replace(item, details=details)
            click_order, click_press = (
                self._click_orders.pop(order, (0, None)) if is_click else (0, None)
            )
            if is_click:
                if network is None:
                    # Requests get epoch times from a per-document origin estimate that
                    # only tightens as requests arrive; mid-stream it is the best so far.
                    network = self.tape.network if final else self._network.records()
                item = self._with_effect(item, click_order, click_press, network, final, effects)
            out.append(msgspec.structs.replace(item, seq=self._seq))
            self._seq += 1
        self._prune_effect_state()
        return out

    def _with_effect(
        self,
        click: Action,
        order: int,
        press: tuple[int, int] | None,
        network: list[NetworkRecord],
        final: bool,
        known: dict[tuple[int, int, str | None, int | None], ClickEffect],
    ) -> Action:
        details = click.details
        if not isinstance(details, ClickDetails):
            return click
        end = self.end_timestamp if final else self._last_ts
        stream_end = int(end) if end is not None else None
        # Clicks at one instant on one target (a storm at one timestamp) share an effect
        # instead of each reading the tape.
        key = (click.timestamp, click.node_id or -1, click.window_id, stream_end)
        effect = known.get(key)
        if effect is None:
            effect = known[key] = attribute_click(
                click,
                self.tape,
                network=network,
                navigations=self._navs,
                boundaries=self._marks,
                config=self.effects,
                order=order,
                press=press,
                stream_end=stream_end,
            )
        return msgspec.structs.replace(
            click, details=msgspec.structs.replace(details, effect=effect)
        )

    def _prune_effect_state(self) -> None:
        """Forget navigations and boundaries no held click can need any more."""
        # Only once the lists doubled since the last pass: when nothing can go (clicks all
        # held, e.g. at one timestamp) a pass per chunk would be quadratic.
        if len(self._navs) + len(self._marks) < max(512, 2 * self._kept_marks):
            return
        cutoff = self._done[0][0] if self._done else (self._last_ts or 0)
        self._navs = [n for n in self._navs if n.t >= cutoff]
        self._marks = [m for m in self._marks if m.t >= cutoff]
        self._kept_marks = len(self._navs) + len(self._marks)

    def _describe(self, node_id: int) -> tuple[int, str | None, str | None]:
        """Lift to the interactive target and name it; unknown nodes stay unnamed."""
        dom = self.dom
        if node_id not in dom:
            return node_id, None, f"unknown element #{node_id}"
        lifted = lift_target(dom, node_id)
        return (
            lifted,
            self.options.selector_fn(dom, lifted),
            self.options.label_fn(dom, lifted),
        )

    def _form_of(self, node_id: int) -> str | None:
        """The selector of the nearest ``<form>`` around a node (None outside forms)."""
        dom = self.dom
        if node_id not in dom:
            return None
        for depth, ancestor in enumerate(dom.ancestors(node_id)):
            if depth >= _FORM_DEPTH:
                break
            if dom.tag(ancestor) == "form":
                return self.options.selector_fn(dom, ancestor)
        return None

    def _field_type(self, node_id: int | None) -> str:
        if node_id is None or node_id not in self.dom:
            return "text"
        tag = self.dom.tag(node_id)
        if tag == "input":
            return (self.dom.attr(node_id, "type") or "text").lower()
        return tag or "text"

    def _is_sensitive(self, node_id: int | None) -> bool:
        if node_id is None or node_id not in self.dom:
            return False
        dom = self.dom
        if dom.attr(node_id, "data-rr-is-password") is not None:
            return True
        for attr in ("name", "id", "autocomplete"):
            value = dom.attr(node_id, attr)
            if value and (_SENSITIVE_NAME.search(value) or value.startswith("cc-")):
                return True
        return False

    def _open_burst(self, key: tuple[str, int | None], burst: _Burst) -> None:
        if len(self._open) >= _MAX_OPEN_BURSTS:
            # Every event looks at every open burst (`_close_stale`): a recording typing or
            # scrolling on thousands of nodes at once made that quadratic. People keep a few
            # bursts open at a time, so past the cap the oldest one is closed early.
            oldest = next(iter(self._open))
            self._close(self._open.pop(oldest))
        self._open[key] = burst

    def _close_stale(self, t: int) -> None:
        opts = self.options
        for key, burst in list(self._open.items()):
            kind = burst.kind
            if kind == "input":
                gap = opts.input_debounce_ms
            elif kind == "scroll":
                gap = opts.scroll_gap_ms
            elif kind == "selection":
                gap = opts.selection_debounce_ms
            else:
                gap = opts.viewport_debounce_ms
            if t - burst.last_t >= gap:
                del self._open[key]
                self._close(burst)

    def _close(self, b: _Burst) -> None:
        details: ActionDetails
        if b.kind == "input":
            field_type = self._field_type(b.node_id)
            masked = bool(b.text) and is_masked_text(b.text)
            sensitive = field_type == "password" or self._is_sensitive(b.node_id)
            details = InputDetails(
                field_type=field_type,
                length=len(b.text),
                value=None if (masked or sensitive) else b.text,
                masked=masked or (sensitive and field_type == "password"),
                sensitive=sensitive,
                chars_added=b.added,
                chars_removed=b.removed,
                events=b.count,
                t_end_ms=self._t_ms(b.last_t),
                form=b.form,
                correction=b.correction,
            )
        elif b.kind == "scroll":
            if b.x == b.start_x and b.y == b.start_y:
                # Ended where it started (a restore to the same spot, a bounce): no line.
                events = self.coverage.events
                events["scroll_zero"] = events.get("scroll_zero", 0) + 1
                return
            details = ScrollDetails(
                target="window" if b.target is None else "element",
                x=b.x,
                y=b.y,
                dx=b.x - b.start_x,
                dy=b.y - b.start_y,
                events=b.count,
                t_end_ms=self._t_ms(b.last_t),
                programmatic=b.programmatic,
            )
        elif b.kind == "selection":
            details = SelectionDetails(text=b.text, chars=len(b.text))
        else:
            details = ViewportDetails(width=int(b.x), height=int(b.y))
        # A selection is done when the drag ends; other bursts are dated by their start.
        t = b.last_t if b.kind == "selection" else b.first_t
        action = Action(
            replay_id=self.replay_id,
            seq=-1,
            kind=b.kind,
            t_ms=self._t_ms(t),
            timestamp=t,
            node_id=b.node_id,
            target=b.target,
            label=b.label,
            url=b.url,
            document=max(self._documents, 1),
            window_id=self.window_id,
            details=details,
        )
        self._push(t, action)
