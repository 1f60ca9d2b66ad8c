"""Queries: lazy results equal eager recomputation on random bundles (hypothesis), and
parity with the reference client's queries on the shared corpus."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import _bundle_data as data
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import replaykit.sync
from replaykit import AnalyzedReplay
from replaykit.bundle import REFERENCE_LABEL, ReplayBundle
from replaykit.bundle._queries import _greedy_bursts


def rows(lf: pl.LazyFrame, columns: list[str] | None = None) -> list[dict[str, Any]]:
    assert isinstance(lf, pl.LazyFrame), "queries return LazyFrames"
    df = lf.collect()
    if columns is not None:
        df = df.select(columns)
    return df.to_dicts()


def same(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected, strict=True):
        for key, value in want.items():
            have = got[key]
            if isinstance(value, float) or isinstance(have, float):
                if value is None or have is None:
                    assert have is None and value is None, (key, got, want)
                else:
                    assert math.isclose(have, value, rel_tol=1e-9, abs_tol=1e-9), (key, got, want)
            else:
                assert have == value, (key, got, want)


def bundle_of(replays: list[AnalyzedReplay], batch_rows: int = 7) -> ReplayBundle:
    # Small batches: every example crosses batch boundaries.
    return ReplayBundle.from_replays(replays, batch_rows=batch_rows)


SETTINGS = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    replays=data.replay_lists(),
    n=st.integers(1, 6),
    threshold=st.integers(1, 4),
    window=st.sampled_from([0, 999, 1000, 1500, 3000]),
    pause=st.sampled_from([1, 1000, 10_000]),
)
def test_click_and_pause_queries_equal_eager(
    replays: list[AnalyzedReplay], n: int, threshold: int, window: int, pause: int
) -> None:
    bundle = bundle_of(replays)
    same(rows(bundle.top_clicks(n)), data.top_clicks(replays, n))
    same(rows(bundle.rage_clicks(threshold, window)), data.rage_clicks(replays, threshold, window))
    same(rows(bundle.long_pauses(pause)), data.long_pauses(replays, pause))
    got = {r["replay_id"] for r in rows(bundle.error_sessions())}
    assert got == set(data.error_session_ids(replays))
    same(rows(bundle.elements), data.elements(replays))


STEP_KINDS = ["click", "navigation", "input", "console_error", "rage_click", "dead_click"]


@SETTINGS
@given(
    replays=data.replay_lists(),
    steps=st.lists(st.sampled_from(STEP_KINDS), min_size=1, max_size=3),
    within=st.sampled_from([None, 0, 1000, 5000]),
    contiguous=st.booleans(),
    with_signals=st.booleans(),
)
def test_patterns_and_funnels_equal_eager(
    replays: list[AnalyzedReplay],
    steps: list[str],
    within: int | None,
    contiguous: bool,
    with_signals: bool,
) -> None:
    bundle = bundle_of(replays)
    events = data.stream(replays, with_signals)
    preds = [lambda e, k=k: e["kind"] == k for k in steps]
    got = bundle.find_pattern(steps, within_ms=within, contiguous=contiguous, signals=with_signals)
    same(rows(got), data.find_pattern(events, preds, within, contiguous))

    events = data.stream(replays, True)
    expected = data.funnel(events, preds, steps, len(replays), within)
    same(rows(bundle.funnel(steps, by="event", within_ms=within)), expected)


@SETTINGS
@given(
    replays=data.replay_lists(),
    split=st.integers(0, 6),
    metric=st.sampled_from(["scroll_reversal", "rage_click", "click", "scroll"]),
)
def test_cohorts_and_baselines_equal_eager(
    replays: list[AnalyzedReplay], split: int, metric: str
) -> None:
    bundle = bundle_of(replays)
    ids = sorted(r.replay_id for r in replays)
    chosen = set(ids[:split])
    mine = [r for r in replays if r.replay_id in chosen]
    other = [r for r in replays if r.replay_id not in chosen]
    a, b = bundle.only(chosen), bundle.only(set(ids) - chosen)
    if mine and other:
        same(rows(a.compare(b)), data.compare(mine, other))
    same(rows(bundle.url_baselines(metric)), data.url_baselines(replays, metric))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replays=data.replay_lists())
def test_spilled_and_reopened_bundles_answer_the_same(
    replays: list[AnalyzedReplay], tmp_path_factory: pytest.TempPathFactory
) -> None:
    memory = bundle_of(replays)
    spill = tmp_path_factory.mktemp("spill")
    spilled = ReplayBundle.from_replays(replays, spill_dir=spill / "b", batch_rows=5)
    assert spilled.directory == spill / "b"
    for name in ("sessions", "actions", "signals", "pages"):
        left = memory.frame(name).collect().sort("replay_id", *_order(name))
        right = spilled.frame(name).collect().sort("replay_id", *_order(name))
        assert left.equals(right), name
    same(rows(spilled.top_clicks(5)), rows(memory.top_clicks(5)))
    same(rows(spilled.rage_clicks()), rows(memory.rage_clicks()))


def _order(name: str) -> list[str]:
    return {"sessions": [], "actions": ["seq"], "signals": ["seq"], "pages": ["visit"]}[name]


def test_greedy_walk_handles_long_runs() -> None:
    # 15 clicks 200 ms apart: windows of 1000 ms hold 6 clicks (0..1000 inclusive).
    times = [i * 200 for i in range(15)]
    df = pl.DataFrame({"times": [times]}).with_columns(_greedy_bursts(3, 1000).alias("b"))
    assert df["b"].to_list() == [
        [{"start": 0, "clicks": 6}, {"start": 6, "clicks": 6}, {"start": 12, "clicks": 3}]
    ]


def test_filters_are_lazy_and_compose() -> None:
    replays = [
        data.replay("a", [(0, "navigation", {"url": "http://s.test/checkout"}), (10, "click")]),
        data.replay("b", [(0, "navigation", {"url": "http://s.test/home"})], end_after=50_000),
        data.replay("c", [(0, "console_error")], start=data.T0 + 5 * data.DAY),
    ]
    bundle = bundle_of(replays)
    assert isinstance(bundle.where(contains_url="/checkout").sessions, pl.LazyFrame)
    ids = lambda b: sorted(b.sessions.collect()["replay_id"])  # noqa: E731
    assert ids(bundle.where(contains_url="/checkout")) == ["a"]
    assert ids(bundle.where(min_duration_ms=20_000)) == ["b"]
    assert ids(bundle.where(max_duration_ms=20_000, contains_url="s.test")) == ["a"]
    assert ids(bundle.filter(pl.col("actions_console_error") > 0)) == ["c"]
    assert ids(bundle.head(2)) == ["a", "b"]
    assert len(ids(bundle.sample(2, seed=3))) == 2
    assert ids(bundle.sample(2, seed=3)) == ids(bundle.sample(2, seed=3))
    assert ids(bundle.where(day_from=_day(3))) == ["c"]
    sub = bundle.where(contains_url="/checkout")
    assert sub.actions.collect()["replay_id"].unique().to_list() == ["a"]
    with pytest.raises(ValueError, match="unknown signal kind"):
        bundle.where(has_signal="nope")


def _day(days: int) -> Any:
    import datetime as dt

    return dt.date(1970, 1, 1) + dt.timedelta(days=(data.T0 // data.DAY) + days)


def test_page_funnel_matches_paths_and_reports_drop_off() -> None:
    nav = "navigation"
    replays = [
        data.replay(
            "a",
            [
                (0, nav, {"url": "http://s.test/products"}),
                (1000, nav, {"url": "http://s.test/cart"}),
                (3000, nav, {"url": "http://s.test/checkout"}),
            ],
        ),
        data.replay(
            "b",
            [
                (0, nav, {"url": "http://s.test/products"}),
                (500, nav, {"url": "http://s.test/cart"}),
            ],
        ),
        data.replay("c", [(0, nav, {"url": "http://s.test/cart"})]),
    ]
    got = rows(bundle_of(replays).funnel(["/products", "/cart", "http://s.test/checkout"]))
    assert [r["sessions"] for r in got] == [2, 2, 1]
    assert [r["drop_off"] for r in got] == [0, 0, 1]
    assert got[1]["median_ms_from_previous"] == 750
    assert got[2]["median_ms_from_start"] == 3000
    assert got[2]["conversion"] == 0.5
    assert [r["name"] for r in got] == ["/products", "/cart", "http://s.test/checkout"]


# --- parity with the reference client on the shared corpus --------------------------------


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path) -> tuple[list[AnalyzedReplay], ReplayBundle]:
    replays = [
        r
        for r in replaykit.sync.analyze(corpus_dir, on_error="record")
        if r.failure is None or not r.failure.skipped
    ]
    return replays, ReplayBundle.from_replays(replays, batch_rows=100)


def test_parity_top_clicks(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    expected = data.top_clicks(replays, 10)
    assert expected and expected[0]["clicks"] >= 2
    same(rows(bundle.top_clicks()), expected)


def test_parity_rage_clicks(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    for threshold, window in [(3, 1000), (2, 1000), (3, 2000), (5, 1000)]:
        same(
            rows(bundle.rage_clicks(threshold, window)),
            data.rage_clicks(replays, threshold, window),
        )
    # shop_frustrated: five clicks on "Apply coupon" within a second (frustration-signals §2).
    burst = [r for r in rows(bundle.rage_clicks()) if r["replay_id"] == "shop_frustrated"]
    assert [r["clicks"] for r in burst] == [5]


def test_parity_long_pauses(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    same(rows(bundle.long_pauses()), data.long_pauses(replays, 10_000))
    same(rows(bundle.long_pauses(2000)), data.long_pauses(replays, 2000))


def test_parity_error_sessions(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    got = sorted(r["replay_id"] for r in rows(bundle.error_sessions()))
    assert got == sorted(data.error_session_ids(replays))
    assert "shop_frustrated" in got


def test_parity_find_pattern(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus

    def reference(labels: list[str]) -> set[str]:
        # The reference: replays whose kind:tag@page labels hold `labels` contiguously.
        out = set()
        for r in replays:
            seq = [
                f"{e['kind']}:{e['tag'] or ''}@{e['page'] or ''}"
                for e in data.stream([r], with_signals=False)
            ]
            if any(seq[i : i + len(labels)] == labels for i in range(len(seq))):
                out.add(r.replay_id)
        return out

    shop = next(r for r in replays if r.replay_id == "shop_frustrated")
    first = data.page(shop.actions[0].url)
    labels = [f"navigation:@{first}", f"page_load:@{first}"]
    found = bundle.find_pattern(labels, contiguous=True, signals=False, label=REFERENCE_LABEL)
    got = set(found.collect()["replay_id"])
    assert got == reference(labels) and "shop_frustrated" in got
    clicks = ["click:button@" + (first or "")] * 2
    got = set(
        bundle.find_pattern(
            clicks, contiguous=True, signals=False, label=REFERENCE_LABEL
        ).collect()["replay_id"]
    )
    assert got == reference(clicks)
    assert set(bundle.only(found).sessions.collect()["replay_id"]) == reference(labels)


def test_parity_where_head_sample_filter(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    ids = lambda b: set(b.sessions.collect()["replay_id"])  # noqa: E731
    expected = {
        r.replay_id
        for r in replays
        if any("/shop" in (a.url or "") for a in r.actions if a.kind == "navigation")
        and 30_000 <= r.duration_ms <= 90_000
    }
    got = ids(bundle.where(contains_url="/shop", min_duration_ms=30_000, max_duration_ms=90_000))
    assert got == expected and expected
    starts = sorted((r.start_timestamp or 0, r.replay_id) for r in replays)
    assert ids(bundle.head(3)) == {rid for _, rid in starts[:3]}
    assert len(ids(bundle.sample(4, seed=1))) == 4
    assert ids(bundle.filter(pl.col("actions_click") >= 10)) == {
        r.replay_id for r in replays if sum(a.kind == "click" for a in r.actions) >= 10
    }
    assert ids(bundle.where(has_event="Purchase")) == set()  # no Mixpanel events joined


def test_parity_compare(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    shop = [r for r in replays if r.replay_id.startswith("shop")]
    rest = [r for r in replays if not r.replay_id.startswith("shop")]
    a = bundle.filter(pl.col("replay_id").str.starts_with("shop"))
    b = bundle.filter(~pl.col("replay_id").str.starts_with("shop"))
    got = rows(a.compare(b))
    same(got, data.compare(shop, rest))
    # The reference's columns: action, self_count, other_count, delta.
    clicks = next(r for r in got if r["kind"] == "click")
    assert clicks["delta"] == clicks["self_count"] - clicks["other_count"]


def test_parity_frames(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    sessions = {r["replay_id"]: r for r in rows(bundle.sessions)}
    assert set(sessions) == {r.replay_id for r in replays}
    for r in replays:
        s = sessions[r.replay_id]
        navs = [a for a in r.actions if a.kind == "navigation"]
        assert s["n_actions"] == len(r.actions)
        assert s["actions_click"] == sum(a.kind == "click" for a in r.actions)
        assert s["actions_input"] == sum(a.kind == "input" for a in r.actions)
        assert s["actions_console_error"] == sum(a.kind == "console_error" for a in r.actions)
        assert s["n_pages"] == len(navs)
        assert s["entry_url"] == (navs[0].url if navs else None)
        assert s["exit_url"] == (navs[-1].url if navs else None)
        assert s["duration_ms"] == r.duration_ms
        assert s["n_events"] == sum(r.coverage.events.values())
    actions = bundle.actions.collect()
    assert actions.height == sum(len(r.actions) for r in replays)
    # elements_df: (target, normalized url) → clicks and unique replays.
    same(
        rows(bundle.elements, ["page", "target", "clicks", "sessions"]),
        [
            {k: e[k] for k in ("page", "target", "clicks", "sessions")}
            for e in data.elements(replays)
        ],
    )


def test_parity_summary_markdown(corpus: tuple[list[AnalyzedReplay], ReplayBundle]) -> None:
    replays, bundle = corpus
    text = bundle.summary_markdown()
    assert text.startswith("# Bundle summary")
    assert f"- sessions: {len(replays)}" in text
    assert f"actions: {sum(len(r.actions) for r in replays)}" in text
