"""Records of the Mixpanel commands (``list``, ``sign``, ``fetch``): NDJSON, a JSON array,
CSV (spreadsheet-safe) or a table for people (:func:`._console.write_table`)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, TextIO, TypeVar

import click
import msgspec

from ._console import write_table

__all__ = ["RECORD_FORMATS", "iso", "output_option", "write_records"]

F = TypeVar("F", bound=Callable[..., Any])

RECORD_FORMATS = ("ndjson", "json", "table", "csv")
_encoder = msgspec.json.Encoder()
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def iso(ms: int | None) -> str:
    """Epoch milliseconds as an ISO 8601 UTC time ("" for None)."""
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        write_table(columns, table, out, max_widths=[80] * len(columns))
    out.flush()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _encoder.encode(value).decode()
    text = str(value)
    # A cell a spreadsheet would run as a formula starts with =, +, - or @: quote it.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _NUMBER.match(text) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _encoder.encode(value).decode()
    return str(value)  # escaped by the table writer
