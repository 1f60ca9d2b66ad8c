"""A fake of Mixpanel's OAuth server (PKCE login, token refresh, ``/me``) for tests.

:class:`FakeOAuth` answers, when attached to a :class:`~replaykit.testing.FakeMixpanel`
(``fake.enable_oauth()``), on the same origin and the real paths::

    POST /oauth/mcp/register/     dynamic client registration → {"client_id": ...}
    GET  /oauth/authorize/        PKCE authorize: 302 to redirect_uri?code=...&state=...
    POST /oauth/token/            form: grant_type=authorization_code (code, redirect_uri,
                                  client_id, code_verifier) or refresh_token
                                  (refresh_token, client_id) → {access_token,
                                  refresh_token, expires_in, scope, token_type}
    GET  /api/app/me              with a Bearer token → {user_email, projects: {...}}

Access tokens it issues are accepted by the fake's API routes until they expire
(``access_ttl`` seconds, on the fake's clock) or :meth:`FakeOAuth.expire_tokens`. Refresh
tokens rotate: using one spends it. The authorize step needs no browser: a test follows the
authorize URL itself and then calls the loopback redirect it was given.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import msgspec

__all__ = ["FakeOAuth"]

Answer = tuple[int, Any, dict[str, str]]


class _Code(msgspec.Struct, frozen=True):
    client_id: str
    redirect_uri: str
    challenge: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


class FakeOAuth:
    """Mixpanel's OAuth endpoints and ``/me``, in memory (see the module doc).

    ``projects`` is what ``/me`` lists: project id (string) → ``{"name", "domain", ...}``;
    ``domain`` names the project's region host (``eu.mixpanel.com`` → ``eu``).
    ``calls`` counts ``register``, ``authorize``, ``code`` (exchanges), ``refresh`` and
    ``me`` requests; ``issued`` holds every access and refresh token handed out, so tests
    can check none of them leaks.
    """

    def __init__(
        self,
        *,
        projects: dict[str, dict[str, Any]] | None = None,
        access_ttl: float = 3600.0,
        user_email: str = "person@example.test",
        clock: Any = None,
    ) -> None:
        self.projects = projects if projects is not None else {}
        self.access_ttl = access_ttl
        self.user_email = user_email
        self.calls: Counter[str] = Counter()
        self.issued: list[str] = []
        self.deny_authorize = False
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, list[str]] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, float] = {}  # token → expires at (fake clock)
        self._refresh: dict[str, str] = {}  # token → client id

    def now(self) -> float:
        import time

        return float(self._clock()) if self._clock is not None else time.time()

    # --- what the API routes ask ---------------------------------------------------------

    def accepts(self, token: str) -> bool:
        """Whether ``token`` is a live access token this server issued."""
        with self._lock:
            expires = self._access.get(token)
        return expires is not None and self.now() < expires

    def expire_tokens(self) -> None:
        """Expire every access token issued so far (refresh tokens stay valid)."""
        with self._lock:
            for token in self._access:
                self._access[token] = 0.0

    def grant(self, client_id: str | None = None) -> dict[str, Any]:
        """Issue tokens without a login (a test's starting point): the token answer, with
        ``client_id`` (registered here if new)."""
        client_id = client_id or "client-" + secrets.token_hex(8)
        with self._lock:
            self._clients.setdefault(client_id, [])
        return {**self._issue(client_id), "client_id": client_id}

    # --- routes ----------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, body: Any, auth: str) -> Answer:
        """Answer one request: (status, JSON-able body or bytes, extra headers)."""
        if path == "/api/app/me" and method == "GET":
            return self._me(auth)
        if path == "/oauth/mcp/register/" and method == "POST":
            return self._register(body)
        if path == "/oauth/authorize/" and method == "GET":
            return self._authorize(query)
        if path == "/oauth/token/" and method == "POST":
            return self._token(body)
        return 404, {"error": f"no such endpoint: {path}"}, {}

    def _register(self, body: Any) -> Answer:
        uris = body.get("redirect_uris") if isinstance(body, dict) else None
        if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
            return 400, {"error": "invalid_client_metadata"}, {}
        client_id = "client-" + secrets.token_hex(8)
        with self._lock:
            self._clients[client_id] = uris
            self.calls["register"] += 1
        return 201, {"client_id": client_id, "redirect_uris": uris}, {}

    def _authorize(self, query: str) -> Answer:
        q = {k: v[-1] for k, v in parse_qs(query).items()}
        self.calls["authorize"] += 1
        client_id, redirect = q.get("client_id", ""), q.get("redirect_uri", "")
        if client_id not in self._clients or not _loopback_redirect(redirect):
            return 400, {"error": "invalid_request"}, {}
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            return 400, {"error": "unsupported_response_type"}, {}
        params = {"state": q.get("state", "")}
        if self.deny_authorize:
            params["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._codes[code] = _Code(client_id, redirect, q.get("code_challenge", ""))
            params["code"] = code
        return 302, {"status": "redirect"}, {"Location": f"{redirect}?{urlencode(params)}"}

    def _issue(self, client_id: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = self.now() + self.access_ttl
            self._refresh[refresh] = client_id
            self.issued += [access, refresh]
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.access_ttl),
            "scope": "read:project",
            "token_type": "Bearer",
        }

    def _token(self, body: Any) -> Answer:
        form = {k: v[-1] for k, v in parse_qs(body if isinstance(body, str) else "").items()}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            self.calls["code"] += 1
            with self._lock:
                code = self._codes.pop(form.get("code", ""), None)  # single use
            if (
                code is None
                or code.client_id != form.get("client_id")
                or code.redirect_uri != form.get("redirect_uri")
                or _challenge(form.get("code_verifier", "")) != code.challenge
            ):
                return 400, {"error": "invalid_grant"}, {}
            return 200, self._issue(code.client_id), {}
        if grant == "refresh_token":
            self.calls["refresh"] += 1
            with self._lock:
                owner = self._refresh.pop(form.get("refresh_token", ""), None)  # rotates
            if owner is None or owner != form.get("client_id"):
                return 400, {"error": "invalid_grant"}, {}
            return 200, self._issue(owner), {}
        return 400, {"error": "unsupported_grant_type"}, {}

    def _me(self, auth: str) -> Answer:
        self.calls["me"] += 1
        scheme, _, token = auth.partition(" ")
        if scheme != "Bearer" or not self.accepts(token):
            return 401, {"error": "Invalid or expired token"}, {}
        return 200, {"results": {"user_email": self.user_email, "projects": self.projects}}, {}
