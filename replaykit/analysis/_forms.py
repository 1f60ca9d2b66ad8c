"""Form abandonment: a form someone filled in and left without trying to send it (§13).

No product emits this from recordings; the definition is replaykit's, aligned with the
truth harness (``frustration-signals.md`` §13). What a form is comes from the actions:
the analyzer records each field's and each clicked control's nearest ``<form>`` (its
selector, resolved against the mirror at the time) in ``details.form``, and a
``<button>``'s ``type``. Actions without it (built by hand, or older output) fall back to
the ``form`` step of the target's selector; a field whose selector stops before its form
is then not judged: missing an abandonment is better than inventing one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ._actions import (
    Action,
    ClickDetails,
    InputDetails,
    NavigationDetails,
    SelectDetails,
    ToggleDetails,
)
from ._activity import is_user_action, make_signal, replay_start
from ._signal import Signal
from ._signal_config import SignalConfig
from ._tape import InputRecord, NetworkRecord, Tape
from ._visits import page_key, page_path

__all__ = ["detect_form_abandons", "form_of", "form_of_selector"]

_SCOPE = re.compile(r" >>>? ")
_FORM_STEP = re.compile(r"^form(?=$|[#.\[:])")
_TYPE_ATTR = re.compile(r"\[type=\"?([A-Za-z-]+)\"?\]")
_SUBMIT_INPUT_TYPES = frozenset({"submit", "image"})
_BUTTON_INPUT_TYPES = frozenset({"submit", "image", "button"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NEW_DOCUMENT = frozenset({"load", "reload"})
_FIELD_KINDS = frozenset({"input", "select", "toggle"})


def form_of_selector(selector: str | None) -> str | None:
    """The selector of the nearest ``<form>`` named in a field's selector, or None.

    >>> form_of_selector("form#checkout > label:nth-of-type(2) > input[name=email]")
    'form#checkout'
    """
    if not selector:
        return None
    scopes = _SCOPE.split(selector)
    steps = scopes[-1].split(" > ")
    for i in range(len(steps) - 1, -1, -1):
        if _FORM_STEP.match(steps[i]):
            prefix = selector[: len(selector) - len(scopes[-1])]
            return prefix + " > ".join(steps[: i + 1])
    return None


def form_of(action: Action) -> str | None:
    """The form an action's target belongs to: ``details.form``, else from the selector."""
    form = getattr(action.details, "form", None)
    if isinstance(form, str):
        return form
    return form_of_selector(action.target)


def _input_type(selector: str | None) -> str | None:
    if not selector:
        return None
    last = _SCOPE.split(selector)[-1].split(" > ")[-1]
    match = _TYPE_ATTR.search(last)
    return match.group(1).lower() if match else None


def _button_like(action: Action) -> bool:
    """A click on something that sends a form or runs an action: a button, not a link."""
    details = action.details
    if not isinstance(details, ClickDetails):
        return False
    if details.tag == "button":
        return True
    return details.tag == "input" and _input_type(action.target) in _BUTTON_INPUT_TYPES


def _is_link(action: Action) -> bool:
    details = action.details
    return isinstance(details, ClickDetails) and details.tag == "a"


def _submit_control_of(action: Action) -> str | None:
    """The form a click submits, when its selector places a submit control inside one.

    A ``button`` whose ``type`` is ``submit`` or unset (the default inside a form)
    counts, so does ``input[type=submit|image]``.
    """
    details = action.details
    if not isinstance(details, ClickDetails):
        return None
    button_type = (details.button_type or "submit").strip().lower()
    input_type = details.input_type or _input_type(action.target)
    if (details.tag == "button" and button_type == "submit") or (
        details.tag == "input" and input_type in _SUBMIT_INPUT_TYPES
    ):
        return form_of(action)
    return None


class _Form:
    """One form's state while the window's stream is walked."""

    __slots__ = (
        "attempted",
        "corrections",
        "document",
        "fields",
        "first_fill",
        "key",
        "last_input",
        "pending",
        "seqs",
        "url",
    )

    def __init__(self, key: str, document: int, url: str | None) -> None:
        self.key = key
        self.document = document
        self.url = url
        self.fields: dict[int, tuple[bool, str | None]] = {}  # node id -> (filled, label)
        self.first_fill: int | None = None
        self.last_input: int | None = None
        self.attempted = False
        self.pending: tuple[int, Action] | None = None  # left by an SPA change (t, nav)
        self.seqs: set[int] = set()
        self.corrections: set[int] = set()  # seqs of correction input actions

    @property
    def filled(self) -> list[str | None]:
        return [label for filled, label in self.fields.values() if filled]


class _Window:
    """Walks one window's inputs, clicks, requests and navigations in time order."""

    def __init__(
        self, replay_id: str, window_id: str | None, config: SignalConfig, start: int | None
    ) -> None:
        self.replay_id = replay_id
        self.window_id = window_id
        self.config = config
        self.cfg = config.form_abandon
        self.start = start
        self.forms: dict[tuple[int, str], _Form] = {}
        self.last_click: Action | None = None
        self.last_user: Action | None = None
        self.out: list[Signal] = []

    # --- events ---------------------------------------------------------------------

    def on_input(self, record: InputRecord, field: Action) -> None:
        key = form_of(field)
        if key is None or _field_type(field) == "search":
            return  # outside a known form, or a search box
        form = self.forms.get((record.document, key))
        if form is None:
            form = self.forms[(record.document, key)] = _Form(key, record.document, field.url)
        # rrweb sends isChecked on every Input (false for text fields): only a checkbox or
        # radio is filled by being checked; anything else by its (possibly masked) length.
        filled = bool(record.checked) if field.kind == "toggle" else record.length > 0
        form.fields[record.node_id] = (filled, field.label)
        form.seqs.add(field.seq)
        form.pending = None  # typing into it again: the form did not go away
        if filled and form.first_fill is None:
            form.first_fill = record.t
        form.last_input = record.t

    def on_action(self, action: Action) -> None:
        if isinstance(action.details, InputDetails) and action.details.correction:
            key = form_of(action)
            form = self.forms.get((action.document, key)) if key is not None else None
            if form is not None:
                form.corrections.add(action.seq)
        if action.kind == "click":
            submits = _submit_control_of(action)
            if submits is not None:
                form = self.forms.get((action.document, submits))
                if form is not None and form.first_fill is not None:
                    form.attempted = True
            for form in self.forms.values():
                if form.pending is not None and form_of(action) == form.key:
                    form.pending = None  # clicked inside it after the URL change
            self.last_click = action
        if is_user_action(action) and action.kind != "navigation":
            self.last_user = action

    def on_request(self, t: int, document: int) -> None:
        """A non-GET fetch/XHR: a submit attempt after a button click or an Enter."""
        window = self.cfg.submit_window_ms
        click = self.last_click
        if click is not None and _button_like(click) and 0 <= t - click.timestamp <= window:
            self._attempt_by_click(click, document)
        self._attempt_by_enter(t, document, window)

    def on_navigation(self, nav: Action) -> None:
        details = nav.details
        how = details.how if isinstance(details, NavigationDetails) else "custom"
        self.flush_pending()
        new_document = how in _NEW_DOCUMENT
        window = self.cfg.submit_window_ms
        wait = self.cfg.load_wait_ms if new_document else window
        cause = self.last_user
        # The click that led away: the last user action, a click on a link or button,
        # shortly before (a checkbox or a field never navigates).
        led_away = (
            cause
            if cause is not None
            and (_button_like(cause) or _is_link(cause))
            and 0 <= nav.timestamp - cause.timestamp <= wait
            else None
        )
        if led_away is not None and _button_like(led_away):
            self._attempt_by_click(led_away, led_away.document)
        # Enter in a field: the next page (new document or route) within the same 1 s.
        self._attempt_by_enter(nav.timestamp, cause.document if cause else nav.document, window)
        for fkey, form in list(self.forms.items()):
            if new_document and form.document != nav.document:
                del self.forms[fkey]
                self._emit(form, nav, led_away)
            elif (
                not new_document
                and page_key(nav.url) != page_key(form.url)
                and form.first_fill is not None
                and not form.attempted
            ):
                form.pending = (nav.timestamp, nav)

    def flush_pending(self) -> None:
        for fkey, form in list(self.forms.items()):
            if form.pending is not None:
                del self.forms[fkey]
                self._emit(form, form.pending[1], None)

    def finish(self, end: int | None) -> None:
        self.flush_pending()
        if not self.cfg.count_session_end or end is None:
            return
        for form in self.forms.values():
            self._emit(form, None, None, t=end)

    # --- helpers --------------------------------------------------------------------

    def _attempt_by_click(self, click: Action, document: int) -> None:
        target = form_of(click)
        for form in self.forms.values():
            # A button outside any known form may still submit one (its selector can stop
            # at its own id): then every filled form of the page counts as attempted.
            if (
                form.document == document
                and form.first_fill is not None
                and (target is None or target == form.key)
            ):
                form.attempted = True

    def _attempt_by_enter(self, t: int, document: int, window: int) -> None:
        click_t = self.last_click.timestamp if self.last_click is not None else None
        for form in self.forms.values():
            last = form.last_input
            if form.document != document or last is None or form.first_fill is None:
                continue
            if 0 <= t - last <= window and (click_t is None or click_t < last):
                form.attempted = True

    def _emit(
        self, form: _Form, nav: Action | None, cause: Action | None, t: int | None = None
    ) -> None:
        filled = form.filled
        if form.attempted or form.first_fill is None or len(filled) < self.cfg.min_filled:
            return
        if t is None:
            assert nav is not None
            # Left when the person clicked away, if a click led out; else at the navigation.
            t = cause.timestamp if cause is not None else nav.timestamp
        how = None
        if nav is not None and isinstance(nav.details, NavigationDetails):
            how = nav.details.how
        details: dict[str, Any] = {
            "path": page_path(form.url),
            "form": form.key,
            "fields_filled": len(filled),
            "fields": [label for label in filled if label],
            "corrections": len(form.corrections),
            "submitted": False,
            "left_to": page_path(nav.url) if nav is not None else None,
            "how": how,
            "navigation_at": nav.timestamp if nav is not None else None,
            "first_fill": form.first_fill,
            "min_filled": self.cfg.min_filled,
        }
        self.out.append(
            make_signal(
                self.replay_id,
                "form_abandon",
                t,
                self.start,
                self.config,
                url=form.url,
                document=form.document,
                window_id=self.window_id,
                evidence=tuple(sorted(form.seqs)),
                target=form.key,
                label=_form_label(form.key),
                details=details,
            )
        )


def _field_type(action: Action) -> str | None:
    d = action.details
    if isinstance(d, InputDetails | ToggleDetails):
        return d.field_type
    if isinstance(d, SelectDetails):
        return "select"
    return None


def _form_label(key: str) -> str:
    """``form#checkout-form.co`` -> ``checkout-form``: the form's id or first class."""
    last = _SCOPE.split(key)[-1].split(" > ")[-1]
    match = re.search(r"#([\w-]+)", last) or re.search(r"\.([\w-]+)", last)
    return match.group(1) if match else "form"


def _is_send(record: NetworkRecord) -> bool:
    if record.method.upper() in _SAFE_METHODS or record.initial:
        return False
    return record.from_wrapper or record.initiator in ("fetch", "xmlhttprequest")


def detect_form_abandons(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """``form_abandon``: a filled ``<form>`` left without a submit attempt (§13).

    Per window, in time order:

    1. A field's form is the ``form`` step of its selector; fields outside a known form
       and ``type=search`` fields are ignored.
    2. A field is filled when its latest user Input is non-empty (text length > 0, masked
       ``***`` counting by length) or checked.
    3. A submit attempt since the first fill: a click on a submit control of the form (a
       ``button`` or ``input[type=submit|image]`` inside it); a non-GET fetch/XHR starting
       ≤ ``submit_window_ms`` (1 s) after a button click or after the form's last Input
       with no click since (Enter); a navigation that follows a button click (≤ 1 s for a
       URL change, ≤ ``load_wait_ms`` (5 s) for a new document, nothing else between) or
       follows the form's last Input by ≤ 1 s with no click (Enter). Failed submits count
       as attempts.
    4. Leaving: a new document (full load, reload) leaves every form of the old one; an
       SPA URL change leaves the form unless the person types or clicks in it again before
       the next navigation (then it was still there).
    5. A form left with ≥ ``min_filled`` filled fields and no attempt is abandoned. Forms
       still unsent at the end of the recording count only with ``count_session_end``.

    ``timestamp``: when the page was left (the click that led away, else the navigation).
    ``target``: the form's selector, ``label`` its id or class. ``details``: ``path``,
    ``form``, ``fields_filled``, ``fields`` (labels), ``corrections`` (input actions that
    fixed what was typed), ``submitted`` (False), ``left_to``,
    ``how``, ``navigation_at``, ``first_fill``, ``min_filled``. ``evidence``: the field
    actions.
    """
    start = replay_start(actions, tape)
    # (window, document, node id) -> the field's latest action, for selector and label.
    fields: dict[tuple[str | None, int, int], Action] = {}
    events: dict[str | None, list[tuple[int, int, int, object]]] = defaultdict(list)
    order = 0
    for action in sorted(actions, key=lambda a: (a.timestamp, a.seq)):
        order += 1
        if action.kind in _FIELD_KINDS and action.node_id is not None:
            fields.setdefault((action.window_id, action.document, action.node_id), action)
        # Navigations sort before anything else at the same ms (the leave happens first).
        rank = 0 if action.kind == "navigation" else 2
        events[action.window_id].append((action.timestamp, rank, order, action))
    for record in tape.inputs:
        order += 1
        events[record.window_id].append((record.t, 1, order, record))
    for request in tape.network:
        if _is_send(request):
            order += 1
            t = int(request.start) if request.start is not None else request.t
            events[request.window_id].append((t, 3, order, request))
    ends: dict[str | None, int] = {}
    for window_id, items in events.items():
        ends[window_id] = max(t for t, _, _, _ in items)
    out: list[Signal] = []
    for window_id, items in events.items():
        walker = _Window(replay_id, window_id, config, start)
        items.sort(key=lambda e: (e[0], e[1], e[2]))
        for _, _, _, item in items:
            if isinstance(item, InputRecord):
                field = fields.get((window_id, item.document, item.node_id))
                if field is not None:
                    walker.on_input(item, field)
            elif isinstance(item, NetworkRecord):
                walker.on_request(
                    int(item.start) if item.start is not None else item.t, item.document
                )
            elif isinstance(item, Action):
                if item.kind == "navigation":
                    walker.on_navigation(item)
                else:
                    walker.on_action(item)
        end = tape.last_timestamp if len(events) == 1 else ends.get(window_id)
        walker.finish(end if end is not None else ends.get(window_id))
        out.extend(walker.out)
    return sorted(out, key=lambda s: s.timestamp)
