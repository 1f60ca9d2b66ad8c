"""Helpers for the tests that drive :class:`FakeMixpanel` over real sockets.

Clients with injected (recorded, instant) retry sleeps, an in-process CLI runner, the list
of every credential a fake knows (for leak checks), and :class:`ConnectGate`, a loopback
TCP forwarder whose new connections can be made to time out.
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner

from replaykit import ClientLimits, MixpanelClient, MixpanelConfig, RetryPolicy, Timeouts
from replaykit.cli import main
from replaykit.testing import FakeMixpanel, fast_client_factory

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "examples" / "recordings"
LOGIN = "tracelane-login-failure-console"  # 3 chunk files of 5 events
CHECKOUT = "tracelane-shop-checkout-console"  # 9 chunk files of 5 events
STEEL = "steel-csb-example-2021"  # 17 chunk files of 5 events
POSTHOG = "posthog-nextjs-window1"  # 6 chunk files of 5 events


class Sleeps:
    """An injected retry ``sleep``: records each delay, waits for none of them.

    ``on_sleep(n)`` runs before the n-th sleep (1-based): the moment the client has seen
    its n-th failed attempt, which is when a test may clear a fault it cannot script
    per request (a connect that times out).
    """

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        self.delays: list[float] = []
        self.on_sleep = on_sleep

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.delays))
        await anyio.lowlevel.checkpoint()


def config(
    fake: FakeMixpanel,
    *,
    base_url: str | None = None,
    timeouts: Timeouts | None = None,
    secret: str | None = None,
) -> MixpanelConfig:
    return MixpanelConfig(
        project_id=fake.project_id,
        username=fake.username,
        secret=secret or fake.secret,
        base_url=base_url or fake.base_url,
        timeouts=timeouts or Timeouts(),
    )


def client(
    fake: FakeMixpanel,
    sleeps: Sleeps | None = None,
    *,
    attempts: int = 3,
    base_url: str | None = None,
    timeouts: Timeouts | None = None,
    http_client: httpx.AsyncClient | None = None,
    secret: str | None = None,
    **limits: int,
) -> MixpanelClient:
    """A client of ``fake`` whose retries never wait and never jitter."""
    return MixpanelClient(
        config(fake, base_url=base_url, timeouts=timeouts, secret=secret),
        http_client=http_client,
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.5, max_delay=5.0),
        limits=ClientLimits(**limits),
        sleep=sleeps or Sleeps(),
        rand=lambda: 0.0,
    )


def settle(fake: FakeMixpanel) -> None:
    """Wait until every connection to the fake is closed, so its request log is final."""
    assert fake.wait_for_connections(0, 3.0), f"{fake.open_connections} connections left open"


def secrets_of(fake: FakeMixpanel) -> list[str]:
    """Every credential the fake knows: secret, token, Basic header, each signature."""
    basic = base64.b64encode(f"{fake.username}:{fake.secret}".encode()).decode()
    signatures = [q.rsplit("Signature=", 1)[1] for q in fake.signed_query_strings]
    return [fake.secret, fake.oauth_token, basic, *signatures, *fake.signed_query_strings]


def leaks(fake: FakeMixpanel, *texts: str) -> list[str]:
    """The credentials of ``fake`` found in any of ``texts`` (empty when clean)."""
    joined = "\n".join(texts)
    return [s for s in secrets_of(fake) if s in joined]


def cli_env(fake: FakeMixpanel, tmp_path: Path) -> dict[str, str | None]:
    return {
        "MP_USERNAME": fake.username,
        "MP_SECRET": fake.secret,
        "MP_PROJECT_ID": str(fake.project_id),
        "MP_REGION": "us",
        "MP_OAUTH_TOKEN": None,
        "MP_WORKSPACE_ID": None,
        "REPLAYKIT_MIXPANEL_BASE_URL": None,
        "REPLAYKIT_MIXPANEL_CONFIG": None,
        "XDG_CONFIG_HOME": str(tmp_path / "no-config"),
    }


def run_cli(
    fake: FakeMixpanel,
    tmp_path: Path,
    *args: str,
    sleeps: Sleeps | None = None,
    env: dict[str, str | None] | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> tuple[int, str, str]:
    """``replaykit ARGS --base-url FAKE`` in process, through the console entry point.

    The CLI builds its client with ``replaykit.testing.fast_client_factory`` (retries never
    wait: 3 attempts, recorded in ``sleeps``), passed as ``main``'s hook; everything else
    is the CLI's own. ``env`` overrides the environment (``None`` unsets a variable);
    ``open_browser`` plays the browser of ``login``.
    """
    factory = fast_client_factory(sleep=sleeps or Sleeps())
    runner = CliRunner()
    with (
        shared_tls_context(),
        runner.isolation(env={**cli_env(fake, tmp_path), **(env or {})}) as (out, err, _),
    ):
        try:
            main(
                [*args, "--base-url", fake.base_url],
                client_factory=factory,
                open_browser=open_browser,
            )
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue().decode(), err.getvalue().decode()


class ConnectGate:
    """A TCP forwarder on 127.0.0.1 in front of the fake whose new connections can time out.

    *Blocked*, its listening socket (backlog 0) holds connections of its own in the accept
    queue and accepts nothing: Linux drops the SYN of any further connect, so a client's
    connect hangs until its own connect timeout — what an unreachable host looks like,
    without leaving loopback. *Open*, it accepts and pipes bytes both ways to ``upstream``.
    ``allow=N`` accepts N connections, then blocks (the N+1-th connect times out).
    """

    def __init__(self, upstream_port: int, *, blocked: bool = True, allow: int | None = None):
        self.upstream_port = upstream_port
        self.allow = allow
        self.accepted = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._blocked = False
        self._fillers: list[socket.socket] = []
        self._live: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        if blocked:
            self.block()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def block(self, drop: bool = False) -> None:
        """Accept nothing more; ``drop`` also closes the connections already piped."""
        with self._lock:
            self._blocked = True
            self._fill()
            live = list(self._live) if drop else []
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def open(self) -> None:
        """Accept again (and from now on without a limit)."""
        with self._lock:
            while True:  # take our own fillers out of the accept queue
                try:
                    conn, _ = self._listener.accept()
                except BlockingIOError:
                    break
                conn.close()
            for filler in self._fillers:
                filler.close()
            self._fillers.clear()
            self.allow = None
            self._blocked = False

    def _fill(self) -> None:
        """Connect to ourselves until a connect does not complete: the queue is full."""
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", self.port))
            _, writable, _ = select.select([], [sock], [], 0.05)
            if writable and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                self._fillers.append(sock)
                continue
            sock.close()
            return

    def probe(self, timeout: float = 0.1) -> bool:
        """True when a connect to the blocked gate really times out (Linux semantics)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout):
                return False
        except TimeoutError:
            return True
        except OSError:
            return False

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.02)
            if not readable:
                continue
            with self._lock:
                if self._blocked:
                    conn = None
                else:
                    try:
                        conn, _ = self._listener.accept()
                    except BlockingIOError:
                        continue
                    self.accepted += 1
                    if self.allow is not None and self.accepted >= self.allow:
                        self._blocked = True
                        self._fill()  # before the client can try its next connect
            if conn is None:
                self._stopping.wait(0.01)
                continue
            thread = threading.Thread(target=self._pipe, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _pipe(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=2)
        except OSError:
            conn.close()
            return
        pair = {conn: upstream, upstream: conn}
        with self._lock:
            self._live.update(pair)
        try:
            while not self._stopping.is_set():
                readable, _, _ = select.select(list(pair), [], [], 0.02)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            with self._lock:
                self._live.difference_update(pair)
            for sock in pair:
                sock.close()

    def close(self) -> None:
        self._stopping.set()
        self._acceptor.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)
        for filler in self._fillers:
            filler.close()
        self._listener.close()

    def __enter__(self) -> ConnectGate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def shared_tls_context() -> Iterator[None]:
    """Every httpx client builds a TLS context (20 ms) that tests against the plain-http
    fake never use: while this is active, they all share one."""
    import httpx._transports.default as transport

    context = httpx.create_ssl_context()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transport, "create_ssl_context", lambda **_: context)
        yield


@contextlib.contextmanager
def serving(chunk_events: int = 5, **kwargs: Any) -> Iterator[FakeMixpanel]:
    """The example recordings served by a fake, checked for fake-side errors at the end."""
    with FakeMixpanel.from_recordings(RECORDINGS, chunk_events=chunk_events, **kwargs) as fake:
        yield fake
    assert fake.server_errors == []
