"""``replaykit login``: OAuth 2.0 authorization code + PKCE in the browser.

1. Register an OAuth client once per region (``POST /oauth/mcp/register/``, RFC 7591),
   cached in ``<storage root>/oauth/client_REGION.json``.
2. Listen on ``http://127.0.0.1:<free port>/callback`` (loopback, RFC 8252), open the
   browser on ``/oauth/authorize/`` with an S256 code challenge and a random ``state``.
3. The browser comes back to the loopback address with ``code`` and ``state``; the state
   must match.
4. Exchange the code with the verifier (``POST /oauth/token/``), then ask ``/api/app/me``
   which projects the user sees (their ``domain`` gives the region).
5. Store the tokens in ``accounts/NAME/tokens.json`` (0600) and the account in the config
   file (``[accounts.NAME]``, type ``oauth_browser``; ``[active]`` when none is active),
   in mixpanel-headless's format, so both tools share the login.

No token is printed, logged or put into an exception.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import msgspec

from ..._errors import AuthenticationError, ConfigError, TransientError, UsageError
from ._accounts import (
    account_dir,
    check_name,
    dump_toml,
    oauth_base,
    read_seed_config,
    seed_config_path,
    storage_root,
    token_error,
    token_payload,
    write_private,
)
from ._config import _check_base_url

__all__ = ["LoginResult", "login", "pkce_pair"]

_API_HOSTS = {
    "us": "https://mixpanel.com",
    "eu": "https://eu.mixpanel.com",
    "in": "https://in.mixpanel.com",
}
_DOMAIN_REGIONS = {"mixpanel.com": "us", "eu.mixpanel.com": "eu", "in.mixpanel.com": "in"}


class LoginResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a login stored (no secrets): the account, its project and region, who signed
    in, the projects they may choose from and the files written."""

    account: str
    region: str
    project_id: int | None
    projects: dict[str, str]
    email: str | None
    config_path: str
    tokens_path: str


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier (64 URL-safe characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Callback:
    """The loopback redirect target: one ``GET /callback?...`` answered, then done."""

    def __init__(self) -> None:
        self.params: dict[str, str] | None = None
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the authorization code: never log it

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/callback" or outer.arrived.is_set():
                    self.send_response(404)
                    self.end_headers()
                    return
                outer.params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                ok = "code" in outer.params
                page = (
                    "<h1>Signed in</h1><p>You can close this tab and go back to replaykit.</p>"
                    if ok
                    else "<h1>Sign-in failed</h1><p>See the terminal for details.</p>"
                )
                body = f"<!doctype html><title>replaykit</title>{page}".encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.arrived.set()

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def __enter__(self) -> _Callback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _post(http: httpx.Client, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = http.post(url, headers={"Accept": "application/json"}, **kwargs)
    except httpx.HTTPError as exc:
        raise TransientError(f"login: {what} failed ({type(exc).__name__})") from None
    if response.status_code in (400, 401, 403):
        why = token_error(response.status_code, response.content)
        raise AuthenticationError(f"login: {what} refused ({why})", status=response.status_code)
    if not response.is_success:
        raise TransientError(
            f"login: {what} failed (HTTP {response.status_code})", status=response.status_code
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise AuthenticationError(f"login: {what}: the answer is not a JSON object")
    return data


def _client_id(http: httpx.Client, env: Mapping[str, str], base: str, region: str, uri: str) -> str:
    path = storage_root(env) / "oauth" / f"client_{region}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cached = None
    if isinstance(cached, dict) and isinstance(cached.get("client_id"), str):
        return str(cached["client_id"])
    body = {
        "client_name": "replaykit",
        "redirect_uris": [uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    answer = _post(http, f"{base}/mcp/register/", "client registration", json=body)
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise AuthenticationError("login: the client registration answer has no client_id")
    info = {
        "client_id": client_id,
        "region": region,
        "redirect_uri": uri,
        "scope": "",
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    write_private(path, json.dumps(info, indent=2).encode())
    return client_id


def _me(http: httpx.Client, api: str, token: str) -> dict[str, Any]:
    try:
        response = http.get(
            f"{api}/api/app/me",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise TransientError(f"login: the project lookup failed ({type(exc).__name__})") from None
    if not response.is_success:
        raise AuthenticationError(
            f"login: the project lookup was refused (HTTP {response.status_code})",
            status=response.status_code,
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        data = data["results"]
    if not isinstance(data, dict):
        raise AuthenticationError("login: the project lookup answer is not a JSON object")
    return data


def login(
    account: str = "default",
    *,
    region: str = "us",
    project_id: int | None = None,
    base_url: str | None = None,
    open_browser: Callable[[str], object] = webbrowser.open,
    on_url: Callable[[str], None] | None = None,
    timeout: float = 300.0,
    environ: Mapping[str, str] | None = None,
    http: httpx.Client | None = None,
) -> LoginResult:
    """Sign in through the browser and store the account (see the module doc).

    ``open_browser(url)`` opens the authorize page (``webbrowser.open`` by default; a test
    passes a function that plays the browser); ``on_url(url)`` is told the URL too, for a
    person to open it by hand. Waits at most ``timeout`` seconds for the browser.
    """
    import os

    env = os.environ if environ is None else environ
    check_name(account)
    region = region.lower()
    if region not in _API_HOSTS:
        raise UsageError(f"region must be us, eu or in, got {region!r}")
    if base_url is not None:
        base_url = _check_base_url(base_url)
    api = base_url or _API_HOSTS[region]
    base = oauth_base(region, base_url)
    owns = http is None
    client = http or httpx.Client(timeout=30.0, follow_redirects=False)
    try:
        with _Callback() as callback:
            uri = callback.redirect_uri
            client_id = _client_id(client, env, base, region, uri)
            verifier, challenge = pkce_pair()
            state = secrets.token_urlsafe(24)
            query = {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": uri,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            url = f"{base}/authorize/?{urlencode(query)}"
            if on_url is not None:
                on_url(url)
            open_browser(url)
            if not callback.arrived.wait(timeout):
                raise AuthenticationError(f"login: no answer from the browser within {timeout:g} s")
            params = callback.params or {}
        if params.get("state") != state:
            raise AuthenticationError("login: the browser's answer does not belong to this login")
        if "error" in params or "code" not in params:
            why = params.get("error", "no code")
            why = why if why.replace("_", "").isalnum() else "error"
            raise AuthenticationError(f"login: sign-in was not completed ({why})")
        form = {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": uri,
            "client_id": client_id,
            "code_verifier": verifier,
        }
        tokens = _post(client, f"{base}/token/", "the token exchange", data=form)
        payload = token_payload(tokens, time.time())
        me = _me(client, api, str(tokens["access_token"]))
    finally:
        if owns:
            client.close()
    projects_raw = me.get("projects") if isinstance(me.get("projects"), dict) else {}
    assert isinstance(projects_raw, dict)
    projects = {
        str(pid): str(info.get("name", "")) if isinstance(info, dict) else ""
        for pid, info in projects_raw.items()
    }
    chosen: int | None = None
    if project_id is not None:
        if projects and str(project_id) not in projects:
            raise UsageError(
                f"login: project {project_id} is not one of this user's projects "
                f"({', '.join(sorted(projects))})"
            )
        chosen = project_id
    elif len(projects) == 1:
        chosen = int(next(iter(projects)))
    if chosen is not None:
        # Tokens are bound to the region that issued them: a project elsewhere needs a
        # login there.
        info = projects_raw.get(str(chosen))
        domain = info.get("domain") if isinstance(info, dict) else None
        home = _DOMAIN_REGIONS.get(str(domain)) if domain else None
        if home is not None and home != region and base_url is None:
            raise UsageError(
                f"login: project {chosen} is in region {home}: run "
                f"`replaykit login --region {home}`"
            )
    tokens_path = account_dir(env, account) / "tokens.json"
    write_private(tokens_path, payload)
    config_path = seed_config_path(env)
    data = read_seed_config(config_path) or {}
    accounts = data.setdefault("accounts", {})
    if not isinstance(accounts, dict):
        raise ConfigError(f"{config_path}: [accounts] must be a table")
    block: dict[str, Any] = {"type": "oauth_browser", "region": region}
    if chosen is not None:
        block["default_project"] = str(chosen)
    accounts[account] = block
    active = data.setdefault("active", {})
    if isinstance(active, dict) and not isinstance(active.get("account"), str):
        active["account"] = account
    write_private(config_path, dump_toml(data).encode())
    email = me.get("user_email")
    return LoginResult(
        account=account,
        region=region,
        project_id=chosen,
        projects=projects,
        email=email if isinstance(email, str) else None,
        config_path=str(config_path),
        tokens_path=str(tokens_path),
    )
