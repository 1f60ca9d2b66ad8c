"""The fake Mixpanel's signing and clock: Cloud-CDN-style signed URL prefixes, the tokens
behind them (expiry, use limits) and the fake's own clock that expires them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import threading
import time
from urllib.parse import parse_qs

import msgspec

from ._fake_faults import Faults

__all__: list[str] = []


class _Token(msgspec.Struct, kw_only=True):
    token_id: int
    prefix: str
    expires_at: float
    uses: int = 0


class _SigningClock:
    """The signing and clock half of :class:`~replaykit.testing.FakeMixpanel`, which sets
    these attributes."""

    project_id: int
    faults: Faults
    signed_query_strings: list[str]
    _key: bytes
    _lock: threading.Lock
    _tokens: dict[str, _Token]
    _by_sha: dict[str, tuple[str, str]]  # prefix hash → (replay id, env)
    _clock_offset: float

    def now(self) -> float:
        """The fake's clock: ``time.time()`` plus whatever :meth:`advance` added."""
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (tokens expire without sleeping)."""
        self._clock_offset += seconds

    def expire_signatures(self) -> None:
        """Expire every signed URL issued so far; new sign calls still work."""
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = 0.0

    def _sha(self, replay_id: str, env: str) -> str:
        sha = hashlib.sha1(f"{self.project_id}:{env}:{replay_id}".encode()).hexdigest()
        with self._lock:
            self._by_sha[sha] = (replay_id, env)
        return sha

    def _sign(self, prefix: str) -> str:
        """A Cloud-CDN-style signed-prefix query string; each one names its own key."""
        expires_at = self.now() + self.faults.sign_ttl
        b64 = base64.urlsafe_b64encode(prefix.encode()).decode()
        with self._lock:
            token_id = len(self._tokens) + 1
            unsigned = f"URLPrefix={b64}&Expires={math.ceil(expires_at)}&KeyName=fake-{token_id}"
            digest = hmac.new(self._key, unsigned.encode(), hashlib.sha1).digest()
            signature = base64.urlsafe_b64encode(digest).decode()
            self._tokens[signature] = _Token(
                token_id=token_id, prefix=prefix, expires_at=expires_at
            )
            qs = f"{unsigned}&Signature={signature}"
            self.signed_query_strings.append(qs)
        return qs

    def _check_token(self, url: str, query: str) -> tuple[int | None, str | None]:
        """(token id, None) when the signed query string allows ``url``, else (id, why)."""
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        try:
            prefix = base64.urlsafe_b64decode(params["URLPrefix"]).decode()
            unsigned = (
                f"URLPrefix={params['URLPrefix']}&Expires={params['Expires']}"
                f"&KeyName={params['KeyName']}"
            )
            signature = params["Signature"]
        except (KeyError, ValueError):
            return None, "signature invalid"
        expected = hmac.new(self._key, unsigned.encode(), hashlib.sha1).digest()
        if not hmac.compare_digest(base64.urlsafe_b64encode(expected), signature.encode()):
            return None, "signature invalid"
        with self._lock:
            token = self._tokens.get(signature)
            if token is None or not url.startswith(prefix):
                return None, "signature invalid"
            token.uses += 1
            limit = self.faults.sign_max_uses
            if self.now() >= token.expires_at or (limit is not None and token.uses > limit):
                return token.token_id, "signature expired"
        return token.token_id, None
