"""``replaykit report DIR -o FILE``: one self-contained HTML report of a bundle."""

from __future__ import annotations

from pathlib import Path

import click

from ._console import note
from ._query import open_bundle
from ._rows import MAX_INT
from ._targets import (
    fail,
)

__all__ = ["report_command"]


@click.command("report")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "-o",
    "--output",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write.",
)
@click.option(
    "--title",
    default="Session replay report",
    show_default=True,
    help="The report's heading and page title.",
)
@click.option(
    "--sessions",
    type=click.IntRange(min=0, max=MAX_INT),
    default=10,
    show_default=True,
    help="Session timelines to draw (those with the most signals).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1, max=MAX_INT),
    default=12,
    show_default=True,
    help="Pages and targets to chart.",
)
def report_command(directory: str, out_file: Path, title: str, sessions: int, top: int) -> None:
    """Write one self-contained HTML report of a bundle (no network needed to open it).

    \b
    Example:
      replaykit report bundle/ -o report.html
    """
    bundle = open_bundle(directory)
    if not out_file.parent.is_dir():
        fail(f"cannot write {out_file}: no such directory {out_file.parent}", 4)
    bundle.write_report(out_file, title=title, sessions=sessions, top=top)
    note(f"wrote {out_file}")
