"""A local fake of the Mixpanel session-replay service, over real sockets.

:class:`FakeMixpanel` is a small HTTP server on ``127.0.0.1`` (a random free port, a
daemon thread, one thread per connection) that serves, from one origin, the paths of the
real hosts with only the host replaced::

    POST /api/query/insights                          discover (and the events join)
    POST /api/app/projects/{pid}/replays/sign/bulk    sign
    GET  /cdn/srr-us/{sha}-{pid}/{NNNN}-{R}.json      CDN chunks (signed query string)
    GET  /api/2.0/export                              raw events, NDJSON

Use it as ``with FakeMixpanel.from_recordings("recordings/") as fake:`` (or ``async
with``) and point a client at ``fake.base_url`` with ``fake.username``/``fake.secret`` (HTTP
Basic) or ``Bearer fake.oauth_token``, and ``fake.project_id``. Each recording (a JSON array
of rrweb events) becomes one replay, its id the file stem, split into chunk files of
``chunk_events`` events. The fake reads recordings with plain JSON, not replaykit's decoder.

**Data.** ``fake.replays`` maps id → :class:`FakeReplay` (``distinct_id``,
``retention_days`` = the CDN suffix, ``retention_property`` = what discovery reports, ``None``
for missing, ``env``, ``chunks``). The event dataset behind Insights and export is derived from
it: one ``$mp_session_record`` per chunk (carrying ``$mp_replay_id`` and
``$mp_replay_retention_period``), one ``$mp_web_page_view`` per rrweb Meta event and one
``$mp_click`` per rrweb click, all tagged with ``$mp_replay_id``; add more with
:meth:`FakeMixpanel.add_event`. Insights groups by any property (``$time`` is an ISO second,
``$event_name`` the name), nests ``series`` in group order with ``$overall`` at every level,
and supports ``min`` (of ``$time``, in unix seconds) and ``total``. The project id is
checked where Mixpanel carries it (Insights body, sign path, export query with Basic auth):
another project gets 403 (400 when export omits it).

**Switches** (attributes of ``fake.faults``, a :class:`Faults`, settable at any time):

- ``sign_ttl`` (s, default 300): signed URLs expire this long after signing; ``Expires`` in
  the query string is rounded up, the fake checks the exact time. ``sign_max_uses``: a token
  answers 403 after this many CDN requests (expiry mid-walk, deterministic).
  :meth:`FakeMixpanel.expire_signatures` expires every token issued so far and
  :meth:`FakeMixpanel.advance` moves the fake's clock forward.
- ``reject_credentials``: every API call answers 401 ``{"error": ...}``, even with the right
  credentials (wrong ones always get 401).
- ``sign_sensitive`` (``"dict"``, ``"list"`` or ``"string"``): sign answers 403 with a body of
  that shape containing ``SESSION_RECORDING_SENSITIVE_DATA``. ``sign_reorder`` reverses the
  results; ``sign_omit`` leaves those replay ids out.
- ``missing_chunks`` (indices): those chunk files answer 404, so ``{0}`` makes every replay
  "not found" and ``{k}`` a gap (chunk ``k+1`` is still served). ``past_end_status`` (404) is
  the answer after the last chunk.
- ``chunk_delay`` (s): every chunk that exists waits this long before its headers (slow
  bodies are a rule, below); a client hanging up meanwhile is logged as ``client_closed``.
  ``cdn_gzip``: chunk bodies are sent with ``Content-Encoding: gzip`` when the client
  accepts it. ``unsorted``: each chunk's events are served in reverse.
- ``mobile`` (``"non-rrweb"``: events without ``type``/``data``, which a client must reject
  as an unsupported format, status 501; ``"wireframe"``: rrweb-shaped mobile events —
  screenshot snapshot, ``mp_wireframe`` custom events, touch types 7/9/10, no ``href``).
- ``max_concurrent`` (route → N): a request arriving while N of that route are in flight
  gets 429 (``gate_retry_after`` as ``Retry-After`` when set).
- ``insights_row_cap`` (3000): rows beyond it are cut and ``meta.is_segmentation_limit_hit``
  is true. ``enforce_time_window`` (off): Insights and export keep only events inside the
  requested dates (off by default, since recordings keep their original timestamps).
- ``rules``: scripted :class:`FaultRule` faults, most easily added with
  :meth:`FakeMixpanel.inject`: on the ``on_call``-th request of a route (optionally only for
  one ``chunk``/``replay_id``) and the ``times - 1`` after it, do ``action``:
  ``status`` (answer ``status``, with ``Retry-After: retry_after`` when set, and ``body`` as
  the ``error`` text when set; so a 429, or a 5xx burst of N then success), ``reset``
  (TCP reset before any answer), ``truncate`` (lying ``Content-Length``: half the body,
  then close), ``cut`` (no length, close mid-JSON),
  ``invalid_json`` (200 with a non-JSON body), ``error_200`` (200 ``{"error": ...}``),
  ``non_list`` (a JSON object instead of an array), ``empty`` (``[]``), ``delay`` (wait
  ``delay`` s before answering), ``slow`` (send the body in 4 parts, ``delay`` s apart),
  ``redirect`` (answer ``status``, a 3xx, 302 otherwise, with ``Location: location``).
- ``cdn_origin``: signed CDN prefixes name this origin instead of ``base_url`` (and tokens
  are checked against it), so CDN requests can go through a proxy in front of the fake —
  say, one whose connects time out — while the API routes do not.

**Observation.** ``fake.requests`` is a thread-safe snapshot of :class:`LoggedRequest`
(route, method, path, params, headers with ``Authorization`` replaced by ``REDACTED``, JSON
body, status, applied fault, replay id, chunk, token id, ``perf_counter`` start/end,
connection number); ``Signature`` params are logged as ``REDACTED`` too. The log keeps the
last ``log_limit`` requests (constructor argument; unbounded by default).
``fake.peak_concurrency(route)``, ``fake.calls(route)``, ``fake.open_connections`` (live TCP
connections, server side), ``fake.connections_opened`` (accepted so far) and
:meth:`FakeMixpanel.wait_for_connections` support assertions on bounds, reuse and cleanup;
``fake.signed_query_strings`` holds every credential issued, so tests can check that none of
them leaks into logs or output.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import hmac
import math
import os
import re
import secrets
import select
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import SplitResult, parse_qs, urlsplit

import anyio.to_thread
import msgspec

from ._fake_oauth import FakeOAuth

__all__ = ["FakeMixpanel", "FakeReplay", "FaultRule", "Faults", "LoggedRequest", "Route"]

Route = Literal["insights", "sign", "cdn", "export", "oauth", "other"]
FaultAction = Literal[
    "status",
    "reset",
    "truncate",
    "cut",
    "invalid_json",
    "error_200",
    "non_list",
    "empty",
    "delay",
    "slow",
    "redirect",
]
SENSITIVE_FLAG = "SESSION_RECORDING_SENSITIVE_DATA"
_CDN_PATH = re.compile(r"^/cdn/srr-us/([0-9a-f]{40})-(\d+)/(\d{4,})-(\d+)\.json$")
_SIGN_PATH = re.compile(r"^/api/app/projects/(\d+)/replays/sign/bulk$")
_WHERE = re.compile(r'properties\["([^"]+)"\]\s*(==|!=)\s*"([^"]*)"')
_METRIC_NAMES = {"$mp_session_record": "Session Recording Checkpoint", "$all_events": "All Events"}


class FakeReplay(msgspec.Struct, kw_only=True):
    """One replay the fake serves; mutable, so a test can change it while the fake runs.

    ``retention_days`` is the suffix of its chunk files (``0000-30.json``);
    ``retention_property`` is the ``$mp_replay_retention_period`` discovery reports (``None``:
    the property is missing; defaults to ``str(retention_days)``). ``chunks`` are the encoded
    JSON arrays of its chunk files.
    """

    replay_id: str
    chunks: list[bytes]
    distinct_id: str = "user-42"
    retention_days: int = 30
    retention_property: str | msgspec.UnsetType | None = msgspec.UNSET
    env: str = "prod"
    start_ms: int = 0
    marks: list[tuple[int, str, dict[str, Any]]] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.retention_property is msgspec.UNSET:
            self.retention_property = str(self.retention_days)


class FaultRule(msgspec.Struct, kw_only=True):
    """A scripted fault: ``action`` on matching requests ``on_call`` .. ``on_call+times-1``.

    Requests match on ``route`` and, when set, ``chunk`` and ``replay_id``; they are counted
    per rule (1-based). ``times=None`` never stops. ``hits`` counts matching requests so far.
    """

    route: Route
    action: FaultAction
    on_call: int = 1
    times: int | None = 1
    status: int = 500
    retry_after: float | str | None = None
    delay: float = 0.0
    chunk: int | None = None
    replay_id: str | None = None
    location: str | None = None
    body: str | None = None
    hits: int = 0


class Faults(msgspec.Struct, kw_only=True):
    """The fake's switches; the module docstring documents each one."""

    sign_ttl: float = 300.0
    sign_max_uses: int | None = None
    reject_credentials: bool = False
    sign_sensitive: Literal["dict", "list", "string"] | None = None
    sign_reorder: bool = False
    sign_omit: set[str] = msgspec.field(default_factory=set)
    missing_chunks: set[int] = msgspec.field(default_factory=set)
    past_end_status: int = 404
    chunk_delay: float = 0.0
    cdn_gzip: bool = False
    unsorted: bool = False
    mobile: Literal["non-rrweb", "wireframe"] | None = None
    max_concurrent: dict[str, int] = msgspec.field(default_factory=dict)
    gate_retry_after: float | str | None = None
    insights_row_cap: int = 3000
    enforce_time_window: bool = False
    cdn_origin: str | None = None
    rules: list[FaultRule] = msgspec.field(default_factory=list)


class LoggedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One request the fake answered (secrets redacted).

    ``started`` (request read) and ``ended`` (its answer starts to go out, or it was aborted)
    are ``time.perf_counter()`` values; ``status`` is 0 when no answer was sent (a reset).
    """

    route: Route
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    fault: str | None
    replay_id: str | None
    chunk: int | None
    token_id: int | None
    started: float
    ended: float
    connection: int


class _Token(msgspec.Struct, kw_only=True):
    token_id: int
    prefix: str
    expires_at: float
    uses: int = 0


class _Abort(Exception):
    """Raised inside a handler after it has reset or closed the connection itself."""


def _load_events(path: Path) -> list[Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    events = msgspec.json.decode(raw)
    if not isinstance(events, list):
        raise ValueError(f"{path}: not a JSON array of rrweb events")
    return events


def _recording_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Path]:
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.name.endswith((".json", ".json.gz"))
                and not p.name.endswith(".truth.json")
                and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def _marks(events: list[Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """Mixpanel events an SDK would have sent beside the recording: page views and clicks."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    url = ""
    for ev in events:
        if not isinstance(ev, dict) or not isinstance(ev.get("data"), dict):
            continue
        ts, data = ev.get("timestamp"), ev["data"]
        if not isinstance(ts, int):
            continue
        if ev.get("type") == 4 and isinstance(data.get("href"), str):
            url = data["href"]
            out.append((ts, "$mp_web_page_view", {"$current_url": url}))
        elif ev.get("type") == 3 and data.get("source") == 2 and data.get("type") == 2:
            out.append((ts, "$mp_click", {"$current_url": url}))
    return out


def _mobile_chunk(events: list[Any], kind: str, first: bool) -> list[Any]:
    stamps = [e.get("timestamp", 0) for e in events if isinstance(e, dict)] or [0]
    if kind == "non-rrweb":
        return [{"timestamp": t, "screen": "Home", "wireframes": [{"id": 1}]} for t in stamps]
    out: list[Any] = []
    if first:
        shot = {"type": 2, "tagName": "img", "attributes": {"src": "data:image/png;base64,"}}
        node = {"type": 0, "id": 1, "childNodes": [{**shot, "id": 2, "childNodes": []}]}
        out += [
            {"type": 4, "data": {"width": 390, "height": 844}, "timestamp": stamps[0]},
            {"type": 2, "data": {"node": node, "initialOffset": {}}, "timestamp": stamps[0]},
        ]
    for i, t in enumerate(stamps):
        if i % 2:
            out.append({"type": 5, "data": {"tag": "mp_wireframe", "payload": {}}, "timestamp": t})
        else:
            touch = {"source": 2, "type": (7, 9, 10)[i % 3], "id": 2, "x": 10, "y": 20}
            out.append({"type": 3, "data": touch, "timestamp": t})
    return out


def _day_start(day: str) -> float:
    return dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC).timestamp()


class FakeMixpanel:
    """A local fake Mixpanel (Insights, sign, CDN, export) on 127.0.0.1; see the module doc.

    ``with FakeMixpanel.from_recordings(paths) as fake: client(fake.base_url, ...)``.
    """

    def __init__(
        self,
        replays: Iterable[FakeReplay] = (),
        *,
        project_id: int = 12345,
        username: str = "fake-sa.user",
        secret: str | None = None,
        oauth_token: str | None = None,
        log_limit: int | None = None,
    ) -> None:
        self.project_id = project_id
        self.username = username
        self.secret = secret if secret is not None else secrets.token_urlsafe(16)
        self.oauth_token = oauth_token if oauth_token is not None else secrets.token_urlsafe(24)
        self.replays: dict[str, FakeReplay] = {}
        self.extra_events: list[dict[str, Any]] = []
        self.faults = Faults()
        self.signed_query_strings: list[str] = []
        for replay in replays:
            self.replays[replay.replay_id] = replay
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._log: deque[LoggedRequest] = deque(maxlen=log_limit)
        self._calls: Counter[str] = Counter()
        self._tokens: dict[str, _Token] = {}
        self._by_sha: dict[str, tuple[str, str]] = {}  # prefix hash → (replay id, env)
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._conns: dict[socket.socket, tuple[threading.Thread, int]] = {}
        self._conn_serial = 0
        self._clock_offset = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.server_errors: list[BaseException] = []
        self._url: str | None = None
        self.oauth: FakeOAuth | None = None

    # ----------------------------------------------------------------- building

    @classmethod
    def from_recordings(
        cls,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        project_id: int = 12345,
        distinct_id: str = "user-42",
        chunk_events: int = 250,
        retention_days: int = 30,
        **kwargs: Any,
    ) -> FakeMixpanel:
        """A fake serving each recording (files, or directories of ``*.json``) as a replay.

        The replay id is the file stem; other keyword arguments go to the constructor.
        """
        fake = cls(project_id=project_id, **kwargs)
        for path in _recording_paths(paths):
            rid = path.name.removesuffix(".gz").removesuffix(".json")
            if rid in fake.replays:
                raise ValueError(f"two recordings with the replay id {rid!r}")
            fake.add_replay(
                rid,
                _load_events(path),
                distinct_id=distinct_id,
                chunk_events=chunk_events,
                retention_days=retention_days,
            )
        return fake

    def add_replay(
        self,
        replay_id: str,
        events: list[Any],
        *,
        distinct_id: str = "user-42",
        chunk_events: int = 250,
        retention_days: int = 30,
        env: str = "prod",
    ) -> FakeReplay:
        """Add (or replace) a replay built from a list of rrweb events."""
        if chunk_events < 1:
            raise ValueError("chunk_events must be at least 1")
        parts = [events[i : i + chunk_events] for i in range(0, len(events), chunk_events)]
        stamps = [e["timestamp"] for e in events if isinstance(e, dict) and "timestamp" in e]
        replay = FakeReplay(
            replay_id=replay_id,
            chunks=[msgspec.json.encode(p) for p in parts],
            distinct_id=distinct_id,
            retention_days=retention_days,
            env=env,
            start_ms=int(min(stamps, default=0)),
            marks=_marks(events),
        )
        self.replays[replay_id] = replay
        return replay

    def add_event(
        self, name: str, time_s: float, distinct_id: str, **properties: Any
    ) -> dict[str, Any]:
        """Add one Mixpanel event (for Insights and export); returns it as export shows it."""
        insert_id = secrets.token_hex(8)
        props = {"time": int(time_s), "distinct_id": distinct_id, "$insert_id": insert_id}
        event = {"event": name, "properties": {**props, **properties}}
        self.extra_events.append(event)
        return event

    def enable_oauth(self, **kwargs: Any) -> FakeOAuth:
        """Serve Mixpanel's OAuth endpoints and ``/api/app/me`` too (:class:`FakeOAuth`,
        on this fake's clock); the access tokens it issues work on every API route."""
        if self.oauth is None:
            self.oauth = FakeOAuth(clock=self.now, **kwargs)
        return self.oauth

    def inject(self, route: Route, action: FaultAction = "status", **kwargs: Any) -> FaultRule:
        """Add a :class:`FaultRule` (``fake.inject("cdn", "status", status=429, on_call=2)``)."""
        rule = FaultRule(route=route, action=action, **kwargs)
        with self._lock:
            self.faults.rules.append(rule)
        return rule

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """The one origin serving every host, e.g. ``http://127.0.0.1:41234``."""
        if self._url is None:
            raise RuntimeError("FakeMixpanel is not running; use `with` or start()")
        return self._url

    def start(self) -> Self:
        """Bind a free port and serve in a daemon thread (``with`` does this for you)."""
        if self._server is not None:
            raise RuntimeError("FakeMixpanel is already running")
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler, self)
        self._server = server
        self._url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, reset open connections and join every thread the fake started."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns.items())
        for sock, _ in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, (thread, _serial) in conns:
            thread.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        # Cleared last: a request the client abandoned may still be finishing in a handler
        # thread above, and it builds URLs from `base_url`.
        self._url = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await anyio.to_thread.run_sync(self.close)

    def __repr__(self) -> str:
        state = self.base_url if self._server is not None else "stopped"
        return f"<FakeMixpanel {state} project={self.project_id} replays={len(self.replays)}>"

    # ----------------------------------------------------------------- observation

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of every answered request, in completion order."""
        with self._lock:
            return list(self._log)

    def calls(self, route: Route) -> int:
        """How many requests of ``route`` the fake has answered (since :meth:`reset_log`)."""
        with self._lock:
            return self._calls[route]

    def peak_concurrency(self, route: Route) -> int:
        """The most requests of ``route`` that were in flight at the same time."""
        with self._lock:
            return self._peak.get(route, 0)

    @property
    def open_connections(self) -> int:
        """TCP connections currently open to the fake (server side)."""
        with self._lock:
            return len(self._conns)

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted since the fake started (keep-alive reuse shows here)."""
        with self._lock:
            return self._conn_serial

    def wait_for_connections(self, count: int = 0, timeout: float = 2.0) -> bool:
        """Wait until at most ``count`` connections are open; false on timeout."""
        deadline = time.monotonic() + timeout
        while self.open_connections > count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def reset_log(self) -> None:
        """Forget logged requests and peak concurrency (rules and tokens are kept)."""
        with self._lock:
            self._log.clear()
            self._calls.clear()
            self._peak.clear()

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

    # ----------------------------------------------------------------- internals

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

    def _events(self) -> list[dict[str, Any]]:
        """The event dataset: session-record checkpoints, page views, clicks, extras."""
        out: list[dict[str, Any]] = []
        for r in self.replays.values():
            base = {"distinct_id": r.distinct_id, "$mp_replay_id": r.replay_id}
            for i in range(len(r.chunks)):
                props: dict[str, Any] = {**base, "$mp_chunk": i}
                if isinstance(r.retention_property, str):
                    props["$mp_replay_retention_period"] = r.retention_property
                t = r.start_ms if i == 0 else r.start_ms + i  # chunk 0 carries the start
                out.append(
                    {"event": "$mp_session_record", "properties": {"time": t / 1000, **props}}
                )
            for ts, name, extra in r.marks:
                props = {"time": ts / 1000, **base, **extra}
                out.append({"event": name, "properties": props})
        for ev in self.extra_events:
            out.append({"event": ev["event"], "properties": dict(ev["properties"])})
        for n, ev in enumerate(out):
            ev["properties"].setdefault("$insert_id", f"fake-{n}")
        return out

    def _in_window(self, t: float, lo: float | None, hi: float | None) -> bool:
        if not self.faults.enforce_time_window:
            return True
        return (lo is None or t >= lo) and (hi is None or t < hi)


def _prop(event: dict[str, Any], name: str) -> Any:
    props = event["properties"]
    if name == "$event_name":
        return event["event"]
    if name == "$time":
        stamp = dt.datetime.fromtimestamp(int(props["time"]), dt.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S")
    if name == "$distinct_id":
        return props.get("distinct_id")
    return props.get(name)


def _insights_window(time_section: Any, now: float) -> tuple[float | None, float | None]:
    entry = time_section[0] if isinstance(time_section, list) and time_section else {}
    if not isinstance(entry, dict):
        return None, None
    value = entry.get("value")
    if entry.get("dateRangeType") == "between" and isinstance(value, list) and len(value) == 2:
        return _day_start(value[0]), _day_start(value[1]) + 86400
    window = entry.get("window")
    if isinstance(window, dict) and isinstance(window.get("value"), int):
        return now - window["value"] * 86400, None
    return None, None


def _matches_filters(event: dict[str, Any], filters: Any) -> bool:
    for f in filters if isinstance(filters, list) else []:
        if not isinstance(f, dict):
            continue
        wanted = f.get("filterValue")
        wanted = wanted if isinstance(wanted, list) else [wanted]
        found = _prop(event, str(f.get("value"))) in wanted
        negate = "not" in str(f.get("filterOperator", "")).lower()
        if found == negate:
            return False
    return True


def _insights(fake: FakeMixpanel, body: Any) -> tuple[int, Any]:
    """Answer an Insights table query from the event dataset (see the module docstring)."""
    try:
        sections = body["bookmark"]["sections"]
        show = sections["show"][0]
        event_name = show["behavior"]["name"]
        math_kind = show.get("measurement", {}).get("math", "total")
        groups = [g.get("propertyName") or g.get("value") for g in sections.get("group", [])]
    except (KeyError, IndexError, TypeError, AttributeError):
        return 400, {"error": "invalid bookmark: expected sections.show[0].behavior.name"}
    lo, hi = _insights_window(sections.get("time"), fake.now())
    limit = body.get("queryLimits", {}).get("limit", 3000)
    cap = min(fake.faults.insights_row_cap, limit if isinstance(limit, int) else 3000)
    root: dict[str, Any] = {}
    rows: set[tuple[str, ...]] = set()
    hit = False
    for ev in fake._events():
        if event_name != "$all_events" and ev["event"] != event_name:
            continue
        t = float(ev["properties"]["time"])
        if not fake._in_window(t, lo, hi) or not _matches_filters(ev, sections.get("filter")):
            continue
        keys: list[str] = []
        for g in groups:
            value = _prop(ev, g)
            if value is None:
                break
            keys.append(str(value))
        if tuple(keys) not in rows:
            if len(rows) >= cap:
                hit = True
                continue
            rows.add(tuple(keys))
        _accumulate(root, keys, len(groups), int(t) if math_kind == "min" else 1, math_kind)
    label = _METRIC_NAMES.get(event_name, event_name)
    suffix = "Minimum Time" if math_kind == "min" else "Total Events"
    days = [
        None if x is None else dt.datetime.fromtimestamp(x, dt.UTC).date().isoformat()
        for x in (lo, hi)
    ]
    return 200, {
        "computed_at": dt.datetime.now(dt.UTC).isoformat(),
        "date_range": {"from_date": days[0], "to_date": days[1]},
        "headers": ["$metric", *groups],
        "meta": {"is_segmentation_limit_hit": hit},
        "series": {f"{label} [{suffix}]": root},
    }


def _accumulate(node: dict[str, Any], keys: list[str], depth: int, value: int, how: str) -> None:
    """Fold ``value`` into each ``$overall`` on the path of ``keys`` and into its leaf.

    A path shorter than ``depth`` (a group property the event lacks) adds to rollups only.
    """

    def fold(target: dict[str, Any]) -> None:
        old = target.get("all")
        target["all"] = value if old is None else min(old, value) if how == "min" else old + value

    for key in keys:
        fold(node.setdefault("$overall", {}))
        node = node.setdefault(key, {})
    if len(keys) == depth:
        fold(node)
    else:
        fold(node.setdefault("$overall", {}))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], fake: FakeMixpanel):
        self.fake = fake
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True
        )
        with self.fake._lock:
            self.fake._conn_serial += 1
            self.fake._conns[request] = (thread, self.fake._conn_serial)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except (ConnectionError, TimeoutError, _Abort):
            pass
        except Exception as exc:  # a bug in the fake: keep it for the test to see
            self.fake.server_errors.append(exc)
        finally:
            self.shutdown_request(request)
            with self.fake._lock:
                self.fake._conns.pop(request, None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeMixpanel/1"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server
    conn_id: int
    route: Route
    status: int
    fault: str | None
    replay_id: str | None
    chunk: int | None
    token_id: int | None
    body: Any
    rule: FaultRule | None
    env: str
    url: SplitResult
    started: float
    logged: bool
    left: bool

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake logs into ``fake.requests`` instead."""

    def setup(self) -> None:
        super().setup()
        with self.server.fake._lock:
            self.conn_id = self.server.fake._conns[self.connection][1]

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # --------------------------------------------------------------- plumbing

    def _dispatch(self) -> None:
        fake = self.server.fake
        self.url = urlsplit(self.path)
        path = self.url.path
        self.route = "other"
        if path == "/api/query/insights":
            self.route = "insights"
        elif _SIGN_PATH.match(path):
            self.route = "sign"
        elif path.startswith("/cdn/"):
            self.route = "cdn"
        elif path == "/api/2.0/export":
            self.route = "export"
        elif path.startswith("/oauth/") or path == "/api/app/me":
            self.route = "oauth"
        self.status, self.fault, self.rule, self.logged, self.left = 0, None, None, False, False
        self.replay_id, self.chunk, self.token_id, self.body = None, None, None, None
        self.env = ""
        self.started = time.perf_counter()
        with fake._lock:
            in_flight = fake._in_flight.get(self.route, 0) + 1
            fake._in_flight[self.route] = in_flight
            fake._peak[self.route] = max(fake._peak.get(self.route, 0), in_flight)
        try:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if raw:
                try:
                    self.body = msgspec.json.decode(raw)
                except msgspec.DecodeError:
                    self.body = raw.decode("utf-8", "replace")
            self._handle(path, self.url.query, in_flight)
        except _Abort:
            self.close_connection = True
        finally:
            self._log()
            self._leave()

    def _log(self) -> None:
        """Log the request once, before its answer's first byte: a client holding any part
        of an answer (even just a status line) finds the request in ``fake.requests``."""
        if self.logged:
            return
        self.logged = True
        fake = self.server.fake
        params = parse_qs(self.url.query, keep_blank_values=True)
        if "Signature" in params:
            params["Signature"] = ["REDACTED"]
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "authorization" in headers:
            headers["authorization"] = "REDACTED"
        body = self.body
        if self.route == "oauth" and isinstance(body, str):
            body = "REDACTED"  # codes, verifiers and refresh tokens
        entry = LoggedRequest(
            route=self.route,
            method=self.command,
            path=self.url.path,
            params=params,
            headers=headers,
            body=body,
            status=self.status,
            fault=self.fault,
            replay_id=self.replay_id,
            chunk=self.chunk,
            token_id=self.token_id,
            started=self.started,
            ended=time.perf_counter(),
            connection=self.conn_id,
        )
        with fake._lock:
            fake._log.append(entry)
            fake._calls[self.route] += 1

    def _leave(self) -> None:
        """Leave the in-flight count once, before the answer's last byte."""
        if not self.left:
            self.left = True
            with self.server.fake._lock:
                self.server.fake._in_flight[self.route] -= 1

    def _send(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer: bytes as they are, str as text, anything else JSON-encoded."""
        if isinstance(body, str):
            body, content_type = body.encode(), "text/plain; charset=utf-8"
        data = body if isinstance(body, bytes) else msgspec.json.encode(body)
        self.status = status
        action = self.rule.action if self.rule is not None and status == 200 else None
        head = [
            f"HTTP/1.1 {status} {self.responses.get(status, ('Fault',))[0]}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {content_type}",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
            "Connection: close" if action == "cut" else f"Content-Length: {len(data)}",
        ]
        out = memoryview("\r\n".join([*head, "", ""]).encode() + data)
        self._log()
        if action in ("truncate", "cut"):
            self._leave()
            self.wfile.write(out[: len(out) - len(data) // 2])
            raise _Abort
        step = -(-len(out) // 4) if action == "slow" and self.rule is not None else len(out)
        for i in range(0, len(out) - 1, step):
            if i and self.rule is not None:
                self._pause(self.rule.delay)
            self.wfile.write(out[i : min(i + step, len(out) - 1)])
        self._leave()
        self.wfile.write(out[-1:])

    def _pause(self, seconds: float) -> None:
        """Wait; abort early when the fake stops or the client hangs up (as servers notice)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.server.fake._stopping.is_set():
                raise _Abort
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.005))
            if readable:
                try:
                    gone = not self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    gone = True
                if gone:
                    self.status = 0
                    self.fault = self.fault or "client_closed"
                    raise _Abort
                if self.server.fake._stopping.wait(left):  # more bytes: a pipelined request
                    raise _Abort

    def _reset(self) -> None:
        """Abort the connection with a TCP reset (SO_LINGER 0, then close)."""
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        sock.close()
        raise _Abort

    def _match_rule(self) -> FaultRule | None:
        fake = self.server.fake
        fired = None
        with fake._lock:
            for rule in fake.faults.rules:
                if rule.route != self.route:
                    continue
                if rule.chunk is not None and rule.chunk != self.chunk:
                    continue
                if rule.replay_id is not None and rule.replay_id != self.replay_id:
                    continue
                rule.hits += 1  # every matching rule counts the request; the first due fires
                last = None if rule.times is None else rule.on_call + rule.times - 1
                due = rule.hits >= rule.on_call and (last is None or rule.hits <= last)
                fired = fired or (rule if due else None)
        return fired

    def _authorized(self) -> bool:
        fake = self.server.fake
        auth = self.headers.get("Authorization", "")
        basic = base64.b64encode(f"{fake.username}:{fake.secret}".encode()).decode()
        ok = hmac.compare_digest(auth.encode(), f"Basic {basic}".encode())
        ok |= hmac.compare_digest(auth.encode(), f"Bearer {fake.oauth_token}".encode())
        scheme, _, token = auth.partition(" ")
        ok |= fake.oauth is not None and scheme == "Bearer" and fake.oauth.accepts(token)
        return ok and not fake.faults.reject_credentials

    # --------------------------------------------------------------- routes

    def _handle(self, path: str, query: str, in_flight: int) -> None:
        fake = self.server.fake
        faults = fake.faults
        cdn = _CDN_PATH.match(path) if self.route == "cdn" else None
        if cdn is not None:
            self.chunk = int(cdn.group(3))
            with fake._lock:
                self.replay_id, self.env = fake._by_sha.get(cdn.group(1), (None, ""))
        gate = faults.max_concurrent.get(self.route)
        if gate is not None and in_flight > gate:
            self.fault = "gate"
            retry = faults.gate_retry_after
            hdrs = {} if retry is None else {"Retry-After": str(retry)}
            self._send(429, {"error": "too many concurrent queries", "status": "error"}, hdrs)
            return
        rule = self._match_rule()
        if rule is not None:
            self.fault = rule.action
            if rule.action == "reset":
                self._reset()
            if rule.action == "delay":
                self._pause(rule.delay)
            if rule.action == "status":
                hdrs = {} if rule.retry_after is None else {"Retry-After": str(rule.retry_after)}
                message = "rate limited" if rule.status == 429 else f"fault {rule.status}"
                message = message if rule.body is None else rule.body
                self._send(rule.status, {"error": message, "status": "error"}, hdrs)
                return
            if rule.action == "invalid_json":
                self._send(200, b"<html><body>502 Bad Gateway</body></html>")
                return
            if rule.action == "error_200":
                self._send(200, {"error": "Query failed: try again later"})
                return
            if rule.action == "redirect":
                status = rule.status if 300 <= rule.status < 400 else 302
                self._send(status, {"error": "moved"}, {"Location": rule.location or "/"})
                return
            self.rule = rule
        if self.route == "cdn":
            self._route_cdn(path, query, cdn)
        elif self.route == "oauth" and fake.oauth is not None:
            auth = self.headers.get("Authorization", "")
            status, answer, extra = fake.oauth.handle(self.command, path, query, self.body, auth)
            self._send(status, answer, extra)
        elif self.route in ("other", "oauth"):
            self._send(404, {"error": f"no such endpoint: {path}"})
        elif not self._authorized():
            self._send(401, {"error": "Invalid username or secret", "status": "error"})
        elif self.route == "insights":
            self._route_insights()
        elif self.route == "sign":
            self._route_sign(path)
        else:
            self._route_export(query)

    def _route_insights(self) -> None:
        fake = self.server.fake
        body = self.body
        if not isinstance(body, dict) or "bookmark" not in body:
            self._send(400, {"error": "request body must be a JSON object with a bookmark"})
        elif str(body.get("project_id")) != str(fake.project_id):
            self._send(403, {"error": f"no access to project {body.get('project_id')}"})
        else:
            self._send(*_insights(fake, body))

    def _route_sign(self, path: str) -> None:
        fake = self.server.fake
        faults = fake.faults
        match = _SIGN_PATH.match(path)
        if match is None or int(match.group(1)) != fake.project_id:
            self._send(403, {"error": f"no access to {path}"})
            return
        if faults.sign_sensitive is not None:
            message = f"Replays are restricted for this project: {SENSITIVE_FLAG} is required"
            shapes = {
                "dict": {"error": message, "status": "error"},
                "list": [{"error": message}],
                "string": message,
            }
            self._send(403, msgspec.json.encode(shapes[faults.sign_sensitive]))
            return
        items = self.body.get("replays") if isinstance(self.body, dict) else None
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("replay_id"), str) for i in items
        ):
            self._send(400, {"error": 'body must be {"replays": [{"replay_id": ...}, ...]}'})
            return
        results = []
        for item in items:
            rid, env = item["replay_id"], item.get("replay_env", "prod")
            if env not in ("prod", "dev"):
                self._send(400, {"error": f"invalid replay_env {env!r}"})
                return
            if rid in faults.sign_omit:
                continue
            origin = faults.cdn_origin or fake.base_url
            prefix = f"{origin}/cdn/srr-us/{fake._sha(rid, env)}-{fake.project_id}/"
            results.append({"replay_id": rid, "url": prefix, "query_string": fake._sign(prefix)})
        if faults.sign_reorder:
            results.reverse()
        self._send(200, {"results": results})

    def _route_cdn(self, path: str, query: str, match: re.Match[str] | None) -> None:
        fake = self.server.fake
        faults = fake.faults
        origin = faults.cdn_origin or fake.base_url
        self.token_id, why = fake._check_token(f"{origin}{path}", query)
        if why is not None:
            self._send(403, why)
            return
        replay = fake.replays.get(self.replay_id or "")
        n = self.chunk or 0
        if (
            match is None
            or replay is None
            or replay.env != self.env
            or int(match.group(4)) != replay.retention_days
            or match.group(3) != f"{n:04d}"
            or n in faults.missing_chunks
        ):
            self._send(404, "not found")
            return
        if n >= len(replay.chunks):
            self._send(faults.past_end_status, "not found")
            return
        self._pause(faults.chunk_delay)
        data = replay.chunks[n]
        action = self.rule.action if self.rule is not None else None
        if faults.mobile or faults.unsorted or action in ("non_list", "empty"):
            events = msgspec.json.decode(data)
            if faults.mobile:
                events = _mobile_chunk(events, faults.mobile, n == 0)
            if faults.unsorted:
                events.reverse()
            if action == "empty":
                events = []
            data = msgspec.json.encode({"events": events} if action == "non_list" else events)
        headers = {"Cache-Control": "private, max-age=0"}
        if faults.cdn_gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        self._send(200, data, headers)

    def _route_export(self, query: str) -> None:
        fake = self.server.fake
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        basic = self.headers.get("Authorization", "").startswith("Basic ")
        if basic and params.get("project_id") != str(fake.project_id):
            self._send(400, {"error": "project_id is required and must match the account"})
            return
        try:
            lo, hi = _day_start(params["from_date"]), _day_start(params["to_date"]) + 86400
            names = msgspec.json.decode(params["event"]) if "event" in params else None
            limit = int(params["limit"]) if "limit" in params else None
        except (KeyError, ValueError, msgspec.DecodeError):
            self._send(400, {"error": "from_date and to_date (YYYY-MM-DD) are required"})
            return
        where = _WHERE.findall(params.get("where", ""))
        if params.get("where") and not where:
            self._send(400, {"error": "unsupported where expression"})
            return
        lines = []
        for ev in fake._events():
            props = ev["properties"]
            props["time"] = int(props["time"])
            wanted = ev["event"] != "$mp_session_record" if names is None else ev["event"] in names
            if not wanted or not fake._in_window(props["time"], lo, hi):
                continue
            if any((str(props.get(k)) == v) != (op == "==") for k, op, v in where):
                continue
            lines.append(msgspec.json.encode(ev) + b"\n")
            if limit is not None and len(lines) >= limit:
                break
        self._send(200, b"".join(lines), content_type="application/x-ndjson")
