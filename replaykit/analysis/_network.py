"""Network plugin records: `rrweb/network@1`, Mixpanel's `rrweb/network@1.mp`, PostHog's
`posthog/network@1` (best effort), turned into :class:`NetworkRecord` s with epoch times.

The rrweb plugin reports `startTime`/`endTime` in ms since the document's time origin, not
epoch. Every request is reported after it ended, so ``event.timestamp - end`` bounds the
origin from above; the smallest such bound over a document's requests estimates it
(within ~50 ms in the corpus). Mixpanel's variant carries an absolute `timeOrigin`.
Bodies and headers are never decoded: only whether headers were captured (the fetch/XHR
wrapper, which reports the real status after the response) is kept.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ._tape import NetworkRecord

__all__ = ["NetworkCollector"]


_ABSENT = msgspec.Raw(b"")


def _present(raw: msgspec.Raw) -> bool:
    return len(raw) > 0 and bytes(raw) != b"null"


class _Request(msgspec.Struct, frozen=True, gc=False):
    name: str | None = None
    url: str | None = None
    method: str | None = None
    initiatorType: str | None = None  # the recorder's key
    status: float | None = None
    startTime: float | None = None
    endTime: float | None = None
    duration: float | None = None
    timeOrigin: float | None = None
    # Kept encoded (never decoded); empty when the key is absent.
    requestHeaders: msgspec.Raw = _ABSENT
    responseHeaders: msgspec.Raw = _ABSENT


class _Payload(msgspec.Struct, frozen=True, gc=False):
    requests: list[_Request] = []
    isInitial: bool = False


_decoder = msgspec.json.Decoder(_Payload)
_MAX_REQUESTS = 100_000  # per replay; a recorder that floods is counted, not stored


class _Pending(msgspec.Struct, gc=False):
    t: int
    document: int
    window_id: str | None
    request: _Request
    initial: bool


class NetworkCollector:
    """Collects requests during the pass; :meth:`records` resolves epoch times at the end."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        self._origin: dict[tuple[str | None, int], float] = {}
        self.dropped = 0
        self._navigation_end: float | None = None

    def add(
        self, t: int, plugin: str, raw: msgspec.Raw, document: int, window_id: str | None
    ) -> bool:
        """Record one plugin event's requests; False when its payload is not readable."""
        if plugin.startswith("posthog/network@"):
            return True  # numeric-keyed payload, unverified: counted by the caller only
        try:
            payload = _decoder.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # raw: unchecked
            return False
        if payload.isInitial:
            for request in payload.requests[:64]:
                end = request.endTime
                if request.initiatorType == "navigation" and end is not None and 0 <= end < 600_000:
                    self._navigation_end = end
                    break
        for request in payload.requests:
            if len(self._pending) >= _MAX_REQUESTS:
                self.dropped += 1
                continue
            self._pending.append(_Pending(t, document, window_id, request, payload.isInitial))
            end = _relative_end(request)
            if end is not None and request.timeOrigin is None:
                key = (window_id, document)
                bound = t - end
                if bound < self._origin.get(key, float("inf")):
                    self._origin[key] = bound
        return True

    def take_navigation_end(self) -> float | None:
        """The response end (ms after the time origin) of the navigation entry in the
        latest initial batch, once; None when there was none."""
        end, self._navigation_end = self._navigation_end, None
        return end

    def records(self) -> list[NetworkRecord]:
        """All requests with epoch start/end where they can be placed, in report order."""
        out: list[NetworkRecord] = []
        for p in self._pending:
            r = p.request
            url = r.url or r.name or ""
            origin = r.timeOrigin
            if origin is None:
                origin = self._origin.get((p.window_id, p.document))
            start = end = None
            if origin is not None and r.startTime is not None:
                start = origin + r.startTime
                rel_end = _relative_end(r)
                end = origin + rel_end if rel_end is not None else None
            status = int(r.status) if r.status is not None and r.status == r.status else None
            out.append(
                NetworkRecord(
                    t=p.t,
                    document=p.document,
                    url=url[:2000],
                    method=(r.method or "GET").upper()[:16],
                    initiator=(r.initiatorType or "")[:32],
                    status=status,
                    start=start,
                    end=end,
                    duration=_duration(r),
                    from_wrapper=_present(r.requestHeaders) or _present(r.responseHeaders),
                    initial=p.initial,
                    window_id=p.window_id,
                )
            )
        return out


def _duration(r: _Request) -> float | None:
    if r.duration is not None and r.duration > 0:
        return r.duration
    if r.startTime is not None and r.endTime is not None and r.endTime >= r.startTime:
        return r.endTime - r.startTime
    return r.duration


def _relative_end(r: _Request) -> float | None:
    """When the request ended, in document-relative ms."""
    ends: list[Any] = []
    if r.endTime is not None:
        ends.append(r.endTime)
    if r.startTime is not None and r.duration is not None:
        ends.append(r.startTime + r.duration)
    return max(ends) if ends else None
