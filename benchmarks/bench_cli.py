"""Whole-process benchmark: the `replaykit` command against spoiler (a Rust rrweb compiler).

A user pays for the whole process — interpreter start-up, imports, decoding, analysis,
output — and most run it over a folder. This script measures exactly that, in one run,
with paired runs (replaykit, spoiler, replaykit, spoiler, ...) so a busy machine slows
both alike; it prints medians and the ratios.

1. Start-up: `replaykit --help` and `python -c "import replaykit"` (best of 5).
2. The shared recorded corpus with `--signals`: one `replaykit analyze` over every file
   against one `spoiler compile` per file (their sum), wall and CPU.
3. `dashboard_heavy.json` alone, with and without `--signals`.
4. Peak RSS of each command, and of `replaykit analyze` on a gzip bomb (a small file that
   inflates past the input cap): it must fail with the typed error, holding little.

spoiler comes from PATH, from beside this interpreter, or is fetched once with
`pip download spoiler==0.1.3` into a cache folder (the wheel ships the binary). Its JSONL
inputs are written untimed. Skips cleanly without the shared corpus or spoiler.

    python benchmarks/bench_cli.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_analyze import (  # noqa: E402  (a sibling script)
    SPOILER_APP,
    SPOILER_VOCAB,
    _peak_rss_of,
    find_spoiler,
    write_jsonl,
)

ROOT = HERE.parent
SHARED = Path(os.environ.get("REPLAYKIT_SHARED", ROOT.parent / "shared"))
RECORDED = SHARED / "corpus" / "recorded"
HEAVY = "dashboard_heavy.json"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "replaykit-bench"
SPOILER_VERSION = "0.1.3"

TARGETS = {
    "corpus wall replaykit ÷ spoiler (--signals)": 0.5,
    "dashboard_heavy CPU replaykit ÷ spoiler (--signals)": 1.0,
    "replaykit --help s": 0.15,
    "import replaykit s": 0.1,
    "bomb peak RSS MB": 300.0,
}


@dataclass
class Run:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall) if self.wall else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, children CPU s, exit code) of one run of ``cmd``, output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    code = subprocess.call(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, code


def replaykit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "replaykit", *args]


def obtain_spoiler() -> str | None:
    """spoiler's binary: on PATH, beside this interpreter, or from the PyPI wheel."""
    found = find_spoiler()
    if found:
        return found
    target = CACHE / f"spoiler-{SPOILER_VERSION}" / "spoiler"
    if target.is_file():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
             f"spoiler=={SPOILER_VERSION}"],
            capture_output=True,
            check=False,
        )  # fmt: skip
        wheels = list(Path(tmp).glob("spoiler-*.whl"))
        if got.returncode != 0 or not wheels:
            return None
        with zipfile.ZipFile(wheels[0]) as wheel:
            names = [n for n in wheel.namelist() if n.endswith("/scripts/spoiler")]
            if not names:
                return None
            target.write_bytes(wheel.read(names[0]))
    target.chmod(0o755)
    return str(target)


def spoiler_cmd(exe: str, jsonl: Path, out: Path) -> list[str]:
    return [
        exe, "compile", "--recording", str(jsonl), "--vocab", str(SPOILER_VOCAB),
        "--app", SPOILER_APP, "--out", str(out),
    ]  # fmt: skip


def best_of(cmd: list[str], n: int = 5) -> float:
    return min(timed(cmd)[0] for _ in range(n))


def make_bomb(path: Path, inflated: int) -> None:
    """A gzip file of one unterminated JSON string ``inflated`` bytes long."""
    block = b"a" * (1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b'[{"type":3,"timestamp":1,"data":{"source":0,"x":"')
        for _ in range(inflated // len(block)):
            fh.write(block)


def use_bytecode() -> str:
    """Measure what an installed package costs: ``pip install`` writes ``.pyc`` files, so
    modules are not compiled on each start. Where ``PYTHONDONTWRITEBYTECODE`` is set (as
    on this project's machines), the children get a bytecode cache outside the tree
    (``PYTHONPYCACHEPREFIX``), filled once, untimed."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") and sys.pycache_prefix is None:
        return "as installed (.pyc files beside the modules)"
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    prefix = CACHE / "pycache"
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    package = ROOT / "replaykit"
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package)], capture_output=True, check=False
    )
    for warm in (["--help"], ["analyze", "--help"]):  # the dependencies' modules too
        subprocess.run(replaykit_cmd(*warm), capture_output=True, check=False)
    return f"compiled once into {prefix} (PYTHONDONTWRITEBYTECODE was set; see --no-bytecode)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds per comparison")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="measure as this shell is set up even if PYTHONDONTWRITEBYTECODE is set "
        "(every module compiled on every start)",
    )
    args = parser.parse_args(argv)
    results: dict[str, float | None] = {}
    if not args.no_bytecode:
        print(f"== bytecode: {use_bytecode()}")

    print("== start-up (best of 5)")
    results["replaykit --help s"] = best_of(replaykit_cmd("--help"))
    results["import replaykit s"] = best_of([sys.executable, "-c", "import replaykit"])
    results["python -c pass s"] = best_of([sys.executable, "-c", "pass"])
    for key in ("replaykit --help s", "import replaykit s", "python -c pass s"):
        print(f"  {key:<28} {results[key]:.3f}")

    files = sorted(p for p in RECORDED.glob("*.json") if not p.name.endswith(".truth.json"))
    exe = obtain_spoiler()
    if not files:
        print(f"skipped: no shared corpus at {RECORDED}")
    elif exe is None:
        print("skipped: spoiler not found and not downloadable (pip download spoiler)")
    else:
        with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
            work = Path(tmp)
            jsonl = {}
            for f in files:  # untimed
                jsonl[f.name] = work / (f.stem + ".jsonl")
                write_jsonl(f, jsonl[f.name])
            heavy = [f for f in files if f.name == HEAVY]
            cases = [
                ("corpus --signals", files, True),
                ("dashboard_heavy --signals", heavy, True),
                ("dashboard_heavy", heavy, False),
            ]
            for name, chosen, signals in cases:
                if not chosen:
                    continue
                rk, sp = Run(), Run()
                rk_args = ["analyze", *(str(f) for f in chosen), "-o", "ndjson"]
                if signals:
                    rk_args.append("--signals")
                for _ in range(args.rounds):
                    wall, cpu, code = timed(replaykit_cmd(*rk_args))
                    if code != 0:
                        print(f"  replaykit failed on {name} (exit {code})")
                        break
                    rk.add(wall, cpu)
                    s_wall = s_cpu = 0.0
                    for f in chosen:
                        w, c, code = timed(spoiler_cmd(exe, jsonl[f.name], work / "t.json"))
                        s_wall += w
                        s_cpu += c
                    sp.add(s_wall, s_cpu)
                wall_ratio = rk.wall_median / sp.wall_median
                cpu_ratio = rk.cpu_median / sp.cpu_median
                print(
                    f"== {name}: replaykit wall {rk.wall_median:.3f} s cpu {rk.cpu_median:.3f} s"
                    f" | spoiler wall {sp.wall_median:.3f} s cpu {sp.cpu_median:.3f} s"
                    f" | ratio wall {wall_ratio:.2f} cpu {cpu_ratio:.2f}"
                )
                results[f"{name} wall ratio"] = wall_ratio
                results[f"{name} cpu ratio"] = cpu_ratio
            if "corpus --signals wall ratio" in results:
                results["corpus wall replaykit ÷ spoiler (--signals)"] = results[
                    "corpus --signals wall ratio"
                ]
            if "dashboard_heavy --signals cpu ratio" in results:
                results["dashboard_heavy CPU replaykit ÷ spoiler (--signals)"] = results[
                    "dashboard_heavy --signals cpu ratio"
                ]
            heavy_path = RECORDED / HEAVY
            if heavy_path.is_file():
                rk_rss = _peak_rss_of(replaykit_cmd("analyze", str(heavy_path), "--signals"))
                sp_rss = _peak_rss_of(spoiler_cmd(exe, jsonl[HEAVY], work / "t.json"))
                print(
                    f"== peak RSS on {HEAVY}: replaykit "
                    f"{(rk_rss or 0) / 2**20:.0f} MB, spoiler {(sp_rss or 0) / 2**20:.0f} MB"
                )

    with tempfile.TemporaryDirectory(prefix="bench-bomb-") as tmp:
        bomb = Path(tmp) / "bomb.json.gz"
        make_bomb(bomb, (1 << 30) + (64 << 20))
        proc = subprocess.run(
            [sys.executable, "-c", _BOMB_CHILD, str(bomb)], capture_output=True, text=True
        )
        try:
            code, rss_kib = (int(x) for x in proc.stdout.split()[-2:])
        except ValueError:
            code, rss_kib = -1, 0
        results["bomb peak RSS MB"] = rss_kib / 1024
        print(
            f"== gzip bomb ({bomb.stat().st_size / 2**20:.1f} MB → >1 GiB): exit {code}, "
            f"peak RSS {rss_kib / 1024:.0f} MB"
        )

    print("== targets")
    for key, target in TARGETS.items():
        value = results.get(key)
        verdict = "n/a" if value is None else ("PASS" if value <= target else "MISS")
        shown = "-" if value is None else f"{value:.3f}"
        print(f"  {key:<52} {shown:>8}  (≤ {target:g}) {verdict}")
    if args.json:
        print(json.dumps(results))
    return 0


# Runs `replaykit analyze` in-process on the bomb and reports (exit code, peak RSS KiB): a
# grandchild would report its parent's RSS at fork, so the analysis runs here, in a child.
_BOMB_CHILD = """
import resource, sys
from replaykit.cli import main
try:
    main(["analyze", sys.argv[1], "-o", "ndjson"])
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


if __name__ == "__main__":
    shutil.which("true")  # keep shutil imported for find_spoiler's PATH lookups
    raise SystemExit(main())
