"""Mixpanel CLI defects a new user hit (issue 12), each pinned against the local fake."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from _fakenet import CHECKOUT, run_cli, serving

from replaykit.testing import FakeMixpanel


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMixpanel]:
    with serving() as server:
        yield server


def _no_settings(tmp_path: Path, **keep: str) -> dict[str, str | None]:
    """An environment with no Mixpanel settings at all (no ~/.mp account either)."""
    env: dict[str, str | None] = {
        "MP_USERNAME": None,
        "MP_SECRET": None,
        "MP_PROJECT_ID": None,
        "MP_ACCOUNT": None,
        "HOME": str(tmp_path),
        "MP_CONFIG_PATH": str(tmp_path / "no-mp" / "config.toml"),
        "MP_STORAGE_DIR": str(tmp_path / "no-mp"),
    }
    env.update(keep)
    return env


def test_missing_settings_are_a_usage_error_named_by_flag(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    # README: exit 2 for a usage error; every missing setting in one line, by its flag.
    code, out, err = run_cli(fake, tmp_path, "list", env=_no_settings(tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("replaykit: error: missing Mixpanel settings: ")
    assert "--project-id" in err and "MP_USERNAME" in err and "project_id" not in err
    # Only the project missing: only the project named.
    env = _no_settings(tmp_path, MP_USERNAME=fake.username, MP_SECRET=fake.secret)
    code, _, err = run_cli(fake, tmp_path, "sign", CHECKOUT, env=env)
    assert code == 2 and "--project-id" in err and "MP_USERNAME" not in err
    # Only the credentials missing.
    env = _no_settings(tmp_path, MP_PROJECT_ID=str(fake.project_id))
    code, _, err = run_cli(fake, tmp_path, "for-user", "user-42", env=env)
    assert code == 2 and "--project-id" not in err and "MP_USERNAME" in err


def test_events_of_a_user_stay_inside_the_replay(fake: FakeMixpanel, tmp_path: Path) -> None:
    # The user has other replays on other days; `events ID --user U` printed their events
    # too, all labelled with ID. Only events inside this replay's window belong to it.
    code, out, err = run_cli(fake, tmp_path, "analyze", CHECKOUT, "-o", "json")
    assert code == 0, err
    (replay,) = json.loads(out)
    start, end = replay["start_timestamp"], replay["end_timestamp"]
    code, out, err = run_cli(fake, tmp_path, "events", CHECKOUT, "--user", "user-42")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events
    for event in events:
        assert event["replay_id"] == CHECKOUT
        assert event["properties"].get("$mp_replay_id", CHECKOUT) == CHECKOUT
        # Export times are whole seconds: the window is compared at that precision.
        assert start - 1000 < event["time_ms"] <= end, event


def test_for_user_detects_signals(fake: FakeMixpanel, tmp_path: Path) -> None:
    def signals(*args: str) -> list[dict[str, object]]:
        code, out, err = run_cli(fake, tmp_path, *args, "-o", "ndjson")
        assert code == 0, err
        lines = [json.loads(line) for line in out.splitlines()]
        return sorted(
            (x for x in lines if x.get("record") == "signal"),
            key=lambda s: (str(s["replay_id"]), int(str(s["timestamp"])), str(s["kind"])),
        )

    found = signals("for-user", "user-42", "--signals", "--no-events")
    assert found and found == signals("analyze", *fake.replays, "--signals")
    assert signals("for-user", "user-42") == []
    preset = signals("for-user", "user-42", "--preset", "posthog", "--no-events")
    assert preset and {s["preset"] for s in preset} == {"posthog"}


def test_ctrl_c_while_the_commands_load_is_one_line_and_130() -> None:
    # Ctrl-C in the first tenths of a second lands while the commands are imported.
    script = textwrap.dedent(
        """
        import sys

        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "replaykit.cli._commands":
                    raise KeyboardInterrupt
                return None

        import replaykit.cli
        sys.meta_path.insert(0, Interrupt())
        replaykit.cli.main(["--help"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 130
    assert result.stderr == "replaykit: interrupted\n"
    assert result.stdout == ""
