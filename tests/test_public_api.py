"""The public surface is pinned: nothing leaks in, nothing drops out silently."""

from __future__ import annotations

from pathlib import Path

import msgspec

import replaykit
import replaykit.sync

EXAMPLE = (
    Path(__file__).resolve().parent.parent
    / "examples"
    / "recordings"
    / "tracelane-shop-checkout-console.json"
)


PUBLIC = [
    "SIGNAL_PRESETS",
    "Action",
    "AnalysisTimeoutError",
    "AnalyzedReplay",
    "AnalyzerOptions",
    "BundleBuilder",
    "ConfigError",
    "Coverage",
    "LocalSource",
    "MixpanelClient",
    "MixpanelConfig",
    "MixpanelError",
    "Recording",
    "RecordingError",
    "ReplayAnalyzer",
    "ReplayBundle",
    "ReplayFailure",
    "ReplaykitError",
    "Signal",
    "SignalConfig",
    "UsageError",
    "aggregate",
    "analyze",
    "analyze_events",
    "analyze_recording",
    "detect_signals",
    "iter_actions",
    "iter_event_chunks",
    "iter_signals",
    "markdown_timeline",
]
SUBPACKAGES = {
    "analysis",
    "bundle",
    "cli",
    "distributed",
    "errors",
    "mixpanel",
    "rrweb",
    "sources",
    "sync",
    "testing",
}


def test_all_is_the_small_public_face() -> None:
    assert replaykit.__all__ == PUBLIC
    assert len(PUBLIC) <= 30
    public = sorted(
        name for name in dir(replaykit) if not name.startswith("_") and name not in SUBPACKAGES
    )
    assert sorted(replaykit.__all__) == public


def test_subpackages_hold_the_rest() -> None:
    import importlib

    for name in ("analysis", "rrweb", "bundle", "mixpanel", "errors"):
        module = importlib.import_module(f"replaykit.{name}")
        assert module.__all__, name
        for item in module.__all__:
            assert getattr(module, item) is not None, (name, item)
    # Names that moved are still reachable from the root, from their new home.
    assert replaykit.ClickDetails is importlib.import_module("replaykit.analysis").ClickDetails
    assert replaykit.RetryPolicy is importlib.import_module("replaykit.mixpanel").RetryPolicy


def test_import_replaykit_loads_neither_polars_nor_httpx() -> None:
    import subprocess
    import sys

    code = "import sys, replaykit; print('polars' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_public_names_report_the_public_module() -> None:
    for name in replaykit.__all__:
        obj = getattr(replaykit, name)
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct):
            continue  # see test_structs_decode_from_their_json
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "replaykit", name


def test_structs_decode_from_their_json() -> None:
    # msgspec resolves a Struct's annotations in its module: the public re-export must not
    # break decoding public data back into its type.
    actions = replaykit.sync.actions(EXAMPLE)
    assert actions
    for action in actions:
        assert msgspec.json.decode(msgspec.json.encode(action), type=replaykit.Action) == action
    signals = replaykit.sync.signals(EXAMPLE)
    assert signals
    data = msgspec.json.encode(signals)
    assert msgspec.json.decode(data, type=list[replaykit.Signal]) == signals
    replay = replaykit.sync.analyze_recording(EXAMPLE, signals=True)
    data = msgspec.json.encode(replay)
    assert msgspec.json.decode(data, type=replaykit.AnalyzedReplay) == replay


def test_every_public_object_has_a_docstring() -> None:
    for name in replaykit.__all__:
        obj = getattr(replaykit, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
