"""The driver: inputs → chunks → an engine → a bundle directory and a :class:`RunSummary`."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final, Literal, TextIO

import msgspec

from .. import _errors
from .._api import SignalsArg, _signal_choice
from .._errors import ReplaykitError, UsageError
from ..analysis._options import AnalyzerOptions
from ..bundle._bundle import write_manifest
from ..rrweb._decode import DEFAULT_MAX_INPUT_BYTES
from ..sources._local import LocalSource, Recording
from ..sources.mixpanel._config import MixpanelConfig
from ..sources.mixpanel._discover import ReplayDescriptor
from ._chunk import (
    DEFAULT_CHUNK_ROWS,
    ChunkInput,
    ChunkOptions,
    ChunkStats,
    ChunkTask,
    FailedReplay,
    LocalFiles,
    MixpanelSource,
    SourceSpec,
    chunk_key,
    peak_rss,
    run_chunk,
    write_failed_chunk,
)
from ._engine import FATAL, ChunkFn, EngineRun

__all__ = ["Engine", "InputGroup", "RunSummary", "analyze", "run_groups"]

Engine = Literal["local", "ray"]
PathLike = str | os.PathLike[str]
InputGroup = tuple[SourceSpec, Iterable[PathLike | Recording | ReplayDescriptor | str]]
"""Inputs of one source: paths/recordings for :class:`LocalFiles`, ids/descriptors for
:class:`MixpanelSource`."""

DEFAULT_CHUNK_SIZE: Final = 100
_PROGRESS_EVERY_S: Final = 2.0


class RunSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a distributed run did.

    ``replays`` are the sessions written (``failed`` of them could not be analyzed; their
    reasons are in ``failures``, with the ``skipped`` non-recordings); ``duplicates`` are
    inputs whose replay id came again (analyzed once). ``failed_chunks`` are chunks that
    could not run at all (their replays are failed sessions); ``retries`` counts chunk
    re-runs (``None`` when the engine does not tell: Ray). ``bytes_in`` are the recording
    bytes read (files, or HTTP bodies from Mixpanel), ``bytes_out`` the Parquet bytes
    written. ``peak_rss_driver`` and ``peak_rss_workers`` (the largest worker) are bytes;
    ``worker_cpu_seconds`` is the CPU time the workers spent on chunks, all together.
    """

    out: str
    engine: str
    workers: int
    chunks: int
    inputs: int
    replays: int
    failed: int
    skipped: int
    duplicates: int
    failed_chunks: int
    retries: int | None
    bytes_in: int
    bytes_out: int
    seconds: float
    peak_rss_driver: int
    peak_rss_workers: int
    worker_cpu_seconds: float = 0.0
    failures: list[FailedReplay] = []

    @property
    def succeeded(self) -> int:
        """Replays analyzed without failure."""
        return self.replays - self.failed

    @property
    def replays_per_s(self) -> float:
        """Sessions written per second of wall time."""
        return self.replays / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """The CLI exit code: 0, or the first failure's own code."""
        for failure in self.failures:
            if not failure.skipped:
                return failure.exit_code
        return 0


# --- planning --------------------------------------------------------------------------------


class _Plan:
    """Turns input groups into chunk tasks lazily, dropping repeated replay ids."""

    def __init__(
        self, groups: Sequence[InputGroup], out: Path, chunk_size: int, options: ChunkOptions
    ) -> None:
        self.groups = groups
        self.out = str(out)
        self.chunk_size = chunk_size
        self.options = options
        self.inputs = 0
        self.duplicates = 0
        self.chunks = 0
        self._seen: set[str] = set()

    def _items(self, source: SourceSpec, items: Iterable[object]) -> Iterator[ChunkInput]:
        for item in items:
            if isinstance(source, LocalFiles):
                if isinstance(item, Recording):
                    yield item
                elif isinstance(item, str | os.PathLike):
                    # Directories and globs expand here, lazily, one entry at a time.
                    yield from LocalSource(item).recordings()
                else:
                    raise UsageError(f"not a path or Recording: {item!r}")
            elif isinstance(item, str | ReplayDescriptor):
                yield item
            else:
                raise UsageError(f"not a Mixpanel replay id or ReplayDescriptor: {item!r}")

    def tasks(self) -> Iterator[ChunkTask]:
        for source, items in self.groups:
            batch: list[ChunkInput] = []
            for item in self._items(source, items):
                self.inputs += 1
                rid = item if isinstance(item, str) else item.replay_id
                if rid in self._seen:
                    self.duplicates += 1  # the bundle sink keeps the first one too
                    continue
                self._seen.add(rid)
                batch.append(item)
                if len(batch) >= self.chunk_size:
                    yield self._task(source, batch)
                    batch = []
            if batch:
                yield self._task(source, batch)

    def _task(self, source: SourceSpec, batch: list[ChunkInput]) -> ChunkTask:
        task = ChunkTask(
            chunk=self.chunks,
            key=chunk_key(source, batch),
            source=source,
            inputs=tuple(batch),
            out=self.out,
            options=self.options,
        )
        self.chunks += 1
        return task


# --- progress and results --------------------------------------------------------------------


class _Tally:
    """Collects chunk outcomes, prints progress and applies ``on_error``."""

    def __init__(self, plan: _Plan, on_error: str, stream: TextIO | None) -> None:
        self.plan = plan
        self.on_error = on_error
        self.stream = stream
        self.live = stream is not None and stream.isatty()
        self.started = time.perf_counter()
        self.last_print = 0.0
        self.shown = (-1, -1)
        self.done = 0
        self.replays = 0
        self.failed = 0
        self.skipped = 0
        self.failed_chunks = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.peak_worker = 0
        self.cpu = 0.0
        self.failures: list[FailedReplay] = []

    def __call__(self, task: ChunkTask, outcome: ChunkStats | BaseException) -> None:
        if isinstance(outcome, BaseException):
            if isinstance(outcome, FATAL) or self.on_error == "raise":
                raise outcome
            self.failed_chunks += 1
            exit_code = outcome.exit_code if isinstance(outcome, ReplaykitError) else 1
            text = str(outcome).splitlines()[0] if str(outcome) else type(outcome).__name__
            outcome = write_failed_chunk(task, type(outcome).__name__, text, exit_code)
        self._add(outcome)

    def _add(self, stats: ChunkStats) -> None:
        self.done += 1
        self.replays += stats.replays
        self.bytes_in += stats.bytes_in
        self.bytes_out += stats.bytes_out
        self.peak_worker = max(self.peak_worker, stats.peak_rss)
        self.cpu += stats.cpu_seconds
        for failure in stats.failures:
            self.failures.append(failure)
            if failure.skipped:
                self.skipped += 1
            else:
                self.failed += 1
                if self.on_error == "raise":
                    raise _rebuild(failure)
        self._progress()

    def _progress(self, final: bool = False) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        if not final and not self.live and now - self.last_print < _PROGRESS_EVERY_S:
            return
        if final and not self.live and self.shown == (self.done, self.replays):
            return  # the last line already said it
        self.last_print = now
        self.shown = (self.done, self.replays)
        elapsed = now - self.started
        rate = self.replays / elapsed if elapsed > 0 else 0.0
        of = f"/{self.plan.chunks}" if final or self.done == self.plan.chunks else ""
        line = (
            f"replaykit: chunks {self.done}{of}, {self.replays} replays "
            f"({self.failed} failed), {rate:.1f} replays/s, {elapsed:.1f} s"
        )
        if self.live:
            self.stream.write(f"\r\x1b[2K{line}" + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        self._progress(final=True)


def _rebuild(failure: FailedReplay) -> ReplaykitError:
    """The replay's error, as its own class when it is one of replaykit's."""
    cls = getattr(_errors, failure.error, None)
    if isinstance(cls, type) and issubclass(cls, ReplaykitError):
        message = failure.message.removeprefix(f"{failure.replay_id}: ")
        return cls(message, replay_id=failure.replay_id)
    return ReplaykitError(f"{failure.error}: {failure.message}", replay_id=failure.replay_id)


# --- the run ---------------------------------------------------------------------------------


def _prepare_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"output directory {out} exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{name} must be at least 1, got {value}")


def run_groups(
    groups: Sequence[InputGroup],
    *,
    out: PathLike,
    engine: Engine = "local",
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_in_flight: int | None = None,
    options: ChunkOptions | None = None,
    on_error: Literal["record", "raise"] = "record",
    max_retries: int = 3,
    progress: bool | TextIO = True,
    chunk_fn: ChunkFn | None = None,
) -> RunSummary:
    """:func:`analyze` over several sources at once (the CLI mixes paths and replay ids)."""
    if engine not in ("local", "ray"):
        raise UsageError(f"engine must be 'local' or 'ray', got {engine!r}")
    if on_error not in ("record", "raise"):
        raise UsageError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    for name, value in (
        ("chunk_size", chunk_size),
        ("workers", workers),
        ("max_in_flight", max_in_flight),
        ("fetch_concurrency", options.fetch_concurrency if options else None),
    ):
        _positive(name, value)
    if max_retries < 0:
        raise UsageError(f"max_retries must not be negative, got {max_retries}")
    if engine == "local":
        # The local workers inherit this environment: fail before any process starts when
        # it holds no Mixpanel credentials. (A Ray cluster's workers may have their own.)
        for source, _ in groups:
            if isinstance(source, MixpanelSource):
                source.config()
    directory = Path(out)
    _prepare_out(directory)
    stream = (sys.stderr if progress is True else None) if isinstance(progress, bool) else progress
    plan = _Plan(groups, directory, chunk_size, options or ChunkOptions())
    tally = _Tally(plan, on_error, stream)
    fn = chunk_fn if chunk_fn is not None else run_chunk
    started = time.perf_counter()
    info: EngineRun
    if engine == "ray":
        from ._ray import run_ray

        info = run_ray(
            plan.tasks(), fn, tally, max_in_flight=max_in_flight, max_retries=max_retries
        )
    else:
        from ._local import default_workers, run_local

        n = workers if workers is not None else default_workers()
        info = run_local(
            plan.tasks(),
            fn,
            tally,
            workers=n,
            max_in_flight=max_in_flight if max_in_flight is not None else n,
            max_retries=max_retries,
        )
    # Written last: a directory without it is an unfinished run that `scan` refuses.
    write_manifest(
        directory,
        {
            "replays": tally.replays,
            "duplicates": plan.duplicates,
            "skipped": tally.skipped,
            "failed": tally.failed,
            "chunks": plan.chunks,
        },
    )
    tally.finish()
    return RunSummary(
        out=str(directory),
        engine=engine,
        workers=info.workers,
        chunks=plan.chunks,
        inputs=plan.inputs,
        replays=tally.replays,
        failed=tally.failed,
        skipped=tally.skipped,
        duplicates=plan.duplicates,
        failed_chunks=tally.failed_chunks,
        retries=info.retries,
        bytes_in=tally.bytes_in,
        bytes_out=tally.bytes_out,
        seconds=time.perf_counter() - started,
        peak_rss_driver=peak_rss(),
        peak_rss_workers=tally.peak_worker,
        worker_cpu_seconds=tally.cpu,
        failures=tally.failures,
    )


def _source_spec(
    source: Literal["local", "mixpanel"] | LocalFiles | MixpanelSource | MixpanelConfig,
    retention_days: int | None,
) -> SourceSpec:
    if isinstance(source, LocalFiles):
        return source
    if isinstance(source, MixpanelSource):
        if retention_days is not None:
            return msgspec.structs.replace(source, retention_days=retention_days)
        return source
    if isinstance(source, MixpanelConfig):
        return MixpanelSource.from_config(source, retention_days=retention_days)
    if source == "local":
        return LocalFiles()
    if source == "mixpanel":
        return MixpanelSource(retention_days=retention_days)
    raise UsageError(f"source must be 'local', 'mixpanel' or a MixpanelSource, got {source!r}")


def analyze(
    inputs: PathLike | Iterable[PathLike | Recording | ReplayDescriptor],
    *,
    out: PathLike,
    source: Literal["local", "mixpanel"] | MixpanelSource | MixpanelConfig = "local",
    engine: Engine = "local",
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_in_flight: int | None = None,
    fetch_concurrency: int = 4,
    signals: SignalsArg = True,
    options: AnalyzerOptions | None = None,
    format: str = "auto",
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    events: bool = False,
    retention_days: int | None = None,
    batch_rows: int = DEFAULT_CHUNK_ROWS,
    mixpanel_events: bool = True,
    on_error: Literal["record", "raise"] = "record",
    max_retries: int = 3,
    progress: bool | TextIO = True,
    chunk_fn: ChunkFn | None = None,
) -> RunSummary:
    """Analyze many replays in parallel into a bundle directory; return a :class:`RunSummary`.

    ``inputs`` are paths (files, directories, globs) for ``source="local"``, or Mixpanel
    replay ids / :class:`~replaykit.ReplayDescriptor` s for ``source="mixpanel"`` (or a
    :class:`MixpanelSource` / :class:`~replaykit.MixpanelConfig`: only its non-secret
    fields travel; every worker takes the credentials from its own ``MP_*`` variables or
    config file). Repeated replay ids are analyzed once.

    Inputs are cut into chunks of ``chunk_size``; each chunk is analyzed by
    :func:`run_chunk` on a worker and written as its own Parquet parts of the
    hive-partitioned dataset in ``out`` (empty or absent), which
    :meth:`~replaykit.ReplayBundle.scan` reads once this returns (the manifest is written
    last). The dataset is the one :class:`~replaykit.BundleBuilder` writes for the same
    inputs, whatever the engine.

    - ``engine="local"``: ``workers`` processes (default: every CPU), one chunk each at a
      time (``max_in_flight`` caps how many run at once). ``engine="ray"``: one Ray task
      per chunk on the cluster ``ray.init()`` reaches (needs ``replaykit[ray]``), at most
      ``max_in_flight`` submitted at once (default: twice the cluster's CPUs);
      ``workers`` is not used.
    - A chunk whose worker dies, or that raises a transient error, is run again (at most
      ``max_retries`` more times); its parts are replaced, never duplicated.
    - ``fetch_concurrency``: Mixpanel replays each worker fetches at once. Pass
      ``retention_days`` (or descriptors) to skip the per-chunk retention lookup.
    - ``mixpanel_events`` (default on): Mixpanel replays get their user's Mixpanel events
      joined (``distinct_id`` in ``sessions``, rows in ``mixpanel``), as
      :meth:`~replaykit.MixpanelClient.analyze` with ``mixpanel_events=True`` does.
    - ``on_error="record"`` (default): a replay that fails is a failed session and listed
      in ``RunSummary.failures``; a chunk that cannot run at all makes its replays failed
      sessions. ``"raise"``: the first failure raises (the directory then has no manifest).
      Credential and permission errors always raise.
    - ``signals`` (default ``True``: replaykit's definitions), ``options``, ``format``,
      ``max_input_bytes`` and ``events`` are those of :func:`replaykit.analyze` and
      :class:`~replaykit.BundleBuilder`; they must be picklable.
    - ``progress``: a line on stderr every few seconds (``False``: quiet; or a stream).
    - ``chunk_fn``: the function run per chunk (default :func:`run_chunk`); a picklable
      wrapper can add instrumentation or faults (see ``replaykit.testing.InjectFaults``).
    """
    spec = _source_spec(source, retention_days)
    items: Iterable[PathLike | Recording | ReplayDescriptor]
    items = [inputs] if isinstance(inputs, str | os.PathLike) else inputs
    chunk_options = ChunkOptions(
        signals=_signal_choice(signals),
        options=options,
        format=format,
        max_input_bytes=max_input_bytes,
        fetch_concurrency=fetch_concurrency,
        events=events,
        batch_rows=batch_rows,
        mixpanel_events=mixpanel_events,
    )
    return run_groups(
        [(spec, items)],
        out=out,
        engine=engine,
        workers=workers,
        chunk_size=chunk_size,
        max_in_flight=max_in_flight,
        options=chunk_options,
        on_error=on_error,
        max_retries=max_retries,
        progress=progress,
        chunk_fn=chunk_fn,
    )
