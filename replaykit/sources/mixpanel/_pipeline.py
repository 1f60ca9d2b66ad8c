"""The many-replay pipeline: resolve → sign → fetch + work, joined by bounded streams.

::

    inputs ─▶ resolve ──(≤ sign_batch)──▶ sign ──(0)──▶ N workers ──(0)──▶ consumer
             (ids → descriptors,          (one bulk     (walk the CDN,
              one Insights query          call per      analyze or write)
              per 200 ids)                batch)

Every stream is bounded, so a slow consumer stops the workers, the workers stop the
signer and the signer stops discovery: nothing is fetched far ahead of its use (which also
keeps signatures fresh). A replay that fails yields an error record and the rest go on;
errors that doom every replay (credentials, permissions, configuration) end the run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, aclosing
from typing import Final, TypeVar

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..._errors import (
    AuthenticationError,
    ConfigError,
    MixpanelError,
    ReplayFailure,
    ReplaykitError,
    ReplayNotFoundError,
    SessionReplayAccessError,
)
from ._discover import ReplayDescriptor, discover
from ._http import Session
from ._join import EventJoin, owners
from ._sign import SignedReplay, sign_batch
from ._stage import open_stage

__all__ = [
    "FATAL",
    "ReplayInput",
    "failure_record",
    "pipeline_stage",
    "resign_for",
    "run_pipeline",
]

logger = logging.getLogger("replaykit.mixpanel")

R = TypeVar("R")
ReplayInput = str | ReplayDescriptor
Job = tuple[ReplayDescriptor, SignedReplay | ReplaykitError]

FATAL: Final = (AuthenticationError, SessionReplayAccessError, ConfigError)
"""Errors that would fail every replay alike: they end a run instead of one replay."""
_HYDRATE_BATCH: Final = 200


def failure_record(exc: ReplaykitError) -> ReplayFailure:
    """The error record of a replay that failed (class name, message, exit code)."""
    return ReplayFailure.of(exc)


def resign_for(session: Session, replay_id: str) -> Callable[[], Awaitable[SignedReplay]]:
    """A callable that signs one replay again (one bulk call holding one id)."""

    async def resign() -> SignedReplay:
        result = (await sign_batch(session, [replay_id]))[replay_id]
        if isinstance(result, MixpanelError):
            raise result
        return result

    return resign


async def _owners(session: Session, ids: list[str]) -> dict[str, str]:
    """Who recorded ``ids`` (for the events join); a failed lookup only costs the users."""
    try:
        return await owners(session, ids)
    except FATAL:
        raise
    except MixpanelError as exc:
        logger.warning("user lookup failed (%s); joining the tagged events instead", exc)
        return {}


async def _hydrate(session: Session, ids: list[str]) -> list[ReplayDescriptor]:
    """Descriptors for ``ids`` from one discovery query; unknown ones get a guessed retention."""
    found: dict[str, ReplayDescriptor] = {}
    try:
        gen = discover(session, replay_ids=ids, warn_missing_retention=False)
        async with aclosing(gen):
            async for d in gen:
                found[d.replay_id] = d
    except FATAL:
        raise
    except MixpanelError as exc:
        # The lookup only saves CDN probes: without it the fetch still works by trying each
        # standard retention suffix (and Insights has a tight budget), so degrade instead
        # of failing the run.
        logger.warning("retention lookup failed (%s); trying each retention instead", exc)
    return [found.get(rid) or ReplayDescriptor(replay_id=rid, retention_known=False) for rid in ids]


async def _resolve(
    session: Session,
    items: Iterable[ReplayInput] | AsyncIterable[ReplayInput],
    limit: int | None,
    retention_days: int | None,
    skip: Callable[[str], R | None] | None,
    targets: MemoryObjectSendStream[ReplayDescriptor],
    out: MemoryObjectSendStream[R],
    join: EventJoin | None = None,
) -> None:
    async with targets, out:
        pending: list[ReplayInput] = []
        taken = 0
        # One result per replay id: a repeated id is dropped, so no two workers ever walk
        # (or write the file of) the same replay at once.
        seen: set[str] = set()

        def first_time(item: ReplayInput) -> bool:
            rid = item if isinstance(item, str) else item.replay_id
            if rid in seen:
                return False
            seen.add(rid)
            return True

        async def flush() -> None:
            unknown = [x for x in pending if isinstance(x, str)]
            looked_up = (
                {d.replay_id: d for d in await _hydrate(session, unknown)} if unknown else {}
            )
            ready = [looked_up[x] if isinstance(x, str) else x for x in pending]
            pending.clear()
            if join is not None:
                need = [d.replay_id for d in ready if d.distinct_id is None]
                who = await _owners(session, need) if need else {}
                ready = [
                    msgspec.structs.replace(d, distinct_id=who[d.replay_id])
                    if d.replay_id in who
                    else d
                    for d in ready
                ]
                for d in ready:
                    join.plan(d)
            for d in ready:
                await targets.send(d)

        async def send(d: ReplayDescriptor) -> None:
            if join is not None and d.distinct_id is None:
                await queue(d)  # its user is looked up with the next batch
            else:
                if join is not None:
                    join.plan(d)
                await targets.send(d)

        async def queue(item: ReplayInput) -> None:
            pending.append(item)
            if len(pending) >= _HYDRATE_BATCH:
                await flush()

        async def take(item: ReplayInput) -> None:
            rid = item if isinstance(item, str) else item.replay_id
            done = skip(rid) if skip is not None else None
            if done is not None:
                await out.send(done)
            elif isinstance(item, ReplayDescriptor):
                await send(item)
            elif retention_days is not None:
                await send(ReplayDescriptor(replay_id=item, retention_days=retention_days))
            else:
                await queue(item)

        if isinstance(items, AsyncIterable):
            iterator = aiter(items)
            try:
                async for item in iterator:
                    if limit is not None and taken >= limit:
                        break
                    if first_time(item):
                        taken += 1
                        await take(item)
            finally:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
        else:
            for item in items:
                if limit is not None and taken >= limit:
                    break
                if first_time(item):
                    taken += 1
                    await take(item)
        if pending:
            await flush()


async def _sign(
    session: Session,
    targets: MemoryObjectReceiveStream[ReplayDescriptor],
    jobs: MemoryObjectSendStream[Job],
) -> None:
    async with targets, jobs:
        async for first in targets:
            batch = [first]
            idle = 0
            # Cut the batch when it is full or the resolver has had a few turns without
            # queueing more: no timer, so a steady input is signed in full batches.
            while len(batch) < session.limits.sign_batch and idle < 5:
                try:
                    batch.append(targets.receive_nowait())
                    idle = 0
                except anyio.WouldBlock:
                    idle += 1
                    await anyio.lowlevel.checkpoint()
                except anyio.EndOfStream:
                    break
            try:
                results: dict[str, SignedReplay | MixpanelError] = dict(
                    await sign_batch(session, [d.replay_id for d in batch])
                )
            except FATAL:
                raise
            except MixpanelError as exc:
                results = {d.replay_id: exc for d in batch}
            for d in batch:
                await jobs.send((d, results.get(d.replay_id) or _missing(d.replay_id)))


def _missing(replay_id: str) -> ReplayNotFoundError:
    return ReplayNotFoundError("the sign answer has no entry for this replay", replay_id=replay_id)


async def _worker(
    jobs: MemoryObjectReceiveStream[Job],
    out: MemoryObjectSendStream[R],
    work: Callable[[ReplayDescriptor, SignedReplay], Awaitable[R]],
    failed: Callable[[str, ReplaykitError], R],
) -> None:
    async with jobs, out:
        async for target, signed in jobs:
            if isinstance(signed, ReplaykitError):
                result = failed(target.replay_id, signed)
            else:
                try:
                    result = await work(target, signed)
                except FATAL:
                    raise
                except ReplaykitError as exc:  # the replay's own trouble, or its file's
                    logger.info("replay %s failed: %s", target.replay_id, exc.message)
                    result = failed(target.replay_id, exc)
            await out.send(result)


def pipeline_stage(
    session: Session,
    items: Iterable[ReplayInput] | AsyncIterable[ReplayInput],
    *,
    work: Callable[[ReplayDescriptor, SignedReplay], Awaitable[R]],
    failed: Callable[[str, ReplaykitError], R],
    concurrency: int,
    limit: int | None = None,
    retention_days: int | None = None,
    skip: Callable[[str], R | None] | None = None,
    join: EventJoin | None = None,
) -> AbstractAsyncContextManager[MemoryObjectReceiveStream[R]]:
    """:func:`run_pipeline` as a stage: ``async with`` it for a bounded stream of results;
    leaving the block cancels the work and closes its connections."""

    async def produce(send: MemoryObjectSendStream[R]) -> None:
        await run_pipeline(
            session,
            items,
            send,
            work=work,
            failed=failed,
            concurrency=concurrency,
            limit=limit,
            retention_days=retention_days,
            skip=skip,
            join=join,
        )

    return open_stage(produce)


async def run_pipeline(
    session: Session,
    items: Iterable[ReplayInput] | AsyncIterable[ReplayInput],
    out: MemoryObjectSendStream[R],
    *,
    work: Callable[[ReplayDescriptor, SignedReplay], Awaitable[R]],
    failed: Callable[[str, ReplaykitError], R],
    concurrency: int,
    limit: int | None = None,
    retention_days: int | None = None,
    skip: Callable[[str], R | None] | None = None,
    join: EventJoin | None = None,
) -> None:
    """Run the stages for ``items`` and send one result per replay on ``out``.

    A replay id given twice is fetched (and reported) once.

    ``work(descriptor, signed)`` produces a replay's result; an error of the replay turns
    into ``failed(replay_id, error)``. ``skip(replay_id)`` may answer for a replay without
    any request (e.g. a download that exists). Results arrive in completion order.
    With ``join`` (the events join), replays whose user is unknown are looked up in
    batches (:func:`~._join.owners`) before they are signed, and every replay is planned
    into the join so each user's events are exported once.
    """
    batch = session.limits.sign_batch
    target_send, target_recv = anyio.create_memory_object_stream[ReplayDescriptor](batch)
    job_send, job_recv = anyio.create_memory_object_stream[Job](0)
    async with anyio.create_task_group() as tg, job_recv, out:
        tg.start_soon(
            _resolve, session, items, limit, retention_days, skip, target_send, out.clone(), join
        )
        tg.start_soon(_sign, session, target_recv, job_send)
        for _ in range(concurrency):
            tg.start_soon(_worker, job_recv.clone(), out.clone(), work, failed)
