"""What the person did: pointer positions, clicks and taps, inputs (with corrections),
choices and toggles, scroll gestures (one per leg), selections and window resizes."""

from __future__ import annotations

from typing import Any

from ..rrweb._model import (
    InputData,
    MouseInteractionData,
    MouseMoveData,
    NodeType,
    ScrollData,
    SelectionData,
    TouchMoveData,
    ViewportResizeData,
)
from ._actions import (
    ClickDetails,
    SelectDetails,
    ToggleDetails,
)
from ._attribution import Boundary
from ._effects import classify_target, label_control
from ._emitter import _Emitter
from ._labels import container_label, default_label, is_masked_text, lift_target
from ._state import _Burst
from ._tape import (
    FocusRecord,
    InputRecord,
    PointerRecord,
    ScrollRecord,
)

__all__: list[str] = []

_TOGGLE_TYPES = frozenset({"checkbox", "radio"})
# A click on a <select> this soon after its value changed is the press that closed the
# list (Chromium sends it after `change`): the choice is the action.
_SELECT_CLICK_MS = 1_000
_DRAG_PX = 5  # pointer travel between press and click that makes it a drag


class _UserEvents(_Emitter):
    """Handlers for the person's events (see the module doc)."""

    def _on_positions(self, t: int, data: Any, dcls: type) -> None:
        kind = "move" if dcls is MouseMoveData else "touch" if dcls is TouchMoveData else "drag"
        pointer = self.tape.pointer
        document = max(self._documents, 1)
        for pos in data.positions:
            offset = pos.time_offset if pos.time_offset <= 0 else 0  # old recorders: clamp
            pointer.append(
                PointerRecord(
                    t=int(t + offset),
                    document=document,
                    x=pos.x,
                    y=pos.y,
                    kind=kind,
                    window_id=self.window_id,
                )
            )

    def _on_mouse(self, t: int, data: MouseInteractionData) -> None:
        kind = data.type
        if kind in (0, 1, 7, 9) and data.x is not None and data.y is not None:
            self.tape.pointer.append(
                PointerRecord(
                    t=t,
                    document=max(self._documents, 1),
                    x=data.x,
                    y=data.y,
                    kind="down" if kind in (1, 7) else "up",
                    window_id=self.window_id,
                )
            )
        if kind == 1 or kind == 7:
            self._press_t = t
            self._press = (t, self._ev)
            self._press_xy = (data.x, data.y)
            # A press closes the window of the click before it, whether it becomes a
            # click or a drag (the drag's effects are its own).
            lifted = lift_target(self.dom, data.id) if data.id in self.dom else None
            self._marks.append(Boundary(t, self._ev, "press", self.window_id, lifted, None))
            # The action begins at the press: what the page changes from here on is judged
            # against what it was doing before it.
            self._ambient.user_action(t, lifted)
            return
        if kind == 5 and data.id >= 0:
            # Focus fires on the press, before the Click: a text field's answer to a click.
            self.tape.focus.append(
                FocusRecord(
                    t=t,
                    document=max(self._documents, 1),
                    node_id=data.id,
                    window_id=self.window_id,
                )
            )
            return
        if kind not in (2, 3, 4, 9) or data.id < 0:
            return  # Focus/Blur/MouseUp are not clicks
        raw_id = data.id
        self._click_t = t
        if kind == 2:
            selection = self._open.get(("selection", None))
            if (
                selection is not None
                and self._selection_change_t > self._press_t
                and self._dragged(data)
            ):
                # The selection changed while the button was held and the pointer moved:
                # this Click ends a text-selection drag, so the action is the selection.
                # (A double or triple click selects without moving: it stays a click.)
                del self._open[("selection", None)]
                selection.last_t = t
                self._close(selection)
                return
            tap = self._last_tap
            if tap is not None and tap[0] == raw_id and t - tap[1] <= self.options.tap_merge_ms:
                self._last_tap = None
                return  # the click a browser synthesises after a tap
            via_label = self._label_click
            if via_label is not None and via_label[0] == raw_id and t - via_label[1] <= 50:
                self._label_click = None
                return  # the click a browser sends to a <label>'s control: one press
            chosen = self._last_select
            if (
                chosen is not None
                and t - chosen[1] <= _SELECT_CLICK_MS
                and (chosen[0] == raw_id or lift_target(self.dom, raw_id) == chosen[0])
            ):
                return  # the click that closes a <select>'s list after the choice
            button = "click"
        elif kind == 4:
            last = self._last_click
            if (
                last is not None
                and last[0] == raw_id
                and t - last[1] <= self.options.dblclick_ms
                and self._mark_double(last[2])
            ):
                return
            button = "dblclick"
        elif kind == 3:
            button = "contextmenu"
        else:
            button = "tap"
            self._last_tap = (raw_id, t)
        lifted, target, label = self._describe(raw_id)
        dom = self.dom
        tag = dom.tag(lifted) if lifted in dom else None
        target_kind, input_type, opt_out = classify_target(dom, lifted)
        if tag == "label":
            control = label_control(dom, lifted)
            self._label_click = (control, t) if control is not None else None
        href = dom.attr(lifted, "href") if tag == "a" else None
        if (href is not None and href.startswith("#")) or (
            href is not None and self.url and href.startswith(self.url.split("#")[0] + "#")
        ):
            self._anchor_click_t = t
        order = self._emit(
            t,
            "click",
            ClickDetails(
                button=button,  # type: ignore[arg-type]
                x=data.x,
                y=data.y,
                raw_node_id=raw_id,
                tag=tag,
                href=href,
                target_kind=target_kind,
                input_type=input_type,
                opt_out=opt_out,
                form=self._form_of(lifted),
                button_type=dom.attr(lifted, "type") if tag == "button" else None,
                data={
                    k: v
                    for k, v in dom.attributes(lifted).items()
                    if k.startswith("data-") and not k.startswith("data-rr")
                },
            ),
            node_id=lifted,
            target=target,
            label=label,
        )
        if kind == 2:
            self._last_click = (raw_id, t, order)

    def _dragged(self, data: MouseInteractionData) -> bool:
        """Whether the pointer moved between the press and this click (a drag); unknown
        positions count as a drag, as before positions were compared."""
        px, py = self._press_xy
        if px is None or py is None or data.x is None or data.y is None:
            return True
        return abs(data.x - px) + abs(data.y - py) >= _DRAG_PX

    def _scripted_fill(self, t: int, data: InputData) -> bool:
        """Whether an Input is a value the page set right after a click on another
        element: several characters at once, within the press's follow window, on a text
        field that was not the one clicked (recorders without ``userTriggeredOnInput``
        cannot say)."""
        if data.user_triggered is not None or data.is_checked:
            return False
        if t - self._click_t > self.effects.input_follow_ms or self._last_click is None:
            return False
        clicked = self._last_click[0]
        if clicked == data.id or (
            self._label_click is not None and self._label_click[0] == data.id
        ):
            return False
        if self._field_type(data.id) in _TOGGLE_TYPES or self.dom.tag(data.id) == "select":
            return False
        previous = self._field_values.get(data.id)
        if previous is None:
            previous = (self.dom.attr(data.id, "value") or "") if data.id in self.dom else ""
        return abs(len(data.text) - len(previous)) >= 2 or (
            len(data.text) == len(previous) and data.text != previous
        )

    def _mark_double(self, order: int) -> bool:
        # The click is still held in `_done` (`_last_click` is cleared when it is released).
        # Searching the heap for it was linear per DblClick, quadratic on a storm of them:
        # remember its order and set `double` when it is released.
        self._doubles.add(order)
        return True

    def _on_input(self, t: int, data: InputData) -> None:
        if data.user_triggered is False:
            return  # a value the page set itself
        scripted = self._scripted_fill(t, data)
        self.tape.inputs.append(
            InputRecord(
                t=t,
                document=max(self._documents, 1),
                node_id=data.id,
                length=len(data.text),
                checked=data.is_checked,
                window_id=self.window_id,
                order=self._ev,
            )
        )
        if scripted:
            # A click elsewhere filled this field (a suggestion chip, "use my address"):
            # the click's effect, not the person typing. Kept on the tape, no action.
            self._field_values[data.id] = data.text
            events = self.coverage.events
            events["input_scripted"] = events.get("input_scripted", 0) + 1
            return
        # A keystroke or choice is a user action: it closes the window of the click
        # before it (unless it is that press's own doing, see `attribute_click`).
        self._marks.append(Boundary(t, self._ev, "input", self.window_id, data.id, None))
        if t - self._click_t > self.effects.input_follow_ms:
            self._ambient.user_action(t, None)
        node_id = data.id
        dom = self.dom
        known = node_id in dom
        tag = dom.tag(node_id) if known else None
        field_type = self._field_type(node_id)
        if field_type in _TOGGLE_TYPES or (not known and data.is_checked is True):
            if field_type == "radio" and data.is_checked is False:
                return  # the rest of a radio group unchecking itself
            _, target, label = self._describe(node_id)
            self._emit(
                t,
                "toggle",
                ToggleDetails(
                    field_type=field_type,
                    checked=bool(data.is_checked),
                    form=self._form_of(node_id),
                ),
                node_id=node_id,
                target=target,
                label=label,
            )
            return
        if tag == "select":
            self._last_select = (node_id, t)
            _, target, label = self._describe(node_id)
            masked = bool(data.text) and is_masked_text(data.text)
            self._emit(
                t,
                "select",
                SelectDetails(
                    value=None if masked else data.text,
                    option=None if masked else self._option_text(node_id, data.text),
                    masked=masked,
                    form=self._form_of(node_id),
                ),
                node_id=node_id,
                target=target,
                label=label,
            )
            return
        key = ("input", node_id)
        burst = self._open.get(key)
        previous = self._field_values.get(node_id)
        if previous is None:
            previous = (dom.attr(node_id, "value") or "") if known else ""
        delta = len(data.text) - len(previous)
        self._field_values[node_id] = data.text
        opts = self.options
        if burst is not None and t - burst.last_t >= opts.correction_pause_ms:
            if delta < 0 and not burst.correction:
                # A pause, then deleting: a correction if it reaches `correction_chars`.
                burst.pending = [
                    t,
                    burst.text,
                    burst.count,
                    burst.added,
                    burst.removed,
                    burst.last_t,
                    0,
                ]
            elif delta > 0 and burst.correction:
                # Typing again after fixing: the fix is one action, the retyping another.
                del self._open[key]
                self._close(burst)
                burst = None
        if burst is None:
            burst = _Burst("input", t, node_id)
            _, burst.target, burst.label = self._describe(node_id)
            burst.form = self._form_of(node_id)
            burst.url = self.url
            self._open_burst(key, burst)
        else:
            burst.count += 1
            burst.last_t = t
        burst.text = data.text
        if delta > 0:
            burst.added += delta
        else:
            burst.removed -= delta
        pending = burst.pending
        if pending is not None:
            if delta > 0:
                burst.pending = None  # typed on: not a correction
            else:
                pending[6] -= delta
                if pending[6] >= opts.correction_chars:
                    burst.pending = None
                    self._split_correction(key, burst, pending)

    def _split_correction(
        self, key: tuple[str, int | None], burst: _Burst, pending: list[Any]
    ) -> None:
        """End the burst where the deleting began; what follows is a correction burst."""
        first_t, text, count, added, removed, last_t, _deleted = pending
        before = _Burst("input", burst.first_t, burst.node_id)
        before.target, before.label, before.form, before.url = (
            burst.target,
            burst.label,
            burst.form,
            burst.url,
        )
        before.text, before.count, before.added, before.removed = text, count, added, removed
        before.last_t = last_t
        self._close(before)
        burst.first_t = first_t
        burst.count -= count
        burst.added -= added
        burst.removed -= removed
        burst.correction = True
        self._open[key] = burst

    def _option_text(self, select_id: int, value: str) -> str | None:
        dom = self.dom
        stack = list(dom.children(select_id))
        while stack:
            child = stack.pop()
            if dom.tag(child) == "option":
                text = dom.text_content(child, 80)
                option_value = dom.attr(child, "value")
                if option_value == value or (option_value is None and text == value):
                    return text or None
            elif dom.tag(child) == "optgroup":
                stack.extend(dom.children(child))
        return None

    def _on_scroll(self, t: int, data: ScrollData) -> None:
        node_id = data.id
        dom = self.dom
        is_window = node_id not in dom or dom.node_type(node_id) == NodeType.DOCUMENT
        before = self._scroll_pos.get(node_id)
        self._scroll_pos[node_id] = (data.x, data.y)
        programmatic = (
            t - self._nav_t <= self.options.programmatic_scroll_ms
            or t - self._anchor_click_t <= self.options.anchor_scroll_ms
        )
        self.tape.scrolls.append(
            ScrollRecord(
                t=t,
                document=max(self._documents, 1),
                node_id=node_id,
                x=data.x,
                y=data.y,
                is_window=is_window,
                programmatic=programmatic,
                window_id=self.window_id,
                order=self._ev,
            )
        )
        key = ("scroll", node_id)
        burst = self._open.get(key)
        if burst is not None and burst.programmatic == programmatic:
            leg = (burst.y - burst.start_y) or (burst.x - burst.start_x)
            step = (data.y - burst.y) if burst.y != burst.start_y else (data.x - burst.x)
            if leg * step >= 0:
                burst.count += 1
                burst.last_t = t
                burst.x, burst.y = data.x, data.y
                return
            if abs(step) < self.options.min_scroll_px:
                burst.count += 1  # a bounce at the end of a leg, not a turn
                burst.last_t = t
                return
            # The gesture turned back: one scroll per leg.
            del self._open[key]
            self._close(burst)
            before = (burst.x, burst.y)
        elif burst is not None:
            del self._open[key]
            self._close(burst)
        bx, by = before if before is not None else (0.0, 0.0)
        if (
            not programmatic
            and abs(data.y - by) < self.options.min_scroll_px
            and abs(data.x - bx) < self.options.min_scroll_px
        ):
            self.coverage.events["scroll_jitter"] = self.coverage.events.get("scroll_jitter", 0) + 1
            return
        burst = _Burst("scroll", t, node_id)
        burst.start_x, burst.start_y = bx, by
        burst.x, burst.y = data.x, data.y
        burst.programmatic = programmatic
        burst.url = self.url
        if not is_window:
            _, burst.target, burst.label = self._describe(node_id)
            if self.options.label_fn is default_label and node_id in dom:
                # A scrolled region is named by its name, heading or landmark, not by
                # the text of everything in it.
                burst.label = container_label(dom, node_id)
        self._open_burst(key, burst)

    def _on_selection(self, t: int, data: SelectionData) -> None:
        text = self._selected_text(data)
        key = ("selection", None)
        burst = self._open.get(key)
        if burst is None:
            if not text:
                return  # a collapsed selection is a caret, not a selection
            burst = _Burst("selection", t, None)
            burst.url = self.url
            self._open_burst(key, burst)
        else:
            burst.count += 1
            burst.last_t = t
        if text:
            self._selection_change_t = t
            self.tape.selections.append(t)
            burst.text = text
            if data.ranges:
                start = data.ranges[0].start
                lifted, burst.target, burst.label = self._describe(start)
                burst.node_id = lifted

    def _selected_text(self, data: SelectionData) -> str:
        dom = self.dom
        parts: list[str] = []
        for r in data.ranges[:4]:
            if r.start == r.end:
                if r.start_offset == r.end_offset:
                    continue
                parts.append(dom.text(r.start)[r.start_offset : r.end_offset])
            else:
                parts.append(dom.text(r.start)[r.start_offset :])
                parts.append(dom.text(r.end)[: r.end_offset])
        text = " ".join(" ".join(parts).split())
        return text[:200]

    def _on_viewport(self, t: int, data: ViewportResizeData) -> None:
        key = ("viewport", None)
        burst = self._open.get(key)
        if burst is None:
            burst = _Burst("viewport", t, None)
            burst.url = self.url
            self._open_burst(key, burst)
        else:
            burst.count += 1
            burst.last_t = t
        burst.x, burst.y = data.width, data.height
        self.width, self.height = int(data.width), int(data.height)
