"""Recording containers: events as the bytes of a recording file (:func:`encode_recording`)
and the hypothesis strategy :func:`recording_bytes` that draws them, sometimes damaged."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Sequence
from typing import Final

from hypothesis import strategies as st

from ._strategies_damage import _pack
from ._strategies_events import rrweb_streams
from ._strategies_json import Json

__all__ = ["CONTAINERS", "encode_recording", "recording_bytes"]

CONTAINERS: Final = (
    "json",
    "json-lines",
    "json-pretty",
    "ndjson",
    "gzip",
    "zlib",
    "packed",
    "posthog-pairs",
    "posthog-windows",
    "wrapped",
)
"""The containers :func:`recording_bytes` writes (all of which replaykit reads)."""


def encode_recording(events: Sequence[Json], container: str) -> bytes:
    """`events` as the bytes of a recording in `container` (one of :data:`CONTAINERS`)."""
    events = list(events)
    dumps = json.dumps
    if container == "json":
        return dumps(events, separators=(",", ":")).encode()
    if container == "json-lines":
        return ("[\n" + ",\n".join(dumps(e) for e in events) + "\n]\n").encode()
    if container == "json-pretty":
        return dumps(events, indent=2).encode()
    if container == "ndjson":
        return "".join(dumps(e) + "\n" for e in events).encode()
    if container == "gzip":
        return gzip.compress(encode_recording(events, "json-lines"), mtime=0)
    if container == "zlib":
        return zlib.compress(encode_recording(events, "json"))
    if container == "packed":
        return dumps([_pack(e) for e in events]).encode()
    if container == "posthog-pairs":
        return "".join(dumps(["window-1", e]) + "\n" for e in events).encode()
    if container == "posthog-windows":
        return "".join(dumps({"window_id": "w1", "data": [e]}) + "\n" for e in events).encode()
    if container == "wrapped":
        return dumps({"data": {"events": events}}).encode()
    raise ValueError(f"unknown container {container!r}; expected one of {CONTAINERS}")


@st.composite
def _bytes(
    draw: st.DrawFn,
    events: st.SearchStrategy[list[Json]],
    containers: Sequence[str],
    damage: bool,
) -> bytes:
    data = encode_recording(draw(events), draw(st.sampled_from(list(containers))))
    if damage and data:
        how = draw(st.integers(0, 3))
        if how == 0:  # cut off (an upload that stopped)
            data = data[: draw(st.integers(0, len(data)))]
        elif how == 1:  # flipped bytes
            raw = bytearray(data)
            for _ in range(draw(st.integers(1, 4))):
                k = draw(st.integers(0, len(raw) - 1))
                raw[k] ^= draw(st.integers(1, 255))
            data = bytes(raw)
        elif how == 2:  # a slice spliced out
            a = draw(st.integers(0, len(data)))
            b = draw(st.integers(a, min(len(data), a + 64)))
            data = data[:a] + data[b:]
    return data


def recording_bytes(
    events: st.SearchStrategy[list[Json]] | None = None,
    *,
    containers: Sequence[str] = CONTAINERS,
    damage: bool = False,
) -> st.SearchStrategy[bytes]:
    """Recordings as bytes: `events` (default: :func:`rrweb_streams`) in one of
    `containers` (:data:`CONTAINERS`). With `damage`, the bytes are sometimes cut off,
    have flipped bytes or a slice spliced out."""
    return _bytes(events if events is not None else rrweb_streams(), tuple(containers), damage)
