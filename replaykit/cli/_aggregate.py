"""``replaykit aggregate``: recordings (paths, or Mixpanel replay ids) into a bundle
directory, streamed to disk, on one process or every core (or a Ray cluster)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import msgspec

from .._api import AnalyzedReplay
from .._errors import ConfigError
from ..analysis._options import AnalyzerOptions
from ..bundle._bundle import MANIFEST, ReplayBundle
from ..bundle._schema import STORED_FRAMES
from ..bundle._sink import DEFAULT_BATCH_ROWS, collect_bundle
from ._console import report_failure
from ._mixpanel import mixpanel_events_option
from ._rows import MAX_INT
from ._runtime import config_from, mixpanel_options
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

__all__ = ["aggregate_command"]

_encoder = msgspec.json.Encoder()


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
            if replay.failure is not None:
                code = report_failure(replay.replay_id, replay.source, replay.failure)
                if code is not None:
                    failures.append(code)
            yield replay

    with analyzed_targets(
        split,
        mixpanel=dict(mixpanel),
        # --events: the analysis keeps a row per event in its one pass (no second read).
        options=AnalyzerOptions(event_rows=events),
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
    _print_summary(_summary(bundle, out_dir), output)
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
        code = report_failure(failure.replay_id, failure.source, failure)
        if code is not None:
            codes.append(code)
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
