"""What the engines share: the chunk-function type, retry rules and the crash error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from .._errors import (
    AuthenticationError,
    ConfigError,
    ReplaykitError,
    SessionReplayAccessError,
    TransientError,
)
from ._chunk import ChunkStats, ChunkTask

__all__ = [
    "FATAL",
    "RETRYABLE",
    "ChunkFn",
    "EngineRun",
    "Report",
    "WorkerCrashedError",
    "is_retryable",
]

ChunkFn = Callable[[ChunkTask], ChunkStats]
"""The function an engine runs per chunk: :func:`~replaykit.distributed.run_chunk`, or a
picklable wrapper around it (importable by name in the workers)."""

RETRYABLE: Final[tuple[type[BaseException], ...]] = (TransientError, ConnectionError, TimeoutError)
"""Exceptions after which a chunk is run again: they may pass (network, rate limits)."""

FATAL: Final[tuple[type[BaseException], ...]] = (
    AuthenticationError,
    SessionReplayAccessError,
    ConfigError,
)
"""Exceptions that would fail every chunk alike: they end the run at once, in any mode."""


class WorkerCrashedError(ReplaykitError):
    """A worker process died while running a chunk, on every attempt the engine allowed."""


def is_retryable(exc: BaseException) -> bool:
    """True when a chunk that raised ``exc`` should be run again."""
    return isinstance(exc, RETRYABLE) and not isinstance(exc, FATAL)


class Report(Protocol):
    """Receives each chunk's final outcome: its stats, or the error that ended it."""

    def __call__(self, task: ChunkTask, outcome: ChunkStats | BaseException) -> None: ...


@dataclass
class EngineRun:
    """What an engine tells the driver about itself after a run."""

    workers: int
    retries: int | None  # None: the engine does not report its retries (Ray)
