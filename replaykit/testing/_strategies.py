"""Hypothesis strategies for rrweb recordings: valid streams, random trees, damaged events.

For property tests of anything that reads rrweb (replaykit's own fuzz tests use them)::

    from hypothesis import given
    from replaykit.testing import recording_bytes, rrweb_streams

    @given(rrweb_streams(valid=False))
    def test_never_crashes(events): ...

    @given(recording_bytes(rrweb_streams(), damage=True))
    def test_bytes_never_crash(data): ...

Values are plain JSON-ready objects (dicts, lists, str, numbers) shaped exactly as
recorders write them: encode them with :func:`json.dumps` or let :func:`recording_bytes`
put them in a container (JSON array, NDJSON, gzip, zlib, packer strings, PostHog lines,
wrappers). A *valid* stream decodes into typed events with nothing skipped; *invalid*
ones are valid streams damaged the way uploads, old recorders and attackers damage them.

This module needs hypothesis, a test dependency; importing :mod:`replaykit.testing` does
not load it (these names are imported on first use).

The strategies live by what they build: :mod:`._strategies_trees` (serialized DOM trees),
:mod:`._strategies_events` (events and streams), :mod:`._strategies_damage` (faults),
:mod:`._strategies_containers` (recording bytes), on the values of :mod:`._strategies_json`;
this module gathers them.
"""

from __future__ import annotations

from ._strategies_containers import CONTAINERS, encode_recording, recording_bytes
from ._strategies_damage import damaged
from ._strategies_events import incremental_events, rrweb_events, rrweb_streams
from ._strategies_json import T0 as T0
from ._strategies_json import Json as Json
from ._strategies_trees import serialized_trees

__all__ = [
    "CONTAINERS",
    "damaged",
    "encode_recording",
    "incremental_events",
    "recording_bytes",
    "rrweb_events",
    "rrweb_streams",
    "serialized_trees",
]
