"""Fetch: walk a replay's CDN chunk files ``0000, 0001, …`` with a sliding window.

A walk keeps at most ``window`` chunk requests in flight (starting at 2, growing by one per
file that exists, up to ``ClientLimits.replay_window``) and delivers bodies strictly in file
order as soon as the next one is in, so the consumer starts on chunk 0 while later files are
still downloading. Every request also takes a token of the client-wide CDN limiter, which
bounds concurrency across replays.

Per file: 200 → delivered; 404 → the end of the recording (on file 0: not found, after
trying the other standard retention suffixes when the retention was a guess); 403 → sign
again and retry, and a 403 on a fresh signature → :class:`~replaykit.SignedURLExpiredError`;
429, 5xx, timeouts and connection errors → retried with jittered backoff honouring
``Retry-After``. Signatures about to expire are renewed before a request, so a walk may take
longer than one signature lives.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Final

import anyio
import httpx
import msgspec

from ..._errors import (
    InvalidResponseError,
    MixpanelError,
    RateLimitError,
    RecordingError,
    RecordingTooLargeError,
    ReplayNotFoundError,
    ServerError,
    SignedURLExpiredError,
    TransientError,
    UnsupportedReplayFormatError,
)
from ...rrweb._decode import iter_event_chunks
from ...rrweb._model import CustomEvent, EventChunk
from ._discover import ReplayDescriptor
from ._http import RETRY_STATUSES, Session, parse_retry_after
from ._sign import SignedReplay
from ._stage import single_error

__all__ = ["Delivery", "Resign", "Walk", "decoded_delivery"]

logger = logging.getLogger("replaykit.mixpanel")

STANDARD_RETENTIONS: Final = (30, 90, 7, 1)  # tried in this order when the retention is a guess
STRAGGLER_GRACE_S: Final = 1.0  # wait for look-ahead requests past the end, at most this
MAX_RESIGNS: Final = 20  # per walk: generous for long walks, finite for a CDN that always 403s
_MOBILE_TAGS: Final = frozenset({"mp_wireframe"})


class _Absent:
    """Marker outcome: the file does not exist (404)."""


_ABSENT: Final = _Absent()
_Outcome = bytes | _Absent | MixpanelError | RecordingError

Resign = Callable[[], Awaitable[SignedReplay]]
"""Signs the walk's replay again (one bulk call for one id)."""

Delivery = Callable[[int, bytes], Awaitable[None]]
"""Receives each chunk file's body in file order; awaiting it is the backpressure point."""


class Walk:
    """One replay's CDN walk; :meth:`run` delivers file bodies in order."""

    def __init__(
        self,
        session: Session,
        target: ReplayDescriptor,
        signed: SignedReplay,
        resign: Resign,
    ) -> None:
        self.session = session
        self.target = target
        self.replay_id = target.replay_id
        self.signed = signed
        self._resign_call = resign
        self._resign_lock = anyio.Lock()
        self.resigns = 0
        # The signature that has served a file: a renewed one refused before it served any
        # is "fresh and refused", whichever concurrent request sees the 403.
        self._proven: SignedReplay | None = None
        self.files = 0
        self.truncated = False
        self._changed = anyio.Event()

    # --- signatures -----------------------------------------------------------------------

    async def _renew(self, stale: SignedReplay) -> None:
        """Sign again unless another request already replaced ``stale``."""
        async with self._resign_lock:
            if self.signed is not stale:
                return
            self.resigns += 1
            logger.debug("re-signing replay %s (renewal %d)", self.replay_id, self.resigns)
            self.signed = await self._resign_call()

    async def _current(self) -> SignedReplay:
        signed = self.signed
        lifetime = max(0, signed.expires_at - signed.signed_at)
        margin = min(30_000, lifetime // 4)
        if signed.is_expired(self.session.now_ms(), margin) and self.resigns < MAX_RESIGNS:
            await self._renew(signed)
        return self.signed

    # --- one file -------------------------------------------------------------------------

    async def _get(self, url: str) -> tuple[int, bytes, float | None, str | None]:
        """(status, body, retry_after, transport failure); the body only for a 200."""
        session = self.session
        failure: str | None = None
        status, body, retry_after = 0, b"", None
        async with session.cdn_limiter:
            try:
                # Never follow a redirect, whatever the client's default: the signed query
                # string would go wherever the Location points.
                async with session.http.stream(
                    "GET", url, timeout=session.cdn_timeout, follow_redirects=False
                ) as response:
                    status = response.status_code
                    if status == 200:
                        body = await self._read(response)
                    else:
                        await _drain(response)
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), session.clock()
                    )
            except httpx.TimeoutException as exc:
                failure = f"timed out ({type(exc).__name__})"
            except httpx.RequestError as exc:
                # Resets and bodies cut short (RemoteProtocolError) land here. Only the class
                # name is kept: the exception's request holds the signed URL.
                failure = f"connection failed ({type(exc).__name__})"
        return status, body, retry_after, failure

    async def _read(self, response: httpx.Response) -> bytes:
        cap = self.session.limits.max_chunk_bytes
        parts = bytearray()
        async for piece in response.aiter_bytes():
            parts += piece
            if len(parts) > cap:
                raise _TooLarge
        return bytes(parts)

    async def _file(self, index: int, retention: int) -> _Outcome:
        attempt = 0
        while True:
            try:
                signed = await self._current()
            except MixpanelError as exc:
                return exc
            try:
                status, body, retry_after, failure = await self._get(
                    signed.chunk_url(index, retention)
                )
            except _TooLarge:
                return RecordingTooLargeError(
                    f"chunk file {index} is larger than {self.session.limits.max_chunk_bytes} "
                    "bytes",
                    replay_id=self.replay_id,
                )
            logger.debug(
                "replay %s chunk %d: %s", self.replay_id, index, failure or f"HTTP {status}"
            )
            if failure is None and status == 200:
                if not await anyio.to_thread.run_sync(_cut_short, body):
                    if self.signed is signed:
                        self._proven = signed
                    return body
                # Closed mid-body with no length to check against: only the JSON shows it.
                failure = "body cut short (incomplete JSON)"
            if failure is None and status == 404:
                return _ABSENT
            if failure is None and status == 403:
                if self.signed is not signed:
                    continue  # another request renewed the signature meanwhile
                fresh = self.resigns > 0 and self._proven is not signed
                if fresh or self.resigns >= MAX_RESIGNS:
                    return self._expired()
                try:
                    await self._renew(signed)
                except MixpanelError as exc:
                    return exc
                continue
            if failure is None and status not in RETRY_STATUSES:
                return InvalidResponseError(
                    f"CDN answered HTTP {status} for chunk file {index}",
                    replay_id=self.replay_id,
                    status=status,
                )
            attempt += 1
            if not await self.session.wait_before_retry(attempt, retry_after):
                return self._transient(index, attempt, status, failure, retry_after)

    def _expired(self) -> SignedURLExpiredError:
        return SignedURLExpiredError(
            "the CDN rejects the replay's signed URL even after signing it again",
            replay_id=self.replay_id,
            status=403,
            details={
                "replay_id": self.replay_id,
                "signed_at": self.signed.signed_at,
                "expires_at": self.signed.expires_at,
            },
        )

    def _transient(
        self, index: int, attempts: int, status: int, failure: str | None, retry_after: float | None
    ) -> TransientError:
        what = f"chunk file {index}: {failure or f'HTTP {status}'} (after {attempts} attempts)"
        cls = TransientError
        if failure is None:
            cls = RateLimitError if status == 429 else ServerError
        return cls(
            what,
            replay_id=self.replay_id,
            status=None if failure else status,
            retry_after=retry_after,
        )

    # --- the walk -------------------------------------------------------------------------

    async def run(self, deliver: Delivery) -> None:
        """Walk every file and ``deliver`` each body in order; raise the walk's error."""
        retention = self.target.retention_days
        first: bytes | None = None
        if not self.target.retention_known:
            retention, first = await self._probe()
        error: BaseException | None = None
        try:
            error = await self._walk(retention, first, deliver)
        except BaseExceptionGroup as group:
            # `deliver` failed inside the walk's task group: raise that error itself.
            error = single_error(group)
            if error is None:
                raise
        if error is not None:
            raise error

    async def _probe(self) -> tuple[int, bytes]:
        """Find the retention suffix by asking for file 0 under each standard one."""
        tried: list[int] = []
        for retention in dict.fromkeys((self.target.retention_days, *STANDARD_RETENTIONS)):
            tried.append(retention)
            outcome = await self._file(0, retention)
            if isinstance(outcome, bytes):
                logger.debug("replay %s: retention is %d days", self.replay_id, retention)
                return retention, outcome
            if not isinstance(outcome, _Absent):
                raise outcome
        raise self._not_found(tried)

    def _not_found(self, tried: list[int]) -> ReplayNotFoundError:
        return ReplayNotFoundError(
            "the CDN has no chunk file 0 for this replay "
            f"(retention suffix {', '.join(map(str, tried))} days)",
            replay_id=self.replay_id,
            status=404,
            details={"replay_id": self.replay_id, "retention_days": tried},
        )

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def _walk(
        self, retention: int, first: bytes | None, deliver: Delivery
    ) -> MixpanelError | RecordingError | None:
        limits = self.session.limits
        results: dict[int, _Outcome] = {}
        running: set[int] = set()
        end: list[int] = []  # the lowest index known to be absent, once one is
        next_request = next_emit = 0
        window = max(1, min(limits.initial_window, limits.replay_window))
        if first is not None:
            results[0], next_request = first, 1

        async def fetch(index: int) -> None:
            running.add(index)
            try:
                outcome = await self._file(index, retention)
                results[index] = outcome
                if isinstance(outcome, _Absent) and (not end or index < end[0]):
                    end[:] = [index]
            finally:
                running.discard(index)
                self._wake()

        error: MixpanelError | RecordingError | None = None
        async with anyio.create_task_group() as tg:
            while True:
                while (
                    next_request < next_emit + window
                    and next_request < limits.max_files
                    and (not end or next_request < end[0])
                ):
                    tg.start_soon(fetch, next_request)
                    next_request += 1
                while next_emit not in results:
                    await self._changed.wait()
                outcome = results.pop(next_emit)
                if isinstance(outcome, _Absent):
                    if next_emit == 0:
                        error = self._not_found([retention])
                    break
                if not isinstance(outcome, bytes):
                    error = outcome
                    break
                await deliver(next_emit, outcome)
                self.files = next_emit = next_emit + 1
                window = min(window + 1, limits.replay_window)
                if next_emit >= limits.max_files:
                    self.truncated = True
                    logger.warning(
                        "replay %s: stopped after %d chunk files (max_files)",
                        self.replay_id,
                        next_emit,
                    )
                    break
            if error is None:
                # Requests past the end get a moment to finish (they are quick 404s): an
                # HTTP/1.1 connection whose request is cancelled mid-flight is closed, not
                # pooled, and a new one costs a TCP (and TLS) handshake.
                with anyio.move_on_after(STRAGGLER_GRACE_S):
                    while running:
                        await self._changed.wait()
            tg.cancel_scope.cancel()
        return error


async def _drain(response: httpx.Response) -> None:
    """Read a small error body to its end so the connection can return to the pool.

    Closing a response with unread bytes on an HTTP/1.1 connection closes the connection;
    every 404 that ends a walk would then cost a new TCP (and TLS) handshake. A large
    error body is not worth reading: then the connection is dropped after all.
    """
    size = 0
    try:
        async for piece in response.aiter_raw():
            size += len(piece)
            if size > _DRAIN_LIMIT:
                break
    except (httpx.StreamError, httpx.TransportError):
        pass  # already read (a mock), or broken: the status is what matters here


_DRAIN_LIMIT: Final = 64 << 10


class _TooLarge(Exception):
    """Internal: a chunk body passed ``max_chunk_bytes``."""


_RAWS = msgspec.json.Decoder(list[msgspec.Raw])


def _cut_short(body: bytes) -> bool:
    """True when a chunk body is a JSON array (or gzip stream) that ends before it closes.

    A server that closes the connection mid-body without a ``Content-Length`` (or under a
    compression layer) ends the response "normally"; the decoder would salvage the events
    before the cut and the rest of the file would be lost for good. Bodies that are
    malformed in other ways are left to the decoder, which reports them.
    """
    if body[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(wbits=31)
        pending = body
        try:
            while pending and not inflater.eof:
                inflater.decompress(pending, 1 << 20)  # bounded output: memory stays flat
                pending = inflater.unconsumed_tail
        except zlib.error:
            return False
        return not inflater.eof
    head = body.lstrip()[:1]
    if head != b"[":
        return False
    try:
        _RAWS.decode(body)
    except msgspec.DecodeError as exc:
        return "truncated" in str(exc)
    return False


def _decode_file(body: bytes, replay_id: str, index: int) -> list[EventChunk]:
    try:
        return list(iter_event_chunks(body, replay_id=replay_id))
    except RecordingError as exc:
        exc.message = f"chunk file {index}: {exc.message}"
        raise


def decoded_delivery(
    replay_id: str, sink: Callable[[EventChunk], Awaitable[None]]
) -> tuple[Delivery, Callable[[bool], Awaitable[None]]]:
    """A delivery that decodes each file into event chunks and hands them to ``sink``.

    Returns ``(deliver, finish)``; ``finish(truncated)`` sinks a closing empty chunk marked
    ``truncated`` when the walk stopped at ``max_files``. Chunk ``index`` counts across
    files. The first file with elements is checked: no decodable event at all, or
    Mixpanel's mobile wireframe events, raise :class:`~replaykit.UnsupportedReplayFormatError`.
    Decoding runs in a worker thread, one hop per file.
    """
    state = {"count": 0, "checked": False}

    async def deliver(index: int, body: bytes) -> None:
        chunks = await anyio.to_thread.run_sync(_decode_file, body, replay_id, index)
        if not state["checked"]:
            _check_format(replay_id, chunks)
            state["checked"] = any(c.events or c.malformed or c.unknown for c in chunks)
        for chunk in chunks:
            await sink(msgspec.structs.replace(chunk, index=state["count"]))
            state["count"] += 1

    async def finish(truncated: bool) -> None:
        if truncated:
            await sink(EventChunk(events=[], index=state["count"], truncated=True))

    return deliver, finish


def _check_format(replay_id: str, chunks: list[EventChunk]) -> None:
    events = [e for c in chunks for e in c.events]
    skipped = sum(c.malformed + sum(c.unknown.values()) for c in chunks)
    fmt = None
    if not events and skipped:
        fmt = "non-rrweb"
    elif any(isinstance(e, CustomEvent) and e.data.tag in _MOBILE_TAGS for e in events[:500]):
        fmt = "mobile"
    if fmt is not None:
        raise UnsupportedReplayFormatError(
            f"not a web rrweb replay ({fmt}); replaykit analyzes web recordings only",
            replay_id=replay_id,
            status=501,
            details={"replay_id": replay_id, "format": fmt},
        )
