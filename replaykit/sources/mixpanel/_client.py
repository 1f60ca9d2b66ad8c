"""The async Mixpanel client: one connection pool for discover, sign, fetch and the join.

    async with MixpanelClient() as mp:                       # config from MP_* variables
        async with mp.replays_for_user("user-42") as replays:
            async for replay in replays:
                print(replay.replay_id, len(replay.actions), replay.failure)

Sequential stages (:meth:`~MixpanelClient.discover`, :meth:`~MixpanelClient.sign`,
:meth:`~MixpanelClient.events`) are async generators: close them early with
``contextlib.aclosing``. Concurrent stages (:meth:`~MixpanelClient.fetch_chunks`,
:meth:`~MixpanelClient.analyze`, :meth:`~MixpanelClient.download`,
:meth:`~MixpanelClient.replays_for_user`) are async context managers handing out a bounded
receive stream; leaving the ``async with`` cancels their work and closes their connections.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal, Self

import anyio
import httpx
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..._errors import ReplaykitError, UsageError
from ...rrweb._model import EventChunk
from ._config import MixpanelConfig
from ._discover import DateArg, ReplayDescriptor, discover
from ._download import FetchedReplay, ReplayWriter
from ._events import EventsTarget, MixpanelEvent, iter_events, windows
from ._fetch import Walk, decoded_delivery
from ._http import ClientLimits, RetryPolicy, Session, install_log_redaction
from ._pipeline import ReplayInput, failure_record, pipeline_stage, resign_for
from ._sign import SignedReplay, sign_replays
from ._stage import open_stage
from ._tagged import MAX_PROPERTIES, tagged_events

__all__ = ["ClientLimits", "MixpanelSource", "RetryPolicy"]


def _user_agent() -> str:
    try:
        ver = version("replaykit")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        ver = "0"
    return f"replaykit/{ver} (python-httpx/{httpx.__version__})"


class MixpanelSource:
    """The Mixpanel session-replay *source*: discover, sign, fetch, download and events
    over one ``httpx.AsyncClient`` — no analysis here (:class:`replaykit.MixpanelClient`
    adds it).

    ``config`` defaults to :meth:`MixpanelConfig.from_env`. For tests pass ``transport=``
    (e.g. ``httpx.MockTransport(router.async_handler)``) or a ready ``http_client=`` (not
    closed by this client). ``retry`` and ``limits`` bound retries and concurrency;
    ``sleep``, ``clock`` (epoch seconds) and ``rand`` are injectable so tests need no real
    waiting.

    Use it as ``async with MixpanelClient(...) as mp:``; after :meth:`aclose` every call
    raises ``RuntimeError``. ``repr`` never shows credentials.
    """

    def __init__(
        self,
        config: MixpanelConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        limits: ClientLimits | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if transport is not None and http_client is not None:
            raise UsageError("pass transport= or http_client=, not both")
        self.config = config if config is not None else MixpanelConfig.from_env()
        self.limits = limits or ClientLimits()
        self._owns_http = http_client is None
        if http_client is None:
            t = self.config.timeouts
            size = self.limits.pool_size
            http_client = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
                limits=httpx.Limits(
                    max_connections=size, max_keepalive_connections=size, keepalive_expiry=30
                ),
                # Never follow a redirect with credentials attached; Mixpanel does not redirect.
                follow_redirects=False,
                headers={"User-Agent": _user_agent()},
            )
        self.http = http_client
        self._session = Session(
            self.config,
            http_client,
            retry=retry or RetryPolicy(),
            limits=self.limits,
            sleep=sleep,
            clock=clock,
            rand=rand,
        )
        self._state: Literal["new", "open", "closed"] = "new"
        install_log_redaction()

    def __repr__(self) -> str:
        cfg = self.config
        where = cfg.base_url or cfg.region
        return (
            f"{type(self).__name__}(project_id={cfg.project_id}, endpoint={where!r}, "
            f"state={self._state!r})"
        )

    async def __aenter__(self) -> Self:
        self._check_open()
        self._state = "open"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (when this client created it). Idempotent."""
        if self._state != "closed":
            self._state = "closed"
            if self._owns_http:
                await self.http.aclose()

    def _check_open(self) -> None:
        if self._state == "closed":
            raise RuntimeError(f"this {type(self).__name__} is closed; create a new one")

    # --- sequential stages ----------------------------------------------------------------

    def discover(
        self,
        *,
        from_date: DateArg = None,
        to_date: DateArg = None,
        distinct_id: str | None = None,
        replay_ids: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> AsyncGenerator[ReplayDescriptor, None]:
        """Replays recorded in a date range (default: the last 90 days), newest first.

        ``distinct_id`` keeps one user's replays; ``replay_ids`` looks given ids up (to
        learn their retention). Dates are ``YYYY-MM-DD`` strings or dates, inclusive.
        One Insights query (per 200 ids). A replay without a retention period gets 30 days
        and a ``UserWarning``; rows without a start time are skipped.
        """
        self._check_open()
        return discover(
            self._session,
            from_date=from_date,
            to_date=to_date,
            distinct_id=distinct_id,
            replay_ids=replay_ids,
            limit=limit,
        )

    def sign(self, replay_ids: str | Iterable[str]) -> AsyncGenerator[SignedReplay, None]:
        """A :class:`SignedReplay` per id, in order; one bulk call per ``sign_batch`` ids.

        Raises :class:`~replaykit.SessionReplayAccessError` when the account may not view
        replays, and :class:`~replaykit.ReplayNotFoundError` for an id the answer omits.
        """
        self._check_open()
        ids = [replay_ids] if isinstance(replay_ids, str) else replay_ids
        return sign_replays(self._session, ids, batch_size=self.limits.sign_batch)

    async def sign_replay(self, replay_id: str) -> SignedReplay:
        """Sign one replay (the bulk endpoint with one id)."""
        self._check_open()
        return await resign_for(self._session, replay_id)()

    async def describe(self, replay_id: str) -> ReplayDescriptor:
        """Look one replay up by id; unknown to discovery → a guessed retention."""
        self._check_open()
        async with aclosing(
            discover(self._session, replay_ids=[replay_id], warn_missing_retention=False)
        ) as found:
            async for descriptor in found:
                return descriptor
        return ReplayDescriptor(replay_id=replay_id, retention_known=False)

    def events(
        self,
        replays: EventsTarget | Iterable[EventsTarget],
        *,
        distinct_id: str | None = None,
        from_date: DateArg = None,
        to_date: DateArg = None,
        margin_ms: int = 0,
        names: Sequence[str] | None = None,
        source: Literal["export", "insights"] = "export",
        properties: Sequence[str] = (),
    ) -> AsyncGenerator[MixpanelEvent, None]:
        """The Mixpanel events of each replay's user during that replay, streamed.

        ``replays`` are ids, :class:`ReplayDescriptor` s or analyzed replays (whose start
        and end bound the window exactly; a descriptor's window is its start plus 24 h).
        ``names`` keeps only those event names; ``margin_ms`` widens each window.

        ``source="export"`` (default) reads the raw export API, one call per user:
        ``distinct_id`` names the user where a replay does not, and without a user the
        events tagged with the replay's ``$mp_replay_id`` are returned. ``"insights"`` is
        the reference client's join: one Insights query per 200 replays for the tagged
        events, grouped by second (``count`` says how many) and by up to five
        ``properties``.
        """
        self._check_open()
        if margin_ms < 0:
            raise UsageError(f"margin_ms must not be negative, got {margin_ms}")
        if len(properties) > MAX_PROPERTIES:
            raise UsageError(f"at most {MAX_PROPERTIES} properties, got {len(properties)}")
        targets = windows(replays, distinct_id)
        if source == "insights":
            return tagged_events(
                self._session,
                targets,
                from_date=from_date,
                to_date=to_date,
                margin_ms=margin_ms,
                names=names,
                properties=properties,
            )
        if source != "export":
            raise UsageError(f"source must be 'export' or 'insights', got {source!r}")
        if properties:
            raise UsageError("properties= applies to source='insights' only")
        return iter_events(
            self._session,
            targets,
            from_date=from_date,
            to_date=to_date,
            margin_ms=margin_ms,
            names=names,
        )

    # --- concurrent stages ----------------------------------------------------------------

    async def _prepare(
        self, replay: str | ReplayDescriptor | SignedReplay, retention_days: int | None
    ) -> tuple[ReplayDescriptor, SignedReplay]:
        rid = replay if isinstance(replay, str) else replay.replay_id
        if isinstance(replay, ReplayDescriptor) and retention_days is None:
            target = replay
        elif retention_days is not None:
            target = ReplayDescriptor(replay_id=rid, retention_days=retention_days)
        else:
            target = await self.describe(rid)
        signed = replay if isinstance(replay, SignedReplay) else await self.sign_replay(rid)
        return target, signed

    @asynccontextmanager
    async def fetch_chunks(
        self, replay: str | ReplayDescriptor | SignedReplay, *, retention_days: int | None = None
    ) -> AsyncIterator[MemoryObjectReceiveStream[EventChunk]]:
        """Stream one replay's decoded event chunks in order while later files download.

        ``async with mp.fetch_chunks("rid") as chunks: async for chunk in chunks: ...``.
        An id is looked up (retention) and signed first; pass ``retention_days`` to skip
        the lookup. Raises :class:`~replaykit.ReplayNotFoundError`,
        :class:`~replaykit.SignedURLExpiredError`,
        :class:`~replaykit.UnsupportedReplayFormatError` or a transient error.
        """
        self._check_open()
        target, signed = await self._prepare(replay, retention_days)
        session = self._session

        async def produce(send: MemoryObjectSendStream[EventChunk]) -> None:
            walk = Walk(session, target, signed, resign_for(session, target.replay_id))
            deliver, finish = decoded_delivery(target.replay_id, send.send)
            await walk.run(deliver)
            await finish(walk.truncated)

        async with open_stage(produce) as chunks:
            yield chunks

    def _concurrency(self, concurrency: int | None) -> int:
        value = self.limits.replay_concurrency if concurrency is None else concurrency
        if value < 1:
            raise UsageError(f"concurrency must be at least 1, got {value}")
        return value

    def download(
        self,
        replays: ReplayInput | Iterable[ReplayInput] | AsyncIterable[ReplayInput],
        out_dir: str | os.PathLike[str],
        *,
        limit: int | None = None,
        concurrency: int | None = None,
        retention_days: int | None = None,
    ) -> AbstractAsyncContextManager[MemoryObjectReceiveStream[FetchedReplay]]:
        """Write each replay's raw events to ``out_dir/<safe id>.json``; yield a record each.

        Files are written atomically (temporary file, then rename); a replay whose file
        exists is skipped without a request (``resumed=True``), so an interrupted run can
        simply be repeated. Failures yield a :class:`FetchedReplay` with ``failure`` set.
        """
        self._check_open()
        items = [replays] if isinstance(replays, str | ReplayDescriptor) else replays
        workers = self._concurrency(concurrency)
        directory = Path(out_dir)
        problem: str | None
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
        else:
            problem = None
        if problem is not None:  # raised outside the handler: no OSError chained
            raise UsageError(f"cannot create the output directory {directory}: {problem}")
        session = self._session

        def skip(replay_id: str) -> FetchedReplay | None:
            writer = ReplayWriter(directory, replay_id)
            if not writer.exists():
                return None
            size = writer.path.stat().st_size
            return FetchedReplay(
                replay_id=replay_id, path=str(writer.path), bytes=size, resumed=True
            )

        async def work(target: ReplayDescriptor, signed: SignedReplay) -> FetchedReplay:
            writer = ReplayWriter(directory, target.replay_id)
            walk = Walk(session, target, signed, resign_for(session, target.replay_id))
            await writer.write(walk.run)
            return FetchedReplay(
                replay_id=target.replay_id,
                path=str(writer.path),
                files=walk.files,
                events=writer.events,
                bytes=writer.bytes,
                truncated=walk.truncated,
            )

        def failed(replay_id: str, exc: ReplaykitError) -> FetchedReplay:
            return FetchedReplay(replay_id=replay_id, failure=failure_record(exc))

        return pipeline_stage(
            self._session,
            items,
            work=work,
            failed=failed,
            concurrency=workers,
            limit=limit,
            retention_days=retention_days,
            skip=skip,
        )
