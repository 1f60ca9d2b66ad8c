"""Credentials go to the configured host only: no redirect is followed, no plain http
leaves the machine.

A second fake on another port stands for "another host". Every API route and the CDN
answer 301/302/303/307/308 pointing at it; the client must report a typed error and the
other host must receive nothing at all (neither the ``Authorization`` header nor a signed
query string), even when the caller hands in an ``httpx.AsyncClient`` that follows
redirects by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _fakenet import CHECKOUT, client, leaks, serving, settle, shared_tls_context

from replaykit import (
    ConfigError,
    InvalidResponseError,
    MixpanelClient,
    MixpanelConfig,
    QueryError,
    ReplaykitError,
)
from replaykit.testing import FakeMixpanel, Faults

pytestmark = pytest.mark.anyio

STATUSES = (301, 302, 303, 307, 308)
ROUTES = {"discover": "insights", "sign": "sign", "events": "export", "chunk": "cdn"}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeMixpanel, FakeMixpanel]]:
    with shared_tls_context(), serving() as server, FakeMixpanel() as other:
        yield server, other


@pytest.fixture
def fake(servers: tuple[FakeMixpanel, FakeMixpanel]) -> FakeMixpanel:
    server = servers[0]
    settle(server)
    server.faults = Faults()
    server.reset_log()
    return server


@pytest.fixture
def elsewhere(servers: tuple[FakeMixpanel, FakeMixpanel]) -> FakeMixpanel:
    """Another host: any request reaching it is a failure of the test."""
    other = servers[1]
    assert other.requests == [] and other.connections_opened == 0
    return other


async def _operation(mp: MixpanelClient, route: str) -> Any:
    if route == "discover":
        return [d async for d in mp.discover(distinct_id="user-42")]
    if route == "sign":
        return [s async for s in mp.sign([CHECKOUT])]
    if route == "events":
        return [e async for e in mp.events(CHECKOUT, distinct_id="user-42")]
    async with mp.fetch_chunks(CHECKOUT, retention_days=30) as chunks:
        return [c async for c in chunks]


@pytest.mark.parametrize("follows_by_default", [False, True], ids=["own-client", "caller-client"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("route", ROUTES)
async def test_redirects_are_not_followed(
    fake: FakeMixpanel,
    elsewhere: FakeMixpanel,
    route: str,
    status: int,
    follows_by_default: bool,
) -> None:
    target = ROUTES[route]
    chunk = 2 if target == "cdn" else None
    fake.inject(
        target,
        "redirect",
        status=status,
        chunk=chunk,
        times=None,
        location=elsewhere.base_url + "/x",
    )
    http = httpx.AsyncClient(follow_redirects=True) if follows_by_default else None
    try:
        with pytest.raises(ReplaykitError) as info:
            async with client(fake, http_client=http) as mp:
                await _operation(mp, route)
    finally:
        if http is not None:
            await http.aclose()
    error = info.value
    if target == "cdn":
        assert type(error) is InvalidResponseError
        assert error.message == f"CDN answered HTTP {status} for chunk file 2"
    else:
        assert type(error) is QueryError and error.exit_code == 3
        assert f"request rejected ({status})" in error.message
    # Asked once (a redirect is not a fault to retry), and nothing went elsewhere.
    asked = [r for r in fake.requests if r.route == target and r.fault == "redirect"]
    assert len(asked) == 1
    assert elsewhere.requests == [] and elsewhere.connections_opened == 0
    assert leaks(fake, str(error), repr(error)) == []
    settle(fake)


async def test_a_same_host_redirect_is_not_followed_either(fake: FakeMixpanel) -> None:
    fake.inject("sign", "redirect", status=307, location="/api/app/elsewhere", times=None)
    async with client(fake) as mp:
        with pytest.raises(QueryError, match=r"\(307\)"):
            await mp.sign_replay(CHECKOUT)
    assert [r.route for r in fake.requests] == ["sign"]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1:8080",
        "http://mixpanel.com",
        "http://[2001:db8::1]",
        "http://127.0.0.1.example.com",
        # *.localhost is loopback in browsers only: Python's resolver asks DNS for it.
        "http://api.localhost",
    ],
)
def test_plain_http_is_refused_unless_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match="refusing plain http"):
        MixpanelConfig(project_id=1, username="u", secret="s", base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "https://proxy.example",
        "http://127.0.0.1:9",
        "http://127.8.9.10",
        "http://localhost:9",
        "http://LOCALHOST:9",
        "http://[::1]:9",
    ],
)
def test_https_anywhere_and_plain_http_to_loopback_are_allowed(url: str) -> None:
    assert MixpanelConfig(project_id=1, username="u", secret="s", base_url=url).base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "https://user:CANARY-pw@proxy.example",
        "ftp://user:CANARY-pw@proxy.example",  # refused for its scheme: still not echoed
        "user:CANARY-pw@proxy.example",  # no scheme at all
        "https://proxy.example/?token=CANARY-pw",
    ],
)
def test_credentials_in_the_base_url_are_refused_and_not_echoed(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        MixpanelConfig(project_id=1, oauth_token="t", base_url=url)
    assert "CANARY" not in str(info.value) and "CANARY" not in repr(info.value.args)


async def test_a_plain_http_cdn_prefix_off_this_machine_is_never_asked(
    fake: FakeMixpanel,
) -> None:
    # The sign answer decides where the signed query string goes: plain http only to
    # loopback, so a downgraded prefix is refused before any CDN request.
    fake.faults.cdn_origin = "http://cdn.example.com"
    async with client(fake) as mp:
        with pytest.raises(InvalidResponseError, match="not https"):
            await mp.sign_replay(CHECKOUT)
    assert fake.calls("cdn") == 0


async def test_credentials_go_to_the_api_never_to_the_cdn(fake: FakeMixpanel) -> None:
    async with client(fake) as mp:
        assert await _operation(mp, "chunk")
        assert await _operation(mp, "events")
        assert await _operation(mp, "discover")
    settle(fake)
    for request in fake.requests:
        carries = "authorization" in request.headers
        assert carries == (request.route != "cdn"), request.route
