"""Queries over a bundle's frames: plain functions from LazyFrames to a LazyFrame.

Nothing here collects: each function describes a plan and the caller decides when to run
it. :class:`~._bundle.ReplayBundle` exposes them as methods; they live here so each can
be read (and tested) on its own. Reusable expressions are named at the top.

The first group matches the reference client's ``ReplayBundle`` (``top_clicks``,
``rage_clicks``, ``long_pauses``, ``error_sessions``, ``find_pattern``, ``compare``);
the rest go beyond it (``elements``, ``funnel``, ``url_baselines``, time and page
breakdowns of signals).

The reference's group is ``_queries_reference``, patterns and funnels
``_queries_patterns``, the shared expressions ``_query_exprs``; this module holds the
element, cohort, baseline and signal breakdowns and re-exports the rest.
"""

from __future__ import annotations

import polars as pl

from ..analysis._signal import SIGNAL_KINDS
from ._queries_patterns import event_stream, find_pattern, funnel, page_stream
from ._queries_reference import _greedy_bursts as _greedy_bursts  # tests read it
from ._queries_reference import error_sessions, long_pauses, rage_clicks, top_clicks
from ._query_exprs import (
    _FRUSTRATION_KINDS,
    IS_CLICK,
    PATH,
    REFERENCE_LABEL,
    Step,
    _mode_label,
)

__all__ = [
    "IS_CLICK",
    "PATH",
    "REFERENCE_LABEL",
    "Step",
    "compare",
    "elements",
    "error_sessions",
    "event_stream",
    "find_pattern",
    "funnel",
    "long_pauses",
    "page_stream",
    "rage_clicks",
    "signals_by_page",
    "signals_over_time",
    "top_clicks",
    "url_baselines",
]

# --- elements, funnels, patterns, cohorts, baselines -------------------------------------


def elements(actions: pl.LazyFrame, signals: pl.LazyFrame) -> pl.LazyFrame:
    """One row per clicked (page, target): clicks, sessions and frustration counts/rates.

    Frustration signals are matched to elements by their ``page`` and ``target``.
    ``rage_rate`` = sessions with a rage burst on it / sessions that clicked it;
    ``dead_rate``, ``error_rate``, ``slow_rate`` = those signals / clicks. Sorted by
    clicks (descending), then page and target.
    """
    keys = ["page", "target"]
    clicks = (
        actions.filter(IS_CLICK)
        .group_by(keys)
        .agg(
            _mode_label(),
            pl.len().alias("clicks"),
            pl.col("replay_id").n_unique().alias("sessions"),
        )
    )
    kind = pl.col("kind")
    frustration = (
        signals.filter(kind.is_in(list(_FRUSTRATION_KINDS)))
        .group_by(keys)
        .agg(
            (kind == "rage_click").sum().alias("rage_clicks"),
            pl.col("replay_id").filter(kind == "rage_click").n_unique().alias("rage_sessions"),
            (kind == "dead_click").sum().alias("dead_clicks"),
            (kind == "error_click").sum().alias("error_clicks"),
            (kind == "slow_click").sum().alias("slow_clicks"),
        )
    )
    counts = ["rage_clicks", "rage_sessions", "dead_clicks", "error_clicks", "slow_clicks"]
    per_click = pl.col("clicks").cast(pl.Float64)
    return (
        clicks.join(frustration, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.col(counts).fill_null(0).cast(pl.UInt32))
        .with_columns(
            (pl.col("rage_sessions") / pl.col("sessions").cast(pl.Float64)).alias("rage_rate"),
            (pl.col("dead_clicks") / per_click).alias("dead_rate"),
            (pl.col("error_clicks") / per_click).alias("error_rate"),
            (pl.col("slow_clicks") / per_click).alias("slow_rate"),
            (pl.col("rage_clicks") + pl.col("dead_clicks") + pl.col("error_clicks")).alias(
                "frustration"
            ),
        )
        .select(
            "page",
            "target",
            "label",
            "clicks",
            "sessions",
            *counts,
            "rage_rate",
            "dead_rate",
            "error_rate",
            "slow_rate",
            "frustration",
        )
        .sort(["clicks", "page", "target"], descending=[True, False, False], nulls_last=True)
    )


def _kind_counts(
    sessions: pl.LazyFrame, actions: pl.LazyFrame, signals: pl.LazyFrame
) -> pl.LazyFrame:
    def per(frame: pl.LazyFrame, source: str) -> pl.LazyFrame:
        return frame.group_by(pl.col("kind").cast(pl.String)).agg(
            pl.lit(source).alias("source"),
            pl.len().alias("count"),
            pl.col("replay_id").n_unique().alias("with"),
        )

    n = sessions.select(pl.len().alias("n"))
    return pl.concat([per(actions, "action"), per(signals, "signal")]).join(n, how="cross")


def compare(
    mine: tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame],
    other: tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame],
) -> pl.LazyFrame:
    """Two cohorts side by side, per action and signal kind (each a sessions/actions/
    signals triple).

    Columns: ``source`` (``action``/``signal``), ``kind``, ``self_count``,
    ``other_count``, ``delta`` (self − other), ``self_per_session``,
    ``other_per_session``, ``self_rate``/``other_rate`` (share of sessions with at least
    one), ``rate_diff`` (self − other) and ``rate_ratio`` (self ÷ other; null when the
    other rate is 0). Kinds present in either cohort, sorted by source and kind.
    """
    a = _kind_counts(*mine)
    b = _kind_counts(*other)
    keys = ["source", "kind"]
    joined = a.join(b, on=keys, how="full", coalesce=True, suffix="_other")
    zero = pl.lit(0, pl.UInt32)
    return (
        joined.with_columns(
            pl.col("count").fill_null(zero).alias("self_count"),
            pl.col("count_other").fill_null(zero).alias("other_count"),
            pl.col("with").fill_null(zero),
            pl.col("with_other").fill_null(zero),
            pl.col("n").fill_null(pl.col("n").max()),
            pl.col("n_other").fill_null(pl.col("n_other").max()),
        )
        .with_columns(
            (pl.col("self_count").cast(pl.Int64) - pl.col("other_count").cast(pl.Int64)).alias(
                "delta"
            ),
            (pl.col("self_count") / pl.col("n")).alias("self_per_session"),
            (pl.col("other_count") / pl.col("n_other")).alias("other_per_session"),
            (pl.col("with") / pl.col("n")).alias("self_rate"),
            (pl.col("with_other") / pl.col("n_other")).alias("other_rate"),
        )
        .with_columns(
            (pl.col("self_rate") - pl.col("other_rate")).alias("rate_diff"),
            pl.when(pl.col("other_rate") > 0)
            .then(pl.col("self_rate") / pl.col("other_rate"))
            .alias("rate_ratio"),
        )
        .select(
            *keys,
            "self_count",
            "other_count",
            "delta",
            "self_per_session",
            "other_per_session",
            "self_rate",
            "other_rate",
            "rate_diff",
            "rate_ratio",
        )
        .sort(keys)
    )


def url_baselines(
    pages: pl.LazyFrame,
    actions: pl.LazyFrame,
    signals: pl.LazyFrame,
    metric: str = "scroll_reversal",
    *,
    min_sessions: int = 1,
) -> pl.LazyFrame:
    """Each session's count of ``metric`` on a page against that page's baseline.

    ``metric`` is a signal kind (``scroll_reversal``, ``rage_click``, ...) or an action
    kind (``scroll``, ``click``, ...). Every session that visited a page counts, zeros
    included. Columns: ``replay_id, page, value, page_sessions, page_median, page_mean,
    page_std, ratio`` (value ÷ median; null when the median is 0) ``, z`` (standard
    score; null when the spread is 0). Pages seen in fewer than ``min_sessions`` sessions
    are left out.
    """
    frame = signals if metric in SIGNAL_KINDS else actions
    counts = (
        frame.filter(pl.col("kind").cast(pl.String) == metric)
        .group_by("replay_id", "page")
        .agg(pl.len().cast(pl.Int64).alias("value"))
    )
    visited = pl.concat(
        [pages.select("replay_id", "page"), counts.select("replay_id", "page")]
    ).unique()
    per = visited.join(counts, on=["replay_id", "page"], how="left", nulls_equal=True).with_columns(
        pl.col("value").fill_null(0)
    )
    value = pl.col("value").cast(pl.Float64)
    stats = per.group_by("page").agg(
        pl.len().alias("page_sessions"),
        value.median().alias("page_median"),
        value.mean().alias("page_mean"),
        value.std().alias("page_std"),
    )
    return (
        per.join(stats, on="page", how="inner", nulls_equal=True)
        .filter(pl.col("page_sessions") >= min_sessions)
        .with_columns(
            pl.when(pl.col("page_median") > 0).then(value / pl.col("page_median")).alias("ratio"),
            pl.when(pl.col("page_std") > 0)
            .then((value - pl.col("page_mean")) / pl.col("page_std"))
            .alias("z"),
        )
        .sort("page", "replay_id", nulls_last=True)
    )


def signals_over_time(signals: pl.LazyFrame, bucket_ms: int) -> pl.LazyFrame:
    """Signals per time bucket and kind: ``bucket`` (epoch ms of its start), ``kind``,
    ``count``."""
    return (
        signals.group_by(
            (pl.col("timestamp") // bucket_ms * bucket_ms).alias("bucket"),
            pl.col("kind").cast(pl.String),
        )
        .agg(pl.len().alias("count"))
        .sort("bucket", "kind")
    )


def signals_by_page(signals: pl.LazyFrame) -> pl.LazyFrame:
    """Signals per page and kind: ``page, kind, count, sessions``."""
    return (
        signals.group_by("page", pl.col("kind").cast(pl.String))
        .agg(pl.len().alias("count"), pl.col("replay_id").n_unique().alias("sessions"))
        .sort(["count", "page", "kind"], descending=[True, False, False], nulls_last=True)
    )
