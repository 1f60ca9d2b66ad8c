"""Running async work from blocking code: one helper for the CLI and :mod:`replaykit.sync`.

Both drive the async library from a plain thread through an anyio blocking portal (an
event loop in a helper thread). :func:`call` is ``portal.call`` that Ctrl-C can
interrupt; :func:`iterate_gen` and :func:`iterate_stage` hand out the items of an async
generator or of a concurrent stage one portal hop each, and clean up however the caller's
loop ends.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import anyio
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream

__all__ = ["call", "iterate_gen", "iterate_stage"]

T = TypeVar("T")

_WAKE_S = 0.1


def call(portal: BlockingPortal, func: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``portal.call(func, *args)``, but Ctrl-C interrupts the wait within ``_WAKE_S``.

    The kernel hands SIGINT to any thread that does not block it (Polars starts such
    threads at import); Python then only flags it, and runs ``KeyboardInterrupt`` in the
    main thread when that thread next runs bytecode. ``portal.call`` waits on a lock
    with no timeout, so on a stalled download the main thread would never wake to see
    it. Waiting in short slices lets it. On the way out the task is cancelled and waited
    for, so whatever it was driving (an async generator, a stream) is idle again before
    the caller closes it.
    """
    finished = threading.Event()

    async def run() -> T:
        try:
            return await func(*args)
        finally:
            finished.set()

    future = portal.start_task_soon(run)
    try:
        while True:
            try:
                return future.result(timeout=_WAKE_S)
            except TimeoutError:
                if future.done():
                    raise  # the task's own TimeoutError
    except BaseException:
        future.cancel()  # a no-op once done
        while not finished.wait(_WAKE_S):
            pass
        raise


def iterate_stage(
    portal: BlockingPortal, stage: AbstractAsyncContextManager[MemoryObjectReceiveStream[T]]
) -> Iterator[T]:
    """Items of a concurrent stage, one portal hop each; leaving early cancels the stage."""
    with portal.wrap_async_context_manager(stage) as stream:
        while True:
            try:
                yield call(portal, stream.receive)
            except anyio.EndOfStream:
                return


def iterate_gen(
    portal: BlockingPortal,
    gen: AsyncGenerator[T, None],
    *,
    open: Callable[[], bool] = lambda: True,
) -> Iterator[T]:
    """Items of an async generator through the portal; closed however iteration ends
    (unless ``open()`` says the portal's owner is closed already)."""
    try:
        while True:
            try:
                yield call(portal, gen.__anext__)
            except StopAsyncIteration:
                return
    finally:
        if open():
            portal.call(gen.aclose)
