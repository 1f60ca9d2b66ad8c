"""Scale-out benchmark: a plain single-process loop vs. the ``local`` and ``ray`` engines.

What it measures, all in ONE run (machines are noisy; compare the ratios printed by a run):

For each size (2,000 and 20,000 replays by default) and each source:

- **disk**: the corpus recordings repeated as files (hard links, ``<stem>~NNNNNN.json``);
- **http**: the same replays served by ``replaykit.testing.FakeMixpanel`` over loopback
  HTTP, in a process of its own (so its work is not charged to the process measured);

three ways of building the same bundle directory:

- **loop**: one process, what ``replaykit aggregate`` does without ``--engine``:
  ``replaykit.analyze`` (disk) or ``MixpanelClient.analyze`` (http, 4 replays at once)
  streamed into a spilling ``BundleBuilder``;
- **local**: ``replaykit.distributed.analyze(engine="local")``, one worker per core;
- **ray**: the same with ``engine="ray"`` on a local Ray instance with one CPU per core
  (started before the clock starts, as a cluster would be; skipped without Ray).

Each measurement runs in a fresh interpreter (``--child-run``), so its peak RSS is its own:
the driver's (Linux ``VmHWM``) and, for the engines, the largest worker's (reported by the
chunks). Printed per row: wall time, replays/s, speed-up over the loop, driver and worker
peak RSS, whether the sessions/actions/signals row counts equal the loop's, and the
machine's 1-minute load average after the run (other work on the machine takes cores from
the parallel runs first: a load above the core count means the speed-ups are understated)
and, for http rows, the CPU time the fake server used meanwhile (it shares the cores: on 2
cores, a server needing half the client's CPU caps any speed-up near 1.3×).
``cpu s`` is the CPU time of the work (the measured process and its threads, plus the CPU
the workers spent on chunks, as each chunk reports it; Ray's own raylet/GCS processes and
the workers' start-up are not in it) and ``free ×`` the speed-up that CPU would give spread
over the workers' cores with nothing else running (loop wall ÷ (cpu s ÷ workers)): unlike
the wall time it hardly depends on what else the machine is doing. ``--repeat N`` keeps the best
of N runs per row.
**Targets (2 cores): local ≥ 1.7× and ray ≥ 1.5× the loop**, checked on every row.

Recordings larger than ``--max-file-mb`` (default 5: leaves out the 13 MB
``dashboard_heavy``, which alone would dominate every figure) are not repeated. The
corpus is ``$REPLAYKIT_SHARED/corpus`` or ``../shared/corpus``; without it the script
prints a note and exits 0.

Run from the repository root (about 20 minutes on 2 cores, most of it the 20,000 runs)::

    python benchmarks/bench_scale.py
    python benchmarks/bench_scale.py --sizes 2000 --sources disk --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TARGETS = {"local": 1.7, "ray": 1.5}
MODES = ("loop", "local", "ray")
RETENTION_DAYS = 30


def find_corpus() -> Path | None:
    """The shared corpus directory, or None when it is absent."""
    env = os.environ.get("REPLAYKIT_SHARED")
    shared = Path(env) if env else REPO_ROOT.parent / "shared"
    corpus = shared / "corpus"
    return corpus if corpus.is_dir() else None


def peak_rss() -> int:
    """Peak RSS of this process in bytes (``VmHWM``)."""
    from replaykit.distributed._chunk import peak_rss as rss

    return rss()


def base_recordings(corpus: Path, max_bytes: int) -> tuple[list[Path], list[Path]]:
    """(recordings to repeat, recordings left out as too large)."""
    found = sorted(
        p
        for sub in ("public", "recorded")
        for p in (corpus / sub).glob("*.json")
        if not p.name.endswith(".truth.json")
    )
    return [p for p in found if p.stat().st_size <= max_bytes], [
        p for p in found if p.stat().st_size > max_bytes
    ]


def copy_id(base: Path, copy: int) -> str:
    return f"{base.stem}~{copy:06d}"


def make_files(bases: list[Path], size: int, directory: Path) -> None:
    """``size`` recordings: the bases in turn, as hard links (copies across devices)."""
    directory.mkdir(parents=True)
    for i in range(size):
        base = bases[i % len(bases)]
        target = directory / f"{copy_id(base, i)}.json"
        try:
            os.link(base, target)
        except OSError:
            shutil.copyfile(base, target)


# --- children --------------------------------------------------------------------------------


def child_fake(bases: list[Path], size: int) -> None:
    """``--child-fake``: serve ``size`` replays until stdin closes; print how to reach them."""
    import msgspec

    from replaykit.testing import FakeMixpanel

    fake = FakeMixpanel(log_limit=200)
    originals = [
        fake.add_replay(p.stem, json.loads(p.read_bytes()), chunk_events=250) for p in bases
    ]
    fake.replays.clear()
    for i in range(size):
        # Copies share their originals' chunk bodies: 20,000 replays cost little memory.
        original = originals[i % len(originals)]
        rid = copy_id(bases[i % len(bases)], i)
        fake.replays[rid] = msgspec.structs.replace(original, replay_id=rid)
    with fake:
        info = {
            "base_url": fake.base_url,
            "username": fake.username,
            "secret": fake.secret,
            "project_id": fake.project_id,
        }
        print(json.dumps(info), flush=True)
        sys.stdin.read()


def _loop_disk(directory: Path, out: Path) -> dict[str, Any]:
    import replaykit.sync
    from replaykit.bundle._sink import collect_bundle

    replays = replaykit.sync.analyze([str(directory)], signals=True, on_error="record")
    bundle = collect_bundle(replays, spill_dir=out)
    return {"replays": bundle.stats.get("replays", 0)}


def _loop_http(ids: list[str], base_url: str, out: Path) -> dict[str, Any]:
    import anyio

    from replaykit import BundleBuilder, MixpanelClient, MixpanelConfig

    config = MixpanelConfig.from_env(base_url=base_url)

    async def run() -> int:
        async with (
            MixpanelClient(config) as mp,
            BundleBuilder(spill_dir=out) as builder,
            mp.analyze(ids, retention_days=RETENTION_DAYS, signals="replaykit") as replays,
        ):
            async for replay in replays:
                await builder.add(replay)
        return builder.replays

    return {"replays": anyio.run(run)}


def child_run(mode: str, source: str, target: str, size: int, out: Path, workers: int) -> None:
    """``--child-run``: one measurement; prints one JSON line."""
    from replaykit import distributed

    ids = (
        [line for line in Path(target).read_text().split("\n") if line] if source == "http" else []
    )
    if mode == "ray":
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    started = time.perf_counter()
    cpu = time.process_time()
    result: dict[str, Any]
    if mode == "loop":
        if source == "disk":
            result = _loop_disk(Path(target), out)
        else:
            result = _loop_http(ids, os.environ["REPLAYKIT_MIXPANEL_BASE_URL"], out)
        result["peak_rss_workers"] = None
    else:
        summary = distributed.analyze(
            [target] if source == "disk" else ids,
            source="local" if source == "disk" else "mixpanel",
            retention_days=RETENTION_DAYS if source == "http" else None,
            out=out,
            engine="ray" if mode == "ray" else "local",
            workers=workers if mode == "local" else None,
            progress=False,
        )
        result = {
            "replays": summary.replays,
            "failed": summary.failed,
            "peak_rss_workers": summary.peak_rss_workers,
            "retries": summary.retries,
            "bytes_in": summary.bytes_in,
            "worker_cpu_s": summary.worker_cpu_seconds,
        }
    result["seconds"] = time.perf_counter() - started
    # The work's CPU (this process and its threads, plus what the chunks report from the
    # workers), which other work on the machine does not change.
    result["cpu_s"] = time.process_time() - cpu + result.get("worker_cpu_s", 0.0)
    result["peak_rss_driver"] = peak_rss()
    result["rows"] = _rows(out)
    print(json.dumps(result), flush=True)


def _rows(out: Path) -> dict[str, int]:
    from replaykit import ReplayBundle

    bundle = ReplayBundle.scan(out)
    return {
        f: bundle.frame(f).select("replay_id").collect().height
        for f in ("sessions", "actions", "signals")
    }


# --- the parent ------------------------------------------------------------------------------


def measure(
    mode: str, source: str, target: str, size: int, work: Path, workers: int, env: dict[str, str]
) -> dict[str, Any] | None:
    out = work / f"out-{mode}-{source}-{size}"
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-run",
        mode,
        source,
        target,
        str(size),
        str(out),
        str(workers),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        print(f"  {mode}/{source}/{size} failed (exit {proc.returncode}):\n{tail}")
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    # Other work on the machine steals cores from the parallel runs first: keep the load.
    result["load"] = os.getloadavg()[0]
    return result


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux ``/proc``; else 0)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mb(value: int | None) -> str:
    return "-" if not value else f"{value / 1e6:,.0f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="2000,20000", help="replay counts (comma-separated)")
    p.add_argument("--sources", default="disk,http", help="disk, http or both")
    p.add_argument("--modes", default=",".join(MODES), help="loop, local, ray (loop is the base)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--max-file-mb", type=float, default=5.0)
    p.add_argument("--repeat", type=int, default=1, help="best of N runs per row")
    p.add_argument("--json", action="store_true", help="also one JSON summary line at the end")
    p.add_argument("--child-run", nargs=6, help=argparse.SUPPRESS)
    p.add_argument("--child-fake", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_run:
        mode, source, target, size, out, workers = args.child_run
        child_run(mode, source, target, int(size), Path(out), int(workers))
        return 0
    if args.child_fake:
        listing, size = args.child_fake
        child_fake(
            [Path(line) for line in Path(listing).read_text().split("\n") if line], int(size)
        )
        return 0

    corpus = find_corpus()
    if corpus is None:
        print("bench_scale: shared corpus not found; nothing to measure")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    sources = [s for s in args.sources.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    if "loop" not in modes:
        modes.insert(0, "loop")
    try:
        import ray  # noqa: F401
    except ImportError:
        if "ray" in modes:
            print("ray not installed (pip install 'replaykit[ray]'): ray rows skipped")
            modes.remove("ray")
    bases, left_out = base_recordings(corpus, int(args.max_file_mb * 1e6))
    print(f"bench_scale: {len(bases)} corpus recordings repeated, {args.workers} workers")
    if left_out:
        print(f"  left out (over {args.max_file_mb} MB): {', '.join(p.name for p in left_out)}")

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        listing = work / "bases.txt"
        listing.write_text("\n".join(str(b) for b in bases))
        for size in sizes:
            for source in sources:
                env = dict(os.environ)
                env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
                fake: subprocess.Popen[str] | None = None
                if source == "disk":
                    target = str(work / f"files-{size}")
                    make_files(bases, size, Path(target))
                else:
                    fake = subprocess.Popen(
                        [
                            sys.executable,
                            str(Path(__file__).resolve()),
                            "--child-fake",
                            str(listing),
                            str(size),
                        ],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                        env=env,
                    )
                    assert fake.stdout is not None
                    info = json.loads(fake.stdout.readline())
                    env.update(
                        MP_USERNAME=info["username"],
                        MP_SECRET=info["secret"],
                        MP_PROJECT_ID=str(info["project_id"]),
                        REPLAYKIT_MIXPANEL_BASE_URL=info["base_url"],
                    )
                    target = str(work / f"ids-{size}.txt")
                    Path(target).write_text(
                        "\n".join(copy_id(bases[i % len(bases)], i) for i in range(size))
                    )
                try:
                    base: dict[str, Any] | None = None
                    for mode in modes:
                        print(f"  {size:,} replays, {source}, {mode} ...", flush=True)
                        result = None
                        for _ in range(args.repeat):
                            served = cpu_seconds(fake.pid) if fake is not None else 0.0
                            one = measure(mode, source, target, size, work, args.workers, env)
                            if one is None:
                                continue
                            if fake is not None:
                                one["server_cpu_s"] = cpu_seconds(fake.pid) - served
                            if result is None or one["seconds"] < result["seconds"]:
                                result = one
                        if result is None:
                            continue
                        if mode == "loop":
                            base = result
                        speedup = base["seconds"] / result["seconds"] if base else None
                        rows.append(
                            {
                                "size": size,
                                "source": source,
                                "mode": mode,
                                **result,
                                "speedup": speedup,
                                # What the run's CPU, spread over the workers' cores with
                                # nothing else running, would give against the loop.
                                "free_speedup": (
                                    base["seconds"] / (result["cpu_s"] / args.workers)
                                    if base and mode != "loop" and result["cpu_s"] > 0
                                    else None
                                ),
                                "same_rows": base is not None and result["rows"] == base["rows"],
                            }
                        )
                finally:
                    if fake is not None:
                        assert fake.stdin is not None
                        fake.stdin.close()
                        fake.wait(30)
                    if source == "disk":
                        shutil.rmtree(target, ignore_errors=True)

    print()
    print("== results " + "=" * 86)
    head = (
        f"{'replays':>8} {'source':6} {'mode':5} {'wall s':>8} {'replays/s':>10} {'speed-up':>9} "
    )
    head += f"{'driver MB':>10} {'worker MB':>10} {'rows':>5} {'load':>5} {'fake cpu':>8} "
    head += f"{'cpu s':>7} {'free ×':>6}  target"
    print(head)
    misses = 0
    for row in rows:
        goal = TARGETS.get(row["mode"])
        status = ""
        if goal is not None and row["speedup"] is not None:
            ok = row["speedup"] >= goal
            misses += not ok
            status = f"≥ {goal}× {'PASS' if ok else 'MISS'}"
        rate = row["replays"] / row["seconds"] if row["seconds"] else 0.0
        served = f"{row['server_cpu_s']:.1f} s" if "server_cpu_s" in row else "-"
        free = f"{row['free_speedup']:.2f}" if row.get("free_speedup") else "-"
        speed = f"{row['speedup']:.2f}×" if row["speedup"] is not None else "-"
        print(
            f"{row['size']:>8,} {row['source']:6} {row['mode']:5} {row['seconds']:>8.1f} "
            f"{rate:>10.0f} {speed:>9} {mb(row['peak_rss_driver']):>10} "
            f"{mb(row.get('peak_rss_workers')):>10} "
            f"{'same' if row['same_rows'] else 'DIFF':>5} {row['load']:>5.1f} "
            f"{served:>8} {row['cpu_s']:>7.1f} {free:>6}  {status}"
        )
    print(f"targets: {'all PASS' if not misses else f'{misses} MISS'}")
    if args.json:
        print(json.dumps({"workers": args.workers, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
