"""The rrweb recording format: typed events, streaming decode, and the DOM mirror.

:func:`iter_event_chunks` reads any supported container (JSON arrays, NDJSON, gzip/zlib,
packer strings, PostHog and other wrappers) into bounded :class:`EventChunk` s;
:class:`DomTracker` mirrors the page as mutations arrive.
"""

from ._decode import DEFAULT_MAX_INPUT_BYTES, decode_events, iter_event_chunks, sniff_format
from ._dom import DomTracker
from ._input import DEFAULT_MAX_EVENT_BYTES
from ._model import Event, EventChunk
from ._rows import EventRow, event_row

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_INPUT_BYTES",
    "DomTracker",
    "Event",
    "EventChunk",
    "EventRow",
    "decode_events",
    "event_row",
    "iter_event_chunks",
    "sniff_format",
]
