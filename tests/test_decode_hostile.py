"""Decoder on hostile and odd input: truncation, wrong types, unknown kinds, depth, bombs."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaykit import RecordingError, RecordingFormatError, RecordingTooLargeError
from replaykit.rrweb._decode import decode_events, iter_event_chunks
from replaykit.rrweb._model import Event, EventChunk, IncrementalEvent, MutationData

FORMATS_DIR = Path(__file__).resolve().parent / "fixtures" / "formats"
TRACELANE = FORMATS_DIR / "tracelane-login-failure-console.json"

_typed = msgspec.json.Decoder(list[Event])
EVENTS: list[dict[str, Any]] = json.loads(TRACELANE.read_bytes())
COMPACT = TRACELANE.read_bytes()
ONE_PER_LINE = b"[\n" + b",\n".join(json.dumps(e).encode() for e in EVENTS) + b"\n]\n"
NDJSON = b"".join(json.dumps(e).encode() + b"\n" for e in EVENTS)
PRETTY = json.dumps(EVENTS, indent=1).encode()
WRAPPED = json.dumps({"data": {"events": EVENTS}}).encode()
GZIPPED = gzip.compress(COMPACT)
STAMPS = [e["timestamp"] for e in EVENTS]

# Timestamps of the fixture never go back, so every decode is in array order.
assert sorted(STAMPS) == STAMPS


def _chunks(data: Any, **kwargs: Any) -> list[EventChunk]:
    return list(iter_event_chunks(data, **kwargs))


def _counted(chunks: list[EventChunk]) -> int:
    return sum(len(c.events) + sum(c.unknown.values()) + c.malformed + c.too_deep for c in chunks)


def _totals(chunks: list[EventChunk]) -> tuple[dict[str, int], int, int]:
    unknown: dict[str, int] = {}
    for c in chunks:
        for key, n in c.unknown.items():
            unknown[key] = unknown.get(key, 0) + n
    return unknown, sum(c.malformed for c in chunks), sum(c.too_deep for c in chunks)


def _meta(ts: int = 1_700_000_000_000) -> dict[str, Any]:
    return {
        "type": 4,
        "data": {"href": "https://x.test/", "width": 800, "height": 600},
        "timestamp": ts,
    }


def _click(ts: int = 1_700_000_000_100) -> dict[str, Any]:
    return {"type": 3, "data": {"source": 2, "type": 2, "id": 5, "x": 1, "y": 2}, "timestamp": ts}


def _deep_snapshot(depth: int, ts: int = 1_700_000_000_050) -> bytes:
    """A FullSnapshot whose element tree is `depth` levels deep (built as text: no recursion)."""
    opening = b'{"type":2,"tagName":"div","attributes":{},"id":1,"childNodes":['
    node = opening * depth + b"]}" * depth
    return (
        b'{"type":2,"data":{"node":'
        + node
        + b',"initialOffset":{"top":0,"left":0}},"timestamp":%d}' % ts
    )


# --- truncation ----------------------------------------------------------------------------

LAYOUTS = {
    "compact": COMPACT,
    "one-per-line": ONE_PER_LINE,
    "ndjson": NDJSON,
    "pretty": PRETTY,
    "wrapped": WRAPPED,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_input_keeps_the_complete_prefix(layout: str, cut: float) -> None:
    data = LAYOUTS[layout]
    offset = int(len(data) * cut)
    head = data[:offset]
    try:
        chunks = _chunks(head)
    except RecordingFormatError as exc:
        assert "undecodable input" not in str(exc)
        return
    events = [e for c in chunks for e in c.events]
    # Every kept event is the same as in the full decode, in order, with no gaps.
    assert [e.timestamp for e in events] == STAMPS[: len(events)]
    assert _counted(chunks) == len(events)  # a cut-off element is dropped, never counted
    if layout == "ndjson":
        # NDJSON has no closing bracket: only a cut inside a line can be noticed.
        tail = head.rsplit(b"\n", 1)[-1].strip()
        complete = True
        if tail:
            try:
                json.loads(tail)
            except ValueError:
                complete = False
        assert len(events) == len(head.split(b"\n")) - (0 if complete and tail else 1)
    else:
        complete = head.strip() == data.strip()
    assert chunks[-1].truncated is (not complete)
    if complete and layout != "ndjson":
        assert len(events) == len(EVENTS)
    assert not any(c.truncated for c in chunks[:-1])


def test_truncation_at_every_offset_of_a_small_array() -> None:
    data = COMPACT[:1500]
    kept_before = 0
    for offset in range(len(data) + 1):
        try:
            chunks = _chunks(data[:offset])
        except RecordingFormatError:
            assert kept_before == 0  # once an event was kept, longer cuts keep it too
            continue
        kept = sum(len(c.events) for c in chunks)
        assert chunks[-1].truncated
        assert kept >= kept_before
        kept_before = kept
    assert kept_before >= 1


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=20, max_value=len(GZIPPED) - 1))
def test_truncated_gzip(cut: int) -> None:
    try:
        chunks = _chunks(GZIPPED[:cut])
    except RecordingFormatError:
        return
    events = [e for c in chunks for e in c.events]
    assert [e.timestamp for e in events] == STAMPS[: len(events)]
    assert chunks[-1].truncated


def test_truncated_wrapper_keeps_its_events() -> None:
    data = json.dumps({"version": "1", "data": {"snapshotsByWindowId": {"w": EVENTS}}}).encode()
    chunks = _chunks(data[: len(data) - 300])
    assert chunks[-1].truncated
    assert {c.window_id for c in chunks} == {"w"}
    assert 0 < sum(len(c.events) for c in chunks) < len(EVENTS)


def test_nothing_but_an_opening_bracket() -> None:
    for data in (b"[", b"[\n", b'[{"type":4,"da', b'{"events": [{"type"'):
        with pytest.raises(RecordingFormatError, match="cut off"):
            _chunks(data, replay_id="r1")


# --- broken elements -----------------------------------------------------------------------


def test_corrupt_line_costs_one_element() -> None:
    lines = ONE_PER_LINE.split(b"\n")
    lines[4] = lines[4][: len(lines[4]) // 2] + b"##" + lines[4][len(lines[4]) // 2 :]
    chunks = _chunks(b"\n".join(lines))
    assert sum(c.malformed for c in chunks) == 1
    assert sum(len(c.events) for c in chunks) == len(EVENTS) - 1
    assert not chunks[-1].truncated

    ndjson = NDJSON.split(b"\n")
    ndjson[2] = b'{"type": 3, "data": '
    chunks = _chunks(b"\n".join(ndjson))
    assert sum(c.malformed for c in chunks) == 1
    assert sum(len(c.events) for c in chunks) == len(EVENTS) - 1


def test_wrong_field_types_are_counted_malformed() -> None:
    bad = [
        {"type": 3, "data": {"source": 1, "positions": 5}, "timestamp": 1_700_000_000_001},
        {"type": 2, "timestamp": 1_700_000_000_002},  # FullSnapshot without data
        {"type": "3", "data": {"source": 2, "type": 2, "id": 1}, "timestamp": 1_700_000_000_003},
        {"type": 4, "data": {}, "timestamp": "soon"},
        {"type": 4, "data": {}, "timestamp": "NaN"},
        {"type": 4, "data": {}},
        {"data": {}, "timestamp": 1},
        42,
        None,
        [1, 2],
        "not packed",
        {"type": 3, "data": {"source": 2, "type": "click", "id": 1}, "timestamp": 1},
    ]
    data = json.dumps([_meta(), *bad, _click()]).encode()
    chunks = _chunks(data)
    unknown, malformed, too_deep = _totals(chunks)
    assert (unknown, malformed, too_deep) == ({}, len(bad), 0)
    assert len([e for c in chunks for e in c.events]) == 2


def test_numeric_string_timestamps_are_coerced() -> None:
    data = json.dumps(
        [
            {**_meta(), "timestamp": "1700000000000"},
            {**_click(), "timestamp": "1700000000100.5"},
            {**_click(), "timestamp": " 1.7000000002e12 "},
        ]
    ).encode()
    [chunk] = _chunks(data)
    assert [e.timestamp for e in chunk.events] == [
        1_700_000_000_000,
        1_700_000_000_100.5,
        1.7000000002e12,
    ]
    assert chunk.malformed == 0


def test_unknown_type_source_and_node_type_are_counted() -> None:
    snapshot_with_unknown_node = {
        "type": 2,
        "data": {
            "node": {
                "type": 0,
                "id": 1,
                "childNodes": [
                    {"type": 2, "tagName": "p", "id": 2, "childNodes": [{"type": 7, "id": 3}]}
                ],
            }
        },
        "timestamp": 1_700_000_000_010,
    }
    mutation_with_unknown_node = {
        "type": 3,
        "data": {"source": 0, "adds": [{"parentId": 1, "node": {"type": 9, "id": 4}}]},
        "timestamp": 1_700_000_000_020,
    }
    data = json.dumps(
        [
            _meta(),
            {"type": 9, "data": {}, "timestamp": 1_700_000_000_001},
            {"type": 9, "data": {}, "timestamp": 1_700_000_000_002},
            {"type": 3, "data": {"source": 42}, "timestamp": 1_700_000_000_003},
            snapshot_with_unknown_node,
            mutation_with_unknown_node,
            _click(),
        ]
    ).encode()
    chunks = _chunks(data)
    unknown, malformed, too_deep = _totals(chunks)
    assert unknown == {"type:9": 2, "source:42": 1, "node_type:7": 1, "node_type:9": 1}
    assert (malformed, too_deep) == (0, 0)
    assert len([e for c in chunks for e in c.events]) == 2


@pytest.mark.parametrize("layout", ["compact", "one-per-line", "ndjson"])
def test_very_deep_snapshot_is_counted_too_deep(layout: str) -> None:
    deep = _deep_snapshot(10_000)
    parts = [json.dumps(_meta()).encode(), deep, json.dumps(_click()).encode()]
    if layout == "compact":
        data = b"[" + b",".join(parts) + b"]"
    elif layout == "one-per-line":
        data = b"[\n" + b",\n".join(parts) + b"\n]\n"
    else:
        data = b"\n".join(parts) + b"\n"
    chunks = _chunks(data)
    assert sum(c.too_deep for c in chunks) == 1
    assert sum(len(c.events) for c in chunks) == 2
    assert not chunks[-1].truncated


def test_moderately_deep_snapshot_still_decodes() -> None:
    data = b"[" + json.dumps(_meta()).encode() + b"," + _deep_snapshot(200) + b"]"
    assert len(decode_events(data)) == 2


def test_packed_element_that_is_not_zlib_or_lacks_v1_is_malformed() -> None:
    no_marker = zlib.compress(json.dumps(_click()).encode()).decode("latin-1")
    bad = [no_marker, "x\u009c\u00ffgarbage", "\u0100wide chars"]
    chunks = _chunks(json.dumps([_meta(), *bad]).encode())
    assert _totals(chunks) == ({}, 3, 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["type", "data", "timestamp", "source", "node", "id", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ),
        max_size=8,
    )
)
def test_every_element_is_an_event_or_counted(elements: list[Any]) -> None:
    data = json.dumps([_meta(), *elements]).encode()
    chunks = _chunks(data)
    assert _counted(chunks) == len(elements) + 1
    assert not chunks[-1].truncated


# --- bombs and caps ------------------------------------------------------------------------


def _zeros_bomb(megabytes: int, wbits: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    return b"".join(c.compress(block) for _ in range(megabytes)) + c.flush()


@pytest.mark.parametrize("wbits", [31, 15], ids=["gzip", "zlib"])
def test_compression_bomb_is_too_large_quickly(wbits: int) -> None:
    bomb = _zeros_bomb(200, wbits)
    assert len(bomb) < 1 << 20
    started = time.perf_counter()
    with pytest.raises(RecordingTooLargeError):
        decode_events(bomb, max_input_bytes=10 << 20, replay_id="bomb")
    # A guard against inflating the whole bomb (seconds and gigabytes), not a speed target.
    assert time.perf_counter() - started < 10.0


def test_bomb_of_valid_events_is_too_large() -> None:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    line = json.dumps(_click()).encode() + b",\n"
    body = c.compress(b"[\n") + b"".join(c.compress(line * 10_000) for _ in range(60)) + c.flush()
    with pytest.raises(RecordingTooLargeError):
        decode_events(body, max_input_bytes=5 << 20)


def test_packed_bomb_is_too_large() -> None:
    inflated = zlib.compress(b" " * (20 << 20)).decode("latin-1")
    data = json.dumps([_meta(), inflated]).encode()
    with pytest.raises(RecordingTooLargeError):
        decode_events(data, max_input_bytes=10 << 20)


# --- not a recording -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b" \n\t", b"hello", b"{}", b'{"foo": [1]}', b"123", b'"text"', b"\x00\xff", b"<html>"],
)
def test_not_a_recording_is_a_one_line_format_error(data: bytes) -> None:
    with pytest.raises(RecordingFormatError) as info:
        decode_events(data, replay_id="rep-1")
    message = str(info.value)
    assert message.startswith("rep-1: ")
    assert "\n" not in message
    assert info.value.offset is not None


def test_gzip_of_junk_and_broken_gzip_are_format_errors() -> None:
    with pytest.raises(RecordingFormatError):
        decode_events(gzip.compress(b"hello world"))
    with pytest.raises(RecordingFormatError):
        decode_events(b"\x1f\x8b\x08\x00" + b"\xff" * 50)
    with pytest.raises(RecordingFormatError):
        decode_events(b"\x1f\x8b")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_recording_errors(data: bytes) -> None:
    try:
        chunks = _chunks(data)
    except RecordingError as exc:
        assert "undecodable input" not in str(exc)
    else:
        assert chunks


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from([b"[", b"{", b'{"events":[', b'["w",', b"\x1f\x8b", b""]),
    body=st.binary(max_size=200) | st.text(alphabet='[]{},:"\\ntrue0123456789x ').map(str.encode),
)
def test_json_looking_garbage_raises_only_recording_errors(prefix: bytes, body: bytes) -> None:
    try:
        _chunks(prefix + body)
    except RecordingError as exc:
        assert "undecodable input" not in str(exc)


# --- timestamps ----------------------------------------------------------------------------


def test_video_playback_typo_timestamp_is_repaired(corpus_dir: Path) -> None:
    path = corpus_dir / "public" / "edge-rrweb-fixture-video-playback.json"
    chunks = _chunks(path)
    events = [e for c in chunks for e in c.events]
    assert len(events) == 43
    assert sum(c.repaired_timestamps for c in chunks) == 1
    stamps = [e.timestamp for e in events]
    assert max(stamps) - min(stamps) < 86_400_000
    assert stamps == sorted(stamps)


def test_posthog_compressed_event_with_broken_gzip_is_malformed() -> None:
    broken = {"type": 2, "data": "\u001f\u008bnot gzip", "timestamp": 1, "cv": "2024-10"}
    ok_mutation = {
        "type": 3,
        "data": {
            "source": 0,
            "adds": gzip.compress(b"[]").decode("latin-1"),
            "removes": gzip.compress(b'[{"parentId": 1, "id": 2}]').decode("latin-1"),
            "texts": [],
            "attributes": [],
        },
        "timestamp": 2,
        "cv": "2024-10",
    }
    chunks = _chunks(json.dumps([broken, ok_mutation]).encode())
    assert _totals(chunks) == ({}, 1, 0)
    [event] = [e for c in chunks for e in c.events]
    assert isinstance(event, IncrementalEvent) and isinstance(event.data, MutationData)
    assert [r.id for r in event.data.removes] == [2]


def test_unrecognized_lines_among_wrapper_lines_are_malformed() -> None:
    lines = [{"pageId": "p", "event": e} for e in EVENTS]
    lines.insert(3, {"pageId": "p", "note": "no event here"})
    data = b"".join(json.dumps(v).encode() + b"\n" for v in lines)
    chunks = _chunks(data)
    assert _totals(chunks) == ({}, 1, 0)
    assert sum(len(c.events) for c in chunks) == len(EVENTS)
    # ...but a file of nothing else is not a recording.
    with pytest.raises(RecordingFormatError):
        _chunks(b'{"pageId": "p"}\n{"pageId": "q"}\n')
