"""``fetch --out-dir`` across failures: partial success, resumption, atomic files.

A multi-replay fetch finishes every replay that can finish and reports the rest; a second
run never fetches (nor signs, nor looks up) a replay whose file is in place; and no file
under a final name is ever partial, whether a replay fails, the run is cancelled, or a
reader looks while it is being written. All over real sockets, against FakeMixpanel.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from _fakenet import (
    CHECKOUT,
    LOGIN,
    POSTHOG,
    RECORDINGS,
    STEEL,
    Sleeps,
    client,
    leaks,
    run_cli,
    serving,
    settle,
)

from replaykit.testing import FakeMixpanel

ALL = [LOGIN, STEEL, CHECKOUT, POSTHOG]


def recording(replay_id: str) -> list[Any]:
    events: list[Any] = json.loads((RECORDINGS / f"{replay_id}.json").read_text())
    return events


def final(out: Path, replay_id: str) -> Path:
    return out / f"{replay_id}.json"


def temps(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".part"))


def records(stdout: str) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in stdout.splitlines()]
    by_id = {r["replay_id"]: r for r in rows}
    assert len(by_id) == len(rows)  # one record per replay
    return by_id


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with serving() as server:
        yield server


# (fault on STEEL's chunk 3 for good, error class, exit code): one per kind of outcome;
# test_fault_matrix.py covers every fault on every route.
FAULTS = {
    "429": ({"action": "status", "status": 429, "retry_after": 1}, "RateLimitError", 5),
    "reset": ({"action": "reset"}, "TransientError", 1),
    "403": ({"action": "status", "status": 403}, "SignedURLExpiredError", 1),
    "invalid-json": ({"action": "invalid_json"}, "RecordingFormatError", 1),
    "not-found": ({"action": "status", "status": 404, "chunk": 0}, "ReplayNotFoundError", 4),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failing_replay_does_not_stop_the_others(
    fake: FakeMixpanel, tmp_path: Path, fault: str
) -> None:
    rule, error, exit_code = FAULTS[fault]
    fake.inject("cdn", **{"chunk": 3, **rule, "replay_id": STEEL, "times": None})
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(fake, tmp_path, "fetch", *ALL, "--out-dir", str(out))
    assert code == exit_code, stderr
    got = records(stdout)
    assert set(got) == set(ALL)
    assert got[STEEL]["failure"]["error"] == error and got[STEEL]["path"] is None
    for rid in (LOGIN, CHECKOUT, POSTHOG):
        assert got[rid]["failure"] is None
        assert json.loads(final(out, rid).read_text()) == recording(rid)
    # Nothing of the failed replay is left: no final file, no temporary one.
    assert not final(out, STEEL).exists() and temps(out) == []
    assert f"replaykit: error: {STEEL}: " in stderr and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "replaykit: 3 fetched, 0 already present, 1 failed"
    assert leaks(fake, stdout, stderr) == []


def test_sign_failing_for_good_fails_each_replay_cleanly(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    fake.inject("sign", "status", status=503, times=None)
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(fake, tmp_path, "fetch", *ALL, "--out-dir", str(out))
    assert code == 1 and "Traceback" not in stderr
    assert {r["failure"]["error"] for r in records(stdout).values()} == {"ServerError"}
    assert list(out.iterdir()) == []
    assert fake.calls("cdn") == 0


def test_a_failed_retention_lookup_degrades_to_probing(fake: FakeMixpanel, tmp_path: Path) -> None:
    fake.inject("insights", "status", status=500, times=None)
    out = tmp_path / "out"
    code, _, stderr = run_cli(fake, tmp_path, "fetch", LOGIN, CHECKOUT, "--out-dir", str(out))
    assert code == 0, stderr
    assert "retention lookup failed" in stderr  # said once, as a warning
    assert all(json.loads(final(out, r).read_text()) == recording(r) for r in (LOGIN, CHECKOUT))


def test_resume_fetches_only_what_is_missing(fake: FakeMixpanel, tmp_path: Path) -> None:
    out = tmp_path / "out"
    fake.inject("cdn", "status", status=500, replay_id=STEEL, chunk=3, times=None)
    code, _, _ = run_cli(fake, tmp_path, "fetch", *ALL, "--out-dir", str(out))
    assert code == 1
    kept = {rid: final(out, rid).stat() for rid in ALL if rid != STEEL}

    fake.faults.rules.clear()
    fake.reset_log()
    code, stdout, stderr = run_cli(fake, tmp_path, "fetch", *ALL, "--out-dir", str(out))
    assert code == 0, stderr
    got = records(stdout)
    assert {rid for rid, r in got.items() if r["resumed"]} == set(kept)
    assert got[STEEL]["resumed"] is False and got[STEEL]["events"] == len(recording(STEEL))
    assert "1 fetched, 3 already present, 0 failed" in stderr
    # The completed replays cost nothing: not looked up, not signed, not downloaded...
    asked = {r.replay_id for r in fake.requests if r.route == "cdn"}
    assert asked == {STEEL}
    (sign,) = [r for r in fake.requests if r.route == "sign"]
    assert [x["replay_id"] for x in sign.body["replays"]] == [STEEL]
    (lookup,) = [r for r in fake.requests if r.route == "insights"]
    assert lookup.body["bookmark"]["sections"]["filter"][0]["filterValue"] == [STEEL]
    # ...and their files are untouched (same inode, same time).
    for rid, before in kept.items():
        after = final(out, rid).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert all(json.loads(final(out, r).read_text()) == recording(r) for r in ALL)


def test_a_reader_never_sees_a_partial_file(fake: FakeMixpanel, tmp_path: Path) -> None:
    """Watch the directory while STEEL's 17 files trickle in: the final name appears once,
    complete; meanwhile the bytes go to a hidden temporary file."""
    fake.faults.chunk_delay = 0.01
    out = tmp_path / "out"
    out.mkdir()
    path = final(out, STEEL)
    expected = recording(STEEL)
    seen: dict[str, int] = {"final": 0, "temp": 0}
    problems: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if temps(out):
                seen["temp"] += 1
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            seen["final"] += 1
            try:
                if json.loads(data) != expected:
                    problems.append("final file differs")
            except ValueError:
                problems.append(f"partial final file ({len(data)} bytes)")

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        code, _, stderr = run_cli(fake, tmp_path, "fetch", STEEL, "--out-dir", str(out))
    finally:
        stop.set()
        watcher.join()
    assert code == 0, stderr
    assert problems == []
    assert seen["temp"] > 0  # the writer was seen writing elsewhere first
    assert seen["final"] > 0 and temps(out) == []


@pytest.mark.anyio
async def test_cancelled_download_keeps_finished_files_and_no_partial_ones(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    fake.inject("cdn", "delay", delay=5, replay_id=STEEL, chunk=5)  # STEEL stalls mid-walk
    out = tmp_path / "out"
    done: list[str] = []
    async with client(fake) as mp:
        # Cancel as soon as the small replay is written, while STEEL is stalled mid-walk
        # (event-driven, not a fixed delay: a loaded machine may take longer to get there).
        with anyio.move_on_after(30) as scope:
            async with mp.download([LOGIN, STEEL], out, retention_days=30) as results:
                async for result in results:
                    done.append(result.replay_id)
                    if result.replay_id == LOGIN:
                        scope.cancel()
    assert scope.cancelled_caught and done == [LOGIN]
    assert sorted(p.name for p in out.iterdir()) == [f"{LOGIN}.json"]
    assert json.loads(final(out, LOGIN).read_text()) == recording(LOGIN)
    settle(fake)


def test_temporary_files_of_dead_runs_are_swept_live_ones_kept(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = out / f".{LOGIN}.json.0badc0de.part"
    live = out / f".{LOGIN}.json.1badc0de.part"  # another run writing the same directory
    dead.write_bytes(b'[{"half": ')
    live.write_bytes(b"[")
    an_hour_ago = time.time() - 3600
    os.utime(dead, (an_hour_ago, an_hour_ago))
    code, _, stderr = run_cli(fake, tmp_path, "fetch", LOGIN, "--out-dir", str(out))
    assert code == 0, stderr
    assert not dead.exists() and live.exists()
    assert json.loads(final(out, LOGIN).read_text()) == recording(LOGIN)


def test_a_replay_named_twice_is_fetched_once(fake: FakeMixpanel, tmp_path: Path) -> None:
    """Regression: two workers wrote one file; the second swept the first's temporary
    file and the run died with a FileNotFoundError traceback."""
    fake.inject("cdn", "delay", delay=0.2, replay_id=STEEL, chunk=3)  # STEEL still running
    out = tmp_path / "out"
    args = ("fetch", STEEL, LOGIN, STEEL, "--concurrency", "2", "--out-dir", str(out))
    code, stdout, stderr = run_cli(fake, tmp_path, *args)
    assert code == 0, stderr
    assert sorted(records(stdout)) == sorted([STEEL, LOGIN])
    assert json.loads(final(out, STEEL).read_text()) == recording(STEEL)
    assert sum(r.chunk == 0 and r.replay_id == STEEL for r in fake.requests) == 1
    assert temps(out) == []


def test_retry_sleeps_are_the_policy_s(fake: FakeMixpanel, tmp_path: Path) -> None:
    """The CLI's own retry path (not a test double) waits what the policy says."""
    fake.inject("cdn", "status", status=503, replay_id=LOGIN, chunk=1, times=2)
    sleeps = Sleeps()
    code, _, stderr = run_cli(
        fake, tmp_path, "fetch", LOGIN, "--out-dir", str(tmp_path / "o"), sleeps=sleeps
    )
    assert code == 0, stderr
    assert sleeps.delays == [0.5, 1.0]
