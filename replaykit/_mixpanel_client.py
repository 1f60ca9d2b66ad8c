"""Mixpanel replays analyzed: the source (:class:`MixpanelSource`) composed with analysis.

The source layer fetches chunks; this module feeds them to the analyzer as they arrive and
assembles each :class:`~replaykit.AnalyzedReplay` with :func:`finish_replay`, the way local
files are (one definition for every source).

    async with MixpanelClient() as mp:                       # config from MP_* variables
        async with mp.replays_for_user("user-42") as replays:
            async for replay in replays:
                print(replay.replay_id, len(replay.actions), replay.failure)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream

from ._errors import MixpanelError, ReplaykitError, UsageError
from .analysis._actions import Action
from .analysis._analyzer import ReplayAnalyzer
from .analysis._joined import JoinedEvent
from .analysis._options import AnalyzerOptions
from .analysis._replay import (
    DEFAULT_MAX_KEPT_EVENTS,
    AnalyzedReplay,
    RawEvents,
    failed_replay,
    finish_replay,
)
from .analysis._signal_config import SignalConfig
from .rrweb._model import EventChunk
from .sources.mixpanel._client import MixpanelSource
from .sources.mixpanel._discover import DateArg, ReplayDescriptor
from .sources.mixpanel._fetch import Walk, decoded_delivery
from .sources.mixpanel._http import Session
from .sources.mixpanel._join import DEFAULT_JOIN_MARGIN_MS, EventJoin, join_failed
from .sources.mixpanel._pipeline import (
    FATAL,
    ReplayInput,
    failure_record,
    pipeline_stage,
    resign_for,
)
from .sources.mixpanel._sign import SignedReplay

__all__ = ["MixpanelClient", "analyze_one"]


async def analyze_one(
    session: Session,
    target: ReplayDescriptor,
    signed: SignedReplay,
    options: AnalyzerOptions | None,
    signals: SignalConfig | str | None = None,
    join: EventJoin | None = None,
    keep_events: bool = False,
    max_kept_events: int = DEFAULT_MAX_KEPT_EVENTS,
) -> AnalyzedReplay:
    """Walk one replay and analyze its chunks as they arrive (and detect ``signals`` with
    that config or preset when given; with ``join``, add the user's Mixpanel events)."""
    analyzer = ReplayAnalyzer(target.replay_id, options)
    actions: list[Action] = []

    async def feed(chunk: EventChunk) -> None:
        # One thread hop per chunk (thousands of events): the event loop keeps the other
        # downloads moving while the analyzer works.
        actions.extend(await anyio.to_thread.run_sync(analyzer.feed, chunk))

    walk = Walk(session, target, signed, resign_for(session, target.replay_id))
    decode, finish = decoded_delivery(target.replay_id, feed)
    kept = RawEvents(max_kept_events) if keep_events else None

    async def deliver(index: int, body: bytes) -> None:
        if kept is not None:
            # The chunk file as Mixpanel stored it (bounded): rrweb-player's input.
            with contextlib.suppress(msgspec.DecodeError):
                kept.extend(msgspec.json.decode(body))
        await decode(index, body)

    await walk.run(deliver)
    await finish(walk.truncated)
    actions.extend(analyzer.finish())
    distinct_id = target.distinct_id
    joined: list[JoinedEvent] = []
    if join is not None:
        try:
            distinct_id, joined = await join.join(
                target.replay_id, distinct_id, analyzer.start_timestamp, analyzer.end_timestamp
            )
        except FATAL:
            raise
        except MixpanelError as exc:
            join_failed(target.replay_id, exc)
    return finish_replay(
        analyzer,
        actions,
        source=f"mixpanel:{target.replay_id}",
        signals=signals,
        distinct_id=distinct_id,
        joined=joined,
        kept=kept,
    )


class MixpanelClient(MixpanelSource):
    """An async Mixpanel session-replay client: the source's discover, sign, fetch,
    download and events, plus :meth:`analyze` and :meth:`replays_for_user`.

    ``config`` defaults to :meth:`MixpanelConfig.from_env`. For tests pass ``transport=``
    (e.g. ``httpx.MockTransport(router.async_handler)``) or a ready ``http_client=`` (not
    closed by this client). Use it as ``async with MixpanelClient(...) as mp:``; ``repr``
    never shows credentials.
    """

    def analyze(
        self,
        replays: ReplayInput | Iterable[ReplayInput] | AsyncIterable[ReplayInput],
        *,
        limit: int | None = None,
        concurrency: int | None = None,
        options: AnalyzerOptions | None = None,
        retention_days: int | None = None,
        signals: SignalConfig | str | None = None,
        mixpanel_events: bool = False,
        join_margin_ms: int = DEFAULT_JOIN_MARGIN_MS,
        keep_events: bool = False,
        max_kept_events: int = DEFAULT_MAX_KEPT_EVENTS,
    ) -> AbstractAsyncContextManager[MemoryObjectReceiveStream[AnalyzedReplay]]:
        """Fetch and analyze many replays, ``concurrency`` at a time, in completion order.

        ``signals`` (a preset name or :class:`~replaykit.SignalConfig`) also detects
        frustration signals into each ``AnalyzedReplay.signals``.

        ``mixpanel_events=True`` joins each replay's user's Mixpanel events from
        ``join_margin_ms`` before its first event to as long after its last one into
        ``AnalyzedReplay.mixpanel_events`` and sets ``distinct_id``: replays given by id
        have their users looked up first (one Insights query per 200 ids), then each user's
        events come from one raw-export call (see :mod:`._join`). Off by default here (it
        spends Query API budget); on by default in :meth:`replays_for_user`, the CLI and the
        distributed chunks.

        ``keep_events=True`` keeps each replay's raw events as the chunk files hold them
        (``AnalyzedReplay.events``, ``to_rrweb_json()``), at most ``max_kept_events``
        per replay; that memory is held until the replay is dropped.

        ``async with mp.analyze(ids) as replays: async for replay in replays: ...``.
        ``replays`` are ids or descriptors (an async iterable such as :meth:`discover`
        works too). A replay that fails yields an :class:`~replaykit.AnalyzedReplay` whose
        ``failure`` says why; errors that would fail them all (credentials, permissions)
        raise.
        """
        self._check_open()
        if join_margin_ms < 0:
            raise UsageError(f"join_margin_ms must not be negative, got {join_margin_ms}")
        items = [replays] if isinstance(replays, str | ReplayDescriptor) else replays
        workers = self._concurrency(concurrency)
        session = self._session
        join = EventJoin(session, margin_ms=join_margin_ms) if mixpanel_events else None

        async def work(target: ReplayDescriptor, signed: SignedReplay) -> AnalyzedReplay:
            return await analyze_one(
                session, target, signed, options, signals, join, keep_events, max_kept_events
            )

        def failed(replay_id: str, exc: ReplaykitError) -> AnalyzedReplay:
            return failed_replay(replay_id, f"mixpanel:{replay_id}", failure_record(exc))

        return pipeline_stage(
            session,
            items,
            work=work,
            failed=failed,
            concurrency=workers,
            limit=limit,
            retention_days=retention_days,
            join=join,
        )

    @asynccontextmanager
    async def replays_for_user(
        self,
        distinct_id: str,
        *,
        limit: int = 20,
        from_date: DateArg = None,
        to_date: DateArg = None,
        concurrency: int | None = None,
        options: AnalyzerOptions | None = None,
        signals: SignalConfig | str | None = None,
        mixpanel_events: bool = True,
        join_margin_ms: int = DEFAULT_JOIN_MARGIN_MS,
    ) -> AsyncIterator[MemoryObjectReceiveStream[AnalyzedReplay]]:
        """Analyze a user's ``limit`` newest replays (default: the last 90 days).

        The user's Mixpanel events are joined to each replay (one export call for all of
        them; ``mixpanel_events=False`` skips it), see :meth:`analyze`.
        """
        found = self.discover(
            distinct_id=distinct_id, from_date=from_date, to_date=to_date, limit=limit
        )
        stage = self.analyze(
            found,
            concurrency=concurrency,
            options=options,
            signals=signals,
            mixpanel_events=mixpanel_events,
            join_margin_ms=join_margin_ms,
        )
        async with stage as replays:
            yield replays
