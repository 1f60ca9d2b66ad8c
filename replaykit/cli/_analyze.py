"""`replaykit analyze` and `replaykit events`: recordings in, timelines or events out.

Loaded when one of them runs (or its help is asked for), like every other command, so
``replaykit --help`` does not import the analyzer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
import msgspec

from .._api import AnalyzedReplay
from ..analysis._options import AnalyzerOptions
from ..rrweb._decode import iter_event_chunks
from ..sources._local import LocalSource
from ._console import fail, note, report_failure, with_warnings
from ._options import mixpanel_options
from ._output import WRITERS
from ._targets import (
    analyzed_targets,
    concurrency_option,
    format_option,
    max_input_option,
    signals_options,
    signals_preset,
    split_targets,
)

__all__ = ["analyze", "events"]

OUTPUT_FORMATS = ("markdown", "ndjson", "json", "table")


@click.command("analyze")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Choice(OUTPUT_FORMATS),
    default="markdown",
    show_default=True,
    help="markdown timeline for people/LLMs, ndjson (one action per line), "
    "json (one object per replay with coverage), or an aligned table.",
)
@format_option
@click.option(
    "--max-nodes",
    type=click.IntRange(min=100),
    default=50_000,
    show_default=True,
    help="DOM node cap per replay; beyond it the replay is flagged truncated.",
)
@max_input_option
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Time budget per recording, in seconds spent analyzing it; one that takes longer "
    "is reported as an error and the others still run. Default: no limit.",
)
@concurrency_option
@signals_options
@mixpanel_options
@with_warnings
def analyze(
    paths: tuple[str, ...],
    output: str,
    input_format: str,
    max_nodes: int,
    max_input_mb: int,
    max_seconds: float | None,
    concurrency: int,
    with_signals: bool,
    preset: str | None,
    **mixpanel: object,
) -> None:
    """Analyze recordings (files, directories, globs or Mixpanel replay ids) into actions.

    Every recording is read in one pass; a file that cannot be read is reported on stderr
    in one line and the others are still analyzed (exit 1 at the end). Files a directory
    scan finds that are not recordings are skipped with a note. An argument that names no
    file and looks like a replay id is fetched from Mixpanel and analyzed as it downloads.

    \b
    Examples:
      replaykit analyze examples/recordings
      replaykit analyze session.json -o ndjson | jq .label
      replaykit analyze 'exports/**/*.json.gz' -o table
      replaykit analyze session.json --signals --preset posthog
      replaykit analyze 0190f2c4-replay-id --base-url http://127.0.0.1:8080
    """
    options = AnalyzerOptions(max_nodes=max_nodes, max_seconds=max_seconds)
    failures: list[int] = []
    seen = [0]  # replays read, failed or skipped

    def good(replays: Iterator[AnalyzedReplay]) -> Iterator[AnalyzedReplay]:
        for replay in replays:
            seen[0] += 1
            failure = replay.failure
            if failure is None:
                yield replay
                continue
            code = report_failure(replay.replay_id, replay.source, failure)
            if code is not None:
                failures.append(code)

    out = sys.stdout
    with analyzed_targets(
        split_targets(paths),
        mixpanel=dict(mixpanel),
        options=options,
        signals=signals_preset(with_signals, preset),
        input_format=input_format,
        max_input_bytes=max_input_mb << 20,
        concurrency=concurrency,
        failures=failures,
    ) as replays:
        WRITERS[output](good(replays), out)
    out.flush()
    if failures:
        sys.exit(failures[0])
    if not seen[0]:
        fail(f"no recordings found in {' '.join(paths)}", 4)


@click.command("events")
@click.argument("targets", nargs=-1, required=True)
@format_option
@click.option(
    "--user",
    "distinct_id",
    metavar="ID",
    help="Replay ids: the replay's user; only their events inside the replay's own time "
    "window are printed (the replay is read once to find that window).",
)
@click.option("--from", "from_date", metavar="DATE", help="Replay ids: first day (YYYY-MM-DD).")
@click.option("--to", "to_date", metavar="DATE", help="Replay ids: last day (YYYY-MM-DD).")
@click.option(
    "--margin-ms",
    type=click.IntRange(min=0, max=2**31 - 1),
    default=0,
    show_default=True,
    help="Replay ids: widen each replay's window by this much on both sides.",
)
@click.option(
    "--name",
    "names",
    multiple=True,
    metavar="EVENT",
    help="Replay ids: only these event names (repeatable).",
)
@click.option(
    "--source",
    type=click.Choice(["export", "insights"]),
    default="export",
    show_default=True,
    help="Replay ids: the raw export API (every event of the user), or Insights (events "
    "tagged with the replay id, counted per second).",
)
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="NAME",
    help="Replay ids, --source insights: group by this property too (at most 5).",
)
@mixpanel_options
@with_warnings
def events(
    targets: tuple[str, ...],
    input_format: str,
    distinct_id: str | None,
    from_date: str | None,
    to_date: str | None,
    margin_ms: int,
    names: tuple[str, ...],
    source: str,
    properties: tuple[str, ...],
    **mixpanel: object,
) -> None:
    """Print events as NDJSON: a recording's rrweb events, or a replay's Mixpanel events.

    For a recording file: its decoded rrweb events, one per line. Containers are unwrapped
    (gzip, packer, PostHog, wrappers), events are sorted by timestamp, and only the fields
    replaykit reads are kept; skipped elements are counted on stderr.

    For Mixpanel replay ids: the Mixpanel events of the replay's user (--user) during the
    replay, from the export API; without --user, the events tagged with the replay's id.

    \b
    Examples:
      replaykit events session.json.gz | head
      replaykit events 0190f2c4-replay-id --user user-42
    """
    replay_ids = split_targets(targets).replay_ids
    if replay_ids and len(replay_ids) != len(targets):
        raise click.UsageError("pass recording paths or replay ids, not both")
    if replay_ids:
        from ._mixpanel import mixpanel_events  # the client and httpx, only now

        mixpanel_events(
            replay_ids,
            distinct_id,
            from_date,
            to_date,
            margin_ms,
            names,
            dict(mixpanel),
            source=source,
            properties=properties,
        )
        return
    recordings = [rec for path in targets for rec in LocalSource(path).recordings()]
    encoder = msgspec.json.Encoder()
    buffer = bytearray()
    out = sys.stdout.buffer
    skipped: dict[str, int] = {}
    for rec in recordings:
        for chunk in iter_event_chunks(rec.path, format=input_format, replay_id=rec.replay_id):
            for event in chunk.events:
                encoder.encode_into(event, buffer)
                buffer.extend(b"\n")
                out.write(buffer)
            for key, n in chunk.unknown.items():
                skipped[key] = skipped.get(key, 0) + n
            if chunk.malformed:
                skipped["malformed"] = skipped.get("malformed", 0) + chunk.malformed
            if chunk.too_deep:
                skipped["too_deep"] = skipped.get("too_deep", 0) + chunk.too_deep
            if chunk.truncated:
                note(f"{rec.path}: input ends mid-event (truncated)")
    out.flush()
    if skipped:
        parts = ", ".join(f"{k}={v}" for k, v in sorted(skipped.items()))
        note(f"skipped elements: {parts}")
