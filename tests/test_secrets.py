"""Signed-URL canary: a unique token in every signed URL must never leak.

Every signature the mock service hands out contains ``CANARY``. The tests drive the
client and the CLI through the paths that handle URLs (retries, re-signing, expiry,
transport errors whose own message holds the URL, failures, downloads) and then look for
the token in every repr, log record (all loggers, DEBUG and up), exception (message,
args, details, chained causes and contexts, formatted traceback), CLI output and written
file. Only an explicit ``--reveal-signed-urls`` / ``to_dict(reveal=True)`` shows it.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from _fakenet import CHECKOUT, LOGIN, RECORDINGS, STEEL, Sleeps, secrets_of
from _fakenet import run_cli as run_cli_on
from _mp import CANARY, CFG, MockMixpanel, replay, run_cli

import replaykit.cli._console as cli_console
from replaykit import (
    MixpanelClient,
    MixpanelConfig,
    QueryError,
    ReplaykitError,
    RetryPolicy,
    SignedURLExpiredError,
    Timeouts,
    TransientError,
)
from replaykit.testing import FakeMixpanel

pytestmark = pytest.mark.anyio

SECRETS = (
    CANARY,
    CFG.secret or "",
    base64.b64encode(f"{CFG.username}:{CFG.secret}".encode()).decode(),
)


def exception_texts(exc: BaseException) -> Iterator[str]:
    """Everything an exception shows: its chain, args, attributes and traceback text."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield repr(e)
        yield str(e)
        yield repr(e.args)
        yield repr(vars(e))
        pending += [e.__cause__, e.__context__]
        if isinstance(e, BaseExceptionGroup):
            pending += list(e.exceptions)
    yield "".join(traceback.format_exception(exc))


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"secret leaked into: {text[:300]}"


def log_texts(caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    yield caplog.text
    for record in caplog.records:
        yield record.getMessage()
        yield repr(record.args)
        if record.exc_info and record.exc_info[1] is not None:
            yield from exception_texts(record.exc_info[1])


def leaky_transport_errors(mock: MockMixpanel) -> None:
    """CDN faults whose own message holds the signed URL, as httpx's often do."""
    count = {"n": 0}

    def hook(request: httpx.Request) -> httpx.Response | None:
        if "/srr-us/" not in request.url.path:
            return None
        count["n"] += 1
        if count["n"] % 3 == 1:
            raise httpx.ConnectError(f"cannot reach {request.url}", request=request)
        if count["n"] % 3 == 2:
            raise httpx.ReadTimeout(f"timed out reading {request.url}", request=request)
        return None

    mock.hook = hook


async def test_canary_never_leaks_from_the_library(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    mock = MockMixpanel(
        replays={"ok": replay(4), "flaky": replay(2), "gone": replay(0)},
        faults={
            ("cdn", "ok", 1): [429, 503],
            ("cdn", "flaky", None): [503] * 10,
        },
    )
    texts: list[str] = []
    async with mock.client() as mp:
        # Sign: reprs and masked dicts.
        async for signed in mp.sign(["ok", "flaky"]):
            texts += [repr(signed), str(signed), f"{signed}", repr(signed.__rich_repr__())]
            texts.append(msgspec.json.encode(signed.to_dict()).decode())
            assert CANARY in signed.query_string  # the token is really there
        # Re-signing after a 403 (the first signature is rotated out by a new sign call).
        await mp.sign_replay("ok")
        async with mp.fetch_chunks("ok", retention_days=30) as chunks:
            texts += [repr(c) async for c in chunks]
        # Pipeline failures: records instead of exceptions.
        async with mp.analyze(["ok", "flaky", "gone"], retention_days=30) as replays:
            async for result in replays:
                texts += [repr(result), msgspec.json.encode(result).decode()]
        async with mp.download(["ok", "flaky"], tmp_path) as fetched:
            texts += [repr(r) async for r in fetched]
        # Transport errors carrying the URL in their own message.
        leaky_transport_errors(mock)
        mock.faults[("cdn", "ok", None)] = [503] * 20
        with pytest.raises(TransientError) as transient:
            async with mp.fetch_chunks("ok", retention_days=30) as chunks:
                async for _ in chunks:
                    pass
        texts += list(exception_texts(transient.value))
        # Expiry: the CDN refuses every signature.
        mock.hook = lambda r: mock._response(403, b"") if "/srr-us/" in r.url.path else None
        with pytest.raises(SignedURLExpiredError) as expired:
            async with mp.fetch_chunks("ok", retention_days=30) as chunks:
                async for _ in chunks:
                    pass
        texts += list(exception_texts(expired.value))
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log
    texts += list(log_texts(caplog))
    texts += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert_clean(*texts)


async def test_reveal_is_explicit() -> None:
    mock = MockMixpanel(replays={"ok": replay(1)})
    async with mock.client() as mp:
        signed = await mp.sign_replay("ok")
    revealed = signed.to_dict(reveal=True)
    assert CANARY in revealed["query_string"] and "_warning" in revealed


def test_canary_never_leaks_from_the_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    mock = MockMixpanel(
        replays={"ok": replay(3), "flaky": replay(2)},
        faults={("cdn", "flaky", None): [503] * 10, ("cdn", "ok", 1): [429]},
    )
    outputs: list[str] = []
    for args in (
        ("sign", "ok", "flaky"),
        ("sign", "ok", "-o", "table"),
        ("sign", "ok", "-o", "json"),
        ("fetch", "ok", "flaky", "missing", "--out-dir", str(tmp_path), "-o", "table"),
        ("analyze", "ok", "flaky", "-o", "json"),
        ("events", "ok"),
    ):
        code, out, err = run_cli(monkeypatch, capsys, mock, *args)
        assert code in (0, 1, 4), (args, err)
        outputs += [out, err]
    leaky_transport_errors(mock)
    code, out, err = run_cli(monkeypatch, capsys, mock, "analyze", "ok")
    assert code in (0, 1)  # retries may win; either way the errors held the URL
    assert "connection failed (ConnectError)" in caplog.text
    outputs += [out, err]
    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    assert_clean(*outputs, *files, *log_texts(caplog))


def test_cli_reveal_prints_the_credential_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = MockMixpanel(replays={"ok": replay(1)})
    code, out, err = run_cli(monkeypatch, capsys, mock, "sign", "ok", "--reveal-signed-urls")
    assert code == 0
    assert CANARY in out and "_warning" in out
    assert "bearer credentials" in err and CANARY not in err


def test_errors_never_hold_a_credential_by_construction() -> None:
    # The public exception tree only carries message, replay id, status, details.
    exc: Any = SignedURLExpiredError("x", replay_id="r", status=403, details={"replay_id": "r"})
    assert isinstance(exc, ReplaykitError) and set(vars(exc)) == {
        "message",
        "replay_id",
        "status",
        "details",
    }


# --------------------------------------------------------------------------- over real sockets
#
# The same canary hunt against FakeMixpanel, over the whole surface: a unique token in the
# secret, in the OAuth token and in every signed URL the fake hands out, both ways of
# authenticating, faults on every route, every Mixpanel command and output format, the
# progress line on a terminal, every log record at DEBUG (httpx and httpcore included),
# every exception chain and every file written.

SECRET_CANARY = "CANARYsecret9f1c2e"
TOKEN_CANARY = "CANARYtoken77ab3d"
URL_CANARY = "CANARYurl5e0c4b"
ALL_CANARIES = (SECRET_CANARY, TOKEN_CANARY, URL_CANARY, "CANARY")


class CanaryFake(FakeMixpanel):
    """A fake whose signed query strings all carry ``URL_CANARY`` (an extra parameter the
    CDN ignores), so a leaked signed URL is found by one fixed string."""

    def _sign(self, prefix: str) -> str:
        return f"{super()._sign(prefix)}&Canary={URL_CANARY}"


@pytest.fixture
def canary_fake() -> Iterator[FakeMixpanel]:
    fake = CanaryFake(secret=SECRET_CANARY, oauth_token=TOKEN_CANARY)
    for path in sorted(RECORDINGS.glob("*.json")):
        fake.add_replay(path.stem, json.loads(path.read_text()), chunk_events=5)
    with fake:
        yield fake
    assert fake.server_errors == []


def own_credentials(fake: FakeMixpanel, auth: str) -> str:
    """What the client sends as ``auth``, as a server echoing it back would quote it."""
    if auth == "oauth":
        return f"Bearer {fake.oauth_token}"
    basic = base64.b64encode(f"{fake.username}:{fake.secret}".encode()).decode()
    return f"Basic {basic} ({fake.secret})"


def canary_leaks(fake: FakeMixpanel, texts: list[str]) -> list[tuple[str, str]]:
    """(secret, where) for every credential found in ``texts``."""
    found = []
    for text in texts:
        for secret in (*ALL_CANARIES, *secrets_of(fake)):
            if secret in text:
                start = max(0, text.index(secret) - 80)
                found.append((secret[:24], text[start : start + 200]))
    return found


def all_log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts = list(log_texts(caplog))
    texts += [formatter.format(record) for record in caplog.records]
    return texts


def arm_faults(fake: FakeMixpanel) -> None:
    """Faults on every route, so retries, renewals, failures and their messages all run."""
    fake.inject("insights", "status", status=503, times=1)
    fake.inject("sign", "reset", times=1)
    fake.inject("export", "reset", times=1)
    fake.inject("cdn", "status", status=429, retry_after=1, chunk=1, times=1)
    fake.inject("cdn", "reset", chunk=2, times=1)
    fake.inject("cdn", "cut", chunk=3, times=1)
    fake.inject("cdn", "status", status=403, chunk=4, times=1)  # "expired": sign again
    fake.inject("cdn", "status", status=500, replay_id=LOGIN, times=None)  # fails for good


@pytest.mark.parametrize("auth", ["service-account", "oauth"])
async def test_canaries_never_leak_from_the_library_over_sockets(
    canary_fake: FakeMixpanel, caplog: pytest.LogCaptureFixture, tmp_path: Path, auth: str
) -> None:
    fake = canary_fake
    caplog.set_level(logging.DEBUG)  # the root logger: replaykit, httpx, httpcore, anyio
    account = {"username": fake.username, "secret": fake.secret}
    config = MixpanelConfig(
        project_id=fake.project_id,
        base_url=fake.base_url,
        **(account if auth == "service-account" else {"oauth_token": fake.oauth_token}),
    )
    texts: list[str] = [repr(config), str(config), f"{config!r}", repr(config.__rich_repr__())]
    arm_faults(fake)
    sleeps = Sleeps()
    async with MixpanelClient(config, sleep=sleeps, rand=lambda: 0.0) as mp:
        texts.append(repr(mp))
        found = [d async for d in mp.discover(distinct_id="user-42")]
        texts += [repr(d) for d in found]
        async for signed in mp.sign([CHECKOUT, STEEL]):
            assert URL_CANARY in signed.query_string  # the canary is really in the URL
            texts += [repr(signed), str(signed), repr(signed.__rich_repr__())]
            texts.append(json.dumps(signed.to_dict()))
        async with mp.fetch_chunks(STEEL) as chunks:
            texts += [repr(c) async for c in chunks]
        async with mp.analyze([STEEL, LOGIN, "ghost"], signals=True) as replays:
            async for result in replays:
                texts += [repr(result), msgspec.json.encode(result).decode()]
        async with mp.download([CHECKOUT, LOGIN], tmp_path / "out") as fetched:
            async for record in fetched:
                texts += [repr(record), msgspec.json.encode(record).decode()]
        texts += [repr(e) async for e in mp.events(CHECKOUT, distinct_id="user-42")]
        texts += [repr(e) async for e in mp.events(CHECKOUT, source="insights")]
        # Failures raised, not recorded: expiry for good, a server echoing credentials
        # back in its error text, a redirect, a read timeout mid-body.
        failures: list[BaseException] = []
        fake.faults.sign_max_uses = 0
        with pytest.raises(SignedURLExpiredError) as expired:
            async with mp.fetch_chunks(CHECKOUT, retention_days=30) as chunks:
                async for _ in chunks:
                    pass
        failures.append(expired.value)
        fake.faults.sign_max_uses = None
        echo = f"bad request from {own_credentials(fake, auth)} / {fake.username}"
        fake.inject("insights", "status", status=400, body=echo, times=1)
        with pytest.raises(QueryError) as echoed:
            await mp.describe(CHECKOUT)
        assert "<redacted>" in echoed.value.message  # quoted, minus the credentials
        failures.append(echoed.value)
        fake.inject("sign", "redirect", status=307, location=fake.base_url + "/x", times=1)
        with pytest.raises(QueryError) as redirected:
            await mp.sign_replay(CHECKOUT)
        failures.append(redirected.value)
    async with MixpanelClient(
        msgspec.structs.replace(config, timeouts=Timeouts(read=0.1)),
        retry=RetryPolicy(max_attempts=1),
    ) as mp:
        fake.inject("cdn", "slow", delay=1.0, chunk=0, times=None)
        with pytest.raises(TransientError) as slow:
            async with mp.fetch_chunks(CHECKOUT, retention_days=30) as chunks:
                async for _ in chunks:
                    pass
        failures.append(slow.value)
    for exc in failures:
        texts += list(exception_texts(exc))
    assert sleeps.delays  # the retries really ran
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # DEBUG really on
    texts += all_log_texts(caplog)
    files = [p for p in (tmp_path / "out").iterdir()]
    assert files
    texts += [p.read_text(errors="replace") for p in files]
    assert canary_leaks(fake, texts) == []


CLI_RUNS: list[tuple[str, ...]] = [
    ("list",),
    ("list", "-o", "json"),
    ("list", "-o", "table"),
    ("sign", CHECKOUT, STEEL),
    ("sign", CHECKOUT, "-o", "json"),
    ("sign", CHECKOUT, "-o", "table"),
    ("fetch", CHECKOUT, LOGIN, "ghost", "--out-dir", "{out}"),
    ("fetch", STEEL, LOGIN, "--out-dir", "{out}", "-o", "json"),
    ("fetch", "--user", "user-42", "--out-dir", "{out}", "-o", "table"),
    ("for-user", "user-42", "--limit", "3"),
    ("for-user", "user-42", "-o", "json"),
    ("analyze", STEEL, LOGIN, "-o", "ndjson", "--signals"),
    ("analyze", CHECKOUT),
    ("events", CHECKOUT, "--user", "user-42"),
    ("events", CHECKOUT, "--source", "insights"),
]


@pytest.mark.parametrize("auth", ["service-account", "oauth"])
def test_canaries_never_leak_from_the_cli_over_sockets(
    canary_fake: FakeMixpanel,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    auth: str,
) -> None:
    fake = canary_fake
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(cli_console, "_live", lambda stream: True)  # draw as on a terminal
    env: dict[str, str | None] = {}
    if auth == "oauth":
        env = {"MP_USERNAME": None, "MP_SECRET": None, "MP_OAUTH_TOKEN": fake.oauth_token}
    out = str(tmp_path / "out")
    outputs: list[str] = []
    codes = []
    # Every command and format with a service account; with a bearer token, one run per
    # command (the credential is handled the same way whatever the output format).
    runs = CLI_RUNS if auth == "service-account" else [CLI_RUNS[i] for i in (0, 3, 6, 9, 11, 13)]
    for args in runs:
        arm_faults(fake)
        argv = [a.replace("{out}", out) for a in args]
        code, stdout, stderr = run_cli_on(fake, tmp_path, *argv, env=env)
        codes.append(code)
        assert "Traceback" not in stderr, (args, stderr)
        outputs += [stdout, stderr]
        fake.faults.rules.clear()
    assert 0 in codes and any(codes)  # both successes and failures were printed
    assert any("\r\x1b[2K[" in text for text in outputs)  # the live progress line ran
    # Refusals print errors too: bad credentials, a server echoing them back.
    fake.faults.reject_credentials = True
    outputs += run_cli_on(fake, tmp_path, "list", env=env)[1:]
    fake.faults.reject_credentials = False
    echo = f"no: {own_credentials(fake, auth)}"
    fake.inject("sign", "status", status=400, body=echo, times=None)
    outputs += run_cli_on(fake, tmp_path, "sign", CHECKOUT, env=env)[1:]
    files = [p.read_text(errors="replace") for p in (tmp_path / "out").iterdir()]
    assert files
    assert canary_leaks(fake, [*outputs, *files, *all_log_texts(caplog)]) == []
