"""Named Mixpanel accounts in mixpanel-headless's files (``~/.mp``), read and written.

The files (the format of ``mixpanel-headless`` 0.4, so a user of it keeps their login):

- ``$MP_CONFIG_PATH`` or ``~/.mp/config.toml``: ``[accounts.NAME]`` tables with ``type``
  (``service_account``: ``username`` + ``secret``; ``oauth_token``: ``token`` or
  ``token_env``, the name of a variable holding it; ``oauth_browser``: tokens on disk),
  ``region`` and ``default_project`` (digits, as a string); ``[active]`` with ``account``.
- ``$MP_STORAGE_DIR`` or ``~/.mp``: ``accounts/NAME/tokens.json`` (``access_token``,
  ``refresh_token``, ``expires_at`` as ISO 8601 with a zone, ``scope``, ``token_type``)
  and ``oauth/client_REGION.json`` (``client_id`` of the registered OAuth client, ...).

The account is ``MP_ACCOUNT`` (or ``account=``), else ``[active].account``. An
``oauth_browser`` token that has expired (or expires within 30 s) is refreshed once with
its refresh token at the OAuth server of the account's region (``POST /oauth/token/``),
and the new tokens replace the file (mode 0600, atomically). Nothing here logs or raises
a token: messages name accounts and files only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import httpx

from ..._errors import AuthenticationError, ConfigError, TransientError

__all__ = [
    "ACCOUNT_ENV",
    "CONFIG_PATH_ENV",
    "STORAGE_ENV",
    "account_dir",
    "account_settings",
    "dump_toml",
    "oauth_base",
    "read_seed_config",
    "seed_config_path",
    "storage_root",
    "write_private",
]

ACCOUNT_ENV: Final = "MP_ACCOUNT"
CONFIG_PATH_ENV: Final = "MP_CONFIG_PATH"
STORAGE_ENV: Final = "MP_STORAGE_DIR"
REFRESH_MARGIN_S: Final = 30.0
_NAME: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HOSTS: Final = {
    "us": "https://mixpanel.com",
    "eu": "https://eu.mixpanel.com",
    "in": "https://in.mixpanel.com",
}


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def storage_root(env: Mapping[str, str]) -> Path:
    """``$MP_STORAGE_DIR``, else ``~/.mp``."""
    named = env.get(STORAGE_ENV) or env.get("MP_OAUTH_STORAGE_DIR")
    return Path(named).expanduser() if named else _home(env) / ".mp"


def seed_config_path(env: Mapping[str, str]) -> Path:
    """``$MP_CONFIG_PATH``, else ``~/.mp/config.toml``."""
    named = env.get(CONFIG_PATH_ENV)
    return Path(named).expanduser() if named else _home(env) / ".mp" / "config.toml"


def check_name(name: str) -> str:
    """An account name as the files allow it (letters, digits, ``_``, ``-``; ≤ 64)."""
    if not _NAME.match(name):
        raise ConfigError(
            f"invalid account name {name!r}: use letters, digits, _ and - (at most 64)"
        )
    return name


def account_dir(env: Mapping[str, str], name: str) -> Path:
    """``<storage root>/accounts/NAME``."""
    return storage_root(env) / "accounts" / check_name(name)


def oauth_base(region: str, base_url: str | None) -> str:
    """The OAuth server of a region (``https://mixpanel.com/oauth``), or of ``base_url``."""
    return f"{base_url or _HOSTS.get(region, _HOSTS['us'])}/oauth"


def read_seed_config(path: Path) -> dict[str, Any] | None:
    """The parsed config file, or None when it does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {type(exc).__name__}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message quotes no content, only where it failed.
        raise ConfigError(f"cannot read {path}: {exc}") from None


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    try:
        if path.is_symlink():
            raise ConfigError(f"refusing to read {what} {path}: it is a symbolic link")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"cannot read {what} {path}: not a JSON object")
    return data


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600 (its directory 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def token_payload(answer: Mapping[str, Any], now: float, old_refresh: str | None = None) -> bytes:
    """``tokens.json`` for a token endpoint's answer (the refresh token kept if not rotated)."""
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise AuthenticationError("the OAuth server's answer has no access token")
    expires_in = answer.get("expires_in")
    seconds = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
    expires = dt.datetime.fromtimestamp(now + seconds, dt.UTC)
    payload: dict[str, Any] = {
        "access_token": access,
        "expires_at": expires.isoformat(),
        "token_type": str(answer.get("token_type") or "Bearer"),
        "scope": str(answer.get("scope") or ""),
    }
    refresh = answer.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        payload["refresh_token"] = refresh
    elif old_refresh:
        payload["refresh_token"] = old_refresh
    return json.dumps(payload, indent=2).encode()


def _expires_at(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return 0.0  # unreadable: treat as expired, so it is refreshed
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


HttpFactory = Callable[[], httpx.Client]


def _default_http() -> httpx.Client:
    return httpx.Client(timeout=30.0, follow_redirects=False)


def token_error(status: int, body: bytes) -> str:
    """The OAuth ``error`` code of an answer, when it is a plain identifier."""
    try:
        data = json.loads(body)
    except ValueError:
        return f"HTTP {status}"
    code = data.get("error") if isinstance(data, dict) else None
    if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,40}", code):
        return code
    return f"HTTP {status}"


def refresh_browser_token(
    env: Mapping[str, str],
    name: str,
    region: str,
    base_url: str | None,
    *,
    clock: Callable[[], float],
    http: HttpFactory = _default_http,
) -> str:
    """The account's access token; refreshed once first when it has (almost) expired."""
    path = account_dir(env, name) / "tokens.json"
    tokens = _read_json(path, "token file")
    login_hint = f"run `replaykit login --account {name}`"
    if tokens is None:
        raise ConfigError(f"account {name} has no tokens ({path} is missing): {login_hint}")
    access = tokens.get("access_token")
    now = clock()
    if (
        isinstance(access, str)
        and access
        and _expires_at(tokens.get("expires_at")) > now + (REFRESH_MARGIN_S)
    ):
        return access
    refresh = tokens.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise AuthenticationError(f"the token of account {name} expired: {login_hint}")
    client = _read_json(storage_root(env) / "oauth" / f"client_{region}.json", "client file")
    client_id = client.get("client_id") if client else None
    if not isinstance(client_id, str) or not client_id:
        raise ConfigError(f"account {name}: no OAuth client for region {region}: {login_hint}")
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id}
    url = f"{oauth_base(region, base_url)}/token/"
    try:
        with http() as session:
            response = session.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise TransientError(
            f"account {name}: refreshing the token failed ({type(exc).__name__})"
        ) from None
    if response.status_code in (400, 401):
        # Another process (a worker of the same run) may have spent this refresh token a
        # moment ago: its fresh token is then in the file.
        again = _read_json(path, "token file") or {}
        fresh = again.get("access_token")
        if (
            isinstance(fresh, str)
            and fresh != access
            and _expires_at(again.get("expires_at")) > clock() + REFRESH_MARGIN_S
        ):
            return fresh
        why = token_error(response.status_code, response.content)
        raise AuthenticationError(
            f"account {name}: the OAuth server refused the refresh token ({why}): {login_hint}",
            status=response.status_code,
        )
    if not response.is_success:
        raise TransientError(
            f"account {name}: refreshing the token failed (HTTP {response.status_code})",
            status=response.status_code,
        )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise AuthenticationError(f"account {name}: the OAuth server's answer is not JSON")
    write_private(path, token_payload(answer, clock(), refresh))
    return str(answer["access_token"])


def account_settings(
    env: Mapping[str, str],
    name: str | None,
    *,
    base_url: str | None,
    clock: Callable[[], float],
    http: HttpFactory = _default_http,
) -> dict[str, Any] | None:
    """MixpanelConfig fields from a seed account (``name``, else ``[active].account``).

    None when no name is given and the config file or its active account is absent; a
    ConfigError when a named account does not exist or is malformed.
    """
    path = seed_config_path(env)
    data = read_seed_config(path)
    if data is None:
        if name is not None:
            raise ConfigError(f"no account {name}: {path} does not exist")
        return None
    if name is None:
        active = data.get("active")
        name = active.get("account") if isinstance(active, dict) else None
        if not isinstance(name, str):
            return None
    accounts = data.get("accounts")
    block = accounts.get(check_name(name)) if isinstance(accounts, dict) else None
    if not isinstance(block, dict):
        raise ConfigError(f"no account {name} in {path}")
    region = str(block.get("region") or "us").lower()
    values: dict[str, Any] = {"region": region}
    project = block.get("default_project")
    if project is not None:
        values["project_id"] = project
    kind = block.get("type")
    if kind == "service_account":
        values["username"] = block.get("username")
        values["secret"] = block.get("secret")
        if not values["username"] or not values["secret"]:
            raise ConfigError(f"account {name} in {path}: username and secret are required")
    elif kind == "oauth_token":
        token = block.get("token")
        if not token and block.get("token_env"):
            token = env.get(str(block["token_env"]), "")
        if not token:
            raise ConfigError(f"account {name} in {path}: no token (token or token_env)")
        values["oauth_token"] = token
    elif kind == "oauth_browser":
        values["oauth_token"] = refresh_browser_token(
            env, name, region, base_url, clock=clock, http=http
        )
    else:
        raise ConfigError(f"account {name} in {path}: unknown type {kind!r}")
    return values


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise ConfigError(f"cannot write a {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def dump_toml(data: Mapping[str, Any]) -> str:
    """TOML for nested tables of scalars and lists (what the config file holds)."""
    lines: list[str] = []

    def table(prefix: list[str], body: Mapping[str, Any]) -> None:
        scalars = [(k, v) for k, v in body.items() if not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in body.items() if isinstance(v, Mapping)]
        if prefix and (scalars or not tables):
            lines.append(f"[{'.'.join(_toml_key(p) for p in prefix)}]")
        for key, value in scalars:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        if scalars:
            lines.append("")
        for key, value in tables:
            table([*prefix, key], value)

    table([], data)
    return "\n".join(lines).rstrip() + "\n"
