"""The `replaykit` command line: a thin layer over the library.

stdout carries data only; errors and progress go to stderr. Exit codes: 0 ok, 1 a
recording failed (general), 2 usage error, 3 invalid argument values, 4 not found,
130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click
import msgspec

from .. import sync
from .._api import AnalyzedReplay
from .._errors import ReplaykitError
from ..analysis._options import AnalyzerOptions
from ..rrweb._decode import DEFAULT_MAX_INPUT_BYTES, FORMATS, iter_event_chunks
from ..sources._local import LocalSource
from ._output import write_json, write_markdown, write_ndjson, write_table

__all__ = ["main"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
OUTPUT_FORMATS = ("markdown", "ndjson", "json", "table")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"replaykit: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="replaykit")
def cli() -> None:
    """Turn rrweb session recordings into timelines of what people did.

    \b
    Exit codes: 0 ok, 1 a recording could not be read, 2 usage error,
    3 invalid option value, 4 path not found, 130 interrupted.
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
@click.option(
    "--format",
    "input_format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input container format; auto sniffs it from the first bytes.",
)
@click.option(
    "--max-nodes",
    type=click.IntRange(min=100),
    default=50_000,
    show_default=True,
    help="DOM node cap per replay; beyond it the replay is flagged truncated.",
)
@click.option(
    "--max-input-mb",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_INPUT_BYTES // (1 << 20),
    show_default=True,
    help="Largest input (after decompression) read per recording, in MiB.",
)
def analyze(
    paths: tuple[str, ...], output: str, input_format: str, max_nodes: int, max_input_mb: int
) -> None:
    """Analyze recordings (files, directories or globs) into actions.

    Every recording is read in one pass; a file that cannot be read is reported on stderr
    in one line and the others are still analyzed (exit 1 at the end). Files a directory
    scan finds that are not recordings are skipped with a note.

    \b
    Examples:
      replaykit analyze examples/recordings
      replaykit analyze session.json -o ndjson | jq .label
      replaykit analyze 'exports/**/*.json.gz' -o table
    """
    options = AnalyzerOptions(max_nodes=max_nodes)
    replays = sync.analyze(
        list(paths),
        options=options,
        format=input_format,
        max_input_bytes=max_input_mb << 20,
        on_error="record",
    )
    failures: list[int] = []

    def good() -> Iterator[AnalyzedReplay]:
        for replay in replays:
            failure = replay.failure
            if failure is None:
                yield replay
                continue
            if failure.skipped:
                click.echo(f"replaykit: skipped {replay.source}: {failure.message}", err=True)
                continue
            click.echo(f"replaykit: error: {replay.source}: {failure.message}", err=True)
            failures.append(failure.exit_code)

    out = sys.stdout
    writer = {
        "markdown": write_markdown,
        "ndjson": write_ndjson,
        "json": write_json,
        "table": write_table,
    }[output]
    writer(good(), out)
    out.flush()
    if failures:
        sys.exit(failures[0])


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("path")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input container format; auto sniffs it from the first bytes.",
)
def events(path: str, input_format: str) -> None:
    """Print a recording's decoded events as NDJSON, one event per line.

    Containers are unwrapped (gzip, packer, PostHog, wrappers), events are sorted by
    timestamp, and only the fields replaykit reads are kept. Skipped elements are counted
    on stderr.

    \b
    Example:
      replaykit events session.json.gz | head
    """
    recordings = list(LocalSource(path).recordings())
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
                click.echo(f"replaykit: {rec.path}: input ends mid-event (truncated)", err=True)
    out.flush()
    if skipped:
        parts = ", ".join(f"{k}={v}" for k, v in sorted(skipped.items()))
        click.echo(f"replaykit: skipped elements: {parts}", err=True)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: maps replaykit errors and Ctrl-C to exit codes."""
    try:
        return cli.main(args=argv, prog_name="replaykit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("replaykit: interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("replaykit: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ReplaykitError as exc:
        _fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        # `| head` closed the pipe: not an error. Point stdout at devnull so the
        # interpreter's final flush does not complain.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
