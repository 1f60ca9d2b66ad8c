"""Concurrent stages as async context managers that hand out a bounded receive stream.

``async with open_stage(produce) as items: async for item in items: ...`` runs
``produce(send)`` in a task group that lives exactly as long as the ``async with``: leaving
the block (normally, by ``break``, by an error or by cancellation) cancels the producers,
which closes their HTTP responses. The stream buffers ``buffer`` items (0 by default), so
a slow consumer slows the producers down.

anyio wraps every task-group error in an ``ExceptionGroup``; a stage re-raises a group
holding a single error as that error, so callers can ``except ReplayNotFoundError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..._errors import ReplaykitError

__all__ = ["open_stage", "single_error"]

T = TypeVar("T")


def single_error(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The error to raise for ``group``: its only non-cancellation error, if there is one.

    Nested groups are flattened. When several concurrent tasks failed with replaykit
    errors (say, two workers both refused with 401), the first stands for them all; any
    other mix returns None, so the group itself propagates and hides nothing.
    """
    try:
        cancelled: type[BaseException] = anyio.get_cancelled_exc_class()
    except RuntimeError:  # no event loop (the CLI unwraps after the loop is gone)
        cancelled = asyncio.CancelledError
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        exc = pending.pop(0)  # in order: "the first" is the first that failed
        if isinstance(exc, BaseExceptionGroup):
            pending[:0] = exc.exceptions
        elif not isinstance(exc, cancelled):
            leaves.append(exc)
    if len(leaves) == 1 or (leaves and all(isinstance(e, ReplaykitError) for e in leaves)):
        return leaves[0]
    return None


async def _produce(
    produce: Callable[[MemoryObjectSendStream[T]], Awaitable[None]],
    send: MemoryObjectSendStream[T],
) -> None:
    # BrokenResourceError: the consumer left; the task group is being cancelled anyway.
    with suppress(anyio.BrokenResourceError):
        async with send:
            await produce(send)


@asynccontextmanager
async def open_stage(
    produce: Callable[[MemoryObjectSendStream[T]], Awaitable[None]],
    *,
    buffer: int = 0,
) -> AsyncIterator[MemoryObjectReceiveStream[T]]:
    """Run ``produce(send)`` concurrently; yield the receive end of a bounded stream."""
    send, receive = anyio.create_memory_object_stream[T](buffer)
    error: BaseException | None = None
    try:
        async with anyio.create_task_group() as tg, receive:
            tg.start_soon(_produce, produce, send)
            try:
                yield receive
            finally:
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        error = single_error(group)
        if error is None:
            raise
    finally:
        send.close()  # idempotent; covers a producer cancelled before it ever ran
    if error is not None:
        # Raised outside the handler so the group is not chained as its context.
        raise error
