"""msgspec Structs for the rrweb event format (the subset the analyzer reads).

Decoding is validated at the edge: `msgspec.json.Decoder(list[Event])` dispatches on the
envelope's `type`, then on an incremental event's `data.source`, and on every serialized
node's `type`. Fields the analyzer never reads are not declared, so msgspec skips them
cheaply (`_cssText` aside, which stays an attribute value). Sources the analyzer does not
read (style sheets, canvas, fonts, ...) decode to empty Structs: they are counted, never
looked into.

Every Struct is frozen and `gc=False`: event trees are acyclic by construction. Arrays
decode to tuples, not lists: CPython stops tracking a tuple of untracked items after one
collection, while a list is re-scanned by every collection that reaches it, and a large
snapshot holds ~100,000 of them.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

import msgspec

__all__ = [
    "EVENT_TYPE_NAMES",
    "INCREMENTAL_SOURCE_NAMES",
    "MOUSE_INTERACTION_NAMES",
    "AddedNode",
    "AdoptedStyleSheetData",
    "AssetEvent",
    "AttributeChange",
    "CDATANode",
    "CanvasMutationData",
    "CommentNode",
    "CustomData",
    "CustomElementData",
    "CustomEvent",
    "DocumentNode",
    "DocumentTypeNode",
    "DomContentLoadedData",
    "DomContentLoadedEvent",
    "DragData",
    "ElementNode",
    "Event",
    "EventChunk",
    "FontData",
    "FullSnapshotData",
    "FullSnapshotEvent",
    "IncrementalData",
    "IncrementalEvent",
    "InputData",
    "LoadData",
    "LoadEvent",
    "LogData",
    "MediaInteractionData",
    "MetaData",
    "MetaEvent",
    "MouseInteraction",
    "MouseInteractionData",
    "MouseMoveData",
    "MutationData",
    "Node",
    "NodeType",
    "PluginData",
    "PluginEvent",
    "Position",
    "RemovedNode",
    "ScrollData",
    "ScrollOffset",
    "SelectionData",
    "SelectionRange",
    "Source",
    "StyleDeclarationData",
    "StyleSheetRuleData",
    "TextChange",
    "TextNode",
    "TouchMoveData",
    "ViewportResizeData",
]


class EventType:
    """rrweb `EventType` values (the envelope's `type`)."""

    DOM_CONTENT_LOADED: Final = 0
    LOAD: Final = 1
    FULL_SNAPSHOT: Final = 2
    INCREMENTAL: Final = 3
    META: Final = 4
    CUSTOM: Final = 5
    PLUGIN: Final = 6
    ASSET: Final = 7


class Source:
    """rrweb `IncrementalSource` values (`data.source` of an incremental event)."""

    MUTATION: Final = 0
    MOUSE_MOVE: Final = 1
    MOUSE_INTERACTION: Final = 2
    SCROLL: Final = 3
    VIEWPORT_RESIZE: Final = 4
    INPUT: Final = 5
    TOUCH_MOVE: Final = 6
    MEDIA_INTERACTION: Final = 7
    STYLE_SHEET_RULE: Final = 8
    CANVAS_MUTATION: Final = 9
    FONT: Final = 10
    LOG: Final = 11
    DRAG: Final = 12
    STYLE_DECLARATION: Final = 13
    SELECTION: Final = 14
    ADOPTED_STYLE_SHEET: Final = 15
    CUSTOM_ELEMENT: Final = 16


class MouseInteraction:
    """rrweb `MouseInteractions` values (`data.type` of a MouseInteraction event)."""

    MOUSE_UP: Final = 0
    MOUSE_DOWN: Final = 1
    CLICK: Final = 2
    CONTEXT_MENU: Final = 3
    DBL_CLICK: Final = 4
    FOCUS: Final = 5
    BLUR: Final = 6
    TOUCH_START: Final = 7
    TOUCH_MOVE_DEPARTED: Final = 8
    TOUCH_END: Final = 9
    TOUCH_CANCEL: Final = 10


class NodeType:
    """rrweb-snapshot `NodeType` values (a serialized node's `type`)."""

    DOCUMENT: Final = 0
    DOCUMENT_TYPE: Final = 1
    ELEMENT: Final = 2
    TEXT: Final = 3
    CDATA: Final = 4
    COMMENT: Final = 5


EVENT_TYPE_NAMES: Final[dict[int, str]] = {
    0: "dom_content_loaded",
    1: "load",
    2: "full_snapshot",
    3: "incremental",
    4: "meta",
    5: "custom",
    6: "plugin",
    7: "asset",
}

INCREMENTAL_SOURCE_NAMES: Final[dict[int, str]] = {
    0: "mutation",
    1: "mouse_move",
    2: "mouse_interaction",
    3: "scroll",
    4: "viewport_resize",
    5: "input",
    6: "touch_move",
    7: "media_interaction",
    8: "style_sheet_rule",
    9: "canvas_mutation",
    10: "font",
    11: "log",
    12: "drag",
    13: "style_declaration",
    14: "selection",
    15: "adopted_style_sheet",
    16: "custom_element",
}

MOUSE_INTERACTION_NAMES: Final[dict[int, str]] = {
    0: "mouse_up",
    1: "mouse_down",
    2: "click",
    3: "context_menu",
    4: "dbl_click",
    5: "focus",
    6: "blur",
    7: "touch_start",
    8: "touch_move_departed",
    9: "touch_end",
    10: "touch_cancel",
}


# --- serialized nodes (FullSnapshot and mutation adds) -------------------------------------


class _NodeBase(
    msgspec.Struct, frozen=True, gc=False, kw_only=True, tag_field="type", rename="camel"
):
    id: int
    root_id: int | None = None
    is_shadow: bool = False


class DocumentNode(_NodeBase, frozen=True, tag=0):
    """A Document: the top page, or an iframe's document attached by a mutation."""

    child_nodes: tuple[Node, ...] = ()


class DocumentTypeNode(_NodeBase, frozen=True, tag=1):
    """`<!DOCTYPE name>`."""

    name: str = ""


class ElementNode(_NodeBase, frozen=True, tag=2):
    """An element. `attributes` values are str, number, `True`, or `None` (mutations)."""

    tag_name: str
    attributes: dict[str, Any] = {}
    child_nodes: tuple[Node, ...] = ()
    is_svg: bool = False
    is_shadow_host: bool = False


class TextNode(_NodeBase, frozen=True, tag=3):
    """A text node (possibly masked: every non-space character replaced by `*`)."""

    text_content: str = ""
    is_style: bool = False


class CDATANode(_NodeBase, frozen=True, tag=4):
    """A CDATA section."""

    text_content: str = ""


class CommentNode(_NodeBase, frozen=True, tag=5):
    """A comment."""

    text_content: str = ""


Node: TypeAlias = DocumentNode | DocumentTypeNode | ElementNode | TextNode | CDATANode | CommentNode


# --- incremental snapshot payloads (type 3), dispatched on `source` ---------------------


class _IncrementalBase(
    msgspec.Struct, frozen=True, gc=False, kw_only=True, tag_field="source", rename="camel"
):
    pass


class _Item(msgspec.Struct, frozen=True, gc=False, kw_only=True, rename="camel"):
    pass


class AddedNode(_Item, frozen=True):
    """One mutation add: insert `node` under `parent_id` before `next_id` (None: append)."""

    parent_id: int
    node: Node
    next_id: int | None = None
    previous_id: int | None = None


class RemovedNode(_Item, frozen=True):
    """One mutation remove: drop node `id` and its subtree."""

    id: int
    parent_id: int | None = None
    is_shadow: bool = False


class TextChange(_Item, frozen=True):
    """One mutation text change (`value` None means empty)."""

    id: int
    value: str | None = None


class AttributeChange(_Item, frozen=True):
    """One mutation attribute change; a `None` value removes the attribute.

    `style` may be a full string or an object diff `{property: value | [value, prio] | False}`.
    """

    id: int
    attributes: dict[str, Any] = {}


class MutationData(_IncrementalBase, frozen=True, tag=0):
    """DOM mutations; apply removes, then adds, then texts, then attributes."""

    adds: tuple[AddedNode, ...] = ()
    removes: tuple[RemovedNode, ...] = ()
    texts: tuple[TextChange, ...] = ()
    attributes: tuple[AttributeChange, ...] = ()
    is_attach_iframe: bool = False


class Position(_Item, frozen=True):
    """A sampled pointer position; its time is `event.timestamp + time_offset` (offset <= 0)."""

    x: float
    y: float
    id: int | None = None
    time_offset: float = 0


class MouseMoveData(_IncrementalBase, frozen=True, tag=1):
    """Batched mouse positions."""

    positions: tuple[Position, ...] = ()


class MouseInteractionData(_IncrementalBase, frozen=True, tag=2):
    """A mouse/touch interaction; `type` is a `MouseInteraction` value."""

    type: int
    id: int
    x: float | None = None
    y: float | None = None
    pointer_type: int | None = None


class ScrollData(_IncrementalBase, frozen=True, tag=3):
    """Scroll position of a node (the Document's id means the window)."""

    id: int
    x: float = 0
    y: float = 0


class ViewportResizeData(_IncrementalBase, frozen=True, tag=4):
    """New viewport size."""

    width: float
    height: float


class InputData(_IncrementalBase, frozen=True, tag=5):
    """A field's new value (masked as recorded) or checked state."""

    id: int
    text: str = ""
    is_checked: bool | None = None
    user_triggered: bool | None = None


class TouchMoveData(_IncrementalBase, frozen=True, tag=6):
    """Batched touch positions."""

    positions: tuple[Position, ...] = ()


class MediaInteractionData(_IncrementalBase, frozen=True, tag=7):
    """Play/pause/seek/volume on a media element."""

    type: int
    id: int


class StyleSheetRuleData(_IncrementalBase, frozen=True, tag=8):
    """Style sheet rule change (visual only; ``id`` is the node it applies to, when recorded)."""

    id: int | None = None


class CanvasMutationData(_IncrementalBase, frozen=True, tag=9):
    """Canvas drawing commands (visual only; ``id`` is the node it applies to, when recorded)."""

    id: int | None = None


class FontData(_IncrementalBase, frozen=True, tag=10):
    """Web font load (not read)."""


class LogData(_IncrementalBase, frozen=True, tag=11):
    """Legacy console record (rrweb <= 0.9), shaped like the console plugin payload."""

    level: str = "log"
    payload: list[Any] = []
    trace: list[Any] = []


class DragData(_IncrementalBase, frozen=True, tag=12):
    """Batched positions of an HTML5 drag."""

    positions: tuple[Position, ...] = ()


class StyleDeclarationData(_IncrementalBase, frozen=True, tag=13):
    """CSS declaration change (visual only; ``id`` is the node it applies to, when recorded)."""

    id: int | None = None


class SelectionRange(_Item, frozen=True):
    """A selected range between two nodes (usually Text) with character offsets."""

    start: int
    start_offset: int
    end: int
    end_offset: int


class SelectionData(_IncrementalBase, frozen=True, tag=14):
    """The page's text selection changed."""

    ranges: tuple[SelectionRange, ...] = ()


class AdoptedStyleSheetData(_IncrementalBase, frozen=True, tag=15):
    """Adopted style sheets (visual only; ``id`` is the node it applies to, when recorded)."""

    id: int | None = None


class CustomElementData(_IncrementalBase, frozen=True, tag=16):
    """`customElements.define` (not read)."""


IncrementalData: TypeAlias = (
    MutationData
    | MouseMoveData
    | MouseInteractionData
    | ScrollData
    | ViewportResizeData
    | InputData
    | TouchMoveData
    | MediaInteractionData
    | StyleSheetRuleData
    | CanvasMutationData
    | FontData
    | LogData
    | DragData
    | StyleDeclarationData
    | SelectionData
    | AdoptedStyleSheetData
    | CustomElementData
)


# --- other payloads ----------------------------------------------------------------------


class DomContentLoadedData(_Item, frozen=True):
    """Usually empty; 2018 legacy recordings put the page URL here."""

    href: str | None = None


class LoadData(_Item, frozen=True):
    """Usually empty; 2018 legacy recordings put the viewport size here."""

    width: float | None = None
    height: float | None = None


class ScrollOffset(_Item, frozen=True):
    """Window scroll at snapshot time."""

    top: float = 0
    left: float = 0


class FullSnapshotData(_Item, frozen=True):
    """The whole serialized document."""

    node: Node
    initial_offset: ScrollOffset | None = None


class MetaData(_Item, frozen=True):
    """Page URL and viewport size, emitted right before every FullSnapshot."""

    href: str = ""
    width: float = 0
    height: float = 0
    discriminator: str | None = None  # Mixpanel's Android/Flutter SDKs: a platform hint


class CustomData(_Item, frozen=True):
    """`record.addCustomEvent(tag, payload)`; `payload` can be anything."""

    tag: str
    payload: Any = None


class PluginData(_Item, frozen=True):
    """A plugin record; `payload` stays encoded until the analyzer asks for it."""

    plugin: str
    payload: msgspec.Raw = msgspec.Raw(b"null")


# --- the envelope, dispatched on `type` --------------------------------------------------


class _EventBase(msgspec.Struct, frozen=True, gc=False, kw_only=True, tag_field="type"):
    timestamp: float


class DomContentLoadedEvent(_EventBase, frozen=True, tag=0):
    """type 0."""

    data: DomContentLoadedData = DomContentLoadedData()


class LoadEvent(_EventBase, frozen=True, tag=1):
    """type 1."""

    data: LoadData = LoadData()


class FullSnapshotEvent(_EventBase, frozen=True, tag=2):
    """type 2."""

    data: FullSnapshotData


class IncrementalEvent(_EventBase, frozen=True, tag=3):
    """type 3."""

    data: IncrementalData


class MetaEvent(_EventBase, frozen=True, tag=4):
    """type 4."""

    data: MetaData = MetaData()


class CustomEvent(_EventBase, frozen=True, tag=5):
    """type 5."""

    data: CustomData


class PluginEvent(_EventBase, frozen=True, tag=6):
    """type 6."""

    data: PluginData


class AssetEvent(_EventBase, frozen=True, tag=7):
    """type 7 (rrweb >= 2): an inlined asset; not read."""


Event: TypeAlias = (
    DomContentLoadedEvent
    | LoadEvent
    | FullSnapshotEvent
    | IncrementalEvent
    | MetaEvent
    | CustomEvent
    | PluginEvent
    | AssetEvent
)


class EventChunk(msgspec.Struct, frozen=True, kw_only=True):
    """A batch of decoded events, the unit that crosses stage boundaries.

    `events` are in timestamp order within the chunk (stable: ties keep array order).
    `unknown` counts elements skipped because their kind is unknown (keys such as
    `"type:9"`, `"source:42"`, `"node_type:7"`); `malformed` counts elements that are not
    events at all (wrong types, missing fields, undecodable strings); `too_deep` counts
    events nested deeper than the decoder can follow. `truncated` is set on the last chunk
    of an input that ended mid-element. `repaired_timestamps` counts outliers replaced by
    their predecessor's time, `inversions` the out-of-order steps left before sorting.
    `window_id` names the browser tab when the container says (PostHog).
    """

    events: list[Event]
    index: int = 0
    unknown: dict[str, int] = {}
    malformed: int = 0
    too_deep: int = 0
    truncated: bool = False
    repaired_timestamps: int = 0
    inversions: int = 0
    window_id: str | None = None
