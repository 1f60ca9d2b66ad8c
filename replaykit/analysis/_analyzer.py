"""The one-pass analyzer: typed event chunks in, :class:`Action` Structs out.

:class:`ReplayAnalyzer` is a plain (synchronous) state machine. Feed it chunks in order;
each call returns the actions that are final so far (bursts such as typing stay open until
they end), and :meth:`ReplayAnalyzer.finish` returns the rest. Targets are resolved against
the DOM mirror at the time of each event, so later removals or text changes do not rename
earlier actions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from .._gc import gc_paused
from ..rrweb._model import (
    CustomEvent,
    DomContentLoadedEvent,
    DragData,
    EventChunk,
    FullSnapshotEvent,
    IncrementalEvent,
    InputData,
    LoadEvent,
    LogData,
    MediaInteractionData,
    MetaEvent,
    MouseInteractionData,
    MouseMoveData,
    MutationData,
    PluginEvent,
    ScrollData,
    SelectionData,
    TouchMoveData,
    ViewportResizeData,
)
from ..rrweb._rows import event_row
from ._actions import (
    INCREMENTAL_KEYS,
    Action,
    Coverage,
    NavigationDetails,
)
from ._budget import BUDGET_EVERY, timed
from ._mobile import MobileAnalyzer, is_screenshot_chunk
from ._options import AnalyzerOptions
from ._page_events import _PageEvents
from ._state import _NO_WINDOW
from ._tape import (
    MutationRecord,
)
from ._user_events import _UserEvents

__all__ = ["ReplayAnalyzer", "analyze_events", "run_analyzer"]

# Plugins we know by name; events of others are counted as unknown.
_KNOWN_PLUGIN_PREFIXES = (
    "rrweb/console@",
    "rrweb/network@",
    "posthog/network@",
    "rrweb/sequential-id@",
    "rrweb/canvas-webrtc@",
)
_MAX_KIND_KEYS = 200  # distinct custom-tag/plugin keys kept in coverage; the rest pool
_MAX_TABS = 100  # browser tabs analyzed per replay (see `feed`)
_OVER_TABS = "window:over_limit"

# PostHog's "active" incremental sources: a person is doing something.
_ACTIVE_SOURCES = (
    MouseMoveData,
    MouseInteractionData,
    ScrollData,
    ViewportResizeData,
    InputData,
    TouchMoveData,
    MediaInteractionData,
    DragData,
)
_VISUAL_SOURCES = {
    "MediaInteractionData": 7,
    "StyleSheetRuleData": 8,
    "CanvasMutationData": 9,
    "StyleDeclarationData": 13,
    "AdoptedStyleSheetData": 15,
}


class ReplayAnalyzer(_PageEvents, _UserEvents):
    """Turns one replay's event chunks into actions in a single forward pass.

    Usage::

        analyzer = ReplayAnalyzer("replay-1")
        for chunk in iter_event_chunks("session.json"):
            for action in analyzer.feed(chunk):
                ...
        for action in analyzer.finish():
            ...
        analyzer.coverage  # what was seen and skipped

    Each click carries its :class:`~replaykit.analysis._actions.ClickEffect`: a click is
    held back until ``effects.window_ms`` of recording time has passed after it (or the
    replay finished), then its effect is read from the tape; actions stay in time order,
    so whatever follows a held click waits with it.
    """

    # --- public ------------------------------------------------------------------------

    @property
    def remaining_seconds(self) -> float | None:
        """Seconds left of the ``max_seconds`` budget (None without one), e.g. to pass on
        to :func:`~replaykit.detect_signals`."""
        budget = self._budget
        return None if budget is None else max(0.0, budget.limit - budget.spent)

    @timed
    def feed(self, chunk: EventChunk) -> list[Action]:
        """Process one chunk; return the actions that can no longer change.

        Chunks of another browser tab (``window_id``, PostHog) go to a separate analyzer of
        their own (its own DOM mirror, URL and bursts); once a second tab appears, actions
        are merged in time order and released at :meth:`finish`. Past 100 tabs, the events
        of further tabs are counted (``coverage.unknown["window:over_limit"]``), not analyzed.

        A mobile screenshot recording (``_mobile.py``), recognised before the first
        snapshot, is handed to a :class:`MobileAnalyzer` sharing this coverage and tape.
        With ``AnalyzerOptions(event_rows=True)`` every event's :class:`EventRow` is kept
        in ``event_rows`` (all tabs, before anything is dropped).
        """
        if self.event_rows is not None:
            self.event_rows.extend(map(event_row, chunk.events))
        if (
            self._mobile is None
            and not self.coverage.snapshots
            and not self._tabs
            and is_screenshot_chunk(chunk, self._meta_href)
        ):
            self._mobile = MobileAnalyzer(
                self.replay_id, self.options, effects=self.effects, coverage=self.coverage,
                tape=self.tape, start_timestamp=self.start_timestamp, host=self,
            )  # fmt: skip
            self._mobile.note_meta(self._meta_href, self._meta_size)
        if self._mobile is not None:
            self._feed_own(msgspec.structs.replace(chunk, events=[]))  # chunk counters
            return self._mobile.feed(chunk)
        window = chunk.window_id
        if self._first_window is _NO_WINDOW:
            self._first_window = window
        if (
            window != self._first_window
            and window not in self._tabs
            and len(self._tabs) >= _MAX_TABS
        ):
            # Each tab costs an analyzer of its own (~7 KB before any DOM): a recording
            # naming a new window per event took 30x its size in memory. Keep the chunk's
            # counts (on the first tab), drop its events.
            unknown = self.coverage.unknown
            unknown[_OVER_TABS] = unknown.get(_OVER_TABS, 0) + len(chunk.events)
            counts = msgspec.structs.replace(chunk, events=[], window_id=None)
            self._tab_actions.extend(self._feed_own(counts))
            return []
        if window != self._first_window:
            child = self._tabs.get(window)
            if child is None:
                if not self._tabs:
                    self._seq_before_tabs = self._seq
                child = ReplayAnalyzer(self.replay_id, self.options, effects=self.effects)
                child.event_rows = None  # this analyzer keeps the rows of every tab
                child.start_timestamp = self.start_timestamp  # t_ms from the replay's start
                child._budget = self._budget  # one budget per replay, whatever its tabs
                self._tabs[window] = child
            self._tab_actions.extend(child.feed(chunk))
            return []
        released = self._feed_own(chunk)
        if self._tabs:
            self._tab_actions.extend(released)
            return []
        return released

    def _feed_own(self, chunk: EventChunk) -> list[Action]:
        cov = self.coverage
        for key, n in chunk.unknown.items():
            cov.unknown[key] = cov.unknown.get(key, 0) + n
        cov.malformed += chunk.malformed
        cov.too_deep += chunk.too_deep
        cov.repaired_timestamps += chunk.repaired_timestamps
        cov.inversions += chunk.inversions
        if chunk.truncated:
            cov.input_truncated = True
        if chunk.window_id is not None:
            self.window_id = chunk.window_id
        with gc_paused():  # the DOM mirror allocates heavily and holds no cycles
            self._process(chunk.events)
        return self._release(final=False)

    @timed
    def finish(self) -> list[Action]:
        """Close every open burst and return the remaining actions."""
        if self._mobile is not None:
            return self._mobile.finish()
        tail = self._finish_own()
        if not self._tabs:
            return tail
        merged = self._tab_actions + tail
        for child in self._tabs.values():
            merged.extend(child.finish())
            self._absorb(child)
        self._merge_tapes(list(self._tabs.values()))
        merged.sort(key=lambda a: a.timestamp)  # stable: ties keep tab order
        out = [
            msgspec.structs.replace(a, seq=self._seq_before_tabs + i) for i, a in enumerate(merged)
        ]
        self._seq = self._seq_before_tabs + len(out)
        self._tab_actions = []
        return out

    def _merge_tapes(self, children: list[ReplayAnalyzer]) -> None:
        """Fold the other tabs' tapes into this replay's, each list sorted once.

        (Merging tab by tab re-sorted the growing lists per tab: quadratic in the number
        of tabs, which a recording names freely.)
        """
        tape = self.tape
        for name in ("mutations", "scrolls", "inputs", "console", "network", "pointer"):
            merged = list(getattr(tape, name))
            for child in children:
                merged.extend(getattr(child.tape, name))
            merged.sort(key=lambda r: r.t)
            setattr(tape, name, merged)
        documents = list(tape.documents)
        selections = list(tape.selections)
        activity = list(tape.activity)
        for child in children:
            documents.extend(child.tape.documents)
            selections.extend(child.tape.selections)
            activity.extend(child.tape.activity)
        tape.documents = sorted(documents, key=lambda r: r.t)
        tape.selections = sorted(selections)
        tape.activity = sorted(activity, key=lambda item: item[0])

    def _absorb(self, child: ReplayAnalyzer) -> None:
        """Fold another tab's coverage and time bounds into this replay's (tapes: see
        `_merge_tapes`)."""
        for bound in (child.start_timestamp, child.end_timestamp):
            if bound is None:
                continue
            if self.start_timestamp is None or bound < self.start_timestamp:
                self.start_timestamp = bound
            if self.end_timestamp is None or bound > self.end_timestamp:
                self.end_timestamp = bound
        self.tape.first_timestamp = self.start_timestamp
        self.tape.last_timestamp = self.end_timestamp
        cov, add = self.coverage, child.coverage
        for target, source in ((cov.events, add.events), (cov.unknown, add.unknown)):
            for key, n in source.items():
                target[key] = target.get(key, 0) + n
        for key, n in add.dom.items():
            cov.dom[key] = cov.dom.get(key, 0) + n
        cov.malformed += add.malformed
        cov.too_deep += add.too_deep
        cov.repaired_timestamps += add.repaired_timestamps
        cov.inversions += add.inversions
        cov.late_events += add.late_events
        cov.documents += add.documents
        cov.snapshots += add.snapshots
        cov.input_truncated = cov.input_truncated or add.input_truncated
        cov.dom_truncated = cov.dom_truncated or add.dom_truncated
        cov.windows += 1

    def _finish_own(self) -> list[Action]:
        for burst in list(self._open.values()):
            self._close(burst)
        self._open.clear()
        if self._documents == 0 and self.start_timestamp is not None:
            # No full snapshot: nothing of the page is known, but its URL may be.
            if self._first_href:
                self.url = self._first_href
                t = self._meta_t if self._meta_t is not None else self.start_timestamp
                self._emit(t, "navigation", NavigationDetails(how="load", document=1))
            self.coverage.note = (
                "no full snapshot: the recording holds no page content, so clicks and "
                "inputs cannot be named"
            )
        stats = msgspec.structs.asdict(self.dom.stats)
        self.coverage.dom = {k: int(v) for k, v in stats.items()}
        self.coverage.dom_truncated = bool(stats.get("truncated", False))
        self.coverage.documents = self._documents
        self.tape.network = self._network.records()
        self.tape.first_timestamp = self.start_timestamp
        self.tape.last_timestamp = self.end_timestamp
        return self._release(final=True)

    # --- the event loop ----------------------------------------------------------------

    def _process(self, events: Sequence[Any]) -> None:
        budget = self._budget
        if budget is not None and len(events) > BUDGET_EVERY:
            # A long chunk is walked in slices with a look at the clock between them:
            # coarse enough to cost nothing, never per event.
            for lo in range(0, len(events), BUDGET_EVERY):
                self._process(events[lo : lo + BUDGET_EVERY])
                budget.check()
            return
        cov_events = self.coverage.events
        activity = self.tape.activity
        for ev in events:
            self._ev += 1
            ts = ev.timestamp
            if self.start_timestamp is None:
                self.start_timestamp = int(ts)
            if self._last_ts is not None and ts < self._last_ts:
                self.coverage.late_events += 1
            else:
                self._last_ts = ts
            t = int(ts)
            if self.end_timestamp is None or t > self.end_timestamp:
                self.end_timestamp = t
            if self._open:
                self._close_stale(t)
            cls = type(ev)
            if cls is IncrementalEvent:
                data = ev.data
                dcls = type(data)
                name = dcls.__name__
                key = INCREMENTAL_KEYS[name]
                cov_events[key] = cov_events.get(key, 0) + 1
                activity.append((t, isinstance(data, _ACTIVE_SOURCES)))
                if dcls is MutationData:
                    self._on_mutation(t, data)
                elif dcls is MouseMoveData or dcls is TouchMoveData or dcls is DragData:
                    self._on_positions(t, data, dcls)
                elif dcls is MouseInteractionData:
                    self._on_mouse(t, data)
                elif dcls is InputData:
                    self._on_input(t, data)
                elif dcls is ScrollData:
                    self._on_scroll(t, data)
                elif dcls is SelectionData:
                    self._on_selection(t, data)
                elif dcls is ViewportResizeData:
                    self._on_viewport(t, data)
                elif dcls is LogData:
                    self._on_console(t, data.level, data.payload, data.trace)
                elif name in _VISUAL_SOURCES:
                    node = getattr(data, "id", None)
                    ambient = self._ambient.classify(
                        self.dom, t, () if node is None else (node,), 1
                    )
                    self.tape.mutations.append(
                        MutationRecord(
                            t=t,
                            document=self._documents,
                            source=_VISUAL_SOURCES[name],
                            window_id=self.window_id,
                            order=self._ev,
                            ambient=ambient,
                        )
                    )
                continue
            activity.append((t, False))
            if cls is MetaEvent:
                cov_events["meta"] = cov_events.get("meta", 0) + 1
                self._meta_href = ev.data.href
                self._meta_t = t
                if self._first_href is None and ev.data.href:
                    self._first_href = ev.data.href
                self._meta_size = (int(ev.data.width), int(ev.data.height))
            elif cls is FullSnapshotEvent:
                cov_events["full_snapshot"] = cov_events.get("full_snapshot", 0) + 1
                self._on_snapshot(t, ev)
            elif cls is CustomEvent:
                self._count_kind(f"custom:{ev.data.tag}")
                self._on_custom(t, ev.data.tag, ev.data.payload)
            elif cls is PluginEvent:
                name = ev.data.plugin
                self._count_kind(f"plugin:{name}")
                if name.startswith("rrweb/console@"):
                    self._on_console_plugin(t, ev.data.payload)
                elif name.startswith(("rrweb/network@", "posthog/network@")):
                    if not self._network.add(
                        t, name, ev.data.payload, max(self._documents, 1), self.window_id
                    ):
                        self.coverage.malformed += 1
                    self._note_navigation_start()
                elif not name.startswith(_KNOWN_PLUGIN_PREFIXES):
                    key = f"plugin:{name}"
                    if key in self.coverage.unknown or len(self.coverage.unknown) < _MAX_KIND_KEYS:
                        self.coverage.unknown[key] = self.coverage.unknown.get(key, 0) + 1
            elif cls is DomContentLoadedEvent:
                cov_events["dom_content_loaded"] = cov_events.get("dom_content_loaded", 0) + 1
                if not self._pending_load:
                    self._doc_first_t = t
                self._pending_load = True
                if ev.data.href:  # 2018 legacy recordings: the URL lives here, no Meta
                    self._meta_href = ev.data.href
            elif cls is LoadEvent:
                cov_events["load"] = cov_events.get("load", 0) + 1
                if not self._pending_load:
                    self._doc_first_t = t
                self._pending_load = True
                if ev.data.width is not None and ev.data.height is not None:
                    self._meta_size = (int(ev.data.width), int(ev.data.height))
            else:
                cov_events["asset"] = cov_events.get("asset", 0) + 1

    def _note_navigation_start(self) -> None:
        """Date the current document's navigation from the network plugin's navigation
        entry: its first event less the entry's response end (an upper bound on when the
        navigation began, tight when the page parses quickly)."""
        response_end = self._network.take_navigation_end()
        if response_end is None or self._doc_first_t is None or not self._navs:
            return
        last = self._navs[-1]
        if last.how in ("load", "reload") and last.document == self._documents:
            self._navs[-1] = last._replace(started=int(self._doc_first_t - response_end))

    def _count_kind(self, key: str) -> None:
        events = self.coverage.events
        if key not in events and len(events) >= _MAX_KIND_KEYS:
            key = key.split(":", 1)[0] + ":other"
        events[key] = events.get(key, 0) + 1


def run_analyzer(analyzer: ReplayAnalyzer, chunks: Iterable[EventChunk]) -> list[Action]:
    """Feed ``analyzer`` every chunk, then finish it; returns all its actions.

    The whole run is one collector pause: decoded events and the DOM mirror hold no
    cycles, so reference counting frees them, and no collection re-scans the mirror
    between chunks (about a tenth of the run on mutation-heavy recordings). For callers
    with nothing else to run on their thread; the async API pauses only inside decoding
    and ``feed``, so other tasks on the loop never run long without the collector.
    """
    with gc_paused():
        actions: list[Action] = []
        iterator = iter(chunks)
        while (chunk := next(iterator, None)) is not None:
            actions.extend(analyzer.feed(chunk))
            del chunk  # before the next decode: two decoded chunks never live at once
        actions.extend(analyzer.finish())
    return actions


def analyze_events(
    chunks: Iterable[EventChunk], replay_id: str = "replay", options: AnalyzerOptions | None = None
) -> tuple[list[Action], Coverage]:
    """Analyze a whole replay synchronously; returns its actions and coverage."""
    with gc_paused():  # the mirror is dropped before the pause ends
        analyzer = ReplayAnalyzer(replay_id, options)
        actions = run_analyzer(analyzer, chunks)
        coverage = analyzer.coverage
        del analyzer
    return actions, coverage
