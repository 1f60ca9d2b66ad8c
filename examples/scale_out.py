"""Scale out: analyze a folder on every core, the same on a Ray cluster, read it back.

    python examples/scale_out.py [RECORDINGS_DIR] [--ray]

Without arguments it analyzes ``examples/recordings`` with one worker process per core
into a temporary bundle directory, then reads the dataset back lazily with Polars. With
``--ray`` the chunks run as Ray tasks instead (``pip install "replaykit[ray]"``): on the
cluster named by ``RAY_ADDRESS`` (``ray start --head`` on one machine, ``ray start
--address=HEAD:6379`` on the others), else on a local Ray instance. On a cluster the
recordings' paths must be readable by every node (a shared file system); Mixpanel replays
need only the credentials in each node's environment (``MP_USERNAME``/``MP_SECRET``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import polars as pl

import replaykit
from replaykit import distributed

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    use_ray = "--ray" in argv
    folders = [a for a in argv if not a.startswith("--")] or [str(HERE / "recordings")]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bundle"
        # One call: chunks of 100 recordings, each analyzed on a worker and written as its
        # own Parquet parts; progress on stderr, a summary back.
        summary = distributed.analyze(
            folders,
            out=out,
            engine="ray" if use_ray else "local",
            chunk_size=100,
        )
        print(
            f"{summary.replays} replays ({summary.failed} failed) in {summary.seconds:.1f} s "
            f"on {summary.workers} {summary.engine} workers: {summary.replays_per_s:.0f}/s"
        )
        for failure in summary.failures:
            print(f"  {failure.source}: {failure.error}: {failure.message}")

        # The dataset: <frame>/day=YYYY-MM-DD/*.parquet. Through the bundle (lazily) ...
        bundle = replaykit.ReplayBundle.scan(out)
        print(bundle.top_clicks(5).collect())
        # ... or with plain Polars, reading only the columns and days a query needs.
        signals = pl.scan_parquet(out / "signals" / "**" / "*.parquet", hive_partitioning=True)
        per_day = signals.group_by("day", "kind").len().sort("day", "len", descending=True)
        print(per_day.collect())


if __name__ == "__main__":
    main(sys.argv[1:])
