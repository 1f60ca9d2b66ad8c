"""The pandas extra: every bundle frame converts with ``to_pandas()`` once it is installed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import replaykit

ROOT = Path(__file__).resolve().parent.parent


def test_the_extra_and_the_readme_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = project["project"]["optional-dependencies"]
    names = {r.split(">")[0].split("=")[0].strip() for r in extras["pandas"]}
    assert names == {"pandas", "pyarrow"}  # Polars' to_pandas() goes through Arrow
    tests = {r.split(">")[0].strip() for r in extras["test"]}
    assert {"pandas", "pyarrow"} <= tests
    assert 'pip install "replaykit[pandas]"' in (ROOT / "README.md").read_text()


def test_every_frame_converts(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    import replaykit.sync as rk
    from replaykit import ReplayBundle
    from replaykit.bundle._sink import collect_bundle

    replays = rk.analyze(ROOT / "examples" / "recordings", signals=True)
    collect_bundle(replays, spill_dir=tmp_path / "b", events=True).write_parquet(tmp_path / "o")
    bundle = ReplayBundle.scan(tmp_path / "o")
    for name in ("sessions", "actions", "signals", "pages", "events", "mixpanel", "elements"):
        frame = getattr(bundle, name).collect().to_pandas()
        assert isinstance(frame, pd.DataFrame), name
    sessions = bundle.sessions.collect().to_pandas()
    assert len(sessions) == 4 and "replay_id" in sessions.columns
    assert replaykit.ReplayBundle is ReplayBundle
