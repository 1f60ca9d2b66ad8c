"""Reusable expressions of the bundle queries (``_queries``): clicks, the reference's
pattern label, a page's path, pattern/funnel steps, the frustration signal kinds and the
most frequent label.
"""

from __future__ import annotations

from typing import Final

import polars as pl

__all__ = [
    "IS_CLICK",
    "PATH",
    "REFERENCE_LABEL",
    "_FRUSTRATION_KINDS",
    "Step",
    "_mode_label",
]


IS_CLICK: Final = pl.col("kind") == "click"
"""Click actions (replaykit never makes a click of a bare focus, so no filter is needed for
the reference's 'focused' rows)."""

REFERENCE_LABEL: Final = pl.format(
    "{}:{}@{}",
    pl.col("kind"),
    pl.col("tag").fill_null(""),
    pl.col("page").fill_null(""),
)
"""The reference client's default pattern label, ``kind:tag@page``."""

PATH: Final = pl.col("page").str.replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", "")
"""A page's path (scheme and host dropped): ``/shop/product/:id``."""

Step = str | pl.Expr
"""One step of a pattern or funnel: a label to equal (see ``label=``), or a boolean
expression over the event stream's columns (:func:`event_stream`)."""

_FRUSTRATION_KINDS: Final = ("rage_click", "dead_click", "error_click", "slow_click")


def _mode_label() -> pl.Expr:
    # The most frequent label; ties go to the smallest, so results never depend on order.
    return pl.col("label").drop_nulls().mode().sort().first().alias("label")
