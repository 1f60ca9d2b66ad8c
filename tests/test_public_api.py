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


def test_all_is_exactly_the_public_names() -> None:
    public = sorted(
        name
        for name in dir(replaykit)
        if not name.startswith("_")
        and name
        not in {"sync", "cli", "testing", "analysis", "rrweb", "sources", "bundle", "distributed"}
    )
    assert sorted(replaykit.__all__) == public


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
