"""``replaykit.sync.MixpanelClient``: the blocking Mixpanel client, over real sockets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fakenet import CHECKOUT, LOGIN, ROOT, STEEL, config, serving

import replaykit
import replaykit.sync as rk
from replaykit.testing import FakeMixpanel


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with serving() as server:
        yield server


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name == "replaykit-mixpanel"}


def test_replays_for_user_in_a_plain_script(fake: FakeMixpanel, tmp_path: Path) -> None:
    # No `with`, no close(), no event loop: the script must print and exit on its own.
    script = textwrap.dedent(
        """
        import replaykit.sync
        mp = replaykit.sync.MixpanelClient()
        for replay in mp.replays_for_user("user-42", limit=2):
            print(replay.replay_id, replay.distinct_id, len(replay.actions) > 0,
                  len(replay.mixpanel_events) > 0)
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MP_USERNAME": fake.username,
        "MP_SECRET": fake.secret,
        "MP_PROJECT_ID": str(fake.project_id),
        "REPLAYKIT_MIXPANEL_BASE_URL": fake.base_url,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    for name in ("MP_OAUTH_TOKEN", "MP_ACCOUNT", "MP_CONFIG_PATH", "REPLAYKIT_MIXPANEL_CONFIG"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        rid, user, has_actions, has_events = line.split()
        assert rid in fake.replays and user == "user-42"
        assert has_actions == "True" and has_events == "True"
    assert fake.secret not in done.stdout + done.stderr


def test_every_method_blocks_and_answers(fake: FakeMixpanel, tmp_path: Path) -> None:
    with rk.MixpanelClient(config(fake)) as mp:
        assert fake.secret not in repr(mp) and "open" in repr(mp)
        found = mp.list(distinct_id="user-42", limit=3)
        assert len(found) == 3 and all(isinstance(d, replaykit.ReplayDescriptor) for d in found)
        assert mp.list_replays(replay_ids=[LOGIN])[0].replay_id == LOGIN
        signed = mp.sign([LOGIN, CHECKOUT])
        assert [s.replay_id for s in signed] == [LOGIN, CHECKOUT]
        assert mp.sign_replay(LOGIN).replay_id == LOGIN
        assert mp.describe(CHECKOUT).retention_days == 30
        chunks = mp.fetch(LOGIN)
        assert sum(len(c.events) for c in chunks) == 15
        analyzed = list(mp.analyze([LOGIN, CHECKOUT], mixpanel_events=True))
        assert {r.replay_id for r in analyzed} == {LOGIN, CHECKOUT}
        assert all(r.distinct_id == "user-42" and r.mixpanel_events for r in analyzed)
        events = list(mp.events(analyzed[0], distinct_id="user-42"))
        assert events and all(e.replay_id == analyzed[0].replay_id for e in events)
        fetched = list(mp.download([LOGIN], tmp_path / "out"))
        assert fetched[0].failure is None and (tmp_path / "out" / f"{LOGIN}.json").is_file()
        assert _threads()
    assert not _threads()  # the helper thread is gone
    with pytest.raises(RuntimeError, match="closed"):
        mp.list()


def test_errors_keep_their_type(fake: FakeMixpanel) -> None:
    with rk.MixpanelClient(config(fake)) as mp, pytest.raises(replaykit.ReplayNotFoundError):
        mp.fetch("no-such-replay", retention_days=30)


def test_leaving_an_iterator_early_cancels_its_work(fake: FakeMixpanel) -> None:
    fake.faults.chunk_delay = 0.05
    ids = sorted(fake.replays)
    with rk.MixpanelClient(config(fake)) as mp:
        replays = mp.analyze(ids, concurrency=1)
        first = next(replays)
        assert first.replay_id in ids
        replays.close()  # the rest is cancelled, not fetched
        time.sleep(0.2)  # requests in flight at the close are logged as they end
        calls = fake.calls("cdn")
        time.sleep(0.3)
        assert fake.calls("cdn") == calls  # nothing runs behind a closed iterator
        chunks = mp.fetch_chunks(STEEL)
        next(chunks)
        del chunks  # dropped mid-stream: closed as well
        time.sleep(0.2)  # requests in flight at the close are logged as they end
        calls = fake.calls("cdn")
        time.sleep(0.3)
        assert fake.calls("cdn") == calls
        assert calls < 17 + len(fake.replays[ids[0]].chunks) + 4  # STEEL was not walked through
        assert mp.describe(LOGIN).replay_id == LOGIN  # the client still works
    assert fake.wait_for_connections(0, 3.0)


def test_an_unclosed_client_is_closed_when_collected(fake: FakeMixpanel) -> None:
    mp = rk.MixpanelClient(config(fake))
    assert mp.list(limit=1)
    del mp
    import gc

    gc.collect()
    assert not _threads()
