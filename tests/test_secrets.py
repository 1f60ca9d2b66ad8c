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
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from _mp import CANARY, CFG, MockMixpanel, replay, run_cli

from replaykit import ReplaykitError, SignedURLExpiredError, TransientError

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
