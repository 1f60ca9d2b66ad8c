"""The ``ray`` engine: chunks as Ray tasks on whatever cluster ``ray.init()`` reaches.

Imported only when ``engine="ray"`` is asked for, and Ray itself only inside
:func:`run_ray` (``importlib``), so ``import replaykit`` never imports Ray. Ray is untyped:
every call into it stays in this module.

Each chunk is one task (``num_cpus=1``) with ``max_retries`` for crashed workers and
``retry_exceptions`` for transient errors: Ray reschedules both, on any node. At most
``max_in_flight`` tasks are submitted and unfinished at once (``ray.wait``), so a run of
millions of replays never floods the cluster's scheduler or object store.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from ._chunk import ChunkStats, ChunkTask
from ._engine import RETRYABLE, ChunkFn, EngineRun, Report, WorkerCrashedError

__all__ = ["import_ray", "run_ray"]


def import_ray() -> Any:
    """The ``ray`` module, or a clear error naming the extra to install."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise ImportError(
            'engine="ray" needs Ray: pip install "replaykit[ray]" (Ray core only)'
        ) from exc


def ray_chunk(chunk_fn: ChunkFn, task: ChunkTask) -> ChunkStats:
    """The Ray task body: a top-level function, so workers import it by name."""
    return chunk_fn(task)


def _cause(ray: Any, exc: BaseException) -> BaseException:
    """The chunk's own exception behind Ray's wrapper (or a crash error)."""
    task_error = ray.exceptions.RayTaskError
    if isinstance(exc, task_error):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            return cause
    if isinstance(exc, ray.exceptions.RayError):
        return WorkerCrashedError(f"{type(exc).__name__}: {exc}")
    return exc


def run_ray(
    tasks: Iterator[ChunkTask],
    chunk_fn: ChunkFn,
    report: Report,
    *,
    max_in_flight: int | None,
    max_retries: int,
) -> EngineRun:
    """Run every task as a Ray task; report each outcome as it completes.

    Uses the cluster Ray is connected to, else ``ray.init()`` (``RAY_ADDRESS``, or a local
    instance, shut down again at the end).
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        ray.init()
        started = True
    pending: dict[Any, ChunkTask] = {}
    try:
        remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=list(RETRYABLE))(
            ray_chunk
        )
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        limit = max_in_flight if max_in_flight is not None else 2 * cpus
        # The chunk function goes to the object store once, not with every task.
        fn_ref = ray.put(chunk_fn)
        source_done = False
        while True:
            while not source_done and len(pending) < limit:
                task = next(tasks, None)
                if task is None:
                    source_done = True
                    break
                pending[remote.remote(fn_ref, task)] = task
            if not pending:
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                task = pending.pop(ref)
                try:
                    outcome: ChunkStats | BaseException = ray.get(ref)
                except Exception as exc:
                    outcome = _cause(ray, exc)
                report(task, outcome)
    finally:
        for ref in pending:
            # Already finished or gone: nothing to cancel.
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
    return EngineRun(workers=cpus, retries=None)
