"""A bundle on disk: the manifest and one hive-partitioned Parquet dataset per frame.

``bundle.json`` holds the format, version and run statistics; each frame is
``<frame>/day=YYYY-MM-DD/*.parquet``. Reading conforms every frame to its schema, so a
dataset written by an older version (or by a worker that saw no rows) still scans.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import polars as pl

from ._schema import SCHEMAS

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "Frame",
    "conform",
    "scan_frame",
    "write_manifest",
    "write_partitioned",
]

FORMAT: Final = "replaykit-bundle"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "bundle.json"

Frame = Literal["sessions", "actions", "signals", "pages", "events", "mixpanel", "elements"]
"""A frame name accepted by the exports."""

_HIVE_DAY: Final = {"day": pl.Date()}


def write_partitioned(df: pl.DataFrame, directory: Path, stem: str) -> None:
    """Write one DataFrame into a hive dataset under ``directory``, one file per day."""
    if df.height == 0:
        return
    for (day,), part in df.partition_by("day", as_dict=True, include_key=False).items():
        target = directory / f"day={day}"
        target.mkdir(parents=True, exist_ok=True)
        part.write_parquet(target / f"{stem}.parquet")


def write_manifest(directory: Path, stats: Mapping[str, int]) -> None:
    """Write ``bundle.json``: what the directory is, its version and the run statistics."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "stats": dict(stats),
        "schemas": {f: {k: str(v) for k, v in s.items()} for f, s in SCHEMAS.items()},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def conform(lf: pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    """Bring a scanned frame to the current schema: order, dtypes, missing columns.

    Datasets written by an older replaykit may lack newer columns (null here) or carry an
    Enum with fewer kinds (widened by the cast).
    """
    found = lf.collect_schema()
    exprs = []
    for name, dtype in schema.items():
        if name not in found:
            exprs.append(pl.lit(None, dtype).alias(name))
        elif found[name] != dtype:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.col(name))
    return lf.select(exprs)


def scan_frame(directory: Path, name: str) -> pl.LazyFrame:
    schema = SCHEMAS[name]
    frame_dir = directory / name
    if not frame_dir.is_dir() or next(frame_dir.glob("day=*/*.parquet"), None) is None:
        return pl.LazyFrame(schema=schema)
    lf = pl.scan_parquet(
        str(frame_dir / "**" / "*.parquet"),
        hive_partitioning=True,
        hive_schema=_HIVE_DAY,
        missing_columns="insert",
    )
    return conform(lf, schema)
