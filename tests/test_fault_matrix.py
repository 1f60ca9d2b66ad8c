"""The HTTP fault matrix: every Mixpanel route × every network fault, over real sockets.

Routes: ``discover`` (Insights), ``sign`` (bulk sign), ``chunk0`` and ``chunkk`` (CDN
chunk files 0 and 6 of a 9-file replay) and ``events`` (the raw export). Faults are
scripted on :class:`FakeMixpanel` (statuses, resets, lying lengths, bodies cut mid-JSON,
slow and late answers, non-JSON bodies) plus connects that time out, made by
:class:`ConnectGate` (a loopback listener whose accept queue is full).

Each cell runs the route's operation twice:

- **burst**: the fault hits every attempt but the last, then clears. A retryable fault
  must be absorbed using exactly every attempt, the result equal to a clean run.
- **persistent**: the fault never clears. The operation must stop after a bounded number
  of attempts (all of them for retryable faults, 1 for the others, 2 for a CDN 403: one
  renewal) and raise one exact replaykit error type with the expected exit code, whose
  text holds no credential.

Retry sleeps are injected (recorded, never waited), so only the timeout cells spend real
time: a 0.05 s connect timeout or a 0.12 s read timeout per attempt, and 2 attempts
instead of 3 (a burst of one still proves the retry, the persistent run the bound). The
short read timeout applies to the faulted kind of request only (CDN ``read`` or API
``api_read``). One fake serves the whole module (its switches are reset before each
cell): starting and stopping one costs more than most cells.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from _fakenet import (
    CHECKOUT,
    ConnectGate,
    Sleeps,
    client,
    leaks,
    serving,
    settle,
    shared_tls_context,
)

from replaykit import (
    AuthenticationError,
    InvalidResponseError,
    MixpanelClient,
    RateLimitError,
    RecordingFormatError,
    ReplaykitError,
    ServerError,
    SignedURLExpiredError,
    Timeouts,
    TransientError,
)
from replaykit.testing import FakeMixpanel, Faults

pytestmark = pytest.mark.anyio

MAX = 3  # attempts per request (RetryPolicy.max_attempts)
K = 6  # "chunk k": a later file of CHECKOUT (3.4 kB, so a slow answer stalls mid-body)
RETRY_AFTER = 2.0
STALL = 1.0  # how long a late or slow answer stalls: far beyond the read timeout
# A loopback connect completes in microseconds, so 50 ms cannot time out by accident; a
# read waits on a handler thread of the fake, so it gets more room.
CONNECT_TIMEOUT = 0.05
READ_TIMEOUT = 0.12
BACKOFF = [0.5, 1.0]  # base_delay 0.5 doubled, no jitter: the sleeps before attempts 2, 3
BAD_SECRET = "wrong-secret-CANARY-7c1e"

ROUTES = ("discover", "sign", "chunk0", "chunkk", "events")
FAULTS = (
    "429-retry-after",
    "429",
    "500",
    "502",
    "503",
    "connect-timeout",
    "read-timeout-headers",
    "read-timeout-mid-body",
    "reset",
    "truncated",
    "cut",
    "invalid-json",
    "403",
    "401",
)
FAKE_ROUTE = {
    "discover": "insights",
    "sign": "sign",
    "chunk0": "cdn",
    "chunkk": "cdn",
    "events": "export",
}
ACTIONS = {  # fault → (FakeMixpanel action, its arguments)
    "429-retry-after": ("status", {"status": 429, "retry_after": RETRY_AFTER}),
    "429": ("status", {"status": 429}),
    "500": ("status", {"status": 500}),
    "502": ("status", {"status": 502}),
    "503": ("status", {"status": 503}),
    "read-timeout-headers": ("delay", {"delay": STALL}),
    "read-timeout-mid-body": ("slow", {"delay": STALL}),
    "reset": ("reset", {}),
    "truncated": ("truncate", {}),
    "cut": ("cut", {}),
    "invalid-json": ("invalid_json", {}),
    "403": ("status", {"status": 403}),
    "401": ("status", {"status": 401}),
}


@dataclass(frozen=True)
class Expect:
    """What a cell must do: recover from a burst or not, then fail how under a persistent
    fault (error type, exit code, attempts at the server, retry sleeps, message)."""

    recovers: bool
    error: type[ReplaykitError]
    exit_code: int
    attempts: int
    sleeps: list[float]
    message: str


def tries(fault: str) -> int:
    """The retry policy's attempts for a cell: 2 where each attempt costs real time."""
    return 2 if "timeout" in fault else MAX


def expect(route: str, fault: str) -> Expect:
    chunk = route.startswith("chunk")
    where = f"chunk file {K if route == 'chunkk' else 0}: " if chunk else ""
    n = tries(fault)
    backoff = BACKOFF[: n - 1]
    if fault.startswith("429"):
        waits = [RETRY_AFTER] * (MAX - 1) if fault == "429-retry-after" else BACKOFF
        return Expect(True, RateLimitError, 5, MAX, waits, r"429.*after 3 attempts")
    if fault in ("500", "502", "503"):
        return Expect(True, ServerError, 1, MAX, BACKOFF, rf"{fault}.*after 3 attempts")
    if fault in ("read-timeout-mid-body", "truncated", "cut") and route == "events":
        # A streamed export cannot take back the events it already handed out: the first
        # break after them is final (and says how far it got).
        return Expect(False, TransientError, 1, 1, [], r"export: .* after \d+ events$")
    if fault in ("connect-timeout", "read-timeout-headers", "read-timeout-mid-body", "reset"):
        what = {
            "connect-timeout": "ConnectTimeout",
            "read-timeout-headers": "ReadTimeout",
            "read-timeout-mid-body": "ReadTimeout",
            "reset": "connection failed|cut short",
        }[fault]
        return Expect(True, TransientError, 1, n, backoff, rf"{where}.*({what}).*{n} attempts")
    if fault in ("truncated", "cut"):
        return Expect(
            True,
            TransientError,
            1,
            MAX,
            BACKOFF,
            r"(cut short|RemoteProtocolError).*after 3 attempts",
        )
    if fault == "invalid-json":
        if chunk:
            return Expect(False, RecordingFormatError, 1, 1, [], rf"^{where}")
        return Expect(False, InvalidResponseError, 1, 1, [], "not JSON|not NDJSON")
    if fault == "403":
        if chunk:  # the CDN's "signature expired": sign again once, then give up
            return Expect(True, SignedURLExpiredError, 1, 2, [], "even after signing it again")
        return Expect(False, AuthenticationError, 2, 1, [], r"access denied \(403\)")
    assert fault == "401"
    if chunk:  # the CDN takes no credentials: a 401 there is an answer it should not give
        return Expect(False, InvalidResponseError, 1, 1, [], "CDN answered HTTP 401")
    return Expect(False, AuthenticationError, 2, 1, [], r"credentials rejected \(401\)")


# --------------------------------------------------------------------------- operations

Operation = Callable[[MixpanelClient], Awaitable[Any]]


async def _discover(mp: MixpanelClient) -> Any:
    return sorted([d.replay_id async for d in mp.discover(distinct_id="user-42")])


async def _sign(mp: MixpanelClient) -> Any:
    # Every replay: an answer of 1.4 kB, so a slow one stalls mid-body.
    return [s.replay_id async for s in mp.sign(IDS)]


async def _chunks(mp: MixpanelClient) -> Any:
    events = []
    async with mp.fetch_chunks(CHECKOUT, retention_days=30) as chunks:
        async for chunk in chunks:
            events += [e.timestamp for e in chunk.events]
    return events


async def _events(mp: MixpanelClient) -> Any:
    found = mp.events(CHECKOUT, distinct_id="user-42", from_date="2020-01-01")
    return [(e.name, e.time_ms) async for e in found]


IDS: list[str] = []
OPERATIONS: dict[str, Operation] = {
    "discover": _discover,
    "sign": _sign,
    "chunk0": _chunks,
    "chunkk": _chunks,
    "events": _events,
}


# --------------------------------------------------------------------------- one cell


@dataclass
class Setup:
    """How to reach the fake for one run of a cell: the client and what to close after."""

    mp: MixpanelClient
    sleeps: Sleeps
    gate: ConnectGate | None = None
    http: httpx.AsyncClient | None = None


def _setup(fake: FakeMixpanel, route: str, fault: str, *, burst: bool) -> Setup:
    """Arm the fault (for all attempts but the last when ``burst``, else for good)."""
    target = FAKE_ROUTE[route]
    chunk = {"chunk0": 0, "chunkk": K}.get(route)
    if fault == "connect-timeout":
        return _gated(fake, route, burst)
    timeouts = None
    if "timeout" in fault:
        cdn = target == "cdn"
        timeouts = Timeouts(read=READ_TIMEOUT) if cdn else Timeouts(api_read=READ_TIMEOUT)
    sleeps = Sleeps()
    if fault == "401" and target != "cdn":
        # Bad credentials, for real (the fake checks them on every API route); they stay
        # bad, so a burst is the same as for good.
        return Setup(client(fake, sleeps, attempts=MAX, secret=BAD_SECRET), sleeps)
    if fault == "403" and target == "cdn":
        fake.inject("cdn", "status", status=403, chunk=chunk, times=1 if burst else None)
    else:
        action, kwargs = ACTIONS[fault]
        times = tries(fault) - 1 if burst else None
        fake.inject(target, action, chunk=chunk, times=times, **kwargs)  # type: ignore[arg-type]
    return Setup(client(fake, sleeps, attempts=tries(fault), timeouts=timeouts), sleeps)


def _gated(fake: FakeMixpanel, route: str, burst: bool) -> Setup:
    """Connects time out: the route's requests go through a blocked :class:`ConnectGate`.

    API routes: the base URL is the gate. CDN routes: signed prefixes name the gate
    (``cdn_origin``); for chunk k the gate lets k connections through, and the client
    opens one connection per request (no keep-alive) with one request in flight, so
    connection k + 1 is chunk k's. In a burst the gate opens before the last attempt.
    """
    port = int(fake.base_url.rsplit(":", 1)[1])
    gate = ConnectGate(port, allow=K if route == "chunkk" else None, blocked=route != "chunkk")
    if not _gate_works(port):
        gate.close()
        pytest.skip("a full accept queue does not make connects time out here (not Linux)")
    attempts = tries("connect-timeout")
    sleeps = Sleeps(lambda n: gate.open() if burst and n == attempts - 1 else None)
    http = None
    limits: dict[str, int] = {}
    base_url = None
    if FAKE_ROUTE[route] == "cdn":
        fake.faults.cdn_origin = gate.origin
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        limits = {"initial_window": 1, "replay_window": 1}
    else:
        base_url = gate.origin
    mp = client(
        fake,
        sleeps,
        attempts=attempts,
        base_url=base_url,
        timeouts=Timeouts(connect=CONNECT_TIMEOUT),
        http_client=http,
        **limits,
    )
    return Setup(mp, sleeps, gate, http)


async def _run(setup: Setup, route: str) -> tuple[Any, BaseException | None]:
    try:
        async with setup.mp as mp:
            return await OPERATIONS[route](mp), None
    except Exception as exc:  # the cell inspects whatever came out
        return None, exc
    finally:
        if setup.http is not None:
            await setup.http.aclose()
        if setup.gate is not None:
            setup.gate.close()


def _attempts(fake: FakeMixpanel, route: str) -> int:
    """Requests the fake saw for the faulted request of ``route``."""
    target = FAKE_ROUTE[route]
    chunk = {"chunk0": 0, "chunkk": K}.get(route)
    return sum(
        r.route == target and (chunk is None or (r.chunk == chunk and r.replay_id == CHECKOUT))
        for r in fake.requests
    )


def _texts(exc: BaseException) -> Iterator[str]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield from (repr(e), str(e), repr(e.args), repr(vars(e)))
        pending += [e.__cause__, e.__context__]
    yield "".join(traceback.format_exception(exc))


_GATE_WORKS: list[bool] = []


def _gate_works(port: int) -> bool:
    """Whether a blocked gate makes connects time out on this system (checked once)."""
    if not _GATE_WORKS:
        with ConnectGate(port) as probe:
            _GATE_WORKS.append(probe.probe())
    return _GATE_WORKS[0]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeMixpanel]:
    with shared_tls_context(), serving() as fake:  # three clients per cell
        IDS[:] = sorted(fake.replays)
        yield fake


@pytest.fixture
def fake(server: FakeMixpanel) -> FakeMixpanel:
    server.faults = Faults()
    server.reset_log()
    return server


_CLEAN: dict[str, Any] = {}


def _check_sleeps(delays: list[float], want: list[float], route: str, fault: str) -> None:
    """The retry sleeps: exactly the policy's for the faulted request.

    Where a short read timeout covers every CDN request of a walk, a loaded machine may
    now and then stall an unfaulted chunk past it: that chunk's retry adds sleeps of the
    same policy, which is fine. The attempts of the faulted request itself are counted
    exactly at the fake.
    """
    if route.startswith("chunk") and fault.startswith("read-timeout"):
        assert len(delays) >= len(want) and set(delays) <= set(BACKOFF), delays
    else:
        assert delays == want


async def _clean(fake: FakeMixpanel, route: str) -> Any:
    """The route's result without faults (the same for every cell: computed once)."""
    if route not in _CLEAN:
        got, error = await _run(Setup(client(fake), Sleeps()), route)
        assert error is None and got, error
        settle(fake)
        fake.reset_log()
        _CLEAN[route] = got
    return _CLEAN[route]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("route", ROUTES)
async def test_cell(fake: FakeMixpanel, route: str, fault: str) -> None:
    want = expect(route, fault)
    assert len(fake.replays[CHECKOUT].chunks[K]) > 3000  # a slow answer stalls mid-body
    clean = await _clean(fake, route)

    # A burst of the fault, then none: absorbed. (A fault no retry can fix fails the same
    # way once as for good: the persistent run below covers it.)
    if want.recovers:
        setup = _setup(fake, route, fault, burst=True)
        got, error = await _run(setup, route)
        settle(fake)
        assert error is None, f"{route} × {fault}: {error!r}"
        assert got == clean
        if fault == "403":
            assert fake.calls("sign") == 2  # signed, then signed again once
        else:
            _check_sleeps(setup.sleeps.delays, want.sleeps, route, fault)
            if fault != "connect-timeout":
                assert _attempts(fake, route) == tries(fault)  # every attempt, no more
        fake.faults.rules.clear()
        fake.faults.cdn_origin = None
        fake.reset_log()

    # The fault for good: bounded attempts, then one typed error.
    setup = _setup(fake, route, fault, burst=False)
    got, error = await _run(setup, route)
    settle(fake)
    assert type(error) is want.error, f"{route} × {fault}: {error!r}"
    assert isinstance(error, ReplaykitError)
    assert error.exit_code == want.exit_code
    assert re.search(want.message, error.message), error.message
    _check_sleeps(setup.sleeps.delays, want.sleeps, route, fault)
    if fault != "connect-timeout":  # a connect that times out never reaches the fake
        assert _attempts(fake, route) == want.attempts, [
            (r.route, r.chunk, r.status, r.fault) for r in fake.requests
        ]
    if route.startswith("chunk"):
        assert error.replay_id == CHECKOUT
        # The CDN never sees credentials, whatever went wrong.
        assert all("authorization" not in r.headers for r in fake.requests if r.route == "cdn")
    texts = list(_texts(error))
    assert leaks(fake, *texts) == []
    assert not any(BAD_SECRET in text for text in texts)
