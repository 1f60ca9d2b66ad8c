"""The Mixpanel commands through the console entry point, against the in-memory service."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from _mp import MockMixpanel, replay, run_cli
from click.testing import CliRunner

from replaykit.cli import cli
from replaykit.cli._console import Progress
from replaykit.cli._mixpanel import looks_like_replay_id

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"
SHOP = EXAMPLES / "tracelane-shop-checkout-console.json"

Fixture = tuple[pytest.MonkeyPatch, pytest.CaptureFixture[str]]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Fixture:
    return monkeypatch, capsys


def service() -> MockMixpanel:
    return MockMixpanel(
        replays={
            "r-new": replay(3, start_s=1_779_300_000),
            "r-old": replay(1, start_s=1_779_000_000, retention=90),
            "r-other": replay(2, distinct_id="someone-else", start_s=1_779_100_000),
        }
    )


def test_list_formats(cli_env: Fixture) -> None:
    mock = service()
    code, out, err = run_cli(*cli_env, mock, "list")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["replay_id"] for r in rows] == ["r-new", "r-other", "r-old"]
    assert rows[0]["start"] == "2026-05-20T18:00:00Z" and rows[2]["retention_days"] == 90
    code, out, _ = run_cli(
        *cli_env, mock, "list", "--user", "user-42", "--limit", "1", "-o", "json"
    )
    assert code == 0 and [r["replay_id"] for r in json.loads(out)] == ["r-new"]
    code, out, _ = run_cli(*cli_env, mock, "list", "-o", "table")
    assert out.splitlines()[0].split() == ["replay_id", "distinct_id", "start", "retention_days"]
    assert len(out.splitlines()) == 4


def test_list_bad_date_is_exit_3(cli_env: Fixture) -> None:
    code, out, err = run_cli(*cli_env, service(), "list", "--from", "yesterday")
    assert code == 3 and out == ""
    assert err.startswith("replaykit: error: ") and "YYYY-MM-DD" in err


def test_sign_masks_by_default(cli_env: Fixture) -> None:
    code, out, err = run_cli(*cli_env, service(), "sign", "r-new", "r-old")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["replay_id"] for r in rows] == ["r-new", "r-old"]
    assert all(r["query_string"].startswith("<redacted ") for r in rows)
    assert all("_warning" not in r for r in rows)


def test_fetch_writes_files_reports_and_resumes(cli_env: Fixture, tmp_path: Path) -> None:
    mock = service()
    out_dir = tmp_path / "replays"
    args = ("fetch", "r-new", "missing", "r-old", "--out-dir", str(out_dir))
    code, out, err = run_cli(*cli_env, mock, *args)
    assert code == 4  # the first failure's code: not found
    records = {r["replay_id"]: r for r in map(json.loads, out.splitlines())}
    assert records["r-new"]["events"] == 4 and records["r-new"]["files"] == 3
    assert records["missing"]["failure"]["error"] == "ReplayNotFoundError"
    assert "replaykit: error: missing: the CDN has no chunk file 0" in err
    assert err.strip().splitlines()[-1] == "replaykit: 2 fetched, 0 already present, 1 failed"
    events = json.loads((out_dir / "r-new.json").read_text())
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert sorted(p.name for p in out_dir.iterdir()) == ["r-new.json", "r-old.json"]
    code, out, err = run_cli(*cli_env, mock, "fetch", "r-new", "r-old", "--out-dir", str(out_dir))
    assert code == 0
    assert all(json.loads(line)["resumed"] for line in out.splitlines())
    assert "0 fetched, 2 already present, 0 failed" in err


def test_fetch_for_a_user(cli_env: Fixture, tmp_path: Path) -> None:
    args = ("fetch", "--user", "user-42", "--limit", "1", "--out-dir", str(tmp_path), "-o", "table")
    code, out, err = run_cli(*cli_env, service(), *args)
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == ["r-new.json"]
    assert out.splitlines()[0].split()[:2] == ["replay_id", "path"]


@pytest.mark.parametrize(
    "args", [("fetch", "--out-dir", "x"), ("fetch", "a", "--user", "u", "--out-dir", "x")]
)
def test_fetch_needs_ids_or_user(cli_env: Fixture, args: tuple[str, ...]) -> None:
    code, _, err = run_cli(*cli_env, service(), *args)
    assert code == 2 and "--user" in err


def test_analyze_mixes_paths_and_replay_ids(cli_env: Fixture) -> None:
    code, out, err = run_cli(*cli_env, service(), "analyze", str(SHOP), "r-new", "-o", "ndjson")
    assert code == 0, err
    ids = {json.loads(line)["replay_id"] for line in out.splitlines()}
    assert ids == {"tracelane-shop-checkout-console", "r-new"}


def test_analyze_reports_a_missing_replay(cli_env: Fixture) -> None:
    code, out, err = run_cli(*cli_env, service(), "analyze", "r-new", "nope", "-o", "json")
    assert code == 4
    assert [r["replay_id"] for r in json.loads(out)] == ["r-new"]
    assert err.strip() == (
        "replaykit: error: nope: the CDN has no chunk file 0 for this replay "
        "(retention suffix 30, 90, 7, 1 days)"
    )


def test_analyze_unknown_name_without_mixpanel_settings(cli_env: Fixture) -> None:
    monkeypatch, _ = cli_env
    mock = service()
    monkeypatch.setattr("replaykit.cli._mixpanel.config_from", _no_config)
    code, _, err = run_cli(*cli_env, mock, "analyze", "recordngs")
    assert code == 4
    assert "no such file or directory: recordngs" in err and "Mixpanel" in err
    assert mock.calls.total() == 0


def _no_config(params: object) -> object:
    from replaykit import ConfigError

    raise ConfigError("no Mixpanel credentials")


def test_events_for_a_replay_id(cli_env: Fixture) -> None:
    code, out, err = run_cli(*cli_env, service(), "events", "r-new")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 2 and {e["replay_id"] for e in events} == {"r-new"}
    assert {e["name"] for e in events} == {"$mp_click"}
    code, _, err = run_cli(*cli_env, service(), "events", str(SHOP), "r-new")
    assert code == 2 and "not both" in err


def test_for_user(cli_env: Fixture) -> None:
    code, out, err = run_cli(*cli_env, service(), "for-user", "user-42", "--limit", "2")
    assert code == 0, err
    assert out.count("# Replay ") == 2 and "# Replay r-other" not in out
    assert "2 replays of user-42 analyzed" in err


@pytest.mark.parametrize(
    ("faults", "args", "code", "needle"),
    [
        ({("sign", None, None): [401]}, ("sign", "r-new"), 2, "credentials rejected"),
        ({("sign", None, None): [403]}, ("sign", "r-new"), 2, "access denied"),
        ({("sign", None, None): [429] * 4}, ("sign", "r-new"), 5, "rate limited"),
        ({("sign", None, None): [503] * 4}, ("fetch", "r-new", "--out-dir", "{tmp}"), 1, "503"),
    ],
)
def test_error_exit_codes(
    cli_env: Fixture,
    tmp_path: Path,
    faults: dict[tuple[str, str | None, int | None], list[int]],
    args: tuple[str, ...],
    code: int,
    needle: str,
) -> None:
    mock = service()
    mock.faults.update({k: list(v) for k, v in faults.items()})
    got, _, err = run_cli(*cli_env, mock, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert got == code and needle in err and "Traceback" not in err


def test_sensitive_data_403_exits_2(cli_env: Fixture) -> None:
    mock = service()
    mock.hook = lambda r: (
        mock._response(403, b'["SESSION_RECORDING_SENSITIVE_DATA"]')
        if r.url.path.endswith("/sign/bulk")
        else None
    )
    code, _, err = run_cli(*cli_env, mock, "analyze", "r-new")
    assert code == 2 and "sensitive_data_replay" in err


def test_plain_http_to_a_remote_host_is_refused(cli_env: Fixture) -> None:
    code, _, err = run_cli(*cli_env, service(), "list", "--base-url", "http://mixpanel.example")
    assert code == 1 and "refusing plain http" in err


def test_base_url_from_the_environment(cli_env: Fixture) -> None:
    seen: list[str] = []
    mock = service()

    def record(request: httpx.Request) -> None:
        seen.append(str(request.url.copy_with(query=None)))

    mock.hook = record
    env = {"REPLAYKIT_MIXPANEL_BASE_URL": "http://127.0.0.1:9"}
    code, _, err = run_cli(*cli_env, mock, "list", env=env)
    assert code == 0, err
    assert seen == ["http://127.0.0.1:9/api/query/insights"]


def test_every_mixpanel_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for command in ("list", "sign", "fetch", "for-user", "analyze", "events"):
        result = runner.invoke(cli, [command, "--help"], catch_exceptions=False)
        assert result.exit_code == 0 and "Example" in result.stdout, command
        assert "--base-url" in result.stdout, command


def test_progress_is_tty_aware() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    progress = Progress(2, tty)
    progress.step("a")
    progress.step("b")
    progress.done("2 done")
    assert "\r" in tty.getvalue() and "[2/2] b" in tty.getvalue()
    plain = io.StringIO()
    progress = Progress(2, plain)
    progress.step("a")
    progress.done("1 done")
    assert plain.getvalue() == "replaykit: 1 done\n"


def test_replay_id_detection(tmp_path: Path) -> None:
    existing = tmp_path / "r-1"
    existing.write_text("[]")
    assert looks_like_replay_id("0190f2c4-7b1e-7cc2-9a3f-2f1c1f3e9a11")
    assert not looks_like_replay_id(str(existing))
    assert not looks_like_replay_id("missing.json")
    assert not looks_like_replay_id("some/dir")
    assert not looks_like_replay_id("*.json")


def test_events_from_insights(cli_env: Fixture) -> None:
    mock = service()
    seen: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/insights"):
            return None
        seen.append(json.loads(request.content))
        series = {"2026-05-20T18:00:01": {"Clicked": {"r-new": {"/x": {"all": 3}}}}}
        return httpx.Response(200, json={"series": {"All Events [Total Events]": series}})

    mock.hook = answer
    args = ("events", "r-new", "--source", "insights", "--property", "$pathname")
    code, out, err = run_cli(*cli_env, mock, *args)
    assert code == 0, err
    (event,) = [json.loads(line) for line in out.splitlines()]
    assert event["count"] == 3 and event["properties"] == {"$pathname": "/x"}
    assert seen and mock.calls["export"] == 0
    too_many = [a for p in "abcdef" for a in ("--property", p)]
    code, _, err = run_cli(*cli_env, mock, "events", "r-new", "--source", "insights", *too_many)
    assert code == 3 and "at most 5" in err


def test_aggregate_events_in_one_pass_for_files_and_replays(
    cli_env: Fixture, tmp_path: Path
) -> None:
    # `--events` rows come from the analysis pass: a second read of a recording would go
    # through `_iter_events`, made to fail here; Mixpanel replays (no file to read again)
    # get their rows too.
    monkeypatch, _ = cli_env
    import replaykit.bundle._sink as sink

    def no_second_read(_: object) -> object:
        raise AssertionError("the recording was read a second time")

    monkeypatch.setattr(sink, "_iter_events", no_second_read)
    out = tmp_path / "b"
    code, _, err = run_cli(
        *cli_env, service(), "aggregate", str(SHOP), "r-new", "--out", str(out), "--events"
    )
    assert code == 0, err
    from replaykit import ReplayBundle

    bundle = ReplayBundle.scan(out)
    per_replay = dict(bundle.events.group_by("replay_id").len().collect().iter_rows())
    sessions = dict(bundle.sessions.select("replay_id", "n_events").collect().iter_rows())
    assert set(per_replay) == {"tracelane-shop-checkout-console", "r-new"}
    assert per_replay == sessions  # one row per decoded event, local and remote alike
