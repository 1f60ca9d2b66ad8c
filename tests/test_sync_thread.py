"""The blocking API analyzes local files on the calling thread (issue 13 §2: no idle wall)
and gives what the async API gives."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import pytest

import replaykit
import replaykit.sync
from replaykit.analysis import default_label

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"


def test_local_analysis_runs_on_the_calling_thread() -> None:
    seen: set[int] = set()

    def label(dom: object, node_id: int) -> str:
        seen.add(threading.get_ident())
        return default_label(dom, node_id)  # type: ignore[arg-type]

    options = replaykit.AnalyzerOptions(label_fn=label)
    before = threading.active_count()
    replays = list(replaykit.sync.analyze(EXAMPLES, options=options, signals=True))
    assert replays and all(r.failure is None for r in replays)
    assert seen == {threading.get_ident()}
    assert threading.active_count() == before  # no portal or worker thread was started
    one = replaykit.sync.analyze_recording(replays[0].source, options=options)
    assert one.actions == replays[0].actions


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_blocking_and_async_results_agree(path: Path) -> None:
    async def run() -> replaykit.AnalyzedReplay:
        return await replaykit.analyze_recording(path, signals=True)

    blocking = replaykit.sync.analyze_recording(path, signals=True)
    assert blocking == anyio.run(run)


def test_blocking_errors_are_recorded_or_raised(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("not json at all")
    (failed,) = replaykit.sync.analyze([broken], on_error="record")
    assert failed.failure is not None and failed.failure.exit_code == 1
    with pytest.raises(replaykit.RecordingError):
        list(replaykit.sync.analyze([broken]))
