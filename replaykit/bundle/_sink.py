"""The aggregate stage: an async sink from analyzed replays to a :class:`ReplayBundle`.

    async with BundleBuilder(spill_dir="out/") as builder:
        async for replay in replaykit.analyze("recordings/", signals=True):
            await builder.add(replay)
    bundle = builder.bundle

or in one call: ``bundle = await aggregate(replaykit.analyze("recordings/", signals=True))``.

Memory: a replay's rows go into column lists (:class:`~._frames.FrameBuffers`); every
``batch_rows`` rows the lists become one Polars DataFrame per frame. Without a spill
directory the batches stay in memory (columnar, a small fraction of the Structs' size).
With ``spill_dir``, once more than ``spill_after_rows`` rows have been buffered in memory,
every batch is written to a hive-partitioned Parquet dataset there
(``<frame>/day=YYYY-MM-DD/part-NNNNNN.parquet``, the layout of
:meth:`ReplayBundle.write_parquet`) and dropped from memory; the finished bundle then
scans that directory lazily. Conversion and writing run in a worker thread, one batch at
a time, so the event loop keeps serving the stages upstream.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Final

import anyio
import anyio.lowlevel
import anyio.to_thread
import polars as pl

from ..analysis._joined import JoinedEvent as MixpanelEvent
from ..analysis._replay import AnalyzedReplay
from ..analysis._tape import Tape
from ..rrweb._decode import iter_event_chunks
from ..rrweb._model import Event
from ._bundle import ReplayBundle, write_manifest, write_partitioned
from ._frames import FrameBuffers
from ._schema import STORED_FRAMES

__all__ = ["DEFAULT_BATCH_ROWS", "BundleBuilder", "aggregate", "collect_bundle"]

DEFAULT_BATCH_ROWS: Final = 50_000
"""Rows (over all frames) per batch: large enough that per-batch overhead vanishes, small
enough that a batch's column lists stay a few tens of MB."""


class BundleBuilder:
    """Async sink that turns analyzed replays into a :class:`ReplayBundle`.

    Use it as ``async with BundleBuilder(...) as builder: await builder.add(replay)``;
    ``builder.bundle`` is available after the block (or from :meth:`finish`).

    - ``spill_dir``: where batches go once the run is large (see module doc). The directory
      must be empty or absent; after the run it is a complete bundle directory.
    - ``batch_rows``: rows (all frames together) per batch.
    - ``spill_after_rows``: rows kept in memory before spilling starts (0: spill every
      batch; ignored without ``spill_dir``).
    - ``events``: also fill the ``events`` frame, a row per rrweb event (opt-in: it is
      by far the largest frame). The rows come from the analysis pass when the replays
      were analyzed with ``AnalyzerOptions(event_rows=True)`` (as the CLI and
      :mod:`replaykit.distributed` do); otherwise a local recording is decoded again.

    A replay id seen twice is not added again; ``duplicates`` counts them. Replays a
    directory scan found that are not recordings (``failure.skipped``) are counted in
    ``skipped`` and left out; other failures become ``sessions`` rows with ``failed`` set.
    """

    def __init__(
        self,
        spill_dir: str | os.PathLike[str] | None = None,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        spill_after_rows: int = 0,
        events: bool = False,
    ) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.spill_dir = Path(spill_dir) if spill_dir is not None else None
        self.batch_rows = batch_rows
        self.spill_after_rows = spill_after_rows
        self.events = events
        self.duplicates = 0
        self.skipped = 0
        self.replays = 0
        self._buffers = FrameBuffers()
        self._memory: dict[str, list[pl.DataFrame]] = {f: [] for f in STORED_FRAMES}
        self._memory_rows = 0
        self._spilling = False
        self._batch = 0
        self._seen: set[str] = set()
        self._lock = anyio.Lock()
        self._bundle: ReplayBundle | None = None
        self._closed = False

    async def __aenter__(self) -> BundleBuilder:
        if self.spill_dir is not None:
            await anyio.to_thread.run_sync(_check_empty, self.spill_dir)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.finish()
        else:
            self._closed = True  # a failed run leaves its partial spill for inspection

    @property
    def bundle(self) -> ReplayBundle:
        """The finished bundle (after the ``async with`` block or :meth:`finish`)."""
        if self._bundle is None:
            raise RuntimeError("the bundle is not finished yet: leave the `async with` block")
        return self._bundle

    def _accept(self, replay: AnalyzedReplay) -> bool:
        if self._closed:
            raise RuntimeError("add() after the builder finished")
        if replay.failure is not None and replay.failure.skipped:
            self.skipped += 1
            return False
        if replay.replay_id in self._seen:
            self.duplicates += 1
            return False
        self._seen.add(replay.replay_id)
        return True

    def _add_now(
        self,
        replay: AnalyzedReplay,
        distinct_id: str | None,
        mixpanel_events: Iterable[MixpanelEvent] | None,
        events: Iterable[Event] | None,
        tape: Tape | None = None,
    ) -> FrameBuffers | None:
        """Buffer one replay; hand back the full buffers when a batch is complete."""
        raw: Iterable[Event] | None = events
        if raw is None:
            if not self.events:
                raw = ()
            elif self._rereads(replay):
                raw = _iter_events(replay)
            # else: the rows the analysis took (`AnalyzedReplay.event_rows`), or none
        self._buffers.add(
            replay,
            distinct_id=distinct_id,
            mixpanel_events=mixpanel_events,
            events=raw,
            tape=tape,
        )
        self.replays += 1
        if self._buffers.rows < self.batch_rows:
            return None
        full, self._buffers = self._buffers, FrameBuffers()
        return full

    def _rereads(self, replay: AnalyzedReplay) -> bool:
        # A local replay analyzed without `AnalyzerOptions(event_rows=True)`: its events
        # frame needs a second read of the file.
        return (
            self.events
            and replay.event_rows is None
            and replay.failure is None
            and os.path.isfile(replay.source)
        )

    async def add(
        self,
        replay: AnalyzedReplay,
        *,
        distinct_id: str | None = None,
        mixpanel_events: Iterable[MixpanelEvent] | None = None,
        events: Iterable[Event] | None = None,
        tape: Tape | None = None,
    ) -> None:
        """Add one analyzed replay (and the Mixpanel events joined to it, if any).

        ``distinct_id`` names the user (default: the replay's own, else the Mixpanel
        events' user); ``mixpanel_events`` default to the replay's joined events. ``events``
        passes the replay's decoded rrweb events for the ``events`` frame; with
        ``BundleBuilder(events=True)`` and no ``events``, the rows the analysis took
        (``AnalyzedReplay.event_rows``) are used, else a local ``replay.source`` is read
        again (in a worker thread, one chunk at a time). ``tape`` (the
        analyzer's, when you drive a :class:`~replaykit.ReplayAnalyzer` yourself) makes
        page visits and active time the signal detectors' own.
        """
        if not self._accept(replay):
            return
        async with self._lock:
            if events is None and self._rereads(replay):
                # Re-reading the recording blocks: do the whole buffering off the loop.
                full = await anyio.to_thread.run_sync(
                    self._add_now, replay, distinct_id, mixpanel_events, None, tape
                )
            else:
                full = self._add_now(replay, distinct_id, mixpanel_events, events, tape)
            if full is not None:
                await anyio.to_thread.run_sync(self._store, full)
            else:
                await anyio.lowlevel.checkpoint()

    def _store(self, buffers: FrameBuffers) -> None:
        """Columns → DataFrames → memory or the spill directory (runs in a worker thread)."""
        batch = self._batch
        self._batch += 1
        rows = buffers.rows
        frames = buffers.take()
        if (
            self.spill_dir is not None
            and not self._spilling
            and self._memory_rows + rows > self.spill_after_rows
        ):
            # The run got large: move what is in memory to disk and spill from now on.
            self._spilling = True
            for name, kept in self._memory.items():
                for i, df in enumerate(kept):
                    write_partitioned(df, self.spill_dir / name, f"part-m{i:06d}")
                kept.clear()
            self._memory_rows = 0
        if self._spilling:
            assert self.spill_dir is not None
            for name, df in frames.items():
                write_partitioned(df, self.spill_dir / name, f"part-{batch:06d}")
            return
        for name, df in frames.items():
            if df.height:
                self._memory[name].append(df)
        self._memory_rows += rows

    def _finish_now(self) -> ReplayBundle:
        if self._buffers.rows:
            full, self._buffers = self._buffers, FrameBuffers()
            self._store(full)
        self._closed = True
        stats = {
            "replays": self.replays,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
        }
        if self._spilling:
            assert self.spill_dir is not None
            write_manifest(self.spill_dir, stats)
            bundle = ReplayBundle.scan(self.spill_dir)
        else:
            bundle = ReplayBundle.from_frames(self._memory, stats=stats)
        self._memory = {f: [] for f in STORED_FRAMES}
        self._bundle = bundle
        return bundle

    async def finish(self) -> ReplayBundle:
        """Flush the last batch and build the bundle (idempotent)."""
        if self._bundle is not None:
            return self._bundle
        async with self._lock:
            if self._bundle is not None:
                return self._bundle
            return await anyio.to_thread.run_sync(self._finish_now)


def _check_empty(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"spill directory {path} exists and is not empty")


def _iter_events(replay: AnalyzedReplay) -> Iterator[Event]:
    # `events=True` for a replay analyzed without event rows: one chunk alive at a time.
    for chunk in iter_event_chunks(replay.source, replay_id=replay.replay_id):
        yield from chunk.events


def collect_bundle(
    replays: Iterable[AnalyzedReplay],
    *,
    spill_dir: str | os.PathLike[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    spill_after_rows: int = 0,
    events: bool = False,
) -> ReplayBundle:
    """Blocking twin of :func:`aggregate` for a plain iterable (used by the CLI)."""
    builder = BundleBuilder(
        spill_dir, batch_rows=batch_rows, spill_after_rows=spill_after_rows, events=events
    )
    if builder.spill_dir is not None:
        _check_empty(builder.spill_dir)
    for replay in replays:
        if builder._accept(replay):
            full = builder._add_now(replay, None, None, None)
            if full is not None:
                builder._store(full)
    return builder._finish_now()


async def aggregate(
    replays: AsyncIterable[AnalyzedReplay],
    *,
    spill_dir: str | os.PathLike[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    spill_after_rows: int = 0,
    events: bool = False,
) -> ReplayBundle:
    """Consume an async stream of analyzed replays into a :class:`ReplayBundle`.

    ``bundle = await aggregate(replaykit.analyze("recordings/", signals=True))``. The
    options are :class:`BundleBuilder`'s. The stream is closed when this returns or fails.
    """
    async with BundleBuilder(
        spill_dir, batch_rows=batch_rows, spill_after_rows=spill_after_rows, events=events
    ) as builder:
        try:
            async for replay in replays:
                await builder.add(replay)
        finally:
            aclose = getattr(replays, "aclose", None)
            if aclose is not None:
                await aclose()
    return builder.bundle
