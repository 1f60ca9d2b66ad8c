"""Try the Mixpanel client without an account: the bundled recordings served by the local fake.

``FakeMixpanel`` serves Insights discovery, bulk signing, the signed CDN and export on
127.0.0.1; the client talks to it through ``base_url`` exactly as it would to Mixpanel.
Point your own code (or ``replaykit analyze <replay id> --base-url URL``) at it the same way.

Run: python examples/mixpanel_fake.py
"""

from __future__ import annotations

from pathlib import Path

import anyio

from replaykit import MixpanelClient, MixpanelConfig
from replaykit.testing import FakeMixpanel

HERE = Path(__file__).resolve().parent


async def main() -> None:
    async with FakeMixpanel.from_recordings(HERE / "recordings", chunk_events=10) as fake:
        fake.inject("cdn", status=503, chunk=1, times=2)  # a short CDN hiccup: retried
        config = MixpanelConfig(
            project_id=fake.project_id,
            username=fake.username,
            secret=fake.secret,
            base_url=fake.base_url,
        )
        async with MixpanelClient(config) as mp:
            found = mp.discover(distinct_id="user-42", from_date="2020-01-01", to_date="2030-12-31")
            async with mp.analyze(found) as replays:
                async for replay in replays:
                    print(f"{replay.replay_id}: {len(replay.actions)} actions")
        cdn = [r for r in fake.requests if r.route == "cdn"]
        print(f"{len(cdn)} CDN requests, at most {fake.peak_concurrency('cdn')} at once")


if __name__ == "__main__":
    anyio.run(main)
