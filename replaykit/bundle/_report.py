"""One self-contained HTML report of a bundle: inline CSS, inline SVG, no scripts, no URLs.

Sections: headline numbers, signals over time (stacked bars), signals by page (stacked
horizontal bars), top frustrating targets (bars and a table), and per-session timelines
for the sessions with the most signals. The charts are laid out here (shapes and their
coordinates, :class:`_Chart`) and drawn as SVG elements by the jinja2 templates in
``templates/`` (``report.html.j2``, the SVG macros in ``_svg.html.j2``, ``report.css``);
the file needs no network and runs no code when opened.

Recordings are hostile input: the templates render with autoescape on (text and
attributes alike, nothing marked safe), every text from a recording has its control
characters shown as escapes (:func:`~replaykit._text.printable`) before it reaches them,
URLs are shown as text and never linked, and a Content-Security-Policy forbids scripts
and every fetch in case anything slipped through.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import jinja2
import polars as pl

from .._text import printable
from ..analysis._signal import SIGNAL_KINDS
from ._bundle import ReplayBundle

__all__ = ["render_chart", "render_report", "render_template"]

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


def _finalize(value: object) -> object:
    """What every ``{{ ... }}`` prints: None as nothing, strings with control characters
    shown as escapes (again: :func:`_t` already did for recording text; it is
    idempotent), before autoescape."""
    if value is None:
        return ""
    if isinstance(value, str) and not hasattr(value, "__html__"):  # not rendered markup
        return printable(value)
    return value


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("replaykit.bundle", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render one of the package's templates (autoescape on)."""
    return _environment().get_template(name).render(**context)


def _t(value: object) -> str:
    """Recording text for the templates: control characters shown as escapes (a page must
    not carry a recording's ESC or BEL to whoever copies its text); HTML escaping is the
    templates' autoescape."""
    return printable("" if value is None else str(value))


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


# --- chart layout -----------------------------------------------------------------------


_Attrs = tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class _Shape:
    """One SVG element: its name, attributes (in order), text and tooltip."""

    el: str
    attrs: _Attrs
    text: str = ""
    tip: str = ""


@dataclass
class _Chart:
    """An SVG chart: its size, accessible label and shapes (drawn by ``_svg.html.j2``)."""

    width: int
    height: int
    label: str
    shapes: list[_Shape] = field(default_factory=list)
    css_class: str = "chart"


def render_chart(chart: _Chart) -> str:
    """One chart as SVG markup (the template macro the report uses)."""
    module = _environment().get_template("_svg.html.j2").module
    return str(module.chart(chart))  # type: ignore[attr-defined]


def _kinds(kinds: Sequence[str]) -> list[tuple[str, str]]:
    """A legend: (kind, colour) pairs."""
    return [(k, _KIND_COLOR.get(k, "#999")) for k in kinds]


def _empty_chart(label: str, message: str) -> _Chart:
    return _Chart(
        600, 60, label, [_Shape("text", (("x", 10), ("y", 34), ("class", "empty")), message)]
    )


def _bucket(span_ms: int) -> int:
    for size in _BUCKETS_MS:
        if span_ms // size < _MAX_BARS:
            return size
    return _BUCKETS_MS[-1]


def _bucket_name(size: int) -> str:
    names = {60_000: "minute", 3_600_000: "hour", 86_400_000: "day", 7 * 86_400_000: "week"}
    return names.get(size, _duration(size))


def _over_time(bundle: ReplayBundle) -> dict[str, Any]:
    span = bundle.signals.select(
        pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last")
    ).collect()
    first, last = span["first"][0], span["last"][0]
    if first is None or last is None:
        return {"chart": _empty_chart("Signals over time", "No signals."), "kinds": []}
    size = _bucket(max(0, last - first))
    counts = bundle.signals_over_time(size).collect()
    if counts.height == 0:
        return {"chart": _empty_chart("Signals over time", "No signals."), "kinds": []}
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
    base = top_pad + plot_h
    shapes = [
        _Shape(
            "line",
            (("x1", left), ("y1", base), ("x2", width - 10), ("y2", base), ("stroke", "#999")),
        ),
        _Shape("text", (("x", left - 6), ("y", top_pad + 10), ("text-anchor", "end")), str(top)),
        _Shape("text", (("x", left - 6), ("y", base), ("text-anchor", "end")), "0"),
    ]
    for i in range(n):
        counts_i = per.get(i, {})
        y = float(base)
        for kind in kinds:
            value = counts_i.get(kind, 0)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            attrs: _Attrs = (
                ("class", "bar"),
                ("x", f"{left + i * bar + 1:.1f}"),
                ("y", f"{y:.1f}"),
                ("width", f"{max(bar - 2, 1):.1f}"),
                ("height", f"{h:.1f}"),
                ("fill", _KIND_COLOR[kind]),
            )
            shapes.append(_Shape("rect", attrs, tip=f"{_when(start + i * size)}: {value} {kind}"))
    for i in sorted({0, n // 2, n - 1}):
        label = dt.datetime.fromtimestamp((start + i * size) / 1000, dt.UTC)
        text = label.strftime("%Y-%m-%d" if size >= 86_400_000 else "%m-%d %H:%M")
        x = left + (i + 0.5) * bar
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        if i == 0:
            x = left
        elif i == n - 1:
            x = width - 10
        shapes.append(
            _Shape("text", (("x", f"{x:.1f}"), ("y", height - 12), ("text-anchor", anchor)), text)
        )
    chart = _Chart(width, height, f"Signals per {_bucket_name(size)}", shapes)
    return {"chart": chart, "kinds": _kinds(kinds)}


def _hbars(rows: Sequence[tuple[str, dict[str, int]]], kinds: Sequence[str], label: str) -> _Chart:
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
    shapes = []
    for i, (name, counts) in enumerate(rows):
        y = 5 + i * row_h
        shapes.append(
            _Shape(
                "text",
                (("x", name_w - 8), ("y", y + 15), ("text-anchor", "end")),
                _t(_short(name, fits)),
                tip=_t(name),
            )
        )
        x = float(name_w)
        for kind in kinds:
            value = counts.get(kind, 0)
            if not value:
                continue
            w = plot_w * value / top
            attrs: _Attrs = (
                ("class", "bar"),
                ("x", f"{x:.1f}"),
                ("y", y + 3),
                ("width", f"{w:.1f}"),
                ("height", row_h - 6),
                ("fill", _KIND_COLOR.get(kind, "#30638e")),
            )
            shapes.append(_Shape("rect", attrs, tip=f"{value} {kind}"))
            x += w
        total = sum(counts.values())
        shapes.append(_Shape("text", (("x", f"{x + 6:.1f}"), ("y", y + 15)), str(total)))
    return _Chart(width, height, label, shapes)


def _by_page(bundle: ReplayBundle, limit: int) -> dict[str, Any]:
    df = bundle.signals_by_page().collect()
    if df.height == 0:
        return {"chart": _empty_chart("Signals by page", "No signals."), "kinds": []}
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
    return {"chart": _hbars(rows, kinds, "Signals by page"), "kinds": _kinds(kinds)}


def _targets(bundle: ReplayBundle, limit: int) -> dict[str, Any]:
    df = (
        bundle.elements.filter(pl.col("frustration") > 0)
        .sort(["frustration", "clicks"], descending=True)
        .head(limit)
        .collect()
    )
    label = "Top frustrating targets"
    if df.height == 0:
        return {"chart": _empty_chart(label, "No rage, dead or error clicks."), "kinds": []}
    kinds = ["rage_click", "dead_click", "error_click"]
    hosts = _many_hosts(df["page"].to_list())
    bars = []
    table = []
    for r in df.iter_rows(named=True):
        page = _path(r["page"], with_host=hosts)
        name = f"{r['label'] or r['target'] or '(unknown)'} · {page}"
        counts = {
            "rage_click": r["rage_clicks"],
            "dead_click": r["dead_clicks"],
            "error_click": r["error_clicks"],
        }
        bars.append((name, counts))
        table.append(
            {
                "label": _t(r["label"]),
                "target": _t(_short(r["target"], 80)),
                "page": _t(page),
                "clicks": r["clicks"],
                "sessions": r["sessions"],
                "rage": r["rage_clicks"],
                "dead": r["dead_clicks"],
                "error": r["error_clicks"],
                "rage_rate": f"{100 * r['rage_rate']:.0f}%",
            }
        )
    return {"chart": _hbars(bars, kinds, label), "kinds": _kinds(kinds), "rows": table}


def _timelines(bundle: ReplayBundle, limit: int) -> list[dict[str, Any]]:
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
        return []
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
    return out


def _tip(r: dict[str, Any]) -> str:
    return _t(f"{r['t_ms'] / 1000:.1f}s {r['kind']} {r['label'] or ''}".strip())


def _timeline(
    session: dict[str, Any], acts: pl.DataFrame | None, sigs: pl.DataFrame | None
) -> dict[str, Any]:
    duration = max(int(session["duration_ms"] or 0), 1)
    width, height, left, right = 900, 70, 10, 10
    plot = width - left - right
    axis_y = 30

    def x(t: int | None) -> str:
        return f"{left + plot * min(max(t or 0, 0), duration) / duration:.1f}"

    shapes = [
        _Shape(
            "line",
            (
                ("x1", left),
                ("y1", axis_y),
                ("x2", width - right),
                ("y2", axis_y),
                ("stroke", "#bbb"),
            ),
        )
    ]
    if acts is not None:
        for r in acts.iter_rows(named=True):
            at = x(r["t_ms"])
            attrs: _Attrs = (
                ("class", "action"),
                ("x1", at),
                ("y1", axis_y - 8),
                ("x2", at),
                ("y2", axis_y + 8),
                ("stroke", _ACTION_COLOR.get(r["kind"], "#777")),
                ("stroke-width", 2),
            )
            shapes.append(_Shape("line", attrs, tip=_tip(r)))
    if sigs is not None:
        for r in sigs.iter_rows(named=True):
            color = _KIND_COLOR.get(r["kind"], "#d1495b")
            at = x(r["t_ms"])
            if r["duration_ms"]:
                w = max(float(x(r["t_ms"] + r["duration_ms"])) - float(at), 2)
                attrs = (
                    ("class", "signal"),
                    ("x", at),
                    ("y", axis_y + 12),
                    ("width", f"{w:.1f}"),
                    ("height", 8),
                    ("fill", color),
                    ("opacity", "0.7"),
                )
                shapes.append(_Shape("rect", attrs, tip=_tip(r)))
            else:
                attrs = (
                    ("class", "signal"),
                    ("cx", at),
                    ("cy", axis_y + 16),
                    ("r", 5),
                    ("fill", color),
                )
                shapes.append(_Shape("circle", attrs, tip=_tip(r)))
    shapes.append(_Shape("text", (("x", left), ("y", height - 4)), "0s"))
    shapes.append(
        _Shape(
            "text",
            (("x", width - right), ("y", height - 4), ("text-anchor", "end")),
            _duration(duration),
        )
    )
    rid = _t(session["replay_id"])
    chart = _Chart(width, height, f"Timeline of {rid}", shapes, "chart timeline-chart")
    return {
        "replay_id": rid,
        "when": _when(session["start_timestamp"]),
        "duration": _duration(session["duration_ms"]),
        "n_actions": session["n_actions"],
        "n_signals": session["n_signals"],
        "entry_url": _t(_short(session["entry_url"], 80)),
        "chart": chart,
    }


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
        ("sessions", f"{n}", "sessions"),
        ("failed", f"{s['failed']}", "could not be read"),
        ("duration", _duration(s["duration_ms"]), "recorded in total"),
        ("median_duration", _duration(s["median_duration_ms"]), "median session"),
        ("active", _duration(s["active_ms"]), "active (user actions)"),
        ("actions", f"{s['actions']}", "actions"),
        ("page_visits", f"{s['page_visits']}", "page visits"),
        ("signals", f"{s['signals']}", "signals"),
        (
            "error_sessions",
            _pct(int(s["error_sessions"]), n),
            f"sessions with console errors ({s['error_sessions']})",
        ),
        (
            "rage_sessions",
            _pct(int(s["rage_sessions"]), n),
            f"sessions with rage clicks ({s['rage_sessions']})",
        ),
        ("dead_clicks", f"{signals_by_kind.get('dead_click', 0)}", "dead clicks"),
    ]
    return render_template(
        "report.html.j2",
        title=_t(title),
        n_sessions=n,
        span=f"{_when(s['first_timestamp'])} – {_when(s['last_timestamp'])}",
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        stats=[{"key": k, "value": v, "label": label} for k, v, label in stats],
        over_time=_over_time(bundle),
        by_page=_by_page(bundle, top),
        targets={"rows": [], **_targets(bundle, top)},
        timelines=_timelines(bundle, sessions),
    )
