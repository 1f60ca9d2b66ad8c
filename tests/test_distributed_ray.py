"""replaykit.distributed with the Ray engine (skipped without the ``ray`` extra): the same
dataset as the local engine, and crashed or failing tasks retried by Ray."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from replaykit import ReplayBundle
from replaykit.distributed import analyze
from replaykit.testing import InjectFaults

ray: Any = pytest.importorskip("ray")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"
ROW_KEYS = {
    "sessions": ["replay_id"],
    "actions": ["replay_id", "seq"],
    "signals": ["replay_id", "seq"],
    "pages": ["replay_id", "visit"],
}

# Ray's own modules warn about their dependencies at run time; that is not ours to fail on.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """One local Ray instance for the module (starting one costs seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ray-in")
    shutil.copytree(EXAMPLES, root / "a", ignore=shutil.ignore_patterns("*.md"))
    (root / "a" / "notes.json").write_text('{"title": "not a recording"}')
    return root / "a"


def ids(out: Path) -> list[str]:
    return sorted(ReplayBundle.scan(out).sessions.collect()["replay_id"].to_list())


def test_ray_and_local_engines_write_the_same_frames(inputs: Path, tmp_path: Path) -> None:
    from polars.testing import assert_frame_equal

    local = analyze(inputs, out=tmp_path / "local", chunk_size=2, progress=False)
    remote = analyze(inputs, out=tmp_path / "ray", engine="ray", chunk_size=2, progress=False)
    assert (remote.replays, remote.skipped, remote.chunks) == (
        local.replays,
        local.skipped,
        local.chunks,
    )
    assert remote.engine == "ray" and remote.workers == 2 and remote.retries is None
    a, b = ReplayBundle.scan(tmp_path / "local"), ReplayBundle.scan(tmp_path / "ray")
    for frame, keys in ROW_KEYS.items():
        assert_frame_equal(a.frame(frame).collect().sort(keys), b.frame(frame).collect().sort(keys))
    assert a.stats == b.stats


def test_ray_retries_crashed_and_failing_tasks(inputs: Path, tmp_path: Path) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    faults = InjectFaults(flag_dir=str(flags), crash=frozenset({0}), fail=frozenset({1}))
    out = tmp_path / "out"
    summary = analyze(
        inputs,
        out=out,
        engine="ray",
        chunk_size=2,
        max_in_flight=1,
        progress=False,
        chunk_fn=faults,
    )
    assert summary.failed == 0 and summary.failed_chunks == 0
    expected = sorted(p.name.removesuffix(".json") for p in EXAMPLES.glob("*.json"))
    assert ids(out) == expected  # every replay once: none missing, none duplicated
    for chunk in (0, 1):
        assert len((flags / f"attempts-{chunk}").read_text().split()) == 2
