"""URL patterns: `normalize_url` folds ids out of paths so that pages group
(`/shop/product/:id`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["normalize_url"]

_NUMERIC = re.compile(r"\d+")
_LONG_HEX = re.compile(r"[0-9a-fA-F]{8,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _id_segment(segment: str) -> bool:
    if _NUMERIC.fullmatch(segment) or _UUID.fullmatch(segment):
        return True
    return _LONG_HEX.fullmatch(segment) is not None and any(ch.isdigit() for ch in segment)


def normalize_url(url: str) -> str:
    """URL pattern for grouping pages: query, fragment and credentials dropped, id-like path
    segments (numbers, 8+ hex chars with a digit, UUIDs) replaced by `:id`; scheme and host
    kept. Anything that does not parse comes back unchanged.

    >>> normalize_url("http://h/shop/product/44?x=1")
    'http://h/shop/product/:id'
    """
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return url
    if not (parts.scheme or parts.netloc or parts.path):
        return url
    netloc = parts.netloc
    if host is not None:
        # Drop user:password@ and normalise the host's case; keep an explicit port.
        host_text = f"[{host}]" if ":" in host else host
        netloc = host_text if port is None else f"{host_text}:{port}"
    path = "/".join(":id" if _id_segment(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "", ""))
