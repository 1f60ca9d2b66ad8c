"""Sign: trade replay ids for short-lived CDN access (one bulk call per batch).

``POST {app}/projects/{project_id}/replays/sign/bulk`` with
``{"replays": [{"replay_id": ..., "replay_env": "prod"}, ...]}`` answers
``{"results": [{"replay_id", "url", "query_string"}, ...]}``. ``url`` is the replay's CDN
prefix; ``query_string`` is a signed-prefix token, a bearer credential for ~5 minutes.
Results are matched to ids by ``replay_id``, not by position.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import msgspec

from ..._errors import InvalidResponseError, MixpanelError, ReplayNotFoundError
from ._config import _is_loopback
from ._http import Session

__all__ = ["SIGNATURE_LIFETIME_MS", "SignedReplay", "sign_batch", "sign_replays"]

SIGNATURE_LIFETIME_MS: Final = 300_000
"""How long a signature is trusted (5 minutes), counted from just before the sign call."""

_EXPIRES = re.compile(r"(?:^|&)Expires=(\d{9,12})(?:&|$)")
_WARNING: Final = "url and query_string are a bearer credential valid for ~5 minutes"


def _masked(text: str) -> str:
    return f"<redacted {len(text)} chars>"


def _mask_url(url: str) -> str:
    base, sep, query = url.partition("?")
    return f"{base}?{_masked(query)}" if sep else base


class SignedReplay(msgspec.Struct, frozen=True, kw_only=True):
    """CDN access to one replay: chunk ``N`` is ``{url}{N:04d}-{retention}.json?{query_string}``.

    ``signed_at`` and ``expires_at`` are epoch milliseconds; ``expires_at`` is the earlier
    of five minutes after ``signed_at`` and the token's own ``Expires``.

    The query string is a bearer credential. ``repr``/``str`` show it as
    ``<redacted N chars>`` (and mask any query in ``url``); :meth:`to_dict` masks it
    unless ``reveal=True``. Encoding the Struct itself with msgspec writes the raw values:
    use :meth:`to_dict` for anything that leaves the process.
    """

    replay_id: str
    url: str
    query_string: str
    signed_at: int
    expires_at: int

    def chunk_url(self, index: int, retention_days: int) -> str:
        """The signed URL of chunk file ``index`` (keep it out of logs and messages)."""
        return f"{self.url}{index:04d}-{retention_days}.json?{self.query_string}"

    def is_expired(self, now_ms: int, margin_ms: int = 0) -> bool:
        """True when the signature is past (or within ``margin_ms`` of) ``expires_at``."""
        return now_ms >= self.expires_at - margin_ms

    def _masked_fields(self) -> Iterator[tuple[str, Any]]:
        yield "replay_id", self.replay_id
        yield "url", _mask_url(self.url)
        yield "query_string", _masked(self.query_string)
        yield "signed_at", self.signed_at
        yield "expires_at", self.expires_at

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._masked_fields())
        return f"SignedReplay({inner})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """Rich's pretty printer uses this instead of ``__repr__``: mask there too."""
        return list(self._masked_fields())

    def to_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """A plain dict; the credential is masked unless ``reveal`` is true.

        A revealed dict carries a ``"_warning"`` key saying that it holds a bearer
        credential, so it is obvious in whatever file or log it lands in.
        """
        if not reveal:
            return dict(self._masked_fields())
        return {
            "replay_id": self.replay_id,
            "url": self.url,
            "query_string": self.query_string,
            "signed_at": self.signed_at,
            "expires_at": self.expires_at,
            "_warning": _WARNING,
        }


def _expires_at(query_string: str, signed_at: int) -> int:
    limit = signed_at + SIGNATURE_LIFETIME_MS
    found = _EXPIRES.search(query_string)
    if found:
        token_ms = int(found.group(1)) * 1000
        # Trust the token's Expires only when it is plausible: a clock skewed the other way
        # would otherwise make every signature look expired at birth.
        if signed_at < token_ms < limit:
            return token_ms
    return limit


def _parse_entry(entry: Any, replay_id: str, signed_at: int) -> SignedReplay | MixpanelError:
    if not isinstance(entry, dict):
        return InvalidResponseError("sign: result entry is not an object", replay_id=replay_id)
    url, query = entry.get("url"), entry.get("query_string")
    if not isinstance(url, str) or not url.endswith("/"):
        return InvalidResponseError(
            "sign: result has no CDN prefix ending in '/'", replay_id=replay_id
        )
    if not isinstance(query, str) or not query:
        return InvalidResponseError("sign: result has an empty query_string", replay_id=replay_id)
    parts = urlsplit(url)
    # The query string is a credential: send it over plain http only to this machine.
    if parts.scheme != "https" and not (
        parts.scheme == "http" and _is_loopback(parts.hostname or "")
    ):
        return InvalidResponseError(
            "sign: refusing a CDN prefix that is not https", replay_id=replay_id
        )
    return SignedReplay(
        replay_id=replay_id,
        url=url,
        query_string=query.lstrip("?"),
        signed_at=signed_at,
        expires_at=_expires_at(query, signed_at),
    )


async def sign_batch(
    session: Session, replay_ids: Sequence[str]
) -> dict[str, SignedReplay | MixpanelError]:
    """Sign ``replay_ids`` with one bulk call; a result or an error per id.

    Errors that concern the whole call (auth, access, 5xx after retries) raise. An id the
    answer leaves out maps to :class:`~replaykit.ReplayNotFoundError`.
    """
    ids = list(dict.fromkeys(replay_ids))
    if not ids:
        return {}
    cfg = session.config
    signed_at = session.now_ms()  # before the request: the token may be older than it looks
    body = {"replays": [{"replay_id": rid, "replay_env": cfg.replay_env} for rid in ids]}
    data = await session.api_json(
        "POST",
        f"{cfg.app_base}/projects/{cfg.project_id}/replays/sign/bulk",
        what="sign",
        json=body,
    )
    results = data.get("results") if isinstance(data, dict) else data
    if not isinstance(results, list):
        raise InvalidResponseError("sign: the answer has no results list")
    out: dict[str, SignedReplay | MixpanelError] = {}
    keyed = all(isinstance(e, dict) and isinstance(e.get("replay_id"), str) for e in results)
    if keyed:
        for entry in results:
            rid = entry["replay_id"]
            if rid in ids and rid not in out:
                out[rid] = _parse_entry(entry, rid, signed_at)
    elif len(results) == len(ids):
        # No ids in the answer: fall back to the order of the request, the only other key.
        for rid, entry in zip(ids, results, strict=True):
            out[rid] = _parse_entry(entry, rid, signed_at)
    for rid in ids:
        if rid not in out:
            out[rid] = ReplayNotFoundError(
                "the sign answer has no entry for this replay", replay_id=rid
            )
    return out


async def sign_replays(
    session: Session, replay_ids: Iterable[str], *, batch_size: int
) -> AsyncGenerator[SignedReplay, None]:
    """Yield a :class:`SignedReplay` per id, in input order, one bulk call per batch.

    Raises the first per-id error (e.g. an id missing from the answer).
    """
    batch: list[str] = []

    async def flush() -> AsyncIterator[SignedReplay]:
        results = await sign_batch(session, batch)
        for rid in batch:
            result = results[rid]
            if isinstance(result, MixpanelError):
                raise result
            yield result
        batch.clear()

    for rid in replay_ids:
        batch.append(rid)
        if len(batch) >= batch_size:
            async for signed in flush():
                yield signed
    if batch:
        async for signed in flush():
            yield signed
