"""Signals through the public surface: async iterators, sync helpers, every CLI format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import replaykit
import replaykit.sync
from replaykit.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"
SHOP = EXAMPLES / "tracelane-shop-checkout-console.json"
SIGNAL_KEYS = ("replay_id", "kind", "timestamp", "target", "url", "evidence")


def frustrated(corpus_dir: Path) -> Path:
    return corpus_dir / "recorded" / "shop_frustrated.json"


@pytest.mark.anyio
async def test_iter_signals_and_analyze_agree() -> None:
    streamed = [s async for s in replaykit.iter_signals(SHOP)]
    replay = await replaykit.analyze_recording(SHOP, signals=True)
    assert streamed == replay.signals
    assert streamed, "the example checkout has console errors and a failed request"
    assert [s.timestamp for s in streamed] == sorted(s.timestamp for s in streamed)
    seqs = {a.seq for a in replay.actions}
    assert all(set(s.evidence) <= seqs for s in streamed)


def test_signals_are_off_unless_asked() -> None:
    assert replaykit.sync.analyze_recording(SHOP).signals == []
    assert (
        replaykit.sync.signals(SHOP) == replaykit.sync.analyze_recording(SHOP, signals=True).signals
    )


def test_frustrated_session_signals(corpus_dir: Path) -> None:
    signals = replaykit.sync.signals(frustrated(corpus_dir))
    kinds = [s.kind for s in signals]
    for kind in ("rage_click", "dead_click", "slow_click", "error_click", "quick_back", "idle"):
        assert kind in kinds, kind
    assert kinds.count("rage_click") == 1 and kinds.count("dead_click") == 6
    rage = next(s for s in signals if s.kind == "rage_click")
    assert rage.label == "Apply coupon" and len(rage.evidence) == 5


def test_presets_change_definitions(corpus_dir: Path) -> None:
    path = frustrated(corpus_dir)
    default = replaykit.sync.signals(path)
    sentry = replaykit.sync.signals(path, config="sentry")
    assert {s.preset for s in sentry} == {"sentry"}
    assert [s.kind for s in default] != [s.kind for s in sentry]
    with pytest.raises(replaykit.ReplaykitError):
        replaykit.sync.signals(path, config="no-such-preset")


def test_cli_ndjson_signal_lines(corpus_dir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["analyze", str(frustrated(corpus_dir)), "--signals", "-o", "ndjson"]
    )
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    signals = [r for r in rows if r.get("record") == "signal"]
    actions = [r for r in rows if r.get("record") != "signal"]
    assert signals and actions
    for row in signals:
        for key in SIGNAL_KEYS:
            assert key in row, key
    kinds = {r["kind"] for r in signals}
    assert {"rage_click", "dead_click", "network_error", "uncaught_exception"} <= kinds
    stamps = [r["timestamp"] for r in rows]
    assert stamps == sorted(stamps)


def test_cli_other_formats_carry_signals(corpus_dir: Path) -> None:
    path = str(frustrated(corpus_dir))
    runner = CliRunner()
    as_json = json.loads(runner.invoke(cli, ["analyze", path, "--signals", "-o", "json"]).stdout)
    assert {s["kind"] for s in as_json[0]["signals"]} >= {"rage_click", "idle"}
    table = runner.invoke(cli, ["analyze", path, "--signals", "-o", "table"]).stdout
    assert "rage_click" in table and "! rage click" in table
    markdown = runner.invoke(cli, ["analyze", path, "--signals"]).stdout
    assert "rage click" in markdown and "dead click" in markdown
    plain = runner.invoke(cli, ["analyze", path]).stdout
    assert "rage click" not in plain


def test_cli_preset_choice_is_validated() -> None:
    result = CliRunner().invoke(cli, ["analyze", str(SHOP), "--signals", "--preset", "nope"])
    assert result.exit_code == 2
