"""``replaykit query DIR <query>``: one query over a bundle, printed as a table for people
or rows for machines; the work is :class:`~replaykit.ReplayBundle`'s."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
import polars as pl

from .._text import printable
from ..analysis._actions import ACTION_KINDS
from ..analysis._signal import SIGNAL_KINDS
from ..bundle._bundle import ReplayBundle
from ._console import note
from ._rows import MAX_INT, ROW_FORMATS, row_output, write_rows
from ._targets import (
    fail,
)

__all__ = ["open_bundle", "query_group"]

_QUERY_OUTPUT = "replaykit.query_output"

F = TypeVar("F", bound=Callable[..., Any])


def open_bundle(directory: str) -> ReplayBundle:
    try:
        return ReplayBundle.scan(directory)
    except FileNotFoundError as exc:
        fail(str(exc), 4)
    except ValueError as exc:
        fail(str(exc), 3)


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from None


_FILTERS = ("contains_url", "has_signal", "distinct_id", "day_from", "day_to")


def _session_filters(func: F) -> F:
    """Options that choose the sessions a query looks at (every query takes them)."""
    options = [
        click.option(
            "--url",
            "contains_url",
            metavar="TEXT",
            help="Only sessions that visited a URL containing TEXT.",
        ),
        click.option(
            "--signal",
            "has_signal",
            type=click.Choice(SIGNAL_KINDS),
            help="Only sessions with at least one signal of this kind.",
        ),
        click.option("--user", "distinct_id", metavar="ID", help="Only this user's sessions."),
        click.option("--from", "day_from", metavar="DATE", help="First day (YYYY-MM-DD, UTC)."),
        click.option("--to", "day_to", metavar="DATE", help="Last day (YYYY-MM-DD, UTC)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _chosen(bundle: ReplayBundle, filters: dict[str, Any]) -> ReplayBundle:
    if all(filters.get(k) is None for k in _FILTERS):
        return bundle
    return bundle.where(
        contains_url=filters.get("contains_url"),
        has_signal=filters.get("has_signal"),
        distinct_id=filters.get("distinct_id"),
        day_from=_day(filters.get("day_from")),
        day_to=_day(filters.get("day_to")),
    )


class _QueryGroup(click.Group):
    """`query DIR -o json QUERY`: the format may also follow the directory."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if len(args) >= 3 and not args[0].startswith("-") and args[1] in ("-o", "--output"):
            args = [args[1], args[2], args[0], *args[3:]]
        elif len(args) >= 2 and not args[0].startswith("-") and args[1].startswith("--output="):
            args = [args[1], args[0], *args[2:]]
        return super().parse_args(ctx, args)


@click.group("query", cls=_QueryGroup)
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Choice(ROW_FORMATS),
    default=None,
    help="Output format for the query that follows (it may also take its own -o).",
)
@click.pass_context
def query_group(ctx: click.Context, directory: str, output: str | None) -> None:
    """Run one query over a bundle directory (from `replaykit aggregate`).

    Every query takes --url, --signal, --user, --from and --to to choose sessions, and
    -o table|json|ndjson|csv.

    \b
    Examples:
      replaykit query bundle/ top-clicks -n 20
      replaykit query bundle/ rage -o json
      replaykit query bundle/ funnel /products /cart /checkout
      replaykit query bundle/ errors --url /checkout -o ndjson
    """
    # Opened by the query itself, so `query DIR QUERY --help` works whatever DIR is.
    ctx.obj = directory
    if output is not None:
        ctx.find_root().meta[_QUERY_OUTPUT] = output


def _print(lf: pl.LazyFrame, output: str | None) -> pl.DataFrame:
    """Print a query's rows in the format chosen on the query, else on `query`, else a table."""
    if output is None:
        group = click.get_current_context().find_root().meta.get(_QUERY_OUTPUT)
        output = group if isinstance(group, str) else "table"
    df = lf.collect()
    write_rows(df, output, sys.stdout)
    return df


@query_group.command("top-clicks")
@click.option(
    "-n",
    "limit",
    type=click.IntRange(min=1, max=MAX_INT),
    default=10,
    show_default=True,
    help="How many rows to show.",
)
@row_output
@_session_filters
@click.pass_obj
def top_clicks_command(directory: str, /, limit: int, output: str, **filters: Any) -> None:
    """The most clicked targets, with the sessions that clicked them.

    \b
    Examples:
      replaykit query bundle/ top-clicks -n 20
      replaykit query bundle/ top-clicks --url /checkout -o csv
    """
    bundle = _chosen(open_bundle(directory), filters)
    _print(bundle.top_clicks(limit), output)


@query_group.command("rage")
@click.option(
    "--reference",
    is_flag=True,
    help="Recompute bursts with the mixpanel-headless rule (--threshold, --window-ms) "
    "instead of listing the detector's rage clicks.",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=1, max=MAX_INT),
    default=3,
    show_default=True,
    help="With --reference: clicks in a burst.",
)
@click.option(
    "--window-ms",
    type=click.IntRange(min=0, max=MAX_INT),
    default=1000,
    show_default=True,
    help="With --reference: burst span from its first click, in ms.",
)
@row_output
@_session_filters
@click.pass_obj
def rage_command(
    directory: str,
    /,
    reference: bool,
    threshold: int,
    window_ms: int,
    output: str,
    **filters: Any,
) -> None:
    """Rage-click bursts, one row per burst with its click count.

    By default the detector's rage clicks: the same bursts and counts that
    `replaykit analyze --signals` shows in timelines. --reference recomputes bursts of
    consecutive same-target clicks within a window (the mixpanel-headless rule).

    \b
    Examples:
      replaykit query bundle/ rage
      replaykit query bundle/ rage --url /checkout -o json
      replaykit query bundle/ rage --reference --threshold 4
    """
    bundle = _chosen(open_bundle(directory), filters)
    if reference:
        _print(bundle.rage_clicks(threshold, window_ms), output)
    else:
        _print(bundle.rage_bursts(), output)


@query_group.command("errors")
@click.option(
    "--network", "include_network", is_flag=True, help="Also sessions with failed requests."
)
@row_output
@_session_filters
@click.pass_obj
def errors_command(directory: str, /, include_network: bool, output: str, **filters: Any) -> None:
    """Sessions with console errors (and failed requests with --network).

    \b
    Examples:
      replaykit query bundle/ errors
      replaykit query bundle/ errors --network --from 2026-12-01 -o ndjson
    """
    bundle = _chosen(open_bundle(directory), filters)
    _print(bundle.error_sessions(include_network=include_network), output)


@query_group.command("pauses")
@click.option(
    "--threshold-ms",
    type=click.IntRange(min=1, max=MAX_INT),
    default=10_000,
    show_default=True,
    help="Shortest gap between two actions that counts as a pause, in ms.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(ACTION_KINDS),
    help="Only these action kinds count (repeatable).",
)
@row_output
@_session_filters
@click.pass_obj
def pauses_command(
    directory: str, /, threshold_ms: int, kinds: tuple[str, ...], output: str, **filters: Any
) -> None:
    """Long pauses between consecutive actions.

    \b
    Examples:
      replaykit query bundle/ pauses
      replaykit query bundle/ pauses --threshold-ms 30000 --kind click
    """
    bundle = _chosen(open_bundle(directory), filters)
    _print(bundle.long_pauses(threshold_ms, kinds or None), output)


@query_group.command("funnel")
@click.argument("steps", nargs=-1, required=True)
@click.option(
    "--by",
    type=click.Choice(("page", "event")),
    default="page",
    show_default=True,
    help="Steps are pages (a template or path) or action/signal kinds.",
)
@click.option(
    "--within-ms", type=click.IntRange(min=0, max=MAX_INT), help="Time allowed from step 1."
)
@row_output
@_session_filters
@click.pass_obj
def funnel_command(
    directory: str,
    /,
    steps: tuple[str, ...],
    by: str,
    within_ms: int | None,
    output: str,
    **filters: Any,
) -> None:
    """Sessions reaching each step in order, with drop-off and time between steps.

    A page step matches a page template (`/product/:id`) or a path; when no session reaches
    a step, the most common pages are listed on stderr to pick steps from.

    \b
    Examples:
      replaykit query bundle/ funnel /products /cart /checkout
      replaykit query bundle/ funnel --by event click rage_click --within-ms 60000
    """
    bundle = _chosen(open_bundle(directory), filters)
    df = _print(
        bundle.funnel(list(steps), by="page" if by == "page" else "event", within_ms=within_ms),
        output,
    )
    if "sessions" in df.columns and df.height and 0 in df["sessions"].to_list():
        missing = [
            str(step) for step, n in zip(steps, df["sessions"].to_list(), strict=False) if not n
        ]
        hint = f"no session reached {', '.join(missing)}"
        if by == "page":
            pages = (
                bundle.pages.group_by("page")
                .agg(pl.col("replay_id").n_unique().alias("sessions"))
                .sort(["sessions", "page"], descending=[True, False])
                .head(8)
                .collect()
            )
            common = ", ".join(
                f"{printable(str(p), keep_newlines=False)} ({n})" for p, n in pages.iter_rows()
            )
            if common:
                hint += f"; most visited pages: {common}"
        note(hint)


@query_group.command("pattern")
@click.argument("steps", nargs=-1, required=True)
@click.option(
    "--within-ms", type=click.IntRange(min=0, max=MAX_INT), help="Time allowed first to last."
)
@click.option("--contiguous", is_flag=True, help="Steps must be adjacent.")
@row_output
@_session_filters
@click.pass_obj
def pattern_command(
    directory: str,
    /,
    steps: tuple[str, ...],
    within_ms: int | None,
    contiguous: bool,
    output: str,
    **filters: Any,
) -> None:
    """Ordered sequences of action/signal kinds within sessions.

    \b
    Examples:
      replaykit query bundle/ pattern click rage_click navigation --within-ms 10000
      replaykit query bundle/ pattern input form_abandon --contiguous
    """
    bundle = _chosen(open_bundle(directory), filters)
    _print(bundle.find_pattern(list(steps), within_ms=within_ms, contiguous=contiguous), output)


@query_group.command("elements")
@click.option(
    "-n",
    "limit",
    type=click.IntRange(min=1, max=MAX_INT),
    default=20,
    show_default=True,
    help="How many rows to show.",
)
@click.option(
    "--sort",
    "sort_by",
    type=click.Choice(("clicks", "frustration", "rage_rate", "dead_rate", "error_rate")),
    help="Order rows by clicks, frustration (rage + dead + error clicks) or a rate.",
    default="frustration",
    show_default=True,
)
@row_output
@_session_filters
@click.pass_obj
def elements_command(
    directory: str, /, limit: int, sort_by: str, output: str, **filters: Any
) -> None:
    """Clicked elements with their rage, dead and error counts and rates.

    \b
    Examples:
      replaykit query bundle/ elements
      replaykit query bundle/ elements --sort dead_rate -n 50 -o csv
    """
    bundle = _chosen(open_bundle(directory), filters)
    _print(
        bundle.elements.sort([sort_by, "clicks"], descending=True, nulls_last=True).head(limit),
        output,
    )


@query_group.command("sessions")
@click.option(
    "-n",
    "limit",
    type=click.IntRange(min=1, max=MAX_INT),
    default=20,
    show_default=True,
    help="How many rows to show.",
)
@row_output
@_session_filters
@click.pass_obj
def sessions_command(directory: str, /, limit: int, output: str, **filters: Any) -> None:
    """Sessions with the most signals.

    \b
    Examples:
      replaykit query bundle/ sessions -n 5
      replaykit query bundle/ sessions --signal rage_click -o json
    """
    bundle = _chosen(open_bundle(directory), filters)
    _print(
        bundle.sessions.sort(["n_signals", "duration_ms"], descending=True)
        .head(limit)
        .select(
            "replay_id",
            "day",
            "start_timestamp",
            "duration_ms",
            "active_ms",
            "n_actions",
            "n_pages",
            "n_signals",
            "actions_console_error",
            "entry_url",
            "failed",
        ),
        output,
    )


@query_group.command("baselines")
@click.option(
    "--metric",
    default="scroll_reversal",
    show_default=True,
    type=click.Choice((*SIGNAL_KINDS, *ACTION_KINDS)),
    help="Signal or action kind counted per session and page.",
)
@click.option(
    "--min-ratio",
    type=float,
    default=0.0,
    show_default=True,
    help="Only rows at least this many times the page median.",
)
@row_output
@_session_filters
@click.pass_obj
def baselines_command(
    directory: str, /, metric: str, min_ratio: float, output: str, **filters: Any
) -> None:
    """Each session's count per page against the page's median (per-URL baseline).

    \b
    Examples:
      replaykit query bundle/ baselines --metric scroll_reversal
      replaykit query bundle/ baselines --metric click -o csv
    """
    bundle = _chosen(open_bundle(directory), filters)
    lf = bundle.url_baselines(metric)
    if min_ratio > 0:
        lf = lf.filter(pl.col("ratio") >= min_ratio)
    _print(lf, output)


# --- report ---------------------------------------------------------------------------------------


@query_group.command("summary")
@click.option("--per-replay", is_flag=True, help="Add each session's timeline.")
@click.option(
    "--top",
    type=click.IntRange(min=1, max=MAX_INT),
    default=10,
    show_default=True,
    help="Targets listed per table (most clicked, most frustrating).",
)
@click.option(
    "--max-replays",
    type=click.IntRange(min=1, max=MAX_INT),
    default=50,
    show_default=True,
    help="With --per-replay: at most this many session timelines.",
)
@_session_filters
@click.pass_obj
def summary_command(
    directory: str, /, per_replay: bool, top: int, max_replays: int, **filters: Any
) -> None:
    """The bundle's markdown summary (for people and LLMs), per-session timelines with
    --per-replay.

    \b
    Examples:
      replaykit query bundle/ summary
      replaykit query bundle/ summary --per-replay --max-replays 5 > summary.md
    """
    bundle = _chosen(open_bundle(directory), filters)
    text = bundle.summary_markdown(top=top, per_replay=per_replay, max_replays=max_replays)
    sys.stdout.write(printable(text))
    sys.stdout.flush()
