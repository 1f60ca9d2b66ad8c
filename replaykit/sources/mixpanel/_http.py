"""Requests to Mixpanel's APIs: retries, status → exception mapping, secret hygiene.

Every stage talks HTTP through one :class:`Session`, which owns the limiters, the retry
policy and the clock, so tests can swap time and randomness out. Two rules hold here:

- Credentials (the ``Authorization`` header) go to the Query/App/export hosts only, never
  to the CDN; a signed CDN URL's query string is itself a credential and never reaches a
  log record or an exception (httpx logs request URLs at INFO: :func:`install_log_redaction`
  scrubs them).
- Our exceptions are raised *outside* ``except`` blocks, so no httpx exception (whose
  request holds the URL and headers) ends up in ``__context__``.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import httpx
import msgspec

from ..._errors import (
    AuthenticationError,
    InvalidResponseError,
    MixpanelError,
    QueryError,
    RateLimitError,
    ServerError,
    SessionReplayAccessError,
    TransientError,
    UsageError,
)
from ._config import MixpanelConfig

__all__ = [
    "ClientLimits",
    "RetryPolicy",
    "Session",
    "install_log_redaction",
    "parse_retry_after",
    "redact_url",
]

logger = logging.getLogger("replaykit.mixpanel")

SENSITIVE_FLAG: Final = "SESSION_RECORDING_SENSITIVE_DATA"
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_ERROR_TEXT_MAX = 300  # server error text kept in messages: enough to act on, never a dump
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How often and how long to retry 429, 5xx, timeouts and connection errors.

    ``max_attempts`` counts the first try. Without ``Retry-After`` the wait before attempt
    *n + 1* is ``base_delay * 2**(n-1)``, capped at ``max_delay``, and then shortened by a
    random fraction up to ``jitter`` so that many clients do not retry in lock-step. A
    ``Retry-After`` header (seconds or an HTTP date) is honoured as given; one longer than
    ``max_retry_after`` gives up at once (waiting that long would stall the whole run).
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise UsageError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise UsageError("retry delays must not be negative")
        if not 0 <= self.jitter <= 1:
            raise UsageError(f"jitter must be within [0, 1], got {self.jitter}")

    def backoff(self, attempt: int, retry_after: float | None, rand: float) -> float | None:
        """Seconds to wait after failed attempt ``attempt`` (1-based), or None to give up.

        ``rand`` is a number in [0, 1) (the jitter draw, injectable for tests).
        """
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay * (1 - self.jitter * rand)


class ClientLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Concurrency and size bounds of one client.

    - ``cdn_concurrency``: CDN chunk requests in flight across all replays; the connection
      pool is sized to hold them plus the API calls, so no task waits on the pool.
    - ``replay_window``: chunk requests in flight for one replay. A walk starts with
      ``initial_window`` (2: chunk 0 and the probe that ends a one-file replay) and grows
      by one per chunk that exists.
    - ``replay_concurrency``: replays fetched at once by ``analyze``/``download``.
    - ``query_concurrency``: Query/export API calls at once; Mixpanel allows 5 per project.
    - ``sign_batch``: replay ids per bulk sign call. Small batches keep signatures fresh
      (they live ~5 minutes) while the replays wait for a fetch slot.
    - ``max_files``: chunk files per replay; reaching it stops the walk and marks the last
      chunk ``truncated``. ``max_chunk_bytes``: largest chunk body accepted.
    """

    cdn_concurrency: int = 16
    replay_window: int = 8
    initial_window: int = 2
    replay_concurrency: int = 4
    query_concurrency: int = 5
    sign_batch: int = 25
    max_files: int = 1000
    max_chunk_bytes: int = 256 << 20

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            if getattr(self, name) < 1:
                raise UsageError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def pool_size(self) -> int:
        """Connections the HTTP pool may open: every CDN slot plus the API slots."""
        return self.cdn_concurrency + self.query_concurrency + 2


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def redact_url(url: httpx.URL | str) -> str:
    """The URL with its query string replaced by ``<redacted N chars>``."""
    text = str(url)
    base, sep, query = text.partition("?")
    return f"{base}?<redacted {len(query)} chars>" if sep else base


class _RedactQueryFilter(logging.Filter):
    """Rewrites URL arguments of httpx's log records so no query string is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, httpx.URL) for a in args):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in args)
        return True


_REDACTION = _RedactQueryFilter()


def install_log_redaction() -> None:
    """Scrub query strings from the ``httpx`` logger's records (idempotent).

    httpx logs every request URL at INFO; for a signed CDN URL that is a bearer
    credential. The filter sits on the logger itself, so it applies whatever handlers the
    application configures.
    """
    target = logging.getLogger("httpx")
    if _REDACTION not in target.filters:
        target.addFilter(_REDACTION)


def _error_text(body: bytes) -> str:
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        text = body.decode("utf-8", "replace")
    else:
        text = data.get("error", data) if isinstance(data, dict) else data
        text = text if isinstance(text, str) else msgspec.json.encode(text).decode()
    # Server text goes into messages printed on terminals: no control characters.
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text[:_ERROR_TEXT_MAX] + ("…" if len(text) > _ERROR_TEXT_MAX else "")


def api_error(
    status: int, body: bytes, what: str, project_id: int, detail: str | None = None
) -> MixpanelError:
    """The exception for a non-2xx, non-retryable API answer (``detail``: its text)."""
    detail = _error_text(body) if detail is None else detail
    if status == 401:
        return AuthenticationError(f"{what}: credentials rejected (401): {detail}", status=401)
    if status == 403:
        # The sensitive-data flag may sit anywhere in the body (dict, list, string): match
        # it in the raw text, as the reference client does after serialising.
        if SENSITIVE_FLAG.encode() in body:
            return SessionReplayAccessError(
                f"{what}: this account may not view session replays of project "
                f"{project_id} (needs the sensitive_data_replay permission)",
                status=403,
                details={
                    "project_id": project_id,
                    "flag": SENSITIVE_FLAG,
                    "permission_required": "sensitive_data_replay",
                },
            )
        return AuthenticationError(f"{what}: access denied (403): {detail}", status=403)
    if status == 429:
        return RateLimitError(f"{what}: rate limited (429): {detail}", status=429)
    if status >= 500:
        return ServerError(f"{what}: server error ({status}): {detail}", status=status)
    return QueryError(f"{what}: request rejected ({status}): {detail}", status=status)


class Session:
    """The HTTP machinery shared by every stage of one :class:`MixpanelClient`."""

    def __init__(
        self,
        config: MixpanelConfig,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy,
        limits: ClientLimits,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.http = http
        self.retry = retry
        self.limits = limits
        self.sleep = sleep
        self.clock = clock
        self.rand = rand
        self.cdn_limiter = anyio.CapacityLimiter(limits.cdn_concurrency)
        self.query_limiter = anyio.CapacityLimiter(limits.query_concurrency)
        t = config.timeouts
        self.cdn_timeout = httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
        self.api_timeout = httpx.Timeout(
            connect=t.connect, read=t.api_read, write=t.write, pool=t.pool
        )
        self._auth = self._authorization()
        self._secrets = [
            s.encode()
            for s in (config.secret, config.oauth_token, self._auth.partition(" ")[2])
            if s and len(s) >= 4  # a 1-3 character "secret" would blank out real words
        ]

    def server_text(self, body: bytes) -> str:
        """A server's error text for a message: cut short, one line, no control
        characters, and none of this session's credentials (a server or proxy may echo
        the request's ``Authorization`` back)."""
        for secret in self._secrets:
            body = body.replace(secret, b"<redacted>")
        return _error_text(body)

    def now_ms(self) -> int:
        """The injectable clock, in epoch milliseconds."""
        return int(self.clock() * 1000)

    def _authorization(self) -> str:
        cfg = self.config
        if cfg.uses_service_account:
            pair = f"{cfg.username}:{cfg.secret}".encode()
            return f"Basic {base64.b64encode(pair).decode('ascii')}"
        return f"Bearer {cfg.oauth_token}"

    async def wait_before_retry(self, attempt: int, retry_after: float | None) -> bool:
        """Sleep before the next attempt; False when the policy says to give up."""
        delay = self.retry.backoff(attempt, retry_after, self.rand())
        if delay is None:
            return False
        logger.debug("retrying in %.2f s (attempt %d failed)", delay, attempt)
        await self.sleep(delay)
        return True

    def _build(
        self,
        method: str,
        url: str,
        json: Any,
        params: Mapping[str, str] | None,
    ) -> httpx.Request:
        headers = {"Authorization": self._auth, "Accept": "application/json"}
        content = msgspec.json.encode(json) if json is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        return self.http.build_request(
            method, url, params=params, content=content, headers=headers, timeout=self.api_timeout
        )

    async def _send_once(
        self, request: httpx.Request, what: str
    ) -> tuple[httpx.Response | None, TransientError | None]:
        """One attempt: the open 2xx response, or the retryable failure; raises the others.

        ``follow_redirects=False`` per request, whatever the client's default: a redirect
        would re-send the ``Authorization`` header (or a body naming the project) to a
        host nobody configured. A 3xx is reported like any other unexpected status.
        """
        started = time.monotonic()
        try:
            response = await self.http.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException as exc:
            return None, TransientError(f"{what}: timed out ({type(exc).__name__})")
        except httpx.TransportError as exc:
            return None, TransientError(f"{what}: connection failed ({type(exc).__name__})")
        logger.debug(
            "%s %s -> %d (%.3f s)",
            request.method,
            request.url.path,
            response.status_code,
            time.monotonic() - started,
        )
        if response.is_success:
            return response, None
        try:
            body = await _read_capped(response, 64 << 10)
        finally:
            await response.aclose()
        status = response.status_code
        detail = self.server_text(body)
        failure = api_error(status, body, what, self.config.project_id, detail)
        if status not in RETRY_STATUSES or not isinstance(failure, TransientError):
            raise failure
        failure.retry_after = parse_retry_after(response.headers.get("Retry-After"), self.clock())
        return None, failure

    async def give_up(self, attempt: int, failure: TransientError) -> bool:
        """Wait before the next attempt; True (and the message says so) when out of them."""
        if await self.wait_before_retry(attempt, failure.retry_after):
            return False
        failure.message += f" (after {attempt} attempts)"
        return True

    @asynccontextmanager
    async def api_stream(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        limiter: anyio.CapacityLimiter | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """Send an API request with retries; yield the open 2xx response (body unread).

        429, 5xx, timeouts and connection errors are retried under the policy; any other
        status raises the mapped :class:`~replaykit.MixpanelError` (see :func:`api_error`).
        Reading the body is the caller's: a failure there is the caller's to map (see
        :meth:`api_json`, which retries it).
        """
        attempt = 0
        while True:
            attempt += 1
            async with _hold(limiter):
                response, failure = await self._send_once(
                    self._build(method, url, json, params), what
                )
                if response is not None:
                    try:
                        yield response
                        return
                    finally:
                        await response.aclose()
            assert failure is not None
            if await self.give_up(attempt, failure):
                raise failure

    async def api_json(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        limiter: anyio.CapacityLimiter | None = None,
    ) -> Any:
        """Like :meth:`api_stream`, returning the decoded JSON body (``{}`` for 204).

        The body is read inside the retry loop: a read timeout mid-body, a reset, fewer
        bytes than ``Content-Length`` or JSON that stops before it closes (a connection
        closed mid-answer with no length to check) is retried like a failed request. A
        complete body that is not JSON raises :class:`~replaykit.InvalidResponseError`.
        """
        attempt = 0
        while True:
            attempt += 1
            async with _hold(limiter):
                response, failure = await self._send_once(
                    self._build(method, url, json, params), what
                )
                if response is not None:
                    try:
                        body, failure = await _read_answer(response, what)
                    finally:
                        await response.aclose()
                    if failure is None:
                        status = response.status_code
                        if status == 204 or not body.strip():
                            return {}
                        value, failure = _decode_answer(body, what, status)
                        if failure is None:
                            return value
            assert failure is not None
            if await self.give_up(attempt, failure):
                raise failure


async def _read_answer(response: httpx.Response, what: str) -> tuple[bytes, TransientError | None]:
    """The whole 2xx body, or the transient failure that cut it short."""
    try:
        return await response.aread(), None
    except httpx.TimeoutException as exc:
        failure = TransientError(f"{what}: timed out reading the answer ({type(exc).__name__})")
    except httpx.RequestError as exc:
        failure = TransientError(f"{what}: answer cut short ({type(exc).__name__})")
    return b"", failure


def _decode_answer(body: bytes, what: str, status: int) -> tuple[Any, TransientError | None]:
    """The decoded JSON, a transient failure for JSON cut short, or InvalidResponseError."""
    try:
        return msgspec.json.decode(body), None
    except msgspec.DecodeError as exc:
        truncated = "truncated" in str(exc) and body.lstrip()[:1] in (b"{", b"[")
    if truncated:
        return None, TransientError(f"{what}: answer cut short (incomplete JSON)")
    raise InvalidResponseError(f"{what}: the answer is not JSON", status=status)


@asynccontextmanager
async def _hold(limiter: anyio.CapacityLimiter | None) -> AsyncIterator[None]:
    """Hold a token for a request whose response may be read from other tasks.

    A streamed response is read across ``yield`` s, and a blocking portal runs each step in
    a new task: the token is borrowed by a private object, not by the current task.
    """
    if limiter is None:
        yield
        return
    borrower = object()
    await limiter.acquire_on_behalf_of(borrower)
    try:
        yield
    finally:
        limiter.release_on_behalf_of(borrower)


async def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """At most ``cap`` bytes of an error body: enough for the message, never a flood."""
    parts: list[bytes] = []
    size = 0
    try:
        async for piece in response.aiter_bytes():
            parts.append(piece)
            size += len(piece)
            if size >= cap:
                break
    except httpx.HTTPError:
        pass  # a broken error body still leaves the status to report
    return b"".join(parts)[:cap]
