"""The `replaykit` command line: a thin layer over the library.

stdout carries data only; errors and progress go to stderr. Exit codes: 0 ok, 1 a
recording failed (general), 2 usage error or Mixpanel auth/permission, 3 invalid argument
values, 4 not found, 5 rate limited, 130 interrupted. The bundle and Mixpanel
commands are loaded when they run (:data:`LAZY`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import click
import msgspec

from .._api import AnalyzedReplay
from .._errors import ReplaykitError
from ..analysis._options import AnalyzerOptions
from ..rrweb._decode import iter_event_chunks
from ..sources._local import LocalSource
from ._console import fail, note, report_failure, with_warnings
from ._lazy import LazyCommand, LazyGroup
from ._options import ClientFactory, Hooks, mixpanel_options
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

__all__ = ["cli", "interrupted", "main"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
OUTPUT_FORMATS = ("markdown", "ndjson", "json", "table")


# Loaded when run: the bundle commands import Polars, the Mixpanel ones httpx.
LAZY = {
    "aggregate": LazyCommand(
        "replaykit.cli._aggregate:aggregate_command",
        "Analyze recordings (paths, or Mixpanel replay ids) into a bundle directory.",
    ),
    "query": LazyCommand(
        "replaykit.cli._query:query_group",
        "Run one query over a bundle directory (from `replaykit aggregate`).",
    ),
    "report": LazyCommand(
        "replaykit.cli._report:report_command",
        "Write one self-contained HTML report of a bundle (no network needed to open it).",
    ),
    "list": LazyCommand(
        "replaykit.cli._mixpanel_commands:list_command",
        "List Mixpanel session replays, newest first (default: the last 90 days).",
    ),
    "sign": LazyCommand(
        "replaykit.cli._mixpanel_commands:sign_command",
        "Sign replays for CDN access (one bulk call); the credential is masked by default.",
    ),
    "fetch": LazyCommand(
        "replaykit.cli._mixpanel_commands:fetch_command",
        "Download replays' rrweb events: one DIR/<replay id>.json (a JSON array) per replay.",
    ),
    "for-user": LazyCommand(
        "replaykit.cli._for_user:for_user_command",
        "Analyze a user's newest Mixpanel replays (default: the last 90 days).",
    ),
    "login": LazyCommand(
        "replaykit.cli._mixpanel_commands:login_command",
        "Sign in to Mixpanel in the browser (OAuth with PKCE) and store the account.",
    ),
}


@click.group(cls=LazyGroup, lazy=LAZY, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="replaykit")
def cli() -> None:
    """Turn rrweb session recordings into timelines of what people did.

    Recordings come from files, directories and globs, or from Mixpanel session replays
    by id (credentials from MP_USERNAME/MP_SECRET or MP_OAUTH_TOKEN, MP_PROJECT_ID,
    MP_REGION, or ~/.config/replaykit/mixpanel.toml).

    \b
    Exit codes: 0 ok, 1 a recording could not be read, 2 usage error or
    Mixpanel credentials/permission refused, 3 invalid option value,
    4 path or replay not found, 5 rate limited, 130 interrupted.
    """


@cli.command(context_settings=CONTEXT_SETTINGS)
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


@cli.command(context_settings=CONTEXT_SETTINGS)
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


def main(
    argv: list[str] | None = None,
    *,
    client_factory: ClientFactory | None = None,
    open_browser: Callable[[str], object] | None = None,
) -> Any:
    """Console-script entry point: maps replaykit errors and Ctrl-C to exit codes.

    ``client_factory`` builds the Mixpanel client from a config and ``open_browser`` opens
    ``login``'s sign-in page (defaults: the real ones; tests pass doubles)."""
    hooks = Hooks(client_factory=client_factory, open_browser=open_browser)
    args = sys.argv[1:] if argv is None else argv
    if any("\x00" in arg for arg in args):
        # No path, id or value can hold a NUL byte (the OS would refuse it further in).
        fail("arguments cannot contain NUL bytes", 2)
    try:
        try:
            return cli.main(args=argv, prog_name="replaykit", standalone_mode=False, obj=hooks)
        except BaseExceptionGroup as group:
            # Concurrent stages may surface errors as a group: report the one inside it.
            from ..sources.mixpanel._stage import single_error

            error = single_error(group)
            if error is None:
                raise
        raise error
    except (click.exceptions.Abort, KeyboardInterrupt):
        interrupted()
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ReplaykitError as exc:
        fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        # `| head` closed the pipe: not an error. Point stdout at devnull so the
        # interpreter's final flush does not complain.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except OSError as exc:
        # A file the user named cannot be written or read (a missing directory, a file
        # where a directory was expected, a full disk): one line, not a traceback.
        where = f": {exc.filename}" if exc.filename else ""
        fail(f"{exc.strerror or exc}{where}", 4 if isinstance(exc, FileNotFoundError) else 1)


def interrupted() -> NoReturn:
    """Ctrl-C: one line on stderr, exit 130, no traceback."""
    click.echo("replaykit: interrupted", err=True)
    sys.exit(130)
