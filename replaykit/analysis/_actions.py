"""Actions: what a person did, one frozen Struct per action, and the per-replay coverage.

An :class:`Action` has the fields every kind shares (replay id, kind, times, target) and a
kind-specific ``details`` Struct. ``details`` is a tagged union on ``kind`` so it encodes to
JSON with its kind and decodes back to the right type.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import msgspec

__all__ = [
    "ACTION_KINDS",
    "INCREMENTAL_KEYS",
    "Action",
    "ActionDetails",
    "ActionKind",
    "ClickDetails",
    "ClickEffect",
    "ConsoleErrorDetails",
    "Coverage",
    "EffectError",
    "EffectRequest",
    "InputDetails",
    "NavigationDetails",
    "PageLoadDetails",
    "ScrollDetails",
    "SelectDetails",
    "SelectionDetails",
    "TargetKind",
    "ToggleDetails",
    "ViewportDetails",
]

ActionKind: TypeAlias = Literal[
    "click",
    "input",
    "select",
    "toggle",
    "scroll",
    "navigation",
    "page_load",
    "viewport",
    "selection",
    "console_error",
]

ACTION_KINDS: tuple[ActionKind, ...] = (
    "click",
    "input",
    "select",
    "toggle",
    "scroll",
    "navigation",
    "page_load",
    "viewport",
    "selection",
    "console_error",
)


class _Details(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    pass


TargetKind: TypeAlias = Literal[
    "control", "link", "link_elsewhere", "text_field", "blocked", "page"
]
"""What a click's target is, for judging its reaction (``frustration-signals.md`` §0, §3):

- ``control``: an interactive element that should visibly react (button, non-text input,
  summary, option, interactive role, ``[onclick]``, ``[tabindex]``; a ``label`` of such a
  control);
- ``link``: ``a[href]`` that navigates in this tab;
- ``link_elsewhere``: a link whose effect is outside the page (``target`` other than
  ``_self``, ``download``, ``mailto:``/``tel:``), never judged dead;
- ``text_field``: a text-like field (or its label, or ``[contenteditable]``): focus is the
  expected effect;
- ``blocked``: an element rrweb blocked (``rr_width``), whose content is not recorded;
- ``page``: ``<html>``/``<body>`` itself.

``None`` means plain content (text, images, containers): such clicks are not judged.
"""


class EffectRequest(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A fetch/XHR request that started after a click (or up to 50 ms before it).

    ``path`` is the URL's path and query; ``status`` None with ``failed`` means the
    request wrapper saw no response (network failure, CORS, abort); None alone means
    unknown. ``start_ms`` is the start relative to the click; ``triggered`` marks a start
    within the click's request window (−50..+500 ms by default, ``frustration-signals.md``
    §4), i.e. the click most likely caused it.
    """

    method: str = "GET"
    path: str = ""
    status: int | None = None
    duration_ms: int | None = None
    start_ms: int | None = None
    triggered: bool = False
    failed: bool = False


class EffectError(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A console error/assert or uncaught exception that followed a click, ``ms`` after it."""

    message: str = ""
    ms: int = 0
    uncaught: bool = False


class ClickEffect(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What followed a click within its effect window, read from the replay's tape when
    the window had passed, under one attribution rule
    (:mod:`~replaykit.analysis._attribution`).

    The window runs from the click to the next user action in the same tab (a click on
    something else, a keystroke, a select, Back/Forward, an address-bar load:
    ``next_action`` and ``next_action_ms``) or ``window_ms`` (7 s); what comes after the
    boundary is the later action's doing.

    - ``outcome``: ``error`` (an error within 2 s), ``navigation`` (a navigation the
      click could cause: a link, a form submit, a control's scripted navigation), ``reaction``
      (any other change that answered it), ``none``; None when the recording ended before
      the window closed with nothing seen. ``because`` says in a few words what decided it.
    - ``reaction_ms``/``reaction_kind``: the first answer: ``mutation`` (a DOM, CSS, canvas
      or media change outside the page's ambient activity), ``input`` (a field changed by
      the press, e.g. a checkbox), ``navigation``, ``scroll`` (the page scrolled itself)
      or ``focus`` (a text field took focus: its expected answer, only for text fields).
      ``mutation_ms``, ``input_ms``, ``scroll_ms`` (any scroll) and ``selection_ms`` give
      the first of each class, so each signal preset can apply its own thresholds.
      ``ambient_ms`` is the first ambient change and ``ambient_mutations_ignored`` how many
      were set aside.
    - ``navigation`` (``load`` = new document, ``spa`` = URL change), ``navigated_to`` and
      ``navigation_ms``: the navigation the click caused.
    - ``requests``: fetch/XHR requests started in the window; ``errors``: console
      errors/uncaught exceptions in it; ``text_added``/``text_removed``: a short sample of
      the visible text that appeared or went away (ambient changes left out).
    - ``truncated``: the recording ended before the window passed.
    """

    window_ms: int = 7000
    next_action_ms: int | None = None
    next_action: Literal["click", "input", "back_forward", "load"] | None = None
    outcome: Literal["navigation", "error", "reaction", "none"] | None = None
    because: str = ""
    reaction_ms: int | None = None
    reaction_kind: Literal["mutation", "input", "navigation", "scroll", "focus"] | None = None
    navigation: Literal["load", "spa"] | None = None
    navigated_to: str | None = None
    navigation_ms: int | None = None
    requests: tuple[EffectRequest, ...] = ()
    errors: tuple[EffectError, ...] = ()
    text_added: str = ""
    text_removed: str = ""
    truncated: bool = False
    mutation_ms: int | None = None
    input_ms: int | None = None
    scroll_ms: int | None = None
    selection_ms: int | None = None
    ambient_ms: int | None = None
    ambient_mutations_ignored: int = 0


class ClickDetails(_Details, frozen=True, tag="click"):
    """A click, double click, context menu or tap.

    ``button`` says which: ``click`` (rrweb Click), ``dblclick`` (a DblClick with no Click
    before it on the same node; otherwise the earlier click gets ``double=True``),
    ``contextmenu``, ``tap`` (TouchEnd; the Click a browser synthesises after it is merged).
    ``raw_node_id`` is the node the browser reported before lifting to the interactive
    ancestor that ``Action.node_id`` names. ``x``/``y`` are viewport pixels when recorded.

    ``target_kind`` classifies the target at click time (:data:`TargetKind`) and
    ``input_type`` is the ``type`` of an ``<input>`` target (or of the control a ``<label>``
    names); ``opt_out`` is set when the target or an ancestor carries a class asking
    analytics to ignore it (``ph-no-rageclick``, ``ph-no-capture``). ``form`` is the
    selector of the ``<form>`` around the target (None outside forms) and ``button_type``
    a ``<button>``'s ``type`` attribute (None: unset, which submits inside a form).
    ``effect`` is what followed the click (:class:`ClickEffect`), when the analyzer
    computed it.
    """

    button: Literal["click", "dblclick", "contextmenu", "tap"] = "click"
    double: bool = False
    x: float | None = None
    y: float | None = None
    raw_node_id: int | None = None
    tag: str | None = None
    href: str | None = None
    target_kind: TargetKind | None = None
    input_type: str | None = None
    opt_out: bool = False
    form: str | None = None
    button_type: str | None = None
    effect: ClickEffect | None = None
    # Mobile (screenshot) recordings (`_mobile.py`): a press held past the long-press
    # timeout, and how far outside the element's touch target a near miss landed.
    long_press: bool = False
    near_miss_pt: float | None = None
    # The clicked element's own ``data-*`` attributes (test hooks, analytics ids), as the
    # mirror keeps them: the fixed hooks plus up to 8 more, values cut at 200 chars.
    data: dict[str, str] = {}


class InputDetails(_Details, frozen=True, tag="input"):
    """One edit burst in one text field (events on the field less than 1 s apart).

    ``value`` is the final text only when the field is neither masked nor sensitive;
    ``length`` is always given. ``masked`` means the recording holds ``*`` in its place.
    ``chars_added``/``chars_removed`` sum the per-event length changes of the burst.
    ``form`` is the selector of the field's ``<form>`` (None outside forms); select and
    toggle details carry the same. ``correction`` marks a burst that began by deleting
    what was typed (at least 3 characters after a pause, :class:`AnalyzerOptions`): the
    person fixing a mistake; form analytics count these.
    """

    field_type: str = "text"
    length: int = 0
    value: str | None = None
    masked: bool = False
    sensitive: bool = False
    chars_added: int = 0
    chars_removed: int = 0
    events: int = 1
    t_end_ms: int = 0
    form: str | None = None
    correction: bool = False


class SelectDetails(_Details, frozen=True, tag="select"):
    """A ``<select>`` changed; ``option`` is the chosen option's visible text when known."""

    value: str | None = None
    option: str | None = None
    masked: bool = False
    form: str | None = None


class ToggleDetails(_Details, frozen=True, tag="toggle"):
    """A checkbox or radio button changed state."""

    field_type: str = "checkbox"
    checked: bool = False
    form: str | None = None


class ScrollDetails(_Details, frozen=True, tag="scroll"):
    """One scroll burst on one target (events less than 1 s apart).

    ``target`` is ``window`` for the document, ``element`` otherwise. ``y``/``x`` are the
    final position, ``dy``/``dx`` the change over the burst. ``programmatic`` marks a
    scroll the page made itself right after a navigation (scroll-to-top, restore).
    """

    target: Literal["window", "element"] = "window"
    x: float = 0
    y: float = 0
    dx: float = 0
    dy: float = 0
    events: int = 1
    t_end_ms: int = 0
    programmatic: bool = False
    # Mobile (screenshot) recordings (`_mobile.py`): ``gesture="swipe"`` for a finger
    # drag (``dx``/``dy`` are then the content's movement in touch points), ``cancelled``
    # when the system cancelled the touch.
    gesture: str | None = None
    cancelled: bool = False


class NavigationDetails(_Details, frozen=True, tag="navigation"):
    """The page URL changed.

    ``how``: ``load`` (new document), ``reload`` (new document, same URL), ``push`` /
    ``replace`` (SPA history change), ``pop`` (SPA back/forward), ``late`` (a checkout
    snapshot showed a URL no event announced), ``custom`` (a vendor navigation event).
    ``document`` counts documents from 1.
    """

    how: str = "load"
    from_url: str | None = None
    document: int = 1


class PageLoadDetails(_Details, frozen=True, tag="page_load"):
    """A document finished loading (a Meta + FullSnapshot pair that starts a document)."""

    document: int = 1
    width: int = 0
    height: int = 0
    nodes: int = 0


class ViewportDetails(_Details, frozen=True, tag="viewport"):
    """The viewport was resized."""

    width: int = 0
    height: int = 0


class SelectionDetails(_Details, frozen=True, tag="selection"):
    """Text selected (one burst of selection changes)."""

    text: str = ""
    chars: int = 0


class ConsoleErrorDetails(_Details, frozen=True, tag="console_error"):
    """``console.error`` or an uncaught exception (``uncaught``), message un-double-quoted."""

    message: str = ""
    level: str = "error"
    uncaught: bool = False
    trace: list[str] = []


ActionDetails: TypeAlias = (
    ClickDetails
    | InputDetails
    | SelectDetails
    | ToggleDetails
    | ScrollDetails
    | NavigationDetails
    | PageLoadDetails
    | ViewportDetails
    | SelectionDetails
    | ConsoleErrorDetails
)


class Action(msgspec.Struct, frozen=True, kw_only=True):
    """One human action (or page event) in a replay.

    ``t_ms`` is milliseconds from the replay's first event, ``timestamp`` epoch ms as
    recorded. ``target`` is a CSS-like selector and ``label`` what a person would call the
    element; both are resolved at the time of the action. ``url`` is the page URL then.
    ``seq`` numbers the replay's actions from 0 in emission order. ``document`` counts
    page loads from 1 (node ids are scoped to it); ``window_id`` names the browser tab when
    the recording says (PostHog).
    """

    replay_id: str
    seq: int
    kind: ActionKind
    t_ms: int
    timestamp: int
    node_id: int | None = None
    target: str | None = None
    label: str | None = None
    url: str | None = None
    document: int = 1
    window_id: str | None = None
    details: ActionDetails


# The `Coverage.events` key of each incremental source (by its data Struct's name).
INCREMENTAL_KEYS: Final = {
    "MutationData": "incremental:mutation",
    "MouseMoveData": "incremental:mouse_move",
    "MouseInteractionData": "incremental:mouse_interaction",
    "ScrollData": "incremental:scroll",
    "ViewportResizeData": "incremental:viewport_resize",
    "InputData": "incremental:input",
    "TouchMoveData": "incremental:touch_move",
    "MediaInteractionData": "incremental:media_interaction",
    "StyleSheetRuleData": "incremental:style_sheet_rule",
    "CanvasMutationData": "incremental:canvas_mutation",
    "FontData": "incremental:font",
    "LogData": "incremental:log",
    "DragData": "incremental:drag",
    "StyleDeclarationData": "incremental:style_declaration",
    "SelectionData": "incremental:selection",
    "AdoptedStyleSheetData": "incremental:adopted_style_sheet",
    "CustomElementData": "incremental:custom_element",
}


class Coverage(msgspec.Struct, kw_only=True):
    """What the analyzer saw and what it skipped for one replay; nothing is dropped silently.

    ``events`` counts decoded events per kind (``meta``, ``incremental:mutation``,
    ``plugin:rrweb/console@1`` ...); ``unknown`` counts skipped unknown kinds
    (``type:9``, ``source:42``, ``plugin:acme@1``, ``node_type:7``); ``malformed`` counts
    elements that were not events; ``too_deep`` events nested beyond the decoder's limit.
    ``dom`` holds the DOM tracker's counters (summed over tabs); ``windows`` counts the
    browser tabs the recording held; ``truncated`` is set when the input ended
    mid-element or the DOM node cap was hit. ``note`` is a one-line reason when the
    recording could not be read as a page at all (e.g. it holds no full snapshot).
    """

    events: dict[str, int] = {}
    unknown: dict[str, int] = {}
    malformed: int = 0
    too_deep: int = 0
    input_truncated: bool = False
    dom_truncated: bool = False
    repaired_timestamps: int = 0
    inversions: int = 0
    late_events: int = 0
    documents: int = 0
    snapshots: int = 0
    windows: int = 1
    dom: dict[str, int] = {}
    note: str | None = None
    platform: str | None = None  # mobile recordings: android, ios, flutter, react-native

    @property
    def truncated(self) -> bool:
        """True when part of the recording could not be analyzed (input cut or node cap)."""
        return self.input_truncated or self.dom_truncated
