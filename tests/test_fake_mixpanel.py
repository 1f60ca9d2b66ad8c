"""The fake Mixpanel itself, exercised with plain httpx over real sockets.

Shapes follow /work/shared/docs/mixpanel-replay-protocol.md (§1 paths and auth, §3 discover,
§4 sign, §5 CDN, §6 export, §13 the fake).
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from replaykit.testing import FakeMixpanel

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "examples" / "recordings"
LOGIN = "tracelane-login-failure-console"  # 1 chunk of 20 events → chunks 0..k
CHECKOUT = "tracelane-shop-checkout-console"


def _events(replay_id: str) -> list[Any]:
    events: list[Any] = json.loads((RECORDINGS / f"{replay_id}.json").read_text())
    return events


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with FakeMixpanel.from_recordings(RECORDINGS, chunk_events=20) as server:
        yield server
    assert server.server_errors == []


@pytest.fixture
def client(fake: FakeMixpanel) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url, auth=(fake.username, fake.secret)) as c:
        yield c


def _bookmark(
    *,
    event: str = "$mp_session_record",
    groups: tuple[str, ...] = ("$mp_replay_id", "$mp_replay_retention_period"),
    filters: list[dict[str, Any]] | None = None,
    time_entry: dict[str, Any] | None = None,
    math: str = "min",
    project_id: int = 12345,
) -> dict[str, Any]:
    show = {
        "type": "metric",
        "behavior": {"type": "event", "name": event, "resourceType": "events"},
        "measurement": {"math": math, "property": {"name": "$time", "resourceType": "events"}},
    }
    group = [
        {"value": g, "propertyName": g, "resourceType": "events", "propertyType": "string"}
        for g in groups
    ]
    sections = {
        "show": [show],
        "time": [time_entry or {"dateRangeType": "in the last", "window": {"value": 90}}],
        "filter": filters or [],
        "group": group,
    }
    return {
        "bookmark": {"sections": sections, "displayOptions": {"chartType": "table"}},
        "project_id": project_id,
        "queryLimits": {"limit": 3000},
    }


def _user_filter(user: str) -> dict[str, Any]:
    return {
        "resourceType": "events",
        "filterType": "string",
        "value": "$distinct_id",
        "filterOperator": "equals",
        "filterValue": [user],
    }


def _sign(client: httpx.Client, fake: FakeMixpanel, *ids: str) -> list[dict[str, str]]:
    body = {"replays": [{"replay_id": i, "replay_env": "prod"} for i in ids]}
    path = f"{fake.base_url}/api/app/projects/{fake.project_id}/replays/sign/bulk"
    r = client.post(path, json=body)
    assert r.status_code == 200, r.text
    results: list[dict[str, str]] = r.json()["results"]
    return results


def _chunk(client: httpx.Client, signed: dict[str, str], n: int, r: int = 30) -> httpx.Response:
    return client.get(f"{signed['url']}{n:04d}-{r}.json?{signed['query_string']}")


def _walk(client: httpx.Client, signed: dict[str, str]) -> list[Any]:
    events: list[Any] = []
    for n in range(1000):
        resp = _chunk(client, signed, n)
        if resp.status_code == 404:
            return events
        assert resp.status_code == 200, resp.text
        events.extend(resp.json())
    raise AssertionError("no end")


# --------------------------------------------------------------------------- auth


def test_auth_basic_bearer_and_401(fake: FakeMixpanel) -> None:
    url = f"{fake.base_url}/api/query/insights"
    body = _bookmark()
    with httpx.Client() as c:
        assert c.post(url, json=body, auth=(fake.username, fake.secret)).status_code == 200
        bearer = {"Authorization": f"Bearer {fake.oauth_token}"}
        assert c.post(url, json=body, headers=bearer).status_code == 200
        assert c.post(url, json=body).status_code == 401
        for auth in [(fake.username, "wrong"), ("someone", fake.secret)]:
            r = c.post(url, json=body, auth=auth)
            assert r.status_code == 401
            assert "error" in r.json()
        r = c.post(url, json=body, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        fake.faults.reject_credentials = True
        r = c.post(url, json=body, auth=(fake.username, fake.secret))
        assert r.status_code == 401


def test_unknown_path_is_404(client: httpx.Client) -> None:
    assert client.get("/api/query/segmentation").status_code == 404


# --------------------------------------------------------------------------- discover


def test_discover_series_shape(fake: FakeMixpanel, client: httpx.Client) -> None:
    fake.replays[LOGIN].retention_property = "7"
    fake.replays[LOGIN].retention_days = 7
    fake.replays[CHECKOUT].retention_property = None  # the property is missing
    r = client.post("/api/query/insights?query_origin=mixpanel-headless", json=_bookmark())
    assert r.status_code == 200
    data = r.json()
    assert {"computed_at", "date_range", "headers", "meta", "series"} <= data.keys()
    (metric,) = data["series"].values()
    assert list(data["series"]) == ["Session Recording Checkpoint [Minimum Time]"]
    assert set(metric) == {"$overall", *fake.replays}
    login_start = _events(LOGIN)[0]["timestamp"] // 1000
    assert metric[LOGIN] == {"$overall": {"all": login_start}, "7": {"all": login_start}}
    assert set(metric[CHECKOUT]) == {"$overall"}  # no retention child
    starts = [v["$overall"]["all"] for k, v in metric.items() if k != "$overall"]
    assert metric["$overall"] == {"all": min(starts)}
    assert all(s < 10**12 for s in starts)  # unix seconds
    assert data["meta"]["is_segmentation_limit_hit"] is False


def test_discover_filters_and_project(fake: FakeMixpanel, client: httpx.Client) -> None:
    fake.replays[LOGIN].distinct_id = "user-7"
    body = _bookmark(filters=[_user_filter("user-7")])
    (metric,) = client.post("/api/query/insights", json=body).json()["series"].values()
    assert set(metric) == {"$overall", LOGIN}
    hydrate = {
        "resourceType": "events",
        "value": "$mp_replay_id",
        "filterOperator": "equals",
        "filterValue": [CHECKOUT, "unknown-id"],
    }
    body = _bookmark(filters=[hydrate])
    (metric,) = client.post("/api/query/insights", json=body).json()["series"].values()
    assert set(metric) == {"$overall", CHECKOUT}
    (metric,) = (
        client.post("/api/query/insights", json=_bookmark(filters=[_user_filter("nobody")]))
        .json()["series"]
        .values()
    )
    assert metric == {}
    assert client.post("/api/query/insights", json=_bookmark(project_id=999)).status_code == 403
    assert client.post("/api/query/insights", json={"nope": 1}).status_code == 400
    assert client.post("/api/query/insights", content=b"not json").status_code == 400


def test_discover_row_cap_and_time_window(fake: FakeMixpanel, client: httpx.Client) -> None:
    fake.faults.insights_row_cap = 2
    data = client.post("/api/query/insights", json=_bookmark()).json()
    (metric,) = data["series"].values()
    assert len(metric) == 3 and data["meta"]["is_segmentation_limit_hit"] is True
    fake.faults.insights_row_cap = 3000
    fake.faults.enforce_time_window = True
    (metric,) = client.post("/api/query/insights", json=_bookmark()).json()["series"].values()
    assert metric == {}  # the example recordings are older than 90 days
    login_day = time.strftime("%Y-%m-%d", time.gmtime(_events(LOGIN)[0]["timestamp"] / 1000))
    between = {"dateRangeType": "between", "unit": "day", "value": [login_day, login_day]}
    (metric,) = (
        client.post("/api/query/insights", json=_bookmark(time_entry=between))
        .json()["series"]
        .values()
    )
    assert LOGIN in metric


def test_discover_all_events_join_shape(client: httpx.Client, fake: FakeMixpanel) -> None:
    fake.add_event("Signed up", 1_700_000_000, "user-42", **{"$mp_replay_id": LOGIN})
    not_record = {
        "value": "$event_name",
        "filterOperator": "does not equal",
        "filterValue": ["$mp_session_record"],
    }
    ids = {"value": "$mp_replay_id", "filterOperator": "equals", "filterValue": [LOGIN]}
    body = _bookmark(
        event="$all_events",
        math="total",
        groups=("$time", "$event_name", "$mp_replay_id"),
        filters=[not_record, ids],
    )
    (name, metric), *_ = client.post("/api/query/insights", json=body).json()["series"].items()
    assert name == "All Events [Total Events]"
    assert metric["2023-11-14T22:13:20"]["Signed up"] == {
        "$overall": {"all": 1},
        LOGIN: {"all": 1},
    }
    names = {n for k, v in metric.items() if k != "$overall" for n in v if n != "$overall"}
    assert names == {"Signed up", "$mp_web_page_view", "$mp_click"}


# --------------------------------------------------------------------------- sign


def test_sign_shape_and_chunks(fake: FakeMixpanel, client: httpx.Client) -> None:
    results = _sign(client, fake, CHECKOUT, LOGIN)
    assert [r["replay_id"] for r in results] == [CHECKOUT, LOGIN]
    for r in results:
        assert r["url"].startswith(f"{fake.base_url}/cdn/srr-us/")
        assert r["url"].endswith(f"-{fake.project_id}/")
        assert [p.split("=")[0] for p in r["query_string"].split("&")] == [
            "URLPrefix",
            "Expires",
            "KeyName",
            "Signature",
        ]
    # chunks are the recording, in order, then 404
    assert _walk(client, results[0]) == _events(CHECKOUT)
    assert len(fake.replays[CHECKOUT].chunks) == -(-len(_events(CHECKOUT)) // 20)
    # re-signing keeps the prefix and rotates the query string
    again = _sign(client, fake, CHECKOUT)[0]
    assert again["url"] == results[0]["url"] and again["query_string"] != results[0]["query_string"]
    assert fake.calls("sign") == 2
    assert len(fake.signed_query_strings) == 3


def test_sign_faults(fake: FakeMixpanel, client: httpx.Client) -> None:
    fake.faults.sign_reorder = True
    assert [r["replay_id"] for r in _sign(client, fake, LOGIN, CHECKOUT)] == [CHECKOUT, LOGIN]
    fake.faults.sign_omit = {LOGIN}
    assert [r["replay_id"] for r in _sign(client, fake, LOGIN, CHECKOUT)] == [CHECKOUT]
    path = f"/api/app/projects/{fake.project_id}/replays/sign/bulk"
    assert client.post(path, json={"replays": "x"}).status_code == 400
    bad_env = {"replays": [{"replay_id": LOGIN, "replay_env": "staging"}]}
    assert client.post(path, json=bad_env).status_code == 400
    assert client.post("/api/app/projects/1/replays/sign/bulk", json={}).status_code == 403
    shapes: tuple[Literal["dict", "list", "string"], ...] = ("dict", "list", "string")
    for shape in shapes:
        fake.faults.sign_sensitive = shape
        r = client.post(path, json={"replays": [{"replay_id": LOGIN, "replay_env": "prod"}]})
        assert r.status_code == 403
        assert "SESSION_RECORDING_SENSITIVE_DATA" in json.dumps(r.json())
        assert type(r.json()).__name__ == {"dict": "dict", "list": "list", "string": "str"}[shape]


# --------------------------------------------------------------------------- CDN


def test_cdn_signature_prefix_and_expiry(fake: FakeMixpanel, client: httpx.Client) -> None:
    login, checkout = _sign(client, fake, LOGIN, CHECKOUT)
    assert _chunk(client, login, 0).status_code == 200
    unsigned = client.get(f"{login['url']}0000-30.json")
    assert unsigned.status_code == 403
    tampered = login["query_string"].replace("Expires=", "Expires=9")
    assert client.get(f"{login['url']}0000-30.json?{tampered}").status_code == 403
    # a token only opens its own prefix
    other = client.get(f"{checkout['url']}0000-30.json?{login['query_string']}")
    assert other.status_code == 403
    # expiry by clock: Expires is in the query string, the fake checks the exact time
    expires = int(login["query_string"].split("Expires=")[1].split("&")[0])
    assert expires == pytest.approx(time.time() + 300, abs=2)
    fake.advance(301)
    r = _chunk(client, login, 0)
    assert (r.status_code, r.text) == (403, "signature expired")
    fresh = _sign(client, fake, LOGIN)[0]
    assert _chunk(client, fresh, 0).status_code == 200


def test_cdn_ttl_uses_and_expire_all(fake: FakeMixpanel, client: httpx.Client) -> None:
    fake.faults.sign_ttl = 0.15
    signed = _sign(client, fake, CHECKOUT)[0]
    assert _chunk(client, signed, 0).status_code == 200
    time.sleep(0.2)
    assert _chunk(client, signed, 0).status_code == 403
    fake.faults.sign_ttl = 300
    fake.faults.sign_max_uses = 2
    signed = _sign(client, fake, CHECKOUT)[0]
    codes = [_chunk(client, signed, n).status_code for n in range(3)]
    assert codes == [200, 200, 403]
    fake.faults.sign_max_uses = None
    signed = _sign(client, fake, CHECKOUT)[0]
    assert _chunk(client, signed, 0).status_code == 200
    fake.expire_signatures()
    assert _chunk(client, signed, 0).status_code == 403
    assert _chunk(client, _sign(client, fake, CHECKOUT)[0], 1).status_code == 200
    token_ids = [r.token_id for r in fake.requests if r.route == "cdn"]
    assert token_ids == [1, 1, 2, 2, 2, 3, 3, 4]


def test_cdn_not_found_cases(fake: FakeMixpanel, client: httpx.Client) -> None:
    login, unknown = _sign(client, fake, LOGIN, "no-such-replay")
    assert _chunk(client, login, 0, r=7).status_code == 404  # wrong retention suffix
    assert _chunk(client, unknown, 0).status_code == 404
    assert client.get(f"{login['url']}0-30.json?{login['query_string']}").status_code == 404
    fake.faults.missing_chunks = {0}
    assert _chunk(client, login, 0).status_code == 404
    fake.faults.missing_chunks = {1}
    checkout = _sign(client, fake, CHECKOUT)[0]
    assert [_chunk(client, checkout, n).status_code for n in range(4)] == [200, 404, 200, 404]
    fake.faults.past_end_status = 403
    assert _chunk(client, checkout, 3).status_code == 403
    dev = client.post(
        f"/api/app/projects/{fake.project_id}/replays/sign/bulk",
        json={"replays": [{"replay_id": LOGIN, "replay_env": "dev"}]},
    ).json()["results"][0]
    assert _chunk(client, dev, 0).status_code == 404  # a prod replay signed as dev


def test_cdn_content_switches(fake: FakeMixpanel, client: httpx.Client) -> None:
    signed = _sign(client, fake, CHECKOUT)[0]
    first = _events(CHECKOUT)[:20]
    fake.faults.unsorted = True
    assert _chunk(client, signed, 0).json() == first[::-1]
    fake.faults.unsorted = False
    fake.faults.cdn_gzip = True
    r = _chunk(client, signed, 0)
    assert r.headers["content-encoding"] == "gzip" and r.json() == first
    raw = client.get(
        f"{signed['url']}0000-30.json?{signed['query_string']}",
        headers={"Accept-Encoding": "identity"},
    )
    assert "content-encoding" not in raw.headers
    fake.faults.cdn_gzip = False
    fake.faults.mobile = "non-rrweb"
    body = _chunk(client, signed, 0).json()
    assert len(body) == 20 and all("type" not in e and "data" not in e for e in body)
    fake.faults.mobile = "wireframe"
    body = _chunk(client, signed, 0).json()
    assert body[0]["type"] == 4 and "href" not in body[0]["data"]
    assert {e["data"].get("tag") for e in body if e["type"] == 5} == {"mp_wireframe"}
    assert {e["data"]["type"] for e in body if e["type"] == 3} == {7, 9, 10}
    assert all({"type", "data", "timestamp"} <= e.keys() for e in body)


# --------------------------------------------------------------------------- scripted faults


def test_rule_429_on_kth_call(fake: FakeMixpanel, client: httpx.Client) -> None:
    fake.inject("insights", status=429, on_call=2, retry_after=3)
    fake.inject("insights", status=429, on_call=3)
    codes = [client.post("/api/query/insights", json=_bookmark()) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 429, 429, 200]
    assert codes[1].headers["retry-after"] == "3"
    assert "retry-after" not in codes[2].headers
    assert [r.fault for r in fake.requests] == [None, "status", "status", None]


def test_rule_5xx_burst_then_success(fake: FakeMixpanel, client: httpx.Client) -> None:
    signed = _sign(client, fake, CHECKOUT)[0]
    rule = fake.inject("cdn", status=503, times=3, chunk=1)
    codes = [_chunk(client, signed, n).status_code for n in (0, 1, 1, 1, 1, 2)]
    assert codes == [200, 503, 503, 503, 200, 200]
    assert rule.hits == 4
    fake.inject("sign", status=500, times=None)
    path = f"/api/app/projects/{fake.project_id}/replays/sign/bulk"
    body = {"replays": [{"replay_id": LOGIN}]}
    assert {client.post(path, json=body).status_code for _ in range(3)} == {500}


def test_rule_transport_faults(fake: FakeMixpanel, client: httpx.Client) -> None:
    signed = _sign(client, fake, CHECKOUT)[0]
    fake.inject("cdn", "reset", chunk=0)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        _chunk(client, signed, 0)
    fake.inject("cdn", "truncate", chunk=1)
    with pytest.raises(httpx.RemoteProtocolError):
        _chunk(client, signed, 1)
    fake.inject("cdn", "cut", chunk=2)
    r = _chunk(client, signed, 2)
    assert r.status_code == 200 and "content-length" not in r.headers
    with pytest.raises(json.JSONDecodeError):
        r.json()
    fake.inject("cdn", "invalid_json", chunk=0)
    r = _chunk(client, signed, 0)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()
    # after each fault the next request succeeds (a new connection where needed)
    assert [_chunk(client, signed, n).status_code for n in range(3)] == [200, 200, 200]
    assert [r.fault for r in fake.requests if r.route == "cdn"][:4] == [
        "reset",
        "truncate",
        "cut",
        "invalid_json",
    ]


def test_rule_body_shapes_and_timing(fake: FakeMixpanel, client: httpx.Client) -> None:
    signed = _sign(client, fake, CHECKOUT)[0]
    fake.inject("cdn", "non_list", chunk=0)
    assert isinstance(_chunk(client, signed, 0).json(), dict)
    fake.inject("cdn", "empty", chunk=0)
    assert _chunk(client, signed, 0).json() == []
    fake.inject("insights", "error_200")
    r = client.post("/api/query/insights", json=_bookmark())
    assert r.status_code == 200 and "series" not in r.json() and "error" in r.json()
    fake.inject("cdn", "delay", delay=0.1, chunk=1)
    t0 = time.perf_counter()
    assert _chunk(client, signed, 1).status_code == 200
    assert time.perf_counter() - t0 >= 0.1
    fake.inject("cdn", "slow", delay=0.04, chunk=1)
    t0 = time.perf_counter()
    r = _chunk(client, signed, 1)
    assert r.json() == _events(CHECKOUT)[20:40]
    assert time.perf_counter() - t0 >= 0.12  # 4 parts, 3 gaps
    fake.faults.chunk_delay = 0.05
    t0 = time.perf_counter()
    _chunk(client, signed, 2)
    assert time.perf_counter() - t0 >= 0.05


def test_concurrency_gate_and_peak(fake: FakeMixpanel) -> None:
    fake.faults.max_concurrent = {"cdn": 2}
    fake.faults.gate_retry_after = 1
    # Long enough that the four requests overlap even on a loaded machine: they are
    # released together by a barrier, and the first two hold their slots this long.
    fake.faults.chunk_delay = 0.6
    with httpx.Client(auth=(fake.username, fake.secret)) as c:
        signed = _sign(c, fake, CHECKOUT)[0]
    results: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def get(n: int) -> None:
        with httpx.Client() as c:
            start.wait()
            r = _chunk(c, signed, n)
        with lock:
            results.append(r)

    threads = [threading.Thread(target=get, args=(n % 3,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 429, 429]
    assert all(r.headers.get("retry-after") == "1" for r in results if r.status_code == 429)
    assert fake.peak_concurrency("cdn") >= 3  # the 429s return at once
    assert fake.peak_concurrency("sign") == 1
    fake.reset_log()
    assert fake.peak_concurrency("cdn") == 0 and fake.requests == []


# --------------------------------------------------------------------------- export


def test_export_ndjson(fake: FakeMixpanel, client: httpx.Client) -> None:
    params: dict[str, Any] = {
        "project_id": fake.project_id,
        "from_date": "2000-01-01",
        "to_date": "2030-12-31",
    }
    r = client.get("/api/2.0/export", params=params)
    assert r.status_code == 200
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines and all({"event", "properties"} == set(e) for e in lines)
    assert all({"time", "distinct_id", "$insert_id"} <= e["properties"].keys() for e in lines)
    assert {e["event"] for e in lines} == {"$mp_web_page_view", "$mp_click"}
    where = f'properties["$mp_replay_id"] == "{LOGIN}"'
    only = client.get(
        "/api/2.0/export", params={**params, "event": '["$mp_click"]', "where": where}
    )
    picked = [json.loads(line) for line in only.text.splitlines()]
    assert picked and {(e["event"], e["properties"]["$mp_replay_id"]) for e in picked} == {
        ("$mp_click", LOGIN)
    }
    limited = client.get("/api/2.0/export", params={**params, "limit": 3})
    assert len(limited.text.splitlines()) == 3
    assert client.get("/api/2.0/export", params={"from_date": "2020-01-01"}).status_code == 400
    no_project = {k: v for k, v in params.items() if k != "project_id"}
    assert client.get("/api/2.0/export", params=no_project).status_code == 400
    assert client.get("/api/2.0/export", params={**params, "where": "x >"}).status_code == 400
    fake.faults.enforce_time_window = True
    recent = client.get("/api/2.0/export", params={**params, "from_date": "2030-01-01"})
    assert recent.text == ""


# --------------------------------------------------------------------------- log, lifecycle


def test_request_log_redacts_secrets(fake: FakeMixpanel, client: httpx.Client) -> None:
    signed = _sign(client, fake, LOGIN)[0]
    _chunk(client, signed, 0)
    sign_req, cdn_req = fake.requests
    assert sign_req.headers["authorization"] == "REDACTED"
    assert sign_req.body == {"replays": [{"replay_id": LOGIN, "replay_env": "prod"}]}
    assert cdn_req.params["Signature"] == ["REDACTED"]
    assert (cdn_req.route, cdn_req.replay_id, cdn_req.chunk, cdn_req.status) == (
        "cdn",
        LOGIN,
        0,
        200,
    )
    assert sign_req.started <= sign_req.ended <= cdn_req.started <= cdn_req.ended
    assert sign_req.connection == cdn_req.connection == fake.connections_opened  # keep-alive
    dump = repr(fake.requests) + repr(fake)
    signature = signed["query_string"].split("Signature=")[1]
    basic = base64.b64encode(f"{fake.username}:{fake.secret}".encode()).decode()
    assert fake.secret not in dump and signature not in dump and basic not in dump


def test_close_drops_keepalive_connections() -> None:
    fake = FakeMixpanel.from_recordings(RECORDINGS / f"{LOGIN}.json").start()
    client = httpx.Client(auth=(fake.username, fake.secret))
    try:
        signed = _sign(client, fake, LOGIN)[0]
        assert fake.open_connections == 1
        fake.close()
        assert fake.open_connections == 0
        with pytest.raises(httpx.TransportError):
            _chunk(client, signed, 0)
    finally:
        client.close()
        fake.close()
    with pytest.raises(RuntimeError):
        _ = fake.base_url


def test_client_close_is_seen_server_side(fake: FakeMixpanel) -> None:
    with httpx.Client(auth=(fake.username, fake.secret)) as c:
        _sign(c, fake, LOGIN)
        assert fake.open_connections == 1
    assert fake.wait_for_connections(0, timeout=2)


@pytest.mark.anyio
async def test_async_context_manager() -> None:
    fake = FakeMixpanel.from_recordings([RECORDINGS / f"{LOGIN}.json"])
    async with fake, httpx.AsyncClient(auth=(fake.username, fake.secret)) as c:
        r = await c.post(f"{fake.base_url}/api/query/insights", json=_bookmark())
        assert r.status_code == 200
    assert fake.open_connections == 0


def test_from_recordings_inputs(tmp_path: Path) -> None:
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(b'[{"type":4,"data":{},"timestamp":1}]'))
    (tmp_path / "a.truth.json").write_text("{}")
    fake = FakeMixpanel.from_recordings(tmp_path, chunk_events=1)
    assert list(fake.replays) == ["a"] and fake.replays["a"].start_ms == 1
    (tmp_path / "b.json").write_text('{"events": []}')
    with pytest.raises(ValueError, match=r"b\.json"):
        FakeMixpanel.from_recordings(tmp_path)
    with pytest.raises(ValueError):
        FakeMixpanel().add_replay("x", [], chunk_events=0)


def test_log_limit_keeps_the_newest_and_counts_all(tmp_path: Path) -> None:
    fake = FakeMixpanel.from_recordings(RECORDINGS / f"{LOGIN}.json", log_limit=2)
    with fake, httpx.Client(base_url=fake.base_url) as c:
        for path in ("/a", "/b", "/c"):
            c.get(path)
        assert [r.path for r in fake.requests] == ["/b", "/c"]
        assert fake.calls("other") == 3


def test_a_client_hanging_up_during_a_delay_is_noticed(fake: FakeMixpanel) -> None:
    with httpx.Client(auth=(fake.username, fake.secret)) as c:
        signed = _sign(c, fake, LOGIN)[0]
    fake.faults.chunk_delay = 2.0
    t0 = time.perf_counter()
    with httpx.Client(timeout=0.1) as c, pytest.raises(httpx.ReadTimeout):
        _chunk(c, signed, 0)
    assert fake.wait_for_connections(0, timeout=1.0)
    assert time.perf_counter() - t0 < 1.0  # the fake stopped waiting: the client is gone
    (req,) = [r for r in fake.requests if r.route == "cdn"]
    assert (req.status, req.fault) == (0, "client_closed")
