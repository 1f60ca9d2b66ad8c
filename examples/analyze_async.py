"""Analyze every bundled recording with the async API and print a short summary per replay.

Run: python examples/analyze_async.py [PATH ...]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import anyio

import replaykit

HERE = Path(__file__).resolve().parent


async def main(paths: list[str]) -> None:
    async for replay in replaykit.analyze(paths or [str(HERE / "recordings")], on_error="record"):
        if replay.failure is not None:
            print(f"{replay.replay_id}: {replay.failure.message}", file=sys.stderr)
            continue
        counts = Counter(action.kind for action in replay.actions)
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
        print(f"{replay.replay_id}: {replay.duration_ms / 1000:.1f}s, {summary}")
        # Stream one replay's actions as they are found, e.g. to stop at the first error:
        async for action in replaykit.iter_actions(replay.source):
            if isinstance(action.details, replaykit.ConsoleErrorDetails):
                message = action.details.message[:100]
                print(f"  first error at {action.t_ms / 1000:.1f}s: {message}")
                break


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
