"""``replaykit aggregate``, ``replaykit query`` and ``replaykit report``: bundles from the
command line.

``aggregate`` analyzes recordings (paths, or Mixpanel replay ids) and streams the results
into a bundle directory; ``query DIR <query>`` runs one query over it and prints a table
for people (``-o table``, the default) or rows for machines (``-o json``: one array;
``-o ndjson``: one object a line; ``-o csv``); ``report DIR -o FILE`` writes the HTML
report. The commands only parse arguments and format rows: the work is
:class:`~replaykit.ReplayBundle`'s.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
import msgspec
import polars as pl

from .._api import AnalyzedReplay
from .._errors import ConfigError
from .._text import printable
from ..analysis._actions import ACTION_KINDS
from ..analysis._options import AnalyzerOptions
from ..analysis._signal import SIGNAL_KINDS
from ..bundle._bundle import MANIFEST, ReplayBundle
from ..bundle._schema import STORED_FRAMES
from ..bundle._sink import DEFAULT_BATCH_ROWS, collect_bundle
from ._mixpanel import (
    config_from,
    mixpanel_events_option,
    mixpanel_options,
)
from ._targets import (
    SIGNAL_PRESETS,
    analyzed_targets,
    concurrency_option,
    fail,
    format_option,
    max_input_option,
    missing_mixpanel,
    split_targets,
)

__all__ = ["aggregate_command", "query_group", "report_command"]

_QUERY_OUTPUT = "replaykit.query_output"
MAX_INT = 2**31 - 1  # click's IntRange has no upper bound: 10**20 became an OverflowError

F = TypeVar("F", bound=Callable[..., Any])

ROW_FORMATS = ("table", "json", "ndjson", "csv")
_encoder = msgspec.json.Encoder()


# --- output -------------------------------------------------------------------------------------


def _cell(value: Any, width: int = 60) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "NaN"
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = printable(str(value), keep_newlines=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _readable_times(df: pl.DataFrame) -> pl.DataFrame:
    """Epoch-ms columns (``timestamp``, ``*_timestamp``) as UTC times, for people."""
    cols = [
        name
        for name, dtype in df.schema.items()
        if (name == "timestamp" or name.endswith("_timestamp")) and dtype.is_integer()
    ]
    if not cols:
        return df
    return df.with_columns(
        pl.from_epoch(pl.col(c), time_unit="ms").dt.strftime("%Y-%m-%d %H:%M:%S%.3f").alias(c)
        for c in cols
    )


def write_rows(df: pl.DataFrame, output: str, out: TextIO) -> None:
    """Print a result: an aligned table, a JSON array, NDJSON lines or CSV."""
    if output == "json":
        out.write("[")
        for i, row in enumerate(df.iter_rows(named=True)):
            out.write(("," if i else "") + "\n" + _encoder.encode(row).decode())
        out.write("\n]\n" if df.height else "]\n")
    elif output == "ndjson":
        for row in df.iter_rows(named=True):
            out.write(_encoder.encode(row).decode() + "\n")
    elif output == "csv":
        lists = [n for n, t in df.schema.items() if isinstance(t, pl.List)]
        if lists:
            df = df.with_columns(
                pl.col(n).list.eval(pl.element().cast(pl.String)).list.join(" ") for n in lists
            )
        out.write(df.write_csv())
    else:
        df = _readable_times(df)
        headers = df.columns
        body = [[_cell(v) for v in row] for row in df.iter_rows()]
        numeric = [t.is_numeric() for t in df.dtypes]
        widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.rjust(w) if num else c.ljust(w)
                for c, w, num in zip(cells, widths, numeric, strict=True)
            ).rstrip()

        out.write(line(headers) + "\n")
        for row_cells in body:
            out.write(line(row_cells) + "\n")
        if not body:
            out.write("(no rows)\n")
    out.flush()


def _row_output(func: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=click.Choice(ROW_FORMATS),
        default=None,
        help="table for people (the default); json (one array), ndjson (one object a line) "
        "or csv. May also be given before the query's name.",
    )(func)


# --- aggregate ----------------------------------------------------------------------------------


def _clear_bundle(directory: Path) -> None:
    # Only what a bundle consists of: never other files the user keeps there.
    for name in STORED_FRAMES:
        shutil.rmtree(directory / name, ignore_errors=True)
    (directory / MANIFEST).unlink(missing_ok=True)


@click.command("aggregate")
@click.argument("targets", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Bundle directory to create (must be empty or absent; see --overwrite).",
)
@click.option("--overwrite", is_flag=True, help="Replace a bundle already in --out.")
@click.option(
    "--signals/--no-signals",
    "with_signals",
    default=True,
    show_default=True,
    help="Detect frustration signals.",
)
@click.option(
    "--preset",
    type=click.Choice(SIGNAL_PRESETS),
    default="replaykit",
    show_default=True,
    help="Signal definitions to use.",
)
@click.option("--events", is_flag=True, help="Also keep every raw rrweb event (large).")
@format_option
@max_input_option
@click.option(
    "--batch-rows",
    type=click.IntRange(min=1, max=MAX_INT),
    default=DEFAULT_BATCH_ROWS,
    show_default=True,
    help="Rows buffered before a batch is written.",
)
@concurrency_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="How to print the run's summary.",
)
@click.option(
    "--engine",
    type=click.Choice(("local", "ray")),
    help="Run in parallel: local (worker processes on every core) or ray (Ray tasks on "
    "the cluster ray.init() reaches; needs replaykit[ray]). Default: this process only.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=MAX_INT),
    help="Worker processes for --engine local (default: every CPU; implies local); "
    "tasks in flight for --engine ray.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1, max=MAX_INT),
    default=100,
    show_default=True,
    help="Replays per chunk of parallel work (--engine).",
)
@mixpanel_events_option
@mixpanel_options
def aggregate_command(
    targets: tuple[str, ...],
    out_dir: Path,
    overwrite: bool,
    with_signals: bool,
    preset: str,
    events: bool,
    input_format: str,
    max_input_mb: int,
    batch_rows: int,
    concurrency: int,
    output: str,
    engine: str | None,
    workers: int | None,
    chunk_size: int,
    mixpanel_events: bool,
    **mixpanel: object,
) -> None:
    """Analyze recordings (paths, or Mixpanel replay ids) into a bundle directory.

    Results stream to OUT as a hive-partitioned Parquet dataset per frame (sessions,
    actions, signals, pages, events, mixpanel), batch by batch, so memory stays flat. A
    recording that cannot be read is reported on stderr and kept as a failed session;
    the exit code is then 1 (or the failure's own code).

    With --engine local (or --workers N) the work runs in chunks on every core; with
    --engine ray on a Ray cluster. The dataset is the same either way.

    Mixpanel replays get their user's Mixpanel events joined (distinct_id in sessions,
    rows in the mixpanel frame); --no-events (--no-mixpanel-events) skips the join.

    \b
    Examples:
      replaykit aggregate recordings/ --out bundle/
      replaykit aggregate 'exports/**/*.json.gz' --out bundle/ --preset posthog -o json
      replaykit aggregate recordings/ --out bundle/ --engine local --workers 8
      replaykit query bundle/ top-clicks
    """
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            fail(f"{out_dir} is not empty (use --overwrite to replace a bundle there)", 3)
        if not (out_dir / MANIFEST).is_file():
            fail(f"{out_dir} is not a bundle directory; refusing to overwrite it", 3)
        _clear_bundle(out_dir)
    split = split_targets(targets)
    failures: list[int] = []

    if engine is not None or workers is not None:
        codes = _aggregate_parallel(
            split.local,
            split.replay_ids,
            out_dir,
            engine=engine or "local",
            workers=workers,
            chunk_size=chunk_size,
            signals=preset if with_signals else None,
            events=events,
            input_format=input_format,
            max_input_bytes=max_input_mb << 20,
            batch_rows=batch_rows,
            concurrency=concurrency,
            output=output,
            mixpanel=dict(mixpanel),
            no_mixpanel=missing_mixpanel(split.replay_ids, failures),
            mixpanel_events=mixpanel_events,
        )
        failures.extend(codes)
        if failures:
            sys.exit(failures[0])
        return

    def reported(replays: Iterator[AnalyzedReplay]) -> Iterator[AnalyzedReplay]:
        for replay in replays:
            failure = replay.failure
            if failure is not None:
                if failure.skipped:
                    click.echo(f"replaykit: skipped {replay.source}: {failure.message}", err=True)
                else:
                    message = failure.message.removeprefix(f"{replay.replay_id}: ")
                    click.echo(f"replaykit: error: {replay.source}: {message}", err=True)
                    failures.append(failure.exit_code)
            yield replay

    with analyzed_targets(
        split,
        mixpanel=dict(mixpanel),
        options=AnalyzerOptions(),
        signals=preset if with_signals else None,
        input_format=input_format,
        max_input_bytes=max_input_mb << 20,
        concurrency=concurrency,
        failures=failures,
        mixpanel_events=mixpanel_events,
    ) as replays:
        bundle = collect_bundle(
            reported(replays), spill_dir=out_dir, batch_rows=batch_rows, events=events
        )
    if bundle.directory is None:  # nothing was spilled (an empty run): write it now
        bundle.write_parquet(out_dir)
        bundle = ReplayBundle.scan(out_dir)
    summary = _summary(bundle, out_dir)
    if output == "json":
        sys.stdout.write(_encoder.encode(summary).decode() + "\n")
    else:
        width = max(len(k) for k in summary)
        for key, value in summary.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items() if v) or "-"
            click.echo(f"{key.ljust(width)}  {value}")
    if failures:
        sys.exit(failures[0])


def _aggregate_parallel(
    local: list[str],
    replay_ids: list[str],
    out_dir: Path,
    *,
    engine: str,
    workers: int | None,
    chunk_size: int,
    signals: str | None,
    events: bool,
    input_format: str,
    max_input_bytes: int,
    batch_rows: int,
    concurrency: int,
    output: str,
    mixpanel: dict[str, Any],
    no_mixpanel: Callable[[ConfigError], None],
    mixpanel_events: bool = True,
) -> list[int]:
    """``aggregate --engine``: the chunked run of :mod:`replaykit.distributed`; returns the
    exit codes of the replays that failed (reported on stderr like the in-process run)."""
    from ..distributed import ChunkOptions, LocalFiles, MixpanelSource, run_groups
    from ..distributed._run import InputGroup

    groups: list[InputGroup] = []
    if local:
        groups.append((LocalFiles(), local))
    if replay_ids:
        config_file = mixpanel.get("config_file")
        account = mixpanel.get("account")
        try:
            config = config_from(mixpanel)
        except ConfigError as exc:
            no_mixpanel(exc)
        else:
            # Only the non-secret fields go to the workers; they read the credentials
            # from the same variables or config file this process used.
            source = MixpanelSource.from_config(config)
            if isinstance(config_file, str):
                source = msgspec.structs.replace(source, config_file=config_file)
            if isinstance(account, str):
                source = msgspec.structs.replace(source, account=account)
            groups.append((source, replay_ids))
    summary = run_groups(
        groups,
        out=out_dir,
        engine="ray" if engine == "ray" else "local",
        workers=workers if engine == "local" else None,
        max_in_flight=workers if engine == "ray" else None,
        chunk_size=chunk_size,
        options=ChunkOptions(
            signals=signals,
            format=input_format,
            max_input_bytes=max_input_bytes,
            fetch_concurrency=concurrency,
            events=events,
            batch_rows=batch_rows,
            mixpanel_events=mixpanel_events,
        ),
        progress=sys.stderr,
    )
    codes: list[int] = []
    for failure in summary.failures:
        if failure.skipped:
            click.echo(f"replaykit: skipped {failure.source}: {failure.message}", err=True)
        else:
            message = failure.message.removeprefix(f"{failure.replay_id}: ")
            click.echo(f"replaykit: error: {failure.source}: {message}", err=True)
            codes.append(failure.exit_code)
    report = _summary(ReplayBundle.scan(out_dir), out_dir)
    report.update(
        engine=summary.engine,
        workers=summary.workers,
        chunks=summary.chunks,
        retries=summary.retries,
        seconds=round(summary.seconds, 3),
        replays_per_s=round(summary.replays_per_s, 1),
    )
    _print_summary(report, output)
    return codes


def _print_summary(summary: dict[str, Any], output: str) -> None:
    if output == "json":
        sys.stdout.write(_encoder.encode(summary).decode() + "\n")
        return
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v) or "-"
        click.echo(f"{key.ljust(width)}  {'-' if value is None else value}")


def _summary(bundle: ReplayBundle, directory: Path) -> dict[str, Any]:
    s = bundle.summary()
    return {
        "bundle": str(directory),
        "sessions": s["sessions"],
        "failed": s["failed"],
        "skipped": bundle.stats.get("skipped", 0),
        "duplicates": bundle.stats.get("duplicates", 0),
        "actions": s["actions"],
        "signals": s["signals"],
        "page_visits": s["page_visits"],
        "duration_ms": s["duration_ms"] or 0,
        "signals_by_kind": {k: v for k, v in s["signals_by_kind"].items() if v},
    }


# --- query ---------------------------------------------------------------------------------------


def _open(directory: str) -> ReplayBundle:
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
@_row_output
@_session_filters
@click.pass_obj
def top_clicks_command(directory: str, /, limit: int, output: str, **filters: Any) -> None:
    """The most clicked targets, with the sessions that clicked them.

    \b
    Examples:
      replaykit query bundle/ top-clicks -n 20
      replaykit query bundle/ top-clicks --url /checkout -o csv
    """
    bundle = _chosen(_open(directory), filters)
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
@_row_output
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
    bundle = _chosen(_open(directory), filters)
    if reference:
        _print(bundle.rage_clicks(threshold, window_ms), output)
    else:
        _print(bundle.rage_bursts(), output)


@query_group.command("errors")
@click.option(
    "--network", "include_network", is_flag=True, help="Also sessions with failed requests."
)
@_row_output
@_session_filters
@click.pass_obj
def errors_command(directory: str, /, include_network: bool, output: str, **filters: Any) -> None:
    """Sessions with console errors (and failed requests with --network).

    \b
    Examples:
      replaykit query bundle/ errors
      replaykit query bundle/ errors --network --from 2026-12-01 -o ndjson
    """
    bundle = _chosen(_open(directory), filters)
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
@_row_output
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
    bundle = _chosen(_open(directory), filters)
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
@_row_output
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
    bundle = _chosen(_open(directory), filters)
    df = _print(
        bundle.funnel(list(steps), by="page" if by == "page" else "event", within_ms=within_ms),
        output,
    )
    if "sessions" in df.columns and df.height and 0 in df["sessions"].to_list():
        missing = [
            str(step) for step, n in zip(steps, df["sessions"].to_list(), strict=False) if not n
        ]
        hint = f"replaykit: no session reached {', '.join(missing)}"
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
        click.echo(hint, err=True)


@query_group.command("pattern")
@click.argument("steps", nargs=-1, required=True)
@click.option(
    "--within-ms", type=click.IntRange(min=0, max=MAX_INT), help="Time allowed first to last."
)
@click.option("--contiguous", is_flag=True, help="Steps must be adjacent.")
@_row_output
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
    bundle = _chosen(_open(directory), filters)
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
@_row_output
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
    bundle = _chosen(_open(directory), filters)
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
@_row_output
@_session_filters
@click.pass_obj
def sessions_command(directory: str, /, limit: int, output: str, **filters: Any) -> None:
    """Sessions with the most signals.

    \b
    Examples:
      replaykit query bundle/ sessions -n 5
      replaykit query bundle/ sessions --signal rage_click -o json
    """
    bundle = _chosen(_open(directory), filters)
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
@_row_output
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
    bundle = _chosen(_open(directory), filters)
    lf = bundle.url_baselines(metric)
    if min_ratio > 0:
        lf = lf.filter(pl.col("ratio") >= min_ratio)
    _print(lf, output)


# --- report ---------------------------------------------------------------------------------------


@click.command("report")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write.",
)
@click.option(
    "--title",
    default="Session replay report",
    show_default=True,
    help="The report's heading and page title.",
)
@click.option(
    "--sessions",
    type=click.IntRange(min=0, max=MAX_INT),
    default=10,
    show_default=True,
    help="Session timelines to draw (those with the most signals).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1, max=MAX_INT),
    default=12,
    show_default=True,
    help="Pages and targets to chart.",
)
def report_command(directory: str, out_file: Path, title: str, sessions: int, top: int) -> None:
    """Write one self-contained HTML report of a bundle (no network needed to open it).

    \b
    Example:
      replaykit report bundle/ -o report.html
    """
    bundle = _open(directory)
    if not out_file.parent.is_dir():
        fail(f"cannot write {out_file}: no such directory {out_file.parent}", 4)
    bundle.write_report(out_file, title=title, sessions=sessions, top=top)
    click.echo(f"replaykit: wrote {out_file}", err=True)


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
    bundle = _chosen(_open(directory), filters)
    text = bundle.summary_markdown(top=top, per_replay=per_replay, max_replays=max_replays)
    sys.stdout.write(printable(text))
    sys.stdout.flush()
