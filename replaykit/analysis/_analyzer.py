"""The one-pass analyzer: typed event chunks in, :class:`Action` Structs out.

:class:`ReplayAnalyzer` is a plain (synchronous) state machine. Feed it chunks in order;
each call returns the actions that are final so far (bursts such as typing stay open until
they end), and :meth:`ReplayAnalyzer.finish` returns the rest. Targets are resolved against
the DOM mirror at the time of each event, so later removals or text changes do not rename
earlier actions.
"""

from __future__ import annotations

import heapq
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec

from .._errors import AnalysisTimeoutError
from .._gc import gc_paused
from ..rrweb._dom import DomTracker
from ..rrweb._model import (
    CustomEvent,
    DocumentNode,
    DomContentLoadedEvent,
    DragData,
    ElementNode,
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
    Node,
    NodeType,
    PluginEvent,
    ScrollData,
    SelectionData,
    TextNode,
    TouchMoveData,
    ViewportResizeData,
)
from ._actions import (
    Action,
    ActionDetails,
    ActionKind,
    ClickDetails,
    ClickEffect,
    ConsoleErrorDetails,
    Coverage,
    InputDetails,
    NavigationDetails,
    PageLoadDetails,
    ScrollDetails,
    SelectDetails,
    SelectionDetails,
    ToggleDetails,
    ViewportDetails,
)
from ._effects import NavMark, classify_target, compute_effect
from ._labels import is_masked_text, lift_target
from ._mobile import MobileAnalyzer, is_screenshot_chunk
from ._network import NetworkCollector
from ._options import AnalyzerOptions
from ._signal_config import EffectConfig
from ._tape import (
    ConsoleRecord,
    DocumentRecord,
    InputRecord,
    MutationRecord,
    NetworkRecord,
    PointerRecord,
    ScrollRecord,
    Tape,
)

__all__ = ["ReplayAnalyzer", "analyze_events"]

_INCREMENTAL_NAMES = {
    "MutationData": "incremental:mutation",
    "MouseMoveData": "incremental:mouse_move",
    "MouseInteractionData": "incremental:mouse_interaction",
    "ScrollData": "incremental:scroll",
    "ViewportResizeData": "incremental:viewport_resize",
    "InputData": "incremental:input",
    "TouchMoveData": "incremental:touch_move",
    "MediaInteractionData": "incremental:media_interaction",
    "StyleSheetRuleData": "incremental:style_sheet_rule",
    "CanvasMutationData": "incremental:canvas_mutation",
    "FontData": "incremental:font",
    "LogData": "incremental:log",
    "DragData": "incremental:drag",
    "StyleDeclarationData": "incremental:style_declaration",
    "SelectionData": "incremental:selection",
    "AdoptedStyleSheetData": "incremental:adopted_style_sheet",
    "CustomElementData": "incremental:custom_element",
}

# Plugins we know by name; events of others are counted as unknown.
_KNOWN_PLUGIN_PREFIXES = (
    "rrweb/console@",
    "rrweb/network@",
    "posthog/network@",
    "rrweb/sequential-id@",
    "rrweb/canvas-webrtc@",
)
_MAX_KIND_KEYS = 200  # distinct custom-tag/plugin keys kept in coverage; the rest pool
_MAX_OPEN_BURSTS = 32  # input/scroll bursts open at once (see `_open_burst`)
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
_NO_WINDOW = object()  # no chunk seen yet
_FORM_DEPTH = 40  # ancestors searched for a field's <form>
_TEXT_SAMPLE = 200  # chars of added/removed text kept per mutation record
_REMOVED_TEXT_LOOKUPS = 8  # removed nodes whose text is looked up per mutation
_ADDED_TEXT_SCAN = 256  # added nodes scanned for text per mutation
# Mutations later than this after the latest click keep no text sample (effects look
# at most this far after a click: the slow-click timeout).
_TEXT_SAMPLE_WINDOW_MS = 7_000

_SENSITIVE_NAME = re.compile(r"(pass|pwd|secret|token|card|cc-?num|cvv|cvc|iban|ssn)", re.I)
_TOGGLE_TYPES = frozenset({"checkbox", "radio"})


class _ConsolePayload(msgspec.Struct, frozen=True):
    level: str = "log"
    payload: list[Any] = []
    trace: list[Any] = []


_console_decoder = msgspec.json.Decoder(_ConsolePayload)


def _unquote(item: Any) -> str:
    """Console arguments arrive JSON-stringified: `"\\"text\\""` becomes `text`."""
    if not isinstance(item, str):
        return str(item)
    if len(item) >= 2 and item[0] == '"' and item[-1] == '"':
        try:
            value = msgspec.json.decode(item)
        except msgspec.DecodeError:
            return item
        if isinstance(value, str):
            return value
    return item


class _Burst:
    """An open input/scroll/selection/viewport burst (mutable while open)."""

    __slots__ = (
        "added",
        "count",
        "first_t",
        "form",
        "kind",
        "label",
        "last_t",
        "node_id",
        "programmatic",
        "removed",
        "start_x",
        "start_y",
        "target",
        "text",
        "url",
        "x",
        "y",
    )

    def __init__(self, kind: ActionKind, t: int, node_id: int | None) -> None:
        self.kind = kind
        self.first_t = t
        self.last_t = t
        self.node_id = node_id
        self.count = 1
        self.target: str | None = None
        self.label: str | None = None
        self.url: str | None = None
        self.text = ""
        self.added = 0
        self.removed = 0
        self.x = 0.0
        self.y = 0.0
        self.start_x = 0.0
        self.start_y = 0.0
        self.programmatic = False
        self.form: str | None = None


# --- the per-replay time budget ---------------------------------------------------------

_clock = time.monotonic  # looked up at call time, so tests can drive the budget
_BUDGET_EVERY = 4_096  # events processed between two looks at the clock inside one chunk


class _Budget:
    """Wall time one replay may spend in the analyzer (``AnalyzerOptions.max_seconds``).

    Time accrues only inside :meth:`ReplayAnalyzer.feed` and :meth:`ReplayAnalyzer.finish`
    (never while the caller decodes, downloads or consumes actions between calls); the
    analyzers of a replay's other tabs share it.
    """

    __slots__ = ("deadline", "limit", "replay_id", "running", "spent", "started")

    def __init__(self, limit: float, replay_id: str) -> None:
        self.limit = limit
        self.replay_id = replay_id
        self.spent = 0.0
        self.started = 0.0
        self.deadline = 0.0
        self.running = False

    def start(self) -> bool:
        """Start the clock; False (and nothing done) when a caller up the stack did."""
        if self.running:
            return False
        self.raise_if_spent()
        self.started = _clock()
        self.deadline = self.started + (self.limit - self.spent)
        self.running = True
        return True

    def stop(self) -> None:
        self.spent += _clock() - self.started
        self.running = False

    def check(self) -> None:
        """Raise if the running call has used up the budget."""
        if _clock() > self.deadline:
            raise self.error()

    def raise_if_spent(self) -> None:
        if self.spent >= self.limit:
            raise self.error()

    def error(self) -> AnalysisTimeoutError:
        return AnalysisTimeoutError(
            f"analysis ran past its time budget (max_seconds={self.limit:g})",
            replay_id=self.replay_id,
            seconds=self.limit,
        )


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _timed(
    method: Callable[Concatenate[ReplayAnalyzer, _P], _R],
) -> Callable[Concatenate[ReplayAnalyzer, _P], _R]:
    """Count a public call's wall time against the replay's budget, if it has one."""

    @wraps(method)
    def timed(self: ReplayAnalyzer, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        budget = self._budget
        if budget is None or not budget.start():
            return method(self, *args, **kwargs)
        try:
            result = method(self, *args, **kwargs)
        finally:
            budget.stop()
        budget.raise_if_spent()  # a call that overran fails too, not only the next one
        return result

    return timed


class ReplayAnalyzer:
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

    def __init__(
        self,
        replay_id: str,
        options: AnalyzerOptions | None = None,
        *,
        effects: EffectConfig | None = None,
    ) -> None:
        self.replay_id = replay_id
        self.options = options or AnalyzerOptions()
        self.effects = effects or self.options.effects
        self._navs: list[NavMark] = []  # navigations, for click effects
        self._click_ts: list[int] = []  # click times, to end an effect at the next click
        self._kept_marks = 0  # len(_navs) + len(_click_ts) after the last prune
        self.coverage = Coverage()
        self.tape = Tape()
        # Other browser tabs of the same replay, each analyzed on its own (see `feed`).
        self._first_window: str | object | None = _NO_WINDOW
        self._tabs: dict[str | None, ReplayAnalyzer] = {}
        self._budget = (
            None
            if self.options.max_seconds is None
            else _Budget(self.options.max_seconds, replay_id)
        )
        self._tab_actions: list[Action] = []
        self._seq_before_tabs = 0
        self._network = NetworkCollector()
        self.window_id: str | None = None
        self.dom = DomTracker(max_nodes=self.options.max_nodes, max_depth=self.options.max_depth)
        self.start_timestamp: int | None = None
        self.end_timestamp: int | None = None
        self.url: str | None = None
        self.width = 0
        self.height = 0
        self._seq = 0
        # Heap of finished actions keyed by (timestamp, order) so output is time-ordered
        # even though a burst is only finished after later events were seen.
        self._done: list[tuple[int, int, Action]] = []
        self._order = 0
        self._open: dict[tuple[str, int | None], _Burst] = {}
        self._last_ts: float | None = None
        self._pending_load = False  # DomContentLoaded/Load seen since the last snapshot
        self._meta_href: str | None = None  # href of the Meta waiting for its snapshot
        self._meta_size: tuple[int, int] | None = None
        self._documents = 0
        self._last_doc_url: str | None = None
        self._nav_t = -(10**15)  # last navigation or new snapshot (for programmatic scrolls)
        self._anchor_click_t = -(10**15)
        self._scroll_pos: dict[int, tuple[float, float]] = {}
        self._field_values: dict[int, str] = {}
        self._last_tap: tuple[int, int] | None = None  # (node id, t)
        self._last_click: tuple[int, int, int] | None = None  # (raw node id, t, heap order)
        self._doubles: set[int] = set()  # heap orders of held clicks a DblClick marked double
        self._press_t = -(10**15)  # last MouseDown/TouchStart
        self._click_t = -(10**15)  # last click-like interaction (text samples follow it)
        self._selection_change_t = -(10**15)  # last non-collapsed selection change
        self._mobile: MobileAnalyzer | None = None  # a screenshot (mobile) stream: see feed

    # --- public ------------------------------------------------------------------------

    @property
    def remaining_seconds(self) -> float | None:
        """Seconds left of the ``max_seconds`` budget (None without one), e.g. to pass on
        to :func:`~replaykit.detect_signals`."""
        budget = self._budget
        return None if budget is None else max(0.0, budget.limit - budget.spent)

    @_timed
    def feed(self, chunk: EventChunk) -> list[Action]:
        """Process one chunk; return the actions that can no longer change.

        Chunks of another browser tab (``window_id``, PostHog) go to a separate analyzer of
        their own (its own DOM mirror, URL and bursts); once a second tab appears, actions
        are merged in time order and released at :meth:`finish`. Past 100 tabs, the events
        of further tabs are counted (``coverage.unknown["window:over_limit"]``), not analyzed.

        A mobile screenshot recording (``_mobile.py``), recognised before the first
        snapshot, is handed to a :class:`MobileAnalyzer` sharing this coverage and tape.
        """
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

    @_timed
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
        if budget is not None and len(events) > _BUDGET_EVERY:
            # A long chunk is walked in slices with a look at the clock between them:
            # coarse enough to cost nothing, never per event.
            for lo in range(0, len(events), _BUDGET_EVERY):
                self._process(events[lo : lo + _BUDGET_EVERY])
                budget.check()
            return
        cov_events = self.coverage.events
        activity = self.tape.activity
        for ev in events:
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
                key = _INCREMENTAL_NAMES[name]
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
                    self.tape.mutations.append(
                        MutationRecord(
                            t=t,
                            document=self._documents,
                            source=_VISUAL_SOURCES[name],
                            window_id=self.window_id,
                        )
                    )
                continue
            activity.append((t, False))
            if cls is MetaEvent:
                cov_events["meta"] = cov_events.get("meta", 0) + 1
                self._meta_href = ev.data.href
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
                elif not name.startswith(_KNOWN_PLUGIN_PREFIXES):
                    key = f"plugin:{name}"
                    if key in self.coverage.unknown or len(self.coverage.unknown) < _MAX_KIND_KEYS:
                        self.coverage.unknown[key] = self.coverage.unknown.get(key, 0) + 1
            elif cls is DomContentLoadedEvent:
                cov_events["dom_content_loaded"] = cov_events.get("dom_content_loaded", 0) + 1
                self._pending_load = True
                if ev.data.href:  # 2018 legacy recordings: the URL lives here, no Meta
                    self._meta_href = ev.data.href
            elif cls is LoadEvent:
                cov_events["load"] = cov_events.get("load", 0) + 1
                self._pending_load = True
                if ev.data.width is not None and ev.data.height is not None:
                    self._meta_size = (int(ev.data.width), int(ev.data.height))
            else:
                cov_events["asset"] = cov_events.get("asset", 0) + 1

    def _count_kind(self, key: str) -> None:
        events = self.coverage.events
        if key not in events and len(events) >= _MAX_KIND_KEYS:
            key = key.split(":", 1)[0] + ":other"
        events[key] = events.get(key, 0) + 1

    # --- emission ----------------------------------------------------------------------

    def _t_ms(self, t: int) -> int:
        start = self.start_timestamp or 0
        return max(0, t - start)

    def _push(self, t: int, item: Action) -> int:
        self._order += 1
        heapq.heappush(self._done, (t, self._order, item))
        return self._order

    def _emit(
        self,
        t: int,
        kind: ActionKind,
        details: ActionDetails,
        *,
        node_id: int | None = None,
        target: str | None = None,
        label: str | None = None,
    ) -> int:
        # seq and t_ms are assigned on release, so a placeholder Action is stored here.
        if kind == "navigation" and isinstance(details, NavigationDetails):
            self._navs.append(
                NavMark(t, max(self._documents, 1), details.how, self.url, self.window_id)
            )
        elif kind == "click":
            self._click_ts.append(t)
        action = Action(
            replay_id=self.replay_id,
            seq=-1,
            kind=kind,
            t_ms=self._t_ms(t),
            timestamp=t,
            node_id=node_id,
            target=target,
            label=label,
            url=self.url,
            document=max(self._documents, 1),
            window_id=self.window_id,
            details=details,
        )
        return self._push(t, action)

    def _release(self, *, final: bool) -> list[Action]:
        horizon = None if final else min((b.first_t for b in self._open.values()), default=None)
        out: list[Action] = []
        done = self._done
        stream_t = self._last_ts
        hold = self.effects.window_ms
        network: list[NetworkRecord] | None = None
        effects: dict[tuple[int, str | None, int | None, int | None], ClickEffect] = {}
        while done and (horizon is None or done[0][0] < horizon):
            t, order, item = done[0]
            is_click = item.kind == "click"
            if is_click and not final and (stream_t is None or stream_t < t + hold):
                break  # its effect window is still open; later actions wait (time order)
            heapq.heappop(done)
            if self._last_click is not None and self._last_click[2] == order:
                self._last_click = None
            if self._doubles and order in self._doubles:
                self._doubles.discard(order)
                if isinstance(item.details, ClickDetails):
                    details = msgspec.structs.replace(item.details, double=True)
                    item = msgspec.structs.replace(item, details=details)
            if is_click:
                if network is None:
                    # Requests get epoch times from a per-document origin estimate that
                    # only tightens as requests arrive; mid-stream it is the best so far.
                    network = self.tape.network if final else self._network.records()
                item = self._with_effect(item, network, final, effects)
            out.append(msgspec.structs.replace(item, seq=self._seq))
            self._seq += 1
        self._prune_effect_state()
        return out

    def _with_effect(
        self,
        click: Action,
        network: list[NetworkRecord],
        final: bool,
        known: dict[tuple[int, str | None, int | None, int | None], ClickEffect],
    ) -> Action:
        details = click.details
        if not isinstance(details, ClickDetails):
            return click
        t = click.timestamp
        times = self._click_ts
        i = bisect_right(times, t)
        next_click = times[i] if i < len(times) else None
        end = self.end_timestamp if final else self._last_ts
        stream_end = int(end) if end is not None else None
        # An effect depends on the click's time and tab only: clicks released together at
        # one instant (a storm at one timestamp) share it instead of each reading the tape.
        key = (t, click.window_id, next_click, stream_end)
        effect = known.get(key)
        if effect is None:
            effect = known[key] = compute_effect(
                click,
                self.tape,
                network=network,
                navigations=self._navs,
                config=self.effects,
                next_click_t=next_click,
                stream_end=stream_end,
            )
        return msgspec.structs.replace(
            click, details=msgspec.structs.replace(details, effect=effect)
        )

    def _prune_effect_state(self) -> None:
        """Forget navigations and click times no held click can need any more."""
        # Only once the lists doubled since the last pass: when nothing can go (clicks all
        # held, e.g. at one timestamp) a pass per chunk would be quadratic.
        if len(self._navs) + len(self._click_ts) < max(512, 2 * self._kept_marks):
            return
        cutoff = self._done[0][0] if self._done else (self._last_ts or 0)
        self._navs = [n for n in self._navs if n.t >= cutoff]
        self._click_ts = [c for c in self._click_ts if c >= cutoff]
        self._kept_marks = len(self._navs) + len(self._click_ts)

    def _describe(self, node_id: int) -> tuple[int, str | None, str | None]:
        """Lift to the interactive target and name it; unknown nodes stay unnamed."""
        dom = self.dom
        if node_id not in dom:
            return node_id, None, f"unknown element #{node_id}"
        lifted = lift_target(dom, node_id)
        return (
            lifted,
            self.options.selector_fn(dom, lifted),
            self.options.label_fn(dom, lifted),
        )

    # --- bursts ------------------------------------------------------------------------

    def _open_burst(self, key: tuple[str, int | None], burst: _Burst) -> None:
        if len(self._open) >= _MAX_OPEN_BURSTS:
            # Every event looks at every open burst (`_close_stale`): a recording typing or
            # scrolling on thousands of nodes at once made that quadratic. People keep a few
            # bursts open at a time, so past the cap the oldest one is closed early.
            oldest = next(iter(self._open))
            self._close(self._open.pop(oldest))
        self._open[key] = burst

    def _close_stale(self, t: int) -> None:
        opts = self.options
        for key, burst in list(self._open.items()):
            kind = burst.kind
            if kind == "input":
                gap = opts.input_debounce_ms
            elif kind == "scroll":
                gap = opts.scroll_gap_ms
            elif kind == "selection":
                gap = opts.selection_debounce_ms
            else:
                gap = opts.viewport_debounce_ms
            if t - burst.last_t >= gap:
                del self._open[key]
                self._close(burst)

    def _close(self, b: _Burst) -> None:
        details: ActionDetails
        if b.kind == "input":
            field_type = self._field_type(b.node_id)
            masked = bool(b.text) and is_masked_text(b.text)
            sensitive = field_type == "password" or self._is_sensitive(b.node_id)
            details = InputDetails(
                field_type=field_type,
                length=len(b.text),
                value=None if (masked or sensitive) else b.text,
                masked=masked or (sensitive and field_type == "password"),
                sensitive=sensitive,
                chars_added=b.added,
                chars_removed=b.removed,
                events=b.count,
                t_end_ms=self._t_ms(b.last_t),
                form=b.form,
            )
        elif b.kind == "scroll":
            details = ScrollDetails(
                target="window" if b.target is None else "element",
                x=b.x,
                y=b.y,
                dx=b.x - b.start_x,
                dy=b.y - b.start_y,
                events=b.count,
                t_end_ms=self._t_ms(b.last_t),
                programmatic=b.programmatic,
            )
        elif b.kind == "selection":
            details = SelectionDetails(text=b.text, chars=len(b.text))
        else:
            details = ViewportDetails(width=int(b.x), height=int(b.y))
        # A selection is done when the drag ends; other bursts are dated by their start.
        t = b.last_t if b.kind == "selection" else b.first_t
        action = Action(
            replay_id=self.replay_id,
            seq=-1,
            kind=b.kind,
            t_ms=self._t_ms(t),
            timestamp=t,
            node_id=b.node_id,
            target=b.target,
            label=b.label,
            url=b.url,
            document=max(self._documents, 1),
            window_id=self.window_id,
            details=details,
        )
        self._push(t, action)

    # --- handlers ----------------------------------------------------------------------

    def _on_snapshot(self, t: int, ev: FullSnapshotEvent) -> None:
        href = self._meta_href
        # A page load restarts the recorder: DomContentLoaded/Load come first, or (recorder
        # started late) the snapshot's ids are dense 1..N again. A checkout of the same
        # recorder keeps its id counter, so its ids have gaps once anything was removed.
        new_document = (
            self._documents == 0
            or self._pending_load
            or (bool(href) and href != self.url and _ids_are_dense(ev.data.node))
        )
        # A pending burst refers to the old mirror: close it before the ids change meaning.
        for burst in list(self._open.values()):
            self._close(burst)
        self._open.clear()
        self.dom.load_snapshot(ev.data.node)
        self.coverage.snapshots += 1
        self._nav_t = t
        self._scroll_pos.clear()
        self._field_values.clear()
        self._last_click = None
        self._last_tap = None
        offset = ev.data.initial_offset
        if offset is not None:
            self._scroll_pos[self._document_id()] = (offset.left, offset.top)
        if self._meta_size is not None:
            self.width, self.height = self._meta_size
        if new_document:
            self._documents += 1
            previous = self.url
            if href is not None:
                self.url = href
            how = "load"
            if previous is not None and self.url == previous and self._documents > 1:
                how = "reload"
            self._emit(
                t,
                "navigation",
                NavigationDetails(how=how, from_url=previous, document=self._documents),
            )
            self._emit(
                t,
                "page_load",
                PageLoadDetails(
                    document=self._documents,
                    width=self.width,
                    height=self.height,
                    nodes=len(self.dom),
                ),
            )
            self._last_doc_url = self.url
        elif href and href != self.url:
            # A checkout snapshot at a URL nobody announced: an SPA change was missed.
            previous = self.url
            self.url = href
            self._emit(
                t,
                "navigation",
                NavigationDetails(how="late", from_url=previous, document=self._documents),
            )
        self.tape.documents.append(
            DocumentRecord(
                t=t,
                document=self._documents,
                url=self.url,
                new_document=new_document,
                width=self.width,
                height=self.height,
                scroll_y=offset.top if offset is not None else 0,
                window_id=self.window_id,
            )
        )
        self._pending_load = False
        self._meta_href = None

    def _document_id(self) -> int:
        # The top Document is the root of the mirror; rrweb numbers it 1 in practice.
        return 1

    def _on_mutation(self, t: int, data: MutationData) -> None:
        dom = self.dom
        if t - self._click_t > _TEXT_SAMPLE_WINDOW_MS:
            # Text samples only serve click effects: skip them far from any click (most of
            # a live dashboard's mutations), keeping just the counts.
            dom.apply_mutation(data)
            self.tape.mutations.append(
                MutationRecord(
                    t=t,
                    document=max(self._documents, 1),
                    adds=len(data.adds),
                    removes=len(data.removes),
                    texts=len(data.texts),
                    attributes=len(data.attributes),
                    window_id=self.window_id,
                )
            )
            return
        removed: list[str] = []
        size = 0
        for rem in data.removes[:_REMOVED_TEXT_LOOKUPS]:
            if size >= _TEXT_SAMPLE:
                break
            if rem.id in dom:  # read before the node goes
                text = dom.text_content(rem.id, _TEXT_SAMPLE)
                if text:
                    removed.append(text)
                    size += len(text)
        dom.apply_mutation(data)
        added: list[str] = []
        size = 0
        for add in data.adds[:_ADDED_TEXT_SCAN]:
            if size >= _TEXT_SAMPLE:
                break
            node = add.node
            if type(node) is TextNode:
                text = node.text_content.strip()
                if text:
                    added.append(text)
                    size += len(text)
        for change in data.texts:
            if size >= _TEXT_SAMPLE:
                break
            if change.value and change.value.strip():
                added.append(change.value.strip())
                size += len(change.value)
        self.tape.mutations.append(
            MutationRecord(
                t=t,
                document=max(self._documents, 1),
                source=0,
                adds=len(data.adds),
                removes=len(data.removes),
                texts=len(data.texts),
                attributes=len(data.attributes),
                text_added=" ".join(added)[:_TEXT_SAMPLE],
                text_removed=" ".join(removed)[:_TEXT_SAMPLE],
                window_id=self.window_id,
            )
        )

    def _on_positions(self, t: int, data: Any, dcls: type) -> None:
        kind = "move" if dcls is MouseMoveData else "touch" if dcls is TouchMoveData else "drag"
        pointer = self.tape.pointer
        document = max(self._documents, 1)
        for pos in data.positions:
            offset = pos.time_offset if pos.time_offset <= 0 else 0  # old recorders: clamp
            pointer.append(
                PointerRecord(
                    t=int(t + offset),
                    document=document,
                    x=pos.x,
                    y=pos.y,
                    kind=kind,
                    window_id=self.window_id,
                )
            )

    def _on_custom(self, t: int, tag: str, payload: Any) -> None:
        path = self.options.navigation_tags.get(tag)
        href: Any = None
        how = "custom"
        if path is not None:
            if path == "":
                href = payload
            elif isinstance(payload, dict):
                href = payload.get(path)
                raw_how = payload.get("how")
                if isinstance(raw_how, str):
                    how = raw_how
        elif (
            tag == "breadcrumb"
            and isinstance(payload, dict)
            and payload.get("category") == "navigation"
            and isinstance(payload.get("data"), dict)
        ):
            # Sentry breadcrumbs: category "navigation" with data.to
            href = payload["data"].get("to")
            how = "push"
        if not isinstance(href, str) or not href:
            return
        if href == self.url:
            return  # e.g. `$pageview` how=load right after the Meta of the same URL
        how = {
            "pushState": "push",
            "replaceState": "replace",
            "popstate": "pop",
            "hashchange": "push",
        }.get(how, how)
        previous = self.url
        self.url = href
        self._nav_t = t
        self._emit(
            t,
            "navigation",
            NavigationDetails(how=how, from_url=previous, document=max(self._documents, 1)),
        )

    def _on_console_plugin(self, t: int, raw: msgspec.Raw) -> None:
        try:
            payload = _console_decoder.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            # The event decoded with its payload kept raw: bytes that are not UTF-8 or
            # nest past the recursion limit only show up here.
            self.coverage.malformed += 1
            return
        self._on_console(t, payload.level, payload.payload, payload.trace)

    def _on_console(self, t: int, level: str, items: list[Any], trace: list[Any]) -> None:
        if not isinstance(level, str) or not isinstance(items, list):
            self.coverage.malformed += 1
            return
        parts = [_unquote(item) for item in items[:8]]
        message = " ".join(p for p in parts if p)[:2000]
        uncaught = message.startswith("Uncaught")
        frames = tuple(
            str(frame)[:300] for frame in (trace if isinstance(trace, list) else [])[:10]
        )
        self.tape.console.append(
            ConsoleRecord(
                t=t,
                document=max(self._documents, 1),
                level=level,
                message=message,
                uncaught=uncaught,
                trace=frames,
                window_id=self.window_id,
            )
        )
        if level not in ("error", "assert"):
            return
        self._emit(
            t,
            "console_error",
            ConsoleErrorDetails(
                message=message,
                level=level,
                uncaught=uncaught,
                trace=list(frames),
            ),
        )

    def _on_mouse(self, t: int, data: MouseInteractionData) -> None:
        kind = data.type
        if kind in (0, 1, 7, 9) and data.x is not None and data.y is not None:
            self.tape.pointer.append(
                PointerRecord(
                    t=t,
                    document=max(self._documents, 1),
                    x=data.x,
                    y=data.y,
                    kind="down" if kind in (1, 7) else "up",
                    window_id=self.window_id,
                )
            )
        if kind == 1 or kind == 7:
            self._press_t = t
            return
        if kind not in (2, 3, 4, 9) or data.id < 0:
            return  # Focus/Blur/MouseUp are not clicks
        raw_id = data.id
        self._click_t = t
        if kind == 2:
            selection = self._open.get(("selection", None))
            if selection is not None and self._selection_change_t > self._press_t:
                # The selection changed while the button was held: this Click ends a
                # text-selection drag, so the action is the selection, finished now.
                del self._open[("selection", None)]
                selection.last_t = t
                self._close(selection)
                return
            tap = self._last_tap
            if tap is not None and tap[0] == raw_id and t - tap[1] <= self.options.tap_merge_ms:
                self._last_tap = None
                return  # the click a browser synthesises after a tap
            button = "click"
        elif kind == 4:
            last = self._last_click
            if (
                last is not None
                and last[0] == raw_id
                and t - last[1] <= self.options.dblclick_ms
                and self._mark_double(last[2])
            ):
                return
            button = "dblclick"
        elif kind == 3:
            button = "contextmenu"
        else:
            button = "tap"
            self._last_tap = (raw_id, t)
        lifted, target, label = self._describe(raw_id)
        dom = self.dom
        tag = dom.tag(lifted) if lifted in dom else None
        target_kind, input_type, opt_out = classify_target(dom, lifted)
        href = dom.attr(lifted, "href") if tag == "a" else None
        if (href is not None and href.startswith("#")) or (
            href is not None and self.url and href.startswith(self.url.split("#")[0] + "#")
        ):
            self._anchor_click_t = t
        order = self._emit(
            t,
            "click",
            ClickDetails(
                button=button,  # type: ignore[arg-type]
                x=data.x,
                y=data.y,
                raw_node_id=raw_id,
                tag=tag,
                href=href,
                target_kind=target_kind,
                input_type=input_type,
                opt_out=opt_out,
                form=self._form_of(lifted),
                button_type=dom.attr(lifted, "type") if tag == "button" else None,
            ),
            node_id=lifted,
            target=target,
            label=label,
        )
        if kind == 2:
            self._last_click = (raw_id, t, order)

    def _form_of(self, node_id: int) -> str | None:
        """The selector of the nearest ``<form>`` around a node (None outside forms)."""
        dom = self.dom
        if node_id not in dom:
            return None
        for depth, ancestor in enumerate(dom.ancestors(node_id)):
            if depth >= _FORM_DEPTH:
                break
            if dom.tag(ancestor) == "form":
                return self.options.selector_fn(dom, ancestor)
        return None

    def _mark_double(self, order: int) -> bool:
        # The click is still held in `_done` (`_last_click` is cleared when it is released).
        # Searching the heap for it was linear per DblClick, quadratic on a storm of them:
        # remember its order and set `double` when it is released.
        self._doubles.add(order)
        return True

    def _field_type(self, node_id: int | None) -> str:
        if node_id is None or node_id not in self.dom:
            return "text"
        tag = self.dom.tag(node_id)
        if tag == "input":
            return (self.dom.attr(node_id, "type") or "text").lower()
        return tag or "text"

    def _is_sensitive(self, node_id: int | None) -> bool:
        if node_id is None or node_id not in self.dom:
            return False
        dom = self.dom
        if dom.attr(node_id, "data-rr-is-password") is not None:
            return True
        for attr in ("name", "id", "autocomplete"):
            value = dom.attr(node_id, attr)
            if value and (_SENSITIVE_NAME.search(value) or value.startswith("cc-")):
                return True
        return False

    def _on_input(self, t: int, data: InputData) -> None:
        if data.user_triggered is False:
            return  # a value the page set itself
        self.tape.inputs.append(
            InputRecord(
                t=t,
                document=max(self._documents, 1),
                node_id=data.id,
                length=len(data.text),
                checked=data.is_checked,
                window_id=self.window_id,
            )
        )
        node_id = data.id
        dom = self.dom
        known = node_id in dom
        tag = dom.tag(node_id) if known else None
        field_type = self._field_type(node_id)
        if field_type in _TOGGLE_TYPES or (not known and data.is_checked is True):
            if field_type == "radio" and data.is_checked is False:
                return  # the rest of a radio group unchecking itself
            _, target, label = self._describe(node_id)
            self._emit(
                t,
                "toggle",
                ToggleDetails(
                    field_type=field_type,
                    checked=bool(data.is_checked),
                    form=self._form_of(node_id),
                ),
                node_id=node_id,
                target=target,
                label=label,
            )
            return
        if tag == "select":
            _, target, label = self._describe(node_id)
            masked = bool(data.text) and is_masked_text(data.text)
            self._emit(
                t,
                "select",
                SelectDetails(
                    value=None if masked else data.text,
                    option=None if masked else self._option_text(node_id, data.text),
                    masked=masked,
                    form=self._form_of(node_id),
                ),
                node_id=node_id,
                target=target,
                label=label,
            )
            return
        key = ("input", node_id)
        burst = self._open.get(key)
        previous = self._field_values.get(node_id)
        if previous is None:
            previous = (dom.attr(node_id, "value") or "") if known else ""
        delta = len(data.text) - len(previous)
        self._field_values[node_id] = data.text
        if burst is None:
            burst = _Burst("input", t, node_id)
            _, burst.target, burst.label = self._describe(node_id)
            burst.form = self._form_of(node_id)
            burst.url = self.url
            self._open_burst(key, burst)
        else:
            burst.count += 1
            burst.last_t = t
        burst.text = data.text
        if delta > 0:
            burst.added += delta
        else:
            burst.removed -= delta

    def _option_text(self, select_id: int, value: str) -> str | None:
        dom = self.dom
        stack = list(dom.children(select_id))
        while stack:
            child = stack.pop()
            if dom.tag(child) == "option":
                text = dom.text_content(child, 80)
                option_value = dom.attr(child, "value")
                if option_value == value or (option_value is None and text == value):
                    return text or None
            elif dom.tag(child) == "optgroup":
                stack.extend(dom.children(child))
        return None

    def _on_scroll(self, t: int, data: ScrollData) -> None:
        node_id = data.id
        dom = self.dom
        is_window = node_id not in dom or dom.node_type(node_id) == NodeType.DOCUMENT
        before = self._scroll_pos.get(node_id)
        self._scroll_pos[node_id] = (data.x, data.y)
        programmatic = (
            t - self._nav_t <= self.options.programmatic_scroll_ms
            or t - self._anchor_click_t <= self.options.anchor_scroll_ms
        )
        self.tape.scrolls.append(
            ScrollRecord(
                t=t,
                document=max(self._documents, 1),
                node_id=node_id,
                x=data.x,
                y=data.y,
                is_window=is_window,
                programmatic=programmatic,
                window_id=self.window_id,
            )
        )
        key = ("scroll", node_id)
        burst = self._open.get(key)
        if burst is not None and burst.programmatic == programmatic:
            burst.count += 1
            burst.last_t = t
            burst.x, burst.y = data.x, data.y
            return
        if burst is not None:
            del self._open[key]
            self._close(burst)
        bx, by = before if before is not None else (0.0, 0.0)
        if (
            not programmatic
            and abs(data.y - by) < self.options.min_scroll_px
            and abs(data.x - bx) < self.options.min_scroll_px
        ):
            self.coverage.events["scroll_jitter"] = self.coverage.events.get("scroll_jitter", 0) + 1
            return
        burst = _Burst("scroll", t, node_id)
        burst.start_x, burst.start_y = bx, by
        burst.x, burst.y = data.x, data.y
        burst.programmatic = programmatic
        burst.url = self.url
        if not is_window:
            _, burst.target, burst.label = self._describe(node_id)
        self._open_burst(key, burst)

    def _on_selection(self, t: int, data: SelectionData) -> None:
        text = self._selected_text(data)
        key = ("selection", None)
        burst = self._open.get(key)
        if burst is None:
            if not text:
                return  # a collapsed selection is a caret, not a selection
            burst = _Burst("selection", t, None)
            burst.url = self.url
            self._open_burst(key, burst)
        else:
            burst.count += 1
            burst.last_t = t
        if text:
            self._selection_change_t = t
            self.tape.selections.append(t)
            burst.text = text
            if data.ranges:
                start = data.ranges[0].start
                lifted, burst.target, burst.label = self._describe(start)
                burst.node_id = lifted

    def _selected_text(self, data: SelectionData) -> str:
        dom = self.dom
        parts: list[str] = []
        for r in data.ranges[:4]:
            if r.start == r.end:
                if r.start_offset == r.end_offset:
                    continue
                parts.append(dom.text(r.start)[r.start_offset : r.end_offset])
            else:
                parts.append(dom.text(r.start)[r.start_offset :])
                parts.append(dom.text(r.end)[: r.end_offset])
        text = " ".join(" ".join(parts).split())
        return text[:200]

    def _on_viewport(self, t: int, data: ViewportResizeData) -> None:
        key = ("viewport", None)
        burst = self._open.get(key)
        if burst is None:
            burst = _Burst("viewport", t, None)
            burst.url = self.url
            self._open_burst(key, burst)
        else:
            burst.count += 1
            burst.last_t = t
        burst.x, burst.y = data.width, data.height
        self.width, self.height = int(data.width), int(data.height)


def _ids_are_dense(root: Node) -> bool:
    """True when a snapshot's node ids are exactly 1..N, as a fresh recorder numbers them."""
    count = 0
    max_id = 0
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        count += 1
        if node.id > max_id:
            max_id = node.id
        if isinstance(node, ElementNode | DocumentNode):
            stack.extend(node.child_nodes)
    return max_id == count


def analyze_events(
    chunks: Iterable[EventChunk], replay_id: str = "replay", options: AnalyzerOptions | None = None
) -> tuple[list[Action], Coverage]:
    """Analyze a whole replay synchronously; returns its actions and coverage."""
    # The whole run is one collector pause: decoded events and the DOM mirror hold no
    # cycles, so reference counting frees them, and no collection re-scans the mirror
    # between chunks (about a tenth of the run on mutation-heavy recordings). The mirror
    # is dropped before the pause ends. (The async API pauses only inside decoding and
    # `feed`, so other tasks on the loop never run long without the collector.)
    with gc_paused():
        analyzer = ReplayAnalyzer(replay_id, options)
        actions: list[Action] = []
        iterator = iter(chunks)
        while (chunk := next(iterator, None)) is not None:
            actions.extend(analyzer.feed(chunk))
            del chunk  # before the next decode: two decoded chunks never live at once
        actions.extend(analyzer.finish())
        coverage = analyzer.coverage
        del analyzer
    return actions, coverage
