"""The ``local`` engine: chunks on worker processes over every core of this machine.

Workers are fresh interpreters (``python -c``, importing only replaykit), each talking to
the driver over its own pair of pipes. Unlike ``multiprocessing``'s spawn they never
re-import the caller's ``__main__``, so a script needs no ``if __name__ == "__main__"``
guard, and nothing of the driver (threads, event loops, connection pools) is copied.

The driver hands a worker one chunk at a time and waits on every pipe at once, so it
always knows which chunk a dead worker was running (its pipe reports end-of-file): that
chunk alone is retried (up to ``max_retries`` times) on a fresh process, and the other
workers go on undisturbed. A chunk that raised a transient error is retried after a short
backoff; any other error is reported as final.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, Final

from ._chunk import ChunkStats, ChunkTask
from ._engine import ChunkFn, EngineRun, Report, WorkerCrashedError, is_retryable

__all__ = ["default_workers", "run_local", "worker_main"]

_BACKOFF_S: Final = 0.5
_BACKOFF_MAX_S: Final = 10.0
_STOP_GRACE_S: Final = 5.0
# The worker's whole program: the driver's import path (replaykit may be a checkout that is
# not installed), then the loop below on the two pipe descriptors it was given.
_BOOTSTRAP: Final = (
    "import sys; sys.path[:0] = {path!r}; "
    "from replaykit.distributed._local import worker_main; "
    "worker_main(int(sys.argv[1]), int(sys.argv[2]))"
)


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _worker_env() -> dict[str, str]:
    """The driver's environment (credentials included: workers read them from here), with
    Polars on one thread unless the caller chose: there is already a worker per core, and
    a thread pool per worker would only fight over the same cores."""
    env = dict(os.environ)
    env.setdefault("POLARS_MAX_THREADS", "1")
    return env


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (with its traceback as a note), else a stand-in."""
    text = "".join(traceback.format_exception(exc)).rstrip()
    try:
        exc.add_note(f"in the worker process:\n{text}")
        copy: BaseException = pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return copy


def worker_main(read_fd: int, write_fd: int) -> None:
    """A worker: run each (chunk function, task) received, send back its stats or error.

    Ends on a ``None`` message or when the driver's end of the pipe closes (the driver
    exited or was killed), so a worker never outlives its driver for long.
    """
    # Ctrl-C is the driver's to handle (it stops the workers); a worker ignores it so an
    # interrupt never turns into a spurious chunk error.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    while True:
        try:
            message = inbox.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        chunk_fn, task = message
        try:
            reply: tuple[str, Any] = ("ok", chunk_fn(task))
        except BaseException as exc:
            reply = ("error", _portable(exc))
        outbox.send(reply)


class _Job:
    __slots__ = ("attempts", "not_before", "task")

    def __init__(self, task: ChunkTask) -> None:
        self.task = task
        self.attempts = 0
        self.not_before = 0.0


class _Slot:
    """One worker process, its pipes and the job it is running."""

    def __init__(self) -> None:
        from_child, child_out = os.pipe()
        child_in, to_child = os.pipe()
        code = _BOOTSTRAP.format(path=[p for p in sys.path if p])
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code, str(child_in), str(child_out)],
                env=_worker_env(),
                pass_fds=(child_in, child_out),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stdout is the caller's data channel
            )
        finally:
            # Only the child holds its ends: its exit then reads as end-of-file here.
            os.close(child_in)
            os.close(child_out)
        self.conn = Connection(from_child, writable=False)
        self.out = Connection(to_child, readable=False)
        self.job: _Job | None = None

    def send(self, chunk_fn: ChunkFn, job: _Job) -> None:
        job.attempts += 1
        self.job = job
        self.out.send((chunk_fn, job.task))

    def exit_code(self) -> int | None:
        try:
            return self.process.wait(_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, *, now: bool) -> None:
        if self.process.poll() is None and not now and self.job is None:
            with contextlib.suppress(OSError):
                self.out.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(_STOP_GRACE_S)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.conn.close()
        self.out.close()


def run_local(
    tasks: Iterator[ChunkTask],
    chunk_fn: ChunkFn,
    report: Report,
    *,
    workers: int,
    max_in_flight: int,
    max_retries: int,
) -> EngineRun:
    """Run every task on ``min(workers, max_in_flight)`` processes; report each outcome."""
    size = max(1, min(workers, max_in_flight))
    slots: list[_Slot] = []
    retry: list[_Job] = []  # jobs waiting for their retry time
    retries = 0
    source_done = False
    failed = False

    def next_job(now: float) -> _Job | None:
        nonlocal source_done
        for i, job in enumerate(retry):
            if job.not_before <= now:
                return retry.pop(i)
        if source_done:
            return None
        task = next(tasks, None)
        if task is None:
            source_done = True
            return None
        return _Job(task)

    def again(job: _Job, delay: float) -> None:
        nonlocal retries
        retries += 1
        job.not_before = time.monotonic() + delay
        retry.append(job)

    try:
        while True:
            now = time.monotonic()
            # Fill idle workers (starting processes as needed, up to `size`).
            while True:
                idle = next((s for s in slots if s.job is None), None)
                if idle is None and len(slots) >= size:
                    break
                job = next_job(now)
                if job is None:
                    break
                if idle is None:
                    idle = _Slot()
                    slots.append(idle)
                idle.send(chunk_fn, job)
            busy = [s for s in slots if s.job is not None]
            if not busy:
                if not retry:
                    break
                time.sleep(max(0.0, min(j.not_before for j in retry) - time.monotonic()))
                continue
            timeout = None
            if retry:
                timeout = max(0.0, min(j.not_before for j in retry) - time.monotonic())
            ready = set(wait([s.conn for s in busy], timeout))
            for slot in busy:
                if slot.conn not in ready:
                    continue
                job = slot.job
                assert job is not None
                reply: tuple[str, Any] | None
                try:
                    reply = slot.conn.recv()
                except (EOFError, OSError):
                    reply = None
                if reply is None:
                    # The worker died mid-chunk: only this chunk is retried, on a new process.
                    code = slot.exit_code()
                    slot.job = None
                    slot.stop(now=True)
                    slots.remove(slot)
                    if job.attempts <= max_retries:
                        again(job, 0.0)
                    else:
                        report(
                            job.task,
                            WorkerCrashedError(
                                f"chunk {job.task.chunk}: worker process died (exit code "
                                f"{code}) on each of {job.attempts} attempts"
                            ),
                        )
                    continue
                slot.job = None
                kind, payload = reply
                if kind == "ok":
                    assert isinstance(payload, ChunkStats)
                    report(job.task, payload)
                elif is_retryable(payload) and job.attempts <= max_retries:
                    again(job, min(_BACKOFF_MAX_S, _BACKOFF_S * 2 ** (job.attempts - 1)))
                else:
                    report(job.task, payload)
    except BaseException:
        failed = True
        raise
    finally:
        for slot in slots:
            slot.stop(now=failed)
    return EngineRun(workers=size, retries=retries)
