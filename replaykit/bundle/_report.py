"""One self-contained HTML report of a bundle: inline CSS, inline SVG, no scripts, no URLs.

Sections: headline numbers, signals over time (stacked bars), signals by page (stacked
horizontal bars), top frustrating targets (bars and a table), and per-session timelines
for the sessions with the most signals. The charts are drawn here as SVG elements; the
file needs no network and runs no code when opened.

Recordings are hostile input: every label, selector, URL and message is escaped with
:func:`html.escape` before it reaches the page (text and attributes alike), URLs are shown
as text and never linked, and a Content-Security-Policy forbids scripts and every fetch
in case anything slipped through.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from .._text import printable
from ..analysis._signal import SIGNAL_KINDS
from ._bundle import ReplayBundle

__all__ = ["render_report"]

_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_PALETTE: Final = (
    "#d1495b",
    "#edae49",
    "#00798c",
    "#30638e",
    "#6a4c93",
    "#8ac926",
    "#ff595e",
    "#1982c4",
    "#b5838d",
    "#3d405b",
    "#81b29a",
    "#f2cc8f",
    "#e07a5f",
    "#9c6644",
    "#588157",
    "#5e548e",
    "#a8dadc",
)
_KIND_COLOR: Final[dict[str, str]] = {
    k: _PALETTE[i % len(_PALETTE)] for i, k in enumerate(SIGNAL_KINDS)
}
_ACTION_COLOR: Final = {
    "click": "#30638e",
    "input": "#00798c",
    "scroll": "#a0a0a0",
    "navigation": "#6a4c93",
    "console_error": "#d1495b",
}
_BUCKETS_MS: Final = (
    60_000,
    300_000,
    900_000,
    3_600_000,
    6 * 3_600_000,
    86_400_000,
    7 * 86_400_000,
    30 * 86_400_000,
)
_MAX_BARS: Final = 60

_CSS: Final = """
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; background: #fafafa; }
h1 { margin: 0 0 4px; font-size: 1.6rem; }
h2 { font-size: 1.2rem; margin: 0 0 12px; }
header p { margin: 0; color: #666; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 16px;
  margin: 16px 0; }
.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
  gap: 12px; }
.stat { border-left: 4px solid #30638e; padding: 4px 10px; }
.stat .value { display: block; font-size: 1.5rem; font-weight: 600; }
.stat .label { color: #666; font-size: .85rem; }
svg.chart { width: 100%; height: auto; display: block; }
svg text { font-size: 11px; fill: #333; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 8px 0 0; padding: 0;
  list-style: none; font-size: .85rem; }
.legend span { display: inline-block; width: 10px; height: 10px; margin-right: 4px;
  border-radius: 2px; }
table { border-collapse: collapse; width: 100%; margin-top: 12px; font-size: .85rem; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee;
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td code { word-break: break-all; }
figure.timeline { margin: 0 0 14px; }
figcaption { font-size: .85rem; color: #444; margin-bottom: 2px; }
.empty { color: #888; font-style: italic; }
"""


def _e(value: object) -> str:
    """Escape anything for HTML text or a quoted attribute (control characters shown as
    escapes: a page must not carry a recording's ESC or BEL to whoever copies its text)."""
    return html.escape(printable("" if value is None else str(value)), quote=True)


def _duration(ms: float | None) -> str:
    if ms is None:
        return "–"
    seconds = int(ms // 1000)
    if seconds < 60:
        return f"{ms / 1000:.1f}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _when(ms: int | None) -> str:
    if ms is None:
        return "–"
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _short(text: str | None, limit: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path(page: str | None, *, with_host: bool = False) -> str:
    """A page as its path; ``with_host`` keeps the host (several hosts serve one path)."""
    if not page:
        return "(unknown page)"
    _, sep, rest = page.partition("://")
    if sep and "/" in rest:
        host, path = rest.split("/", 1)
        return f"{host}/{path}" if with_host else "/" + path
    return page


def _many_hosts(pages: Sequence[str | None]) -> bool:
    """Whether the pages shown come from more than one host (then paths alone would
    merge different pages, e.g. two shops' ``/checkout``)."""
    hosts = {p.partition("://")[2].split("/", 1)[0] for p in pages if p and "://" in p}
    return len(hosts) > 1


# --- SVG pieces -------------------------------------------------------------------------------


@dataclass
class _Svg:
    width: int
    height: int
    label: str
    parts: list[str]

    def render(self, css_class: str = "chart") -> str:
        body = "".join(self.parts)
        return (
            f'<svg class="{css_class}" role="img" '
            f'viewBox="0 0 {self.width} {self.height}" aria-label="{_e(self.label)}">'
            f"<title>{_e(self.label)}</title>{body}</svg>"
        )


def _legend(kinds: Sequence[str]) -> str:
    items = "".join(
        f'<li><span style="background:{_KIND_COLOR.get(k, "#999")}"></span>{_e(k)}</li>'
        for k in kinds
    )
    return f'<ul class="legend">{items}</ul>'


def _empty_chart(label: str, message: str) -> str:
    svg = _Svg(600, 60, label, [f'<text x="10" y="34" class="empty">{_e(message)}</text>'])
    return svg.render()


def _bucket(span_ms: int) -> int:
    for size in _BUCKETS_MS:
        if span_ms // size < _MAX_BARS:
            return size
    return _BUCKETS_MS[-1]


def _bucket_name(size: int) -> str:
    names = {60_000: "minute", 3_600_000: "hour", 86_400_000: "day", 7 * 86_400_000: "week"}
    return names.get(size, _duration(size))


def _over_time(bundle: ReplayBundle) -> str:
    span = bundle.signals.select(
        pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last")
    ).collect()
    first, last = span["first"][0], span["last"][0]
    if first is None or last is None:
        return _empty_chart("Signals over time", "No signals.")
    size = _bucket(max(0, last - first))
    counts = bundle.signals_over_time(size).collect()
    if counts.height == 0:
        return _empty_chart("Signals over time", "No signals.")
    kinds = [k for k in SIGNAL_KINDS if k in set(counts["kind"])]
    start = first // size * size
    n = (last // size * size - start) // size + 1
    per: dict[int, dict[str, int]] = {}
    for row in counts.iter_rows(named=True):
        per.setdefault((row["bucket"] - start) // size, {})[row["kind"]] = row["count"]
    top = max(sum(v.values()) for v in per.values())
    width, height, left, bottom, top_pad = 900, 260, 46, 36, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    bar = plot_w / n
    parts = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" '
        f'y2="{top_pad + plot_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0</text>',
    ]
    for i in range(n):
        counts_i = per.get(i, {})
        y = float(top_pad + plot_h)
        for kind in kinds:
            value = counts_i.get(kind, 0)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            tip = f"{_when(start + i * size)}: {value} {kind}"
            parts.append(
                f'<rect class="bar" x="{left + i * bar + 1:.1f}" y="{y:.1f}" '
                f'width="{max(bar - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{_KIND_COLOR[kind]}"><title>{_e(tip)}</title></rect>'
            )
    for i in sorted({0, n // 2, n - 1}):
        label = dt.datetime.fromtimestamp((start + i * size) / 1000, dt.UTC)
        text = label.strftime("%Y-%m-%d" if size >= 86_400_000 else "%m-%d %H:%M")
        x = left + (i + 0.5) * bar
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        if i == 0:
            x = left
        elif i == n - 1:
            x = width - 10
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="{anchor}">{_e(text)}</text>'
        )
    svg = _Svg(width, height, f"Signals per {_bucket_name(size)}", parts)
    return svg.render() + _legend(kinds)


def _hbars(rows: Sequence[tuple[str, dict[str, int]]], kinds: Sequence[str], label: str) -> str:
    """Horizontal stacked bars: one row per (name, counts per kind)."""
    if not rows:
        return _empty_chart(label, "Nothing to show.")
    top = max(sum(c.values()) for _, c in rows) or 1
    row_h, name_w, width = 24, 300, 900
    height = row_h * len(rows) + 10
    plot_w = width - name_w - 60
    # Names are right-aligned to the bars: cut them to what fits in the name column (about
    # 7 px a character at the chart's font size) so none runs off the left edge.
    fits = (name_w - 16) // 7
    parts = []
    for i, (name, counts) in enumerate(rows):
        y = 5 + i * row_h
        parts.append(
            f'<text x="{name_w - 8}" y="{y + 15}" text-anchor="end">{_e(_short(name, fits))}'
            f"<title>{_e(name)}</title></text>"
        )
        x = float(name_w)
        for kind in kinds:
            value = counts.get(kind, 0)
            if not value:
                continue
            w = plot_w * value / top
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{_KIND_COLOR.get(kind, "#30638e")}"><title>{_e(f"{value} {kind}")}'
                f"</title></rect>"
            )
            x += w
        total = sum(counts.values())
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{total}</text>')
    return _Svg(width, height, label, parts).render()


def _by_page(bundle: ReplayBundle, limit: int) -> str:
    df = bundle.signals_by_page().collect()
    if df.height == 0:
        return _empty_chart("Signals by page", "No signals.")
    totals = (
        df.group_by("page")
        .agg(pl.col("count").sum().alias("total"))
        .sort(["total", "page"], descending=[True, False], nulls_last=True)
        .head(limit)
    )
    rows = []
    pages = totals["page"].to_list()
    hosts = _many_hosts(pages)
    for page in pages:
        part = df.filter(pl.col("page").eq_missing(page))
        rows.append(
            (_path(page, with_host=hosts), dict(zip(part["kind"], part["count"], strict=True)))
        )
    kinds = [k for k in SIGNAL_KINDS if k in set(df["kind"])]
    return _hbars(rows, kinds, "Signals by page") + _legend(kinds)


def _targets(bundle: ReplayBundle, limit: int) -> str:
    df = (
        bundle.elements.filter(pl.col("frustration") > 0)
        .sort(["frustration", "clicks"], descending=True)
        .head(limit)
        .collect()
    )
    if df.height == 0:
        return _empty_chart("Top frustrating targets", "No rage, dead or error clicks.")
    kinds = ["rage_click", "dead_click", "error_click"]
    hosts = _many_hosts(df["page"].to_list())
    rows = [
        (
            f"{r['label'] or r['target'] or '(unknown)'} · {_path(r['page'], with_host=hosts)}",
            {
                "rage_click": r["rage_clicks"],
                "dead_click": r["dead_clicks"],
                "error_click": r["error_clicks"],
            },
        )
        for r in df.iter_rows(named=True)
    ]
    head = (
        "<tr><th>target</th><th>page</th><th class=num>clicks</th><th class=num>sessions</th>"
        "<th class=num>rage</th><th class=num>dead</th><th class=num>error</th>"
        "<th class=num>rage rate</th></tr>"
    )
    body = "".join(
        "<tr>"
        f"<td>{_e(r['label'])}<br><code>{_e(_short(r['target'], 80))}</code></td>"
        f"<td><code>{_e(_path(r['page'], with_host=hosts))}</code></td>"
        f"<td class=num>{r['clicks']}</td><td class=num>{r['sessions']}</td>"
        f"<td class=num>{r['rage_clicks']}</td><td class=num>{r['dead_clicks']}</td>"
        f"<td class=num>{r['error_clicks']}</td>"
        f"<td class=num>{100 * r['rage_rate']:.0f}%</td>"
        "</tr>"
        for r in df.iter_rows(named=True)
    )
    chart = _hbars(rows, kinds, "Top frustrating targets")
    return chart + _legend(kinds) + f"<table>{head}{body}</table>"


def _timelines(bundle: ReplayBundle, limit: int) -> str:
    chosen = (
        bundle.sessions.filter(~pl.col("failed"))
        .sort(["n_signals", "duration_ms", "replay_id"], descending=[True, True, False])
        .head(limit)
        .select(
            "replay_id", "start_timestamp", "duration_ms", "n_actions", "n_signals", "entry_url"
        )
        .collect()
    )
    if chosen.height == 0:
        return '<p class="empty">No sessions.</p>'
    ids = chosen["replay_id"].to_list()
    sub = bundle.only(ids)
    actions = sub.actions.select("replay_id", "seq", "kind", "t_ms", "label", "url").collect()
    signals = sub.signals.select("replay_id", "kind", "t_ms", "duration_ms", "label").collect()
    by_a = actions.partition_by("replay_id", as_dict=True)
    by_s = signals.partition_by("replay_id", as_dict=True)
    out = []
    for s in chosen.iter_rows(named=True):
        rid = s["replay_id"]
        acts = by_a.get((rid,))
        sigs = by_s.get((rid,))
        out.append(_timeline(s, acts, sigs))
    return "".join(out)


def _timeline(session: dict[str, Any], acts: pl.DataFrame | None, sigs: pl.DataFrame | None) -> str:
    duration = max(int(session["duration_ms"] or 0), 1)
    width, height, left, right = 900, 70, 10, 10
    plot = width - left - right
    axis_y = 30

    def x(t: int | None) -> float:
        return left + plot * min(max(t or 0, 0), duration) / duration

    parts = [f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="#bbb"/>']
    if acts is not None:
        for r in acts.iter_rows(named=True):
            color = _ACTION_COLOR.get(r["kind"], "#777")
            tip = f"{r['t_ms'] / 1000:.1f}s {r['kind']} {r['label'] or ''}".strip()
            parts.append(
                f'<line class="action" x1="{x(r["t_ms"]):.1f}" y1="{axis_y - 8}" '
                f'x2="{x(r["t_ms"]):.1f}" y2="{axis_y + 8}" stroke="{color}" stroke-width="2">'
                f"<title>{_e(tip)}</title></line>"
            )
    if sigs is not None:
        for r in sigs.iter_rows(named=True):
            color = _KIND_COLOR.get(r["kind"], "#d1495b")
            tip = f"{r['t_ms'] / 1000:.1f}s {r['kind']} {r['label'] or ''}".strip()
            if r["duration_ms"]:
                w = max(x(r["t_ms"] + r["duration_ms"]) - x(r["t_ms"]), 2)
                parts.append(
                    f'<rect class="signal" x="{x(r["t_ms"]):.1f}" y="{axis_y + 12}" '
                    f'width="{w:.1f}" height="8" fill="{color}" opacity="0.7">'
                    f"<title>{_e(tip)}</title></rect>"
                )
            else:
                parts.append(
                    f'<circle class="signal" cx="{x(r["t_ms"]):.1f}" cy="{axis_y + 16}" r="5" '
                    f'fill="{color}"><title>{_e(tip)}</title></circle>'
                )
    parts.append(f'<text x="{left}" y="{height - 4}">0s</text>')
    parts.append(
        f'<text x="{width - right}" y="{height - 4}" text-anchor="end">'
        f"{_e(_duration(duration))}</text>"
    )
    rid = session["replay_id"]
    caption = (
        f"<b>{_e(rid)}</b> · {_e(_when(session['start_timestamp']))} · "
        f"{_e(_duration(session['duration_ms']))} · {session['n_actions']} actions · "
        f"{session['n_signals']} signals · <code>{_e(_short(session['entry_url'], 80))}</code>"
    )
    svg = _Svg(width, height, f"Timeline of {rid}", parts).render("chart timeline-chart")
    return (
        f'<figure class="timeline" data-replay-id="{_e(rid)}">'
        f"<figcaption>{caption}</figcaption>{svg}</figure>"
    )


def _stat(key: str, value: str, label: str) -> str:
    return (
        f'<div class="stat" data-stat="{_e(key)}"><span class="value">{_e(value)}</span>'
        f'<span class="label">{_e(label)}</span></div>'
    )


def render_report(
    bundle: ReplayBundle,
    *,
    title: str = "Session replay report",
    top: int = 12,
    sessions: int = 10,
) -> str:
    """The bundle as one self-contained HTML page (a string).

    ``top`` bounds the pages and targets charted, ``sessions`` the timelines drawn (the
    sessions with the most signals).
    """
    s = bundle.summary()
    n = int(s["sessions"])
    signals_by_kind: dict[str, int] = s["signals_by_kind"]
    stats = [
        _stat("sessions", f"{n}", "sessions"),
        _stat("failed", f"{s['failed']}", "could not be read"),
        _stat("duration", _duration(s["duration_ms"]), "recorded in total"),
        _stat("median_duration", _duration(s["median_duration_ms"]), "median session"),
        _stat("active", _duration(s["active_ms"]), "active (user actions)"),
        _stat("actions", f"{s['actions']}", "actions"),
        _stat("page_visits", f"{s['page_visits']}", "page visits"),
        _stat("signals", f"{s['signals']}", "signals"),
        _stat(
            "error_sessions",
            _pct(int(s["error_sessions"]), n),
            f"sessions with console errors ({s['error_sessions']})",
        ),
        _stat(
            "rage_sessions",
            _pct(int(s["rage_sessions"]), n),
            f"sessions with rage clicks ({s['rage_sessions']})",
        ),
        _stat("dead_clicks", f"{signals_by_kind.get('dead_click', 0)}", "dead clicks"),
    ]
    span = f"{_when(s['first_timestamp'])} – {_when(s['last_timestamp'])}"
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        f'<section id="headline" class="headline">{"".join(stats)}</section>',
        f'<section id="signals-over-time"><h2>Signals over time</h2>{_over_time(bundle)}</section>',
        f'<section id="signals-by-page"><h2>Signals by page</h2>{_by_page(bundle, top)}</section>',
        '<section id="frustrating-targets"><h2>Top frustrating targets</h2>'
        f"{_targets(bundle, top)}</section>",
        '<section id="timelines"><h2>Session timelines</h2>'
        f"{_timelines(bundle, sessions)}</section>",
    ]
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{n} sessions, {_e(span)} · generated "
        f"{_e(generated)} by replaykit</p></header>" + "".join(sections) + "</body></html>\n"
    )
