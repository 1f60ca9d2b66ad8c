"""The CLI options a mixpanel-headless user expects, against FakeMixpanel over sockets:
``list --replay-id``, csv output, ``fetch -o FILE``, ``--env dev``, ``--max-files``,
``for-user --out-dir`` (atomic, resumable) and the bundle summary's per-replay timelines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fakenet import CHECKOUT, LOGIN, RECORDINGS, STEEL, run_cli, serving
from click.testing import CliRunner

from replaykit import ReplayBundle
from replaykit.cli import cli
from replaykit.testing import FakeMixpanel


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with serving() as server:
        yield server


def _original(rid: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = json.loads((RECORDINGS / f"{rid}.json").read_text())
    return events


def test_list_by_replay_id_and_as_csv(fake: FakeMixpanel, tmp_path: Path) -> None:
    code, out, err = run_cli(
        fake, tmp_path, "list", "--replay-id", LOGIN, "--replay-id", CHECKOUT, "-o", "csv"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(r["replay_id"] for r in rows) == sorted([LOGIN, CHECKOUT])
    assert list(rows[0]) == ["replay_id", "distinct_id", "start", "retention_days"]
    assert all(r["retention_days"] == "30" for r in rows)
    code, _, err = run_cli(fake, tmp_path, "list", "--replay-id", LOGIN, "--user", "user-42")
    assert code == 2 and "not both" in err
    code, out, err = run_cli(fake, tmp_path, "sign", LOGIN, "-o", "csv")
    assert code == 0, err
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["replay_id"] == LOGIN and row["query_string"].startswith("<redacted")


def test_fetch_one_replay_to_a_file(fake: FakeMixpanel, tmp_path: Path) -> None:
    fake.faults.unsorted = True  # each chunk file served in reverse: the file is sorted
    target = tmp_path / "out" / "checkout.json"
    code, out, err = run_cli(fake, tmp_path, "fetch", CHECKOUT, "-o", str(target))
    assert out == ""
    assert code == 0, err
    events = json.loads(target.read_text())
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps) and len(events) == len(_original(CHECKOUT))
    assert list(target.parent.iterdir()) == [target]  # no staging left behind
    calls = fake.calls("cdn")
    code, _, err = run_cli(fake, tmp_path, "fetch", CHECKOUT, "-o", str(target))
    assert code == 0 and "exists already" in err and fake.calls("cdn") == calls
    code, _, err = run_cli(fake, tmp_path, "fetch", LOGIN, CHECKOUT, "-o", str(tmp_path / "x"))
    assert code == 2 and "exactly one replay" in err
    code, _, err = run_cli(fake, tmp_path, "fetch", LOGIN)
    assert code == 2 and "--out-dir" in err
    code, _, err = run_cli(fake, tmp_path, "fetch", "no-such-replay", "-o", str(tmp_path / "n"))
    assert code == 4 and not (tmp_path / "n").exists()


def test_env_dev_signs_for_dev_replays(fake: FakeMixpanel, tmp_path: Path) -> None:
    fake.add_replay("dev-replay", _original(LOGIN), env="dev", chunk_events=5)
    out_dir = tmp_path / "d"
    code, _, _ = run_cli(fake, tmp_path, "fetch", "dev-replay", "--out-dir", str(out_dir),
                         "--retention-days", "30")  # fmt: skip
    assert code == 4  # signed for prod: the CDN has no such files
    args = ("fetch", "dev-replay", "--out-dir", str(out_dir), "--retention-days", "30")
    code, _, err = run_cli(fake, tmp_path, *args, "--env", "dev")
    assert code == 0, err
    assert len(json.loads((out_dir / "dev-replay.json").read_text())) == len(_original(LOGIN))
    signs = [r.body for r in fake.requests if r.route == "sign"]
    assert isinstance(signs[-1], dict) and signs[-1]["replays"][0]["replay_env"] == "dev"


def test_max_files_caps_the_walk(fake: FakeMixpanel, tmp_path: Path) -> None:
    out_dir = tmp_path / "d"
    args = ("fetch", STEEL, "--out-dir", str(out_dir), "--max-files", "2", "-o", "json")
    code, out, err = run_cli(fake, tmp_path, *args)
    assert code == 0, err
    (record,) = json.loads(out)
    assert record["files"] == 2 and record["events"] == 10 and record["truncated"] is True
    assert {r.chunk for r in fake.requests if r.route == "cdn"} <= {0, 1, 2, 3}


def test_for_user_out_dir_writes_markdown_and_index_resumably(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    out_dir = tmp_path / "user"
    code, out, err = run_cli(fake, tmp_path, "for-user", "user-42", "--out-dir", str(out_dir))
    assert code == 0, err
    ids = sorted(fake.replays)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        [f"{rid}.md" for rid in ids] + ["index.json"]
    )
    index = json.loads((out_dir / "index.json").read_text())
    assert sorted(e["replay_id"] for e in index) == ids
    assert all(e["distinct_id"] == "user-42" and e["file"] == f"{e['replay_id']}.md" for e in index)
    assert all(e["n_mp_events"] > 0 for e in index)
    checkout = (out_dir / f"{CHECKOUT}.md").read_text()
    assert checkout.startswith(f"# Replay {CHECKOUT}")
    assert '"Place order"' in checkout and "## Mixpanel events" in checkout
    assert "- user: user-42" in checkout
    assert f"{len(ids)} written, 0 already present, 0 failed" in out
    # Again: nothing is fetched; without one file, only that replay is.
    cdn = fake.calls("cdn")
    code, out, err = run_cli(fake, tmp_path, "for-user", "user-42", "--out-dir", str(out_dir))
    assert code == 0, err
    assert fake.calls("cdn") == cdn and f"0 written, {len(ids)} already present" in out
    (out_dir / f"{LOGIN}.md").unlink()
    fake.reset_log()
    code, out, err = run_cli(fake, tmp_path, "for-user", "user-42", "--out-dir", str(out_dir))
    assert code == 0, err
    assert "1 written" in out
    assert {r.replay_id for r in fake.requests if r.route == "cdn"} == {LOGIN}
    assert sorted(e["replay_id"] for e in json.loads((out_dir / "index.json").read_text())) == ids
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]  # no temporary files


def test_for_user_without_mixpanel_events(fake: FakeMixpanel, tmp_path: Path) -> None:
    out_dir = tmp_path / "user"
    args = ("for-user", "user-42", "--out-dir", str(out_dir), "--no-mixpanel-events")
    code, _, err = run_cli(fake, tmp_path, *args, "--limit", "1")
    assert code == 0, err
    (md,) = out_dir.glob("*.md")
    assert "## Mixpanel events" not in md.read_text() and fake.calls("export") == 0


def test_bundle_summary_per_replay(fake: FakeMixpanel, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, _, err = run_cli(fake, tmp_path, "aggregate", LOGIN, CHECKOUT, "--out", str(out))
    assert code == 0, err
    bundle = ReplayBundle.scan(out)
    plain = bundle.summary_markdown()
    assert "## Sessions" not in plain
    text = bundle.summary_markdown(per_replay=True)
    assert text.startswith(plain)
    assert f"### Replay {LOGIN}" in text and f"### Replay {CHECKOUT}" in text
    assert "- user user-42" in text and 'clicked "Place order" (button)' in text
    assert "⚠ error_click" in text
    short = bundle.summary_markdown(per_replay=True, max_replays=1, max_lines=1)
    assert short.count("### Replay") == 1 and "more lines" in short
    result = CliRunner().invoke(cli, ["query", str(out), "summary", "--per-replay"])
    assert result.exit_code == 0, result.output
    assert result.stdout == text
