"""The JSON-array feeder: an array (or arrays in a row) read line block by line block.

Compact arrays and one-element-per-line arrays stream; a pretty-printed array (its lines
are not elements) is read whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from . import _input
from ._input import LineBlocks
from ._json import (
    _CLOSE,
    _EDGE,
    _NON_WS,
    _OPEN,
    _PROBE_MAX_LINE,
    _QUOTE,
    _RAW,
    _RAWS,
    _WS,
    BAD_JSON,
    BAD_OR_DEEP,
    MALFORMED,
    _first_line,
    _rskip,
    _skip_edge,
)
from ._salvage import _salvage_body
from ._sink import Sink, _feed_raws

__all__ = ["ArrayFeeder"]

_CUT_TRIES = 4  # candidate cuts tried per long line (see ArrayFeeder.cut)
# Blocks larger than this hold a huge line: split them into views instead of copying them.
_SPLIT_BYTES = 4 * _input.BLOCK_BYTES


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


class ArrayFeeder:
    """A JSON array (or arrays, one after another), read line block by line block."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.opened = False
        self.probed = False

    def run(self, blocks: LineBlocks) -> Iterator[None]:
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
                if len(data) > _input.BLOCK_BYTES:
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

    def cut(self, line: bytes) -> int:
        """An offset of `line` (the unterminated line after the blocks fed so far) just past
        a comma after a complete element, or 0: where :class:`LineBlocks` may end a block.

        A `},` or `",` may sit inside a string, so a cut is kept only when the elements
        before it decode as JSON; a few candidates are tried from the end.
        """
        pos = 0
        if not self.opened:
            m = _NON_WS.search(line)
            if m is None or line[m.start()] != _OPEN:
                return 0
            pos = m.start() + 1
        end = len(line)
        for _ in range(_CUT_TRIES):
            k = max(line.rfind(b"},", pos, end), line.rfind(b'",', pos, end))
            if k < 0:
                return 0
            try:
                _RAWS.decode(b"".join((b"[", memoryview(line)[pos : k + 1], b"]")))
            except BAD_OR_DEEP:
                end = k
                continue
            return k + 2
        return 0

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
