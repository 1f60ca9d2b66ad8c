"""Aggregate benchmark: building bundles and querying them, in memory and from Parquet.

What it measures, all in ONE run (machines are noisy; compare the ratios printed by a run):

1. The shared corpus is analyzed once (signals on): the base replays.
2. **10,000 sessions in memory.** The base replays are copied with shifted ids and times
   (each copy a new ``AnalyzedReplay``, spread over 30 days) and streamed through
   ``replaykit.aggregate`` (the async sink, default batch size). Then every query runs once,
   collected: top clicks, rage clicks, long pauses, error sessions, elements, a pattern, a
   page funnel, an event funnel, a cohort comparison, per-URL baselines, signals over time
   and by page, and filtered subsets (``where``, ``head``, ``sample``). Printed: build time,
   each query's time, their total. **Target: total query time ≤ 1 s.**
3. **1,000,000 sessions on disk.** The base frames are replicated with Polars expressions
   (shifted ids, times, days) and written as a hive-partitioned bundle directory in a temp
   dir, batch by batch. A fresh interpreter (``--child-scan DIR``) then opens it with
   ``ReplayBundle.scan`` and computes the top targets (``top_clicks``, ``elements`` by
   frustration) and rage rates (per page: sessions with a rage click ÷ sessions), reporting
   wall time and its peak RSS (Linux ``VmHWM``). **Targets: ≤ 10 s and peak RSS ≤ 4 GB.**
   The dataset is deleted afterwards.
4. A targets block: each target, the measured value, the ratio to the target, PASS/MISS.

The corpus is read from ``$REPLAYKIT_SHARED/corpus``, else ``../shared/corpus`` relative to the
repository root; without it the script prints a note and exits 0.

Run from the repository root (a few minutes on a 2-core machine, most of it writing the
1,000,000-session dataset)::

    python benchmarks/bench_aggregate.py
    python benchmarks/bench_aggregate.py --large 200000 --json
    python benchmarks/bench_aggregate.py --large 0          # the in-memory part only
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import msgspec  # noqa: E402
import polars as pl  # noqa: E402

TARGET_QUERY_S = 1.0  # all queries over 10,000 sessions in memory
TARGET_SCAN_S = 10.0  # top targets + rage rates over 1,000,000 sessions in Parquet
TARGET_RSS_BYTES = 4 * 1024**3  # peak RSS of that scan

DAY_MS = 86_400_000
SPREAD_DAYS = 30
COPIES_PER_BATCH = 4_000  # copies of the base replays per written batch
# The base replays are moved to start one minute apart from this day, so copies spread over
# SPREAD_DAYS days (the corpus itself spans 1970 to 2026).
BASE_DAY_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def find_corpus() -> Path | None:
    """The shared corpus directory, or None when it is absent."""
    env = os.environ.get("REPLAYKIT_SHARED")
    shared = Path(env) if env else REPO_ROOT.parent / "shared"
    corpus = shared / "corpus"
    return corpus if corpus.is_dir() else None


def header(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 96 - len(title)))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _peak_rss_kib() -> int:
    """Peak RSS in KiB since exec (Linux ``VmHWM``; ``ru_maxrss`` elsewhere)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


# --- 1. the base replays --------------------------------------------------------------------


def base_replays(corpus: Path) -> list[Any]:
    import replaykit.sync

    paths = [
        p
        for sub in ("public", "recorded")
        for p in sorted((corpus / sub).glob("*.json"))
        if not p.name.endswith(".truth.json")
    ]
    replays = [
        r
        for r in replaykit.sync.analyze(paths, signals=True, on_error="record")
        if r.failure is None and r.start_timestamp is not None
    ]
    return [
        moved(r, r.replay_id, BASE_DAY_MS + i * 60_000 - r.start_timestamp)
        for i, r in enumerate(replays)
    ]


def shifted(replay: Any, copy: int) -> Any:
    """A copy of ``replay`` with a new id, moved to day ``copy % SPREAD_DAYS`` of the spread."""
    delta = (copy % SPREAD_DAYS) * DAY_MS + (copy // SPREAD_DAYS) * 1_000
    return moved(replay, f"{replay.replay_id}~{copy:07d}", delta)


def moved(replay: Any, rid: str, delta: int) -> Any:
    """``replay`` under id ``rid`` with every epoch time moved by ``delta`` ms."""
    replace = msgspec.structs.replace
    return replace(
        replay,
        replay_id=rid,
        actions=[replace(a, replay_id=rid, timestamp=a.timestamp + delta) for a in replay.actions],
        signals=[
            replace(
                s,
                replay_id=rid,
                timestamp=s.timestamp + delta,
                end_timestamp=None if s.end_timestamp is None else s.end_timestamp + delta,
            )
            for s in replay.signals
        ],
        start_timestamp=replay.start_timestamp + delta,
        end_timestamp=replay.end_timestamp + delta,
    )


# --- 2. 10,000 sessions in memory -------------------------------------------------------------


def queries(bundle: Any) -> list[tuple[str, Callable[[], Any]]]:
    first_day = bundle.sessions.select(pl.col("day").min()).collect().item()
    half = bundle.filter(pl.col("replay_id").hash(7) % 2 == 0)
    rest = bundle.filter(pl.col("replay_id").hash(7) % 2 == 1)
    return [
        ("top_clicks(10)", lambda: bundle.top_clicks(10).collect()),
        ("rage_clicks(3, 1000)", lambda: bundle.rage_clicks().collect()),
        ("long_pauses(10 s)", lambda: bundle.long_pauses().collect()),
        ("error_sessions()", lambda: bundle.error_sessions().collect()),
        ("elements", lambda: bundle.elements.collect()),
        (
            "find_pattern(click, navigation ≤ 5 s)",
            lambda: bundle.find_pattern(["click", "navigation"], within_ms=5000).collect(),
        ),
        (
            "funnel(pages: products, cart, checkout)",
            lambda: bundle.funnel(["/shop/products", "/shop/cart", "/shop/checkout"]).collect(),
        ),
        (
            "funnel(events: click, rage_click, navigation)",
            lambda: bundle.funnel(["click", "rage_click", "navigation"], by="event").collect(),
        ),
        ("compare(half, other half)", lambda: half.compare(rest).collect()),
        ("url_baselines(scroll_reversal)", lambda: bundle.url_baselines().collect()),
        ("signals_over_time(1 day)", lambda: bundle.signals_over_time().collect()),
        ("signals_by_page()", lambda: bundle.signals_by_page().collect()),
        (
            "where(url, duration, day).top_clicks",
            lambda: (
                bundle.where(contains_url="/shop", min_duration_ms=10_000, day_from=first_day)
                .top_clicks(5)
                .collect()
            ),
        ),
        ("head(100).actions", lambda: bundle.head(100).actions.collect()),
        ("sample(100).signals", lambda: bundle.sample(100, seed=1).signals.collect()),
        ("summary()", lambda: bundle.summary()),
    ]


def bench_memory(base: list[Any], sessions: int) -> dict[str, Any]:
    import anyio

    import replaykit

    header(f"2. {sessions:,} sessions in memory: build with aggregate(), then every query")
    copies = -(-sessions // len(base))
    t_copy, replays = timed(lambda: [shifted(r, k) for k in range(copies) for r in base][:sessions])
    n_actions = sum(len(r.actions) for r in replays)
    n_signals = sum(len(r.signals) for r in replays)
    print(
        f"synthetic replays: {len(replays):,} ({n_actions:,} actions, {n_signals:,} signals), "
        f"copied in {t_copy:.2f} s (not counted)"
    )

    async def stream() -> AsyncIterator[Any]:
        for r in replays:
            yield r

    async def build() -> Any:
        return await replaykit.aggregate(stream())

    t_build, bundle = timed(lambda: anyio.run(build))
    rate = len(replays) / t_build
    print(f"build (aggregate, in memory): {t_build:.2f} s  ({rate:,.0f} sessions/s)")
    replays.clear()  # the bundle holds columns now, not the Structs
    rows: list[tuple[str, float, int]] = []
    for name, run in queries(bundle):
        seconds, result = timed(run)
        height = result.height if isinstance(result, pl.DataFrame) else 1
        rows.append((name, seconds, height))
    width = max(len(n) for n, _, _ in rows)
    print(f"{'query'.ljust(width)}  {'ms':>8}  {'rows':>8}")
    for name, seconds, height in rows:
        print(f"{name.ljust(width)}  {seconds * 1000:8.1f}  {height:8,}")
    total = sum(s for _, s, _ in rows)
    print(f"{'TOTAL'.ljust(width)}  {total * 1000:8.1f}")
    return {
        "sessions": sessions,
        "actions": n_actions,
        "signals": n_signals,
        "build_s": t_build,
        "queries": {n: s for n, s, _ in rows},
        "query_total_s": total,
    }


# --- 3. 1,000,000 sessions on disk --------------------------------------------------------------


def _replicate(frame: pl.DataFrame, copies: pl.DataFrame, time_cols: list[str]) -> pl.DataFrame:
    """Every row of ``frame`` once per copy: new replay ids, times and days."""
    shift = (pl.col("copy") % SPREAD_DAYS) * DAY_MS + (pl.col("copy") // SPREAD_DAYS) * 1_000
    out = frame.join(copies, how="cross").with_columns(
        (pl.col("replay_id") + "~" + pl.col("copy").cast(pl.String).str.zfill(7)).alias(
            "replay_id"
        ),
        *((pl.col(c) + shift).alias(c) for c in time_cols),
        (pl.col("day").cast(pl.Int32) + pl.col("copy") % SPREAD_DAYS).cast(pl.Date).alias("day"),
    )
    return out.drop("copy")


def write_large(base_bundle: Any, sessions: int, directory: Path) -> tuple[float, dict[str, int]]:
    from replaykit.bundle._bundle import write_manifest, write_partitioned

    frames = {
        "sessions": (["start_timestamp", "end_timestamp"], base_bundle.sessions.collect()),
        "actions": (["timestamp"], base_bundle.actions.collect()),
        "signals": (["timestamp", "end_timestamp"], base_bundle.signals.collect()),
        "pages": (["start_timestamp", "end_timestamp"], base_bundle.pages.collect()),
    }
    n_base = frames["sessions"][1].height
    copies = -(-sessions // n_base)
    counts = dict.fromkeys(frames, 0)
    t0 = time.perf_counter()
    for batch, first in enumerate(range(0, copies, COPIES_PER_BATCH)):
        last = min(copies, first + COPIES_PER_BATCH)
        ids = pl.DataFrame({"copy": pl.int_range(first, last, eager=True).cast(pl.Int64)})
        for name, (time_cols, frame) in frames.items():
            df = _replicate(frame, ids, time_cols)
            if name == "sessions" and last == copies:
                df = df.head(sessions - first * n_base)
            counts[name] += df.height
            write_partitioned(df, directory / name, f"part-{batch:06d}")
            del df
    write_manifest(directory, {"replays": counts["sessions"], "duplicates": 0, "skipped": 0})
    return time.perf_counter() - t0, counts


def child_scan(directory: Path) -> None:
    """``--child-scan DIR``: open the bundle, compute top targets and rage rates, report."""
    from replaykit import ReplayBundle

    gc.collect()
    baseline = _peak_rss_kib()
    t0 = time.perf_counter()
    bundle = ReplayBundle.scan(directory)
    top = bundle.top_clicks(20).collect()
    elements = bundle.elements.sort(["frustration", "clicks"], descending=True).head(20).collect()
    rage = (
        bundle.pages.select("replay_id", "page")
        .unique()
        .join(
            bundle.signals.filter(pl.col("kind") == "rage_click")
            .select("replay_id", "page")
            .unique()
            .with_columns(pl.lit(True).alias("raged")),
            on=["replay_id", "page"],
            how="left",
            nulls_equal=True,
        )
        .group_by("page")
        .agg(pl.len().alias("sessions"), pl.col("raged").sum().alias("rage_sessions"))
        .with_columns((pl.col("rage_sessions") / pl.col("sessions")).alias("rage_rate"))
        .sort("rage_rate", descending=True)
        .collect()
    )
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline_kib": baseline,
                "peak_kib": _peak_rss_kib(),
                "top_clicks": top.height,
                "top_click": top.row(0, named=True)["clicks"] if top.height else 0,
                "elements": elements.height,
                "max_frustration": int(elements["frustration"].max() or 0),
                "rage_pages": rage.filter(pl.col("rage_sessions") > 0).height,
                "max_rage_rate": float(rage["rage_rate"].max() or 0),
            }
        )
    )


def bench_large(base: list[Any], sessions: int) -> dict[str, Any] | None:
    from replaykit import ReplayBundle

    header(f"3. {sessions:,} sessions as a Parquet dataset: scan for top targets and rage rates")
    base_bundle = ReplayBundle.from_replays(base)
    tmp = Path(tempfile.mkdtemp(prefix="bench_aggregate_"))
    try:
        out = tmp / "bundle"
        write_s, counts = write_large(base_bundle, sessions, out)
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
        files = sum(1 for _ in out.rglob("*.parquet"))
        print(
            f"written: {counts['sessions']:,} sessions, {counts['actions']:,} actions, "
            f"{counts['signals']:,} signals, {counts['pages']:,} visits; {files:,} files, "
            f"{size / 1e6:,.0f} MB, in {write_s:.1f} s (not counted)"
        )
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child-scan", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(f"scan child failed (exit {proc.returncode}): {tail}")
            return None
        rep = json.loads(proc.stdout.strip().splitlines()[-1])
        peak = rep["peak_kib"] * 1024
        print(
            f"scan + top_clicks(20) + elements by frustration + rage rate per page: "
            f"{rep['seconds']:.2f} s; peak RSS {peak / 1024**2:,.0f} MiB "
            f"(baseline after imports {rep['baseline_kib'] / 1024:,.0f} MiB)"
        )
        print(
            f"results: top click target {rep['top_click']:,} clicks; "
            f"{rep['elements']} elements, most frustrating {rep['max_frustration']:,}; "
            f"{rep['rage_pages']} pages with rage clicks, highest rate "
            f"{rep['max_rage_rate']:.3f}"
        )
        return {
            "sessions": counts["sessions"],
            "actions": counts["actions"],
            "signals": counts["signals"],
            "write_s": write_s,
            "bytes": size,
            "files": files,
            "scan_s": rep["seconds"],
            "peak_rss_bytes": peak,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- 4. targets ---------------------------------------------------------------------------------


def print_targets(memory: dict[str, Any], large: dict[str, Any] | None) -> list[dict[str, Any]]:
    header("4. targets")
    rows: list[dict[str, Any]] = [
        {
            "target": f"queries over {memory['sessions']:,} sessions ≤ {TARGET_QUERY_S:.0f} s",
            "value": f"{memory['query_total_s']:.2f} s",
            "ratio": memory["query_total_s"] / TARGET_QUERY_S,
        }
    ]
    if large is not None:
        rows.append(
            {
                "target": f"scan of {large['sessions']:,} sessions ≤ {TARGET_SCAN_S:.0f} s",
                "value": f"{large['scan_s']:.2f} s",
                "ratio": large["scan_s"] / TARGET_SCAN_S,
            }
        )
        rows.append(
            {
                "target": f"peak RSS of that scan ≤ {TARGET_RSS_BYTES / 1024**3:.0f} GB",
                "value": f"{large['peak_rss_bytes'] / 1024**3:.2f} GB",
                "ratio": large["peak_rss_bytes"] / TARGET_RSS_BYTES,
            }
        )
    width = max(len(r["target"]) for r in rows)
    for r in rows:
        r["status"] = verdict(r["ratio"] <= 1.0)
        print(f"{r['target'].ljust(width)}  {r['value']:>10}  ×{r['ratio']:.2f}  {r['status']}")
    if large is None:
        print("(the 1,000,000-session scan was not run: n/a)")
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    p.add_argument("--sessions", type=int, default=10_000, help="in-memory sessions (10,000)")
    p.add_argument(
        "--large", type=int, default=1_000_000, help="Parquet sessions (1,000,000; 0 skips)"
    )
    p.add_argument("--json", action="store_true", help="also print a JSON summary line")
    p.add_argument("--child-scan", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_scan is not None:
        child_scan(args.child_scan)
        return 0
    corpus = find_corpus()
    if corpus is None:
        print("bench_aggregate: shared corpus not found (set REPLAYKIT_SHARED); skipped")
        return 0
    t0 = time.perf_counter()
    header("1. base replays: the shared corpus, analyzed once with signals")
    t_base, base = timed(lambda: base_replays(corpus))
    print(
        f"{len(base)} replays, {sum(len(r.actions) for r in base):,} actions, "
        f"{sum(len(r.signals) for r in base):,} signals (analyzed in {t_base:.1f} s); "
        f"Python {sys.version.split()[0]}, Polars {pl.__version__}, {os.cpu_count()} CPUs, "
        f"{dt.date.today()}"
    )
    memory = bench_memory(base, args.sessions)
    large = bench_large(base, args.large) if args.large > 0 else None
    targets = print_targets(memory, large)
    print(f"\n(total benchmark wall time {time.perf_counter() - t0:.1f} s)")
    if args.json:
        print(json.dumps({"memory": memory, "large": large, "targets": targets}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
