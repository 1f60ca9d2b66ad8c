"""What the one-pass analyzer remembers while it walks a replay, in one place.

:class:`_AnalyzerState` holds every field the analyzer's parts share — the DOM mirror, the
tape, the held-back actions, open bursts, the latest clicks and navigations — so each part
(:mod:`._emitter`, :mod:`._page_events`, :mod:`._user_events`, :mod:`._analyzer`) reads
the same state without passing it around. :class:`_Burst` is one open input, scroll,
selection or viewport burst.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rrweb._dom import DomTracker
from ..rrweb._rows import EventRow
from ._actions import (
    Action,
    ActionKind,
    Coverage,
)
from ._ambient import AmbientTracker
from ._attribution import Boundary
from ._budget import Budget
from ._effects import NavMark
from ._network import NetworkCollector
from ._options import AnalyzerOptions
from ._signal_config import EffectConfig
from ._tape import (
    Tape,
)

if TYPE_CHECKING:
    from ._analyzer import ReplayAnalyzer
    from ._mobile import MobileAnalyzer

__all__: list[str] = []

_NO_WINDOW = object()  # no chunk seen yet


class _Burst:
    """An open input/scroll/selection/viewport burst (mutable while open)."""

    __slots__ = (
        "added",
        "correction",
        "count",
        "first_t",
        "form",
        "kind",
        "label",
        "last_t",
        "node_id",
        "pending",
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
        # Input bursts: a correction marks a burst that began by deleting; `pending` is the
        # state before a pause-then-delete that may turn out to be one:
        # (first_t, text, count, added, removed, last_t, chars deleted since).
        self.correction = False
        self.pending: list[Any] | None = None


class _AnalyzerState:
    """The analyzer's per-replay state (see the module doc); set up here, used by its parts."""

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
        self._marks: list[Boundary] = []  # clicks and inputs: where a click's window ends
        # heap order of a held click -> (stream order, its press (t, order) or None)
        self._click_orders: dict[int, tuple[int, tuple[int, int] | None]] = {}
        self._press: tuple[int, int] = (-(10**15), 0)  # the latest press: (t, stream order)
        self._press_xy: tuple[float | None, float | None] = (None, None)
        self._click_t_prev = -(10**15)  # the previous click's time (a press belongs after it)
        self._ev = 0  # position of the current event in the stream (ties at one ms)
        self._ambient = AmbientTracker()
        self._kept_marks = 0  # len(_navs) + len(_marks) after the last prune
        self.coverage = Coverage()
        self.tape = Tape()
        # Other browser tabs of the same replay, each analyzed on its own (see `feed`).
        self._first_window: str | object | None = _NO_WINDOW
        self._tabs: dict[str | None, ReplayAnalyzer] = {}
        self._budget = (
            None
            if self.options.max_seconds is None
            else Budget(self.options.max_seconds, replay_id)
        )
        self._tab_actions: list[Action] = []
        # One compact row per decoded event, for the bundle's events frame (opt-in).
        self.event_rows: list[EventRow] | None = [] if self.options.event_rows else None
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
        self._doc_first_t: int | None = None  # the latest document's first (DCL/Load) event
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
        self._label_click: tuple[int, int] | None = None  # (the label's control, t)
        self._last_select: tuple[int, int] | None = None  # (select node, t of its change)
        self._meta_t: int | None = None
        self._mobile: MobileAnalyzer | None = None  # a screenshot (mobile) stream: see feed
        self._first_href: str | None = None  # the first Meta's URL (no snapshot: still shown)
