"""Property-based fuzzing of the whole path: decoder, DOM mirror, analyzer and detectors.

Streams come from :mod:`replaykit.testing`'s strategies: valid recordings, the same damaged
(types, ids, timestamps, packing, junk), random trees and mutations, real recordings with
random faults, all in every container and sometimes cut or with flipped bytes. Whatever
comes in, replaykit raises nothing but its typed errors, never hangs (each example runs
under a time budget that must not run out) and keeps its documented invariants.

Two hypothesis profiles: ``ci`` (the default, a modest number of examples) and ``long``
(``REPLAYKIT_FUZZ_PROFILE=long``). ``benchmarks/fuzz.py --examples N`` runs the same
properties (:data:`PROPERTIES`) for as long as asked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replaykit import (
    ACTION_KINDS,
    SIGNAL_KINDS,
    AnalysisTimeoutError,
    AnalyzerOptions,
    DomTracker,
    ReplayAnalyzer,
    ReplaykitError,
    detect_signals,
    iter_event_chunks,
)
from replaykit.analysis._actions import Action, ClickDetails
from replaykit.analysis._activity import _ActionsByTime, latest_action
from replaykit.analysis._visits import _LastBefore
from replaykit.rrweb._model import MutationData, Node
from replaykit.testing import (
    CONTAINERS,
    damaged,
    encode_recording,
    incremental_events,
    recording_bytes,
    rrweb_streams,
    serialized_trees,
)

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=8, deadline=None, suppress_health_check=_HEALTH)
settings.register_profile("long", max_examples=2_000, deadline=None, suppress_health_check=_HEALTH)
PROFILE = os.environ.get("REPLAYKIT_FUZZ_PROFILE", "ci")
FUZZ = settings(settings.get_profile(PROFILE))
"""Settings of every property below (the profile named by $REPLAYKIT_FUZZ_PROFILE)."""
SIZE = 40 if PROFILE == "long" else 15
"""Events per stream and nodes per tree at most: generating them is most of a CI run."""

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REPLAYKIT_SHARED", ROOT.parent / "shared")) / "corpus" / "public"
CORPUS: list[list[Any]] = [
    events
    for path in sorted((ROOT / "examples" / "recordings").glob("*.json"))
    + sorted(SHARED.glob("*.json"))
    if path.stat().st_size < 250_000 and isinstance(events := json.loads(path.read_bytes()), list)
]
"""Real recordings to damage: the examples and, when it is there, the shared corpus's
public recordings under 250 KB that are plain JSON arrays (2018 legacy, rrweb's own test
fixtures, PostHog, Steel, tracelane)."""

OPTIONS = AnalyzerOptions(max_nodes=2_000, max_depth=200, max_seconds=30.0)
"""Small caps so examples reach them; a budget no small example may come near."""

# Containers that keep every element as it is (the PostHog ones add a window id).
LOSSLESS = ("json", "json-lines", "json-pretty", "ndjson", "gzip", "zlib", "packed", "wrapped")


# --- the whole path --------------------------------------------------------------------------


def analyze_bytes(data: bytes, options: AnalyzerOptions = OPTIONS) -> tuple[list[Action], Any]:
    """Decode, analyze and detect signals like `analyze_recording`; returns (actions, replay
    parts) or raises a ReplaykitError. A time-budget error means a hang: it fails."""
    analyzer = ReplayAnalyzer("fuzz", options)
    actions: list[Action] = []
    for chunk in iter_event_chunks(data, chunk_events=64, replay_id="fuzz"):
        actions.extend(analyzer.feed(chunk))
    actions.extend(analyzer.finish())
    signals = detect_signals("fuzz", actions, analyzer.tape, max_seconds=options.max_seconds)
    return actions, (analyzer, signals)


def check_whole_path(data: bytes) -> None:
    """Only typed errors; when it succeeds, the documented invariants hold."""
    try:
        actions, (analyzer, signals) = analyze_bytes(data)
    except AnalysisTimeoutError as exc:  # pragma: no cover - a hang is the bug looked for
        raise AssertionError(f"a small recording ran out of a 30 s budget: {exc}") from exc
    except ReplaykitError as exc:
        assert "undecodable input" not in str(exc), exc  # the decoder's safety net fired
        assert "\n" not in str(exc)
        return
    assert [a.seq for a in actions] == list(range(len(actions)))
    assert all(a.t_ms >= 0 for a in actions)
    assert {a.kind for a in actions} <= set(ACTION_KINDS)
    assert all(isinstance(a.details, ClickDetails) for a in actions if a.kind == "click")
    assert {s.kind for s in signals} <= set(SIGNAL_KINDS)
    assert all(s.duration_ms is None or s.duration_ms >= 0 for s in signals)
    coverage = analyzer.coverage
    counters = [coverage.malformed, coverage.too_deep, coverage.late_events, coverage.inversions]
    assert min([*counters, *coverage.events.values(), *coverage.unknown.values()], default=0) >= 0
    assert coverage.dom.get("max_nodes", 0) <= OPTIONS.max_nodes * max(1, coverage.windows)
    # Everything replaykit hands out serialises (the CLI writes it as JSON).
    msgspec.json.encode(actions)
    msgspec.json.encode(signals)


def check_valid_stream(case: tuple[list[Any], str]) -> None:
    """A valid stream decodes completely, in any container, with nothing skipped."""
    events, container = case
    chunks = list(iter_event_chunks(encode_recording(events, container)))
    assert sum(len(c.events) for c in chunks) == len(events)
    assert not any(c.unknown or c.malformed or c.too_deep for c in chunks)
    assert not any(c.truncated or c.repaired_timestamps for c in chunks)
    check_whole_path(encode_recording(events, container))


def _timeline(data: bytes) -> list[tuple[Any, ...]]:
    actions, _ = analyze_bytes(data)
    return [(a.kind, a.t_ms, a.node_id, a.target, a.label, a.url) for a in actions]


def check_containers_agree(case: tuple[list[Any], str]) -> None:
    """The same events give the same actions whatever the container."""
    events, container = case
    assert _timeline(encode_recording(events, container)) == _timeline(
        encode_recording(events, "json")
    )


def check_dom_mirror(case: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    """Random trees and random mutations keep the mirror a consistent, capped tree."""
    tree, mutations = case
    dom = DomTracker(max_nodes=60, max_depth=12)
    dom.load_snapshot(msgspec.convert(tree, Node))
    for event in mutations:
        data = event["data"]
        if data.get("source") == 0:
            dom.apply_mutation(msgspec.convert(data, MutationData))
    ids = [node for node in _ids_in(case) if node in dom]
    assert len(dom) <= 60 and len(set(ids)) == len(dom)
    for node in ids:
        parent = dom.parent(node)
        if parent is not None:
            assert parent in dom
            assert list(dom.children(parent)).count(node) == 1
        assert sum(1 for _ in dom.ancestors(node)) <= 12 + 1
        assert len(dom.text(node)) <= 1_000
        assert all(child in dom for child in dom.children(node))
    if dom.root is not None:
        assert dom.root in dom
    assert all(v >= 0 for v in msgspec.structs.asdict(dom.stats).values())


def _ids_in(value: Any) -> set[int]:
    """Every int under an "id"-like key in a JSON value: the ids a mirror may hold."""
    found: set[int] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for key, item in v.items():
                if key in ("id", "parentId", "nextId") and isinstance(item, int):
                    found.add(item)
                else:
                    stack.append(item)
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return found


def check_lookups(case: list[tuple[int, int, bool, str | None, int]]) -> None:
    """The bisection lookups the detectors use answer what a scan of the list answers."""
    actions = [
        Action(
            replay_id="r",
            seq=seq,
            kind="click",
            t_ms=0,
            timestamp=t,
            url="https://x.test/" if has_url else None,
            window_id=window,
            document=document,
            details=ClickDetails(),
        )
        for t, seq, has_url, window, document in case
    ]
    by_time = _ActionsByTime(actions)
    stamps = sorted({t for t, *_ in case} | {-1, 10**9})
    for t in stamps:
        assert by_time.latest(t) is latest_action(actions, t)
        for window in (None, "w1"):
            assert by_time.latest(t, window_id=window, any_window=False) is latest_action(
                actions, t, window_id=window, any_window=False
            )
            expected = tuple(
                a.seq
                for a in actions
                if a.window_id == window and a.document == 1 and t <= a.timestamp <= t + 50
            )
            assert by_time.seqs_between(window, 1, t, t + 50) == expected
    items = [(t, seq) for t, seq, *_ in case]
    last = _LastBefore(items, lambda item: item[0])
    for t in stamps:
        found = [item for item in items if item[0] <= t]
        assert last.get(t) == (found[-1] if found else None)


# --- strategies and the property registry ----------------------------------------------------


def _valid_cases() -> st.SearchStrategy[tuple[list[Any], str]]:
    return st.tuples(
        rrweb_streams(valid=True, max_events=SIZE, max_nodes=SIZE), st.sampled_from(CONTAINERS)
    )


def _invalid_streams() -> st.SearchStrategy[list[Any]]:
    return rrweb_streams(valid=False, max_events=SIZE, max_nodes=SIZE)


def _agree_cases() -> st.SearchStrategy[tuple[list[Any], str]]:
    return st.tuples(
        rrweb_streams(valid=True, max_events=SIZE, max_nodes=SIZE), st.sampled_from(LOSSLESS)
    )


def _damaged_corpus() -> st.SearchStrategy[bytes]:
    return st.sampled_from(CORPUS).flatmap(
        lambda events: recording_bytes(st.just(events).flatmap(damaged), damage=True)
    )


def _dom_cases() -> st.SearchStrategy[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return st.tuples(
        serialized_trees(max_nodes=2 * SIZE, duplicate_ids=True),
        st.lists(incremental_events(node_ids=list(range(1, 41))), max_size=12),
    )


def _lookup_cases() -> st.SearchStrategy[list[tuple[int, int, bool, str | None, int]]]:
    return st.lists(
        st.tuples(
            st.integers(0, 200),
            st.integers(0, 30),
            st.booleans(),
            st.sampled_from([None, "w1"]),
            st.sampled_from([1, 2]),
        ),
        max_size=30,
    )


PROPERTIES: dict[str, tuple[Callable[[], st.SearchStrategy[Any]], Callable[[Any], None]]] = {
    "valid streams decode completely": (_valid_cases, check_valid_stream),
    "damaged streams: typed errors only": (
        lambda: recording_bytes(_invalid_streams(), damage=True),
        check_whole_path,
    ),
    "damaged real recordings: typed errors only": (_damaged_corpus, check_whole_path),
    "random bytes: typed errors only": (
        lambda: st.binary(max_size=400) | st.sampled_from([b"[", b"{", b"\x1f\x8b"]),
        check_whole_path,
    ),
    "containers agree": (_agree_cases, check_containers_agree),
    "DOM mirror stays a capped tree": (_dom_cases, check_dom_mirror),
    "lookups match scans": (_lookup_cases, check_lookups),
}
"""Name -> (strategy factory, check): what the tests below and benchmarks/fuzz.py run."""


@FUZZ
@given(_valid_cases())
def test_valid_streams_decode_completely(case: tuple[list[Any], str]) -> None:
    check_valid_stream(case)


@FUZZ
@given(recording_bytes(_invalid_streams(), damage=True))
def test_damaged_streams_raise_only_typed_errors(data: bytes) -> None:
    check_whole_path(data)


@FUZZ
@given(_damaged_corpus())
def test_damaged_real_recordings_raise_only_typed_errors(data: bytes) -> None:
    check_whole_path(data)


@FUZZ
@given(st.binary(max_size=400) | st.sampled_from([b"[", b"{", b"\x1f\x8b"]))
def test_random_bytes_raise_only_typed_errors(data: bytes) -> None:
    check_whole_path(data)


@FUZZ
@given(_agree_cases())
def test_containers_agree(case: tuple[list[Any], str]) -> None:
    check_containers_agree(case)


@FUZZ
@given(_dom_cases())
def test_dom_mirror_stays_a_capped_tree(case: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    check_dom_mirror(case)


@FUZZ
@given(_lookup_cases())
def test_lookups_match_scans(case: list[tuple[int, int, bool, str | None, int]]) -> None:
    check_lookups(case)


def test_strategies_load_hypothesis_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, replaykit, replaykit.testing\n"
        "assert 'hypothesis' not in sys.modules\n"
        "from replaykit.testing import rrweb_streams\n"
        "assert 'hypothesis' in sys.modules and rrweb_streams.__module__ == 'replaykit.testing'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
