"""Container unwrapping for the streaming decoder (see :mod:`replaykit.rrweb._decode`).

This module turns the input — a path, bytes or a binary stream, possibly gzip/zlib
compressed — into JSON texts for a :class:`Sink`: whole JSON arrays of event elements,
lists of single elements, and counts of what could not even be split into elements.
Nothing here builds typed events; the sink does.

Layouts:

* a JSON array, compact or one element per line (read in blocks of `BLOCK_BYTES` cut at
  newlines, so a file is never held whole) or pretty-printed (read whole: its lines are
  not elements);
* JSON values, one per line (NDJSON events, PostHog `{"window_id", "data"}` window lines
  and `[windowId, event]` pairs, Steel `{"pageId", "event"}` lines), or one wrapper
  document (Highlight, PostHog exports).

Broken JSON is split with :func:`scan_elements`, a bracket counter that skips strings with
a regular expression: slower than msgspec, so it only runs on blocks msgspec rejected.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Final, Protocol

import msgspec

from .._errors import (
    RecordingError,
    RecordingFormatError,
    RecordingNotFoundError,
    RecordingTooLargeError,
    UsageError,
)

__all__ = [
    "BAD_JSON",
    "BAD_OR_DEEP",
    "BLOCK_BYTES",
    "DECODE_BATCH",
    "MALFORMED",
    "TOO_DEEP",
    "Sink",
    "feed",
    "open_source",
    "scan_elements",
    "sniff",
]

BLOCK_BYTES = 1 << 20
"""Bytes read per step; blocks are cut at the last newline, so a block holds whole lines."""

DECODE_BATCH = 4096
"""Elements per typed decode when the elements are already split (one call per batch is
measurably faster than one per element for small events, and bounds the work per step)."""

_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"
_OPEN, _CLOSE, _QUOTE, _COMMA, _LBRACE = 0x5B, 0x5D, 0x22, 0x2C, 0x7B
_WS: Final = b" \t\r\n"
_EDGE: Final = b", \t\r\n"  # what may sit between a block's edge and its first/last element
_PROBE_MAX_LINE = 1 << 16
# Blocks larger than this hold a huge line: split them into views instead of copying them.
_SPLIT_BYTES = 4 * BLOCK_BYTES
_HEAD_BYTES = 1 << 16
_MAX_NESTED_COMPRESSION = 2
_MAX_WRAPPER_DEPTH = 8

# One token per JSON string (an unterminated string runs to the end) or bracket/comma.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[][{},]', re.DOTALL)
_NON_WS = re.compile(rb"\S")
_EDGE_RUN = re.compile(rb"[, \t\r\n]*")
_FIRST_KEY = re.compile(rb'\s*\{\s*"([^"\\]*)"\s*:')
_KEYS = re.compile(
    rb'"(window_id|windowId|events|snapshots|snapshotsByWindowId|pageId|properties|version'
    rb'|data|event|type|timestamp)"\s*:'
)
_PAIR_HEAD = re.compile(rb'\s*\[\s*"([^"\\]*(?:\\.[^"\\]*)*)"\s*,\s*\{', re.DOTALL)
_ARRAY_KEY = re.compile(rb'"(?:events|snapshots|\$snapshot_data|data)"\s*:\s*\[')
_BY_WINDOW_KEY = re.compile(
    rb'"snapshotsByWindowId"\s*:\s*\{\s*"([^"\\]*(?:\\.[^"\\]*)*)"\s*:\s*\[', re.DOTALL
)
_WINDOW_ID_KEY = re.compile(rb'"windowId"\s*:')
_WINDOW_VALUE = re.compile(rb'"window_id"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)

_WRAPPER_ONLY_KEYS: Final = frozenset(
    {"window_id", "events", "snapshots", "snapshotsByWindowId", "pageId", "properties"}
)
_WRAPPER_KEYS: Final = _WRAPPER_ONLY_KEYS | {"version", "data", "event", "windowId"}

_RAW = msgspec.json.Decoder(msgspec.Raw)
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])
_KEYMAP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_PAIR = msgspec.json.Decoder(tuple[str, msgspec.Raw])
_ANY = msgspec.json.Decoder()

_EMPTY = msgspec.Raw()


class _Shape(msgspec.Struct):
    """The keys that tell an event from the wrappers around events (values stay raw)."""

    type: msgspec.Raw = _EMPTY
    timestamp: msgspec.Raw = _EMPTY
    window_id: msgspec.Raw = _EMPTY
    windowId: msgspec.Raw = _EMPTY
    events: msgspec.Raw = _EMPTY
    snapshots: msgspec.Raw = _EMPTY
    snapshotsByWindowId: msgspec.Raw = _EMPTY
    data: msgspec.Raw = _EMPTY
    event: msgspec.Raw = _EMPTY
    properties: msgspec.Raw = _EMPTY


class _Props(msgspec.Struct, rename={"snapshot_data": "$snapshot_data", "window": "$window_id"}):
    """A PostHog `$snapshot` capture event's properties."""

    snapshot_data: msgspec.Raw = _EMPTY
    window: msgspec.Raw = _EMPTY


class _WindowTag(msgspec.Struct):
    """PostHog export events carry their tab as `windowId`."""

    windowId: str | None = None


_SHAPE = msgspec.json.Decoder(_Shape)
_PROPS = msgspec.json.Decoder(_Props)
_WINDOW_TAG = msgspec.json.Decoder(_WindowTag)


class Sink(Protocol):
    """Receives JSON texts from the containers and turns them into typed events."""

    truncated: bool

    def block(self, window: str | None, data: bytes | memoryview) -> bool:
        """Decode a JSON array of elements; False (nothing consumed) if it is not JSON."""
        ...

    def elements(self, window: str | None, raws: Sequence[bytes | memoryview]) -> None:
        """Decode elements that were split already (each one JSON value)."""
        ...

    def event_lines(self, window: str | None, data: bytes) -> bool:
        """Decode NDJSON of plain events in one call; False (nothing consumed) on any error."""
        ...

    def count(self, window: str | None, key: str, n: int = 1) -> None:
        """Count `n` elements that could not be decoded (`malformed`, `too_deep`, ...)."""
        ...


MALFORMED: Final = "malformed"
TOO_DEEP: Final = "too_deep"

BAD_JSON: Final = (msgspec.DecodeError, UnicodeDecodeError)
"""What msgspec raises for bytes that are not JSON (invalid UTF-8 is a UnicodeDecodeError)."""
BAD_OR_DEEP: Final = (*BAD_JSON, RecursionError)
"""...or for JSON nested deeper than the interpreter's recursion limit."""


# --- input ---------------------------------------------------------------------------------


class _Pieces(Protocol):
    def read(self) -> bytes: ...


class _StreamPieces:
    """Pulls bytes from a binary stream, enforcing the input cap."""

    def __init__(self, stream: object, cap: int, replay_id: str | None) -> None:
        read = getattr(stream, "read", None)
        if not callable(read):
            raise UsageError("source must be bytes, a path or a binary file object")
        self._read: Callable[[int], object] = read
        self._cap = cap
        self._replay_id = replay_id
        self.total = 0

    def read(self) -> bytes:
        try:
            data = self._read(BLOCK_BYTES)
        except OSError as exc:
            raise RecordingError(
                f"reading the input failed: {exc.strerror or exc}", replay_id=self._replay_id
            ) from exc
        if not data:
            return b""
        if isinstance(data, str):
            raise UsageError(
                "source stream must be opened in binary mode", replay_id=self._replay_id
            )
        if not isinstance(data, bytes):
            if not isinstance(data, bytearray | memoryview):
                raise UsageError("source stream returned non-bytes", replay_id=self._replay_id)
            data = bytes(data)
        self.total += len(data)
        if self.total > self._cap:
            raise RecordingTooLargeError(
                f"input exceeds the {self._cap}-byte cap", replay_id=self._replay_id
            )
        return data


class _Inflater:
    """Stream-decompresses gzip/zlib pieces; the output is capped, so a bomb stops early."""

    def __init__(
        self, first: bytes, src: _Pieces, kind: str, cap: int, replay_id: str | None
    ) -> None:
        self._src = src
        self._kind = kind
        # wbits: 16+15 reads the gzip header, 15 the zlib header.
        self._wbits = 31 if kind == "gzip" else 15
        self._d = zlib.decompressobj(self._wbits)
        self._pending = first
        self._cap = cap
        self._replay_id = replay_id
        self._done = False
        self.total = 0
        self.truncated = False

    def _account(self, out: bytes) -> bytes:
        self.total += len(out)
        if self.total > self._cap:
            raise RecordingTooLargeError(
                f"{self._kind} data inflates beyond the {self._cap}-byte cap",
                replay_id=self._replay_id,
            )
        return out

    def read(self) -> bytes:
        while not self._done:
            if not self._pending:
                self._pending = self._src.read()
                if not self._pending:
                    self._done = True
                    try:
                        tail = self._d.flush()
                    except zlib.error:
                        tail = b""
                    if not self._d.eof:
                        self.truncated = True
                    return self._account(tail)
            try:
                out = self._d.decompress(self._pending, BLOCK_BYTES)
            except zlib.error as exc:
                if self.total == 0:
                    raise RecordingFormatError(
                        f"not valid {self._kind} data ({exc})", replay_id=self._replay_id
                    ) from exc
                # Corruption after good output: keep what came out, like a cut-off upload.
                self.truncated = True
                self._done = True
                return b""
            self._pending = self._d.unconsumed_tail
            if self._d.eof:
                rest = self._d.unused_data
                if self._kind == "gzip" and not rest:
                    rest = self._src.read()  # the next member may start in the next piece
                if self._kind == "gzip" and rest[:2] == _GZIP_MAGIC:
                    # Concatenated gzip members (`cat a.gz b.gz`) are one stream.
                    self._d = zlib.decompressobj(self._wbits)
                    self._pending = rest
                else:
                    self._done = True  # trailing bytes after the stream are ignored
            if out:
                return self._account(out)
        return b""


def open_source(
    source: object, cap: int, replay_id: str | None
) -> tuple[_StreamPieces, Callable[[], None]]:
    """Open `source` (bytes, a path, or a binary stream); return its pieces and a closer."""
    if isinstance(source, bytes | bytearray | memoryview):
        size = memoryview(source).nbytes
        if size > cap:
            raise RecordingTooLargeError(
                f"input is {size} bytes, over the {cap}-byte cap", replay_id=replay_id
            )
        return _StreamPieces(io.BytesIO(source), cap, replay_id), _noop
    if isinstance(source, str | os.PathLike):
        path = os.fsdecode(source)
        shown = path if len(path) <= 200 else path[:200] + "..."
        try:
            st = os.stat(path)
        except (OSError, ValueError) as exc:
            raise RecordingNotFoundError(
                f"no such recording file: {shown!r} (pass bytes to decode data)",
                replay_id=replay_id,
            ) from exc
        if stat.S_ISDIR(st.st_mode):
            raise RecordingNotFoundError(
                f"{shown!r} is a directory, not a recording file", replay_id=replay_id
            )
        if st.st_size > cap:
            raise RecordingTooLargeError(
                f"{shown!r} is {st.st_size} bytes, over the {cap}-byte cap", replay_id=replay_id
            )
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the caller's closer
        except OSError as exc:
            raise RecordingError(
                f"cannot read {shown!r}: {exc.strerror or exc}", replay_id=replay_id
            ) from exc
        return _StreamPieces(fh, cap, replay_id), fh.close
    return _StreamPieces(source, cap, replay_id), _noop


def _noop() -> None:
    return None


def _read_head(pieces: _Pieces) -> bytes:
    """The first piece(s): at least `_HEAD_BYTES` (or all there is) for sniffing.

    Streams such as pipes may hand out a few bytes per read; sniffing wants to see the
    first line whole when it is short.
    """
    head = pieces.read()
    while head and (len(head) < _HEAD_BYTES or not _NON_WS.search(head)):
        more = pieces.read()
        if not more:
            break
        head += more
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    return head


def _drain(pieces: _Pieces) -> None:
    while pieces.read():
        pass


# --- sniffing ------------------------------------------------------------------------------


def _is_zlib(head: bytes) -> bool:
    # RFC 1950: deflate with a 32 KiB window (0x78), no preset dictionary, header check.
    return (
        len(head) >= 2
        and head[0] == 0x78
        and not head[1] & 0x20
        and (head[0] << 8 | head[1]) % 31 == 0
    )


def _first_char(head: bytes) -> int | None:
    m = _NON_WS.search(head)
    return head[m.start()] if m else None


def sniff(head: bytes, replay_id: str | None = None) -> str:
    """Name the container format of `head` (see :func:`replaykit.rrweb._decode.sniff_format`)."""
    if head[:2] == _GZIP_MAGIC:
        return "gzip"
    if _is_zlib(head):
        return "zlib"
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    m = _NON_WS.search(head)
    if m is None:
        raise RecordingFormatError("empty input: no recording data", replay_id=replay_id, offset=0)
    first = head[m.start()]
    text = head[m.start() :]
    if first == _OPEN:
        return _sniff_array(text)
    if first == _LBRACE:
        return _sniff_object(text, replay_id, m.start())
    raise RecordingFormatError(
        f"not a recording: input starts with {text[:16]!r}", replay_id=replay_id, offset=m.start()
    )


def _packer_like(s: bytes) -> bool:
    """Whether JSON string content looks like `@rrweb/packer` output (zlib bytes as chars)."""
    return s[:1] == b"x" and (s[1:3] == b"\\u" or s[1:2] == b"^" or (len(s) > 1 and s[1] >= 0x80))


def _sniff_array(text: bytes) -> str:
    m = _PAIR_HEAD.match(text)
    if m is None or _packer_like(m.group(1)):
        return "json"
    nl = text.find(b"\n")
    if nl < 0:
        # The first `[windowId, {...` line does not end inside the head: a long pair line.
        return "posthog"
    try:
        return "posthog" if len(_RAWS.decode(text[:nl])) == 2 else "json"
    except BAD_OR_DEEP:
        return "json"


def _sniff_object(text: bytes, replay_id: str | None, offset: int) -> str:
    nl = text.find(b"\n")
    line = text if nl < 0 else text[:nl]
    keys: set[str] | None = None
    with contextlib.suppress(*BAD_OR_DEEP):
        keys = set(_KEYMAP.decode(line))
    long_object = False
    if keys is None:
        # The first object does not end on the first line (or in the head): look at names.
        m = _FIRST_KEY.match(text)
        if m is not None and m.group(1) in (b"type", b"timestamp"):
            return "ndjson"
        keys = {k.decode() for k in _KEYS.findall(text)}
        # Wrappers may put megabytes before their events (Highlight push payloads start
        # with `messages` and `resources` strings).
        long_object = nl < 0 and len(text) >= _HEAD_BYTES
    if "window_id" in keys:
        return "posthog"
    if ("type" in keys or "timestamp" in keys) and not keys & _WRAPPER_ONLY_KEYS:
        return "ndjson"
    if keys & _WRAPPER_KEYS or long_object:
        return "wrapped"
    raise RecordingFormatError(
        f"not a recording: JSON object without a known key (starts with {text[:24]!r})",
        replay_id=replay_id,
        offset=offset,
    )


def _check_forced(fmt: str, head: bytes, replay_id: str | None) -> None:
    if fmt == "gzip":
        ok = head[:2] == _GZIP_MAGIC
    elif fmt == "zlib":
        ok = _is_zlib(head)
    else:
        c = _first_char(head)
        if c is None:
            raise RecordingFormatError(
                "empty input: no recording data", replay_id=replay_id, offset=0
            )
        allowed = {"json": b"[", "ndjson": b"{", "wrapped": b"{", "posthog": b"{["}[fmt]
        ok = c in allowed
    if not ok:
        raise RecordingFormatError(
            f"input is not {fmt!r} data (starts with {head[:16]!r})", replay_id=replay_id, offset=0
        )


# --- feeding -------------------------------------------------------------------------------


def feed(
    pieces: _Pieces,
    fmt: str,
    sink: Sink,
    *,
    cap: int,
    replay_id: str | None,
    nesting: int = 0,
) -> Iterator[None]:
    """Unwrap `pieces` in format `fmt` ("auto" sniffs) into `sink`; yields after each step."""
    head = _read_head(pieces)
    if fmt == "auto":
        try:
            fmt = sniff(head, replay_id)
        except RecordingFormatError:
            if isinstance(pieces, _Inflater):
                # Inflate to the cap first: a bomb of zeros must say "too large", not "format".
                _drain(pieces)
                raise RecordingFormatError(
                    "decompressed data is not a recording", replay_id=replay_id, offset=0
                ) from None
            raise
    else:
        _check_forced(fmt, head, replay_id)
    if fmt in ("gzip", "zlib"):
        if nesting >= _MAX_NESTED_COMPRESSION:
            raise RecordingFormatError("compressed too many times over", replay_id=replay_id)
        inner = _Inflater(head, pieces, fmt, cap, replay_id)
        yield from feed(inner, "auto", sink, cap=cap, replay_id=replay_id, nesting=nesting + 1)
        if inner.truncated:
            sink.truncated = True
        return
    blocks = _LineBlocks(head, pieces)
    if fmt == "json":
        yield from _ArrayFeeder(sink).run(blocks)
    else:
        yield from _ValueFeeder(sink, fmt).run(blocks)


class _LineBlocks:
    """Cuts pieces into blocks ending at a newline; the final block is the unterminated rest.

    The final block therefore holds no newline: a line cut off by truncation is always
    there, which is how feeders tell "cut off" from "corrupt".
    """

    def __init__(self, first: bytes, pieces: _Pieces) -> None:
        self._pieces = pieces
        self._parts: list[bytes | memoryview] = [first] if first else []

    def __iter__(self) -> Iterator[tuple[bytes, bool]]:
        while True:
            data = self._pieces.read()
            if not data:
                break
            nl = data.rfind(b"\n")
            if nl < 0:
                self._parts.append(data)
                continue
            view = memoryview(data)
            self._parts.append(view[: nl + 1])
            block = b"".join(self._parts)
            self._parts = [view[nl + 1 :]] if nl + 1 < len(data) else []
            yield block, False
        block = b"".join(self._parts)
        nl = block.rfind(b"\n")
        if nl >= 0:
            # Keep the unterminated rest where `rest()` finds it while this block is out.
            self._parts = [block[nl + 1 :]]
            yield block[: nl + 1], False
            block = b"".join(self._parts)
        self._parts = []
        yield block, True

    def rest(self) -> bytes:
        """Everything not yet handed out; ends the iteration."""
        parts = self._parts
        self._parts = []
        while True:
            data = self._pieces.read()
            if not data:
                break
            parts.append(data)
        return b"".join(parts)


def scan_elements(
    buf: bytes | memoryview, pos: int, end: int
) -> tuple[list[tuple[int, int]], int | None]:
    """Split an array body into element spans without recursion.

    `pos` is just after the `[`. Returns the spans of the elements (whitespace-only spans
    dropped; the last may be incomplete when the input ends inside it) and the offset just
    past the closing `]`, or None when `end` came first. Brackets inside strings are skipped
    by matching whole strings; mismatched brackets are only counted, so corrupt input gives
    spans that later fail to decode rather than an error here.
    """
    spans: list[tuple[int, int]] = []
    depth = 1
    start = pos
    closed: int | None = None
    for m in _TOKENS.finditer(buf, pos, end):
        c = buf[m.start()]
        if c == _QUOTE:
            continue
        if c == _COMMA:
            if depth == 1:
                spans.append((start, m.start()))
                start = m.end()
        elif c in (_OPEN, _LBRACE):
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                closed = m.end()
                spans.append((start, m.start()))
                break
    else:
        spans.append((start, end))
    return [(a, b) for a, b in spans if _NON_WS.search(buf, a, b)], closed


def _views(buf: bytes, spans: Sequence[tuple[int, int]]) -> list[memoryview]:
    view = memoryview(buf)
    return [view[a:b] for a, b in spans]


def _decodes(raw: bytes | memoryview) -> bool:
    try:
        _RAW.decode(raw)
    except RecursionError:
        return True  # complete but deep: let the sink count it as too deep
    except BAD_JSON:
        return False
    return True


def _feed_raws(
    sink: Sink, window: str | None, raws: Sequence[bytes | memoryview]
) -> Iterator[None]:
    """Feed split elements in batches of at most DECODE_BATCH elements / ~BLOCK_BYTES."""
    start = 0
    size = 0
    for i, raw in enumerate(raws):
        if len(raw) >= BLOCK_BYTES and i > start:
            # A huge element goes alone: batching joins elements into one new buffer, a
            # copy of its size it does not need (a 50 MB text node would be held twice).
            sink.elements(window, raws[start:i])
            yield
            start = i
            size = 0
        size += len(raw)
        if size >= BLOCK_BYTES or i + 1 - start >= DECODE_BATCH:
            sink.elements(window, raws[start : i + 1])
            yield
            start = i + 1
            size = 0
    if start < len(raws):
        sink.elements(window, raws[start:])
        yield


def _salvage_body(
    sink: Sink, window: str | None, buf: bytes, pos: int, at_end: bool
) -> Generator[None, None, int | None]:
    """Feed the elements of an array body at `pos` that msgspec rejected as a whole.

    Complete elements are fed (bad ones are counted by the sink). An element cut off by
    the end of the data is dropped when `at_end` (the input was truncated: `truncated` is
    set) and counted as malformed otherwise. Returns the offset just past the closing `]`,
    or None when the data ended first.
    """
    spans, closed = scan_elements(buf, pos, len(buf))
    if closed is None and spans and not _decodes(memoryview(buf)[spans[-1][0] : spans[-1][1]]):
        spans.pop()
        if at_end:
            sink.truncated = True
        else:
            sink.count(window, MALFORMED)
    yield from _feed_raws(sink, window, _views(buf, spans))
    return closed


def _feed_array_text(sink: Sink, window: str | None, raw: bytes | memoryview) -> Iterator[None]:
    """Feed one JSON array of elements (a wrapper's `events`, a window's `data`, ...)."""
    if _WINDOW_ID_KEY.search(raw):
        yield from _feed_export_array(sink, window, raw)
        return
    if sink.block(window, raw):
        yield
        return
    buf = bytes(raw)
    m = _NON_WS.search(buf)
    pos = m.start() + 1 if m else len(buf)
    yield from _salvage_body(sink, window, buf, pos, at_end=False)


def _feed_export_array(sink: Sink, window: str | None, raw: bytes | memoryview) -> Iterator[None]:
    """PostHog export `snapshots`: events tagged with `windowId`; split into window runs."""
    try:
        raws: list[msgspec.Raw] = _RAWS.decode(raw)
    except BAD_OR_DEEP:
        buf = bytes(raw)
        m = _NON_WS.search(buf)
        pos = m.start() + 1 if m else len(buf)
        yield from _salvage_body(sink, window, buf, pos, at_end=False)
        return
    yield from _feed_tagged(sink, window, raws)


def _feed_tagged(
    sink: Sink, window: str | None, raws: Sequence[bytes | memoryview]
) -> Iterator[None]:
    run: list[bytes | memoryview] = []
    run_window = window
    for r in raws:
        try:
            tag = _WINDOW_TAG.decode(r).windowId
        except BAD_OR_DEEP:
            tag = None  # not an object: the sink will count it
        w = tag if tag is not None else window
        if w != run_window and run:
            yield from _feed_raws(sink, run_window, run)
            run = []
        run_window = w
        run.append(r)
    if run:
        yield from _feed_raws(sink, run_window, run)


def _first_line(buf: bytes, pos: int) -> tuple[int, int] | None:
    """Offsets of the first line from `pos` with something other than whitespace."""
    n = len(buf)
    while pos < n:
        nl = buf.find(b"\n", pos)
        end = n if nl < 0 else nl
        m = _NON_WS.search(buf, pos, end)
        if m is not None:
            return m.start(), end
        pos = end + 1
    return None


def _trim(seg: bytes) -> tuple[bytes, bool]:
    """Strip one line of an array: the closing `]` (if it closes) and edge commas."""
    closes = False
    if seg.endswith(b"]"):
        before = seg[:-1].rstrip()
        # Elements are objects or (packed) strings, so `}]`, `"]` or a lone `]` close.
        if not before or before[-1] in (0x7D, _QUOTE):
            seg = before
            closes = True
    return seg.strip(b", \t\r\n"), closes


class _ArrayFeeder:
    """A JSON array (or arrays, one after another), read line block by line block."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.opened = False
        self.probed = False

    def run(self, blocks: _LineBlocks) -> Iterator[None]:
        for block, final in blocks:
            if not self.probed:
                verdict = self._probe(block, final)
                if verdict == "whole":
                    opening = b"[" if self.opened else b""
                    yield from _feed_whole_array(self.sink, opening + block + blocks.rest())
                    return
            if not _NON_WS.search(block):
                continue
            data, closes = self._fast_data(block)
            if isinstance(data, list):
                self.opened = not closes
                yield from _feed_raws(self.sink, None, data)
                continue
            if data is not None:
                fed = False
                if len(data) > BLOCK_BYTES:
                    # One giant line (a compact array): split it first and decode batch by
                    # batch, so chunks come out before the whole line is typed.
                    try:
                        raws: list[msgspec.Raw] = _RAWS.decode(data)
                    except BAD_OR_DEEP:
                        pass
                    else:
                        self.opened = not closes
                        yield from _feed_raws(self.sink, None, raws)
                        fed = True
                elif self.sink.block(None, data):
                    self.opened = not closes
                    fed = True
                    yield
                if fed:
                    continue
            # The fast path consumed nothing: go line by line from the same state.
            yield from self._by_line(block, final)
        if self.opened:
            self.sink.truncated = True

    def _probe(self, block: bytes, final: bool) -> str:
        """Decide between line mode and whole mode on the first element line.

        If the first line holding an element is not complete JSON, lines are not element
        boundaries (pretty-printed JSON): the array has to be read whole. A final block
        needs no decision (it is all there is), nor does a long line (pretty-printed lines
        are short).
        """
        pos = 0
        if not self.opened:
            m = _NON_WS.search(block)
            if m is None:
                return "later"
            if block[m.start()] != _OPEN:
                self.probed = True
                return "line"
            pos = m.start() + 1
        span = _first_line(block, pos)
        if span is None:
            return "later"
        self.probed = True
        if final or span[1] - span[0] > _PROBE_MAX_LINE:
            return "line"
        seg, _ = _trim(block[span[0] : span[1]])
        if seg:
            try:
                _RAWS.decode(b"[" + seg + b"]")
            except RecursionError:
                pass
            except BAD_JSON:
                return "whole"
        return "line"

    def _fast_data(self, block: bytes) -> tuple[bytes | memoryview | list[memoryview] | None, bool]:
        """The block as one JSON array text, when its shape allows; and whether it closes.

        A block over `_SPLIT_BYTES` (it holds a huge line) whose lines are one element each
        comes back as a list of views of those elements: bracketing it would copy it whole.

        Works on offsets so that the block is copied at most once (to add brackets) and not
        at all when it is a whole array. Changes no state: the caller opens/closes the array
        only once the block decoded.
        """
        m = _NON_WS.search(block)
        if m is None:
            return None, False
        lo = m.start()
        hi = _rskip(block, lo, len(block), _WS)
        opens = not self.opened
        if opens:
            if block[lo] != _OPEN:
                return None, False
            lo += 1
        closes = False
        if block[hi - 1] == _CLOSE:
            k = _rskip(block, lo, hi - 1, _WS)
            # Elements are objects or (packed) strings, so `}]`, `"]` or a lone `]` close.
            if k == lo or block[k - 1] in (0x7D, _QUOTE):
                closes = True
                if opens:
                    # `[ ... ]`: the block is an array already.
                    return memoryview(block)[lo - 1 : hi], True
                hi = k
        lo = _skip_edge(block, lo, hi)
        hi = _rskip(block, lo, hi, _EDGE)
        if hi - lo > _SPLIT_BYTES:
            views = _line_views(block, lo, hi)
            if views is not None:
                return views, closes
        return b"".join((b"[", memoryview(block)[lo:hi], b"]")), closes

    def _by_line(self, block: bytes, final: bool) -> Iterator[None]:
        """Slow path: each line on its own, so one corrupt line costs one element."""
        sink = self.sink
        for line in block.split(b"\n"):
            s = line.strip()
            if not s:
                continue
            if not self.opened:
                if s[0] != _OPEN:
                    sink.count(None, MALFORMED)  # content outside any array
                    continue
                s = s[1:].lstrip()
                self.opened = True
            body, closes = _trim(s)
            if not body:
                self.opened = not closes
                continue
            if sink.block(None, b"[" + body + b"]"):
                self.opened = not closes
                yield
                continue
            # Scan the line with its closing bracket, if any: the scanner finds the real end
            # of the array where the `}]` rule of `_trim` guessed. Only the final block can
            # end inside an element (it has no newline).
            s = s.lstrip(b", \t")
            closed = yield from _salvage_body(sink, None, s, 0, at_end=final)
            if closed is not None:
                self.opened = False
                if _NON_WS.search(s, closed):
                    sink.count(None, MALFORMED)  # something after the closing bracket


def _skip_edge(buf: bytes, lo: int, hi: int) -> int:
    """`lo` moved past commas and whitespace (in C: a hostile run can be gigabytes)."""
    m = _EDGE_RUN.match(buf, lo, hi)
    return m.end() if m is not None else lo


def _rskip(buf: bytes, lo: int, hi: int, chars: bytes) -> int:
    """`hi` moved back past any of `chars`, no lower than `lo`.

    Looks at windows growing from the end (rstrip of a slice, in C): a byte-by-byte loop
    took seconds on a recording of megabytes of trailing spaces.
    """
    step = 64
    while hi > lo:
        start = max(lo, hi - step)
        kept = len(buf[start:hi].rstrip(chars))
        if kept:
            return start + kept
        hi = start
        step *= 2
    return lo


def _line_views(block: bytes, lo: int, hi: int) -> list[memoryview] | None:
    """Views of the elements of `block[lo:hi]`, one per line; None unless every line holds
    exactly one JSON value (then the caller brackets and decodes the block as usual)."""
    view = memoryview(block)
    out: list[memoryview] = []
    while lo < hi:
        nl = block.find(b"\n", lo, hi)
        end = hi if nl < 0 else nl
        a = _skip_edge(block, lo, end)
        b = _rskip(block, a, end, _EDGE)
        if a < b:
            piece = view[a:b]
            try:
                _RAW.decode(piece)
            except BAD_OR_DEEP:
                return None
            out.append(piece)
        lo = end + 1
    return out


def _feed_whole_array(sink: Sink, buf: bytes) -> Iterator[None]:
    """A pretty-printed (or otherwise not line-aligned) array, held whole."""
    try:
        raws: list[msgspec.Raw] = _RAWS.decode(buf)
    except BAD_OR_DEEP:
        pass
    else:
        yield from _feed_raws(sink, None, raws)
        return
    # Arrays one after another are read in turn (concatenated segments).
    m = _NON_WS.search(buf)
    while m is not None:
        if buf[m.start()] != _OPEN:
            sink.count(None, MALFORMED)  # trailing junk after the array
            return
        closed = yield from _salvage_body(sink, None, buf, m.start() + 1, at_end=True)
        if closed is None:
            sink.truncated = True  # the array never closed
            return
        m = _NON_WS.search(buf, closed)


# --- JSON values, one per line, or one wrapper document ------------------------------------

_EVENT_ITEM, _ARRAY_ITEM, _BAD_ITEM, _DEEP_ITEM = 0, 1, 2, 3
_Item = tuple[int, str | None, bytes | memoryview]


def _window_name(raw: bytes | memoryview) -> str | None:
    if not len(raw):
        return None
    try:
        value = _ANY.decode(raw)
    except BAD_OR_DEEP:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _expand(raw: bytes | memoryview, window: str | None, depth: int) -> Iterator[_Item]:
    """What one JSON value holds: events, arrays of events (with their window), or junk."""
    if not len(raw) or depth > _MAX_WRAPPER_DEPTH:
        yield (_BAD_ITEM, window, b"")
        return
    c = memoryview(raw)[0]
    if c == _QUOTE:
        yield (_EVENT_ITEM, window, raw)  # a packed event
        return
    if c == _OPEN:
        if depth == 0:
            # PostHog blob lines: `[windowId, event]`.
            try:
                wid, event = _PAIR.decode(raw)
            except BAD_OR_DEEP:
                pass
            else:
                if memoryview(event)[0] == _LBRACE and not _packer_like(wid.encode()):
                    yield (_EVENT_ITEM, wid, event)
                    return
        yield (_ARRAY_ITEM, window, raw)
        return
    if c != _LBRACE:
        yield (_BAD_ITEM, window, b"")
        return
    try:
        shape = _SHAPE.decode(raw)
    except RecursionError:
        yield (_DEEP_ITEM, window, b"")
        return
    except BAD_JSON:
        yield (_BAD_ITEM, window, b"")
        return
    if len(shape.type) or len(shape.timestamp):
        yield (_EVENT_ITEM, window, raw)
        return
    w = _window_name(shape.window_id) or _window_name(shape.windowId) or window
    if len(shape.snapshotsByWindowId):
        try:
            by_window = _KEYMAP.decode(shape.snapshotsByWindowId)
        except BAD_OR_DEEP:
            yield (_BAD_ITEM, w, b"")
            return
        for wid, events in by_window.items():
            yield from _expand(events, wid, depth + 1)
        return
    for inner in (shape.events, shape.snapshots, shape.data):
        if len(inner) and memoryview(inner)[0] in (_OPEN, _LBRACE):
            yield from _expand(inner, w, depth + 1)
            return
    if len(shape.event) and memoryview(shape.event)[0] == _LBRACE:
        yield (_EVENT_ITEM, w, shape.event)  # Steel `{"pageId", "event"}`
        return
    if len(shape.properties):
        try:
            props = _PROPS.decode(shape.properties)
        except BAD_OR_DEEP:
            props = _Props()
        if len(props.snapshot_data):
            yield from _expand(props.snapshot_data, _window_name(props.window) or w, depth + 1)
            return
    yield (_BAD_ITEM, w, b"")


class _ValueFeeder:
    """JSON values one per line (NDJSON, PostHog lines, Steel lines) or one document."""

    def __init__(self, sink: Sink, fmt: str) -> None:
        self.sink = sink
        self.fmt = fmt
        self.probed = False
        self.recognized = False  # some value held an event or an array of them
        self.unrecognized = False

    def run(self, blocks: _LineBlocks) -> Iterator[None]:
        yield from self._run(blocks)
        if self.unrecognized and not self.recognized:
            raise RecordingFormatError("not a recording: no JSON value here holds events")

    def _run(self, blocks: _LineBlocks) -> Iterator[None]:
        for block, final in blocks:
            if not self.probed:
                # As for arrays: a first line that is not a whole value means one
                # multi-line document (pretty-printed wrapper), to be read whole.
                span = _first_line(block, 0)
                if span is None:
                    continue
                self.probed = True
                if not final and span[1] - span[0] <= _PROBE_MAX_LINE:
                    try:
                        _RAW.decode(block[span[0] : span[1]])
                    except RecursionError:
                        pass
                    except BAD_JSON:
                        yield from self._whole(block + blocks.rest())
                        return
            if not _NON_WS.search(block):
                continue
            if self.fmt == "ndjson" and self.sink.event_lines(None, block):
                yield
                continue
            yield from self._lines(block, final)

    def _lines(self, block: bytes, final: bool) -> Iterator[None]:
        sink = self.sink
        cut: bytes | None = None
        try:
            values: list[msgspec.Raw] = _RAW.decode_lines(block)
        except BAD_OR_DEEP:
            values = []
            for line in block.split(b"\n"):
                s = line.strip()
                if not s:
                    continue
                try:
                    values.append(_RAW.decode(s))
                except RecursionError:
                    sink.count(None, TOO_DEEP)
                except BAD_JSON:
                    # The final block is the one unterminated line: cut off, not corrupt.
                    if final:
                        cut = s
                    else:
                        sink.count(None, MALFORMED)
        yield from self._items(item for v in values for item in _expand(v, None, 0))
        if cut is not None:
            yield from _salvage_wrapper(sink, cut, strict=False)

    def _items(self, items: Iterator[_Item]) -> Iterator[None]:
        sink = self.sink
        pending: dict[str | None, list[bytes | memoryview]] = {}
        for kind, window, payload in items:
            if kind == _BAD_ITEM:
                self.unrecognized = True
            else:
                self.recognized = True
            if kind == _EVENT_ITEM:
                batch = pending.setdefault(window, [])
                batch.append(payload)
                if len(batch) >= DECODE_BATCH:
                    yield from _feed_raws(sink, window, pending.pop(window))
            elif kind == _ARRAY_ITEM:
                if window in pending:
                    yield from _feed_raws(sink, window, pending.pop(window))
                yield from _feed_array_text(sink, window, payload)
            else:
                sink.count(window, TOO_DEEP if kind == _DEEP_ITEM else MALFORMED)
        for window, batch in pending.items():
            yield from _feed_raws(sink, window, batch)

    def _whole(self, buf: bytes) -> Iterator[None]:
        """One document (a pretty-printed wrapper or event) held whole."""
        try:
            doc = _RAW.decode(buf)
        except RecursionError:
            self.sink.count(None, TOO_DEEP)
            return
        except BAD_JSON:
            yield from _salvage_wrapper(self.sink, buf, strict=True)
            return
        yield from self._items(_expand(doc, None, 0))


def _salvage_wrapper(sink: Sink, buf: bytes, *, strict: bool) -> Iterator[None]:
    """A wrapper that does not parse (cut off): keep its events array's complete prefix.

    `buf` is one JSON value that failed to decode. An event cut off has nothing to keep;
    with `strict`, a value with no events array at all is not a recording.
    """
    sink.truncated = True
    first = _FIRST_KEY.match(buf)
    if first is not None and first.group(1) in (b"type", b"timestamp"):
        return  # an event, not a wrapper: nothing complete inside to keep
    window: str | None = None
    m = _BY_WINDOW_KEY.search(buf)
    if m is not None:
        window = _window_name(b'"' + m.group(1) + b'"')
    else:
        m = _ARRAY_KEY.search(buf)
        if m is not None:
            named = _WINDOW_VALUE.search(buf, 0, m.start())
            window = _window_name(b'"' + named.group(1) + b'"') if named else None
    if m is None:
        if strict:
            raise RecordingFormatError(
                "not a recording: the JSON document does not parse and holds no events array"
            )
        return
    spans, closed = scan_elements(buf, m.end(), len(buf))
    if closed is None and spans and not _decodes(memoryview(buf)[spans[-1][0] : spans[-1][1]]):
        spans.pop()
    yield from _feed_tagged(sink, window, _views(buf, spans))
