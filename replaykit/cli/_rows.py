"""Rows for people and machines: bundle results as an aligned table (the CLI's one table
writer, :func:`._console.write_table`; epoch-ms columns shown as times), JSON, NDJSON or CSV,
and the options every row-printing command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click
import msgspec
import polars as pl

from ._console import write_table

__all__ = ["MAX_INT", "ROW_FORMATS", "row_output", "write_rows"]

MAX_INT = 2**31 - 1  # click's IntRange has no upper bound: 10**20 became an OverflowError

F = TypeVar("F", bound=Callable[..., Any])

ROW_FORMATS = ("table", "json", "ndjson", "csv")

_encoder = msgspec.json.Encoder()
_WIDTH = 60  # a cell's widest, "…" included


def _cell(value: Any) -> str:
    """A value as table text (escaped and cut with "…" by the table writer)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "NaN"
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value)


def _readable_times(df: pl.DataFrame) -> pl.DataFrame:
    """Epoch-ms columns (``timestamp``, ``*_timestamp``) as UTC times, for people."""
    cols = [
        name
        for name, dtype in df.schema.items()
        if (name == "timestamp" or name.endswith("_timestamp")) and dtype.is_integer()
    ]
    if not cols:
        return df
    return df.with_columns(
        pl.from_epoch(pl.col(c), time_unit="ms").dt.strftime("%Y-%m-%d %H:%M:%S%.3f").alias(c)
        for c in cols
    )


def write_rows(df: pl.DataFrame, output: str, out: TextIO) -> None:
    """Print a result: an aligned table, a JSON array, NDJSON lines or CSV."""
    if output == "json":
        out.write("[")
        for i, row in enumerate(df.iter_rows(named=True)):
            out.write(("," if i else "") + "\n" + _encoder.encode(row).decode())
        out.write("\n]\n" if df.height else "]\n")
    elif output == "ndjson":
        for row in df.iter_rows(named=True):
            out.write(_encoder.encode(row).decode() + "\n")
    elif output == "csv":
        lists = [n for n, t in df.schema.items() if isinstance(t, pl.List)]
        if lists:
            df = df.with_columns(
                pl.col(n).list.eval(pl.element().cast(pl.String)).list.join(" ") for n in lists
            )
        out.write(df.write_csv())
    else:
        df = _readable_times(df)
        body = [[_cell(v) for v in row] for row in df.iter_rows()]
        numeric = [t.is_numeric() for t in df.dtypes]
        write_table(df.columns, body, out, max_widths=[_WIDTH] * df.width, right=numeric)
        if not body:
            out.write("(no rows)\n")
    out.flush()


def row_output(func: F) -> F:
    """The ``-o/--output`` option of a row-printing command."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(ROW_FORMATS),
        default=None,
        help="table for people (the default); json (one array), ndjson (one object a line) "
        "or csv. May also be given before the query's name.",
    )(func)
