"""The events join, on by default wherever replays come from Mixpanel, over real sockets.

A fake with two users: ``alice`` owns LOGIN and CHECKOUT, ``bob`` owns STEEL. Each user
also has an untagged event during their replay (the export join finds it; the reference
client's tagged-only join would not), one a day later (outside every window) and bob has
one at the same moment as alice's replay (not alice's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import polars as pl
import pytest
from _fakenet import CHECKOUT, LOGIN, RECORDINGS, STEEL, client, run_cli

from replaykit import ReplayBundle
from replaykit.testing import FakeMixpanel

OWNERS = {LOGIN: "alice", CHECKOUT: "alice", STEEL: "bob"}


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    server = FakeMixpanel()
    for rid, user in OWNERS.items():
        events = json.loads((RECORDINGS / f"{rid}.json").read_text())
        replay = server.add_replay(rid, events, distinct_id=user, chunk_events=5)
        start_s = replay.start_ms / 1000
        server.add_event("Purchase", start_s + 0.2, user, source="server")  # untagged
        server.add_event("Later", start_s + 86_400, user)  # a day later: no window
    server.add_event("Intruder", server.replays[LOGIN].start_ms / 1000 + 0.1, "bob")
    with server:
        yield server
    assert server.server_errors == []


def _sessions(out: Path) -> dict[str, dict[str, object]]:
    rows = ReplayBundle.scan(out).sessions.collect().to_dicts()
    return {str(r["replay_id"]): r for r in rows}


def test_aggregate_of_replay_ids_joins_users_and_events(fake: FakeMixpanel, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, _, err = run_cli(fake, tmp_path, "aggregate", *OWNERS, "--out", str(out))
    assert code == 0, err
    sessions = _sessions(out)
    assert {rid: s["distinct_id"] for rid, s in sessions.items()} == OWNERS
    mp = ReplayBundle.scan(out).mixpanel.collect()
    assert mp.height > 0
    for rid, user in OWNERS.items():
        rows = mp.filter(pl.col("replay_id") == rid)
        names = set(rows["event_name"].to_list())
        assert "Purchase" in names and "Later" not in names, (rid, names)
        assert set(rows["distinct_id"].to_list()) == {user}
        assert sessions[rid]["n_mp_events"] == rows.height
    login = set(mp.filter(pl.col("replay_id") == LOGIN)["event_name"].to_list())
    assert "Intruder" not in login  # bob's event at alice's time is not alice's
    # One user lookup for the ids, one retention lookup, and one export call per user.
    assert fake.calls("export") == 2
    bundle = ReplayBundle.scan(out)
    assert sorted(bundle.where(distinct_id="alice").sessions.collect()["replay_id"]) == sorted(
        [LOGIN, CHECKOUT]
    )
    assert bundle.where(has_event="Purchase").sessions.collect().height == 3


def test_aggregate_no_events_skips_the_join(fake: FakeMixpanel, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, _, err = run_cli(fake, tmp_path, "aggregate", *OWNERS, "--out", str(out), "--no-events")
    assert code == 0, err
    assert fake.calls("export") == 0
    assert all(s["distinct_id"] is None for s in _sessions(out).values())
    assert ReplayBundle.scan(out).mixpanel.collect().height == 0


def test_aggregate_engine_local_joins_in_the_chunk_function(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    out = tmp_path / "bundle"
    env = {"REPLAYKIT_MIXPANEL_BASE_URL": fake.base_url}
    args = ("aggregate", *OWNERS, "--out", str(out), "--engine", "local", "--workers", "1")
    code, _, err = run_cli(fake, tmp_path, *args, env=env)
    assert code == 0, err
    sessions = _sessions(out)
    assert {rid: s["distinct_id"] for rid, s in sessions.items()} == OWNERS
    assert all(int(str(s["n_mp_events"])) > 0 for s in sessions.values())


def test_for_user_joins_with_one_export_call(fake: FakeMixpanel) -> None:
    async def run() -> list[tuple[str, str | None, list[str]]]:
        async with client(fake) as mp, mp.replays_for_user("alice") as replays:
            return [
                (r.replay_id, r.distinct_id, [e.name for e in r.mixpanel_events])
                async for r in replays
            ]

    got = sorted(anyio.run(run))
    assert [(rid, user) for rid, user, _ in got] == [(LOGIN, "alice"), (CHECKOUT, "alice")]
    for _, _, names in got:
        assert "Purchase" in names and "Later" not in names and "Intruder" not in names
    assert fake.calls("export") == 1


def test_library_analyze_joins_only_on_request(fake: FakeMixpanel) -> None:
    async def run(join: bool) -> dict[str, tuple[str | None, int]]:
        async with client(fake) as mp, mp.analyze(list(OWNERS), mixpanel_events=join) as rs:
            return {r.replay_id: (r.distinct_id, len(r.mixpanel_events)) async for r in rs}

    plain = anyio.run(run, False)
    assert all(v == (None, 0) for v in plain.values()) and fake.calls("export") == 0
    joined = anyio.run(run, True)
    assert {rid: v[0] for rid, v in joined.items()} == OWNERS
    assert all(v[1] > 0 for v in joined.values())


def test_unknown_owner_falls_back_to_tagged_events(fake: FakeMixpanel) -> None:
    # The user lookup fails (a 400): each replay then gets the events tagged with its id,
    # and its user from them.

    async def run() -> dict[str, tuple[str | None, list[str]]]:
        async with (
            client(fake) as mp,
            mp.analyze([LOGIN], mixpanel_events=True, retention_days=30) as rs,
        ):
            return {
                r.replay_id: (r.distinct_id, [e.name for e in r.mixpanel_events]) async for r in rs
            }

    fake.inject("insights", "status", status=400, on_call=1, times=1)  # the user lookup
    got = anyio.run(run)
    user, names = got[LOGIN]
    assert user == "alice"
    assert names and "Purchase" not in names  # only tagged events in this fallback


def test_a_failed_join_keeps_the_replay(
    fake: FakeMixpanel, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("export", "status", status=400, times=None)

    async def run() -> list[tuple[str | None, int, object]]:
        async with client(fake) as mp, mp.replays_for_user("bob") as replays:
            return [(r.distinct_id, len(r.actions), r.failure) async for r in replays]

    got = anyio.run(run)
    assert len(got) == 1 and got[0][0] == "bob" and got[0][1] > 0 and got[0][2] is None
    assert "events join failed" in caplog.text
