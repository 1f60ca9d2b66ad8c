"""The fake Mixpanel's HTTP server: connections, routing, the request log
(:class:`LoggedRequest`), faults applied on the wire, authorization, and the sign and CDN
routes (Insights and export answers come from :mod:`._fake_insights` and
:mod:`._fake_export`)."""

from __future__ import annotations

import base64
import gzip
import hmac
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, parse_qs, urlsplit

import msgspec

from ._fake_export import _export
from ._fake_faults import SENSITIVE_FLAG, FaultRule, Route, _due_rule, _mobile_chunk
from ._fake_insights import _insights

if TYPE_CHECKING:
    from ._fake_mixpanel import FakeMixpanel

__all__ = ["LoggedRequest"]

_CDN_PATH = re.compile(r"^/cdn/srr-us/([0-9a-f]{40})-(\d+)/(\d{4,})-(\d+)\.json$")
_SIGN_PATH = re.compile(r"^/api/app/projects/(\d+)/replays/sign/bulk$")


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


class _Abort(Exception):
    """Raised inside a handler after it has reset or closed the connection itself."""


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
        with fake._lock:
            return _due_rule(fake.faults.rules, self.route, self.chunk, self.replay_id)

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
        basic = self.headers.get("Authorization", "").startswith("Basic ")
        status, answer = _export(self.server.fake, query, basic)
        ndjson = "application/x-ndjson" if status == 200 else "application/json"
        self._send(status, answer, content_type=ndjson)
