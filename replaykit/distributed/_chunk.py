"""The engine-neutral unit of work: one chunk of inputs → analyzed → Parquet parts → stats.

:func:`run_chunk` is a plain top-level function of one picklable :class:`ChunkTask`, so a
process pool, a Ray task or a test can run it alike. A task carries no credential and no
signed URL: a Mixpanel chunk rebuilds its config from the worker's own environment or
config file (:meth:`MixpanelSource.config`) and signs its replays itself, when it runs, so
a chunk that waited in a queue never holds an expired signature.

Output: each frame's rows go to ``<out>/<frame>/day=YYYY-MM-DD/part-<key>-NNN.parquet``,
the layout :meth:`~replaykit.ReplayBundle.scan` reads. ``key`` is derived from the chunk's
inputs, every file is written to a temporary name in its directory and renamed into place,
and a chunk first removes any part a previous attempt of the same key left behind: running
a chunk twice leaves exactly one copy of its rows.

Per worker process there is one event loop and, per Mixpanel source, one
:class:`~replaykit.MixpanelClient` (one connection pool), kept across chunks.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import time
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import httpx
import msgspec
import polars as pl

from .._api import SignalsArg, analyze_recording
from .._errors import RecordingFormatError, ReplayFailure, ReplaykitError
from .._mixpanel_client import MixpanelClient
from ..analysis._options import AnalyzerOptions
from ..analysis._replay import AnalyzedReplay, failed_replay
from ..analysis._signal_config import SignalConfig
from ..bundle._frames import FrameBuffers
from ..bundle._schema import STORED_FRAMES
from ..rrweb._decode import DEFAULT_MAX_INPUT_BYTES
from ..sources._local import Recording
from ..sources.mixpanel._client import ClientLimits
from ..sources.mixpanel._config import MixpanelConfig, Timeouts
from ..sources.mixpanel._discover import ReplayDescriptor

__all__ = [
    "ChunkOptions",
    "ChunkStats",
    "ChunkTask",
    "FailedReplay",
    "LocalFiles",
    "MixpanelSource",
    "chunk_key",
    "peak_rss",
    "run_chunk",
    "write_failed_chunk",
]

T = TypeVar("T")

DEFAULT_CHUNK_ROWS: Final = 50_000
"""Rows (all frames) a chunk buffers before it writes a part: bounds a worker's memory when
a chunk holds large replays (the bundle sink's batch size)."""


# --- what a task carries --------------------------------------------------------------------


class LocalFiles(msgspec.Struct, frozen=True, tag="local"):
    """Source description of recordings on a file system every worker can read."""


class MixpanelSource(msgspec.Struct, frozen=True, kw_only=True, tag="mixpanel"):
    """Where the workers find Mixpanel, without any credential.

    Everything here travels to the workers; the credentials do not. Each worker builds its
    :class:`~replaykit.MixpanelConfig` with :meth:`config`: these fields, then its own
    ``MP_*`` variables, then its config file (``config_file``, ``$REPLAYKIT_MIXPANEL_CONFIG``
    or ``~/.config/replaykit/mixpanel.toml``). ``retention_days`` skips the per-chunk
    retention lookup (one Insights query per chunk otherwise), which large runs want.
    """

    project_id: int | None = None
    region: str | None = None
    base_url: str | None = None
    workspace_id: int | None = None
    replay_env: str | None = None
    timeouts: Timeouts | None = None
    config_file: str | None = None
    retention_days: int | None = None
    account: str | None = None
    """A ``~/.mp`` account name (``--account``): a name, never its credentials."""

    @classmethod
    def from_config(
        cls, config: MixpanelConfig, *, retention_days: int | None = None
    ) -> MixpanelSource:
        """The non-secret part of ``config`` (the workers supply the credentials)."""
        return cls(
            project_id=config.project_id,
            region=config.region,
            base_url=config.base_url,
            workspace_id=config.workspace_id,
            replay_env=config.replay_env,
            timeouts=config.timeouts,
            retention_days=retention_days,
        )

    def config(self) -> MixpanelConfig:
        """This worker's config: these fields plus credentials from its env or file."""
        return MixpanelConfig.from_env(
            config_file=self.config_file,
            account=self.account,
            project_id=self.project_id,
            region=self.region,
            base_url=self.base_url,
            workspace_id=self.workspace_id,
            replay_env=self.replay_env,
            timeouts=self.timeouts,
        )


SourceSpec = LocalFiles | MixpanelSource
ChunkInput = Recording | ReplayDescriptor | str


class ChunkOptions(msgspec.Struct, frozen=True, kw_only=True):
    """Run-wide analysis options every chunk applies (picklable; no secrets)."""

    signals: SignalConfig | str | None = "replaykit"
    options: AnalyzerOptions | None = None
    format: str = "auto"
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    fetch_concurrency: int = 4
    events: bool = False
    """Also fill the ``events`` frame (a row per rrweb event, taken in the analysis pass;
    local and Mixpanel replays alike)."""
    batch_rows: int = DEFAULT_CHUNK_ROWS
    mixpanel_events: bool = True
    """Mixpanel replays: join each user's Mixpanel events (``distinct_id`` and the
    ``mixpanel`` frame). One user lookup per chunk's ids and one export call per user and
    chunk, within the client's Query API limits."""


class ChunkTask(msgspec.Struct, frozen=True, kw_only=True):
    """One chunk of work: which inputs, from where, into which dataset, how.

    ``inputs`` are :class:`~replaykit.Recording` s for :class:`LocalFiles`, replay ids or
    :class:`~replaykit.ReplayDescriptor` s for :class:`MixpanelSource`. ``key`` names the
    chunk's part files (see :func:`chunk_key`).
    """

    chunk: int
    key: str
    source: SourceSpec
    inputs: tuple[ChunkInput, ...]
    out: str
    options: ChunkOptions = ChunkOptions()


class FailedReplay(msgspec.Struct, frozen=True, kw_only=True):
    """A replay that could not be analyzed: where it came from and why.

    ``skipped`` marks a file a directory scan found that is not a recording (left out of the
    dataset, as :class:`~replaykit.BundleBuilder` does); other failures are ``sessions``
    rows with ``failed`` set.
    """

    replay_id: str
    source: str
    error: str
    message: str
    exit_code: int
    skipped: bool = False


class ChunkStats(msgspec.Struct, frozen=True, kw_only=True):
    """What one chunk did, sent back to the driver (small: no rows, no secrets).

    ``replays`` counts the sessions it wrote (failed ones included, skipped ones not);
    ``bytes_in`` the recording bytes read (file sizes, or HTTP bytes received from
    Mixpanel); ``bytes_out`` the Parquet bytes written; ``rows`` the rows per frame;
    ``worker`` is ``host:pid`` and ``peak_rss`` that process's peak RSS so far (bytes);
    ``cpu_seconds`` the CPU time the worker process spent on the chunk.
    """

    chunk: int
    key: str
    inputs: int
    replays: int
    failures: list[FailedReplay] = []
    bytes_in: int = 0
    bytes_out: int = 0
    rows: dict[str, int] = {}
    files: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    worker: str = ""
    peak_rss: int = 0


def chunk_key(source: SourceSpec, inputs: Sequence[ChunkInput]) -> str:
    """A name for a chunk's parts derived from what it holds: the same inputs from the same
    source always get the same key, so a retried chunk overwrites its own parts."""
    digest = hashlib.sha256()
    if isinstance(source, MixpanelSource):
        digest.update(f"mixpanel\0{source.base_url}\0{source.project_id}\0".encode())
    else:
        digest.update(b"local\0")
    for item in inputs:
        name = item.path if isinstance(item, Recording) else _replay_id(item)
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:20]


def _replay_id(item: ChunkInput) -> str:
    return item if isinstance(item, str) else item.replay_id


# --- per-process state ----------------------------------------------------------------------


class _ByteCounter(httpx.AsyncBaseTransport):
    """An httpx transport that counts response body bytes (the run's ``bytes_in``)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bytes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        inner_stream = response.stream
        assert isinstance(inner_stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(inner_stream, self)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _CountedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, counter: _ByteCounter) -> None:
        self.inner = inner
        self.counter = counter

    async def __aiter__(self) -> Any:
        async for part in self.inner:
            self.counter.bytes += len(part)
            yield part

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Worker:
    """One event loop and one Mixpanel client per source, for the life of the process."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: dict[tuple[MixpanelSource, int], tuple[MixpanelClient, _ByteCounter]] = {}

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
            self.clients.clear()  # clients belong to the loop they were made on
        return self.loop.run_until_complete(coro)

    def client(
        self, source: MixpanelSource, fetch_concurrency: int
    ) -> tuple[MixpanelClient, _ByteCounter]:
        slot = (source, fetch_concurrency)
        found = self.clients.get(slot)
        if found is None:
            limits = ClientLimits(replay_concurrency=fetch_concurrency)
            size = limits.pool_size
            # The client sizes its pool only for its own transport: give ours the same bound.
            inner = httpx.AsyncHTTPTransport(
                limits=httpx.Limits(
                    max_connections=size, max_keepalive_connections=size, keepalive_expiry=30
                )
            )
            counter = _ByteCounter(inner)
            found = (MixpanelClient(source.config(), transport=counter, limits=limits), counter)
            self.clients[slot] = found
        return found


_WORKER = _Worker()


def peak_rss() -> int:
    """This process's peak resident set size in bytes (Linux ``VmHWM``; else ``ru_maxrss``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):  # pragma: no cover - platforms without resource
        return 0
    return int(maxrss) if os.uname().sysname == "Darwin" else int(maxrss) * 1024


# --- writing parts ---------------------------------------------------------------------------


class _Parts:
    """The chunk's Parquet parts: buffered rows, flushed atomically under the chunk's key."""

    def __init__(self, out: Path, key: str, batch_rows: int) -> None:
        self.out = out
        self.key = key
        self.batch_rows = batch_rows
        self.buffers = FrameBuffers()
        self.flushed = 0
        self.replays = 0
        self.bytes = 0
        self.files = 0
        self.rows: dict[str, int] = {}

    def clear_stale(self) -> None:
        """Remove parts an earlier attempt of this chunk wrote (a crash mid-chunk)."""
        pattern = f"part-{self.key}-*.parquet"
        for frame in STORED_FRAMES:
            frame_dir = self.out / frame
            if frame_dir.is_dir():
                for stale in frame_dir.glob(f"day=*/{pattern}"):
                    stale.unlink(missing_ok=True)

    def add(self, replay: AnalyzedReplay) -> None:
        self.buffers.add(replay)
        self.replays += 1
        if self.buffers.rows >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if not self.buffers.rows:
            return
        frames = self.buffers.take()
        index = self.flushed
        self.flushed += 1
        for name, df in frames.items():
            if df.height:
                # Rows of one replay are contiguous; ordering by id makes a part's content
                # independent of the order in which concurrent fetches completed.
                self._write(name, df.sort("replay_id", maintain_order=True), index)

    def _write(self, frame: str, df: pl.DataFrame, index: int) -> None:
        self.rows[frame] = self.rows.get(frame, 0) + df.height
        for (day,), part in df.partition_by("day", as_dict=True, include_key=False).items():
            directory = self.out / frame / f"day={day}"
            directory.mkdir(parents=True, exist_ok=True)
            final = directory / f"part-{self.key}-{index:03d}.parquet"
            # Same directory, so the rename is atomic; a reader (or a crash) never sees a
            # half-written part, and the ".tmp" name is outside the dataset's glob.
            temp = directory / f".{final.name}.{os.getpid()}.tmp"
            try:
                part.write_parquet(temp)
                os.replace(temp, final)
            finally:
                temp.unlink(missing_ok=True)
            self.bytes += final.stat().st_size
            self.files += 1


# --- analysis --------------------------------------------------------------------------------


def _failure(replay_id: str, source: str, exc: ReplaykitError, skipped: bool) -> AnalyzedReplay:
    return failed_replay(replay_id, source, ReplayFailure.of(exc, skipped=skipped))


def _analyzer_options(opts: ChunkOptions) -> AnalyzerOptions | None:
    # `events=True`: the analysis keeps a row per event in its one pass (no second read).
    if not opts.events:
        return opts.options
    return msgspec.structs.replace(opts.options or AnalyzerOptions(), event_rows=True)


async def _local_chunk(task: ChunkTask, parts: _Parts, failures: list[FailedReplay]) -> int:
    opts = task.options
    signals: SignalsArg = opts.signals if opts.signals is not None else False
    size = 0
    for rec in task.inputs:
        assert isinstance(rec, Recording)
        size += rec.size
        try:
            replay = await analyze_recording(
                rec,
                options=_analyzer_options(opts),
                signals=signals,
                format=opts.format,
                max_input_bytes=opts.max_input_bytes,
            )
        except ReplaykitError as exc:
            # The rule of `replaykit.analyze(on_error="record")`: a file a directory scan
            # found that is not a recording at all is skipped, anything else is a failure.
            skipped = not rec.explicit and isinstance(exc, RecordingFormatError)
            replay = _failure(rec.replay_id, rec.path, exc, skipped)
        _keep(replay, parts, failures)
    return size


async def _mixpanel_chunk(
    task: ChunkTask, source: MixpanelSource, parts: _Parts, failures: list[FailedReplay]
) -> int:
    opts = task.options
    client, counter = _WORKER.client(source, opts.fetch_concurrency)
    before = counter.bytes
    # Signing happens here, inside `analyze`, as the chunk runs: one bulk call per batch.
    replay_inputs = [item for item in task.inputs if not isinstance(item, Recording)]
    stage = client.analyze(
        replay_inputs,
        concurrency=opts.fetch_concurrency,
        options=_analyzer_options(opts),
        retention_days=source.retention_days,
        signals=opts.signals,
        mixpanel_events=opts.mixpanel_events,
    )
    async with stage as replays:
        async for replay in replays:
            _keep(replay, parts, failures)
    return counter.bytes - before


def _keep(replay: AnalyzedReplay, parts: _Parts, failures: list[FailedReplay]) -> None:
    failure = replay.failure
    if failure is not None:
        failures.append(
            FailedReplay(
                replay_id=replay.replay_id,
                source=replay.source,
                error=failure.error,
                message=failure.message,
                exit_code=failure.exit_code,
                skipped=failure.skipped,
            )
        )
        if failure.skipped:
            return
    parts.add(replay)


def run_chunk(task: ChunkTask) -> ChunkStats:
    """Analyze one chunk and write its Parquet parts; return its :class:`ChunkStats`.

    Idempotent: parts a previous attempt of the same chunk wrote are replaced, never added
    to. Replay-level failures are recorded (in the stats and as failed ``sessions`` rows);
    exceptions are left to the engine: transient ones are retried, fatal ones (credentials,
    permissions) end the run.
    """
    started = time.perf_counter()
    cpu = time.process_time()
    parts = _Parts(Path(task.out), task.key, task.options.batch_rows)
    parts.clear_stale()
    failures: list[FailedReplay] = []
    source = task.source
    if isinstance(source, MixpanelSource):
        bytes_in = _WORKER.run(_mixpanel_chunk(task, source, parts, failures))
    else:
        bytes_in = _WORKER.run(_local_chunk(task, parts, failures))
    parts.flush()
    return ChunkStats(
        chunk=task.chunk,
        key=task.key,
        inputs=len(task.inputs),
        replays=parts.replays,
        failures=failures,
        bytes_in=bytes_in,
        bytes_out=parts.bytes,
        rows=parts.rows,
        files=parts.files,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        peak_rss=peak_rss(),
    )


def write_failed_chunk(task: ChunkTask, error: str, message: str, exit_code: int) -> ChunkStats:
    """Record every input of a chunk that could not run as a failed session (driver side).

    Replaces whatever parts the chunk's attempts left, so the dataset still has exactly one
    row per replay.
    """
    parts = _Parts(Path(task.out), task.key, task.options.batch_rows)
    parts.clear_stale()
    failures: list[FailedReplay] = []
    for item in task.inputs:
        if isinstance(item, Recording):
            rid, where = item.replay_id, item.path
        else:
            rid = _replay_id(item)
            where = f"mixpanel:{rid}"
        replay = failed_replay(
            rid, where, ReplayFailure(error=error, message=message, exit_code=exit_code)
        )
        _keep(replay, parts, failures)
    parts.flush()
    return ChunkStats(
        chunk=task.chunk,
        key=task.key,
        inputs=len(task.inputs),
        replays=parts.replays,
        failures=failures,
        bytes_out=parts.bytes,
        rows=parts.rows,
        files=parts.files,
    )
