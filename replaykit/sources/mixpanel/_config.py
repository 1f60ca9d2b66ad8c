"""Mixpanel credentials, project, region and endpoints as one validated value.

    config = MixpanelConfig.from_env()                     # MP_* variables, then the file
    config = MixpanelConfig.from_env(project_id=12345)     # arguments win over both
    config = MixpanelConfig(project_id=1, username="sa", secret="...", base_url="http://127.0.0.1:8080")

Precedence: explicit arguments, then environment variables, then the config file. The
file is TOML with a ``[mixpanel]`` table holding the same keys as the fields below; it is
``$REPLAYKIT_MIXPANEL_CONFIG`` or ``$XDG_CONFIG_HOME/replaykit/mixpanel.toml``
(``~/.config/replaykit/mixpanel.toml``).
"""

from __future__ import annotations

import ipaddress
import os
import time
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Literal, get_args
from urllib.parse import urlsplit

import msgspec

from ..._errors import ConfigError
from ._accounts import ACCOUNT_ENV, account_settings

__all__ = ["BASE_URL_ENV", "CONFIG_FILE_ENV", "MixpanelConfig", "Region", "Timeouts"]

Region = Literal["us", "eu", "in"]
_REGIONS: Final[tuple[str, ...]] = get_args(Region)

BASE_URL_ENV: Final = "REPLAYKIT_MIXPANEL_BASE_URL"
"""Environment variable overriding every Mixpanel endpoint with one origin (proxy, fake)."""

CONFIG_FILE_ENV: Final = "REPLAYKIT_MIXPANEL_CONFIG"
"""Environment variable naming the TOML config file."""

# Host per region and API (protocol doc §1). The CDN host is never derived: the sign call
# returns it.
_QUERY_HOSTS: Final[dict[str, str]] = {
    "us": "https://mixpanel.com",
    "eu": "https://eu.mixpanel.com",
    "in": "https://in.mixpanel.com",
}
_EXPORT_HOSTS: Final[dict[str, str]] = {
    "us": "https://data.mixpanel.com",
    "eu": "https://data-eu.mixpanel.com",
    "in": "https://data-in.mixpanel.com",
}

_ENV_KEYS: Final[dict[str, str]] = {
    "MP_USERNAME": "username",
    "MP_SECRET": "secret",
    "MP_OAUTH_TOKEN": "oauth_token",
    "MP_PROJECT_ID": "project_id",
    "MP_REGION": "region",
    "MP_WORKSPACE_ID": "workspace_id",
    BASE_URL_ENV: "base_url",
}
_CREDENTIALS: Final = ("username", "secret", "oauth_token")
_FILE_KEYS: Final = frozenset(
    {"username", "secret", "oauth_token", "project_id", "region", "workspace_id", "base_url"}
)


class Timeouts(msgspec.Struct, frozen=True, kw_only=True):
    """Per-phase timeouts in seconds.

    ``connect``, ``read``, ``write`` and ``pool`` apply to CDN chunk downloads; ``api_read``
    replaces ``read`` for Query/App/export calls, which Mixpanel may work on for up to two
    minutes before answering (a 30 s read timeout would cut off healthy queries).
    """

    connect: float = 10.0
    read: float = 30.0
    write: float = 10.0
    pool: float = 30.0
    api_read: float = 180.0

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"timeout {name} must be positive, got {value!r}")


def _is_loopback(host: str) -> bool:
    """A loopback address literal, or ``localhost`` (the hosts file's, on every system).

    Not ``*.localhost``: outside browsers those names go to DNS, which may answer with
    any address, and credentials would then cross the network in clear text.
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Not echoed: a malformed URL may hold a password anywhere ("user:pw@host").
        raise ConfigError("base URL must be http(s)://host[:port] (no credentials, no query)")
    if parts.query or parts.fragment:
        raise ConfigError("base URL must not carry a query or fragment")
    if parts.username or parts.password:
        raise ConfigError("base URL must not carry credentials; use username/secret")
    # Basic credentials in clear text would be readable on the wire: plain http is only
    # allowed to this machine (the local fake, a sidecar proxy).
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http to {parts.hostname}: credentials go over http only to "
            "loopback hosts; use https"
        )
    return url.rstrip("/")


class MixpanelConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Where and as whom to call Mixpanel; validated on construction.

    Credentials are a service account (``username`` + ``secret``, sent as HTTP Basic) or
    an OAuth bearer ``oauth_token``; the service account wins when both are set.
    ``region`` picks the hosts (``us``, ``eu``, ``in``); ``base_url`` replaces all of them
    with one origin serving ``/api/query``, ``/api/app`` and ``/api/2.0`` (a proxy or
    :mod:`replaykit.testing`'s fake). ``workspace_id`` pins a data view on Query calls;
    ``replay_env`` is the ``replay_env`` sent when signing (``prod`` or ``dev``).

    ``repr`` and ``str`` mask the secret and the token. Raises
    :class:`~replaykit.ConfigError` for a missing project id or credentials, an unknown
    region, or plain ``http`` to a host that is not loopback.
    """

    project_id: int
    username: str | None = None
    secret: str | None = None
    oauth_token: str | None = None
    region: Region = "us"
    base_url: str | None = None
    workspace_id: int | None = None
    replay_env: Literal["prod", "dev"] = "prod"
    timeouts: Timeouts = Timeouts()

    def __post_init__(self) -> None:
        if isinstance(self.project_id, bool) or not isinstance(self.project_id, int):
            raise ConfigError(f"project_id must be an integer, got {self.project_id!r}")
        if self.project_id <= 0:
            raise ConfigError(f"project_id must be positive, got {self.project_id}")
        if self.region not in _REGIONS:
            raise ConfigError(f"region must be one of {', '.join(_REGIONS)}, got {self.region!r}")
        if self.replay_env not in ("prod", "dev"):
            raise ConfigError(f"replay_env must be prod or dev, got {self.replay_env!r}")
        has_account = bool(self.username) and bool(self.secret)
        if not has_account and not self.oauth_token:
            if self.username or self.secret:
                raise ConfigError("a service account needs both username and secret")
            raise ConfigError(
                "no Mixpanel credentials: set MP_USERNAME and MP_SECRET (service account) "
                "or MP_OAUTH_TOKEN, or sign in with `replaykit login`"
            )
        if self.base_url is not None:
            # Frozen: normalise through the struct's own setattr escape hatch.
            msgspec.structs.force_setattr(self, "base_url", _check_base_url(self.base_url))

    # --- masked representations ---------------------------------------------------------

    def _masked_fields(self) -> Iterator[tuple[str, Any]]:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name in ("secret", "oauth_token") and value is not None:
                value = "<redacted>"
            yield name, value

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._masked_fields())
        return f"MixpanelConfig({inner})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """Rich's pretty printer uses this instead of ``__repr__``: mask there too."""
        return list(self._masked_fields())

    # --- endpoints ------------------------------------------------------------------------

    @property
    def query_base(self) -> str:
        """Base URL of the Query API (Insights), e.g. ``https://mixpanel.com/api/query``."""
        return f"{self.base_url or _QUERY_HOSTS[self.region]}/api/query"

    @property
    def app_base(self) -> str:
        """Base URL of the App API (signing), e.g. ``https://mixpanel.com/api/app``."""
        return f"{self.base_url or _QUERY_HOSTS[self.region]}/api/app"

    @property
    def export_base(self) -> str:
        """Base URL of the raw export API, e.g. ``https://data.mixpanel.com/api/2.0``."""
        return f"{self.base_url or _EXPORT_HOSTS[self.region]}/api/2.0"

    @property
    def uses_service_account(self) -> bool:
        """True when requests authenticate as a service account (HTTP Basic)."""
        return bool(self.username) and bool(self.secret)

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        config_file: str | os.PathLike[str] | None = None,
        account: str | None = None,
        **overrides: Any,
    ) -> MixpanelConfig:
        """Build a config from arguments, then ``MP_*`` variables, then the config file.

        Without credentials from those, or when an account is named (``account=`` or
        ``MP_ACCOUNT``), a mixpanel-headless account is read from ``$MP_CONFIG_PATH`` /
        ``~/.mp/config.toml`` (the named one, else ``[active].account``): its credentials,
        region and ``default_project``; an expired ``oauth_browser`` token is refreshed once
        with its refresh token (see :mod:`._accounts`; ``replaykit login`` creates one).

        ``overrides`` are field names (``project_id=``, ``region=``, ``base_url=``, ...);
        ``None`` values are ignored, so CLI options can be passed through unchanged.
        Variables: ``MP_USERNAME``, ``MP_SECRET``, ``MP_OAUTH_TOKEN``, ``MP_PROJECT_ID``
        (digits), ``MP_REGION`` (us/eu/in), ``MP_WORKSPACE_ID`` and
        ``REPLAYKIT_MIXPANEL_BASE_URL``. ``environ`` defaults to ``os.environ``.
        """
        env = os.environ if environ is None else environ
        unknown = set(overrides) - set(cls.__struct_fields__)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = _read_file(config_file, env)
        from_vars = {key: env.get(var, "").strip() for var, key in _ENV_KEYS.items()}
        from_vars = {k: v for k, v in from_vars.items() if v}
        given = {k: v for k, v in overrides.items() if v is not None}
        named = account or env.get(ACCOUNT_ENV, "").strip() or None
        has_credentials = any(
            layer.get(k) for layer in (values, from_vars, given) for k in _CREDENTIALS
        )
        if named is not None or not has_credentials:
            # A mixpanel-headless account (~/.mp): below the replaykit file, or above it
            # when named (MP_ACCOUNT / account=); the MP_* variables still win.
            base_url = given.get("base_url") or from_vars.get("base_url") or values.get("base_url")
            found = account_settings(env, named, base_url=base_url, clock=time.time)
            if found is not None and named is not None:
                values = {k: v for k, v in values.items() if k not in _CREDENTIALS}
                values.update(found)
            elif found is not None:
                values = {**found, **values}
        values.update(from_vars)
        values.update(given)
        if "project_id" not in values:
            raise ConfigError("no Mixpanel project id: set MP_PROJECT_ID or pass project_id")
        values["project_id"] = _as_int("project_id", values["project_id"])
        if values.get("workspace_id") is not None:
            values["workspace_id"] = _as_int("workspace_id", values["workspace_id"])
        if isinstance(values.get("region"), str):
            values["region"] = values["region"].strip().lower()
        if isinstance(values.get("timeouts"), Mapping):
            values["timeouts"] = Timeouts(**values["timeouts"])
        return cls(**values)


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise ConfigError(f"{name} must be digits only, got {text!r}")
    return int(text)


def default_config_path(environ: Mapping[str, str]) -> Path:
    """Where the config file is looked for when none is named."""
    named = environ.get(CONFIG_FILE_ENV)
    if named:
        return Path(named).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "replaykit" / "mixpanel.toml"


def _read_file(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> dict[str, Any]:
    explicit = path is not None or bool(env.get(CONFIG_FILE_ENV))
    file = Path(path).expanduser() if path is not None else default_config_path(env)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file not found: {file}") from None
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The message names the file and the problem, never the file's content.
        raise ConfigError(f"cannot read config file {file}: {type(exc).__name__}") from None
    table = data.get("mixpanel", data)
    if not isinstance(table, dict):
        raise ConfigError(f"config file {file}: [mixpanel] must be a table")
    unknown = set(table) - _FILE_KEYS - {"timeouts", "replay_env"}
    if unknown:
        raise ConfigError(f"config file {file}: unknown keys {', '.join(sorted(unknown))}")
    return dict(table)
