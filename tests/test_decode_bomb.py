"""Peak memory on compression bombs: bounded by `max_event_bytes`, not by the input cap."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from replaykit import RecordingTooLargeError
from replaykit.rrweb import _array_feed, _input, decode_events, iter_event_chunks

_CHILD = textwrap.dedent(
    """
    import resource, sys
    from replaykit import RecordingTooLargeError
    from replaykit.rrweb import decode_events
    try:
        decode_events(sys.argv[1])
    except RecordingTooLargeError as exc:
        print("raised", exc)
    else:
        print("no error")
    # ru_maxrss keeps the high-water mark of the forked parent (pytest, often bigger than
    # the limit); VmHWM is this process's own, after exec. Both in KiB.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open("/proc/self/status") as fh:
            peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        pass
    print("maxrss_kib", peak)
    """
)


def _gzip_file(path: Path, head: bytes, unit: bytes, total: int) -> None:
    """`head` then `unit` repeated to `total` bytes, gzip-compressed piece by piece."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as fh:
        fh.write(c.compress(head))
        for _ in range(total // len(unit)):
            fh.write(c.compress(unit))
        fh.write(c.flush())


@pytest.mark.parametrize(
    "head", [b"[", b'[\n  {\n    "type": 2,\n    "data": "', b'{"type":2,"data":"']
)
def test_a_gzip_bomb_stops_at_one_element(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "bomb.json.gz"
    _gzip_file(path, head, b"a" * (1 << 20), 300 << 20)
    assert path.stat().st_size < 1 << 20
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "raised" in out and "max_event_bytes" in out, out
    maxrss_mb = int(out.split("maxrss_kib")[1]) / 1024
    assert maxrss_mb < 300, out


def test_max_event_bytes_is_an_option() -> None:
    events = [{"type": 4, "timestamp": 1, "data": {"href": "x" * 1000}}]
    data = json.dumps(events).encode()
    assert len(decode_events(data, max_event_bytes=2000)) == 1
    with pytest.raises(RecordingTooLargeError, match="max_event_bytes"):
        decode_events(data, max_event_bytes=500)
    with pytest.raises(RecordingTooLargeError):
        decode_events(b"[" + b" " * 5000, max_event_bytes=1000)


def test_a_long_compact_line_is_cut_between_elements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_input, "BLOCK_BYTES", 4096)
    cuts: list[int] = []
    cut = _array_feed.ArrayFeeder.cut

    def spy(self: _array_feed.ArrayFeeder, line: bytes) -> int:
        cuts.append(cut(self, line))
        return cuts[-1]

    monkeypatch.setattr(_array_feed.ArrayFeeder, "cut", spy)
    # `},` and `",` inside strings must not be taken for element boundaries.
    events = [
        {"type": 3, "timestamp": i, "data": {"source": 5, "id": 1, "text": '"},{", "' * (i % 7)}}
        for i in range(20_000)
    ]
    data = json.dumps(events, separators=(",", ":")).encode()
    assert b"\n" not in data and len(data) > 40 * 4096
    got = [e.timestamp for c in iter_event_chunks(data) for e in c.events]
    assert got == list(range(20_000))
    assert len([k for k in cuts if k]) > 10  # the line streamed in pieces
    cut_off = data[: len(data) - 30]
    chunks = list(iter_event_chunks(cut_off))
    assert chunks[-1].truncated


@pytest.mark.anyio
async def test_keep_events_reads_under_the_input_cap(tmp_path: Path) -> None:
    # `keep_events` needs the recording's text itself; it is read through the decoder's
    # capped inflater, so a bomb stops at the cap instead of being inflated whole.
    import replaykit
    from replaykit.analysis._replay import raw_events_from

    bomb = tmp_path / "bomb.json.gz"
    _gzip_file(bomb, b"[", b" " * 4096, 8 << 20)
    with pytest.raises(RecordingTooLargeError):
        await replaykit.analyze_recording(bomb, keep_events=True, max_input_bytes=1 << 20)
    with pytest.raises(RecordingTooLargeError):
        raw_events_from(bomb.read_bytes(), "memory", max_input_bytes=1 << 20)
    events = [{"type": 4, "timestamp": 1, "data": {"href": "https://x.test/"}}]
    small = zlib.compress(json.dumps(events).encode())
    kept = raw_events_from(small, "memory")
    assert kept.events == events and not kept.truncated
