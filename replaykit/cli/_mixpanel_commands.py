"""Mixpanel commands: ``list``, ``sign``, ``fetch`` and ``login`` (``for-user`` is in
:mod:`._for_user`).

The commands are thin: they build a :class:`~replaykit.MixpanelClient` from the options,
the ``MP_*`` environment and the config file (:mod:`._runtime`), run the library through
one blocking portal and format what comes back.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import msgspec

from ..sources.mixpanel import MixpanelConfig
from ..sources.mixpanel._config import BASE_URL_ENV
from ._console import Progress, error, line, note, warn, with_warnings
from ._records import RECORD_FORMATS, iso, output_option, write_records
from ._runtime import config_from, hooks, iterate_gen, iterate_stage, mixpanel_options, open_client

__all__ = ["fetch_command", "list_command", "login_command", "sign_command"]

REVEAL_WARNING = (
    "the output holds signed URLs, bearer credentials valid for about 5 minutes; "
    "do not share or log it"
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
                "start": iso(d.start_time_ms),
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
        warn(REVEAL_WARNING)
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
                    error(result.replay_id, result.failure.message)
                else:
                    counts["resumed" if result.resumed else "fetched"] += 1
                progress.step(f"{result.replay_id}: {_status(result)}")
                yield msgspec.to_builtins(result)

        columns = ["replay_id", "path", "files", "events", "bytes", "resumed"]
        try:
            write_records(rows(), output, columns, sys.stdout)
        finally:
            progress.close()
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
        note(f"{target} exists already; nothing fetched")
        return
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".replaykit-fetch-", dir=parent))
    try:
        with open_client(config, max_files=max_files) as (portal, mp):
            stage = mp.download([replay_id], staging, retention_days=retention_days)
            (result,) = list(iterate_stage(portal, stage))
        if result.failure is not None:
            error(replay_id, result.failure.message)
            sys.exit(result.failure.exit_code)
        assert result.path is not None
        events = msgspec.json.decode(Path(result.path).read_bytes())
        events.sort(key=_stamp)  # stable: files overlap and are sorted per file only
        temp = staging / "sorted.json"
        temp.write_bytes(msgspec.json.encode(events))
        os.replace(temp, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    note(f"fetched {replay_id}: {len(events)} events -> {target}")


def _stamp(event: Any) -> float:
    value = event.get("timestamp") if isinstance(event, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _status(result: Any) -> str:
    if result.failure is not None:
        return f"failed ({result.failure.error})"
    return "already present" if result.resumed else f"{result.events} events"


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

    browser = hooks().open_browser or webbrowser.open

    def show(url: str) -> None:
        click.echo(f"replaykit: open this URL to sign in:\n  {line(url)}", err=True)

    result = login(
        account,
        region=region,
        project_id=project_id,
        base_url=base_url,
        open_browser=(lambda url: None) if no_browser else browser,
        on_url=show,
        timeout=timeout,
    )
    who = f" as {line(result.email)}" if result.email else ""
    if result.project_id is not None:
        project = f"project {result.project_id}"
    else:
        choices = ", ".join(f"{k} ({line(v)})" for k, v in sorted(result.projects.items()))
        project = "no default project"
        warn(
            "pass --project-id or set MP_PROJECT_ID to choose a project"
            + (f": {choices}" if choices else "")
        )
    click.echo(
        f"signed in{who}: account {result.account}, {project}, region {result.region} "
        f"({result.config_path})"
    )
