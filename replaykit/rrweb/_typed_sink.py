"""Typing elements into events: the decoder's sink for the container layer.

Whole blocks are decoded with one typed msgspec call; a block that fails is decoded element
by element, and a failing element generically, repaired when it can be (numeric-string
timestamps, packed strings, compressed PostHog payloads) or counted (`unknown`,
`malformed`, `too_deep`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any, Final, TypeGuard

import msgspec

from .._errors import (
    RecordingTooLargeError,
)
from .._gc import without_gc
from ._chunker import Chunker
from ._containers import BAD_JSON, BAD_OR_DEEP, MALFORMED, TOO_DEEP
from ._model import Event

__all__ = ["EventSink"]

_EVENTS: msgspec.json.Decoder[list[Event]] = msgspec.json.Decoder(list[Event])
_EVENT: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()
_encode = msgspec.json.Encoder().encode

_CV_FIELDS: Final[dict[int, tuple[str, ...]]] = {
    0: ("adds", "removes", "texts", "attributes"),  # Mutation
    8: ("adds", "removes"),  # StyleSheetRule
}
_MAX_NODES_WALKED = 1_000_000


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _classify(obj: dict[str, Any]) -> str:
    """The counter key for an element that is an object but still not a known event."""
    etype = obj.get("type")
    if not _is_int(etype):
        return MALFORMED
    if not 0 <= etype <= 7:
        return f"type:{etype}"
    data = obj.get("data")
    if not isinstance(data, dict):
        return MALFORMED
    roots: list[Any] = []
    if etype == 2:
        roots.append(data.get("node"))
    elif etype == 3:
        source = data.get("source")
        if _is_int(source) and not 0 <= source <= 16:
            return f"source:{source}"
        adds = data.get("adds")
        if source == 0 and isinstance(adds, list):
            roots.extend(a.get("node") for a in adds if isinstance(a, dict))
    # An unknown node type anywhere in the tree fails the whole event: find it iteratively
    # (trees can be deeper than Python's recursion limit).
    stack = [n for n in roots if isinstance(n, dict)]
    walked = 0
    while stack and walked < _MAX_NODES_WALKED:
        node = stack.pop()
        walked += 1
        ntype = node.get("type")
        if _is_int(ntype) and not 0 <= ntype <= 5:
            return f"node_type:{ntype}"
        children = node.get("childNodes")
        if isinstance(children, list):
            stack.extend(c for c in children if isinstance(c, dict))
    return MALFORMED


class EventSink:
    """Typed-decodes what the containers cut out and hands the events to the chunker."""

    def __init__(self, chunker: Chunker, budget: int) -> None:
        self.chunker = chunker
        self.truncated = False
        # Packed and `cv` strings inflate inside the already-capped input; their total
        # output gets the same cap so a recording of small bombs cannot blow up either.
        self._budget = budget
        self._cap = budget

    # -- container interface (see _containers.Sink) --

    @without_gc
    def block(self, window: str | None, data: bytes | memoryview) -> bool:
        try:
            events = _EVENTS.decode(data)
        except BAD_OR_DEEP:
            pass
        else:
            self.chunker.add(window, events, len(data))
            return True
        try:
            raws: list[msgspec.Raw] = _RAWS.decode(data)
        except BAD_OR_DEEP:
            return False
        self._each(window, raws)
        return True

    @without_gc
    def elements(self, window: str | None, raws: Sequence[bytes | memoryview]) -> None:
        if len(raws) > 1:
            try:
                events = _EVENTS.decode(b"".join((b"[", b",".join(raws), b"]")))
            except BAD_OR_DEEP:
                pass
            else:
                self.chunker.add(window, events, sum(len(r) for r in raws))
                return
        self._each(window, raws)

    @without_gc
    def event_lines(self, window: str | None, data: bytes) -> bool:
        try:
            events = _EVENT.decode_lines(data)
        except BAD_OR_DEEP:
            return False
        self.chunker.add(window, events, len(data))
        return True

    def count(self, window: str | None, key: str, n: int = 1) -> None:
        self.chunker.count(window, key, n)

    # -- element by element --

    def _each(self, window: str | None, raws: Sequence[bytes | memoryview]) -> None:
        good: list[Event] = []
        size = 0
        for raw in raws:
            result = self._decode_one(raw)
            if isinstance(result, str):
                self.chunker.count(window, result)
            else:
                good.append(result)
                size += len(raw)
        if good:
            self.chunker.add(window, good, size)

    def _decode_one(self, raw: bytes | memoryview) -> Event | str:
        """An event, or the key to count the element under."""
        try:
            return _EVENT.decode(raw)
        except RecursionError:
            return TOO_DEEP
        except BAD_JSON:
            pass
        try:
            obj = _ANY.decode(raw)
            fixed = self._repair(obj)
        except RecursionError:
            return TOO_DEEP
        except BAD_JSON:
            return MALFORMED
        if fixed is None:
            return MALFORMED
        try:
            return _EVENT.decode(_encode(fixed))
        except RecursionError:
            return TOO_DEEP
        except (msgspec.MsgspecError, TypeError, ValueError, OverflowError):
            return _classify(fixed)

    def _repair(self, obj: Any) -> dict[str, Any] | None:
        """Undo packing/compression and coerce a string timestamp; None if hopeless."""
        if isinstance(obj, str):
            obj = self._unpack(obj)
        if not isinstance(obj, dict):
            return None
        ts = obj.get("timestamp")
        if isinstance(ts, str):
            try:
                number = float(ts)
            except ValueError:
                return None
            if not math.isfinite(number):
                return None
            obj["timestamp"] = int(number) if number.is_integer() else number
        data = obj.get("data")
        etype = obj.get("type")
        if etype == 2 and isinstance(data, str):
            inner = self._gunzip_json(data)
            if inner is None:
                return None
            obj["data"] = inner
        elif etype == 3 and isinstance(data, dict) and _is_int(data.get("source")):
            for key in _CV_FIELDS.get(data["source"], ()):
                value = data.get(key)
                if isinstance(value, str):
                    inner = self._gunzip_json(value)
                    if inner is None:
                        return None
                    data[key] = inner
        return obj

    def _unpack(self, text: str) -> Any:
        """A packed element (rrweb-format §11): JSON text, or zlib bytes stored as chars."""
        if text.lstrip()[:1] == "{":
            try:
                inner = _ANY.decode(text)
            except BAD_JSON:
                inner = None
            if isinstance(inner, dict) and "timestamp" in inner:
                return inner
        raw = self._inflate(text, zlib.MAX_WBITS)
        if raw is None:
            return None
        try:
            inner = _ANY.decode(raw)
        except BAD_JSON:
            return None
        if isinstance(inner, dict) and inner.get("v") == "v1":
            return inner
        return None

    def _gunzip_json(self, text: str) -> Any:
        """A PostHog `cv` field: gzip bytes stored one byte per char, holding JSON."""
        raw = self._inflate(text, 32 + zlib.MAX_WBITS)  # 32+: accept gzip or zlib headers
        if raw is None:
            return None
        try:
            return _ANY.decode(raw)
        except BAD_JSON:
            return None

    def _inflate(self, text: str, wbits: int) -> bytes | None:
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            return None
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(data, self._budget + 1)
        except zlib.error:
            return None
        if len(out) > self._budget:
            raise RecordingTooLargeError(
                f"packed/compressed events inflate beyond the {self._cap}-byte cap"
            )
        if not d.eof:
            return None
        self._budget -= len(out)
        return out
