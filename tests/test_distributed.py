"""replaykit.distributed with the local engine: same dataset as the single-process bundle,
idempotent chunks, crashed and failing workers retried, signing inside the chunk, and no
secret in anything a chunk carries or leaves behind."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

import replaykit.sync
from replaykit import MixpanelConfig, RecordingFormatError, ReplayBundle, UsageError
from replaykit.bundle._bundle import write_manifest
from replaykit.distributed import (
    ChunkOptions,
    ChunkTask,
    LocalFiles,
    MixpanelSource,
    RunSummary,
    WorkerCrashedError,
    analyze,
    run_chunk,
)
from replaykit.distributed._chunk import chunk_key
from replaykit.distributed._run import _Plan, _source_spec
from replaykit.sources._local import LocalSource
from replaykit.testing import FakeMixpanel, InjectFaults

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"
ROOT = Path(__file__).resolve().parent.parent
# How each frame's rows are identified, for comparing datasets written in any order.
ROW_KEYS = {
    "sessions": ["replay_id"],
    "actions": ["replay_id", "seq"],
    "signals": ["replay_id", "seq"],
    "pages": ["replay_id", "visit"],
    "events": ["replay_id", "timestamp", "type", "source", "node_id"],
    "mixpanel": ["replay_id", "timestamp"],
}


def assert_same_frames(expected: ReplayBundle, got: ReplayBundle) -> None:
    for frame, keys in ROW_KEYS.items():
        left = expected.frame(frame).collect().sort(keys, maintain_order=True)
        right = got.frame(frame).collect().sort(keys, maintain_order=True)
        assert_frame_equal(left, right, check_row_order=frame != "events")


def session_ids(out: Path) -> list[str]:
    return sorted(ReplayBundle.scan(out).sessions.collect()["replay_id"].to_list())


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """The example recordings, a copy of one under another directory (a duplicate id) and
    a JSON file that is not a recording (skipped by a directory scan)."""
    root = tmp_path / "in"
    shutil.copytree(EXAMPLES, root / "a", ignore=shutil.ignore_patterns("*.md"))
    (root / "b").mkdir()
    shutil.copy(EXAMPLES / "tracelane-login-failure-console.json", root / "b")
    (root / "a" / "notes.json").write_text('{"title": "not a recording"}')
    return root


def example_ids() -> list[str]:
    return sorted(p.name.removesuffix(".json") for p in EXAMPLES.glob("*.json"))


# --- import hygiene ---------------------------------------------------------------------------


def test_importing_replaykit_imports_no_ray_and_starts_nothing() -> None:
    code = (
        "import os, sys, threading, replaykit, replaykit.distributed, replaykit.cli;"
        "kids = [t for t in os.listdir('/proc/self/task')"
        "        if open(f'/proc/self/task/{t}/children').read().strip()];"
        "print(json.dumps({'ray': 'ray' in sys.modules, 'threads': threading.active_count(),"
        "                  'children': kids}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "import json;" + code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    state = json.loads(done.stdout)
    assert state == {"ray": False, "threads": 1, "children": []}


# --- the dataset ------------------------------------------------------------------------------


def test_local_engine_writes_the_single_process_dataset(recordings: Path, tmp_path: Path) -> None:
    inputs = [str(recordings / "a"), str(recordings / "b")]
    reference = ReplayBundle.from_replays(
        replaykit.sync.analyze(inputs, signals=True, on_error="record"), events=True
    )
    out = tmp_path / "out"
    summary = analyze(inputs, out=out, workers=2, chunk_size=2, events=True, progress=False)
    bundle = ReplayBundle.scan(out)
    assert_same_frames(reference, bundle)
    for stat in ("replays", "duplicates", "skipped"):
        assert bundle.stats[stat] == reference.stats[stat], stat
    n = len(example_ids())
    assert (summary.replays, summary.duplicates, summary.skipped, summary.failed) == (n, 1, 1, 0)
    assert summary.chunks == 3 and summary.retries == 0 and summary.workers == 2
    assert summary.bytes_in > 0 and summary.bytes_out > 0
    assert summary.peak_rss_workers > 0 and summary.peak_rss_driver > 0
    # Only finished parts and the manifest: no temporary file is left behind.
    leftovers = [p for p in out.rglob("*") if p.is_file() and not p.name.endswith(".parquet")]
    assert [p.name for p in leftovers] == ["bundle.json"]


def test_a_chunk_run_twice_leaves_one_copy_of_its_rows(tmp_path: Path) -> None:
    recs = tuple(LocalSource(str(EXAMPLES)).recordings())
    out = tmp_path / "out"
    task = ChunkTask(
        chunk=0,
        key=chunk_key(LocalFiles(), recs),
        source=LocalFiles(),
        inputs=recs,
        out=str(out),
        options=ChunkOptions(),
    )
    first = run_chunk(task)
    files = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    # A crashed attempt could have left a part of another batch index: it goes too.
    stray = out / files[0].parent / f"part-{task.key}-007.parquet"
    shutil.copy(out / files[0], stray)
    second = run_chunk(task)
    assert sorted(p.relative_to(out) for p in out.rglob("*.parquet")) == files
    assert (first.replays, first.rows) == (second.replays, second.rows)
    write_manifest(out, {"replays": second.replays})
    assert session_ids(out) == example_ids()
    assert chunk_key(LocalFiles(), recs) == task.key  # derived from the inputs alone
    assert chunk_key(LocalFiles(), recs[1:]) != task.key


# --- retries ----------------------------------------------------------------------------------


def attempts(flags: Path, chunk: int) -> list[str]:
    path = flags / f"attempts-{chunk}"
    return path.read_text().split() if path.exists() else []


def test_a_killed_worker_is_retried_without_duplicates(tmp_path: Path) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    out = tmp_path / "out"
    summary = analyze(
        EXAMPLES,
        out=out,
        workers=2,
        chunk_size=1,
        progress=False,
        chunk_fn=InjectFaults(flag_dir=str(flags), crash=frozenset({1}), fail=frozenset({2})),
    )
    assert session_ids(out) == example_ids()
    assert (summary.failed, summary.failed_chunks, summary.retries) == (0, 0, 2)
    crashed = attempts(flags, 1)
    assert len(crashed) == 2 and crashed[0] != crashed[1]  # a new process ran the retry
    assert len(attempts(flags, 2)) == 2 and len(attempts(flags, 0)) == 1


def test_a_chunk_that_keeps_crashing_becomes_failed_sessions(tmp_path: Path) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    faults = InjectFaults(flag_dir=str(flags), crash=frozenset({0}))
    out = tmp_path / "out"
    summary = analyze(
        EXAMPLES, out=out, chunk_size=2, max_retries=0, progress=False, chunk_fn=faults
    )
    assert summary.failed_chunks == 1 and summary.failed == 2
    assert {f.error for f in summary.failures} == {"WorkerCrashedError"}
    sessions = ReplayBundle.scan(out).sessions.collect()
    assert sorted(sessions["replay_id"].to_list()) == example_ids()
    assert sessions.filter("failed").height == 2
    shutil.rmtree(flags)
    flags.mkdir()
    with pytest.raises(WorkerCrashedError):
        analyze(
            EXAMPLES,
            out=tmp_path / "raise",
            chunk_size=2,
            max_retries=0,
            on_error="raise",
            progress=False,
            chunk_fn=faults,
        )
    assert not (tmp_path / "raise" / "bundle.json").exists()


def test_failures_are_recorded_or_raised(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    good = EXAMPLES / "tracelane-login-failure-console.json"
    summary = analyze([good, broken], out=tmp_path / "r", workers=1, progress=False)
    assert summary.failed == 1 and summary.exit_code == 1
    assert summary.failures[0].replay_id == "broken"
    with pytest.raises(RecordingFormatError, match="broken"):
        analyze([good, broken], out=tmp_path / "x", workers=1, on_error="raise", progress=False)


def test_arguments_are_checked_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        analyze(EXAMPLES, out=tmp_path / "full", progress=False)
    with pytest.raises(UsageError):
        analyze(EXAMPLES, out=tmp_path / "a", chunk_size=0, progress=False)
    with pytest.raises(UsageError):
        analyze(EXAMPLES, out=tmp_path / "b", engine="spark", progress=False)  # type: ignore[arg-type]


# --- Mixpanel: signing inside the chunk, secrets --------------------------------------------


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeMixpanel]:
    with FakeMixpanel.from_recordings(EXAMPLES, chunk_events=20) as server:
        # The workers inherit these: credentials reach them through the environment only.
        monkeypatch.setenv("MP_USERNAME", server.username)
        monkeypatch.setenv("MP_SECRET", server.secret)
        monkeypatch.setenv("MP_PROJECT_ID", str(server.project_id))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
        monkeypatch.delenv("REPLAYKIT_MIXPANEL_CONFIG", raising=False)
        yield server


def test_signed_urls_that_would_expire_in_the_queue_are_signed_in_the_chunk(
    fake: FakeMixpanel, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    fake.faults.sign_ttl = 1.0  # a signature lives 1 s ...
    flags = tmp_path / "flags"
    flags.mkdir()
    ids = sorted(fake.replays)
    out = tmp_path / "out"
    started = time.perf_counter()
    summary = analyze(
        ids,
        source=MixpanelSource(base_url=fake.base_url, retention_days=30),
        out=out,
        workers=1,
        chunk_size=2,
        progress=True,
        # ... and every chunk waits 1.5 s before it starts, behind the one before it.
        chunk_fn=InjectFaults(flag_dir=str(flags), delay={0: 1.5, 1: 1.5}),
    )
    assert summary.failed == 0 and summary.replays == len(ids)
    assert session_ids(out) == ids
    requests = fake.requests
    cdn = [r for r in requests if r.route == "cdn"]
    assert cdn and {r.status for r in cdn} <= {200, 404}  # 404: the probe past the end
    signs = [r for r in requests if r.route == "sign"]
    signed_at: dict[str, float] = {}
    for r in signs:
        assert isinstance(r.body, dict)
        for entry in r.body["replays"]:
            signed_at.setdefault(entry["replay_id"], r.ended)
    assert sorted(signed_at) == ids and len(signs) == summary.chunks  # one bulk call a chunk
    # Nothing was signed before its chunk ran: the first chunk alone waited 1.5 s.
    assert min(signed_at.values()) - started >= 1.5
    for r in cdn:
        assert r.replay_id is not None
        assert r.started - signed_at[r.replay_id] < fake.faults.sign_ttl
    assert summary.bytes_in > 0
    # No credential in the summary, the dataset or anything printed.
    secrets = [fake.secret, fake.oauth_token, *fake.signed_query_strings]
    texts = [msgspec.json.encode(summary).decode(), *capfd.readouterr()]
    texts += [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_mixpanel_chunks_match_the_single_process_bundle(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    import anyio

    from replaykit import BundleBuilder, MixpanelClient

    ids = sorted(fake.replays)
    config = MixpanelConfig.from_env(base_url=fake.base_url)

    async def single_process() -> ReplayBundle:
        async with (
            MixpanelClient(config) as mp,
            BundleBuilder() as builder,
            # The chunks join the users' Mixpanel events by default: so does this run.
            mp.analyze(ids, signals="replaykit", mixpanel_events=True) as replays,
        ):
            async for replay in replays:
                await builder.add(replay)
        return builder.bundle

    reference = anyio.run(single_process)
    out = tmp_path / "out"
    analyze(ids, source=config, out=out, workers=2, chunk_size=3, progress=False)
    scanned = ReplayBundle.scan(out)
    assert_same_frames(reference, scanned)
    assert scanned.mixpanel.collect().height > 0


def test_task_arguments_carry_no_credential(tmp_path: Path) -> None:
    config = MixpanelConfig(
        project_id=7,
        username="sa.secretive",
        secret="S3CRET-value-xyz",
        oauth_token="OAUTH-token-abc",
        base_url="http://127.0.0.1:9",
    )
    spec = _source_spec(config, 30)
    assert isinstance(spec, MixpanelSource)
    plan = _Plan([(spec, ["r1", "r2", "r3"])], tmp_path, 2, ChunkOptions())
    tasks = list(plan.tasks())
    assert len(tasks) == 2
    blob = pickle.dumps((InjectFaults(flag_dir=str(tmp_path)), tasks, spec))
    for secret in ("sa.secretive", "S3CRET-value-xyz", "OAUTH-token-abc"):
        assert secret.encode() not in blob
    assert b"127.0.0.1:9" in blob  # the endpoint does travel


def test_workers_without_credentials_fail_before_starting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("MP_USERNAME", "MP_SECRET", "MP_OAUTH_TOKEN", "REPLAYKIT_MIXPANEL_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(replaykit.ConfigError):
        analyze(["r1"], source=MixpanelSource(project_id=7), out=tmp_path / "o", progress=False)


# --- the command line -------------------------------------------------------------------------


def test_aggregate_engine_local(recordings: Path, tmp_path: Path) -> None:
    from replaykit.cli import cli

    out = tmp_path / "bundle"
    result = CliRunner().invoke(
        cli,
        ["aggregate", str(recordings / "a"), "--out", str(out), "--workers", "2", "-o", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["engine"] == "local" and summary["workers"] == 2
    assert summary["sessions"] == len(example_ids()) and summary["skipped"] == 1
    assert "skipped" in result.stderr and "notes.json" in result.stderr
    assert ReplayBundle.scan(out).sessions.collect().height == len(example_ids())


def test_run_summary_is_a_plain_struct() -> None:
    summary = RunSummary(
        out="o",
        engine="local",
        workers=2,
        chunks=1,
        inputs=3,
        replays=3,
        failed=1,
        skipped=0,
        duplicates=0,
        failed_chunks=0,
        retries=0,
        bytes_in=10,
        bytes_out=20,
        seconds=2.0,
        peak_rss_driver=1,
        peak_rss_workers=1,
    )
    assert summary.succeeded == 2 and summary.replays_per_s == 1.5
    assert msgspec.json.decode(msgspec.json.encode(summary), type=RunSummary) == summary
    assert isinstance(pl.DataFrame([msgspec.structs.asdict(summary)]), pl.DataFrame)
