"""Bundle queries that match the reference client's ``ReplayBundle``: ``top_clicks``,
``rage_clicks``, ``long_pauses`` and ``error_sessions`` (``find_pattern`` and ``compare``
are in ``_queries_patterns`` and ``_queries``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ._query_exprs import (
    IS_CLICK,
    _mode_label,
)

__all__ = [
    "_greedy_bursts",
    "error_sessions",
    "long_pauses",
    "rage_clicks",
    "top_clicks",
]


def top_clicks(actions: pl.LazyFrame, n: int = 10) -> pl.LazyFrame:
    """The ``n`` most clicked targets: ``target, label, clicks, sessions``.

    Sorted by clicks (descending), then target; a null target (a click on an unknown node)
    is one group and sorts last among equals.
    """
    return (
        actions.filter(IS_CLICK)
        .group_by("target")
        .agg(
            _mode_label(),
            pl.len().alias("clicks"),
            pl.col("replay_id").n_unique().alias("sessions"),
        )
        .sort(["clicks", "target"], descending=[True, False], nulls_last=True)
        .head(n)
        .select("target", "label", "clicks", "sessions")
    )


_BURST = pl.Struct({"start": pl.Int32, "clicks": pl.Int32})


def _greedy_bursts(threshold: int, window_ms: int) -> pl.Expr:
    """Bursts in runs that span more than the window: the reference's greedy walk.

    The walk (a burst starts at the first click with ``threshold`` same-target clicks
    within ``window_ms`` of it; the next search starts after that burst, or one click
    later when there was none) is sequential, so it cannot be written as a column
    expression. It runs once per *run* of consecutive same-target clicks that spans more
    than the window (rare: only sustained clicking on one element), never per row;
    shorter runs are settled by expressions alone.
    """

    def walk(series: pl.Series) -> pl.Series:
        out: list[list[dict[str, int]]] = []
        for times in series.to_list():
            found: list[dict[str, int]] = []
            i, n = 0, len(times)
            while i < n:
                j = i + 1
                while j < n and times[j] - times[i] <= window_ms:
                    j += 1
                if j - i >= threshold:
                    found.append({"start": i, "clicks": j - i})
                    i = j
                else:
                    i += 1
            out.append(found)
        return pl.Series(out, dtype=pl.List(_BURST))

    return pl.col("times").map_batches(walk, return_dtype=pl.List(_BURST), is_elementwise=True)


def rage_clicks(actions: pl.LazyFrame, threshold: int = 3, window_ms: int = 1000) -> pl.LazyFrame:
    """Bursts of at least ``threshold`` consecutive clicks on one target, each within
    ``window_ms`` of the burst's first click (the reference's definition; the detector's
    ``rage_click`` signals in ``signals`` use replaykit's own rules).

    Columns: ``replay_id, timestamp`` (first click, epoch ms) ``, t_ms, target, label,
    page, clicks, span_ms, seqs`` (the clicks' ``seq``). One row per burst.
    """
    clicks = (
        actions.filter(IS_CLICK)
        .select("replay_id", "seq", "timestamp", "t_ms", "target", "label", "page")
        .sort("replay_id", "seq")
    )
    same_run = (pl.col("replay_id") == pl.col("replay_id").shift(1)) & pl.col("target").eq_missing(
        pl.col("target").shift(1)
    )
    runs = (
        clicks.with_columns((~same_run.fill_null(False)).cum_sum().alias("run"))
        .group_by("run")
        .agg(
            pl.col("replay_id").first(),
            pl.col("timestamp").alias("times"),
            pl.col("seq").alias("seqs"),
            pl.col("t_ms"),
            pl.col("target").first(),
            pl.col("label"),
            pl.col("page"),
            pl.len().alias("n"),
            (pl.col("timestamp").max() - pl.col("timestamp").min()).alias("span"),
        )
        .filter(pl.col("n") >= threshold)
    )
    # A run within the window is one burst of all its clicks; longer runs need the walk.
    whole = runs.filter(pl.col("span") <= window_ms).with_columns(
        pl.lit(0, pl.Int32).alias("start"), pl.col("n").cast(pl.Int32).alias("clicks")
    )
    walked = (
        runs.filter(pl.col("span") > window_ms)
        .with_columns(_greedy_bursts(threshold, window_ms).alias("burst"))
        .explode("burst")
        .drop_nulls("burst")
        .unnest("burst")
    )
    bursts = pl.concat([whole.drop("n", "span"), walked.drop("n", "span")], how="vertical")
    end = pl.col("start") + pl.col("clicks")
    return bursts.select(
        "replay_id",
        pl.col("times").list.get(pl.col("start")).alias("timestamp"),
        pl.col("t_ms").list.get(pl.col("start")).alias("t_ms"),
        "target",
        pl.col("label").list.get(pl.col("start")).alias("label"),
        pl.col("page").list.get(pl.col("start")).alias("page"),
        "clicks",
        (pl.col("times").list.get(end - 1) - pl.col("times").list.get(pl.col("start"))).alias(
            "span_ms"
        ),
        pl.col("seqs").list.slice(pl.col("start"), pl.col("clicks")).alias("seqs"),
    ).sort("replay_id", "timestamp", "seqs")


def long_pauses(
    actions: pl.LazyFrame, threshold_ms: int = 10_000, kinds: Sequence[str] | None = None
) -> pl.LazyFrame:
    """Gaps of at least ``threshold_ms`` between consecutive actions of a replay.

    ``kinds`` restricts which actions count (default: all, as the reference does).
    Columns: ``replay_id, timestamp`` (the action before the gap) ``, t_ms, duration_ms,
    before_seq, after_seq``.
    """
    frame = actions if kinds is None else actions.filter(pl.col("kind").is_in(list(kinds)))
    ordered = frame.select("replay_id", "seq", "timestamp", "t_ms").sort("replay_id", "seq")
    same = pl.col("replay_id") == pl.col("replay_id").shift(1)
    gap = pl.col("timestamp") - pl.col("timestamp").shift(1)
    return (
        ordered.with_columns(
            pl.when(same).then(gap).alias("duration_ms"),
            pl.col("timestamp").shift(1).alias("before_ts"),
            pl.col("t_ms").shift(1).alias("before_t_ms"),
            pl.col("seq").shift(1).alias("before_seq"),
        )
        .filter(pl.col("duration_ms") >= threshold_ms)
        .select(
            "replay_id",
            pl.col("before_ts").alias("timestamp"),
            pl.col("before_t_ms").alias("t_ms"),
            "duration_ms",
            "before_seq",
            pl.col("seq").alias("after_seq"),
        )
    )


def error_sessions(
    sessions: pl.LazyFrame, actions: pl.LazyFrame, *, include_network: bool = False
) -> pl.LazyFrame:
    """Sessions with a console error (and, with ``include_network``, a failed request).

    Columns: ``replay_id, start_timestamp, duration_ms, console_errors, uncaught,
    network_errors, first_error_timestamp, first_error`` (message of the first console
    error). ``uncaught``/``network_errors`` count signals, so they are 0 without them.
    """
    has = pl.col("actions_console_error") > 0
    network = pl.col("signals_network_error") + pl.col("signals_network_failed")
    if include_network:
        has = has | (network > 0)
    first = (
        actions.filter(pl.col("kind") == "console_error")
        .sort("replay_id", "seq")
        .group_by("replay_id")
        .agg(
            pl.col("timestamp").first().alias("first_error_timestamp"),
            pl.col("message").first().alias("first_error"),
        )
    )
    return (
        sessions.filter(has)
        .select(
            "replay_id",
            "start_timestamp",
            "duration_ms",
            pl.col("actions_console_error").alias("console_errors"),
            pl.col("signals_uncaught_exception").alias("uncaught"),
            network.alias("network_errors"),
        )
        .join(first, on="replay_id", how="left")
        .sort("start_timestamp", "replay_id", nulls_last=True)
    )
