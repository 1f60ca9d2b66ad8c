"""The Mixpanel client against respx routes: every endpoint shape and error code.

respx runs behind ``httpx.MockTransport(router.async_handler)``: no global patching, the
real client code runs, and retries sleep through an injected recorder (no real waiting).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from _mp import APP, CANARY, CDN, CFG, EXPORT, NOW_S, PROJECT, QUERY, chunk_events, query_string

import replaykit
from replaykit import (
    AuthenticationError,
    ClientLimits,
    ConfigError,
    EventChunk,
    InvalidResponseError,
    MixpanelClient,
    MixpanelConfig,
    QueryError,
    RateLimitError,
    RecordingFormatError,
    ReplayDescriptor,
    ReplayNotFoundError,
    ServerError,
    SessionReplayAccessError,
    SignedReplay,
    SignedURLExpiredError,
    Timeouts,
    TransientError,
    UnsupportedReplayFormatError,
)

pytestmark = pytest.mark.anyio

INSIGHTS = f"{QUERY}/insights"
SIGN = f"{APP}/projects/{PROJECT}/replays/sign/bulk"
PREFIX = f"{CDN}sha-abc-{PROJECT}/"


def client(
    router: respx.Router,
    delays: list[float] | None = None,
    *,
    config: MixpanelConfig = CFG,
    clock: Callable[[], float] = lambda: NOW_S,
    **limits: int,
) -> MixpanelClient:
    sink = delays if delays is not None else []

    async def sleep(seconds: float) -> None:
        sink.append(seconds)

    return MixpanelClient(
        config,
        transport=httpx.MockTransport(router.async_handler),
        sleep=sleep,
        clock=clock,
        rand=lambda: 0.0,
        limits=ClientLimits(**limits) if limits else None,
    )


def series(metric: dict[str, Any], **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"series": {"Session [Minimum Time]": metric}, **extra})


async def collect(agen: AsyncIterator[Any]) -> list[Any]:
    async with aclosing(agen) as items:  # type: ignore[type-var]
        return [item async for item in items]


def signed(rid: str = "r-1", qs: str | None = None, retention: int = 30) -> SignedReplay:
    now = int(NOW_S * 1000)
    return SignedReplay(
        replay_id=rid,
        url=PREFIX,
        query_string=qs or query_string(),
        signed_at=now,
        expires_at=now + 300_000,
    )


# --- configuration -------------------------------------------------------------------------


def test_config_from_env_and_precedence(tmp_path: Path) -> None:
    file = tmp_path / "mp.toml"
    file.write_text('[mixpanel]\nproject_id = 7\nregion = "in"\nusername = "f"\nsecret = "fs"\n')
    env = {"MP_USERNAME": "sa", "MP_SECRET": "x", "MP_PROJECT_ID": "42", "MP_REGION": "EU"}
    cfg = MixpanelConfig.from_env(env, config_file=file)
    assert (cfg.project_id, cfg.region, cfg.username) == (42, "eu", "sa")
    assert cfg.query_base == "https://eu.mixpanel.com/api/query"
    assert cfg.export_base == "https://data-eu.mixpanel.com/api/2.0"
    # Arguments win over the environment, which wins over the file.
    cfg = MixpanelConfig.from_env(env, config_file=file, project_id=9, region=None)
    assert (cfg.project_id, cfg.region) == (9, "eu")
    only_file = MixpanelConfig.from_env({}, config_file=file)
    assert (only_file.project_id, only_file.region, only_file.username) == (7, "in", "f")
    assert only_file.app_base == "https://in.mixpanel.com/api/app"
    bearer = MixpanelConfig.from_env({"MP_OAUTH_TOKEN": "tok", "MP_PROJECT_ID": "1"})
    assert not bearer.uses_service_account


@pytest.mark.parametrize(
    ("env", "kw", "needle"),
    [
        ({"MP_PROJECT_ID": "12a", "MP_OAUTH_TOKEN": "t"}, {}, "digits"),
        ({"MP_PROJECT_ID": "1", "MP_OAUTH_TOKEN": "t", "MP_REGION": "mars"}, {}, "region"),
        ({"MP_PROJECT_ID": "1"}, {}, "credentials"),
        ({"MP_OAUTH_TOKEN": "t"}, {}, "project id"),
        ({"MP_PROJECT_ID": "1", "MP_USERNAME": "u"}, {}, "both"),
        (
            {"MP_PROJECT_ID": "1", "MP_OAUTH_TOKEN": "t"},
            {"base_url": "http://example.com"},
            "loopback",
        ),
        ({"MP_PROJECT_ID": "1", "MP_OAUTH_TOKEN": "t"}, {"base_url": "ftp://127.0.0.1"}, "http"),
        ({"MP_PROJECT_ID": "1", "MP_OAUTH_TOKEN": "t"}, {"nope": 1}, "unknown"),
    ],
)
def test_config_errors(env: dict[str, str], kw: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        MixpanelConfig.from_env(env, config_file=None, **kw)
    assert info.value.exit_code == 1


def test_config_base_url_loopback_and_masked_repr() -> None:
    for url in (
        "http://127.0.0.1:8080/",
        "http://localhost:1",
        "http://[::1]:9",
        "https://p.example",
    ):
        cfg = MixpanelConfig(project_id=1, oauth_token="tok-secret", base_url=url)
        assert cfg.query_base == url.rstrip("/") + "/api/query"
        assert cfg.export_base == url.rstrip("/") + "/api/2.0"
    cfg = MixpanelConfig(project_id=1, username="u", secret="pw-secret", oauth_token="tok-secret")
    for text in (repr(cfg), str(cfg), repr(cfg.__rich_repr__())):
        assert "pw-secret" not in text and "tok-secret" not in text and "<redacted>" in text
    with pytest.raises(ConfigError):
        Timeouts(read=0)


def test_client_repr_and_state() -> None:
    mp = MixpanelClient(CFG, transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    assert "s3cret" not in repr(mp) and "12345" in repr(mp)


async def test_closed_client_refuses_calls() -> None:
    router = respx.Router()
    mp = client(router)
    async with mp:
        pass
    assert mp.http.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        mp.discover()


# --- discover ------------------------------------------------------------------------------


async def test_discover_request_shape_and_parsing() -> None:
    router = respx.Router()
    route = router.post(INSIGHTS).mock(
        return_value=series(
            {
                "$overall": {"all": 1779319127},
                "rid-aaa": {"$overall": {"all": 1779322882}, "30": {"all": 1779322882}},
                "rid-bbb": {"$overall": {"all": 1779332317}, "7": {"all": "1779332317"}},
                "rid-ms": {"$overall": {"all": 1779332317000}, "180": {"all": 1779332318000}},
                "": {"30": {"all": 1}},
                "rid-bad": "not a dict",
                "rid-nostart": {"$overall": {"all": 0}, "30": {"all": None}},
            }
        )
    )
    async with client(router) as mp:
        found = await collect(
            mp.discover(distinct_id="user-42", from_date="2026-05-20", to_date=dt.date(2026, 5, 27))
        )
    request = route.calls.last.request
    assert request.url.params["query_origin"] == "replaykit"
    assert "project_id" not in request.url.params
    token = base64.b64encode(b"sa.test:s3cret-value").decode()
    assert request.headers["authorization"] == f"Basic {token}"
    body = json.loads(request.content)
    assert body["project_id"] == PROJECT and body["queryLimits"] == {"limit": 3000}
    sections = body["bookmark"]["sections"]
    assert sections["show"][0]["behavior"]["name"] == "$mp_session_record"
    assert sections["show"][0]["measurement"] == {
        "math": "min",
        "property": {"name": "$time", "resourceType": "events"},
    }
    assert sections["time"] == [
        {"dateRangeType": "between", "unit": "day", "value": ["2026-05-20", "2026-05-27"]}
    ]
    assert [g["propertyName"] for g in sections["group"]] == [
        "$mp_replay_id",
        "$mp_replay_retention_period",
    ]
    assert sections["filter"][0]["value"] == "$distinct_id"
    assert sections["filter"][0]["filterValue"] == ["user-42"]
    # Newest first, seconds → ms, any positive retention, malformed rows skipped.
    assert [(d.replay_id, d.start_time_ms, d.retention_days) for d in found] == [
        ("rid-ms", 1779332318000, 180),
        ("rid-bbb", 1779332317000, 7),
        ("rid-aaa", 1779322882000, 30),
    ]
    assert all(d.distinct_id == "user-42" and d.retention_known for d in found)


async def test_discover_defaults_missing_retention_and_limit() -> None:
    router = respx.Router()
    route = router.post(INSIGHTS).mock(
        return_value=series(
            {
                "rid-old": {"$overall": {"all": 1779319127}},
                "rid-odd": {"$overall": {"all": 1779319999}, "n/a": {"all": 1779319998}},
                "rid-new": {"$overall": {"all": 1779329127}, "90": {"all": 1779329127}},
            }
        )
    )
    async with client(router) as mp:
        with pytest.warns(UserWarning) as record:
            found = await collect(mp.discover())
            limited = await collect(mp.discover(limit=1))
    warned = " ".join(str(w.message) for w in record)
    assert "rid-old" in warned and "rid-odd" in warned and "rid-new" not in warned
    by_id = {d.replay_id: d for d in found}
    assert by_id["rid-old"].retention_days == 30 and not by_id["rid-old"].retention_known
    assert by_id["rid-odd"].start_time_ms == 1779319998000  # first non-rollup child
    assert [d.replay_id for d in limited] == ["rid-new"]
    time = json.loads(route.calls[0].request.content)["bookmark"]["sections"]["time"][0]
    assert time == {
        "dateRangeType": "in the last",
        "unit": "day",
        "window": {"unit": "day", "value": 90},
    }


async def test_discover_by_ids_and_one_sided_dates() -> None:
    router = respx.Router()
    route = router.post(INSIGHTS).mock(return_value=series({}))
    async with client(router) as mp:
        assert await collect(mp.discover(replay_ids=["a", "b", "a"], to_date="2026-05-27")) == []
        desc = await mp.describe("zzz")
    body = json.loads(route.calls[0].request.content)
    assert body["bookmark"]["sections"]["filter"][0]["filterValue"] == ["a", "b"]
    assert body["bookmark"]["sections"]["time"][0]["value"] == ["2026-02-27", "2026-05-27"]
    assert desc == ReplayDescriptor(replay_id="zzz", retention_known=False)


@pytest.mark.parametrize(
    ("response", "error", "code"),
    [
        (httpx.Response(200, json={"error": "bad bookmark"}), QueryError, 3),
        (httpx.Response(200, json={"computed_at": "x"}), QueryError, 3),
        (httpx.Response(200, text="<html>"), InvalidResponseError, 1),
        (httpx.Response(400, json={"error": "invalid date"}), QueryError, 3),
        (httpx.Response(404, text="nope"), QueryError, 3),
        (httpx.Response(401, json={"error": "bad creds"}), AuthenticationError, 2),
        (httpx.Response(403, json={"error": "not a member"}), AuthenticationError, 2),
    ],
)
async def test_discover_errors(response: httpx.Response, error: type[Exception], code: int) -> None:
    router = respx.Router()
    route = router.post(INSIGHTS).mock(return_value=response)
    async with client(router) as mp:
        with pytest.raises(error) as info:
            await collect(mp.discover())
    assert info.value.exit_code == code  # type: ignore[attr-defined]
    assert route.call_count == 1  # never retried


async def test_insights_row_cap_warns() -> None:
    router = respx.Router()
    router.post(INSIGHTS).mock(return_value=series({}, meta={"is_segmentation_limit_hit": True}))
    async with client(router) as mp:
        with pytest.warns(UserWarning, match="row cap"):
            await collect(mp.discover())


async def test_api_retries_honour_retry_after_then_give_up() -> None:
    router = respx.Router()
    route = router.post(INSIGHTS).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503),
            httpx.ConnectError("refused"),
            series({"r": {"30": {"all": 1779319127}}}),
        ]
    )
    delays: list[float] = []
    async with client(router, delays) as mp:
        found = await collect(mp.discover())
    assert [d.replay_id for d in found] == ["r"]
    assert route.call_count == 4
    assert delays == [7.0, 1.0, 2.0]  # Retry-After as given, else 0.5 * 2**n (jitter drawn 0)

    router = respx.Router()
    router.post(INSIGHTS).mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))
    async with client(router) as mp:
        with pytest.raises(RateLimitError) as info:
            await collect(mp.discover())
    assert info.value.exit_code == 5 and info.value.retry_after == 1.0
    assert "after 4 attempts" in str(info.value)

    router = respx.Router()
    route = router.post(INSIGHTS).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"})
    )
    async with client(router) as mp:
        with pytest.raises(RateLimitError):
            await collect(mp.discover())
    assert route.call_count == 1  # too long to wait: give up at once

    router = respx.Router()
    router.post(INSIGHTS).mock(return_value=httpx.Response(502))
    async with client(router) as mp:
        with pytest.raises(ServerError) as server:
            await collect(mp.discover())
    assert server.value.status == 502 and server.value.exit_code == 1


async def test_retry_after_http_date_and_bearer_auth() -> None:
    when = dt.datetime.fromtimestamp(NOW_S + 12, dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    router = respx.Router()
    route = router.post(INSIGHTS).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": when}), series({})]
    )
    delays: list[float] = []
    cfg = MixpanelConfig(project_id=PROJECT, oauth_token="tok-1", workspace_id=77)
    async with client(router, delays, config=cfg) as mp:
        await collect(mp.discover())
    assert delays == [12.0]
    assert route.calls.last.request.headers["authorization"] == "Bearer tok-1"
    assert route.calls.last.request.url.params["workspace_id"] == "77"


async def test_base_url_override_serves_every_path_from_one_origin() -> None:
    base = "http://127.0.0.1:8999"
    router = respx.Router()
    insights = router.post(f"{base}/api/query/insights").mock(return_value=series({}))
    sign = router.post(f"{base}/api/app/projects/{PROJECT}/replays/sign/bulk").mock(
        return_value=httpx.Response(
            200,
            json={"results": [{"replay_id": "r", "url": f"{base}/cdn/x/", "query_string": "a=b"}]},
        )
    )
    export = router.get(f"{base}/api/2.0/export").mock(return_value=httpx.Response(200, text=""))
    cfg = MixpanelConfig(project_id=PROJECT, username="u", secret="s", base_url=base)
    async with client(router, config=cfg) as mp:
        await collect(mp.discover())
        assert (await mp.sign_replay("r")).url == f"{base}/cdn/x/"
        await collect(mp.events("r"))
    assert insights.called and sign.called and export.called


# --- sign ----------------------------------------------------------------------------------


async def test_sign_request_shape_rekeyed_results_and_expiry() -> None:
    router = respx.Router()
    route = router.post(SIGN).mock(
        return_value=httpx.Response(
            200,
            json={
                "results": [
                    {"replay_id": "r-2", "url": PREFIX, "query_string": query_string(NOW_S + 120)},
                    {
                        "replay_id": "r-1",
                        "url": PREFIX,
                        "query_string": "?" + query_string(NOW_S + 9999),
                    },
                ]
            },
        )
    )
    async with client(router) as mp:
        out = await collect(mp.sign(["r-1", "r-2"]))
    request = route.calls.last.request
    assert "query_origin" not in request.url.params
    assert json.loads(request.content) == {
        "replays": [
            {"replay_id": "r-1", "replay_env": "prod"},
            {"replay_id": "r-2", "replay_env": "prod"},
        ]
    }
    assert [s.replay_id for s in out] == ["r-1", "r-2"]  # input order, matched by id
    now_ms = int(NOW_S * 1000)
    assert out[0].signed_at == now_ms and out[0].expires_at == now_ms + 300_000
    assert not out[0].query_string.startswith("?")
    assert out[1].expires_at == now_ms + 120_000  # the token's own Expires, when earlier
    assert out[1].chunk_url(3, 90) == f"{PREFIX}0003-90.json?{query_string(NOW_S + 120)}"


async def test_sign_batches_and_positional_fallback() -> None:
    router = respx.Router()
    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [r["replay_id"] for r in json.loads(request.content)["replays"]]
        seen.append(len(ids))
        # No replay_id in the entries: matched by position.
        return httpx.Response(
            200, json={"results": [{"url": PREFIX, "query_string": "q=1"} for _ in ids]}
        )

    router.post(SIGN).mock(side_effect=answer)
    async with client(router, sign_batch=25) as mp:
        out = await collect(mp.sign([f"r{i}" for i in range(60)]))
    assert seen == [25, 25, 10]
    assert [s.replay_id for s in out] == [f"r{i}" for i in range(60)]


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (None, ReplayNotFoundError),
        (
            {"replay_id": "r-1", "url": "https://cdn.mxpnl.com/x", "query_string": "q"},
            InvalidResponseError,
        ),
        (
            {"replay_id": "r-1", "url": "http://cdn.example/x/", "query_string": "q"},
            InvalidResponseError,
        ),
        ({"replay_id": "r-1", "url": PREFIX, "query_string": ""}, InvalidResponseError),
    ],
)
async def test_sign_bad_entries(entry: dict[str, str] | None, error: type[Exception]) -> None:
    router = respx.Router()
    results = [entry] if entry else [{"replay_id": "other", "url": PREFIX, "query_string": "q"}]
    router.post(SIGN).mock(return_value=httpx.Response(200, json={"results": results}))
    async with client(router) as mp:
        with pytest.raises(error) as info:
            await mp.sign_replay("r-1")
    assert info.value.replay_id == "r-1"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        {"error": "Forbidden: SESSION_RECORDING_SENSITIVE_DATA required"},
        ["SESSION_RECORDING_SENSITIVE_DATA"],
        "SESSION_RECORDING_SENSITIVE_DATA",
    ],
)
async def test_sign_sensitive_data_403(body: Any) -> None:
    router = respx.Router()
    router.post(SIGN).mock(return_value=httpx.Response(403, json=body))
    async with client(router) as mp:
        with pytest.raises(SessionReplayAccessError) as info:
            await mp.sign_replay("r-1")
    exc = info.value
    assert exc.exit_code == 2 and exc.status == 403 and exc.code == "SESSION_REPLAY_ACCESS_ERROR"
    assert exc.details == {
        "project_id": PROJECT,
        "flag": "SESSION_RECORDING_SENSITIVE_DATA",
        "permission_required": "sensitive_data_replay",
    }


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, AuthenticationError), (401, AuthenticationError), (404, QueryError), (500, ServerError)],
)
async def test_sign_other_errors(status: int, error: type[Exception]) -> None:
    router = respx.Router()
    router.post(SIGN).mock(return_value=httpx.Response(status, json={"error": "no"}))
    async with client(router) as mp:
        with pytest.raises(error):
            await mp.sign_replay("r-1")


def test_signed_replay_masks_its_credential() -> None:
    s = signed(qs=query_string(signature=CANARY))
    s2 = SignedReplay(
        replay_id="r", url=f"{PREFIX}?{CANARY}", query_string="x", signed_at=0, expires_at=1
    )
    for obj in (s, s2):
        for text in (
            repr(obj),
            str(obj),
            f"{obj}",
            repr(obj.__rich_repr__()),
            json.dumps(obj.to_dict()),
        ):
            assert CANARY not in text
            assert "<redacted" in text
    assert s.to_dict()["query_string"] == f"<redacted {len(s.query_string)} chars>"
    revealed = s.to_dict(reveal=True)
    assert (
        revealed["query_string"] == s.query_string and "bearer credential" in revealed["_warning"]
    )
    assert "_warning" not in s.to_dict()


# --- fetch ---------------------------------------------------------------------------------


def cdn_route(router: respx.Router, answer: Callable[[int, int], httpx.Response]) -> respx.Route:
    def side_effect(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        name = request.url.path.rsplit("/", 1)[1]
        return answer(int(name[:4]), int(name[5:].split(".")[0]))

    return router.get(url__startswith=PREFIX).mock(side_effect=side_effect)


def files(n: int, retention: int = 30) -> Callable[[int, int], httpx.Response]:
    def answer(index: int, r: int) -> httpx.Response:
        if r != retention or index >= n:
            return httpx.Response(404)
        return httpx.Response(200, json=chunk_events(index))

    return answer


async def fetch_all(mp: MixpanelClient, replay: Any, **kw: Any) -> list[EventChunk]:
    async with mp.fetch_chunks(replay, **kw) as chunks:
        return [c async for c in chunks]


def chunk_indices(route: respx.Route) -> list[int]:
    return [int(c.request.url.path.rsplit("/", 1)[1][:4]) for c in route.calls]


async def test_fetch_walks_chunks_in_order() -> None:
    router = respx.Router()
    cdn = cdn_route(router, files(4))
    async with client(router) as mp:
        got = await fetch_all(mp, signed(), retention_days=30)
    assert [c.index for c in got] == [0, 1, 2, 3]
    assert [len(c.events) for c in got] == [2, 1, 1, 1]
    asked = chunk_indices(cdn)
    assert asked.count(4) == 1  # the 404 ends the walk and is never asked again
    assert set(asked) <= set(range(4 + ClientLimits().replay_window))  # bounded look-ahead
    url = cdn.calls[0].request.url
    assert str(url).startswith(f"{PREFIX}0000-30.json?URLPrefix=")


async def test_fetch_by_id_looks_up_retention_and_signs() -> None:
    router = respx.Router()
    router.post(INSIGHTS).mock(return_value=series({"r-1": {"90": {"all": 1779319127}}}))
    router.post(SIGN).mock(
        return_value=httpx.Response(
            200, json={"results": [{"replay_id": "r-1", "url": PREFIX, "query_string": "q=1"}]}
        )
    )
    cdn = cdn_route(router, files(2, retention=90))
    async with client(router) as mp:
        got = await fetch_all(mp, "r-1")
    assert len(got) == 2 and all(c.request.url.path.endswith("-90.json") for c in cdn.calls)


async def test_fetch_not_found_and_retention_probe() -> None:
    router = respx.Router()
    cdn_route(router, files(0))
    async with client(router) as mp:
        with pytest.raises(ReplayNotFoundError) as info:
            await fetch_all(mp, signed(), retention_days=30)
    exc = info.value
    assert exc.exit_code == 4 and exc.status == 404 and exc.replay_id == "r-1"
    assert exc.details == {"replay_id": "r-1", "retention_days": [30]}

    router = respx.Router()
    cdn = cdn_route(router, files(2, retention=7))
    guess = ReplayDescriptor(replay_id="r-1", retention_known=False)
    router.post(SIGN).mock(
        return_value=httpx.Response(
            200, json={"results": [{"replay_id": "r-1", "url": PREFIX, "query_string": "q=1"}]}
        )
    )
    async with client(router) as mp:
        got = await fetch_all(mp, guess)
    assert len(got) == 2
    suffixes = [c.request.url.path.rsplit("-", 1)[1] for c in cdn.calls]
    assert suffixes[:3] == ["30.json", "90.json", "7.json"]


async def test_fetch_403_resigns_once_then_expires() -> None:
    router = respx.Router()
    sign = router.post(SIGN).mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "results": [
                        {
                            "replay_id": "r-1",
                            "url": PREFIX,
                            "query_string": query_string(signature="fresh"),
                        }
                    ]
                },
            ),
            httpx.Response(
                200,
                json={
                    "results": [
                        {
                            "replay_id": "r-1",
                            "url": PREFIX,
                            "query_string": query_string(signature="fresh2"),
                        }
                    ]
                },
            ),
        ]
    )

    def answer(index: int, r: int) -> httpx.Response:
        return httpx.Response(200, json=chunk_events(index)) if index < 2 else httpx.Response(404)

    seen: list[str] = []

    def side_effect(request: httpx.Request) -> httpx.Response:
        sig = request.url.params["Signature"]
        seen.append(sig)
        if sig == CANARY:  # the first signature has expired
            return httpx.Response(403, text="expired")
        name = request.url.path.rsplit("/", 1)[1]
        return answer(int(name[:4]), 30)

    router.get(url__startswith=PREFIX).mock(side_effect=side_effect)
    async with client(router) as mp:
        got = await fetch_all(mp, signed(), retention_days=30)
    assert len(got) == 2 and sign.call_count == 1

    router = respx.Router()
    sign = router.post(SIGN).mock(
        return_value=httpx.Response(
            200, json={"results": [{"replay_id": "r-1", "url": PREFIX, "query_string": "q=2"}]}
        )
    )
    router.get(url__startswith=PREFIX).mock(return_value=httpx.Response(403))
    async with client(router) as mp:
        with pytest.raises(SignedURLExpiredError) as info:
            await fetch_all(mp, signed(), retention_days=30)
    assert info.value.exit_code == 1 and info.value.status == 403
    assert set(info.value.details) == {"replay_id", "signed_at", "expires_at"}


async def test_fetch_renews_a_signature_before_it_expires() -> None:
    now = [NOW_S]
    router = respx.Router()
    sign = router.post(SIGN).mock(
        return_value=httpx.Response(
            200, json={"results": [{"replay_id": "r-1", "url": PREFIX, "query_string": "q=new"}]}
        )
    )
    cdn = cdn_route(router, files(3))

    async with client(router, clock=lambda: now[0]) as mp:
        now[0] = NOW_S + 295  # within the renewal margin of the 300 s signature
        got = await fetch_all(mp, signed(), retention_days=30)
    assert len(got) == 3 and sign.call_count == 1
    assert all(c.request.url.params.get("q") == "new" for c in cdn.calls)


@pytest.mark.parametrize(
    ("faults", "delays"),
    [
        ([httpx.Response(429, headers={"Retry-After": "3"})], [3.0]),
        ([httpx.Response(503), httpx.Response(500)], [0.5, 1.0]),
        ([httpx.ReadTimeout("slow")], [0.5]),
        (
            [httpx.RemoteProtocolError("peer closed connection without sending complete body")],
            [0.5],
        ),
        ([httpx.ConnectError("reset")], [0.5]),
    ],
)
async def test_fetch_transient_faults_are_retried(faults: list[Any], delays: list[float]) -> None:
    router = respx.Router()
    queue = list(faults)

    def side_effect(request: httpx.Request) -> httpx.Response:
        index = int(request.url.path.rsplit("/", 1)[1][:4])
        if index == 1 and queue:
            fault = queue.pop(0)
            if isinstance(fault, Exception):
                raise fault
            assert isinstance(fault, httpx.Response)
            return fault
        return files(3)(index, 30)

    router.get(url__startswith=PREFIX).mock(side_effect=side_effect)
    slept: list[float] = []
    async with client(router, slept) as mp:
        got = await fetch_all(mp, signed(), retention_days=30)
    assert len(got) == 3 and slept == delays


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        (httpx.Response(429), RateLimitError, 5),
        (httpx.Response(503), ServerError, 1),
        (httpx.ConnectTimeout("t"), TransientError, 1),
        (httpx.Response(410), InvalidResponseError, 1),
    ],
)
async def test_fetch_persistent_faults_fail_the_replay(
    fault: Any, error: type[Exception], code: int
) -> None:
    router = respx.Router()
    router.get(url__startswith=PREFIX).mock(side_effect=[fault] * 10)
    async with client(router) as mp:
        with pytest.raises(error) as info:
            await fetch_all(mp, signed(), retention_days=30)
    assert info.value.exit_code == code  # type: ignore[attr-defined]
    assert info.value.replay_id == "r-1"  # type: ignore[attr-defined]


async def test_fetch_gap_ends_the_recording() -> None:
    router = respx.Router()

    def answer(index: int, r: int) -> httpx.Response:
        return httpx.Response(404) if index == 2 else httpx.Response(200, json=chunk_events(index))

    cdn = cdn_route(router, answer)
    async with client(router, replay_window=8) as mp:
        got = await fetch_all(mp, signed(), retention_days=30)
    assert len(got) == 2
    assert chunk_indices(cdn).count(2) == 1


@pytest.mark.parametrize(
    ("body", "error", "fmt"),
    [
        ([{"foo": 1}, {"bar": 2}], UnsupportedReplayFormatError, "non-rrweb"),
        (
            [{"type": 5, "timestamp": 1, "data": {"tag": "mp_wireframe", "payload": {}}}],
            UnsupportedReplayFormatError,
            "mobile",
        ),
        ({"not": "a list"}, RecordingFormatError, None),
    ],
)
async def test_fetch_rejects_what_is_not_a_web_replay(
    body: Any, error: type[Exception], fmt: str | None
) -> None:
    router = respx.Router()
    cdn_route(
        router, lambda i, r: httpx.Response(200, json=body) if i == 0 else httpx.Response(404)
    )
    async with client(router) as mp:
        with pytest.raises(error) as info:
            await fetch_all(mp, signed(), retention_days=30)
    if fmt is not None:
        exc = info.value
        assert exc.status == 501 and exc.details["format"] == fmt  # type: ignore[attr-defined]


async def test_fetch_gzip_empty_first_file_and_max_files() -> None:
    router = respx.Router()

    def answer(index: int, r: int) -> httpx.Response:
        if index == 0:
            return httpx.Response(200, json=[])
        body = gzip.compress(json.dumps(chunk_events(index)).encode())
        return httpx.Response(200, content=body, headers={"Content-Encoding": "gzip"})

    cdn_route(router, answer)
    async with client(router, max_files=3) as mp:
        got = await fetch_all(mp, signed(), retention_days=30)
    assert [len(c.events) for c in got] == [0, 1, 1, 0]
    assert got[-1].truncated and not any(c.truncated for c in got[:-1])


# --- events ----------------------------------------------------------------------------------


async def test_events_export_by_user_clips_to_the_window() -> None:
    t0 = 1_779_322_882_000
    lines = [
        {"event": "Viewed", "properties": {"time": t0 // 1000 - 60, "distinct_id": "u"}},
        {"event": "Clicked", "properties": {"time": t0 // 1000 + 1, "distinct_id": "u", "x": 1}},
        {"event": "Bought", "properties": {"time": t0 // 1000 + 9, "distinct_id": "u"}},
        {"event": "NoTime", "properties": {"distinct_id": "u"}},
    ]
    router = respx.Router()
    route = router.get(f"{EXPORT}/export").mock(
        return_value=httpx.Response(
            200, text="\n".join(json.dumps(x) for x in lines) + "\n\nnot json\n"
        )
    )
    analyzed = replaykit.AnalyzedReplay(
        replay_id="r-1",
        source="mixpanel:r-1",
        actions=[],
        coverage=replaykit.Coverage(),
        start_timestamp=t0,
        end_timestamp=t0 + 5000,
    )
    async with client(router) as mp:
        got = await collect(
            mp.events(analyzed, distinct_id="u", names=["Clicked", "Bought", "Viewed"])
        )
        wide = await collect(mp.events([analyzed], distinct_id="u", margin_ms=5000))
    params = route.calls[0].request.url.params
    assert params["where"] == 'properties["distinct_id"] == "u"'
    assert params["project_id"] == str(PROJECT)
    assert (params["from_date"], params["to_date"]) == ("2026-05-20", "2026-05-22")
    assert json.loads(params["event"]) == ["Clicked", "Bought", "Viewed"]
    assert [(e.name, e.time_ms, e.replay_id, e.distinct_id) for e in got] == [
        ("Clicked", t0 + 1000, "r-1", "u")
    ]
    assert got[0].properties["x"] == 1
    assert [e.name for e in wide] == ["Clicked", "Bought"]


async def test_events_without_user_use_replay_tags() -> None:
    router = respx.Router()
    line = {
        "event": "E",
        "properties": {"time": 1779322883, "distinct_id": "d", "$mp_replay_id": "r-1"},
    }
    route = router.get(f"{EXPORT}/export").mock(
        return_value=httpx.Response(200, text=json.dumps(line))
    )
    desc = ReplayDescriptor(replay_id="r-1", start_time_ms=1_779_322_882_000)
    async with client(router) as mp:
        got = await collect(mp.events([desc, "r-2"]))
    assert route.call_count == 2
    assert route.calls[0].request.url.params["where"] == 'properties["$mp_replay_id"] == "r-1"'
    assert [(e.replay_id, e.distinct_id) for e in got] == [("r-1", "d")]


async def test_fetch_retries_a_body_cut_mid_json() -> None:
    router = respx.Router()
    full = json.dumps(chunk_events(1)).encode()
    zipped = gzip.compress(full)
    bodies = {1: [full[: len(full) // 2], full], 2: [zipped[: len(zipped) // 2], zipped]}

    def answer(index: int, r: int) -> httpx.Response:
        if index in bodies:
            return httpx.Response(200, content=bodies[index].pop(0))
        return files(3)(index, r)

    cdn = cdn_route(router, answer)
    slept: list[float] = []
    async with client(router, slept) as mp:
        got = await fetch_all(mp, signed(), retention_days=30)
    assert [len(c.events) for c in got] == [2, 1, 1]
    assert not any(c.truncated for c in got)
    assert chunk_indices(cdn).count(1) == 2 and chunk_indices(cdn).count(2) == 2
    assert slept == [0.5, 0.5]


async def test_events_in_the_replays_first_second_are_kept() -> None:
    t0 = 1_779_322_882_700  # the replay starts 700 ms into a second
    line = {"event": "Page view", "properties": {"time": t0 // 1000, "distinct_id": "u"}}
    router = respx.Router()
    router.get(f"{EXPORT}/export").mock(return_value=httpx.Response(200, text=json.dumps(line)))
    analyzed = replaykit.AnalyzedReplay(
        replay_id="r-1",
        source="mixpanel:r-1",
        actions=[],
        coverage=replaykit.Coverage(),
        start_timestamp=t0,
        end_timestamp=t0 + 5000,
    )
    async with client(router) as mp:
        got = await collect(mp.events(analyzed, distinct_id="u"))
    assert [e.time_ms for e in got] == [t0 // 1000 * 1000]


async def test_events_insights_join_shape_counts_and_properties() -> None:
    t0 = 1_779_381_085_000  # 2026-05-21T16:31:25Z
    metric = {
        "$overall": {"all": 20},
        "2026-05-21T16:31:25": {
            "$overall": {"all": 14},
            "Browser API fetch": {
                "$overall": {"all": 12},
                "r-1": {"$overall": {"all": 12}, "/cart": {"all": 12}},
            },
            "$mp_session_record": {"r-1": {"/cart": {"all": 2}}},
        },
        "2026-05-21T16:31:20": {"Viewed": {"r-1": {"/": {"all": 1}}, "r-9": {"/": {"all": 1}}}},
        "2026-05-21T18:00:00": {"Late": {"r-1": {"/": {"all": 1}}}},
        "not a time": {"X": {"r-1": {"/": {"all": 1}}}},
    }
    router = respx.Router()
    route = router.post(INSIGHTS).mock(return_value=series(metric))
    analyzed = replaykit.AnalyzedReplay(
        replay_id="r-1",
        source="mixpanel:r-1",
        actions=[],
        coverage=replaykit.Coverage(),
        start_timestamp=t0 - 5000,
        end_timestamp=t0 + 100,
    )
    async with client(router) as mp:
        got = await collect(mp.events(analyzed, source="insights", properties=["$pathname"]))
        with pytest.raises(replaykit.UsageError):
            mp.events("r-1", source="insights", properties=list("abcdef"))
        with pytest.raises(replaykit.UsageError):
            mp.events("r-1", properties=["x"])
    sections = json.loads(route.calls[0].request.content)["bookmark"]["sections"]
    assert sections["show"][0]["behavior"]["name"] == "$all_events"
    assert sections["show"][0]["measurement"] == {"math": "total"}
    assert [g["propertyName"] for g in sections["group"]] == [
        "$time",
        "$event_name",
        "$mp_replay_id",
        "$pathname",
    ]
    filters = {f["value"]: (f["filterOperator"], f["filterValue"]) for f in sections["filter"]}
    assert filters["$mp_replay_id"] == ("equals", ["r-1"])
    assert filters["$event_name"] == ("does not equal", ["$mp_session_record"])
    assert sections["time"][0]["value"] == ["2026-05-20", "2026-05-22"]
    assert [(e.name, e.time_ms, e.count, e.properties) for e in got] == [
        ("Viewed", t0 - 5000, 1, {"$pathname": "/"}),
        ("Browser API fetch", t0, 12, {"$pathname": "/cart"}),
    ]
