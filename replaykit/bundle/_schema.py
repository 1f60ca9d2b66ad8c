"""The bundle's frames: one ``pl.Schema`` per frame, with units and meanings beside each column.

This module is the one place where bundle column names, dtypes and units are decided. The
schema table in :mod:`replaykit.bundle`'s docstring is generated from it
(``python -m replaykit.bundle._schema`` prints it; a test checks the two agree).

Conventions (``architecture.md``): ``timestamp`` columns are epoch milliseconds (Int64) as
recorded, ``t_ms`` milliseconds from the replay's first event, durations milliseconds;
identifiers are strings; ``page`` is a URL with ids folded out (``normalize_url``).
Every frame carries ``day``, the UTC date of its session's start: the Parquet dataset is
partitioned by it (``day=YYYY-MM-DD``) and a whole session always lands in one partition.
"""

from __future__ import annotations

import textwrap
from typing import Final, NamedTuple

import polars as pl

from ..analysis._actions import ACTION_KINDS
from ..analysis._signal import SIGNAL_KINDS

__all__ = [
    "ACTIONS_SCHEMA",
    "ACTION_KIND",
    "COLUMNS",
    "EVENTS_SCHEMA",
    "FRAME_DOCS",
    "MIXPANEL_SCHEMA",
    "PAGES_SCHEMA",
    "SCHEMAS",
    "SESSIONS_SCHEMA",
    "SIGNALS_SCHEMA",
    "SIGNAL_KIND",
    "STORED_FRAMES",
    "Column",
    "action_count_column",
    "schema_markdown",
    "schema_table",
    "signal_count_column",
]

ACTION_KIND: Final = pl.Enum(list(ACTION_KINDS))
"""``kind`` of the actions frame: a fixed vocabulary, so an Enum (1 byte a row, fast groups)."""

SIGNAL_KIND: Final = pl.Enum(list(SIGNAL_KINDS))
"""``kind`` of the signals frame."""

NO_DAY_NOTE: Final = "1970-01-01 when the replay has no timestamps (failed or empty)"


class Column(NamedTuple):
    """One documented column: name, Polars dtype, unit (``""`` for none) and meaning."""

    name: str
    dtype: pl.DataType
    unit: str
    doc: str


def action_count_column(kind: str) -> str:
    """Name of the sessions column counting actions of ``kind`` (``actions_click``)."""
    return f"actions_{kind}"


def signal_count_column(kind: str) -> str:
    """Name of the sessions column counting signals of ``kind`` (``signals_rage_click``)."""
    return f"signals_{kind}"


_I32 = pl.Int32()
_I64 = pl.Int64()
_F64 = pl.Float64()
_STR = pl.String()
_BOOL = pl.Boolean()
_DATE = pl.Date()

_ID = Column("replay_id", _STR, "", "replay id")
_DAY = Column("day", _DATE, "UTC date", f"day of the session's start; {NO_DAY_NOTE}")

_SESSIONS: list[Column] = [
    _ID,
    _DAY,
    Column("source", _STR, "", "where the recording came from (path, or `mixpanel:` id)"),
    Column("distinct_id", _STR, "", "the user, when known (Mixpanel)"),
    Column("start_timestamp", _I64, "epoch ms", "first event (after outlier repair)"),
    Column("end_timestamp", _I64, "epoch ms", "last event"),
    Column("duration_ms", _I64, "ms", "end − start (0 when unknown)"),
    Column(
        "active_ms",
        _I64,
        "ms",
        "PostHog active time when the tape was given; otherwise time covered by user "
        "actions, gaps ≤ 5 s bridged (a lower bound: pointer movement is not an action)",
    ),
    Column("n_actions", _I32, "count", "actions of every kind"),
    Column("n_signals", _I32, "count", "signals of every kind"),
    Column("n_pages", _I32, "count", "page visits (rows in `pages`)"),
    Column("n_events", _I64, "count", "rrweb events decoded"),
    Column("n_mp_events", _I32, "count", "Mixpanel events joined (rows in `mixpanel`)"),
    Column("entry_url", _STR, "", "URL of the first visit"),
    Column("exit_url", _STR, "", "URL of the last visit"),
    Column("entry_page", _STR, "", "`entry_url` with ids folded out"),
    Column("exit_page", _STR, "", "`exit_url` with ids folded out"),
    *(Column(action_count_column(k), _I32, "count", f"`{k}` actions") for k in ACTION_KINDS),
    *(Column(signal_count_column(k), _I32, "count", f"`{k}` signals") for k in SIGNAL_KINDS),
    Column("truncated", _BOOL, "", "part of the recording could not be analyzed"),
    Column("failed", _BOOL, "", "the recording could not be read (no actions)"),
    Column("failure_error", _STR, "", "error class when `failed`"),
    Column("failure_message", _STR, "", "error message when `failed`"),
    Column("unknown_events", _I64, "count", "events of unknown kinds skipped"),
    Column("malformed_events", _I64, "count", "elements that were not events"),
    Column("repaired_timestamps", _I64, "count", "timestamps repaired as outliers"),
    Column("documents", _I32, "count", "documents (page loads) seen"),
    Column("coverage", _STR, "JSON", "the full coverage record"),
    Column(
        "platform",
        _STR,
        "",
        "`web`, or `android`/`ios`/`flutter`/`react-native` (mobile screenshot replays)",
    ),
]

_ACTIONS: list[Column] = [
    _ID,
    _DAY,
    Column("seq", _I32, "", "action number in its replay (0, 1, ...)"),
    Column("kind", ACTION_KIND, "", "action kind"),
    Column("timestamp", _I64, "epoch ms", "when it happened"),
    Column("t_ms", _I64, "ms", "from the replay's first event"),
    Column("end_t_ms", _I64, "ms", "end of an input/scroll burst (null for instants)"),
    Column("node_id", _I64, "", "rrweb node id (scoped to `document`)"),
    Column("target", _STR, "", "CSS-like selector of the element"),
    Column("label", _STR, "", "what a person would call the element"),
    Column("tag", _STR, "", "tag name of a click's element"),
    Column("url", _STR, "", "page URL then"),
    Column("page", _STR, "", "`url` with ids folded out"),
    Column("document", _I32, "", "page load number, from 1"),
    Column("window_id", _STR, "", "browser tab, when recorded"),
    Column("x", _F64, "px", "click position / scroll offset"),
    Column("y", _F64, "px", "click position / scroll offset"),
    Column("dy", _F64, "px", "vertical scroll distance of a scroll burst"),
    Column("button", _STR, "", "click kind: click, dblclick, contextmenu, tap"),
    Column("target_kind", _STR, "", "control, link, text_field, ... (clicks)"),
    Column("reaction_ms", _I64, "ms", "first page reaction after a click"),
    Column("how", _STR, "", "navigation kind: load, push, pop, ..."),
    Column("message", _STR, "", "console error message"),
    Column("details", _STR, "JSON", "the kind-specific details Struct"),
]

_SIGNALS: list[Column] = [
    _ID,
    _DAY,
    Column("seq", _I32, "", "signal number in its replay, in time order"),
    Column("kind", SIGNAL_KIND, "", "signal kind"),
    Column("timestamp", _I64, "epoch ms", "start"),
    Column("t_ms", _I64, "ms", "start, from the replay's first event"),
    Column("end_timestamp", _I64, "epoch ms", "end, for signals that span time"),
    Column("duration_ms", _I64, "ms", "span, for signals that span time"),
    Column("target", _STR, "", "selector of the element involved"),
    Column("label", _STR, "", "label of the element involved"),
    Column("url", _STR, "", "page URL"),
    Column("page", _STR, "", "`url` with ids folded out"),
    Column("document", _I32, "", "page load number"),
    Column("window_id", _STR, "", "browser tab"),
    Column("evidence", pl.List(_I32), "", "`seq` of the actions involved"),
    Column("preset", _STR, "", "definition used (replaykit, posthog, ...)"),
    Column("details", _STR, "JSON", "the kind's measurements and thresholds"),
]

_PAGES: list[Column] = [
    _ID,
    _DAY,
    Column("visit", _I32, "", "visit number in its replay (0, 1, ...)"),
    Column("url", _STR, "", "page URL"),
    Column("page", _STR, "", "`url` with ids folded out"),
    Column("how", _STR, "", "how it was reached: load, push, pop, reload, ..."),
    Column("document", _I32, "", "page load number"),
    Column("window_id", _STR, "", "browser tab"),
    Column("start_timestamp", _I64, "epoch ms", "the navigation"),
    Column("end_timestamp", _I64, "epoch ms", "next navigation in the tab, or replay end"),
    Column("t_ms", _I64, "ms", "start, from the replay's first event"),
    Column("duration_ms", _I64, "ms", "dwell time"),
    Column("n_actions", _I32, "count", "actions during the visit"),
    Column("n_clicks", _I32, "count", "clicks during the visit"),
    Column("n_signals", _I32, "count", "signals during the visit"),
    Column("active_ms", _I64, "ms", "active time in the visit (null without the tape)"),
    Column("max_scroll_y", _F64, "px", "deepest window scroll (null without the tape)"),
    Column("exit", _BOOL, "", "the session's last visit"),
]

_EVENTS: list[Column] = [
    _ID,
    _DAY,
    Column("timestamp", _I64, "epoch ms", "as recorded (after repair)"),
    Column("t_ms", _I64, "ms", "from the replay's first event"),
    Column("type", pl.Int8(), "", "rrweb event type (2 snapshot, 3 incremental, 4 meta, ...)"),
    Column("source", pl.Int8(), "", "incremental source (type 3 only)"),
    Column("mouse_type", pl.Int8(), "", "MouseInteraction type (source 2 only)"),
    Column("node_id", _I64, "", "node the event is about"),
    Column("x", _F64, "px", "pointer or scroll position"),
    Column("y", _F64, "px", "pointer or scroll position"),
    Column("url", _STR, "", "Meta event URL"),
    Column("name", _STR, "", "custom event tag or plugin name"),
]

_MIXPANEL: list[Column] = [
    _ID,
    _DAY,
    Column("timestamp", _I64, "epoch ms", "event time"),
    Column("t_ms", _I64, "ms", "from the replay's first event (null when unknown)"),
    Column("event_name", _STR, "", "Mixpanel event name"),
    Column("distinct_id", _STR, "", "the user"),
    Column("insert_id", _STR, "", "`$insert_id`, for de-duplication"),
    Column("properties", _STR, "JSON", "the event's properties"),
]

COLUMNS: Final[dict[str, list[Column]]] = {
    "sessions": _SESSIONS,
    "actions": _ACTIONS,
    "signals": _SIGNALS,
    "pages": _PAGES,
    "events": _EVENTS,
    "mixpanel": _MIXPANEL,
}
"""Every stored frame's documented columns, in frame order."""

STORED_FRAMES: Final[tuple[str, ...]] = tuple(COLUMNS)
"""Frames a bundle stores (``elements`` is derived from ``actions`` and ``signals``)."""


def _schema(columns: list[Column]) -> pl.Schema:
    return pl.Schema([(c.name, c.dtype) for c in columns])


SESSIONS_SCHEMA: Final = _schema(_SESSIONS)
ACTIONS_SCHEMA: Final = _schema(_ACTIONS)
SIGNALS_SCHEMA: Final = _schema(_SIGNALS)
PAGES_SCHEMA: Final = _schema(_PAGES)
EVENTS_SCHEMA: Final = _schema(_EVENTS)
MIXPANEL_SCHEMA: Final = _schema(_MIXPANEL)

SCHEMAS: Final[dict[str, pl.Schema]] = {name: _schema(cols) for name, cols in COLUMNS.items()}
"""``pl.Schema`` per stored frame."""

ELEMENTS_COLUMNS: Final[list[Column]] = [
    Column("page", _STR, "", "page the element is on"),
    Column("target", _STR, "", "selector"),
    Column("label", _STR, "", "most frequent label"),
    Column("clicks", pl.UInt32(), "count", "clicks on it"),
    Column("sessions", pl.UInt32(), "count", "sessions that clicked it"),
    Column("rage_clicks", pl.UInt32(), "count", "`rage_click` signals on it"),
    Column("rage_sessions", pl.UInt32(), "count", "sessions with a rage burst on it"),
    Column("dead_clicks", pl.UInt32(), "count", "`dead_click` signals on it"),
    Column("error_clicks", pl.UInt32(), "count", "`error_click` signals on it"),
    Column("slow_clicks", pl.UInt32(), "count", "`slow_click` signals on it"),
    Column("rage_rate", _F64, "ratio", "rage_sessions / sessions"),
    Column("dead_rate", _F64, "ratio", "dead_clicks / clicks"),
    Column("error_rate", _F64, "ratio", "error_clicks / clicks"),
    Column("slow_rate", _F64, "ratio", "slow_clicks / clicks"),
    Column("frustration", pl.UInt32(), "count", "rage + dead + error clicks"),
]
"""The derived ``elements`` frame (one row per page and target)."""

FRAME_DOCS: Final[dict[str, str]] = {
    "sessions": "one row per replay (failed ones too, with `failed` set)",
    "actions": "one row per action",
    "signals": "one row per signal",
    "pages": "one row per page visit (from the tape, else from navigation actions)",
    "events": "one row per raw rrweb event (opt-in: `events=True`)",
    "mixpanel": "one row per joined Mixpanel event",
    "elements": "derived: one row per (page, target) with click and frustration counts",
}


def _dtype_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Enum):
        return "Enum"
    return str(dtype)


def _count_group(frame: str, column: str) -> str | None:
    if frame != "sessions":
        return None
    for group in ("actions", "signals"):
        if column.startswith(f"{group}_"):
            return group
    return None


def schema_markdown() -> str:
    """The frames' columns as markdown tables (the bundle docs are generated from this)."""
    parts: list[str] = []
    frames = {**COLUMNS, "elements": ELEMENTS_COLUMNS}
    for name, columns in frames.items():
        parts.append(f"``{name}``: {FRAME_DOCS[name]}.")
        parts.append("")
        parts.append("| column | dtype | unit | meaning |")
        parts.append("| --- | --- | --- | --- |")
        grouped: set[str] = set()
        for col in columns:
            group = _count_group(name, col.name)
            if group is None:
                parts.append(
                    f"| `{col.name}` | {_dtype_name(col.dtype)} | {col.unit} | {col.doc} |"
                )
            elif group not in grouped:
                # One row for the per-kind counts: the kinds are listed in the row.
                grouped.add(group)
                kinds = ACTION_KINDS if group == "actions" else SIGNAL_KINDS
                parts.append(
                    f"| `{group}_<kind>` | {_dtype_name(col.dtype)} | count | one column per "
                    f"{group[:-1]} kind: {', '.join(kinds)} |"
                )
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def _rows(name: str, columns: list[Column]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    grouped: set[str] = set()
    for col in columns:
        group = _count_group(name, col.name)
        if group is None:
            rows.append((col.name, _dtype_name(col.dtype), col.unit, col.doc))
        elif group not in grouped:
            grouped.add(group)
            kinds = ACTION_KINDS if group == "actions" else SIGNAL_KINDS
            rows.append(
                (
                    f"{group}_<kind>",
                    _dtype_name(col.dtype),
                    "count",
                    f"one column per {group[:-1]} kind: {', '.join(kinds)}",
                )
            )
    return rows


def schema_table(width: int = 96) -> str:
    """The frames' columns as fixed-width text tables no wider than ``width`` (for
    docstrings; :mod:`replaykit.bundle`'s is generated from this)."""
    frames = {**COLUMNS, "elements": ELEMENTS_COLUMNS}
    all_rows = {name: _rows(name, cols) for name, cols in frames.items()}
    flat = [r for rows in all_rows.values() for r in rows]
    w_name = max(len(r[0]) for r in flat)
    w_type = max(len(r[1]) for r in flat)
    w_unit = max(max(len(r[2]) for r in flat), len("unit"))
    indent = "    "
    lead = len(indent) + w_name + w_type + w_unit + 6
    w_doc = width - lead
    parts: list[str] = []
    for name, rows in all_rows.items():
        parts.extend(textwrap.wrap(f"``{name}``: {FRAME_DOCS[name]}.", width))
        parts.append("")
        head = f"{indent}{'column':<{w_name}}  {'dtype':<{w_type}}  {'unit':<{w_unit}}  meaning"
        parts.append(head)
        parts.append(f"{indent}{'-' * w_name}  {'-' * w_type}  {'-' * w_unit}  {'-' * 7}")
        for col, dtype, unit, doc in rows:
            lines = textwrap.wrap(doc, w_doc) or [""]
            parts.append(
                f"{indent}{col:<{w_name}}  {dtype:<{w_type}}  {unit:<{w_unit}}  {lines[0]}"
            )
            parts.extend(f"{' ' * lead}{line}" for line in lines[1:])
        parts.append("")
    return "\n".join(line.rstrip() for line in parts).rstrip() + "\n"
