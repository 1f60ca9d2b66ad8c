"""Seed-style accounts under ``~/.mp`` and ``replaykit login``, against the fakes over sockets.

The test plays the browser: it follows the authorize URL against the fake OAuth server
(which answers with a redirect) and then calls the loopback redirect it was given.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _fakenet import run_cli, serving

import replaykit
from replaykit import AuthenticationError, MixpanelConfig
from replaykit.sources.mixpanel._login import login
from replaykit.testing import FakeMixpanel

NO_VARS: dict[str, str | None] = {
    "MP_USERNAME": None,
    "MP_SECRET": None,
    "MP_PROJECT_ID": None,
    "MP_REGION": None,
    "MP_OAUTH_TOKEN": None,
    "MP_ACCOUNT": None,
    "MP_CONFIG_PATH": None,
    "MP_STORAGE_DIR": None,
    "MP_OAUTH_STORAGE_DIR": None,
}


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with serving() as server:
        server.enable_oauth(
            projects={str(server.project_id): {"name": "Shop", "domain": "mixpanel.com"}}
        )
        yield server


def _env(home: Path, **more: str | None) -> dict[str, str | None]:
    return {**NO_VARS, "HOME": str(home), **more}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _browser_account(fake: FakeMixpanel, home: Path, *, expired: bool) -> dict[str, Any]:
    """A mixpanel-headless `oauth_browser` account named `work`, as the seed writes it."""
    assert fake.oauth is not None
    granted = fake.oauth.grant()
    if expired:
        fake.oauth.expire_tokens()
    when = dt.datetime.now(dt.UTC) + dt.timedelta(hours=-1 if expired else 1)
    tokens = {
        "access_token": granted["access_token"],
        "refresh_token": granted["refresh_token"],
        "expires_at": when.isoformat(),
        "token_type": "Bearer",
        "scope": "read:project",
    }
    _write(home / ".mp" / "accounts" / "work" / "tokens.json", json.dumps(tokens))
    client = {"client_id": granted["client_id"], "region": "us", "redirect_uri": "x",
              "scope": "", "created_at": "2026-01-01T00:00:00+00:00"}  # fmt: skip
    _write(home / ".mp" / "oauth" / "client_us.json", json.dumps(client))
    _write(
        home / ".mp" / "config.toml",
        f'[active]\naccount = "work"\n\n[accounts.work]\ntype = "oauth_browser"\n'
        f'region = "us"\ndefault_project = "{fake.project_id}"\n',
    )
    return granted


def _ids(out: str) -> list[str]:
    return [json.loads(line)["replay_id"] for line in out.splitlines()]


def test_list_with_only_a_seed_service_account(fake: FakeMixpanel, tmp_path: Path) -> None:
    _write(
        tmp_path / ".mp" / "config.toml",
        f'[active]\naccount = "ci"\n\n[accounts.ci]\ntype = "service_account"\n'
        f'region = "us"\ndefault_project = "{fake.project_id}"\n'
        f'username = "{fake.username}"\nsecret = "{fake.secret}"\n',
    )
    code, out, err = run_cli(fake, tmp_path, "list", env=_env(tmp_path))
    assert code == 0, err
    assert sorted(_ids(out)) == sorted(fake.replays)


def test_list_refreshes_an_expired_browser_token_once(
    fake: FakeMixpanel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    granted = _browser_account(fake, tmp_path, expired=True)
    assert fake.oauth is not None
    code, out, err = run_cli(fake, tmp_path, "list", env=_env(tmp_path))
    assert code == 0, err
    assert sorted(_ids(out)) == sorted(fake.replays)
    assert fake.oauth.calls["refresh"] == 1
    path = tmp_path / ".mp" / "accounts" / "work" / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["refresh_token"] != granted["refresh_token"]  # rotated and kept
    assert stored["access_token"] in fake.oauth.issued
    # The fresh token is used as is: no second refresh.
    code, _, err = run_cli(fake, tmp_path, "list", env=_env(tmp_path))
    assert code == 0, err
    assert fake.oauth.calls["refresh"] == 1
    texts = [out, err, caplog.text, repr(MixpanelConfig.from_env(environ=_plain(tmp_path)))]
    for secret in [*fake.oauth.issued]:
        assert all(secret not in t for t in texts)


def _plain(home: Path, **more: str) -> dict[str, str]:
    return {"HOME": str(home), **more}


def test_a_refused_refresh_token_is_exit_2_without_the_token(
    fake: FakeMixpanel, tmp_path: Path
) -> None:
    _browser_account(fake, tmp_path, expired=True)
    path = tmp_path / ".mp" / "accounts" / "work" / "tokens.json"
    tokens = json.loads(path.read_text())
    tokens["refresh_token"] = "CANARY-refresh-token-0123456789"
    path.write_text(json.dumps(tokens))
    code, out, err = run_cli(fake, tmp_path, "list", env=_env(tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "replaykit login --account work" in err
    assert "invalid_grant" in err and "CANARY" not in err and "Traceback" not in err
    with pytest.raises(AuthenticationError) as info:
        MixpanelConfig.from_env(environ=_plain(tmp_path, REPLAYKIT_MIXPANEL_BASE_URL=fake.base_url))
    assert "CANARY" not in repr(info.value) and info.value.__cause__ is None


def test_mp_account_and_mp_config_path_pick_the_account(fake: FakeMixpanel, tmp_path: Path) -> None:
    elsewhere = tmp_path / "cfg" / "mp.toml"
    _write(
        elsewhere,
        '[active]\naccount = "broken"\n\n[accounts.broken]\ntype = "oauth_token"\n'
        f'region = "us"\ndefault_project = "{fake.project_id}"\ntoken = "wrong-token"\n\n'
        f'[accounts.good]\ntype = "oauth_token"\nregion = "eu"\n'
        f'default_project = "{fake.project_id}"\ntoken_env = "MY_MP_TOKEN"\n',
    )
    env = _env(tmp_path, MP_CONFIG_PATH=str(elsewhere), MY_MP_TOKEN=fake.oauth_token)
    code, _, err = run_cli(fake, tmp_path, "list", env=env)
    assert code == 2  # the active account's token is refused
    code, out, err = run_cli(fake, tmp_path, "list", env={**env, "MP_ACCOUNT": "good"})
    assert code == 0, err
    assert sorted(_ids(out)) == sorted(fake.replays)
    code, out, err = run_cli(fake, tmp_path, "list", "--account", "good", env=env)
    assert code == 0, err
    plain = _plain(tmp_path, MP_CONFIG_PATH=str(elsewhere), MY_MP_TOKEN="t0ken", MP_ACCOUNT="good")
    config = MixpanelConfig.from_env(environ=plain)
    assert config.region == "eu" and config.project_id == fake.project_id
    code, _, err = run_cli(fake, tmp_path, "list", env={**env, "MP_ACCOUNT": "nobody"})
    assert code == 1 and "no account nobody" in err


def _play_browser(fake: FakeMixpanel, state: str | None = None) -> Any:
    def browser(url: str) -> None:
        assert url.startswith(f"{fake.base_url}/oauth/authorize/?")
        with httpx.Client(follow_redirects=False) as http:
            answer = http.get(url)
            assert answer.status_code == 302
            target = answer.headers["location"]
            if state is not None:
                target = target.replace("state=", f"state={state}")
            assert target.startswith("http://127.0.0.1:")
            http.get(target)

    return browser


def test_login_end_to_end_then_list(fake: FakeMixpanel, tmp_path: Path) -> None:
    code, out, err = run_cli(
        fake,
        tmp_path,
        "login",
        "--account",
        "me",
        env=_env(tmp_path),
        open_browser=_play_browser(fake),
    )
    assert code == 0, err
    assert "signed in as person@example.test: account me" in out
    assert f"project {fake.project_id}" in out
    assert "/oauth/authorize/?" in err  # the URL, for opening by hand
    root = tmp_path / ".mp"
    tokens = root / "accounts" / "me" / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert stat.S_IMODE(tokens.parent.stat().st_mode) == 0o700
    assert set(json.loads(tokens.read_text())) >= {"access_token", "refresh_token", "expires_at"}
    config = tomllib.loads((root / "config.toml").read_text())
    assert config["active"] == {"account": "me"}
    assert config["accounts"]["me"] == {
        "type": "oauth_browser",
        "region": "us",
        "default_project": str(fake.project_id),
    }
    assert fake.oauth is not None and fake.oauth.calls["code"] == 1
    assert fake.oauth.calls["me"] == 1
    code, out, err = run_cli(fake, tmp_path, "list", env=_env(tmp_path))
    assert code == 0, err
    assert sorted(_ids(out)) == sorted(fake.replays)
    # A second login reuses the registered client.
    code, _, err = run_cli(
        fake,
        tmp_path,
        "login",
        "--account",
        "me",
        env=_env(tmp_path),
        open_browser=_play_browser(fake),
    )
    assert code == 0, err
    assert fake.oauth.calls["register"] == 1
    for secret in fake.oauth.issued:
        assert secret not in out + err
    logged = json.dumps([r.body for r in fake.requests if r.route == "oauth"])
    assert all(secret not in logged for secret in fake.oauth.issued)


def test_login_rejects_a_foreign_state(fake: FakeMixpanel, tmp_path: Path) -> None:
    with pytest.raises(AuthenticationError, match="does not belong"):
        login(
            "me",
            base_url=fake.base_url,
            open_browser=_play_browser(fake, state="forged"),
            environ=_plain(tmp_path),
            timeout=10,
        )
    assert not (tmp_path / ".mp" / "accounts" / "me").exists()


def test_login_denied_and_timeout(fake: FakeMixpanel, tmp_path: Path) -> None:
    assert fake.oauth is not None
    fake.oauth.deny_authorize = True
    with pytest.raises(AuthenticationError, match="access_denied"):
        login("me", base_url=fake.base_url, open_browser=_play_browser(fake),
              environ=_plain(tmp_path), timeout=10)  # fmt: skip
    with pytest.raises(AuthenticationError, match="no answer from the browser"):
        login("me", base_url=fake.base_url, open_browser=lambda url: None,
              environ=_plain(tmp_path), timeout=0.3)  # fmt: skip


def test_login_with_several_projects_needs_a_choice(fake: FakeMixpanel, tmp_path: Path) -> None:
    assert fake.oauth is not None
    fake.oauth.projects["777"] = {"name": "Other", "domain": "eu.mixpanel.com"}
    result = login("me", base_url=fake.base_url, open_browser=_play_browser(fake),
                   environ=_plain(tmp_path), timeout=10)  # fmt: skip
    assert result.project_id is None and set(result.projects) == {str(fake.project_id), "777"}
    result = login("me", base_url=fake.base_url, open_browser=_play_browser(fake),
                   project_id=777, environ=_plain(tmp_path), timeout=10)  # fmt: skip
    assert result.project_id == 777
    with pytest.raises(replaykit.UsageError):
        login("me", base_url=fake.base_url, open_browser=_play_browser(fake),
              project_id=5, environ=_plain(tmp_path), timeout=10)  # fmt: skip


def test_env_credentials_win_and_the_account_is_not_read(tmp_path: Path) -> None:
    # A broken account file is never touched when MP_* credentials are complete.
    _write(tmp_path / ".mp" / "config.toml", "this is not toml = = =")
    env = _plain(tmp_path, MP_USERNAME="u", MP_SECRET="s3cret", MP_PROJECT_ID="7")
    assert MixpanelConfig.from_env(environ=env).username == "u"
    with pytest.raises(replaykit.ConfigError):
        MixpanelConfig.from_env(environ={**env, "MP_ACCOUNT": "x"})


def test_secrets_canary_refresh_token_echoed_by_the_server(
    fake: FakeMixpanel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The OAuth server answers the refresh with an error echoing the refresh token: neither
    # the CLI line, the exception, its chain nor any log record (DEBUG) may carry it.
    caplog.set_level(logging.DEBUG)
    granted = _browser_account(fake, tmp_path, expired=True)
    fake.inject("oauth", "status", status=400, body=f"bad {granted['refresh_token']}")
    code, out, err = run_cli(fake, tmp_path, "list", env=_env(tmp_path))
    assert code == 2 and "HTTP 400" in err
    fake.inject("oauth", "status", status=503, body=granted["refresh_token"])
    with pytest.raises(replaykit.TransientError) as info:
        MixpanelConfig.from_env(environ=_plain(tmp_path, REPLAYKIT_MIXPANEL_BASE_URL=fake.base_url))
    texts = [out, err, caplog.text, str(info.value), repr(info.value)]
    texts.append(repr(info.value.__cause__) + repr(info.value.__context__))
    for secret in (granted["refresh_token"], granted["access_token"]):
        assert all(secret not in t for t in texts)
    # The config file holds no token; only the 0600 token file does.
    assert granted["refresh_token"] not in (tmp_path / ".mp" / "config.toml").read_text()
    tokens = tmp_path / ".mp" / "accounts" / "work" / "tokens.json"
    assert granted["refresh_token"] in tokens.read_text()


def test_a_refresh_lost_to_another_process_uses_its_token(tmp_path: Path) -> None:
    # Two workers of one run refresh at once: the second's refresh token was just spent
    # (invalid_grant), but the first one's fresh token is in the file by then.
    from replaykit.sources.mixpanel._accounts import refresh_browser_token

    root = tmp_path / ".mp"
    path = root / "accounts" / "w" / "tokens.json"
    _write(path, json.dumps({"access_token": "old", "refresh_token": "r1",
                             "expires_at": "2020-01-01T00:00:00+00:00"}))  # fmt: skip
    _write(root / "oauth" / "client_us.json", json.dumps({"client_id": "c"}))
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()

    def handler(request: httpx.Request) -> httpx.Response:
        path.write_text(json.dumps({"access_token": "theirs", "expires_at": later}))
        return httpx.Response(400, json={"error": "invalid_grant"})

    def http() -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handler))

    env = _plain(tmp_path)
    got = refresh_browser_token(env, "w", "us", None, clock=dt.datetime.now().timestamp, http=http)
    assert got == "theirs"


def test_the_account_name_travels_to_workers_not_its_secret(tmp_path: Path) -> None:
    import pickle

    from replaykit.distributed import MixpanelSource

    source = MixpanelSource(project_id=7, account="work")
    _write(
        tmp_path / ".mp" / "config.toml",
        '[accounts.work]\ntype = "oauth_token"\nregion = "in"\ntoken = "S3CRET-token-xyz"\n',
    )
    assert b"S3CRET" not in pickle.dumps(source)
    with pytest.MonkeyPatch.context() as patch:
        for name in NO_VARS:
            patch.delenv(name, raising=False)
        patch.setenv("HOME", str(tmp_path))
        config = source.config()
    assert config.oauth_token == "S3CRET-token-xyz" and config.region == "in"
    assert config.project_id == 7
