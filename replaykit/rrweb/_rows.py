"""One compact row per decoded event: what the bundle's ``events`` frame stores.

An :class:`EventRow` is taken while the analyzer walks a chunk, so the events frame
comes from the one decode pass (no second read of the recording, and Mixpanel replays,
which have no file to read again, get their rows too). A row is a plain tuple of
scalars, a small fraction of the decoded event it describes (a full snapshot's whole
DOM tree becomes nine fields).
"""

from __future__ import annotations

from typing import NamedTuple

from ._model import (
    CustomEvent,
    Event,
    IncrementalEvent,
    MetaEvent,
    MouseInteractionData,
    PluginEvent,
    ScrollData,
)

__all__ = ["EventRow", "event_row"]


class EventRow(NamedTuple):
    """The columns of one rrweb event in the events frame (``None`` where not relevant)."""

    timestamp: int
    type: int
    source: int | None = None
    mouse_type: int | None = None
    node_id: int | None = None
    x: float | None = None
    y: float | None = None
    url: str | None = None
    name: str | None = None


def event_row(event: Event) -> EventRow:
    """The :class:`EventRow` of one decoded event."""
    ts = int(event.timestamp)
    kind: int = type(event).__struct_config__.tag  # type: ignore[assignment]
    if isinstance(event, IncrementalEvent):
        data = event.data
        source: int = type(data).__struct_config__.tag  # type: ignore[assignment]
        node = getattr(data, "id", None)
        if isinstance(data, MouseInteractionData):
            return EventRow(ts, kind, source, data.type, node, data.x, data.y)
        if isinstance(data, ScrollData):
            return EventRow(ts, kind, source, None, node, data.x, data.y)
        return EventRow(ts, kind, source, None, node)
    if isinstance(event, MetaEvent):
        return EventRow(ts, kind, url=event.data.href)
    if isinstance(event, CustomEvent):
        return EventRow(ts, kind, name=event.data.tag)
    if isinstance(event, PluginEvent):
        return EventRow(ts, kind, name=event.data.plugin)
    return EventRow(ts, kind)
