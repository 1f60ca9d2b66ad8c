"""The public surface is pinned: nothing leaks in, nothing drops out silently."""

from __future__ import annotations

import replaykit


def test_all_is_exactly_the_public_names() -> None:
    public = sorted(
        name
        for name in dir(replaykit)
        if not name.startswith("_")
        and name not in {"sync", "cli", "testing", "analysis", "rrweb", "sources", "bundle"}
    )
    assert sorted(replaykit.__all__) == public


def test_public_names_report_the_public_module() -> None:
    for name in replaykit.__all__:
        obj = getattr(replaykit, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "replaykit", name


def test_every_public_object_has_a_docstring() -> None:
    for name in replaykit.__all__:
        obj = getattr(replaykit, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
