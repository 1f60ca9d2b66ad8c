"""Mixpanel fetch benchmark: the async client against the local fake, in one process.

What it measures, all in ONE run (compare the ratios a run prints, not absolute times):

1. Time to first action: one replay split into chunk files, every file after the first
   delayed by 0.2 s at the fake; ``fetch_chunks`` feeds a ``ReplayAnalyzer`` as chunks
   arrive. Latency = the moment the first action is released − the moment the fake began
   sending chunk 0 (both ``time.perf_counter()``). Median of N. Target ≤ 50 ms.
2. A ~30 MB replay (``recorded/dashboard_heavy.json`` repeated with shifted timestamps, in
   about 50 chunk files): a raw ``httpx`` download of the same files (same window of 8
   requests, bytes only), the client's fetch + decode (``fetch_chunks``), its fetch +
   analyze (``analyze``), and a local analysis of the same events from a file. Best of N.
   Target: fetch + analyze rate ≥ 80 % of the raw download rate.
3. 1,000 small replays streamed through ``analyze`` (concurrency 8): current RSS after
   100, 500 and 1,000 replays. Target: RSS after 1,000 ≤ RSS after 100 + 10 MB (flat).
4. The targets with PASS/MISS.

The fake serves from threads of this process, so it shares the GIL with the client: every
figure includes the server's own work. Run from the repository root::

    python benchmarks/bench_fetch.py              # about 20 s
    python benchmarks/bench_fetch.py --repeat 3 --replays 500 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # benchmark this checkout, installed or not
    sys.path.insert(0, str(REPO_ROOT))

import anyio  # noqa: E402
import httpx  # noqa: E402
import msgspec  # noqa: E402

from replaykit import (  # noqa: E402
    ClientLimits,
    MixpanelClient,
    MixpanelConfig,
    ReplayAnalyzer,
    analyze_recording,
)
from replaykit.testing import FakeMixpanel  # noqa: E402

TARGET_FIRST_ACTION_MS = 50.0
TARGET_RAW_SHARE = 0.80  # fetch+analyze rate ÷ raw download rate
TARGET_RSS_GROWTH_MB = 10.0  # RSS(1000 replays) − RSS(100 replays)
LATER_CHUNK_DELAY_S = 0.2
BIG_BYTES = 30_000_000
BIG_FILES = 50
WINDOW = 8  # requests in flight for one replay (the client's replay_window)
EXAMPLES = REPO_ROOT / "examples" / "recordings"


def find_corpus() -> Path | None:
    """The shared corpus directory, or None when it is absent."""
    env = os.environ.get("REPLAYKIT_SHARED")
    shared = Path(env) if env else REPO_ROOT.parent / "shared"
    corpus = shared / "corpus"
    return corpus if corpus.is_dir() else None


def header(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 96 - len(title)))


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; elsewhere the high-water mark)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def client_for(fake: FakeMixpanel, **limits: int) -> MixpanelClient:
    config = MixpanelConfig(
        project_id=fake.project_id,
        username=fake.username,
        secret=fake.secret,
        base_url=fake.base_url,
    )
    return MixpanelClient(config, limits=ClientLimits(**limits))


async def best_of(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``await fn()`` and the last result (a full GC before each run)."""
    best, result = math.inf, None
    for _ in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        result = await fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


# --- 1. time to first action ------------------------------------------------------------


async def first_action(path: Path, repeat: int) -> dict[str, Any]:
    events = json.loads(path.read_bytes())
    per_file = max(1, len(events) // 8)
    rid = path.stem
    fake = FakeMixpanel()
    replay = fake.add_replay(rid, events, chunk_events=per_file)
    for index in range(1, len(replay.chunks) + 1):  # every later file (and the end) is slow
        fake.inject("cdn", "delay", delay=LATER_CHUNK_DELAY_S, chunk=index, times=None)
    latencies: list[float] = []
    chunks_needed: list[int] = []
    async with fake, client_for(fake) as mp:
        signed = await mp.sign_replay(rid)
        for _ in range(max(1, repeat)):
            fake.reset_log()
            analyzer = ReplayAnalyzer(rid)
            released = math.nan
            seen = 0
            async with mp.fetch_chunks(signed, retention_days=30) as chunks:
                async for chunk in chunks:
                    seen += 1
                    if analyzer.feed(chunk):
                        released = time.perf_counter()
                        break
            if math.isnan(released) and analyzer.finish():
                released = time.perf_counter()
            served = min(
                r.ended for r in fake.requests if r.route == "cdn" and r.chunk == 0 and r.status
            )
            latencies.append((released - served) * 1000)
            chunks_needed.append(seen)
    median = statistics.median(latencies)
    header("1. Time to first action")
    print(
        f"{rid}: {len(events)} events in {len(replay.chunks)} files of {per_file}; "
        f"files after the first delayed {LATER_CHUNK_DELAY_S * 1000:.0f} ms"
    )
    print(
        f"first action {median:.1f} ms after chunk 0 was served (median of {len(latencies)}; "
        f"min {min(latencies):.1f}, max {max(latencies):.1f}); "
        f"chunk files received by then: {max(chunks_needed)}"
    )
    return {"replay": rid, "median_ms": median, "runs_ms": latencies, "files": max(chunks_needed)}


# --- 2. a ~30 MB replay -------------------------------------------------------------------


def big_events(source: Path) -> list[Any]:
    """``source`` repeated, each copy shifted past the previous one, up to ~BIG_BYTES."""
    base = json.loads(source.read_bytes())
    span = base[-1]["timestamp"] - base[0]["timestamp"] + 1000
    sizes = [len(msgspec.json.encode(e)) + 1 for e in base]
    out: list[Any] = []
    total, copy = 0, 0
    while total < BIG_BYTES:
        for event, size in zip(base, sizes, strict=True):
            out.append({**event, "timestamp": event["timestamp"] + copy * span})
            total += size
            if total >= BIG_BYTES:
                break
        copy += 1
    return out


async def raw_download(urls: list[str]) -> int:
    """Every URL's body with plain httpx, ``WINDOW`` at a time; the bytes received."""
    limiter = anyio.CapacityLimiter(WINDOW)
    received = 0

    async def get(client: httpx.AsyncClient, url: str) -> None:
        nonlocal received
        async with limiter:
            response = await client.get(url)
            received += len(response.content)

    limits = httpx.Limits(max_connections=WINDOW, max_keepalive_connections=WINDOW)
    async with httpx.AsyncClient(limits=limits) as client, anyio.create_task_group() as tg:
        for url in urls:
            tg.start_soon(get, client, url)
    return received


async def big_replay(source: Path, repeat: int) -> dict[str, Any]:
    events = big_events(source)
    per_file = math.ceil(len(events) / BIG_FILES)
    rid = "big-replay"
    fake = FakeMixpanel(log_limit=1000)
    replay = fake.add_replay(rid, events, chunk_events=per_file)
    files = len(replay.chunks)
    served = sum(len(c) for c in replay.chunks)
    with tempfile.TemporaryDirectory() as tmp:
        local_path = Path(tmp) / f"{rid}.json"
        local_path.write_bytes(msgspec.json.encode(events))
        del events
        async with fake, client_for(fake, replay_window=WINDOW) as mp:
            signed = await mp.sign_replay(rid)
            urls = [signed.chunk_url(i, 30) for i in range(files)]

            async def fetch_decode() -> int:
                n = 0
                async with mp.fetch_chunks(signed, retention_days=30) as chunks:
                    async for chunk in chunks:
                        n += len(chunk.events)
                return n

            async def fetch_analyze() -> int:
                async with mp.analyze([rid], retention_days=30) as replays:
                    (result,) = [r async for r in replays]
                assert result.failure is None, result.failure
                return len(result.actions)

            async def local() -> int:
                return len((await analyze_recording(local_path)).actions)

            t_raw, got = await best_of(lambda: raw_download(urls), repeat)
            t_fetch, n_events = await best_of(fetch_decode, repeat)
            t_analyze, n_actions = await best_of(fetch_analyze, repeat)
            t_local, n_local = await best_of(local, repeat)
    assert got == served, (got, served)
    mb = served / 1e6
    header("2. A ~30 MB replay: raw download vs. fetch + decode vs. fetch + analyze")
    print(
        f"{source.name} repeated with shifted timestamps: {mb:.1f} MB, {files} files of "
        f"{per_file} events ({n_events} events, {n_actions} actions; local analysis "
        f"{n_local} actions); best of {repeat}"
    )
    rows = [
        ("raw httpx download", t_raw),
        ("client fetch + decode", t_fetch),
        ("client fetch + analyze", t_analyze),
        ("local analyze (file)", t_local),
    ]
    print(f"{'':<26}{'s':>8}{'MB/s':>9}{'÷raw time':>11}")
    for name, t in rows:
        print(f"{name:<26}{t:>8.3f}{mb / t:>9.1f}{t / t_raw:>11.2f}")
    share = t_raw / t_analyze
    print(
        f"fetch + analyze rate = {share:.1%} of the raw rate; fetch + decode = "
        f"{t_raw / t_fetch:.1%}; fetch + analyze ÷ local analyze = {t_analyze / t_local:.2f} "
        "(the network's cost on top of analysis)"
    )
    return {
        "mb": mb,
        "files": files,
        "raw_s": t_raw,
        "fetch_decode_s": t_fetch,
        "fetch_analyze_s": t_analyze,
        "local_analyze_s": t_local,
        "raw_share": share,
        "actions": n_actions,
        "local_actions": n_local,
    }


# --- 3. 1,000 small replays ---------------------------------------------------------------


async def many_small(path: Path, count: int) -> dict[str, Any]:
    events = json.loads(path.read_bytes())
    fake = FakeMixpanel(log_limit=200)
    ids = [f"small-{i:05d}" for i in range(count)]
    for rid in ids:
        fake.add_replay(rid, events, chunk_events=max(1, len(events) // 2))
    marks = sorted({min(100, count), min(500, count), count})
    samples: dict[int, float] = {}
    failures = done = 0
    t0 = time.perf_counter()
    async with (
        fake,
        client_for(fake) as mp,
        mp.analyze(ids, concurrency=8, retention_days=30) as replays,
    ):
        async for replay in replays:
            done += 1
            failures += replay.failure is not None
            del replay
            if done in marks:
                gc.collect()
                samples[done] = rss_mb()
    elapsed = time.perf_counter() - t0
    header(f"3. {count} small replays streamed through analyze (concurrency 8)")
    print(
        f"each {path.name} ({path.stat().st_size / 1e3:.1f} kB, 2 files): "
        f"{count / elapsed:.0f} replays/s, {failures} failed, "
        f"{fake.calls('cdn')} CDN and {fake.calls('sign')} sign requests over "
        f"{fake.connections_opened} TCP connections"
    )
    print("  ".join(f"RSS after {n}: {mb:.1f} MB" for n, mb in samples.items()))
    growth = samples[count] - samples[marks[0]]
    print(f"growth from {marks[0]} to {count} replays: {growth:+.1f} MB")
    return {
        "count": count,
        "replays_per_s": count / elapsed,
        "rss_mb": samples,
        "growth_mb": growth,
        "failures": failures,
        "cdn_requests": fake.calls("cdn"),
        "connections": fake.connections_opened,
    }


# --- main ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus = find_corpus()
    small = EXAMPLES / "tracelane-login-failure-console.json"
    first_path = EXAMPLES / "tracelane-shop-checkout-console.json"
    if corpus is not None and (corpus / "recorded" / "shop_happy_path.json").exists():
        first_path = corpus / "recorded" / "shop_happy_path.json"
    results: dict[str, Any] = {"first_action": await first_action(first_path, args.repeat)}
    heavy = corpus / "recorded" / "dashboard_heavy.json" if corpus is not None else None
    if heavy is not None and heavy.exists():
        results["big"] = await big_replay(heavy, args.repeat)
    else:
        header("2. A ~30 MB replay")
        print("skipped: recorded/dashboard_heavy.json not found in the shared corpus")
    results["many"] = await many_small(small, args.replays)

    first = results["first_action"]["median_ms"]
    share = results["big"]["raw_share"] if "big" in results else None
    growth = results["many"]["growth_mb"]
    targets = [
        ("time to first action (ms)", f"≤ {TARGET_FIRST_ACTION_MS:.0f}", f"{first:.1f}",
         first <= TARGET_FIRST_ACTION_MS),
        ("fetch+analyze ÷ raw download rate", f"≥ {TARGET_RAW_SHARE:.0%}",
         "n/a" if share is None else f"{share:.1%}",
         None if share is None else share >= TARGET_RAW_SHARE),
        (f"RSS growth {min(100, args.replays)} → {args.replays} replays (MB)",
         f"≤ {TARGET_RSS_GROWTH_MB:.0f}", f"{growth:+.1f}", growth <= TARGET_RSS_GROWTH_MB),
    ]  # fmt: skip
    header("4. Targets")
    for name, want, got, ok in targets:
        print(f"{name:<42}{want:>8}{got:>12}  {verdict(ok)}")
    results["targets"] = [
        {"name": n, "target": w, "value": g, "status": verdict(ok)} for n, w, g, ok in targets
    ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best/median)")
    parser.add_argument("--replays", type=int, default=1000, help="small replays in section 3")
    parser.add_argument("--json", action="store_true", help="also print one JSON summary line")
    args = parser.parse_args()
    results = anyio.run(run, args)
    if args.json:
        print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
