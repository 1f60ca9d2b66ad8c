"""Ordered patterns over the event stream: ``event_stream``, ``find_pattern`` (the
reference's), ``page_stream`` and ``funnel``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ._query_exprs import (
    PATH,
    Step,
)

__all__ = [
    "event_stream",
    "find_pattern",
    "funnel",
    "page_stream",
]


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
