"""Scale out: analyze many replays on every core, or on a Ray cluster, into one dataset.

    from replaykit import distributed

    summary = distributed.analyze("recordings/", out="bundle/")           # every core
    summary = distributed.analyze(ids, source="mixpanel", out="bundle/",  # a Ray cluster
                                  engine="ray", retention_days=30)
    bundle = replaykit.ReplayBundle.scan("bundle/")                        # lazily

The work is cut into chunks of inputs. One engine-neutral function, :func:`run_chunk`,
analyzes a chunk (signing and fetching Mixpanel replays itself, when it runs) and writes
its rows as Parquet parts of the hive-partitioned bundle dataset, atomically and under a
name derived from the chunk's inputs, so a retried chunk replaces its parts instead of
adding to them. The driver only plans chunks, hands them to an engine (``local``: worker
processes; ``ray``: Ray tasks), tallies the small :class:`ChunkStats` they return, and
writes the bundle manifest last. Credentials never travel with a chunk: workers read them
from their own environment or config file.

Ray is optional (``pip install "replaykit[ray]"``) and imported only for ``engine="ray"``.
"""

from ._chunk import (
    ChunkOptions,
    ChunkStats,
    ChunkTask,
    FailedReplay,
    LocalFiles,
    MixpanelSource,
    run_chunk,
)
from ._engine import RETRYABLE, WorkerCrashedError
from ._run import RunSummary, analyze, run_groups

__all__ = [
    "RETRYABLE",
    "ChunkOptions",
    "ChunkStats",
    "ChunkTask",
    "FailedReplay",
    "LocalFiles",
    "MixpanelSource",
    "RunSummary",
    "WorkerCrashedError",
    "analyze",
    "run_chunk",
    "run_groups",
]
