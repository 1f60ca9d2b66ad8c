"""The replay-id halves of ``analyze`` and ``events``, and what the Mixpanel commands
share: telling a replay id from a path, and streaming analyzed replays from Mixpanel.

The commands themselves are in :mod:`._mixpanel_commands` (``list``, ``sign``, ``fetch``,
``login``) and :mod:`._for_user`; the client and its options in :mod:`._runtime`.
Credentials are read from the environment or the config file only, never from flags
(they would show in shell history and ``ps``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import click
import msgspec

from .._api import AnalyzedReplay
from .._errors import ConfigError
from ..analysis._options import AnalyzerOptions
from ._console import Progress, report_failure
from ._runtime import config_from, iterate_gen, iterate_stage, open_client
from ._targets import check_ids, looks_like_replay_id

__all__ = [
    "analyzed_from_mixpanel",
    "check_ids",
    "looks_like_replay_id",
    "mixpanel_events",
    "mixpanel_events_option",
    "user_replays",
]

F = TypeVar("F", bound=Callable[..., Any])

_encoder = msgspec.json.Encoder()


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
    """The ``events`` command for replay ids: Mixpanel events during each replay (NDJSON).

    With a user (``--user``) each replay is read first, so that its window is the
    recording's own start and end: the export API returns all of the user's events, and
    only those inside a replay's window belong to it. A replay that cannot be read is
    reported and the others continue (the exit code is the first failure's)."""
    config = config_from(params)
    failures: list[int] = []
    with open_client(config) as (portal, mp):
        targets: list[Any] = list(replay_ids)
        if distinct_id is not None and source == "export":
            targets = []
            for replay in iterate_stage(portal, mp.analyze(replay_ids)):
                if replay.failure is not None:
                    if code := report_failure(replay.replay_id, replay.source, replay.failure):
                        failures.append(code)
                elif replay.start_timestamp is not None:
                    targets.append(replay)
            order = {rid: i for i, rid in enumerate(replay_ids)}
            targets.sort(key=lambda r: order.get(r.replay_id, 0))
        if targets:
            events = mp.events(
                targets,
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
    if failures:
        sys.exit(failures[0])


def analyzed_from_mixpanel(
    replay_ids: list[str],
    params: dict[str, Any],
    *,
    concurrency: int,
    on_missing_config: Callable[[ConfigError], None],
    signals: str | None = None,
    mixpanel_events: bool = False,
    options: AnalyzerOptions | None = None,
) -> Generator[AnalyzedReplay, None, None]:
    """Analyze replay ids through Mixpanel for ``analyze``; close it when done with it.

    ``signals`` names the preset to detect frustration signals with, if any;
    ``mixpanel_events`` joins each replay's Mixpanel events; ``options`` are the
    analyzer's (the same as for local recordings)."""
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
            options=options,
            signals=signals,
            mixpanel_events=mixpanel_events,
        )
        try:
            for replay in iterate_stage(portal, stage):
                progress.step(replay.replay_id)
                yield replay
        finally:
            progress.close()
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
    signals: str | None = None,
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
            signals=signals,
            mixpanel_events=mixpanel_events,
        )
        progress = Progress(None)
        try:
            for replay in iterate_stage(portal, stage):
                progress.step(replay.replay_id)
                yield replay
        finally:
            progress.close()
        progress.done(f"{progress.count} replays of {distinct_id} analyzed")
