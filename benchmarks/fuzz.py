"""Run replaykit's fuzz properties for a long time.

    python benchmarks/fuzz.py --examples 2000            # every property, 2,000 examples each
    python benchmarks/fuzz.py --examples 500 --seed 7    # reproducible
    python benchmarks/fuzz.py --only "damaged"           # properties whose name contains it

The properties are `tests/test_fuzz.py`'s (`PROPERTIES`): the same checks the test suite
runs with a few examples each (the "ci" hypothesis profile). Prints, per property, the
examples run, failures found (with the shrunk failing example) and the time; exits 1 if any
property failed. Hypothesis' example database is not used, so runs only differ by seed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import test_fuzz  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def run_property(name: str, examples: int, chosen_seed: int | None) -> tuple[int, str | None]:
    """Run one property; return (examples run, failure report or None)."""
    make_strategy, check = test_fuzz.PROPERTIES[name]
    calls = 0

    def counted(value: object) -> None:
        nonlocal calls
        calls += 1
        check(value)

    test = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(given(make_strategy())(counted))
    if chosen_seed is not None:
        test = seed(chosen_seed)(test)
    try:
        test()
    except Exception:
        return calls, traceback.format_exc(limit=-8)
    return calls, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1_000, help="examples per property")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (reproducible)")
    parser.add_argument("--only", default="", help="run the properties whose name contains it")
    args = parser.parse_args(argv)
    if args.examples < 1:
        parser.error("--examples must be at least 1")
    names = [n for n in test_fuzz.PROPERTIES if args.only.lower() in n.lower()]
    if not names:
        parser.error(f"no property matches {args.only!r}")
    print(f"replaykit fuzz: {len(names)} properties x {args.examples} examples, seed {args.seed}")
    failed = 0
    total_examples = 0
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        calls, failure = run_property(name, args.examples, args.seed)
        total_examples += calls
        status = "ok" if failure is None else "FAILED"
        print(f"  {name:<45} {calls:>7} examples  {time.perf_counter() - t0:7.1f} s  {status}")
        if failure is not None:
            failed += 1
            print("    " + failure.rstrip().replace("\n", "\n    "))
        sys.stdout.flush()
    took = time.perf_counter() - started
    print(f"total: {total_examples} examples, {failed} failing properties, {took:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
