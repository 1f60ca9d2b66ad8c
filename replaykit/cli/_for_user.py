"""``replaykit for-user``: a user's newest Mixpanel replays, analyzed, to stdout or to one
markdown file per replay plus an index (``--out-dir``, resumable)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import click
import msgspec

from .._api import AnalyzedReplay
from .._errors import UsageError
from ._console import Progress, line, report_failure, with_warnings
from ._mixpanel import mixpanel_events_option, user_replays
from ._output import WRITERS
from ._records import iso, output_option
from ._runtime import config_from, iterate_gen, iterate_stage, mixpanel_options, open_client
from ._targets import signals_options, signals_preset

__all__ = ["for_user_command", "replay_markdown"]


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
@signals_options
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
    with_signals: bool,
    preset: str | None,
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
      replaykit for-user user-42 --signals --preset posthog -o table
    """
    failures: list[int] = []
    signals = signals_preset(with_signals, preset)
    if out_dir is not None:
        _for_user_to_dir(
            distinct_id,
            out_dir,
            params,
            limit=limit,
            from_date=from_date,
            to_date=to_date,
            concurrency=concurrency,
            signals=signals,
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
        signals=signals,
        mixpanel_events=mixpanel_events,
        max_files=max_files,
    )

    def good() -> Iterator[AnalyzedReplay]:
        for replay in source:
            if replay.failure is None:
                yield replay
            elif code := report_failure(replay.replay_id, replay.source, replay.failure):
                failures.append(code)

    with closing(source):  # ends the event loop thread however writing ends
        WRITERS[output](good(), sys.stdout)
    sys.stdout.flush()
    if failures:
        sys.exit(failures[0])


def replay_markdown(replay: AnalyzedReplay) -> str:
    """One replay's file for ``for-user --out-dir``: a header, the timeline, its events."""
    lines = [replay.markdown().rstrip(), ""]
    facts = [
        ("user", replay.distinct_id),
        ("start", iso(replay.start_timestamp)),
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
        "start": iso(replay.start_timestamp),
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
    signals: str | None,
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
        stage = mp.analyze(
            todo, concurrency=concurrency, signals=signals, mixpanel_events=mixpanel_events
        )
        progress = Progress(len(todo))
        for replay in iterate_stage(portal, stage):
            progress.step(replay.replay_id)
            if replay.failure is not None:
                counts["failed"] += 1
                if code := report_failure(replay.replay_id, replay.source, replay.failure):
                    failures.append(code)
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
        f"{len(order)} replays of {line(distinct_id)}: {counts['written']} written, "
        f"{counts['present']} already present, {counts['failed']} failed"
    )
    click.echo(f"index: {index_path}")
    if failures:
        sys.exit(failures[0])
