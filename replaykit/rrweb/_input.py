"""Sources of bytes: paths, bytes and streams read in blocks, inflating, and the caps.

A source is read as "pieces" of at most `BLOCK_BYTES`; gzip/zlib pieces are inflated as a
stream. Every reader enforces a cap as it goes (the input cap on raw and inflated bytes,
`max_event_bytes` on the run of text one element may span), so a compression bomb stops
early instead of being held. :class:`LineBlocks` cuts pieces into blocks of whole lines.
"""

from __future__ import annotations

import io
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from typing import Protocol

from .._errors import (
    RecordingError,
    RecordingFormatError,
    RecordingNotFoundError,
    RecordingTooLargeError,
    UsageError,
)
from ._json import _BOM, _GZIP_MAGIC, _HEAD_BYTES, _NON_WS
from ._sniff import _is_zlib

__all__ = [
    "BLOCK_BYTES",
    "DEFAULT_MAX_EVENT_BYTES",
    "ElementGuard",
    "open_source",
    "read_whole",
]

BLOCK_BYTES = 1 << 20
"""Bytes read per step; blocks are cut at the last newline, so a block holds whole lines."""


_CUT_BLOCKS = 8
"""A line this many blocks long is cut after an element (see :class:`LineBlocks`)."""
_CUT_MAX_BLOCKS = 4 * _CUT_BLOCKS
"""...unless it is longer than this: an element that large in progress is held whole (a
cut's copies would cost more than a few times its size), as a line always was."""

DEFAULT_MAX_EVENT_BYTES = 64 << 20
"""Cap (64 MiB) on the text of one element (an event, or a line that is one value)."""


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


def read_whole(source: object, cap: int, replay_id: str | None = None) -> bytes:
    """All of `source` (bytes, a path or a binary stream) as bytes, gzip/zlib inflated,
    under the same caps as decoding: `cap` on the raw and on the inflated bytes, so a
    compression bomb stops early. For callers that need the text itself (the raw events
    ``keep_events`` keeps); decoding streams instead."""
    pieces, close = open_source(source, cap, replay_id)
    try:
        head = _read_head(pieces)
        reader: _Pieces = pieces
        if head[:2] == _GZIP_MAGIC or _is_zlib(head):
            kind = "gzip" if head[:2] == _GZIP_MAGIC else "zlib"
            reader, head = _Inflater(head, pieces, kind, cap, replay_id), b""
        parts = [head]
        while piece := reader.read():
            parts.append(piece)
        return b"".join(parts)
    finally:
        close()


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


class LineBlocks:
    """Cuts pieces into blocks ending at a newline; the final block is the unterminated rest.

    The final block therefore holds no newline: a line cut off by truncation is always
    there, which is how feeders tell "cut off" from "corrupt".

    A line longer than `_CUT_BLOCKS` blocks (a compact array on one line) is offered to
    `cut`, which returns an offset just past a complete element (0: none found); the
    block then ends there instead, so such a line streams instead of being held whole
    (unless one element in it runs past `_CUT_MAX_BLOCKS` blocks).
    """

    def __init__(
        self, first: bytes, pieces: _Pieces, cut: Callable[[bytes], int] | None = None
    ) -> None:
        self._pieces = pieces
        self._parts: list[bytes | memoryview] = [first] if first else []
        self._cut = cut
        self._pending = len(first)  # bytes in `_parts`
        self._cut_at = _CUT_BLOCKS * BLOCK_BYTES
        self._commas = False  # a piece since the last cut attempt holds a comma

    def __iter__(self) -> Iterator[tuple[bytes, bool]]:
        while True:
            data = self._pieces.read()
            if not data:
                break
            nl = data.rfind(b"\n")
            if nl < 0:
                self._parts.append(data)
                self._pending += len(data)
                self._commas = self._commas or b"," in data
                if (
                    self._cut is not None
                    and self._commas
                    and self._cut_at <= self._pending <= _CUT_MAX_BLOCKS * BLOCK_BYTES
                ):
                    self._commas = False
                    line = b"".join(self._parts)
                    k = self._cut(line)
                    self._parts = [line[k:]] if k else [line]
                    self._pending = len(line) - k
                    # No cut found: try again a few blocks later, not on every piece.
                    self._cut_at = self._pending + _CUT_BLOCKS * BLOCK_BYTES
                    if k:
                        yield line[:k], False
                continue
            view = memoryview(data)
            self._parts.append(view[: nl + 1])
            block = b"".join(self._parts)
            self._parts = [view[nl + 1 :]] if nl + 1 < len(data) else []
            self._pending = len(data) - nl - 1
            self._cut_at = _CUT_BLOCKS * BLOCK_BYTES
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


class ElementGuard:
    """Passes pieces through, stopping a run of text that no element boundary cuts.

    Elements are separated by commas, and JSON lines by newlines, so a run of more than
    `limit` bytes with neither lies inside one element (or one line-long value, or is a
    run of blanks) larger than the cap: RecordingTooLargeError is raised as soon as the
    run passes `limit`, before the blocks downstream hold more of it. A string holding
    commas can hide a longer element from this lower bound (the input cap still applies),
    but elements within the cap are never blamed. Costs two `rfind` per piece.
    """

    def __init__(self, pieces: _Pieces, limit: int, replay_id: str | None) -> None:
        self._pieces = pieces
        self._limit = limit
        self._replay_id = replay_id
        self._pos = 0  # offset of the next byte
        self._run = 0  # bytes since the last comma or newline

    def read(self) -> bytes:
        data = self._pieces.read()
        if data:
            self.observe(data)
        return data

    def observe(self, data: bytes) -> None:
        """Account `data`, the next bytes of the stream."""
        n = len(data)
        cut = max(data.rfind(b","), data.rfind(b"\n"))
        self._run = n - cut - 1 if cut >= 0 else self._run + n
        self._pos += n
        if self._run > self._limit:
            raise RecordingTooLargeError(
                f"one element exceeds the {self._limit}-byte max_event_bytes cap "
                f"(from input offset {self._pos - self._run})",
                replay_id=self._replay_id,
            )
