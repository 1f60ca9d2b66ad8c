"""The Mixpanel client end to end over real sockets, against ``replaykit.testing.FakeMixpanel``.

discover → sign → fetch → analyze, signed-URL expiry, not-found, retries, partial results,
concurrency bounds, cancellation, credential hygiene and the CLI.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import anyio
import msgspec
import pytest
from click.testing import CliRunner

import replaykit
from replaykit import (
    AnalyzedReplay,
    ClientLimits,
    MixpanelClient,
    MixpanelConfig,
    ReplayNotFoundError,
    RetryPolicy,
    ServerError,
    SessionReplayAccessError,
    SignedURLExpiredError,
    UnsupportedReplayFormatError,
)
from replaykit.cli import main
from replaykit.testing import FakeMixpanel

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "examples" / "recordings"
LOGIN = "tracelane-login-failure-console"
CHECKOUT = "tracelane-shop-checkout-console"
STEEL = "steel-csb-example-2021"  # 84 events: 17 chunk files of 5
POSTHOG = "posthog-nextjs-window1"


class Sleeps:
    """An injected ``sleep`` that records the delays asked for and waits at most ``cap``."""

    def __init__(self, cap: float = 0.0) -> None:
        self.delays: list[float] = []
        self.cap = cap

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await anyio.sleep(min(seconds, self.cap))


@pytest.fixture
def fake() -> Iterator[FakeMixpanel]:
    with FakeMixpanel.from_recordings(RECORDINGS, chunk_events=5) as server:
        yield server
    assert server.server_errors == []


def _config(fake: FakeMixpanel) -> MixpanelConfig:
    return MixpanelConfig(
        project_id=fake.project_id,
        username=fake.username,
        secret=fake.secret,
        base_url=fake.base_url,
    )


def _client(
    fake: FakeMixpanel, sleeps: Sleeps | None = None, attempts: int = 4, **limits: int
) -> MixpanelClient:
    return MixpanelClient(
        _config(fake),
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05),
        limits=ClientLimits(**limits),
        sleep=sleeps or Sleeps(),
    )


def _actions(replay: AnalyzedReplay) -> list[Any]:
    return msgspec.to_builtins(replay.actions)  # type: ignore[no-any-return]


async def _local(replay_id: str) -> AnalyzedReplay:
    return await replaykit.analyze_recording(RECORDINGS / f"{replay_id}.json")


async def _events(mp: MixpanelClient, replay_id: str) -> int:
    count = 0
    async with mp.fetch_chunks(replay_id) as chunks:
        async for chunk in chunks:
            count += len(chunk.events)
    return count


def _recording(replay_id: str) -> list[Any]:
    events: list[Any] = json.loads((RECORDINGS / f"{replay_id}.json").read_text())
    return events


def _secrets(fake: FakeMixpanel) -> list[str]:
    """Every credential the fake knows: signatures, whole query strings, the secret."""
    signatures = [q.rsplit("Signature=", 1)[1] for q in fake.signed_query_strings]
    return [fake.secret, *signatures, *fake.signed_query_strings]


def _leaks(fake: FakeMixpanel, text: str) -> list[str]:
    return [s for s in _secrets(fake) if s in text]


# --------------------------------------------------------------------------- the happy path


@pytest.mark.anyio
async def test_discover_sign_fetch_analyze(fake: FakeMixpanel) -> None:
    async with _client(fake) as mp:
        found = [
            d
            async for d in mp.discover(
                distinct_id="user-42", from_date="2020-01-01", to_date="2026-12-31"
            )
        ]
        assert {d.replay_id for d in found} == set(fake.replays)
        assert all(d.retention_days == 30 and d.retention_known for d in found)
        login = next(d for d in found if d.replay_id == LOGIN)
        assert login.start_time_ms == _recording(LOGIN)[0]["timestamp"] // 1000 * 1000
        signed = [s async for s in mp.sign([LOGIN, CHECKOUT])]
        assert [s.replay_id for s in signed] == [LOGIN, CHECKOUT]
        assert all(s.url.startswith(fake.base_url + "/cdn/") for s in signed)
        assert await _events(mp, CHECKOUT) == len(_recording(CHECKOUT))
        assert fake.calls("insights") == 2  # discover, then the lookup of CHECKOUT's retention
        fake.reset_log()
        async with mp.analyze(found, concurrency=2) as replays:
            got = {r.replay_id: r async for r in replays}
    assert set(got) == set(fake.replays)
    for rid, replay in got.items():
        assert replay.failure is None
        local = await _local(rid)
        assert replay.coverage == local.coverage, rid
        assert _actions(replay) == _actions(local), rid
    assert fake.calls("insights") == 0  # descriptors carry the retention: no lookups
    cdn = [r for r in fake.requests if r.route == "cdn"]
    assert all("authorization" not in r.headers for r in cdn)  # the CDN gets no credentials
    # each replay's walk stops at its first 404 and never asks for it twice
    for rid, served in fake.replays.items():
        asked = [r.chunk or 0 for r in cdn if r.replay_id == rid and r.status == 404]
        assert len(asked) == len(set(asked)), rid
        assert min(asked) == len(served.chunks), rid


@pytest.mark.anyio
async def test_chunk_boundaries_do_not_change_actions(fake: FakeMixpanel) -> None:
    # Files of 5 events cut both recordings between a click and its DblClick: the click
    # must still be marked double, not doubled.
    async with _client(fake) as mp, mp.analyze([STEEL, POSTHOG]) as replays:
        got = {r.replay_id: _actions(r) async for r in replays}
    assert got == {rid: _actions(await _local(rid)) for rid in (STEEL, POSTHOG)}


@pytest.mark.anyio
async def test_corpus_replay_end_to_end(corpus_dir: Path) -> None:
    path = corpus_dir / "recorded" / "shop_happy_path.json"
    if not path.exists():
        pytest.skip("shop_happy_path.json not in the corpus")
    with FakeMixpanel.from_recordings([path], chunk_events=200) as fake:
        async with _client(fake) as mp, mp.analyze(["shop_happy_path"]) as replays:
            (replay,) = [r async for r in replays]
    local = await replaykit.analyze_recording(path)
    assert replay.failure is None and replay.actions
    assert len(fake.replays["shop_happy_path"].chunks) > 1
    assert replay.coverage == local.coverage
    assert _actions(replay) == _actions(local)


# --------------------------------------------------------------------------- signed URLs


@pytest.mark.anyio
async def test_walk_outlives_its_signature_and_resigns_once(fake: FakeMixpanel) -> None:
    events = 0
    async with _client(fake) as mp:
        signed = await mp.sign_replay(STEEL)
        async with mp.fetch_chunks(signed, retention_days=30) as chunks:
            async for chunk in chunks:
                if events == 0:
                    fake.expire_signatures()  # every URL signed so far is now stale
                events += len(chunk.events)
    assert events == len(_recording(STEEL))
    assert fake.calls("sign") == 2  # the first signature, then exactly one renewal
    cdn = [r for r in fake.requests if r.route == "cdn"]
    assert any(r.status == 403 for r in cdn)
    assert {r.token_id for r in cdn if r.status == 200} == {1, 2}


@pytest.mark.anyio
async def test_each_expiry_mid_walk_gets_one_renewal(fake: FakeMixpanel) -> None:
    # replaykit re-signs whenever a walk's signature goes stale (the reference client gave
    # up at the second expiry); a 403 on a fresh signature is what ends a walk.
    fake.faults.sign_max_uses = 6  # every signed URL serves 6 chunk requests, then 403s
    async with _client(fake, replay_window=2) as mp:
        assert await _events(mp, STEEL) == len(_recording(STEEL))
    # 17 files and the 404 after them (sometimes one more request past it): 18 or 19
    # requests, 6 per signature, so 2 or 3 renewals, each after a 403
    assert fake.calls("sign") - 1 in (2, 3)
    assert sum(r.status == 403 for r in fake.requests) <= 2 * 3  # ≤ window per renewal


@pytest.mark.anyio
async def test_rejected_fresh_signature_raises_expired(fake: FakeMixpanel) -> None:
    fake.faults.sign_max_uses = 0  # the CDN refuses every signature
    async with _client(fake) as mp:
        with pytest.raises(SignedURLExpiredError) as info:
            await _events(mp, LOGIN)
    exc = info.value
    assert exc.exit_code == 1 and exc.status == 403 and exc.replay_id == LOGIN
    assert {"replay_id", "signed_at"} <= exc.details.keys()
    assert fake.calls("sign") == 2  # signed, renewed once, refused again: give up
    text = "".join(traceback.format_exception(exc)) + repr(exc) + repr(exc.details)
    assert _leaks(fake, text) == []


# --------------------------------------------------------------------------- not found


@pytest.mark.anyio
async def test_chunk0_404_is_not_found(fake: FakeMixpanel) -> None:
    fake.faults.missing_chunks = {0}
    async with _client(fake) as mp:
        with pytest.raises(ReplayNotFoundError) as info:
            async with mp.fetch_chunks(LOGIN, retention_days=30) as chunks:
                async for _ in chunks:
                    pass
        assert info.value.exit_code == 4 and info.value.replay_id == LOGIN
        # a replay discovery does not know: every standard retention suffix is tried once
        with pytest.raises(ReplayNotFoundError):
            await _events(mp, "no-such-replay")
    tried = [r.path.rsplit("-", 1)[1] for r in fake.requests if r.replay_id == "no-such-replay"]
    assert sorted(tried) == ["1.json", "30.json", "7.json", "90.json"]


@pytest.mark.anyio
async def test_wrong_retention_guess_is_recovered(fake: FakeMixpanel) -> None:
    replay = fake.replays[CHECKOUT]
    replay.retention_days = 7  # the files end in -7.json
    replay.retention_property = None  # but discovery does not say so
    async with _client(fake) as mp:
        assert await _events(mp, CHECKOUT) == len(_recording(CHECKOUT))
    zero = [r.path.rsplit("/", 1)[1] for r in fake.requests if r.route == "cdn" and r.chunk == 0]
    assert zero[-1] == "0000-7.json" and zero[0] == "0000-30.json"


# --------------------------------------------------------------------------- retries


@pytest.mark.anyio
async def test_429_retry_after_is_honoured(fake: FakeMixpanel) -> None:
    sleeps = Sleeps()
    fake.inject("cdn", status=429, retry_after=2, chunk=1)
    fake.inject("insights", status=429, retry_after=3)
    fake.inject("sign", status=429)  # no Retry-After: the client's own backoff
    async with _client(fake, sleeps) as mp:
        assert await _events(mp, STEEL) == len(_recording(STEEL))
    assert 2.0 in sleeps.delays and 3.0 in sleeps.delays
    assert len(sleeps.delays) == 3 and all(d <= 3 for d in sleeps.delays)
    assert [r.status for r in fake.requests if r.route == "insights"] == [429, 200]
    assert [r.status for r in fake.requests if r.route == "cdn" and r.chunk == 1] == [429, 200]


@pytest.mark.anyio
async def test_5xx_burst_is_retried_then_gives_up(fake: FakeMixpanel) -> None:
    sleeps = Sleeps()
    fake.inject("cdn", status=503, times=3, chunk=2)  # 3 failures, then success
    fake.inject("sign", status=502, times=2)
    async with _client(fake, sleeps) as mp:
        assert await _events(mp, STEEL) == len(_recording(STEEL))
        assert len(sleeps.delays) == 5
        fake.inject("cdn", status=500, times=None, chunk=0, replay_id=LOGIN)
        with pytest.raises(ServerError) as info:
            await _events(mp, LOGIN)
    assert info.value.status == 500 and "4 attempts" in str(info.value)
    zero = [r.status for r in fake.requests if r.replay_id == LOGIN and r.chunk == 0]
    assert zero == [500] * 4


@pytest.mark.anyio
async def test_transport_faults_are_retried(fake: FakeMixpanel) -> None:
    fake.inject("cdn", "reset", chunk=1)
    fake.inject("cdn", "truncate", chunk=2)  # fewer bytes than Content-Length
    async with _client(fake) as mp:
        assert await _events(mp, STEEL) == len(_recording(STEEL))
        assert {r.fault for r in fake.requests if r.fault} == {"reset", "truncate"}
        # A 200 that is not JSON (a proxy's error page) fails the replay, naming the file.
        fake.inject("cdn", "invalid_json", chunk=3)
        with pytest.raises(replaykit.RecordingFormatError, match="chunk file 3") as info:
            await _events(mp, STEEL)
    assert info.value.replay_id == STEEL and _leaks(fake, str(info.value)) == []


@pytest.mark.anyio
async def test_body_cut_mid_json_is_not_accepted(fake: FakeMixpanel) -> None:
    # Without a Content-Length the close ends the body "normally": only the JSON can tell.
    fake.inject("cdn", "cut", chunk=3)
    async with _client(fake) as mp:
        assert await _events(mp, STEEL) == len(_recording(STEEL))


# --------------------------------------------------------------------------- events join


def _marks(fake: FakeMixpanel, replay_id: str) -> list[tuple[str, int]]:
    """The Mixpanel events the fake derived from a recording, times in export precision."""
    return sorted((name, ts // 1000 * 1000) for ts, name, _ in fake.replays[replay_id].marks)


@pytest.mark.anyio
async def test_events_by_replay_id_from_export(fake: FakeMixpanel) -> None:
    async with _client(fake) as mp:
        got = [e async for e in mp.events(CHECKOUT, from_date="2020-01-01", to_date="2026-12-31")]
    assert sorted((e.name, e.time_ms) for e in got) == _marks(fake, CHECKOUT)
    assert {e.replay_id for e in got} == {CHECKOUT}
    (call,) = [r for r in fake.requests if r.route == "export"]
    assert call.params["where"] == [f'properties["$mp_replay_id"] == "{CHECKOUT}"']
    assert call.params["project_id"] == [str(fake.project_id)]


@pytest.mark.anyio
async def test_events_of_the_user_during_an_analyzed_replay(fake: FakeMixpanel) -> None:
    start_s = fake.replays[STEEL].start_ms // 1000  # STEEL lasts about 20 s
    fake.add_event("Signed in", start_s + 5, "user-42")
    fake.add_event("Elsewhere", start_s + 3600, "user-42")
    async with _client(fake) as mp:
        async with mp.analyze([STEEL]) as replays:
            (replay,) = [r async for r in replays]
        got = [e async for e in mp.events(replay, distinct_id="user-42")]
    expected = [*_marks(fake, STEEL), ("Signed in", (start_s + 5) * 1000)]
    assert sorted((e.name, e.time_ms) for e in got) == sorted(expected)


# --------------------------------------------------------------------------- many replays


@pytest.mark.anyio
async def test_many_replays_finish_despite_a_bad_one(fake: FakeMixpanel) -> None:
    fake.inject("cdn", status=404, chunk=0, replay_id=LOGIN, times=None)
    fake.faults.sign_omit = {POSTHOG}
    ids = [*fake.replays, "ghost-replay"]
    async with _client(fake) as mp, mp.analyze(ids, retention_days=30) as replays:
        got = {r.replay_id: r async for r in replays}
    assert set(got) == set(ids)
    failed = {rid: r.failure for rid, r in got.items() if r.failure is not None}
    assert set(failed) == {LOGIN, "ghost-replay", POSTHOG}
    assert all(f.error == "ReplayNotFoundError" and f.exit_code == 4 for f in failed.values())
    assert got[CHECKOUT].actions and got[STEEL].actions


@pytest.mark.anyio
async def test_mobile_replays_are_unsupported(fake: FakeMixpanel) -> None:
    async with _client(fake) as mp:
        shapes: tuple[Literal["non-rrweb", "wireframe"], ...] = ("non-rrweb", "wireframe")
        for shape in shapes:
            fake.faults.mobile = shape
            with pytest.raises(UnsupportedReplayFormatError) as info:
                await _events(mp, CHECKOUT)
            assert info.value.status == 501 and info.value.exit_code == 1


@pytest.mark.anyio
async def test_sensitive_data_refusal_ends_the_run(fake: FakeMixpanel) -> None:
    fake.faults.sign_sensitive = "list"
    async with _client(fake) as mp:
        with pytest.raises(SessionReplayAccessError) as info:
            async with mp.analyze(list(fake.replays), retention_days=30) as replays:
                async for _ in replays:
                    pass
    assert info.value.exit_code == 2 and info.value.details["project_id"] == fake.project_id
    assert fake.calls("cdn") == 0


@pytest.mark.anyio
async def test_in_flight_requests_stay_bounded(fake: FakeMixpanel) -> None:
    fake.faults.chunk_delay = 0.01
    mp = _client(fake, cdn_concurrency=3, replay_window=8)
    async with mp, mp.analyze(list(fake.replays), concurrency=4, retention_days=30) as replays:
        assert len([r async for r in replays if r.failure is None]) == 4
    assert 1 < fake.peak_concurrency("cdn") <= 3
    fake.reset_log()
    async with _client(fake, cdn_concurrency=16, replay_window=2) as mp:
        assert await _events(mp, STEEL) == len(_recording(STEEL))
    assert fake.peak_concurrency("cdn") == 2  # one replay: its window, not the pool
    assert fake.peak_concurrency("insights") <= 5


@pytest.mark.anyio
async def test_concurrency_gate_429s_are_absorbed(fake: FakeMixpanel) -> None:
    fake.faults.max_concurrent = {"cdn": 2}
    fake.faults.gate_retry_after = 0.02
    fake.faults.chunk_delay = 0.01
    mp = _client(fake, Sleeps(cap=0.02), attempts=20, cdn_concurrency=3)
    async with mp, mp.analyze(list(fake.replays), retention_days=30) as replays:
        assert [r.failure async for r in replays] == [None] * 4
    assert any(r.fault == "gate" for r in fake.requests)


# --------------------------------------------------------------------------- cancellation


@pytest.mark.anyio
async def test_break_mid_walk_leaves_no_open_connections(fake: FakeMixpanel) -> None:
    fake.faults.chunk_delay = 0.05
    async with _client(fake) as mp:
        async with mp.fetch_chunks(STEEL, retention_days=30) as chunks:
            async for _ in chunks:
                break
        asked = fake.calls("cdn")
        await anyio.sleep(0.15)
        assert fake.calls("cdn") <= asked + 8  # only requests already on the wire finish
        settled = fake.calls("cdn")
        await anyio.sleep(0.1)
        assert fake.calls("cdn") == settled  # nothing new is asked for
    assert mp.http.is_closed
    assert await anyio.to_thread.run_sync(fake.wait_for_connections, 0, 2.0)


@pytest.mark.anyio
async def test_cancel_mid_analyze_leaves_no_open_connections(fake: FakeMixpanel) -> None:
    fake.faults.chunk_delay = 0.05
    async with _client(fake) as mp:
        with anyio.move_on_after(0.12):
            async with mp.analyze(list(fake.replays), retention_days=30) as replays:
                async for _ in replays:
                    pass
        assert fake.calls("cdn") < sum(len(r.chunks) for r in fake.replays.values())
    assert await anyio.to_thread.run_sync(fake.wait_for_connections, 0, 2.0)


# --------------------------------------------------------------------------- hygiene


@pytest.mark.anyio
async def test_signed_urls_never_reach_logs_reprs_or_errors(
    fake: FakeMixpanel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject("cdn", status=503, chunk=1)
    fake.inject("cdn", "reset", chunk=2)
    fake.inject("cdn", status=418, chunk=0, replay_id=CHECKOUT)
    seen: list[str] = []
    async with _client(fake) as mp:
        signed = await mp.sign_replay(STEEL)
        seen += [repr(signed), str(signed), json.dumps(signed.to_dict()), repr(mp)]
        async with mp.fetch_chunks(signed, retention_days=30) as chunks:
            async for chunk in chunks:
                if chunk.index == 0:
                    fake.expire_signatures()
        for rid in (CHECKOUT, "ghost"):
            with pytest.raises(replaykit.MixpanelError) as info:
                await _events(mp, rid)
            seen.append("".join(traceback.format_exception(info.value)))
        fake.faults.sign_max_uses = 0
        with pytest.raises(SignedURLExpiredError) as info2:
            await _events(mp, LOGIN)
        seen.append("".join(traceback.format_exception(info2.value)))
        revealed = json.dumps((await mp.sign_replay(LOGIN)).to_dict(reveal=True))
    assert fake.calls("sign") >= 4 and any(r.status == 403 for r in fake.requests)
    assert caplog.records  # the client did log (at DEBUG)
    for record in caplog.records:
        seen.append(record.getMessage() + repr(record.args))
    assert _leaks(fake, "\n".join(seen)) == []
    assert _leaks(fake, revealed)  # ...unless revealed on purpose


# --------------------------------------------------------------------------- CLI


def _cli(fake: FakeMixpanel, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {
        "MP_USERNAME": fake.username,
        "MP_SECRET": fake.secret,
        "MP_PROJECT_ID": str(fake.project_id),
        "MP_REGION": "us",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLAYKIT_MIXPANEL_CONFIG": None,
    }
    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _):
        try:
            main([*args, "--base-url", fake.base_url])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue().decode(), err.getvalue().decode()


def test_cli_list_sign_fetch_analyze(fake: FakeMixpanel, tmp_path: Path) -> None:
    code, out, err = _cli(
        fake, tmp_path, "list", "--user", "user-42", "--from", "2020-01-01", "--to", "2026-12-31"
    )
    assert code == 0, err
    assert {json.loads(line)["replay_id"] for line in out.splitlines()} == set(fake.replays)

    code, out, err = _cli(fake, tmp_path, "sign", LOGIN)
    assert code == 0, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["replay_id"] == LOGIN and row["query_string"].startswith("<redacted")
    code, out, err = _cli(fake, tmp_path, "sign", LOGIN, "--reveal-signed-urls")
    assert code == 0 and "bearer credential" in err
    assert json.loads(out)["query_string"] == fake.signed_query_strings[-1]

    code, out, err = _cli(fake, tmp_path, "fetch", CHECKOUT, "--out-dir", str(tmp_path / "out"))
    assert code == 0, err
    assert json.loads((tmp_path / "out" / f"{CHECKOUT}.json").read_text()) == _recording(CHECKOUT)
    assert json.loads(out.splitlines()[0])["events"] == len(_recording(CHECKOUT))

    code, out, err = _cli(fake, tmp_path, "analyze", CHECKOUT, "-o", "ndjson")
    assert code == 0, err
    local = CliRunner().invoke(
        replaykit.cli.cli, ["analyze", str(RECORDINGS / f"{CHECKOUT}.json"), "-o", "ndjson"]
    )
    assert out == local.stdout
    leaks = [
        _leaks(fake, text) for text in (out, err, json.dumps([r.params for r in fake.requests]))
    ]
    assert leaks == [[], [], []]


def test_cli_signals_for_replay_ids_match_local(fake: FakeMixpanel, tmp_path: Path) -> None:
    code, out, err = _cli(fake, tmp_path, "analyze", CHECKOUT, "--signals", "-o", "ndjson")
    assert code == 0, err
    local = CliRunner().invoke(
        replaykit.cli.cli,
        ["analyze", str(RECORDINGS / f"{CHECKOUT}.json"), "--signals", "-o", "ndjson"],
    )
    assert out == local.stdout
    assert any(json.loads(line).get("record") == "signal" for line in out.splitlines())


def test_cli_errors_map_to_exit_codes(fake: FakeMixpanel, tmp_path: Path) -> None:
    fake.faults.missing_chunks = {0}
    code, out, err = _cli(fake, tmp_path, "analyze", LOGIN)
    assert code == 4 and out == ""
    assert err.startswith(f"replaykit: error: {LOGIN}:")
    fake.faults.missing_chunks = set()
    fake.faults.sign_max_uses = 0
    code, _, err = _cli(fake, tmp_path, "fetch", LOGIN, "--out-dir", str(tmp_path / "o"))
    assert code == 1 and "signed URL" in err and _leaks(fake, err) == []
    fake.faults.sign_sensitive = "string"
    code, _, err = _cli(fake, tmp_path, "sign", LOGIN)
    assert code == 2 and "sensitive_data_replay" in err
    fake.faults.reject_credentials = True
    code, _, err = _cli(fake, tmp_path, "list")
    assert code == 2 and fake.secret not in err
