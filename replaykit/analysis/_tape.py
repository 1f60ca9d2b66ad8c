"""The tape: compact per-replay records the signal detectors read after the single pass.

The analyzer appends to a :class:`Tape` while it walks the events (it never keeps events
themselves): small Structs with epoch-ms times, the document number (1, 2, ... one per
page load) and the window (tab) id. Detectors are plain functions over a finished tape
and the replay's actions, so each one can be tested on a hand-built tape.

Every record that can answer a click carries ``order``, its event's position in the
stream: events at the same millisecond keep the order the recorder emitted them in, so
an error logged by the *next* click's handler at the same millisecond as that click is
told apart from one logged before it.

Memory stays proportional to what happened, not to the recording's size: one record per
mutation *event* (not per node), per scroll, input, selection, console record, network
request; mouse positions are kept at most every 50 ms.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "ConsoleRecord",
    "DocumentRecord",
    "FocusRecord",
    "InputRecord",
    "MutationRecord",
    "NetworkRecord",
    "PointerRecord",
    "ScrollRecord",
    "Tape",
]


class MutationRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One DOM/visual change event.

    ``source`` is the rrweb incremental source (0 mutation, 7 media, 8/13/15 CSS, 9
    canvas). For mutations, ``adds``/``removes``/``texts``/``attributes`` count the
    entries; ``text_added`` holds the first visible text of added Text nodes and text
    changes (at most 200 chars), ``text_removed`` the same for removed nodes, so a click
    effect can say what appeared ("Payment failed") or vanished. ``ambient`` marks an
    event that only touched regions the page kept changing on its own before the latest
    user action (:mod:`~replaykit.analysis._ambient`): it is not a reaction to that action.
    """

    t: int
    document: int
    source: int = 0
    adds: int = 0
    removes: int = 0
    texts: int = 0
    attributes: int = 0
    text_added: str = ""
    text_removed: str = ""
    window_id: str | None = None
    order: int = 0
    ambient: bool = False


class ScrollRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One Scroll event: the node scrolled (a Document id means the window) and position."""

    t: int
    document: int
    node_id: int
    x: float
    y: float
    is_window: bool = True
    programmatic: bool = False
    window_id: str | None = None
    order: int = 0


class InputRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One Input event (user-triggered or unknown): field, new length, checked state."""

    t: int
    document: int
    node_id: int
    length: int = 0
    checked: bool | None = None
    window_id: str | None = None
    order: int = 0


class ConsoleRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One console record (plugin or legacy source 11), message un-double-quoted.

    ``uncaught`` when the message starts with ``Uncaught`` (incl. ``Uncaught (in
    promise)``). Every level is kept; ``level`` is the recorder's.
    """

    t: int
    document: int
    level: str
    message: str
    uncaught: bool = False
    trace: tuple[str, ...] = ()
    window_id: str | None = None
    order: int = 0


class NetworkRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One request from a network plugin (`rrweb/network@1`, `@1.mp`, `posthog/network@1`).

    ``t`` is the plugin event's timestamp (when the recorder reported it). ``start`` and
    ``end`` are epoch ms: the plugin's document-relative times plus the estimated time
    origin of the document (or the `.mp` variant's absolute ``timeOrigin``); None when the
    request carried no timing. ``status`` None means unknown (not necessarily success);
    ``from_wrapper`` is true when headers/bodies were captured, i.e. the fetch/XHR wrapper
    reported it after the response, so a missing status there means the request failed.
    ``initial`` marks the batch of requests made before the recorder started.
    """

    t: int
    document: int
    url: str
    method: str = "GET"
    initiator: str = ""
    status: int | None = None
    start: float | None = None
    end: float | None = None
    duration: float | None = None
    from_wrapper: bool = False
    initial: bool = False
    window_id: str | None = None


class FocusRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """An element took focus (MouseInteraction Focus): a text field clicked into."""

    t: int
    document: int
    node_id: int
    window_id: str | None = None


class PointerRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A pointer sample at its real time (``timestamp + timeOffset``); ``kind`` is ``move``,
    ``touch``, ``drag``, ``down`` or ``up``."""

    t: int
    document: int
    x: float
    y: float
    kind: str = "move"
    window_id: str | None = None


class DocumentRecord(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """A page load (new document) or a checkout snapshot of the current one."""

    t: int
    document: int
    url: str | None
    new_document: bool
    width: int = 0
    height: int = 0
    scroll_y: float = 0
    window_id: str | None = None


class Tape(msgspec.Struct, kw_only=True):
    """Everything the detectors need from one replay, in time order per list.

    ``activity`` holds ``(t, active)`` for every event (``active`` per PostHog's active
    sources: mouse move, mouse interaction, scroll, viewport resize, input, touch move,
    media interaction, drag), so active time and idle gaps can be computed exactly.
    ``first_timestamp``/``last_timestamp`` bound the replay after outlier repair.
    """

    mutations: list[MutationRecord] = msgspec.field(default_factory=list)
    scrolls: list[ScrollRecord] = msgspec.field(default_factory=list)
    inputs: list[InputRecord] = msgspec.field(default_factory=list)
    selections: list[int] = msgspec.field(default_factory=list)
    console: list[ConsoleRecord] = msgspec.field(default_factory=list)
    network: list[NetworkRecord] = msgspec.field(default_factory=list)
    pointer: list[PointerRecord] = msgspec.field(default_factory=list)
    focus: list[FocusRecord] = msgspec.field(default_factory=list)
    documents: list[DocumentRecord] = msgspec.field(default_factory=list)
    activity: list[tuple[int, bool]] = msgspec.field(default_factory=list)
    first_timestamp: int | None = None
    last_timestamp: int | None = None
