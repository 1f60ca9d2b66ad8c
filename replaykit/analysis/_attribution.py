"""The attribution rule: which of the page's changes answer which click.

One function, :func:`attribute_click`, decides it, and everything that speaks of a
click's effect reads its answer: the :class:`~replaykit.analysis._actions.ClickEffect` on
the click (the timeline's ``→ …``) and the error, dead and slow-click detectors. So the
timeline and the signals can never disagree.

The rule:

1. **The window.** A click's effect window opens at the click and closes at the next user
   action in the same tab — another click (a repeat on the same target within
   ``repeat_ms`` continues the same window: one intent, several presses), a keystroke or
   input burst, a select, a browser Back/Forward, an address-bar load — or after
   ``window_ms`` (7 s), whichever comes first. Records at the same millisecond as the
   boundary are told apart by stream order, so an error logged by the next click's
   handler belongs to that click even when both carry the same time.
2. **Navigations.** A navigation is the click's effect only when the click could have
   caused it: a same-tab link, a form's submit control, or any control (button, element
   with a handler role) whose navigation came within ``scripted_navigation_ms`` of the
   click or within ``navigation_after_request_ms`` of a request the click triggered
   ending. A history traversal (SPA ``popstate``) is never a click's effect unless the
   target is a back control; it is the person's Back/Forward and closes the window. A new
   document nobody's click caused is an address-bar load (or Back to another document)
   and closes the window too.
3. **Reactions.** The first DOM change in the window that is not ambient
   (:mod:`~replaykit.analysis._ambient`), a field changing right after the click (a
   checkbox toggling), a scroll the page made itself, a selection change; the error
   records (console ``error``/``assert``, uncaught exceptions) in the window; the
   fetch/XHR requests the click triggered.
4. **The outcome**, one word a reader (and a scorer) can check: ``error`` when an error
   came within ``error_window_ms``; else ``navigation`` when the click caused one; else
   ``reaction`` when anything else answered it; else ``none``; ``None`` when the
   recording ended before the window closed with nothing seen (undetermined).
   ``because`` says in a few words what decided it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from typing import Literal, NamedTuple

from ._actions import Action, ClickDetails, ClickEffect, EffectError
from ._effects import NavMark, effect_requests, text_sample
from ._signal_config import EffectConfig
from ._tape import NetworkRecord, Tape

__all__ = ["BACK_CONTROL", "Boundary", "attribute_click", "boundaries_from_actions"]

BACK_CONTROL = re.compile(r"^\s*(?:[←‹«<]|&lt;)|\b(?:back|previous|prev|return)\b", re.I)
"""Labels of controls whose click may legitimately traverse history (a back button)."""

_MAX_SCAN = 1_024  # records looked at per list for one click (a storm costs no more)
_FOCUS_BEFORE_MS = 1_000  # a Focus this long before a Click came from its press
_MAX_PRESS_MS = 1_000  # a press this long before its click still began it
_SUBMIT_INPUTS = frozenset({"submit", "image"})


class Boundary(NamedTuple):
    """A user action that can close a click's window: a press (MouseDown/TouchStart,
    whether it becomes a click or a drag), a click, or an input.

    ``order`` is the event's position in the stream (0 when unknown); ``target`` the
    action's lifted node id and ``key`` its selector and label, to recognise a repeat
    click on the same control after a re-render. ``press``/``press_order`` is where the
    action began: a click's press (MouseDown/TouchStart), which is when its handlers may
    start answering; the action's own time when no press was seen.
    """

    t: int
    order: int
    kind: Literal["click", "input", "press"]
    window_id: str | None
    target: int | None = None
    key: tuple[str | None, str | None] | None = None
    press: int | None = None
    press_order: int = 0

    @property
    def start(self) -> tuple[int, int]:
        """(time, stream order) where the action began."""
        return (self.t, self.order) if self.press is None else (self.press, self.press_order)


def boundaries_from_actions(actions: Sequence[Action], tape: Tape) -> list[Boundary]:
    """Boundaries from a finished replay (for detectors given actions without effects):
    its clicks and the user Input events on the tape, in time order."""
    out = [
        Boundary(a.timestamp, 0, "click", a.window_id, a.node_id, (a.target, a.label))
        for a in actions
        if isinstance(a.details, ClickDetails)
    ]
    out.extend(Boundary(r.t, r.order, "input", r.window_id, r.node_id, None) for r in tape.inputs)
    out.sort(key=lambda b: (b.t, b.order))
    return out


def _after(t: int, order: int, rt: int, rorder: int) -> bool:
    """Whether a record at (rt, rorder) comes after the point (t, order) in the stream."""
    return rt > t or (rt == t and (rorder > order or (rorder == 0 and order == 0)))


def _before(t: int, order: int, rt: int, rorder: int) -> bool:
    """Whether a record at (rt, rorder) comes before the boundary (t, order)."""
    return rt < t or (rt == t and rorder != 0 and order != 0 and rorder < order)


def _is_back_control(click: Action) -> bool:
    return bool(click.label) and BACK_CONTROL.search(click.label or "") is not None


def _could_cause(
    click: Action,
    details: ClickDetails,
    nav: NavMark,
    config: EffectConfig,
    request_ends: Sequence[float],
) -> str | None:
    """Why this click could have caused the navigation, or None if it could not."""
    delay = nav.t - click.timestamp
    if nav.how == "screen":
        # An app's screens change only when someone taps (no address bar, no Back from
        # outside the recording): a new screen before the next gesture is the tap's.
        return "tap"
    if nav.how == "pop":
        return "back control" if _is_back_control(click) else None
    kind = details.target_kind
    href = (details.href or "").strip().lower()
    new_document = nav.how in ("load", "reload")
    if kind == "link" and not (new_document and href.startswith("#")):
        return "link"
    tag = details.tag
    submit = (tag == "button" and (details.button_type or "submit").lower() == "submit") or (
        tag == "input" and (details.input_type or "") in _SUBMIT_INPUTS
    )
    if details.form is not None and submit:
        return "form submit"
    for end in request_ends:
        if 0 <= nav.t - end <= config.navigation_after_request_ms:
            return "after the request it triggered"
    if kind != "control" and not (kind == "link" and href.startswith("#")):
        return None  # plain text, an image, a field: no handler to navigate from
    if new_document and nav.started is not None:
        # The new document says when its navigation began (its time origin): a handler
        # starts it at once; a typed URL or Back starts it later.
        if nav.started - click.timestamp <= config.scripted_start_ms:
            return "scripted: the navigation began with the click"
        return None
    if delay <= config.scripted_navigation_ms:
        return f"scripted within {config.scripted_navigation_ms} ms"
    return None


def attribute_click(
    click: Action,
    tape: Tape,
    *,
    network: Sequence[NetworkRecord],
    navigations: Sequence[NavMark],
    boundaries: Sequence[Boundary],
    config: EffectConfig,
    order: int = 0,
    press: tuple[int, int] | None = None,
    stream_end: int | None = None,
) -> ClickEffect:
    """The :class:`ClickEffect` of one click under the attribution rule (module doc).

    ``order`` is the click's position in the stream (0 when unknown: ties then go by
    time alone) and ``press`` the (time, order) of the press it began with (its window
    opens there: handlers may answer the press); ``boundaries`` the replay's clicks and
    inputs (time sorted); ``navigations`` its navigations, time sorted; ``stream_end`` the
    last recorded time. Delays in the effect are measured from the click.
    """
    details = click.details
    assert isinstance(details, ClickDetails)
    t = click.timestamp
    w = click.window_id
    end = t + config.window_ms
    start_t, start_o = press if press is not None and press[0] <= t else (t, order)

    # 1. The next user action (click or input) that closes the window, at its press.
    close_t, close_o = end + 1, 0
    closed_by: str | None = None
    chain_t = t
    key = (click.target, click.label)
    text_field = details.target_kind == "text_field"
    first = bisect_left(boundaries, start_t - _MAX_PRESS_MS, key=lambda b: b.t)
    for i in range(first, len(boundaries)):
        b = boundaries[i]
        if b.t > end:
            break
        if b.window_id != w or not _after(t, order, b.t, b.order):
            continue
        if b.kind == "click" and b.press is not None:
            continue  # its press came first and was judged there
        if b.kind in ("click", "press"):
            if b.t == t and b.order == order:
                continue  # the click itself
            same = (b.target is not None and b.target == click.node_id) or (
                b.key is not None and click.target is not None and b.key == key
            )
            if same and b.t - chain_t <= config.repeat_ms:
                chain_t = b.t  # a repeat press: the same window goes on
                continue
            close_t, close_o = b.start
            closed_by = "click"
            break
        if not text_field and b.t - chain_t <= config.input_follow_ms:
            continue  # a field changed by the press itself (checkbox, label)
        close_t, close_o, closed_by = b.t, b.order, "input"
        break
    if (close_t, close_o) < (start_t, start_o):
        close_t, close_o = t, order  # a press that began before ours: ours is the later

    triggered = effect_requests(t, min(close_t, end), network, w, config)
    request_ends = [
        t + r.start_ms + r.duration_ms
        for r in triggered
        if r.triggered and r.start_ms is not None and r.duration_ms is not None
    ]

    # 2. Navigations: the first one the click could cause is its effect; one it could
    # not cause that a person makes (Back/Forward, a typed URL) closes the window.
    caused: NavMark | None = None
    why_nav = ""
    for i in range(bisect_left(navigations, start_t, key=lambda n: n.t), len(navigations)):
        nav = navigations[i]
        if not _before(close_t, close_o, nav.t, nav.order) or nav.t > end:
            break
        if nav.window_id != w or not _after(start_t, start_o, nav.t, nav.order):
            continue
        reason = _could_cause(click, details, nav, config, request_ends)
        if reason is not None:
            caused, why_nav = nav, reason
            break
        if nav.how == "pop":
            close_t, close_o, closed_by = nav.t, nav.order, "back_forward"
            break
        if nav.how in ("load", "reload"):
            close_t, close_o, closed_by = nav.t, nav.order, "load"
            break
        # an SPA change the click could not have made (a timer, a redirect): not its
        # effect, and not the person's either
    if (
        caused is not None
        and caused.how in ("load", "reload")
        and _before(close_t, close_o, caused.t, caused.order + 1)
    ):
        # The new document ends everything the old one could show (not a user action).
        close_t, close_o = caused.t, caused.order + 1
        closed_by = None

    def inside(rt: int, ro: int) -> bool:
        return _after(start_t, start_o, rt, ro) and _before(close_t, close_o, rt, ro) and rt <= end

    # 3. Reactions.
    # The person's own first scroll: the page's changes after it answer the scroll (lazy
    # loading, infinite feeds, sticky headers), not the click.
    scroll_ms: int | None = None
    page_scroll_ms: int | None = None
    user_scroll: tuple[int, int] | None = None
    scrolls = tape.scrolls
    first = bisect_left(scrolls, t, key=lambda r: r.t)
    for i in range(first, min(len(scrolls), first + _MAX_SCAN)):
        s = scrolls[i]
        if s.t > end or not _before(close_t, close_o, s.t, s.order):
            break
        if s.window_id != w or not inside(s.t, s.order):
            continue
        if scroll_ms is None:
            scroll_ms = s.t - t
        if s.programmatic:
            if page_scroll_ms is None:
                page_scroll_ms = s.t - t
        elif user_scroll is None:
            user_scroll = (s.t, s.order)
        if page_scroll_ms is not None and user_scroll is not None:
            break
    mut_close = (close_t, close_o) if user_scroll is None else min((close_t, close_o), user_scroll)

    mutation_ms: int | None = None
    ambient_ms: int | None = None
    ambient_ignored = 0
    added: list[str] = []
    removed: list[str] = []
    records = tape.mutations
    first = bisect_left(records, start_t, key=lambda r: r.t)
    for i in range(first, min(len(records), first + _MAX_SCAN)):
        m = records[i]
        if m.t > end or not _before(mut_close[0], mut_close[1], m.t, m.order):
            break
        if m.window_id != w or not inside(m.t, m.order):
            continue
        if m.ambient and config.ignore_ambient:
            ambient_ignored += 1
            if ambient_ms is None:
                ambient_ms = max(0, m.t - t)
            continue
        if mutation_ms is None:
            mutation_ms = max(0, m.t - t)
        if m.text_added:
            added.append(m.text_added)
        if m.text_removed:
            removed.append(m.text_removed)

    input_ms: int | None = None
    inputs = tape.inputs
    first = bisect_left(inputs, t, key=lambda r: r.t)
    for i in range(first, min(len(inputs), first + _MAX_SCAN)):
        r = inputs[i]
        if r.t > min(end, chain_t + config.input_follow_ms):
            break
        if r.window_id == w and inside(r.t, r.order):
            input_ms = r.t - t
            break

    focus_ms: int | None = None
    if details.target_kind == "text_field":
        # The press focuses the field before the Click is recorded: look from a second
        # before the click for a Focus on the clicked node, its lifted target or, for a
        # <label>, any field (the label's control).
        nodes = {details.raw_node_id, click.node_id}
        focus = tape.focus
        first = bisect_left(focus, t - _FOCUS_BEFORE_MS, key=lambda r: r.t)
        for i in range(first, min(len(focus), first + 64)):
            f = focus[i]
            if f.t > min(end, close_t):
                break
            if f.window_id == w and (f.node_id in nodes or details.tag == "label"):
                focus_ms = max(0, f.t - t)
                break

    selection_ms: int | None = None
    j = bisect_left(tape.selections, t)
    if j < len(tape.selections) and inside(tape.selections[j], 0):
        selection_ms = tape.selections[j] - t

    errors: list[EffectError] = []
    console = tape.console
    first = bisect_left(console, start_t, key=lambda r: r.t)
    for i in range(first, min(len(console), first + _MAX_SCAN)):
        rec = console[i]
        if rec.t > end or not _before(close_t, close_o, rec.t, rec.order):
            break
        if len(errors) >= config.max_errors:
            break
        if rec.window_id != w or not inside(rec.t, rec.order):
            continue
        if rec.level in ("error", "assert") or rec.uncaught:
            errors.append(
                EffectError(message=rec.message[:200], ms=max(0, rec.t - t), uncaught=rec.uncaught)
            )

    # 4. The first reaction and the outcome.
    candidates: list[tuple[int, str]] = []
    if mutation_ms is not None:
        candidates.append((mutation_ms, "mutation"))
    if input_ms is not None:
        candidates.append((input_ms, "input"))
    if caused is not None:
        candidates.append((caused.t - t, "navigation"))
    if page_scroll_ms is not None:
        candidates.append((page_scroll_ms, "scroll"))
    reaction = min(candidates) if candidates else None

    window_closed = close_t <= end
    observed_to = close_t if window_closed else end
    truncated = stream_end is not None and stream_end < observed_to
    next_ms = max(0, close_t - t) if window_closed and closed_by is not None else None
    errors_in_window = [e for e in errors if e.ms <= config.error_window_ms]
    outcome: Literal["navigation", "error", "reaction", "none"] | None
    if caused is not None:
        outcome = "navigation"
        what = "new document" if caused.how in ("load", "reload") else "URL change"
        because = f"{why_nav} → {what} at +{max(0, caused.t - t)} ms"
    elif errors_in_window:
        first_error = errors_in_window[0]
        outcome = "error"
        what = "uncaught error" if any(e.uncaught for e in errors_in_window) else "console error"
        because = f"{what} at +{first_error.ms} ms"
    elif reaction is not None:
        outcome = "reaction"
        because = {
            "mutation": "first change outside ambient regions",
            "input": "a field changed",
            "scroll": "the page scrolled itself",
            "navigation": "navigated",
        }[reaction[1]] + f" at +{reaction[0]} ms"
        if reaction[1] == "mutation" and not ambient_ignored:
            because = f"first page change at +{reaction[0]} ms"
    elif truncated:
        outcome = None
        because = "the recording ended before the window closed"
    else:
        outcome = "none"
        if focus_ms is not None:
            because = "only focus moved (into the field)"
        elif selection_ms is not None:
            because = f"only the text selection changed (at +{selection_ms} ms)"
        elif closed_by is not None and next_ms is not None:
            because = f"no change before the next {_BOUNDARY_WORDS[closed_by]} at +{next_ms} ms"
        else:
            because = f"no change within {config.window_ms} ms"
    if ambient_ignored and outcome in ("none", "reaction"):
        because += (
            f"; {ambient_ignored} ambient change{'s' if ambient_ignored != 1 else ''} ignored"
        )

    limit = config.text_chars
    return ClickEffect(
        window_ms=config.window_ms,
        next_action_ms=next_ms,
        next_action=closed_by,  # type: ignore[arg-type]
        reaction_ms=reaction[0] if reaction is not None else None,
        reaction_kind=reaction[1] if reaction is not None else None,  # type: ignore[arg-type]
        navigation=None
        if caused is None
        else ("load" if caused.how in ("load", "reload") else "spa"),
        navigated_to=caused.url if caused is not None else None,
        navigation_ms=caused.t - t if caused is not None else None,
        requests=triggered,
        errors=tuple(errors),
        text_added=text_sample(added, limit),
        text_removed=text_sample(removed, limit),
        truncated=truncated,
        outcome=outcome,
        because=because,
        mutation_ms=mutation_ms,
        input_ms=input_ms,
        scroll_ms=scroll_ms,
        selection_ms=selection_ms,
        ambient_ms=ambient_ms,
        ambient_mutations_ignored=ambient_ignored,
    )


_BOUNDARY_WORDS = {
    "click": "click",
    "input": "input",
    "back_forward": "Back/Forward",
    "load": "page load",
}
