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

**Modules.** :class:`FakeMixpanel` (building, lifecycle, observation) is here; its parts live
one concept a module: :mod:`._fake_dataset` (replays and the event dataset),
:mod:`._fake_faults` (switches and rules), :mod:`._fake_signing` (signed URLs and the
clock), :mod:`._fake_insights` and :mod:`._fake_export` (the query APIs) and
:mod:`._fake_server` (HTTP, routing, the request log).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import anyio.to_thread
import msgspec

from ._fake_dataset import FakeReplay, _dataset_events, _load_events, _marks, _recording_paths
from ._fake_faults import FaultAction, FaultRule, Faults, Route
from ._fake_oauth import FakeOAuth
from ._fake_server import LoggedRequest, _Handler, _Server
from ._fake_signing import _SigningClock, _Token

__all__ = ["FakeMixpanel", "FakeReplay", "FaultRule", "Faults", "LoggedRequest", "Route"]


class FakeMixpanel(_SigningClock):
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

    # ----------------------------------------------------------------- internals

    def _events(self) -> list[dict[str, Any]]:
        """The event dataset: session-record checkpoints, page views, clicks, extras."""
        return _dataset_events(self.replays.values(), self.extra_events)

    def _in_window(self, t: float, lo: float | None, hi: float | None) -> bool:
        if not self.faults.enforce_time_window:
            return True
        return (lo is None or t >= lo) and (hi is None or t < hi)
