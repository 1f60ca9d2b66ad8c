"""Output for people: the one place the CLI writes text meant to be read, built on rich.

- :func:`error`, :func:`fail`, :func:`warn` and :func:`note`: the one failure reporter and
  its kin, one ``replaykit: ...`` line each on stderr.
- :class:`Progress`: a progress bar on stderr when stderr is a terminal; nothing per item
  when it is piped or logged (only the closing summary line).
- :func:`write_table`: an aligned table whose cells are cut with "…" at their column's
  width, never wrapped, full width when piped.

Every text from outside (recordings, replay ids, server messages) passes
:func:`replaykit._text.printable` once, here, and rich markup is off: a ``[bold]`` in a
button's text stays text.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, NoReturn, Protocol, TextIO, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, TextColumn
from rich.progress import Progress as _RichProgress
from rich.table import Table

from .._text import printable

__all__ = [
    "Failed",
    "Progress",
    "cli_warnings",
    "error",
    "fail",
    "line",
    "note",
    "report_failure",
    "warn",
    "with_warnings",
    "write_table",
]

F = TypeVar("F", bound=Callable[..., Any])

_PIPED_WIDTH = 10_000  # off a terminal a table is as wide as its cells


def line(text: str) -> str:
    """``text`` as one safe line: control characters (newlines too) escaped."""
    return printable(text, keep_newlines=False)


def error(where: str | None, message: str) -> None:
    """The failure reporter: ``replaykit: error: WHERE: MESSAGE`` on stderr, escaped."""
    prefix = f"{line(where)}: " if where else ""
    click.echo(f"replaykit: error: {prefix}{line(message)}", err=True)


class Failed(Protocol):
    """What :func:`report_failure` reads of a failed replay (a
    :class:`~replaykit.ReplayFailure`, or a distributed run's ``FailedReplay``)."""

    @property
    def message(self) -> str: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def skipped(self) -> bool: ...


def report_failure(replay_id: str, source: str, failure: Failed) -> int | None:
    """The one report of a replay that failed: a skipped input (not a recording) is a
    note, anything else an :func:`error` line. Returns the exit code the failure calls
    for (``None`` for a skip)."""
    if failure.skipped:
        note(f"skipped {source}: {failure.message}")
        return None
    where = replay_id if source.startswith("mixpanel:") else source
    error(where, failure.message.removeprefix(f"{replay_id}: "))
    return failure.exit_code


def fail(message: str, code: int) -> NoReturn:
    """Report ``message`` (:func:`error`) and exit with ``code``."""
    error(None, message)
    sys.exit(code)


def warn(message: str) -> None:
    """``replaykit: warning: MESSAGE`` on stderr."""
    click.echo(f"replaykit: warning: {line(message)}", err=True)


def note(message: str) -> None:
    """``replaykit: MESSAGE`` on stderr (summaries, skipped inputs)."""
    click.echo(f"replaykit: {line(message)}", err=True)


class _StderrHandler(logging.Handler):
    """Library log records of WARNING and above as ``replaykit: warning:`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        warn(record.getMessage())


@contextmanager
def cli_warnings() -> Iterator[None]:
    """Library warnings and warning logs as one ``replaykit: warning:`` line each on stderr."""

    def show(message: Any, *args: Any, **kwargs: Any) -> None:
        warn(str(message))

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


def _live(stream: TextIO) -> bool:
    """Whether progress is drawn on ``stream``: only on a terminal."""
    return stream.isatty()


class Progress:
    """A progress bar (``n/total``, the last item) on stderr, live on a terminal only.

    Off a terminal nothing is printed per item (logs stay clean); :meth:`done` always
    prints the one-line summary. The bar is transient: it is gone once done.
    """

    def __init__(self, total: int | None, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.count = 0
        self.live = _live(self.stream)
        self._bar: _RichProgress | None = None

    def _start(self) -> _RichProgress:
        console = Console(file=self.stream, force_terminal=True, highlight=False)
        columns: list[Any] = [BarColumn(bar_width=20)] if self.total else []
        columns.append(TextColumn("{task.description}", markup=False))
        bar = _RichProgress(*columns, console=console, transient=True, auto_refresh=False)
        bar.add_task("", total=self.total)
        return bar

    def step(self, label: str) -> None:
        self.count += 1
        if not self.live:
            return
        if self._bar is None:
            self._bar = self._start()
        of = f"/{self.total}" if self.total else ""
        description = f"[{self.count}{of}] {line(label)}"
        task = self._bar.task_ids[0]
        self._bar.update(task, completed=self.count, description=description)
        if not self._bar.live.is_started:
            self._bar.start()  # drawn first with the first item, not empty
        self._bar.refresh()

    def close(self) -> None:
        """Take the bar off the terminal (idempotent)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def done(self, summary: str) -> None:
        self.close()
        self.stream.write(f"replaykit: {line(summary)}\n")
        self.stream.flush()


def write_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    out: TextIO,
    *,
    max_widths: Sequence[int | None] | None = None,
    right: Sequence[bool] | None = None,
) -> None:
    """An aligned table of ``rows`` (strings, escaped here) on ``out``.

    A cell longer than its column's ``max_widths`` entry is cut with "…"; on a terminal
    the table also fits the terminal's width (cutting the widest columns), piped it does
    not. ``right`` right-aligns a column (numbers).
    """
    console = Console(
        file=out,
        width=None if out.isatty() else _PIPED_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
    table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 1), header_style="")
    for i, header in enumerate(headers):
        width = max_widths[i] if max_widths else None
        table.add_column(
            header,
            justify="right" if right and right[i] else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=width,
        )
    for row in rows:
        table.add_row(*(line(cell) for cell in row))
    with console.capture() as capture:
        console.print(table)
    out.write("\n".join(text.rstrip() for text in capture.get().splitlines()) + "\n")
    out.flush()
