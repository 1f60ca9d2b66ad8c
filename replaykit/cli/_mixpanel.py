"""Mixpanel commands: ``list``, ``sign``, ``fetch``, ``for-user`` and the replay-id halves of
``analyze`` and ``events``.

The commands are thin: they build a :class:`~replaykit.MixpanelClient` from the options,
the ``MP_*`` environment and the config file, run the library through one blocking portal
and format what comes back. Credentials are read from the environment or the config file
only, never from flags (they would show in shell history and ``ps``).
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings
import webbrowser
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, closing, contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TextIO, TypeVar

import anyio
import click
import msgspec
from anyio.from_thread import BlockingPortal, start_blocking_portal
from anyio.streams.memory import MemoryObjectReceiveStream

from .._api import AnalyzedReplay
from .._errors import ConfigError, UsageError
from .._mixpanel_client import MixpanelClient
from ..sources._local import RECORDING_SUFFIXES
from ..sources.mixpanel import MixpanelConfig
from ..sources.mixpanel._config import BASE_URL_ENV
from ._output import write_json, write_markdown, write_ndjson, write_table

__all__ = [
    "RECORD_FORMATS",
    "Progress",
    "looks_like_replay_id",
    "mixpanel_commands",
    "mixpanel_options",
    "open_client",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

RECORD_FORMATS = ("ndjson", "json", "table", "csv")
WRITERS: dict[str, Callable[[Iterable[AnalyzedReplay], TextIO], None]] = {
    "markdown": write_markdown,
    "ndjson": write_ndjson,
    "json": write_json,
    "table": write_table,
}
_REPLAY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")
_encoder = msgspec.json.Encoder()
REVEAL_WARNING = (
    "replaykit: warning: the output holds signed URLs, bearer credentials valid for about "
    "5 minutes; do not share or log it"
)

# The client factory is a seam for tests (a mock transport); the CLI itself never swaps it.
client_factory: Callable[[MixpanelConfig], MixpanelClient] = MixpanelClient


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control and bidi-override characters shown as ``\\xNN`` escapes.

    Replay ids come from the network: one holding ``ESC ]...`` or ``ESC [2J`` would drive
    the terminal it is printed on (retitle it, clear it, forge earlier lines), and a bidi
    override would make it read as another id.
    """
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def looks_like_replay_id(arg: str) -> bool:
    """True for an argument that names no file and could be a Mixpanel replay id."""
    if Path(arg).exists() or arg.endswith(RECORDING_SUFFIXES):
        return False
    return bool(_REPLAY_ID.match(arg))


# --- options and the client ----------------------------------------------------------------


def mixpanel_options(func: F) -> F:
    """The options every Mixpanel command shares (endpoint, project, region, config)."""
    options = [
        click.option(
            "--base-url",
            envvar=BASE_URL_ENV,
            metavar="URL",
            help="One origin serving every Mixpanel path (a proxy, the local fake). "
            f"Plain http only to loopback hosts. [env: {BASE_URL_ENV}]",
        ),
        click.option(
            "--project-id",
            type=click.IntRange(min=1, max=2**31 - 1),
            help="Mixpanel project id. [env: MP_PROJECT_ID]",
        ),
        click.option(
            "--region",
            type=click.Choice(["us", "eu", "in"]),
            help="Data residency region. [env: MP_REGION; default us]",
        ),
        click.option(
            "--env",
            "replay_env",
            type=click.Choice(["prod", "dev"]),
            help="Replay environment to sign for (Mixpanel's replay_env). [default: prod]",
        ),
        click.option(
            "--account",
            envvar="MP_ACCOUNT",
            metavar="NAME",
            help="A mixpanel-headless / `replaykit login` account in ~/.mp/config.toml "
            "[env: MP_ACCOUNT; default: the file's active account when no MP_* "
            "credentials are set].",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="TOML config file with a [mixpanel] table. "
            "[env: REPLAYKIT_MIXPANEL_CONFIG; default ~/.config/replaykit/mixpanel.toml]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def config_from(params: dict[str, Any]) -> MixpanelConfig:
    """The config from the shared options (pops them from ``params``), env and file."""
    return MixpanelConfig.from_env(
        config_file=params.pop("config_file", None),
        account=params.pop("account", None),
        replay_env=params.pop("replay_env", None),
        base_url=params.pop("base_url", None),
        project_id=params.pop("project_id", None),
        region=params.pop("region", None),
    )


@contextmanager
def open_client(
    config: MixpanelConfig, *, max_files: int | None = None
) -> Iterator[tuple[BlockingPortal, MixpanelClient]]:
    """A client living on one event loop in a helper thread, closed on the way out.

    ``max_files`` caps the chunk files walked per replay (``--max-files``)."""
    with start_blocking_portal() as portal:
        client = portal.call(_make_client, config)
        if max_files is not None:
            limits = msgspec.structs.replace(client.limits, max_files=max_files)
            client.limits = limits
            client._session.limits = limits
        try:
            yield portal, client
        finally:
            portal.call(client.aclose)


_WAKE_S = 0.1


def call(portal: BlockingPortal, func: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``portal.call(func, *args)``, but Ctrl-C interrupts the wait within ``_WAKE_S``.

    The kernel hands SIGINT to any thread that does not block it (Polars starts such
    threads at import); Python then only flags it, and runs ``KeyboardInterrupt`` in the
    main thread when that thread next runs bytecode. ``portal.call`` waits on a lock
    with no timeout, so on a stalled download the main thread would never wake to see
    it. Waiting in short slices lets it. On the way out the task is cancelled and waited
    for, so whatever it was driving (an async generator, a stream) is idle again before
    the caller closes it.
    """
    finished = threading.Event()

    async def run() -> T:
        try:
            return await func(*args)
        finally:
            finished.set()

    future = portal.start_task_soon(run)
    try:
        while True:
            try:
                return future.result(timeout=_WAKE_S)
            except TimeoutError:
                if future.done():
                    raise  # the task's own TimeoutError
    except BaseException:
        future.cancel()  # a no-op once done
        while not finished.wait(_WAKE_S):
            pass
        raise


async def _make_client(config: MixpanelConfig) -> MixpanelClient:
    return client_factory(config)


def iterate_stage(
    portal: BlockingPortal, stage: AbstractAsyncContextManager[MemoryObjectReceiveStream[T]]
) -> Iterator[T]:
    """Items of a concurrent stage, one portal hop each; leaving early cancels the stage."""
    with portal.wrap_async_context_manager(stage) as stream:
        while True:
            try:
                yield call(portal, stream.receive)
            except anyio.EndOfStream:
                return


def iterate_gen(portal: BlockingPortal, gen: AsyncGenerator[T, None]) -> Iterator[T]:
    """Items of an async generator through the portal; closed however iteration ends."""
    try:
        while True:
            try:
                yield call(portal, gen.__anext__)
            except StopAsyncIteration:
                return
    finally:
        portal.call(gen.aclose)


class _StderrHandler(logging.Handler):
    """Library log records of WARNING and above as ``replaykit: warning:`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"replaykit: warning: {record.getMessage()}", err=True)


@contextmanager
def cli_warnings() -> Iterator[None]:
    """Library warnings and warning logs as one ``replaykit: warning:`` line each on stderr."""

    def show(message: Any, *args: Any, **kwargs: Any) -> None:
        click.echo(f"replaykit: warning: {message}", err=True)

    library = logging.getLogger("replaykit")
    handler = _StderrHandler(logging.WARNING)
    library.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = show
            yield
    finally:
        library.removeHandler(handler)


def with_warnings(func: F) -> F:
    """Decorator form of :func:`cli_warnings`."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_warnings():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --- output ----------------------------------------------------------------------------------


class Progress:
    """``[n/total] replay: status`` on stderr, rewritten in place on a terminal.

    Off a terminal nothing is printed per item (logs stay clean); :meth:`done` always
    prints the one-line summary.
    """

    def __init__(self, total: int | None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.count = 0
        self.live = self.stream.isatty()

    def step(self, label: str) -> None:
        self.count += 1
        if self.live:
            of = f"/{self.total}" if self.total else ""
            self.stream.write(f"\r\x1b[2K[{self.count}{of}] {printable(label)[:70]}")
            self.stream.flush()

    def done(self, summary: str) -> None:
        if self.live and self.count:
            self.stream.write("\r\x1b[2K")
        self.stream.write(f"replaykit: {summary}\n")
        self.stream.flush()


def _iso(ms: int | None) -> str:
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_records(
    rows: Iterable[dict[str, Any]], fmt: str, columns: list[str], out: TextIO
) -> None:
    """NDJSON, a JSON array (streamed), CSV or an aligned table of ``columns``."""
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in columns])
            out.flush()
    elif fmt == "ndjson":
        for row in rows:
            out.write(_encoder.encode(row).decode() + "\n")
            out.flush()
    elif fmt == "json":
        out.write("[")
        first = True
        for row in rows:
            out.write(("\n" if first else ",\n") + _encoder.encode(row).decode())
            first = False
            out.flush()
        out.write("]\n" if first else "\n]\n")
    else:
        table = [[_cell(row.get(c)) for c in columns] for row in rows]
        widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
        out.write("\n")
        for r in table:
            out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
            out.write("\n")
    out.flush()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _encoder.encode(value).decode()
    text = str(value)
    # A cell a spreadsheet would run as a formula starts with =, +, - or @: quote it.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _NUMBER.match(text) else text


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _encoder.encode(value).decode()[:60]
    return printable(str(value))[:80]  # a table is read on a terminal: no raw controls


# --- commands ------------------------------------------------------------------------------


def mixpanel_events_option(func: F) -> F:
    """``--mixpanel-events/--no-mixpanel-events`` (alias ``--no-events``), on by default."""
    return click.option(
        "--mixpanel-events/--no-mixpanel-events",
        " /--no-events",
        "mixpanel_events",
        default=True,
        show_default=True,
        help="Join each Mixpanel replay's user's events (distinct_id, the mixpanel frame): "
        "a user lookup per 200 replay ids and one export call per user. --no-events is "
        "short for --no-mixpanel-events.",
    )(func)


def output_option(choices: tuple[str, ...], default: str) -> Callable[[F], F]:
    """``-o/--output``: one meaning in every command."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format on stdout.",
    )


@click.command("list")
@click.option("--from", "from_date", metavar="DATE", help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "to_date", metavar="DATE", help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--user", "distinct_id", metavar="ID", help="Only this user's replays.")
@click.option("--replay-id", "replay_ids", metavar="ID", multiple=True,
              help="Only these replays (repeatable; not with --user).")  # fmt: skip
@click.option(
    "--limit", type=click.IntRange(min=1, max=2**31 - 1), help="At most N replays (newest first)."
)
@output_option(RECORD_FORMATS, "ndjson")
@mixpanel_options
@with_warnings
def list_command(output: str, replay_ids: tuple[str, ...], **params: Any) -> None:
    """List Mixpanel session replays, newest first (default: the last 90 days).

    \b
    Examples:
      replaykit list --user user-42 --from 2026-05-01 --to 2026-05-31 -o table
      replaykit list --replay-id rid-1 --replay-id rid-2 -o csv
    """
    if replay_ids and params.get("distinct_id"):
        raise click.UsageError("pass --user or --replay-id, not both")
    if replay_ids:
        params["replay_ids"] = list(replay_ids)
    config = config_from(params)
    with open_client(config) as (portal, mp):
        found = mp.discover(**params)
        rows = (
            {
                "replay_id": d.replay_id,
                "distinct_id": d.distinct_id,
                "start_time_ms": d.start_time_ms,
                "start": _iso(d.start_time_ms),
                "retention_days": d.retention_days,
                "retention_known": d.retention_known,
            }
            for d in iterate_gen(portal, found)
        )
        columns = ["replay_id", "distinct_id", "start", "retention_days"]
        write_records(rows, output, columns, sys.stdout)


@click.command("sign")
@click.argument("replay_ids", nargs=-1, required=True)
@click.option(
    "--reveal-signed-urls",
    is_flag=True,
    help="Print the signed URLs in full (bearer credentials for ~5 minutes); a warning "
    "goes to stderr.",
)
@output_option(RECORD_FORMATS, "ndjson")
@mixpanel_options
@with_warnings
def sign_command(
    replay_ids: tuple[str, ...], reveal_signed_urls: bool, output: str, **params: Any
) -> None:
    """Sign replays for CDN access (one bulk call); the credential is masked by default.

    \b
    Example:
      replaykit sign rid-1 rid-2 -o table
    """
    config = config_from(params)
    if reveal_signed_urls:
        click.echo(REVEAL_WARNING, err=True)
    with open_client(config) as (portal, mp):
        signed = iterate_gen(portal, mp.sign(replay_ids))
        rows = (s.to_dict(reveal=reveal_signed_urls) for s in signed)
        columns = ["replay_id", "url", "query_string", "expires_at"]
        write_records(rows, output, columns, sys.stdout)


@click.command("fetch")
@click.argument("replay_ids", nargs=-1)
@click.option("--user", "distinct_id", metavar="ID", help="Fetch this user's newest replays.")
@click.option("--from", "from_date", metavar="DATE", help="With --user: first day (YYYY-MM-DD).")
@click.option("--to", "to_date", metavar="DATE", help="With --user: last day (YYYY-MM-DD).")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=2**31 - 1),
    help="At most N replays [default with --user: 20].",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    help="Directory for DIR/<replay id>.json files (created if needed).",
)
@click.option(
    "--concurrency", type=click.IntRange(min=1, max=2**31 - 1), default=4, show_default=True,
    help="Replays fetched at once.",
)  # fmt: skip
@click.option(
    "--retention-days",
    type=click.IntRange(min=1, max=2**31 - 1),
    help="Retention of every replay (skips the lookup query).",
)
@click.option("--max-files", type=click.IntRange(min=1, max=2**31 - 1), metavar="N",
              help="Chunk files walked per replay at most [default: 1000].")  # fmt: skip
@click.option(
    "-o",
    "--output",
    default="ndjson",
    show_default=True,
    metavar="FORMAT|FILE",
    help="Records on stdout as ndjson, json, table or csv; or a FILE: write the one "
    "replay given there, as a JSON array sorted by time (rrweb-player's input).",
)
@mixpanel_options
@with_warnings
def fetch_command(
    replay_ids: tuple[str, ...],
    distinct_id: str | None,
    from_date: str | None,
    to_date: str | None,
    limit: int | None,
    out_dir: str | None,
    concurrency: int,
    retention_days: int | None,
    max_files: int | None,
    output: str,
    **params: Any,
) -> None:
    """Download replays' rrweb events: one DIR/<replay id>.json (a JSON array) per replay.

    Files are written atomically; replays already in DIR are skipped, so an interrupted run
    can be repeated. One record per replay on stdout, progress on stderr. A replay that
    fails is reported and the others continue (the exit code is the first failure's).

    \b
    Examples:
      replaykit fetch rid-1 rid-2 --out-dir replays/
      replaykit fetch --user user-42 --limit 5 --out-dir replays/
      replaykit fetch rid-1 -o rid-1.json
    """
    if bool(replay_ids) == bool(distinct_id):
        raise click.UsageError("pass replay ids or --user, not both (and at least one)")
    if output not in RECORD_FORMATS:
        if out_dir is not None or distinct_id is not None or len(replay_ids) != 1:
            raise click.UsageError("-o FILE takes exactly one replay id (and no --out-dir)")
        config = config_from(params)
        _fetch_to_file(config, replay_ids[0], Path(output), retention_days, max_files)
        return
    if out_dir is None:
        raise click.UsageError("pass --out-dir DIR (or -o FILE for one replay)")
    config = config_from(params)
    failures: list[int] = []
    with open_client(config, max_files=max_files) as (portal, mp):
        items: Any = list(replay_ids)
        total: int | None = len(replay_ids)
        if distinct_id is not None:
            items = mp.discover(
                distinct_id=distinct_id, from_date=from_date, to_date=to_date, limit=limit or 20
            )
            total, limit = None, None
        progress = Progress(total)
        stage = mp.download(
            items, out_dir, limit=limit, concurrency=concurrency, retention_days=retention_days
        )
        counts = {"fetched": 0, "resumed": 0, "failed": 0}

        def rows() -> Iterator[dict[str, Any]]:
            for result in iterate_stage(portal, stage):
                if result.failure is not None:
                    counts["failed"] += 1
                    failures.append(result.failure.exit_code)
                    click.echo(
                        f"replaykit: error: {printable(result.replay_id)}: "
                        f"{printable(result.failure.message)}",
                        err=True,
                    )
                else:
                    counts["resumed" if result.resumed else "fetched"] += 1
                progress.step(f"{result.replay_id}: {_status(result)}")
                yield msgspec.to_builtins(result)

        columns = ["replay_id", "path", "files", "events", "bytes", "resumed"]
        write_records(rows(), output, columns, sys.stdout)
        progress.done(
            f"{counts['fetched']} fetched, {counts['resumed']} already present, "
            f"{counts['failed']} failed"
        )
    if failures:
        sys.exit(failures[0])


def _fetch_to_file(
    config: MixpanelConfig,
    replay_id: str,
    target: Path,
    retention_days: int | None,
    max_files: int | None,
) -> None:
    """``fetch ID -o FILE``: the replay's events sorted by time, written atomically."""
    if target.exists():
        click.echo(f"replaykit: {target} exists already; nothing fetched", err=True)
        return
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".replaykit-fetch-", dir=parent))
    try:
        with open_client(config, max_files=max_files) as (portal, mp):
            stage = mp.download([replay_id], staging, retention_days=retention_days)
            (result,) = list(iterate_stage(portal, stage))
        if result.failure is not None:
            click.echo(
                f"replaykit: error: {printable(replay_id)}: {printable(result.failure.message)}",
                err=True,
            )
            sys.exit(result.failure.exit_code)
        assert result.path is not None
        events = msgspec.json.decode(Path(result.path).read_bytes())
        events.sort(key=_stamp)  # stable: files overlap and are sorted per file only
        temp = staging / "sorted.json"
        temp.write_bytes(msgspec.json.encode(events))
        os.replace(temp, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    click.echo(
        f"replaykit: fetched {printable(replay_id)}: {len(events)} events -> {target}", err=True
    )


def _stamp(event: Any) -> float:
    value = event.get("timestamp") if isinstance(event, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _status(result: Any) -> str:
    if result.failure is not None:
        return f"failed ({result.failure.error})"
    return "already present" if result.resumed else f"{result.events} events"


def mixpanel_events(
    replay_ids: list[str],
    distinct_id: str | None,
    from_date: str | None,
    to_date: str | None,
    margin_ms: int,
    names: tuple[str, ...],
    params: dict[str, Any],
    *,
    source: str = "export",
    properties: tuple[str, ...] = (),
) -> None:
    """The ``events`` command for replay ids: Mixpanel events during each replay (NDJSON)."""
    config = config_from(params)
    with open_client(config) as (portal, mp):
        events = mp.events(
            replay_ids,
            distinct_id=distinct_id,
            from_date=from_date,
            to_date=to_date,
            margin_ms=margin_ms,
            names=list(names) or None,
            source="insights" if source == "insights" else "export",
            properties=properties,
        )
        out = sys.stdout
        for event in iterate_gen(portal, events):
            out.write(_encoder.encode(event).decode() + "\n")
        out.flush()


def analyzed_from_mixpanel(
    replay_ids: list[str],
    params: dict[str, Any],
    *,
    concurrency: int,
    on_missing_config: Callable[[ConfigError], None],
    signals: str | None = None,
    mixpanel_events: bool = False,
) -> Generator[AnalyzedReplay, None, None]:
    """Analyze replay ids through Mixpanel for ``analyze``; close it when done with it.

    ``signals`` names the preset to detect frustration signals with, if any;
    ``mixpanel_events`` joins each replay's Mixpanel events."""
    try:
        config = config_from(params)
    except ConfigError as exc:
        on_missing_config(exc)
        return
    with open_client(config) as (portal, mp):
        progress = Progress(len(replay_ids))
        stage = mp.analyze(
            replay_ids,
            concurrency=concurrency,
            signals=signals,
            mixpanel_events=mixpanel_events,
        )
        for replay in iterate_stage(portal, stage):
            progress.step(replay.replay_id)
            yield replay
        if progress.live:
            progress.done(f"{progress.count} Mixpanel replays analyzed")


def user_replays(
    distinct_id: str,
    params: dict[str, Any],
    *,
    limit: int,
    from_date: str | None,
    to_date: str | None,
    concurrency: int,
    mixpanel_events: bool = True,
    max_files: int | None = None,
) -> Generator[AnalyzedReplay, None, None]:
    """A user's newest replays, analyzed (for ``for-user``); close it when done with it."""
    config = config_from(params)
    with open_client(config, max_files=max_files) as (portal, mp):
        stage = mp.replays_for_user(
            distinct_id,
            limit=limit,
            from_date=from_date,
            to_date=to_date,
            concurrency=concurrency,
            mixpanel_events=mixpanel_events,
        )
        progress = Progress(None)
        for replay in iterate_stage(portal, stage):
            progress.step(replay.replay_id)
            yield replay
        progress.done(f"{progress.count} replays of {distinct_id} analyzed")


def mixpanel_commands() -> list[click.Command]:
    """The commands this module adds to the ``replaykit`` group."""
    return [list_command, sign_command, fetch_command, for_user_command, login_command]


def check_ids(replay_ids: Iterable[str]) -> None:
    """UsageError for an argument that can be neither a path nor a replay id."""
    for rid in replay_ids:
        if not _REPLAY_ID.match(rid):
            raise UsageError(f"not a file and not a replay id: {rid!r}")


@click.command("for-user")
@click.argument("distinct_id")
@click.option("--limit", type=click.IntRange(min=1, max=2**31 - 1), default=20, show_default=True,
              help="The user's N newest replays.")  # fmt: skip
@click.option("--from", "from_date", metavar="DATE", help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "to_date", metavar="DATE", help="Last day (YYYY-MM-DD), inclusive.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=2**31 - 1),
    default=4,
    show_default=True,
    help="Replays fetched at once.",
)
@output_option(("markdown", "ndjson", "json", "table"), "markdown")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/<replay id>.md per replay (its timeline and Mixpanel events) and "
    "DIR/index.json; atomic, and replays with a file already are not fetched again.",
)
@click.option("--max-files", type=click.IntRange(min=1, max=2**31 - 1), metavar="N",
              help="Chunk files walked per replay at most [default: 1000].")  # fmt: skip
@mixpanel_events_option
@mixpanel_options
@with_warnings
def for_user_command(
    distinct_id: str,
    limit: int,
    from_date: str | None,
    to_date: str | None,
    concurrency: int,
    output: str,
    out_dir: Path | None,
    max_files: int | None,
    mixpanel_events: bool,
    **params: Any,
) -> None:
    """Analyze a user's newest Mixpanel replays (default: the last 90 days).

    Output formats as for ``analyze``. A replay that fails is reported on stderr and the
    others continue (the exit code is the first failure's).

    With --out-dir, one markdown file per replay and an index.json (one entry per
    replay: user, start, duration, counts, file) go to the directory instead; run it
    again after an interruption and only the missing replays are fetched.

    \b
    Examples:
      replaykit for-user user-42 --limit 5 -o ndjson
      replaykit for-user user-42 --out-dir user-42/
    """
    failures: list[int] = []
    if out_dir is not None:
        _for_user_to_dir(
            distinct_id,
            out_dir,
            params,
            limit=limit,
            from_date=from_date,
            to_date=to_date,
            concurrency=concurrency,
            mixpanel_events=mixpanel_events,
            max_files=max_files,
        )
        return

    source = user_replays(
        distinct_id,
        params,
        limit=limit,
        from_date=from_date,
        to_date=to_date,
        concurrency=concurrency,
        mixpanel_events=mixpanel_events,
        max_files=max_files,
    )

    def good() -> Iterator[AnalyzedReplay]:
        for replay in source:
            if replay.failure is None:
                yield replay
            else:
                failures.append(replay.failure.exit_code)
                click.echo(
                    f"replaykit: error: {printable(replay.replay_id)}: "
                    f"{printable(replay.failure.message)}",
                    err=True,
                )

    with closing(source):  # ends the event loop thread however writing ends
        WRITERS[output](good(), sys.stdout)
    sys.stdout.flush()
    if failures:
        sys.exit(failures[0])


# The browser opener is a seam for tests (they play the browser); the CLI never swaps it.
open_browser: Callable[[str], object] = webbrowser.open


@click.command("login")
@click.option("--account", default="default", show_default=True, metavar="NAME",
              help="Name to store the account under.")  # fmt: skip
@click.option("--region", type=click.Choice(["us", "eu", "in"]), default="us",
              show_default=True, help="Data residency region to sign in to.")  # fmt: skip
@click.option("--project-id", type=click.IntRange(min=1, max=2**31 - 1),
              help="Default project (when the user sees several).")  # fmt: skip
@click.option("--base-url", envvar=BASE_URL_ENV, metavar="URL",
              help="One origin serving Mixpanel (a proxy, the local fake).")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL; do not open a browser.")
@click.option("--timeout", type=click.FloatRange(min=1), default=300, show_default=True,
              help="Seconds to wait for the browser.")  # fmt: skip
def login_command(
    account: str,
    region: str,
    project_id: int | None,
    base_url: str | None,
    no_browser: bool,
    timeout: float,
) -> None:
    """Sign in to Mixpanel in the browser (OAuth with PKCE) and store the account.

    The tokens go to ~/.mp/accounts/NAME/tokens.json (mode 0600) and the account to
    ~/.mp/config.toml ($MP_STORAGE_DIR and $MP_CONFIG_PATH move them), in the files'
    mixpanel-headless format; every Mixpanel command then uses it (--account NAME or
    MP_ACCOUNT picks one; an expired token is refreshed). Nothing secret is printed.

    \b
    Example:
      replaykit login --account work --region eu
    """
    from ..sources.mixpanel._login import login

    def show(url: str) -> None:
        click.echo(f"replaykit: open this URL to sign in:\n  {url}", err=True)

    result = login(
        account,
        region=region,
        project_id=project_id,
        base_url=base_url,
        open_browser=(lambda url: None) if no_browser else open_browser,
        on_url=show,
        timeout=timeout,
    )
    who = f" as {printable(result.email)}" if result.email else ""
    if result.project_id is not None:
        project = f"project {result.project_id}"
    else:
        choices = ", ".join(f"{k} ({printable(v)})" for k, v in sorted(result.projects.items()))
        project = "no default project"
        click.echo(
            "replaykit: warning: pass --project-id or set MP_PROJECT_ID to choose a project"
            + (f": {choices}" if choices else ""),
            err=True,
        )
    click.echo(
        f"signed in{who}: account {result.account}, {project}, region {result.region} "
        f"({result.config_path})"
    )


def replay_markdown(replay: AnalyzedReplay) -> str:
    """One replay's file for ``for-user --out-dir``: a header, the timeline, its events."""
    lines = [replay.markdown().rstrip(), ""]
    facts = [
        ("user", replay.distinct_id),
        ("start", _iso(replay.start_timestamp)),
        ("duration", f"{replay.duration_ms / 1000:.1f}s"),
        ("pages", " → ".join(replay.page_path()) or None),
    ]
    lines += [f"- {k}: {v}" for k, v in facts if v]
    if replay.mixpanel_events:
        start = replay.start_timestamp or replay.mixpanel_events[0].time_ms
        lines += ["", f"## Mixpanel events ({len(replay.mixpanel_events)})", ""]
        for e in replay.mixpanel_events:
            count = f" (x{e.count})" if e.count > 1 else ""
            lines.append(f"- {(e.time_ms - start) / 1000:.1f}s: {e.name}{count}")
    return "\n".join(lines) + "\n"


def _index_entry(replay: AnalyzedReplay, file: str | None) -> dict[str, Any]:
    return {
        "replay_id": replay.replay_id,
        "distinct_id": replay.distinct_id,
        "start": _iso(replay.start_timestamp),
        "start_time_ms": replay.start_timestamp,
        "duration_ms": replay.duration_ms,
        "n_actions": len(replay.actions),
        "n_signals": len(replay.signals),
        "n_mp_events": len(replay.mixpanel_events),
        "entry_url": next((a.url for a in replay.actions if a.url), None),
        "file": file,
        "failure": replay.failure.message if replay.failure is not None else None,
    }


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(temp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _for_user_to_dir(
    distinct_id: str,
    out_dir: Path,
    params: dict[str, Any],
    *,
    limit: int,
    from_date: str | None,
    to_date: str | None,
    concurrency: int,
    mixpanel_events: bool,
    max_files: int | None,
) -> None:
    """``for-user --out-dir``: DIR/<replay>.md per replay plus DIR/index.json."""
    from ..sources.mixpanel import safe_filename

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {out_dir}: {exc.strerror or type(exc).__name__}") from None
    index_path = out_dir / "index.json"
    previous: dict[str, dict[str, Any]] = {}
    try:
        old = msgspec.json.decode(index_path.read_bytes())
        if isinstance(old, list):
            previous = {e["replay_id"]: e for e in old if isinstance(e, dict) and "replay_id" in e}
    except (OSError, msgspec.DecodeError):
        pass
    config = config_from(params)
    failures: list[int] = []
    entries: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    counts = {"written": 0, "present": 0, "failed": 0}
    with open_client(config, max_files=max_files) as (portal, mp):
        found = list(
            iterate_gen(
                portal,
                mp.discover(
                    distinct_id=distinct_id, from_date=from_date, to_date=to_date, limit=limit
                ),
            )
        )
        todo = []
        for d in found:
            order.append(d.replay_id)
            name = safe_filename(d.replay_id).removesuffix(".json") + ".md"
            if (out_dir / name).is_file():
                counts["present"] += 1
                entries[d.replay_id] = previous.get(d.replay_id) or {
                    "replay_id": d.replay_id,
                    "distinct_id": d.distinct_id,
                    "start_time_ms": d.start_time_ms,
                    "file": name,
                }
            else:
                todo.append(d)
        stage = mp.analyze(todo, concurrency=concurrency, mixpanel_events=mixpanel_events)
        progress = Progress(len(todo))
        for replay in iterate_stage(portal, stage):
            progress.step(replay.replay_id)
            if replay.failure is not None:
                counts["failed"] += 1
                failures.append(replay.failure.exit_code)
                click.echo(
                    f"replaykit: error: {printable(replay.replay_id)}: "
                    f"{printable(replay.failure.message)}",
                    err=True,
                )
                entries[replay.replay_id] = _index_entry(replay, None)
                continue
            name = safe_filename(replay.replay_id).removesuffix(".json") + ".md"
            _write_atomic(out_dir / name, replay_markdown(replay).encode())
            entries[replay.replay_id] = _index_entry(replay, name)
            counts["written"] += 1
            # Written as it goes: an interrupted run still leaves an index of what is there.
            index = [entries[r] for r in order if r in entries]
            _write_atomic(index_path, msgspec.json.format(msgspec.json.encode(index)))
    index = [entries[r] for r in order if r in entries]
    _write_atomic(index_path, msgspec.json.format(msgspec.json.encode(index)))
    click.echo(
        f"{len(order)} replays of {printable(distinct_id)}: {counts['written']} written, "
        f"{counts['present']} already present, {counts['failed']} failed"
    )
    click.echo(f"index: {index_path}")
    if failures:
        sys.exit(failures[0])
