"""Decoder: corpus counts, every container format, format overrides, streaming and chunks."""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

import msgspec
import pytest

from replaykit import (
    RecordingFormatError,
    RecordingNotFoundError,
    RecordingTooLargeError,
    UsageError,
)
from replaykit.rrweb import _input
from replaykit.rrweb._decode import (
    DEFAULT_MAX_INPUT_BYTES,
    FORMATS,
    decode_events,
    iter_event_chunks,
    sniff_format,
)
from replaykit.rrweb._model import (
    CustomEvent,
    DomContentLoadedEvent,
    Event,
    EventChunk,
    FullSnapshotEvent,
    IncrementalEvent,
    LoadEvent,
    MutationData,
)

FORMATS_DIR = Path(__file__).resolve().parent / "fixtures" / "formats"
TRACELANE = FORMATS_DIR / "tracelane-login-failure-console.json"
POSTHOG = FORMATS_DIR / "posthog-nextjs-window1.json"

_typed = msgspec.json.Decoder(list[Event])

# Event counts from shared/corpus/MANIFEST.md and shared/corpus/recorded/README.md.
CORPUS_COUNTS = {
    "public/rrweb-player-demoit-2018.json": 272,
    "public/rrweb-legacy-checkout-2018-player.json": 279,
    "public/rrweb-legacy-checkout-2018-b.json": 214,
    "public/expect-dev-homepage-playwright.json": 1031,
    "public/newrelic-nr1-catalog-fullsnapshot.json": 2,
    "public/tracelane-shop-checkout-console.json": 45,
    "public/tracelane-login-failure-console.json": 15,
    "public/steel-csb-example-2021.json": 84,
    "public/posthog-nextjs-window1.json": 29,
    "public/highlight-commandbar-iframe-2021.json": 159,
    "public/edge-rrweb-fixture-video-playback.json": 43,
    "public/edge-rrweb-fixture-webgl.json": 4,
    "public/edge-rrweb-fixture-selection.json": 7,
    "public/edge-rrweb-fixture-adopted-style-sheet.json": 9,
    "public/edge-rrweb-fixture-style-sheet-rule-events.json": 10,
    "public/edge-rrweb-fixture-input.json": 11,
    "public/edge-rrweb-fixture-iframe.json": 13,
    "public/edge-rrweb-fixture-hover.json": 5,
    "public/edge-rrweb-fixture-dialog-playback.json": 12,
    "public/edge-highlight-dom-with-scripts.json": 3,
    "recorded/article_reader.json": 150,
    "recorded/dashboard_heavy.json": 605,
    "recorded/masked_inputs.json": 262,
    "recorded/shop_frustrated.json": 301,
    "recorded/shop_happy_path.json": 261,
}


def _events(path: Path = TRACELANE) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(path.read_bytes())
    return events


def _plain(events: list[dict[str, Any]]) -> list[Any]:
    """The reference: one typed decode of a plain array (timestamps here never go back)."""
    return _norm(_typed.decode(json.dumps(events).encode()))


def _norm(events: list[Event]) -> list[Any]:
    """Events as plain data: plugin payloads stay raw JSON text, whose spacing may differ."""
    out: list[Any] = msgspec.json.decode(msgspec.json.encode(events))
    return out


def _chunks(data: Any, **kwargs: Any) -> list[EventChunk]:
    return list(iter_event_chunks(data, **kwargs))


def _all(chunks: list[EventChunk]) -> list[Any]:
    return _norm([e for c in chunks for e in c.events])


def _pack(event: dict[str, Any]) -> str:
    """`@rrweb/packer`'s pack(): zlib of the JSON with "v": "v1", one char per byte."""
    return zlib.compress(json.dumps({**event, "v": "v1"}).encode()).decode("latin-1")


def _gz_str(value: Any) -> str:
    return gzip.compress(json.dumps(value).encode()).decode("latin-1")


def _posthog_compress(event: dict[str, Any]) -> dict[str, Any]:
    """posthog-js `cv: "2024-10"` compression of one event."""
    out = {**event, "cv": "2024-10"}
    data = event["data"]
    if event["type"] == 2:
        out["data"] = _gz_str(data)
    elif event["type"] == 3 and data.get("source") == 0:
        fields = ("adds", "removes", "texts", "attributes")
        out["data"] = {**data, **{k: _gz_str(data[k]) for k in fields if k in data}}
    return out


def _lines(values: list[Any]) -> bytes:
    return b"\n".join(json.dumps(v).encode() for v in values) + b"\n"


def _one_per_line(events: list[Any]) -> bytes:
    return b"[\n" + b",\n".join(json.dumps(e).encode() for e in events) + b"\n]\n"


# --- the corpus ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CORPUS_COUNTS))
def test_corpus_file_decodes_to_manifest_count(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / name
    chunks = _chunks(path, replay_id=name)
    events = _all(chunks)
    assert len(events) == CORPUS_COUNTS[name]
    assert sum(c.malformed + c.too_deep + sum(c.unknown.values()) for c in chunks) == 0
    assert not any(c.truncated for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_corpus_directory_has_no_unlisted_recordings(corpus_dir: Path) -> None:
    found = {
        f"{p.parent.name}/{p.name}"
        for p in corpus_dir.glob("*/*.json")
        if not p.name.endswith(".truth.json")
    }
    assert found == set(CORPUS_COUNTS)


def test_line_layout_recording_streams_in_several_chunks(corpus_dir: Path) -> None:
    path = corpus_dir / "recorded" / "shop_happy_path.json"
    reference = _norm(_typed.decode(path.read_bytes()))
    chunks = _chunks(path, chunk_events=50)
    assert [len(c.events) for c in chunks] == [50] * 5 + [11]
    assert _all(chunks) == reference


def test_legacy_2018_recording(corpus_dir: Path) -> None:
    events = decode_events(corpus_dir / "public" / "rrweb-legacy-checkout-2018-b.json")
    assert len(events) == 214
    first, second, third = events[:3]
    assert isinstance(first, DomContentLoadedEvent)
    assert first.data.href == "http://localhost:5500/checkout-demo/"
    assert isinstance(second, LoadEvent)
    assert (second.data.width, second.data.height) == (1080, 711)
    assert isinstance(third, FullSnapshotEvent)
    # No Meta event in a pre-0.7 recording; the comment node (type 5) decodes.
    assert not any(e.type == 4 for e in events if hasattr(e, "type"))


# --- formats -------------------------------------------------------------------------------


def _variants() -> dict[str, tuple[str, bytes]]:
    """Every container built from the same 15 events: name -> (expected sniff, bytes)."""
    events = _events()
    compact = json.dumps(events, separators=(",", ":")).encode()
    ndjson = _lines(events)
    return {
        "compact": ("json", compact),
        "one-per-line": ("json", _one_per_line(events)),
        "pretty": ("json", json.dumps(events, indent=2).encode()),
        "bom+crlf": ("json", b"\xef\xbb\xbf" + _one_per_line(events).replace(b"\n", b"\r\n")),
        "ndjson": ("ndjson", ndjson),
        "gzip": ("gzip", gzip.compress(compact)),
        "gzip-ndjson": ("gzip", gzip.compress(ndjson)),
        "zlib": ("zlib", zlib.compress(compact)),
        "packed": ("json", json.dumps([_pack(e) for e in events]).encode()),
        "packed+plain": (
            "json",
            json.dumps([_pack(e) if i % 2 else e for i, e in enumerate(events)]).encode(),
        ),
        "packed-one-per-line": ("json", _one_per_line([_pack(e) for e in events])),
        "json-string-elements": ("json", json.dumps([json.dumps(e) for e in events]).encode()),
        "posthog-cv": ("json", json.dumps([_posthog_compress(e) for e in events]).encode()),
        "events-wrapper": ("wrapped", json.dumps({"events": events}).encode()),
        "highlight-api": ("wrapped", json.dumps({"data": {"events": events}}).encode()),
        "highlight-push": (
            "wrapped",
            json.dumps(
                {"session_secure_id": "abc", "messages": "[]", "events": {"events": events}}
            ).encode(),
        ),
        "pretty-wrapper": ("wrapped", json.dumps({"events": events}, indent=2).encode()),
        "steel-lines": (
            "wrapped",
            _lines([{"pageId": "p1", "event": e} for e in events]),
        ),
        "gzip-wrapper": ("gzip", gzip.compress(json.dumps({"events": events}).encode())),
    }


@pytest.mark.parametrize("name", sorted(_variants()))
def test_format_decodes_to_the_same_events(name: str) -> None:
    expected_format, data = _variants()[name]
    reference = _plain(_events())
    assert sniff_format(data[:4096]) == expected_format
    chunks = _chunks(data)
    assert _all(chunks) == reference
    assert sum(c.malformed + c.too_deep + sum(c.unknown.values()) for c in chunks) == 0
    assert not chunks[-1].truncated
    # The same bytes from a file and from a binary stream.
    assert _norm(decode_events(io.BytesIO(data))) == reference


@pytest.mark.parametrize("name", sorted(_variants()))
def test_format_forced_explicitly(name: str, tmp_path: Path) -> None:
    expected_format, data = _variants()[name]
    path = tmp_path / "recording.bin"
    path.write_bytes(data)
    assert _norm(decode_events(path, format=expected_format)) == _plain(_events())
    assert _norm(decode_events(str(path), format="auto")) == _plain(_events())


def test_posthog_window_lines_keep_windows_apart() -> None:
    events = _events(POSTHOG)
    w1, w2 = events[:20], events[20:]
    data = _lines(
        [
            {"window_id": "w1", "data": w1[:10]},
            {"window_id": "w2", "data": w2},
            {"window_id": "w1", "data": w1[10:]},
        ]
    )
    assert sniff_format(data) == "posthog"
    chunks = _chunks(data)
    by_window: dict[str | None, list[Any]] = {}
    for chunk in chunks:
        by_window.setdefault(chunk.window_id, []).extend(_norm(chunk.events))
    assert by_window == {"w1": _plain(w1), "w2": _plain(w2)}
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_posthog_pair_lines() -> None:
    events = _events(POSTHOG)
    pairs = [["win-a" if i < 15 else "win-b", e] for i, e in enumerate(events)]
    data = _lines(pairs)
    assert sniff_format(data) == "posthog"
    chunks = _chunks(data, chunk_events=4)
    assert all(len(c.events) <= 4 for c in chunks)
    a = _all([c for c in chunks if c.window_id == "win-a"])
    b = _all([c for c in chunks if c.window_id == "win-b"])
    assert a == _plain(events[:15])
    assert b == _plain(events[15:])


def test_posthog_exports() -> None:
    events = _events(POSTHOG)
    tagged = [{**e, "windowId": "w1" if i < 12 else "w2"} for i, e in enumerate(events)]
    new = json.dumps(
        {"version": "2023-04-28", "data": {"id": "s1", "person": None, "snapshots": tagged}}
    ).encode()
    old = json.dumps(
        {
            "version": "2022-12-02",
            "data": {
                "person": {"id": 1},
                "snapshotsByWindowId": {"w1": events[:12], "w2": events[12:]},
            },
        },
        indent=1,
    ).encode()
    for data in (new, old):
        assert sniff_format(data) == "wrapped"
        chunks = _chunks(data)
        assert {c.window_id for c in chunks} == {"w1", "w2"}
        assert _all([c for c in chunks if c.window_id == "w1"]) == _plain(events[:12])
        assert _all([c for c in chunks if c.window_id == "w2"]) == _plain(events[12:])


def test_posthog_capture_event_with_snapshot_data() -> None:
    events = _events()
    data = _lines(
        [
            {
                "event": "$snapshot",
                "properties": {"$snapshot_data": events, "$window_id": "tab-1"},
            }
        ]
    )
    chunks = _chunks(data)
    assert _all(chunks) == _plain(events)
    assert {c.window_id for c in chunks} == {"tab-1"}


def test_posthog_compressed_mutation_fields_decode() -> None:
    events = _events()
    mutations = [e for e in events if e["type"] == 3 and e["data"]["source"] == 0]
    assert mutations, "fixture has mutations"
    data = json.dumps([_posthog_compress(e) for e in events]).encode()
    decoded = decode_events(data)
    decoded_mutations = [
        e.data
        for e in decoded
        if isinstance(e, IncrementalEvent) and isinstance(e.data, MutationData)
    ]
    assert len(decoded_mutations) == len(mutations)
    assert sum(len(m.adds) for m in decoded_mutations) == sum(
        len(m["data"]["adds"]) for m in mutations
    )


def test_concatenated_gzip_members() -> None:
    events = _events()
    first = gzip.compress(_lines(events[:7]))
    data = first + gzip.compress(_lines(events[7:]))
    assert _norm(decode_events(data)) == _plain(events)
    # The second member starting exactly at a read boundary (past the 64 KiB sniffing head).
    noise = {"type": 5, "data": {"tag": "noise", "payload": os.urandom(60_000).hex()}}
    events = [{**noise, "timestamp": events[0]["timestamp"]}, *events]
    first = gzip.compress(_lines(events[:7]))
    assert len(first) > 1 << 16
    data = first + gzip.compress(_lines(events[7:]))
    assert _norm(decode_events(_Trickle(data, len(first)))) == _plain(events)


def test_concatenated_arrays_one_per_line() -> None:
    events = _events()
    data = json.dumps(events[:5]).encode() + b"\n" + json.dumps(events[5:]).encode() + b"\n"
    assert _norm(decode_events(data)) == _plain(events)


def test_wrapped_single_event_object_is_ndjson_of_one() -> None:
    event = _events()[0]
    data = json.dumps(event, indent=2).encode()
    assert sniff_format(data) == "ndjson"
    assert _norm(decode_events(data)) == _plain([event])


def test_sources_bytes_path_str_stream_bytearray(tmp_path: Path) -> None:
    data = TRACELANE.read_bytes()
    reference = _plain(_events())
    path = tmp_path / "r.json"
    path.write_bytes(data)
    assert _norm(decode_events(data)) == reference
    assert _norm(decode_events(bytearray(data))) == reference
    assert _norm(decode_events(memoryview(data))) == reference
    assert _norm(decode_events(path)) == reference
    assert _norm(decode_events(str(path))) == reference
    with path.open("rb") as fh:
        assert _norm(decode_events(fh)) == reference


# --- format overrides ----------------------------------------------------------------------


def test_forcing_an_incompatible_format_is_a_format_error() -> None:
    variants = _variants()
    compact = variants["compact"][1]
    with pytest.raises(RecordingFormatError):
        decode_events(compact, format="ndjson")
    with pytest.raises(RecordingFormatError):
        decode_events(compact, format="wrapped")
    with pytest.raises(RecordingFormatError):
        decode_events(compact, format="gzip")
    with pytest.raises(RecordingFormatError):
        decode_events(compact, format="zlib")
    with pytest.raises(RecordingFormatError):
        decode_events(variants["ndjson"][1], format="json")
    with pytest.raises(RecordingFormatError):
        decode_events(variants["gzip"][1], format="json")
    with pytest.raises(RecordingFormatError):
        decode_events(variants["gzip"][1], format="zlib")


def test_forcing_a_compatible_format_decodes() -> None:
    variants = _variants()
    reference = _plain(_events())
    # Every object-per-line container is read by the same unwrapper.
    assert _norm(decode_events(variants["ndjson"][1], format="posthog")) == reference
    assert _norm(decode_events(variants["steel-lines"][1], format="ndjson")) == reference
    assert _norm(decode_events(variants["events-wrapper"][1], format="ndjson")) == reference


def test_unknown_format_and_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        iter_event_chunks(b"[]", format="xml")
    with pytest.raises(UsageError):
        iter_event_chunks(b"[]", chunk_events=0)
    with pytest.raises(UsageError):
        iter_event_chunks(b"[]", max_input_bytes=0)
    with pytest.raises(UsageError):
        decode_events(12345)  # type: ignore[arg-type]
    assert set(FORMATS) == {"auto", "json", "ndjson", "gzip", "zlib", "posthog", "wrapped"}
    assert DEFAULT_MAX_INPUT_BYTES == 1 << 30


def test_sniff_format_names() -> None:
    assert sniff_format(b"\x1f\x8b\x08\x00") == "gzip"
    assert sniff_format(zlib.compress(b"[]")) == "zlib"
    assert sniff_format(b"  \n[\n{") == "json"
    assert sniff_format(b'["x\\u009c\\u00ad", {"type": 4}]') == "json"  # packed + plain
    assert sniff_format(b'["0187d7a2-8e0b", {"type": 4, "timestamp": 1}]\n') == "posthog"
    assert sniff_format(b'{"window_id": "w", "data": [{"type": 4') == "posthog"
    assert sniff_format(b'{"type": 4, "data": {}, "timestamp": 1}\n{"type"') == "ndjson"
    assert sniff_format(b'{"type": 2, "data": {"node": {"type": 0, "childNodes": [') == "ndjson"
    assert sniff_format(b'{"session_secure_id": "x", "events": {"events": [') == "wrapped"
    assert sniff_format(b'{\n  "data": {\n    "events": [') == "wrapped"
    assert sniff_format(b'{"pageId": "p", "event": {"type": 4}}\n') == "wrapped"
    for junk in (b"", b"  \n ", b"hello", b"{}", b'{"foo": 1}', b"123", b'"text"', b"\x00\x01"):
        with pytest.raises(RecordingFormatError):
            sniff_format(junk)


# --- streaming and chunks ------------------------------------------------------------------


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.consumed += len(out)
        return out


def _big_recording(repeat: int = 40) -> tuple[list[dict[str, Any]], bytes]:
    base = _events()
    span = base[-1]["timestamp"] - base[0]["timestamp"] + 1
    events = [{**e, "timestamp": e["timestamp"] + k * span} for k in range(repeat) for e in base]
    return events, _one_per_line(events)


@pytest.mark.parametrize("layout", ["one-per-line", "ndjson", "compact", "gzip"])
def test_input_larger_than_a_block_streams(monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    monkeypatch.setattr(_input, "BLOCK_BYTES", 16 * 1024)
    events, data = _big_recording()
    if layout == "ndjson":
        data = _lines(events)
    elif layout == "compact":
        data = json.dumps(events).encode()
    elif layout == "gzip":
        data = gzip.compress(data)
    assert len(data) > 4 * _input.BLOCK_BYTES or layout == "gzip"
    reader = _CountingReader(data)
    chunk_iter = iter_event_chunks(reader, chunk_events=64)
    first = next(chunk_iter)
    if layout in ("one-per-line", "ndjson"):
        # The first chunk came out before the whole input was read.
        assert reader.consumed < len(data)
    chunks = [first, *chunk_iter]
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(len(c.events) == 64 for c in chunks[:-1])
    assert 0 < len(chunks[-1].events) <= 64
    assert _all(chunks) == _plain(events)
    stamps = [e["timestamp"] for e in _all(chunks)]
    assert stamps == sorted(stamps)


def test_chunk_events_one() -> None:
    chunks = _chunks(TRACELANE, chunk_events=1)
    assert len(chunks) == 15
    assert all(len(c.events) == 1 for c in chunks)
    assert _all(chunks) == _plain(_events())


def test_empty_array_is_one_empty_chunk() -> None:
    for data in (b"[]", b"[\n]\n", b'{"events": []}'):
        chunks = _chunks(data)
        assert len(chunks) == 1
        assert chunks[0].events == []
        assert not chunks[0].truncated


def test_out_of_order_events_are_sorted_stably_and_counted() -> None:
    events = _events()
    swapped = [events[0], events[2], events[1], *events[3:]]
    # Two events sharing a timestamp keep array order.
    tie_a = {"type": 5, "data": {"tag": "a", "payload": 1}, "timestamp": events[5]["timestamp"]}
    tie_b = {"type": 5, "data": {"tag": "b", "payload": 2}, "timestamp": events[5]["timestamp"]}
    data = json.dumps([*swapped[:6], tie_a, tie_b, *swapped[6:]]).encode()
    [chunk] = _chunks(data)
    assert chunk.inversions == 1
    assert chunk.repaired_timestamps == 0
    stamps = [e.timestamp for e in chunk.events]
    assert stamps == sorted(stamps)
    tags = [e.data.tag for e in chunk.events if isinstance(e, CustomEvent)]
    assert tags == ["a", "b"]


def test_isolated_timestamp_outlier_is_repaired_but_idle_gaps_are_kept() -> None:
    base = 1_700_000_000_000
    hour = 3_600_000
    times = [base + i * 1000 for i in range(20)]
    times[10] = base * 10  # a 10x typo
    gap = [base + i * 1000 for i in range(10)] + [base + 3 * hour + i * 1000 for i in range(10)]
    for stamps, repaired in ((times, 1), (gap, 0)):
        data = json.dumps(
            [{"type": 5, "data": {"tag": "t"}, "timestamp": t} for t in stamps]
        ).encode()
        [chunk] = _chunks(data)
        assert chunk.repaired_timestamps == repaired
        got = [e.timestamp for e in chunk.events]
        if repaired:
            assert got[10] == got[9] == base + 9000
        else:
            assert got == stamps


def test_outlier_repair_sees_across_chunk_boundaries() -> None:
    base = 1_700_000_000_000
    stamps = [base + i * 1000 for i in range(30)]
    stamps[9] = base * 10  # last event of the first chunk of 10
    data = json.dumps([{"type": 5, "data": {"tag": "t"}, "timestamp": t} for t in stamps]).encode()
    chunks = _chunks(data, chunk_events=10)
    assert [c.repaired_timestamps for c in chunks] == [1, 0, 0]
    assert chunks[0].events[-1].timestamp == base + 8000
    # The event after a real gap at a chunk boundary is not touched.
    gap = [base + i * 1000 for i in range(10)] + [base + 5 * 3_600_000 + i for i in range(10)]
    data = json.dumps([{"type": 5, "data": {"tag": "t"}, "timestamp": t} for t in gap]).encode()
    assert [e.timestamp for e in decode_events(data, chunk_events=10)] == gap


# --- input errors --------------------------------------------------------------------------


def test_missing_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(RecordingNotFoundError) as info:
        decode_events(tmp_path / "nope.json", replay_id="r-7")
    assert "r-7" in str(info.value)
    with pytest.raises(RecordingNotFoundError):
        decode_events(str(tmp_path))
    with pytest.raises(RecordingNotFoundError):
        decode_events("x" * 5000)  # not a path either: a name too long for the OS


def test_input_over_the_cap(tmp_path: Path) -> None:
    data = TRACELANE.read_bytes()
    path = tmp_path / "r.json"
    path.write_bytes(data)
    for source in (data, path, io.BytesIO(data)):
        with pytest.raises(RecordingTooLargeError):
            decode_events(source, max_input_bytes=len(data) - 1)
    assert len(decode_events(path, max_input_bytes=len(data))) == 15


class _Trickle(io.RawIOBase):
    """A pipe-like stream that hands out a few bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = data
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        out = self._data[self._pos : self._pos + self._step]
        self._pos += len(out)
        return out


@pytest.mark.parametrize("name", ["compact", "ndjson", "steel-lines", "gzip", "highlight-push"])
def test_stream_that_returns_short_reads(name: str) -> None:
    data = _variants()[name][1]
    assert _norm(decode_events(_Trickle(data, 7))) == _plain(_events())


def test_wrapper_with_megabytes_before_its_events() -> None:
    events = _events()
    filler = "m" * (3 << 20)
    data = json.dumps(
        {
            "session_secure_id": "s",
            "messages": filler,
            "resources": "[]",
            "events": {"events": events},
        }
    ).encode()
    assert sniff_format(data[: 1 << 20]) == "wrapped"
    assert _norm(decode_events(data)) == _plain(events)
    with pytest.raises(RecordingFormatError):
        decode_events(json.dumps({"messages": filler}).encode())
