"""The `replaykit` command line: a thin layer over the library.

stdout carries data only; errors and progress go to stderr. Exit codes: 0 ok, 1 a
recording failed (general), 2 usage error or Mixpanel auth/permission, 3 invalid argument
values, 4 not found, 5 rate limited, 130 interrupted. Every command is loaded
when it runs (:data:`LAZY`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from .._errors import ReplaykitError
from ._console import fail
from ._lazy import LazyCommand, LazyGroup
from ._options import ClientFactory, Hooks

__all__ = ["cli", "interrupted", "main"]

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# Loaded when run (or asked for help): the analyzer, Polars, httpx only for the command
# that needs them, so `replaykit --help` stays quick.
LAZY = {
    "analyze": LazyCommand(
        "replaykit.cli._analyze:analyze",
        "Analyze recordings (files, directories, globs or Mixpanel replay ids) into actions.",
    ),
    "events": LazyCommand(
        "replaykit.cli._analyze:events",
        "Print events as NDJSON: a recording's rrweb events, or a replay's Mixpanel events.",
    ),
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
