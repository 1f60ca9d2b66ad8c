"""Queries over a bundle's frames: plain functions from LazyFrames to a LazyFrame.

Nothing here collects: each function describes a plan and the caller decides when to run
it. :class:`~._bundle.ReplayBundle` exposes them as methods; they live here so each can
be read (and tested) on its own. Reusable expressions are named at the top.

The first group matches the reference client's ``ReplayBundle`` (``top_clicks``,
``rage_clicks``, ``long_pauses``, ``error_sessions``, ``find_pattern``, ``compare``);
the rest go beyond it (``elements``, ``funnel``, ``url_baselines``, time and page
breakdowns of signals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from ..analysis._signal import SIGNAL_KINDS

__all__ = [
    "IS_CLICK",
    "REFERENCE_LABEL",
    "Step",
    "compare",
    "elements",
    "error_sessions",
    "event_stream",
    "find_pattern",
    "funnel",
    "long_pauses",
    "rage_clicks",
    "signals_by_page",
    "signals_over_time",
    "top_clicks",
    "url_baselines",
]

IS_CLICK: Final = pl.col("kind") == "click"
"""Click actions (replaykit never makes a click of a bare focus, so no filter is needed for
the reference's 'focused' rows)."""

REFERENCE_LABEL: Final = pl.format(
    "{}:{}@{}",
    pl.col("kind"),
    pl.col("tag").fill_null(""),
    pl.col("page").fill_null(""),
)
"""The reference client's default pattern label, ``kind:tag@page``."""

PATH: Final = pl.col("page").str.replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", "")
"""A page's path (scheme and host dropped): ``/shop/product/:id``."""

Step = str | pl.Expr
"""One step of a pattern or funnel: a label to equal (see ``label=``), or a boolean
expression over the event stream's columns (:func:`event_stream`)."""

_FRUSTRATION_KINDS: Final = ("rage_click", "dead_click", "error_click", "slow_click")


def _mode_label() -> pl.Expr:
    # The most frequent label; ties go to the smallest, so results never depend on order.
    return pl.col("label").drop_nulls().mode().sort().first().alias("label")


# --- parity with the reference -----------------------------------------------------------


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


def event_stream(actions: pl.LazyFrame, signals: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Actions (and signals) of every replay as one ordered stream, for patterns.

    Columns: ``pos`` (row number, increasing within and across replays), ``replay_id,
    source`` (``action``/``signal``) ``, kind, seq, timestamp, t_ms, target, label, tag,
    url, page, path``. Actions alone keep their ``seq`` order; with signals, the stream is
    in time order (an action before a signal at the same time).
    """
    cols = ["replay_id", "seq", "timestamp", "t_ms", "target", "label", "url", "page"]
    acts = actions.select(
        *cols,
        pl.lit("action").alias("source"),
        pl.col("kind").cast(pl.String),
        "tag",
    )
    if signals is None:
        stream = acts.sort("replay_id", "seq")
    else:
        sigs = signals.select(
            *cols,
            pl.lit("signal").alias("source"),
            pl.col("kind").cast(pl.String),
            pl.lit(None, pl.String).alias("tag"),
        )
        stream = pl.concat([acts, sigs]).sort("replay_id", "timestamp", "source", "seq")
    return stream.with_columns(PATH.alias("path")).with_row_index("pos")


def _predicate(step: Step, label: pl.Expr) -> pl.Expr:
    if isinstance(step, pl.Expr):
        return step
    return label == step


def _chains(
    stream: pl.LazyFrame,
    steps: Sequence[Step],
    label: pl.Expr,
    within_ms: int | None,
    contiguous: bool,
) -> list[pl.LazyFrame]:
    """Per step k, the partial matches that reached it: one row per start occurrence.

    Each occurrence of step 1 starts an attempt; step k+1 is the first matching event
    after step k (immediately after, when ``contiguous``), and with ``within_ms`` it must
    lie within that long of the start. Taking the first is optimal: any later choice only
    leaves fewer events for the remaining steps and a longer span.
    Columns: ``replay_id, start_pos, start_ts, start_t_ms, pos, ts, prev_ts``.
    """
    if not steps:
        raise ValueError("a pattern needs at least one step")
    alive = stream.filter(_predicate(steps[0], label)).select(
        "replay_id",
        pl.col("pos").alias("start_pos"),
        pl.col("timestamp").alias("start_ts"),
        pl.col("t_ms").alias("start_t_ms"),
        "pos",
        pl.col("timestamp").alias("ts"),
        pl.col("timestamp").alias("prev_ts"),
    )
    levels = [alive]
    for step in steps[1:]:
        candidates = stream.filter(_predicate(step, label)).select(
            "replay_id", pl.col("pos").alias("next_pos"), pl.col("timestamp").alias("next_ts")
        )
        if contiguous:
            joined = alive.with_columns((pl.col("pos") + 1).alias("want")).join(
                candidates,
                left_on=["replay_id", "want"],
                right_on=["replay_id", "next_pos"],
                how="inner",
            )
            joined = joined.with_columns(pl.col("want").alias("next_pos")).drop("want")
        else:
            joined = (
                alive.sort("pos")
                .join_asof(
                    candidates.sort("next_pos"),
                    left_on="pos",
                    right_on="next_pos",
                    by="replay_id",
                    strategy="forward",
                    allow_exact_matches=False,
                    # Both sides are sorted just above; Polars cannot verify it per group.
                    check_sortedness=False,
                )
                .filter(pl.col("next_pos").is_not_null())
            )
        if within_ms is not None:
            joined = joined.filter(pl.col("next_ts") - pl.col("start_ts") <= within_ms)
        alive = joined.select(
            "replay_id",
            "start_pos",
            "start_ts",
            "start_t_ms",
            pl.col("next_pos").alias("pos"),
            pl.col("next_ts").alias("ts"),
            pl.col("ts").alias("prev_ts"),
        )
        levels.append(alive)
    return levels


def find_pattern(
    stream: pl.LazyFrame,
    steps: Sequence[Step],
    *,
    label: pl.Expr | None = None,
    within_ms: int | None = None,
    contiguous: bool = False,
) -> pl.LazyFrame:
    """Occurrences of ``steps`` in order within each replay of ``stream``.

    A string step equals ``label`` (default: the ``kind`` column, so ``"click"`` or
    ``"rage_click"``); an expression step is any predicate on the stream's columns. With
    ``contiguous`` the steps must be adjacent (the reference's behaviour), otherwise other
    events may come between; ``within_ms`` bounds first-to-last time. Where several
    starts complete at the same event, the latest start (the tightest match) is kept.

    Columns: ``replay_id, start_timestamp, end_timestamp, duration_ms, t_ms`` (start)
    ``, start_pos, end_pos``.
    """
    lab = pl.col("kind") if label is None else label
    last = _chains(stream, steps, lab, within_ms, contiguous)[-1]
    return (
        last.group_by("replay_id", "pos")
        .agg(pl.all().sort_by("start_pos").last())
        .select(
            "replay_id",
            pl.col("start_ts").alias("start_timestamp"),
            pl.col("ts").alias("end_timestamp"),
            (pl.col("ts") - pl.col("start_ts")).alias("duration_ms"),
            pl.col("start_t_ms").alias("t_ms"),
            "start_pos",
            pl.col("pos").alias("end_pos"),
        )
        .sort("replay_id", "start_pos")
    )


def page_stream(pages: pl.LazyFrame) -> pl.LazyFrame:
    """Page visits as a stream for page funnels (``kind`` = ``visit``, plus ``path``)."""
    return (
        pages.select(
            "replay_id",
            pl.col("visit").alias("seq"),
            pl.col("start_timestamp").alias("timestamp"),
            "t_ms",
            "url",
            "page",
            "how",
            pl.lit("visit").alias("kind"),
        )
        .sort("replay_id", "seq")
        .with_columns(PATH.alias("path"))
        .with_row_index("pos")
    )


def funnel(
    stream: pl.LazyFrame,
    steps: Sequence[Step],
    sessions: pl.LazyFrame,
    *,
    label: pl.Expr,
    within_ms: int | None = None,
    names: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """Sessions reaching each step in order, with drop-off and time between steps.

    Columns: ``step`` (1-based), ``name``, ``sessions`` (that reached it), ``share``
    (of all sessions), ``conversion`` (of step 1), ``step_conversion`` (of the previous
    step), ``drop_off`` (lost since the previous step), ``median_ms_from_previous``,
    ``median_ms_from_start``. Times are per session from its earliest start that
    reached the step. ``names`` label the steps (default: the step strings, or the
    expressions' text).
    """
    if names is None:
        names = [s if isinstance(s, str) else str(s) for s in steps]
    if len(names) != len(steps):
        raise ValueError("one name per step")
    levels = _chains(stream, steps, label, within_ms, contiguous=False)
    total = sessions.select(pl.len().alias("total"))
    rows = []
    for k, (name, level) in enumerate(zip(names, levels, strict=True), start=1):
        per_session = level.group_by("replay_id").agg(pl.all().sort_by("start_pos").first())
        rows.append(
            per_session.select(
                pl.lit(k, pl.Int32).alias("step"),
                pl.lit(name, pl.String).alias("name"),
                pl.len().alias("sessions"),
                (pl.col("ts") - pl.col("prev_ts")).median().alias("median_ms_from_previous"),
                (pl.col("ts") - pl.col("start_ts")).median().alias("median_ms_from_start"),
            )
        )
    reached = pl.col("sessions").cast(pl.Float64)
    previous = pl.col("sessions").shift(1)
    entered = pl.col("sessions").first()
    return (
        pl.concat(rows)
        .join(total, how="cross")
        .sort("step")
        .with_columns(
            (reached / pl.col("total")).alias("share"),
            pl.when(entered > 0).then(reached / entered).alias("conversion"),
            pl.when(previous.is_null())
            .then(1.0)
            .when(previous > 0)
            .then(reached / previous)
            .alias("step_conversion"),
            (previous - pl.col("sessions")).fill_null(0).alias("drop_off"),
        )
        .select(
            "step",
            "name",
            "sessions",
            "share",
            "conversion",
            "step_conversion",
            "drop_off",
            "median_ms_from_previous",
            "median_ms_from_start",
        )
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
