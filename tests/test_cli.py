"""The `replaykit` command line, through click's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from replaykit.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"
SHOP = EXAMPLES / "tracelane-shop-checkout-console.json"


def invoke(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_analyze_ndjson_has_the_documented_keys() -> None:
    code, out, err = invoke("analyze", str(SHOP), "-o", "ndjson")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows
    for row in rows:
        for key in ("replay_id", "kind", "t_ms", "timestamp", "target", "label", "url"):
            assert key in row
        assert row["replay_id"] == "tracelane-shop-checkout-console"
        assert row["details"]["kind"] == row["kind"]
    kinds = {row["kind"] for row in rows}
    assert {"click", "navigation", "console_error"} <= kinds
    assert [r["seq"] for r in rows] == list(range(len(rows)))


def test_analyze_markdown_is_one_line_per_action() -> None:
    code, out, _ = invoke("analyze", str(SHOP))
    assert code == 0
    assert out.startswith("# Replay tracelane-shop-checkout-console")
    lines = [line for line in out.splitlines() if line.startswith("- ")]
    assert lines and all("s: " in line for line in lines)
    assert any("clicked" in line for line in lines)


def test_analyze_json_and_table_over_a_directory() -> None:
    code, out, _ = invoke("analyze", str(EXAMPLES), "-o", "json")
    assert code == 0
    replays = json.loads(out)
    assert sorted(r["replay_id"] for r in replays) == sorted(
        p.stem for p in EXAMPLES.glob("*.json")
    )
    assert all("coverage" in r and "actions" in r for r in replays)
    code, out, _ = invoke("analyze", str(EXAMPLES), "-o", "table")
    assert code == 0 and out.splitlines()[0].split() == ["replay", "t", "kind", "what", "page"]


def test_bad_file_is_one_line_error_and_others_still_processed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("this is not json")
    code, out, err = invoke("analyze", str(bad), str(SHOP), "-o", "ndjson")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("replaykit: error: ") and "bad.json" in err
    assert "Traceback" not in err
    assert out.strip()  # the good file was still analyzed


def test_missing_path_exits_4() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replaykit", "analyze", "/no/such/file.json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 4
    assert result.stderr.strip().startswith("replaykit: error:")
    assert "Traceback" not in result.stderr


def test_bad_option_value_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replaykit", "analyze", str(SHOP), "-o", "yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_events_prints_decoded_events_as_ndjson() -> None:
    code, out, _ = invoke("events", str(SHOP))
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 45
    assert all("type" in e and "timestamp" in e for e in events)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)


def test_every_command_has_help() -> None:
    for command in ("analyze", "events"):
        code, out, _ = invoke(command, "--help")
        assert code == 0 and "Example" in out
