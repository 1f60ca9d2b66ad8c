"""Helpers for the Mixpanel client tests: config, rrweb chunks, an in-memory service.

:class:`MockMixpanel` is an async ``httpx.MockTransport`` handler serving discovery, bulk
signing, CDN chunks and export from a small dataset, with knobs for faults and delays, and
counters for in-flight requests and open response streams (so tests can prove bounds and
cleanup without sockets).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from replaykit import ClientLimits, MixpanelClient, MixpanelConfig, RetryPolicy

PROJECT = 12345
NOW_S = 1_780_000_000.0  # 2026-05-28, the tests' fixed "now"
CANARY = "CANARYd41d8cd98f00b204e9800998ecf8427e"
CFG = MixpanelConfig(project_id=PROJECT, username="sa.test", secret="s3cret-value")
QUERY = "https://mixpanel.com/api/query"
APP = "https://mixpanel.com/api/app"
EXPORT = "https://data.mixpanel.com/api/2.0"
CDN = "https://cdn.mxpnl.com/srr-us/"


def query_string(expires_s: float = NOW_S + 300, signature: str = CANARY) -> str:
    """A Cloud-CDN-style signed-prefix token."""
    return f"URLPrefix=aHR0cHM6Ly9jZG4&Expires={int(expires_s)}&KeyName=k1&Signature={signature}"


def chunk_events(index: int, t0: int = 1_779_322_882_000) -> list[dict[str, Any]]:
    """Chunk file ``index`` of a small web replay: a page load, then one click per file."""
    t = t0 + index * 5000
    if index == 0:
        return [
            {"type": 4, "data": {"href": "https://shop.test/", "width": 800, "height": 600},
             "timestamp": t},
            {"type": 2, "timestamp": t + 1, "data": {
                "initialOffset": {"left": 0, "top": 0},
                "node": {"type": 0, "id": 1, "childNodes": [
                    {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                        {"type": 2, "id": 3, "tagName": "body", "attributes": {}, "childNodes": [
                            {"type": 2, "id": 4, "tagName": "button", "attributes": {},
                             "childNodes": [{"type": 3, "id": 5, "textContent": "Buy"}]},
                        ]},
                    ]},
                ]},
            }},
        ]  # fmt: skip
    return [{"type": 3, "data": {"source": 2, "type": 2, "id": 4, "x": 1, "y": 1}, "timestamp": t}]


async def no_sleep(delays: list[float], seconds: float) -> None:
    delays.append(seconds)
    await anyio.lowlevel.checkpoint()


class TrackedStream(httpx.AsyncByteStream):
    """A response body that records whether it was closed."""

    def __init__(self, body: bytes, owner: MockMixpanel) -> None:
        self.body = body
        self.owner = owner
        owner.open_streams += 1
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.owner.body_delay:
            await anyio.sleep(self.owner.body_delay)
        yield self.body

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self.owner.open_streams -= 1


@dataclass
class MockReplay:
    """A replay of the in-memory service."""

    chunks: list[list[dict[str, Any]]]
    retention: int = 30
    distinct_id: str = "user-42"
    start_s: int = 1_779_322_882
    report_retention: bool = True


@dataclass
class MockMixpanel:
    """An async MockTransport handler for the whole service (see the module docstring)."""

    replays: dict[str, MockReplay] = field(default_factory=dict)
    cdn_delay: float = 0.0
    body_delay: float = 0.0
    # Faults: (route, replay id or None, chunk or None) -> list of statuses to answer first.
    faults: dict[tuple[str, str | None, int | None], list[int]] = field(default_factory=dict)
    expires_s: float = NOW_S + 300
    calls: Counter[str] = field(default_factory=Counter)
    cdn_log: list[tuple[str, int]] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    per_replay_in_flight: Counter[str] = field(default_factory=Counter)
    per_replay_peak: Counter[str] = field(default_factory=Counter)
    open_streams: int = 0
    sign_round: Counter[str] = field(default_factory=Counter)
    hook: Callable[[httpx.Request], httpx.Response | None] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(
        self,
        *,
        delays: list[float] | None = None,
        limits: ClientLimits | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        config: MixpanelConfig = CFG,
    ) -> MixpanelClient:
        sink = delays if delays is not None else []

        async def sleep(seconds: float) -> None:
            await no_sleep(sink, seconds)

        return MixpanelClient(
            config,
            transport=self.transport(),
            limits=limits,
            retry=retry,
            sleep=sleep,
            clock=clock or (lambda: NOW_S),
            rand=lambda: 0.0,
        )

    def _fault(self, route: str, rid: str | None, chunk: int | None) -> int | None:
        for key in (
            (route, rid, chunk),
            (route, rid, None),
            (route, None, chunk),
            (route, None, None),
        ):
            queue = self.faults.get(key)
            if queue:
                return queue.pop(0)
        return None

    def _response(self, status: int, body: bytes, **headers: str) -> httpx.Response:
        return httpx.Response(status, headers=headers, stream=TrackedStream(body, self))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        route = self._route(request)
        self.calls[route] += 1
        self.in_flight[route] += 1
        self.peak[route] = max(self.peak[route], self.in_flight[route])
        try:
            if self.hook is not None:
                hooked = self.hook(request)
                if hooked is not None:
                    return hooked
            if route == "cdn":
                return await self._cdn(request)
            if route == "sign":
                return self._sign(request)
            if route == "insights":
                return self._insights(request)
            if route == "export":
                return self._export()
            return self._response(404, b"{}")
        finally:
            self.in_flight[route] -= 1

    @staticmethod
    def _route(request: httpx.Request) -> str:
        path = request.url.path
        if path.endswith("/insights"):
            return "insights"
        if path.endswith("/replays/sign/bulk"):
            return "sign"
        if path.endswith("/export"):
            return "export"
        return "cdn"

    def _insights(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        filters = body["bookmark"]["sections"]["filter"]
        wanted: set[str] | None = None
        user: str | None = None
        for f in filters:
            if f["value"] == "$mp_replay_id":
                wanted = set(f["filterValue"])
            if f["value"] == "$distinct_id":
                user = f["filterValue"][0]
        metric: dict[str, Any] = {"$overall": {"all": 1}}
        for rid, rep in self.replays.items():
            if (wanted is not None and rid not in wanted) or (user and rep.distinct_id != user):
                continue
            node: dict[str, Any] = {"$overall": {"all": rep.start_s}}
            if rep.report_retention:
                node[str(rep.retention)] = {"all": rep.start_s}
            metric[rid] = node
        return self._response(200, json.dumps({"series": {"m [Minimum Time]": metric}}).encode())

    def _export(self) -> httpx.Response:
        # Every replay's clicks as tagged events; the client does the filtering it needs.
        lines = [
            json.dumps(
                {
                    "event": "$mp_click",
                    "properties": {
                        "time": ev["timestamp"] / 1000,
                        "distinct_id": rep.distinct_id,
                        "$mp_replay_id": rid,
                    },
                }
            )
            for rid, rep in self.replays.items()
            for chunk in rep.chunks
            for ev in chunk
            if ev.get("type") == 3
        ]
        return self._response(200, "\n".join(lines).encode())

    def _sign(self, request: httpx.Request) -> httpx.Response:
        status = self._fault("sign", None, None)
        if status is not None:
            return self._response(status, b'{"error": "injected"}')
        ids = [r["replay_id"] for r in json.loads(request.content)["replays"]]
        results = []
        for rid in ids:
            self.sign_round[rid] += 1
            results.append(
                {
                    "replay_id": rid,
                    "url": f"{CDN}sha-{rid.encode().hex()}-{PROJECT}/",
                    "query_string": query_string(
                        self.expires_s, f"{CANARY}r{self.sign_round[rid]}"
                    ),
                }
            )
        return self._response(200, json.dumps({"results": results}).encode())

    async def _cdn(self, request: httpx.Request) -> httpx.Response:
        m = re.search(r"/sha-(.+)-\d+/(\d{4})-(\d+)\.json$", request.url.path)
        assert m is not None, request.url.path
        assert "authorization" not in request.headers  # credentials never go to the CDN
        rid = bytes.fromhex(m.group(1)).decode()
        index, retention = int(m.group(2)), int(m.group(3))
        self.cdn_log.append((rid, index))
        self.per_replay_in_flight[rid] += 1
        self.per_replay_peak[rid] = max(self.per_replay_peak[rid], self.per_replay_in_flight[rid])
        try:
            if self.cdn_delay:
                await anyio.sleep(self.cdn_delay)
            status = self._fault("cdn", rid, index)
            if status is not None:
                return self._response(
                    status, b"", **({"Retry-After": "2"} if status == 429 else {})
                )
            sig = request.url.params.get("Signature", "")
            round_now = self.sign_round[rid]
            if sig != f"{CANARY}r{round_now}":
                return self._response(403, b"expired")
            rep = self.replays.get(rid)
            if rep is None or retention != rep.retention or index >= len(rep.chunks):
                return self._response(404, b"")
            return self._response(200, json.dumps(rep.chunks[index]).encode())
        finally:
            self.per_replay_in_flight[rid] -= 1


def replay(files: int = 3, **kw: Any) -> MockReplay:
    """A MockReplay with ``files`` chunk files."""
    return MockReplay(chunks=[chunk_events(i) for i in range(files)], **kw)


def run_cli(
    monkeypatch: Any,
    capsys: Any,
    mock: MockMixpanel,
    *args: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run ``replaykit ARGS`` through the console entry point against ``mock``.

    The CLI builds its client on the mock (``main``'s ``client_factory`` hook);
    credentials come from ``MP_*`` variables, as in real use.
    """
    from replaykit.cli import main

    for name, value in {
        "MP_USERNAME": CFG.username,
        "MP_SECRET": CFG.secret,
        "MP_PROJECT_ID": str(PROJECT),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("MP_REGION", "MP_OAUTH_TOKEN", "MP_WORKSPACE_ID", "REPLAYKIT_MIXPANEL_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REPLAYKIT_MIXPANEL_BASE_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent/replaykit-tests")  # no user config
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    try:
        main(list(args), client_factory=lambda cfg: mock.client(config=cfg))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
