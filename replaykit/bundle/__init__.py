"""Aggregate many analyzed replays into a :class:`ReplayBundle` of Polars LazyFrames.

    bundle = await replaykit.aggregate(replaykit.analyze("recordings/", signals=True))
    bundle.top_clicks(10).collect()
    bundle.write_parquet("out/")                  # hive-partitioned by day
    again = replaykit.ReplayBundle.scan("out/")   # lazily, reading only what a query needs

The stages: :class:`BundleBuilder` (an async sink; :func:`aggregate` drives it over an
async iterable) buffers each replay's rows as column lists and turns every batch into
Polars DataFrames, kept in memory or spilled to a Parquet dataset;
:class:`ReplayBundle` holds the frames as LazyFrames, answers queries with LazyFrames,
writes and scans hive-partitioned Parquet.

Frames and their columns (generated from :mod:`._schema`: ``schema_table()`` prints this,
``schema_markdown()`` the same as markdown). ``timestamp`` columns are epoch ms, ``t_ms``
ms from the replay's first event, durations ms; every frame has ``day``, the partition.

``sessions``: one row per replay (failed ones too, with `failed` set).

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    replay_id            String                 replay id
    day                  Date         UTC date  day of the session's start; 1970-01-01 when the
                                                replay has no timestamps (failed or empty)
    source               String                 where the recording came from (path, or
                                                `mixpanel:` id)
    distinct_id          String                 the user, when known (Mixpanel)
    start_timestamp      Int64        epoch ms  first event (after outlier repair)
    end_timestamp        Int64        epoch ms  last event
    duration_ms          Int64        ms        end − start (0 when unknown)
    active_ms            Int64        ms        PostHog active time when the tape was given;
                                                otherwise time covered by user actions, gaps ≤ 5
                                                s bridged (a lower bound: pointer movement is
                                                not an action)
    n_actions            Int32        count     actions of every kind
    n_signals            Int32        count     signals of every kind
    n_pages              Int32        count     page visits (rows in `pages`)
    n_events             Int64        count     rrweb events decoded
    n_mp_events          Int32        count     Mixpanel events joined (rows in `mixpanel`)
    entry_url            String                 URL of the first visit
    exit_url             String                 URL of the last visit
    entry_page           String                 `entry_url` with ids folded out
    exit_page            String                 `exit_url` with ids folded out
    actions_<kind>       Int32        count     one column per action kind: click, input,
                                                select, toggle, scroll, navigation, page_load,
                                                viewport, selection, console_error
    signals_<kind>       Int32        count     one column per signal kind: rage_click,
                                                dead_click, slow_click, error_click, quick_back,
                                                scroll_reversal, excessive_scroll,
                                                thrashed_cursor, idle, long_pause, form_abandon,
                                                network_error, network_failed, slow_request,
                                                console_error, uncaught_exception, slow_page
    truncated            Boolean                part of the recording could not be analyzed
    failed               Boolean                the recording could not be read (no actions)
    failure_error        String                 error class when `failed`
    failure_message      String                 error message when `failed`
    unknown_events       Int64        count     events of unknown kinds skipped
    malformed_events     Int64        count     elements that were not events
    repaired_timestamps  Int64        count     timestamps repaired as outliers
    documents            Int32        count     documents (page loads) seen
    coverage             String       JSON      the full coverage record
    platform             String                 `web`, or `android`/`ios`/`flutter`/`react-
                                                native` (mobile screenshot replays)

``actions``: one row per action.

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    replay_id            String                 replay id
    day                  Date         UTC date  day of the session's start; 1970-01-01 when the
                                                replay has no timestamps (failed or empty)
    seq                  Int32                  action number in its replay (0, 1, ...)
    kind                 Enum                   action kind
    timestamp            Int64        epoch ms  when it happened
    t_ms                 Int64        ms        from the replay's first event
    end_t_ms             Int64        ms        end of an input/scroll burst (null for instants)
    node_id              Int64                  rrweb node id (scoped to `document`)
    target               String                 CSS-like selector of the element
    label                String                 what a person would call the element
    tag                  String                 tag name of a click's element
    url                  String                 page URL then
    page                 String                 `url` with ids folded out
    document             Int32                  page load number, from 1
    window_id            String                 browser tab, when recorded
    x                    Float64      px        click position / scroll offset
    y                    Float64      px        click position / scroll offset
    dy                   Float64      px        vertical scroll distance of a scroll burst
    button               String                 click kind: click, dblclick, contextmenu, tap
    target_kind          String                 control, link, text_field, ... (clicks)
    reaction_ms          Int64        ms        first page reaction after a click
    how                  String                 navigation kind: load, push, pop, ...
    message              String                 console error message
    details              String       JSON      the kind-specific details Struct

``signals``: one row per signal.

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    replay_id            String                 replay id
    day                  Date         UTC date  day of the session's start; 1970-01-01 when the
                                                replay has no timestamps (failed or empty)
    seq                  Int32                  signal number in its replay, in time order
    kind                 Enum                   signal kind
    timestamp            Int64        epoch ms  start
    t_ms                 Int64        ms        start, from the replay's first event
    end_timestamp        Int64        epoch ms  end, for signals that span time
    duration_ms          Int64        ms        span, for signals that span time
    target               String                 selector of the element involved
    label                String                 label of the element involved
    url                  String                 page URL
    page                 String                 `url` with ids folded out
    document             Int32                  page load number
    window_id            String                 browser tab
    evidence             List(Int32)            `seq` of the actions involved
    preset               String                 definition used (replaykit, posthog, ...)
    details              String       JSON      the kind's measurements and thresholds

``pages``: one row per page visit (from the tape, else from navigation actions).

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    replay_id            String                 replay id
    day                  Date         UTC date  day of the session's start; 1970-01-01 when the
                                                replay has no timestamps (failed or empty)
    visit                Int32                  visit number in its replay (0, 1, ...)
    url                  String                 page URL
    page                 String                 `url` with ids folded out
    how                  String                 how it was reached: load, push, pop, reload, ...
    document             Int32                  page load number
    window_id            String                 browser tab
    start_timestamp      Int64        epoch ms  the navigation
    end_timestamp        Int64        epoch ms  next navigation in the tab, or replay end
    t_ms                 Int64        ms        start, from the replay's first event
    duration_ms          Int64        ms        dwell time
    n_actions            Int32        count     actions during the visit
    n_clicks             Int32        count     clicks during the visit
    n_signals            Int32        count     signals during the visit
    active_ms            Int64        ms        active time in the visit (null without the tape)
    max_scroll_y         Float64      px        deepest window scroll (null without the tape)
    exit                 Boolean                the session's last visit

``events``: one row per raw rrweb event (opt-in: `events=True`).

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    replay_id            String                 replay id
    day                  Date         UTC date  day of the session's start; 1970-01-01 when the
                                                replay has no timestamps (failed or empty)
    timestamp            Int64        epoch ms  as recorded (after repair)
    t_ms                 Int64        ms        from the replay's first event
    type                 Int8                   rrweb event type (2 snapshot, 3 incremental, 4
                                                meta, ...)
    source               Int8                   incremental source (type 3 only)
    mouse_type           Int8                   MouseInteraction type (source 2 only)
    node_id              Int64                  node the event is about
    x                    Float64      px        pointer or scroll position
    y                    Float64      px        pointer or scroll position
    url                  String                 Meta event URL
    name                 String                 custom event tag or plugin name

``mixpanel``: one row per joined Mixpanel event.

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    replay_id            String                 replay id
    day                  Date         UTC date  day of the session's start; 1970-01-01 when the
                                                replay has no timestamps (failed or empty)
    timestamp            Int64        epoch ms  event time
    t_ms                 Int64        ms        from the replay's first event (null when
                                                unknown)
    event_name           String                 Mixpanel event name
    distinct_id          String                 the user
    insert_id            String                 `$insert_id`, for de-duplication
    properties           String       JSON      the event's properties

``elements``: derived: one row per (page, target) with click and frustration counts.

    column               dtype        unit      meaning
    -------------------  -----------  --------  -------
    page                 String                 page the element is on
    target               String                 selector
    label                String                 most frequent label
    clicks               UInt32       count     clicks on it
    sessions             UInt32       count     sessions that clicked it
    rage_clicks          UInt32       count     `rage_click` signals on it
    rage_sessions        UInt32       count     sessions with a rage burst on it
    dead_clicks          UInt32       count     `dead_click` signals on it
    error_clicks         UInt32       count     `error_click` signals on it
    slow_clicks          UInt32       count     `slow_click` signals on it
    rage_rate            Float64      ratio     rage_sessions / sessions
    dead_rate            Float64      ratio     dead_clicks / clicks
    error_rate           Float64      ratio     error_clicks / clicks
    slow_rate            Float64      ratio     slow_clicks / clicks
    frustration          UInt32       count     rage + dead + error clicks
"""

from ._bundle import ReplayBundle
from ._queries import REFERENCE_LABEL
from ._schema import (
    ACTIONS_SCHEMA,
    EVENTS_SCHEMA,
    MIXPANEL_SCHEMA,
    PAGES_SCHEMA,
    SCHEMAS,
    SESSIONS_SCHEMA,
    SIGNALS_SCHEMA,
    schema_markdown,
    schema_table,
)
from ._sink import BundleBuilder, aggregate

__all__ = [
    "ACTIONS_SCHEMA",
    "EVENTS_SCHEMA",
    "MIXPANEL_SCHEMA",
    "PAGES_SCHEMA",
    "REFERENCE_LABEL",
    "SCHEMAS",
    "SESSIONS_SCHEMA",
    "SIGNALS_SCHEMA",
    "BundleBuilder",
    "ReplayBundle",
    "aggregate",
    "schema_markdown",
    "schema_table",
]
