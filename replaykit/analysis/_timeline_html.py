"""The timeline as a small HTML table, for notebooks (``AnalyzedReplay._repr_html_``).

Every text comes from a recording, so each cell is escaped (control characters shown as
escapes first, then HTML-escaped): a label holding ``<script>`` or ``ESC[2J`` reads as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from .._text import printable
from ._actions import Action
from ._mobile import describe_any
from ._signal import Signal
from ._timeline import describe_signal, short_url

__all__ = ["timeline_html"]

_MAX_ROWS = 500  # a notebook cell stays readable; the rest is counted


def _e(text: object) -> str:
    return html.escape(printable("" if text is None else str(text)), quote=True)


def timeline_html(
    title: str,
    summary: str,
    actions: Sequence[Action],
    signals: Iterable[Signal] = (),
) -> str:
    """An HTML table: one row per action (page loads folded into their navigation) and per
    signal (marked ⚠), in time order; at most 500 rows."""
    rows: list[tuple[int, int, str, str, str]] = [
        (a.timestamp, 0, f"{a.t_ms / 1000:.1f}s", describe_any(a), short_url(a.url))
        for a in actions
        if a.kind != "page_load"
    ]
    rows += [
        (s.timestamp, 1, f"{s.t_ms / 1000:.1f}s", "⚠ " + describe_signal(s), short_url(s.url))
        for s in signals
    ]
    rows.sort(key=lambda r: (r[0], r[1]))
    shown = rows[:_MAX_ROWS]
    body = "".join(
        f"<tr><td style='text-align:right'>{_e(t)}</td><td style='text-align:left'>{_e(what)}"
        f"</td><td style='text-align:left'><code>{_e(page)}</code></td></tr>"
        for _, _, t, what, page in shown
    )
    more = (
        f"<p>… {len(rows) - _MAX_ROWS} more rows (see <code>.markdown()</code>)</p>"
        if len(rows) > _MAX_ROWS
        else ""
    )
    return (
        f"<div><strong>{_e(title)}</strong><p>{_e(summary)}</p>"
        "<table><thead><tr><th>t</th><th style='text-align:left'>what</th>"
        "<th style='text-align:left'>page</th></tr></thead>"
        f"<tbody>{body}</tbody></table>{more}</div>"
    )
