"""Print the markdown timeline of one recording with the blocking API (no asyncio needed).

Run: python examples/analyze_sync.py [PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path

import replaykit.sync

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "recordings" / "tracelane-shop-checkout-console.json"

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT)
    replay = replaykit.sync.analyze_recording(path)
    print(replay.markdown())
    clicks = [a for a in replay.actions if a.kind == "click"]
    print(f"{len(clicks)} clicks; labels: {sorted({a.label or '?' for a in clicks})}")
