"""What `analyze` and `aggregate` share: their targets (paths or Mixpanel replay ids), the
options that read them, and one stream of analyzed replays over both kinds."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import click

from .. import sync
from .._api import AnalyzedReplay
from .._errors import ConfigError, UsageError
from ..analysis._options import AnalyzerOptions
from ..analysis._signal_config import PRESETS
from ..rrweb._decode import DEFAULT_MAX_INPUT_BYTES, FORMATS
from ..sources._local import RECORDING_SUFFIXES
from ._console import error, fail

__all__ = [
    "SIGNAL_PRESETS",
    "Targets",
    "analyzed_targets",
    "check_ids",
    "concurrency_option",
    "fail",
    "format_option",
    "looks_like_replay_id",
    "max_input_option",
    "missing_mixpanel",
    "signals_options",
    "signals_preset",
    "split_targets",
]

F = TypeVar("F", bound=Callable[..., Any])

_REPLAY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$")


def looks_like_replay_id(arg: str) -> bool:
    """True for an argument that names no file and could be a Mixpanel replay id."""
    if Path(arg).exists() or arg.endswith(RECORDING_SUFFIXES):
        return False
    return bool(_REPLAY_ID.match(arg))


def check_ids(replay_ids: Iterable[str]) -> None:
    """UsageError for an argument that can be neither a path nor a replay id."""
    for rid in replay_ids:
        if not _REPLAY_ID.match(rid):
            raise UsageError(f"not a file and not a replay id: {rid!r}")


SIGNAL_PRESETS = ("replaykit", *sorted(p for p in PRESETS if p != "replaykit"))


def signals_options(func: F) -> F:
    """``--signals`` and ``--preset`` (which implies ``--signals``)."""
    func = click.option(
        "--preset",
        type=click.Choice(SIGNAL_PRESETS),
        default=None,
        help="Signal definitions: replaykit's (the default), or a product's thresholds; "
        "implies --signals.",
    )(func)
    return click.option(
        "--signals",
        "with_signals",
        is_flag=True,
        help="Also detect frustration signals (rage, dead, slow and error clicks, quick "
        "backs, idle, network and console errors, ...) and add them to the output.",
    )(func)


def signals_preset(with_signals: bool, preset: str | None) -> str | None:
    """The preset to detect signals with (None: no signals)."""
    return (preset or "replaykit") if (with_signals or preset) else None


format_option = click.option(
    "--format",
    "input_format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input container format; auto sniffs it from the first bytes.",
)

max_input_option = click.option(
    "--max-input-mb",
    type=click.IntRange(min=1, max=2**31 - 1),
    default=DEFAULT_MAX_INPUT_BYTES // (1 << 20),
    show_default=True,
    help="Largest input (after decompression) read per recording, in MiB.",
)

concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=2**31 - 1),
    default=4,
    show_default=True,
    help="Mixpanel replays fetched at once.",
)


class Targets(NamedTuple):
    """Command-line targets, split: local paths (files, directories, globs) and the
    arguments that name no file but look like Mixpanel replay ids."""

    local: list[str]
    replay_ids: list[str]


def split_targets(targets: tuple[str, ...] | list[str]) -> Targets:
    """Sort targets into local paths and Mixpanel replay ids."""
    return Targets(
        local=[t for t in targets if not looks_like_replay_id(t)],
        replay_ids=[t for t in targets if looks_like_replay_id(t)],
    )


def missing_mixpanel(replay_ids: list[str], failures: list[int]) -> Callable[[ConfigError], None]:
    """What to do with replay ids when no Mixpanel settings exist: report each (most likely
    a mistyped path) and record exit code 4."""

    def report(exc: ConfigError) -> None:
        for rid in replay_ids:
            error(None, f"no such file or directory: {rid} (nor a Mixpanel replay: {exc.message})")
            failures.append(4)

    return report


def _empty() -> Generator[AnalyzedReplay, None, None]:
    yield from ()


@contextmanager
def analyzed_targets(
    targets: Targets,
    *,
    mixpanel: dict[str, Any],
    options: AnalyzerOptions,
    signals: str | None,
    input_format: str,
    max_input_bytes: int,
    concurrency: int,
    failures: list[int],
    mixpanel_events: bool = False,
) -> Iterator[Iterator[AnalyzedReplay]]:
    """Local recordings, then Mixpanel replays, analyzed lazily as one stream.

    Failures stay on the replays (``failure``) for the command to report; missing Mixpanel
    settings are reported here (see :func:`missing_mixpanel`). Both sources are closed
    however the caller's loop ends: a Mixpanel source holds an event-loop thread that
    must not outlive the command (an unclosed one would keep the process alive).
    """
    local: Iterator[AnalyzedReplay] = (
        sync.analyze(
            targets.local,
            options=options,
            signals=signals if signals is not None else False,
            format=input_format,
            max_input_bytes=max_input_bytes,
            on_error="record",
        )
        if targets.local
        else _empty()
    )
    remote: Iterator[AnalyzedReplay] = _empty()
    if targets.replay_ids:
        from ._mixpanel import analyzed_from_mixpanel  # the client and httpx, only now

        remote = analyzed_from_mixpanel(
            targets.replay_ids,
            mixpanel,
            concurrency=concurrency,
            on_missing_config=missing_mixpanel(targets.replay_ids, failures),
            signals=signals,
            mixpanel_events=mixpanel_events,
            options=options,
        )
    try:
        yield itertools.chain(local, remote)
    finally:
        for source in (local, remote):
            close = getattr(source, "close", None)
            if close is not None:
                close()
