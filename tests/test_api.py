"""The async surface, the local source, and the blocking wrappers."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

import replaykit
import replaykit.sync
from replaykit import LocalSource, RecordingNotFoundError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"
SHOP = EXAMPLES / "tracelane-shop-checkout-console.json"

pytestmark = pytest.mark.anyio


async def test_iter_actions_streams_time_ordered_actions() -> None:
    actions = [a async for a in replaykit.iter_actions(SHOP)]
    assert actions
    assert [a.seq for a in actions] == list(range(len(actions)))
    assert all(a.replay_id == "tracelane-shop-checkout-console" for a in actions)
    assert [a.t_ms for a in actions] == sorted(a.t_ms for a in actions)


async def test_breaking_out_early_closes_the_stream() -> None:
    agen = replaykit.iter_actions(SHOP)
    first = await agen.__anext__()
    assert first.seq == 0
    await agen.aclose()
    with pytest.raises(StopAsyncIteration):
        await agen.__anext__()


async def test_analyze_a_directory_lazily() -> None:
    seen = []
    async for replay in replaykit.analyze(EXAMPLES):
        seen.append(replay.replay_id)
        assert replay.failure is None
        assert replay.duration_ms >= 0
        assert replay.coverage.events
    assert seen == sorted(p.name.removesuffix(".json") for p in EXAMPLES.glob("*.json"))


async def test_on_error_record_keeps_going(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('[{"type": 4, "timestamp": 1, "data": {}}]')
    (tmp_path / "b.json").write_text("not a recording")
    (tmp_path / "c.json").write_bytes(SHOP.read_bytes())
    results = [r async for r in replaykit.analyze(tmp_path, on_error="record")]
    assert [r.replay_id for r in results] == ["a", "b", "c"]
    assert results[1].failure is not None and results[1].failure.skipped
    assert results[2].actions
    with pytest.raises(replaykit.RecordingFormatError):
        async for _ in replaykit.analyze([tmp_path / "b.json"]):
            pass


async def test_missing_paths_raise_not_found(tmp_path: Path) -> None:
    with pytest.raises(RecordingNotFoundError):
        async for _ in LocalSource(tmp_path / "nope.json"):
            pass
    with pytest.raises(RecordingNotFoundError):
        async for _ in LocalSource(str(tmp_path / "*.json")):
            pass
    with pytest.raises(RecordingNotFoundError):
        async for _ in LocalSource(tmp_path):
            pass


async def test_cancellation_stops_analysis() -> None:
    with anyio.move_on_after(0):
        async for _ in replaykit.analyze(EXAMPLES):
            pytest.fail("should have been cancelled before the first replay")


def test_local_source_expands_globs_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / ".hidden.json").write_text("[]")
    (tmp_path / "x.json.gz").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    found = [r.replay_id for r in LocalSource(tmp_path).recordings()]
    assert found == ["x"]
    assert [r.replay_id for r in LocalSource(str(EXAMPLES / "tracelane-*.json")).recordings()] == [
        "tracelane-login-failure-console",
        "tracelane-shop-checkout-console",
    ]


def test_sync_wrappers_match_async() -> None:
    replays = list(replaykit.sync.analyze(EXAMPLES))
    assert len(replays) == len(list(EXAMPLES.glob("*.json")))
    one = replaykit.sync.analyze_recording(SHOP)
    assert one.actions == replaykit.sync.actions(SHOP)
    by_id = {r.replay_id: r for r in replays}
    assert by_id[one.replay_id].actions == one.actions
    assert one.markdown().startswith("# Replay ")
