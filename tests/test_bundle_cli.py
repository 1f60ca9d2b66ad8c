"""`replaykit aggregate`, `replaykit query` and `replaykit report`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from replaykit import ReplayBundle
from replaykit.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "bundle"
    code, stdout, stderr = invoke("aggregate", str(EXAMPLES), "--out", str(out))
    assert code == 0, stderr
    assert "sessions" in stdout
    return out


def test_aggregate_writes_a_bundle_and_a_summary(bundle_dir: Path) -> None:
    assert (bundle_dir / "bundle.json").is_file()
    bundle = ReplayBundle.scan(bundle_dir)
    assert bundle.sessions.collect().height == len(list(EXAMPLES.glob("*.json")))
    assert bundle.signals.collect().height > 0  # signals are on by default


def test_aggregate_json_summary_and_failures(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    out = tmp_path / "b"
    code, stdout, stderr = invoke(
        "aggregate",
        str(EXAMPLES / "tracelane-login-failure-console.json"),
        str(broken),
        "--out",
        str(out),
        "--no-signals",
        "-o",
        "json",
    )
    assert code == 1
    assert "broken.json" in stderr
    summary = json.loads(stdout)
    assert (summary["sessions"], summary["failed"], summary["signals"]) == (2, 1, 0)
    failed = ReplayBundle.scan(out).sessions.collect().filter("failed")
    assert failed["replay_id"].to_list() == ["broken"]


def test_aggregate_refuses_to_clobber(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    recording = str(EXAMPLES / "tracelane-login-failure-console.json")
    code, _, stderr = invoke("aggregate", recording, "--out", str(target))
    assert code == 3 and "not empty" in stderr
    code, _, stderr = invoke("aggregate", recording, "--out", str(target), "--overwrite")
    assert code == 3 and "not a bundle directory" in stderr
    assert (target / "notes.txt").read_text() == "keep me"
    fresh = tmp_path / "fresh"
    assert invoke("aggregate", recording, "--out", str(fresh))[0] == 0
    code, _, _ = invoke("aggregate", recording, "--out", str(fresh), "--overwrite")
    assert code == 0
    assert ReplayBundle.scan(fresh).sessions.collect().height == 1


def test_aggregate_replay_ids_without_mixpanel_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MP_USERNAME", "MP_SECRET", "MP_OAUTH_TOKEN", "MP_PROJECT_ID", "MP_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    code, _, stderr = invoke("aggregate", "0190f2c4-replay-id", "--out", str(tmp_path / "b"))
    assert code == 4
    assert "0190f2c4-replay-id" in stderr


def test_query_top_clicks_in_every_format(bundle_dir: Path) -> None:
    code, table, _ = invoke("query", str(bundle_dir), "top-clicks", "-n", "3")
    assert code == 0
    lines = table.splitlines()
    assert lines[0].split() == ["target", "label", "clicks", "sessions"]
    assert len(lines) == 4
    code, out, _ = invoke("query", str(bundle_dir), "top-clicks", "-n", "3", "-o", "json")
    rows = json.loads(out)
    assert len(rows) == 3 and rows[0]["clicks"] >= rows[-1]["clicks"]
    code, out, _ = invoke("query", str(bundle_dir), "top-clicks", "-n", "3", "-o", "ndjson")
    assert [json.loads(line) for line in out.splitlines()] == rows
    code, out, _ = invoke("query", str(bundle_dir), "top-clicks", "-n", "3", "-o", "csv")
    assert [int(r["clicks"]) for r in csv.DictReader(io.StringIO(out))] == [
        r["clicks"] for r in rows
    ]


def test_query_commands(bundle_dir: Path) -> None:
    def rows(*args: str) -> list[dict[str, object]]:
        code, out, err = invoke("query", str(bundle_dir), *args, "-o", "json")
        assert code == 0, err
        parsed = json.loads(out)
        assert isinstance(parsed, list)
        return parsed

    assert rows("rage", "--reference", "--threshold", "2")
    assert rows("rage") is not None
    errors = rows("errors")
    assert "tracelane-shop-checkout-console" in {r["replay_id"] for r in errors}
    assert rows("pauses", "--threshold-ms", "1000")
    funnel = rows("funnel", "/products.html", "/checkout.html")
    assert [r["sessions"] for r in funnel] == [1, 1]
    assert rows("funnel", "--by", "event", "click", "console_error")[0]["sessions"] >= 1
    assert rows("pattern", "click", "navigation", "--within-ms", "5000")
    assert rows("elements", "-n", "2", "--sort", "clicks")
    assert len(rows("sessions", "-n", "2")) == 2
    assert rows("baselines", "--metric", "click")
    only = rows("sessions", "--url", "checkout.html")
    assert [r["replay_id"] for r in only] == ["tracelane-shop-checkout-console"]
    assert rows("sessions", "--from", "2100-01-01") == []


def test_query_errors(bundle_dir: Path, tmp_path: Path) -> None:
    code, _, stderr = invoke("query", str(tmp_path), "top-clicks")
    assert code == 4 and "not a bundle directory" in stderr
    code, _, _ = invoke("query", str(bundle_dir), "no-such-query")
    assert code == 2
    result = CliRunner().invoke(cli, ["query", str(bundle_dir), "sessions", "--from", "soon"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr


def test_report_writes_one_html_file(bundle_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, stdout, stderr = invoke("report", str(bundle_dir), "-o", str(target))
    assert code == 0 and stdout == ""
    assert str(target) in stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert 'data-stat="sessions"' in text


def test_every_command_has_help() -> None:
    for args in (["aggregate"], ["query"], ["query", "x", "funnel"], ["report"]):
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Usage:" in result.stdout
