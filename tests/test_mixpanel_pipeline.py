"""The Mixpanel pipeline: continue-on-error, bounds, backpressure, cancellation, downloads.

Runs against :class:`_mp.MockMixpanel` behind ``httpx.MockTransport``: in-flight requests
and open response streams are counted by the mock, so the tests can prove that
concurrency stays bounded, that a slow consumer stops the producers and that leaving a
stage early closes every response.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import anyio
import pytest
from _mp import MockMixpanel, MockReplay, replay
from hypothesis import given
from hypothesis import strategies as st

from replaykit import (
    AnalyzedReplay,
    AuthenticationError,
    ClientLimits,
    FetchedReplay,
    ReplayDescriptor,
    SessionReplayAccessError,
)
from replaykit.sources.mixpanel import safe_filename

pytestmark = pytest.mark.anyio


async def analyze_all(mock: MockMixpanel, ids: list[str], **kw: object) -> list[AnalyzedReplay]:
    async with mock.client() as mp, mp.analyze(ids, **kw) as replays:  # type: ignore[arg-type]
        return [r async for r in replays]


async def test_analyze_many_continues_past_per_replay_errors() -> None:
    mock = MockMixpanel(
        replays={
            "ok-1": replay(3),
            "ok-2": replay(1, retention=90),
            "mobile": MockReplay(chunks=[[{"foo": 1}]]),
            "guess": replay(2, retention=7, report_retention=False),
        },
        faults={("cdn", "flaky", None): [503] * 10},
    )
    mock.replays["flaky"] = replay(2)
    ids = ["ok-1", "missing", "ok-2", "mobile", "guess", "flaky"]
    results = await analyze_all(mock, ids, concurrency=3)
    by_id = {r.replay_id: r for r in results}
    assert sorted(by_id) == sorted(ids)
    assert [a.kind for a in by_id["ok-1"].actions].count("click") == 2
    assert by_id["ok-1"].failure is None and by_id["ok-1"].source == "mixpanel:ok-1"
    assert by_id["ok-2"].failure is None and by_id["guess"].failure is None
    failures = {r.replay_id: r.failure for r in results if r.failure is not None}
    assert {k: (f.error, f.exit_code) for k, f in failures.items()} == {
        "missing": ("ReplayNotFoundError", 4),
        "mobile": ("UnsupportedReplayFormatError", 1),
        "flaky": ("ServerError", 1),
    }
    assert not failures["missing"].message.startswith("missing:")
    assert mock.calls["insights"] == 1  # one lookup query for every id
    assert mock.calls["sign"] == 1  # one bulk sign call
    assert mock.open_streams == 0


async def test_fatal_errors_end_the_run_unwrapped() -> None:
    mock = MockMixpanel(replays={"a": replay(1)}, faults={("sign", None, None): [401]})
    with pytest.raises(AuthenticationError):
        await analyze_all(mock, ["a"], retention_days=30)
    mock = MockMixpanel(replays={"a": replay(1)})
    mock.hook = lambda r: (
        mock._response(403, b'{"error": "SESSION_RECORDING_SENSITIVE_DATA"}')
        if r.url.path.endswith("/sign/bulk")
        else None
    )
    with pytest.raises(SessionReplayAccessError):
        await analyze_all(mock, ["a"], retention_days=30)
    assert mock.open_streams == 0


async def test_sign_failure_for_a_batch_is_reported_per_replay() -> None:
    mock = MockMixpanel(replays={"a": replay(1), "b": replay(1)})
    mock.faults[("sign", None, None)] = [500] * 4
    results = await analyze_all(mock, ["a", "b"], retention_days=30)
    assert sorted((r.replay_id, r.failure and r.failure.error) for r in results) == [
        ("a", "ServerError"),
        ("b", "ServerError"),
    ]


async def test_concurrency_is_bounded_across_and_within_replays() -> None:
    mock = MockMixpanel(replays={f"r{i}": replay(12) for i in range(6)}, cdn_delay=0.01)
    limits = ClientLimits(cdn_concurrency=5, replay_window=3, replay_concurrency=4)
    async with (
        mock.client(limits=limits) as mp,
        mp.analyze(list(mock.replays), retention_days=30) as replays,
    ):
        results = [r async for r in replays]
    assert all(r.failure is None for r in results) and len(results) == 6
    assert mock.peak["cdn"] <= 5
    assert max(mock.per_replay_peak.values()) <= 3
    assert mock.peak["cdn"] >= 3  # and it did run requests concurrently


async def test_chunks_are_yielded_while_later_ones_are_in_flight() -> None:
    mock = MockMixpanel(replays={"r": replay(8)}, cdn_delay=0.02)
    async with mock.client() as mp, mp.fetch_chunks("r", retention_days=30) as chunks:
        first = await chunks.receive()
        asked_at_first = len(mock.cdn_log)
        rest = [c async for c in chunks]
    assert first.index == 0 and len(rest) == 7
    assert asked_at_first >= 2  # the next file was downloading before chunk 0 was consumed


async def test_slow_consumer_slows_the_walk() -> None:
    mock = MockMixpanel(replays={"r": replay(40)})
    limits = ClientLimits(replay_window=4)
    async with mock.client(limits=limits) as mp, mp.fetch_chunks("r", retention_days=30) as chunks:
        await chunks.receive()
        await anyio.sleep(0.05)  # the consumer stalls; the walk must not run ahead
        asked = len(mock.cdn_log)
        rest = [c async for c in chunks]
    assert asked <= 2 + limits.replay_window
    assert len(rest) == 39


async def test_slow_consumer_slows_the_pipeline() -> None:
    mock = MockMixpanel(replays={f"r{i:02}": replay(2) for i in range(30)})
    limits = ClientLimits(replay_concurrency=2, sign_batch=4)
    async with mock.client(limits=limits) as mp, mp.analyze(sorted(mock.replays)) as replays:
        await replays.receive()
        await anyio.sleep(0.05)
        touched = {rid for rid, _ in mock.cdn_log}
        signed = mock.calls["sign"]
        rest = [r async for r in replays]
    assert len(rest) == 29
    # Two workers, each holding at most one finished replay: nothing else was fetched.
    assert len(touched) <= 2 * limits.replay_concurrency + 1
    assert signed <= 3
    assert mock.calls["sign"] >= 30 // limits.sign_batch


async def test_break_closes_every_response() -> None:
    mock = MockMixpanel(replays={f"r{i}": replay(20) for i in range(4)}, cdn_delay=0.01)
    async with mock.client() as mp:
        async with mp.analyze(list(mock.replays), retention_days=30) as replays:
            async for _ in replays:
                break
        assert mock.in_flight["cdn"] == 0
        assert mock.open_streams == 0
        async with mp.fetch_chunks("r0", retention_days=30) as chunks:
            async for _ in chunks:
                break
        assert mock.in_flight["cdn"] == 0 and mock.open_streams == 0
    assert mp.http.is_closed


async def test_cancel_scope_cancels_the_work() -> None:
    mock = MockMixpanel(replays={f"r{i}": replay(5) for i in range(4)}, cdn_delay=5)
    async with mock.client() as mp:
        with anyio.move_on_after(0.1) as scope:
            async with mp.analyze(list(mock.replays), retention_days=30) as replays:
                async for _ in replays:
                    pass
        assert scope.cancelled_caught
        assert mock.in_flight["cdn"] == 0 and mock.open_streams == 0


async def test_task_group_cancel_mid_body() -> None:
    mock = MockMixpanel(replays={"r": replay(5)}, body_delay=5)
    async with mock.client() as mp, anyio.create_task_group() as tg:

        async def consume() -> None:
            async with mp.fetch_chunks("r", retention_days=30) as chunks:
                async for _ in chunks:
                    pass

        tg.start_soon(consume)
        await anyio.sleep(0.05)
        assert mock.open_streams >= 1  # bodies are being read
        tg.cancel_scope.cancel()
    assert mock.open_streams == 0 and mock.in_flight["cdn"] == 0


async def test_replays_for_user_discovers_then_analyzes() -> None:
    mock = MockMixpanel(
        replays={
            "mine-old": replay(1, start_s=1_779_000_000),
            "mine-new": replay(2, start_s=1_779_300_000),
            "theirs": replay(1, distinct_id="other"),
        }
    )
    async with mock.client() as mp, mp.replays_for_user("user-42", limit=1) as replays:
        results = [r async for r in replays]
    assert [r.replay_id for r in results] == ["mine-new"]
    assert mock.calls["insights"] == 1


# --- downloads -------------------------------------------------------------------------------


async def download(mock: MockMixpanel, ids: list[str], out: Path) -> list[FetchedReplay]:
    async with mock.client() as mp, mp.download(ids, out) as results:
        return [r async for r in results]


async def test_download_writes_atomically_and_resumes(tmp_path: Path) -> None:
    mock = MockMixpanel(replays={"a": replay(3), "b/../x": replay(2)})
    out = tmp_path / "out"
    first = await download(mock, ["a", "missing", "b/../x"], out)
    by_id = {r.replay_id: r for r in first}
    assert by_id["missing"].failure is not None and by_id["missing"].path is None
    a = by_id["a"]
    assert (a.files, a.events, a.resumed) == (3, 4, False)
    assert json.loads(Path(a.path or "").read_text()) == [
        e for i in range(3) for e in mock.replays["a"].chunks[i]
    ]
    odd = Path(by_id["b/../x"].path or "")
    assert odd.parent == out and not odd.name.startswith(".")
    assert sorted(p.name for p in out.iterdir()) == sorted([Path(a.path or "").name, odd.name])
    cdn_before = mock.calls["cdn"]
    again = await download(mock, ["a", "b/../x"], out)
    assert all(r.resumed and r.bytes > 0 for r in again)
    assert mock.calls["cdn"] == cdn_before  # nothing fetched again
    assert mock.calls["sign"] == 1  # nor signed


async def test_cancelled_download_leaves_no_file(tmp_path: Path) -> None:
    mock = MockMixpanel(replays={"slow": replay(5)}, body_delay=0.5)
    with anyio.move_on_after(0.2) as scope:
        await download(mock, ["slow"], tmp_path)
    assert scope.cancelled_caught
    assert list(tmp_path.iterdir()) == []  # neither a final nor a temporary file
    assert mock.open_streams == 0


@given(st.text(min_size=1, max_size=300))
def test_safe_filename_is_safe_and_distinct(replay_id: str) -> None:
    name = safe_filename(replay_id)
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.json", name)
    assert not name.startswith(".") and len(name) <= 140
    assert name != safe_filename(replay_id + "x")


def test_safe_filename_keeps_plain_ids() -> None:
    assert safe_filename("0190f2c4-aaaa.bbbb_cc") == "0190f2c4-aaaa.bbbb_cc.json"
    assert safe_filename("CON") != "CON.json"
    assert safe_filename("a/b") != safe_filename("a_b")
    assert safe_filename("..") != safe_filename(".")


async def test_descriptor_inputs_skip_the_lookup() -> None:
    mock = MockMixpanel(replays={"a": replay(1, retention=90)})
    desc = ReplayDescriptor(replay_id="a", retention_days=90)
    results = await analyze_all(mock, [desc])  # type: ignore[list-item]
    assert results[0].failure is None and mock.calls["insights"] == 0


async def test_failed_retention_lookup_degrades_to_probing() -> None:
    mock = MockMixpanel(replays={"a": replay(2, retention=90), "b": replay(1, retention=7)})
    mock.hook = lambda r: (
        mock._response(400, b'{"error": "bad"}') if r.url.path.endswith("/insights") else None
    )
    results = await analyze_all(mock, ["a", "b"])
    assert all(r.failure is None for r in results) and len(results) == 2


async def test_concurrent_fatal_errors_surface_as_one() -> None:
    mock = MockMixpanel(replays={f"r{i}": replay(3) for i in range(6)}, cdn_delay=0.01)
    limits = ClientLimits(replay_concurrency=3, sign_batch=2)
    mock.hook = lambda r: (
        mock._response(401, b"{}")
        if r.url.path.endswith("/sign/bulk") and mock.calls["sign"] > 1
        else None
    )
    async with mock.client(limits=limits) as mp:
        with pytest.raises(AuthenticationError):
            async with mp.analyze(list(mock.replays), retention_days=30) as replays:
                async for _ in replays:
                    pass
    assert mock.open_streams == 0


async def test_single_error_picks_what_to_raise() -> None:
    from replaykit.sources.mixpanel._stage import single_error

    a, b = AuthenticationError("a"), AuthenticationError("b")
    assert single_error(BaseExceptionGroup("g", [a, BaseExceptionGroup("h", [b])])) is a
    bug = KeyError("x")
    assert single_error(BaseExceptionGroup("g", [bug])) is bug
    assert single_error(BaseExceptionGroup("g", [a, bug])) is None  # a bug is never hidden


def test_single_error_outside_an_event_loop() -> None:
    from replaykit.sources.mixpanel._stage import single_error

    a = AuthenticationError("a")
    assert single_error(BaseExceptionGroup("g", [a])) is a
