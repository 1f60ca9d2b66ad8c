"""Fault injection around the chunk function, for tests and drills.

An :class:`InjectFaults` wraps :func:`~replaykit.distributed.run_chunk` (pass it as
``chunk_fn=`` to :func:`replaykit.distributed.analyze`, the production code's hook for
any chunk function). It lives in the installed package, not in the tests, because the
workers (spawned processes, Ray workers) must import it by name.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import msgspec

from .._errors import TransientError
from ..distributed._chunk import ChunkStats, ChunkTask, run_chunk

__all__ = ["InjectFaults"]


class InjectFaults(msgspec.Struct, frozen=True, kw_only=True):
    """A picklable chunk function that misbehaves on purpose, once per chunk.

    - ``crash``: chunk numbers whose first attempt kills its worker process
      (``os._exit(70)``, as an out-of-memory kill or a segfault would).
    - ``fail``: chunk numbers whose first attempt raises a
      :class:`~replaykit.TransientError` after writing its parts (a retry must replace them).
    - ``delay``: seconds to sleep before a chunk runs (every attempt).

    "First attempt" is remembered with a flag file per chunk in ``flag_dir`` (created
    atomically), so it holds across processes and machines sharing that directory.
    ``attempts`` files there count every attempt (one line each).
    """

    flag_dir: str
    crash: frozenset[int] = frozenset()
    fail: frozenset[int] = frozenset()
    delay: dict[int, float] = {}

    def _first(self, kind: str, chunk: int) -> bool:
        flag = Path(self.flag_dir) / f"{kind}-{chunk}"
        try:
            fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.close(fd)
        return True

    def __call__(self, task: ChunkTask) -> ChunkStats:
        with open(Path(self.flag_dir) / f"attempts-{task.chunk}", "a", encoding="ascii") as log:
            log.write(f"{os.getpid()}\n")
        pause = self.delay.get(task.chunk)
        if pause:
            time.sleep(pause)
        if task.chunk in self.crash and self._first("crash", task.chunk):
            os._exit(70)
        stats = run_chunk(task)
        if task.chunk in self.fail and self._first("fail", task.chunk):
            raise TransientError(f"injected transient failure in chunk {task.chunk}")
        return stats
