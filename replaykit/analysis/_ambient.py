"""Ambient activity: which DOM changes a page makes on its own, whatever the person does.

A live dashboard, a ticker or a presence list mutates every few hundred milliseconds. A
click on such a page is always followed by *some* change, so "the page changed after
5 ms" proves nothing about the click. :class:`AmbientTracker` tells, for each mutation
event, whether it only touched regions that were already changing before the latest user
action (a click or a keystroke) — those changes are *ambient* and are not a reaction.

Definitions (``frustration-signals.md`` §3 "edge cases", made precise here):

- A mutation event touches *nodes*: the parent of each added or removed node (nodes added
  in the same event are not touched of their own), the node of each text change, the
  element of each attribute change, the node of a canvas, style or media change.
- A touch is *spontaneous* when it comes more than :data:`REACTION_GRACE_MS` after the
  latest user action (or before any): the page did it without being asked just then.
- A node is *live* for a user action when it was touched spontaneously at least
  :data:`AMBIENT_MIN_TOUCHES` times in the :data:`AMBIENT_LOOKBACK_MS` before the action.
  One earlier change (a counter a previous click bumped, a panel that loaded once) does not
  make a node live: only recurring changes do.
- A touch also counts as *activity inside* the touched node's two nearest containers (a
  live table rewrites a different cell each tick, always under the same ``tbody``). A
  container with recurring activity inside is live for what happens *below* it, not for a
  change to itself: a live ticker inside ``<main>`` does not make removing a dialog from
  ``<main>`` ambient.
- A touched node is *ambient* when it is live itself, or when an ancestor up to
  :data:`AMBIENT_DEPTH` levels up is live or has live activity inside — except above
  ``<body>`` (a toast or dialog appended to the document is a reaction unless the body
  itself keeps changing) and except near the clicked element (inside it, or one of its
  three nearest ancestors): a control that changes its own label inside a live panel
  reacted.
- An event is ambient when every node it touched is ambient, and it is not much larger
  than the largest event of the lookback (a "Refresh" re-rendering a whole live table, a
  re-sort: the live region *changed shape*).

Memory is bounded: at most :data:`MAX_REGIONS` nodes are remembered, each with its last
few spontaneous touch times.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ..rrweb._dom import DomTracker
from ..rrweb._model import MutationData

__all__ = [
    "AMBIENT_DEPTH",
    "AMBIENT_LOOKBACK_MS",
    "AMBIENT_MIN_TOUCHES",
    "MAX_REGIONS",
    "REACTION_GRACE_MS",
    "RELEVANT_MS",
    "AmbientTracker",
    "mutation_regions",
]

AMBIENT_LOOKBACK_MS = 3_000
"""How far before a user action recurring changes make a node live (3 s: ten ticks of a
300 ms ticker; PostHog's dead-click mutation window is 2.5 s)."""

REACTION_GRACE_MS = 300
"""Changes this soon after a user action are presumed to answer it, so they never make a
node live (the web's "instant" response bound, 100–300 ms)."""

AMBIENT_MIN_TOUCHES = 2
"""Spontaneous touches in the lookback that make a node live."""

AMBIENT_DEPTH = 4
"""Ancestors searched for a live container."""

SHAPE_FACTOR = 1.5
"""An ambient event this many times larger than the largest change of the lookback (and
at least :data:`SHAPE_MIN_OPS` larger) changed the region's shape: it counts as a
reaction."""

SHAPE_MIN_OPS = 20

RELEVANT_MS = 10_000
"""Changes later than this after the latest user action are not judged (no click window
reaches them: effect windows last 7 s); their touches are still remembered."""

MAX_REGIONS = 4_096
_KEPT_TOUCHES = 4
# Nodes of one event looked at: a live table's tick rewrites ~100 cells, all under one
# container; the first few say as much as all of them.
_MAX_REGIONS_PER_EVENT = 12
_TOUCH_UP = 2  # containers above a touched node whose inside the touch counts for
_NEAR_UP = 3  # ancestors of the clicked element that count as "near"
_NEAR_DOWN = 8  # levels searched from a node up to the clicked element
_PAGE_TAGS = frozenset({"html", "body", "head"})
_INSIDE_DEPTH = 64  # ancestors of the clicked element searched for a live container
_RECENT_SIZES = 256


class _Region:
    """What is remembered of one node: its own and its inside's spontaneous touches, and
    their counts in the lookback before the latest action (frozen at the first look)."""

    __slots__ = ("epoch", "inside", "inside_snap", "own", "own_snap")

    def __init__(self, epoch: int) -> None:
        self.own: list[int] = []
        self.inside: list[int] = []
        self.epoch = epoch
        self.own_snap = 0
        self.inside_snap = 0


def _keep(times: list[int], t: int) -> None:
    if times and times[-1] == t:
        return  # one event counts once
    times.append(t)
    if len(times) > _KEPT_TOUCHES:
        del times[0]


class AmbientTracker:
    """Classifies mutation events as ambient or not, relative to the latest user action.

    Call :meth:`user_action` at each click or keystroke, :meth:`classify` for each
    mutation event *before* it is applied to the mirror (removed nodes must still be
    there), and :meth:`reset` when a new document starts (node ids restart).
    """

    def __init__(self) -> None:
        self._regions: dict[int, _Region] = {}
        self._epoch = 0
        self._action_t: int | None = None
        self._action_node: int | None = None
        self._sizes: deque[tuple[int, int]] = deque(maxlen=_RECENT_SIZES)
        self._peak_epoch = -1
        self._peak = 0
        self._inside: dict[int, tuple[int, bool]] = {}  # container -> (epoch, click inside)

    def reset(self) -> None:
        """Forget every node (a new document: ids mean other nodes now)."""
        self._regions.clear()
        self._sizes.clear()
        self._inside.clear()
        self._action_node = None

    def user_action(self, t: int, node_id: int | None = None) -> None:
        """A click (``node_id`` = its lifted target) or keystroke happened at ``t``."""
        self._epoch += 1
        self._action_t = t
        self._action_node = node_id

    def _frozen(self, region: _Region) -> _Region:
        """Freeze the lookback counts at the first look after each action, before any later
        touch is kept, so changes the action itself caused never count."""
        if region.epoch != self._epoch:
            action_t = self._action_t
            if action_t is None:
                region.own_snap = region.inside_snap = 0
            else:
                since = action_t - AMBIENT_LOOKBACK_MS
                region.own_snap = sum(1 for x in region.own if since <= x < action_t)
                region.inside_snap = sum(1 for x in region.inside if since <= x < action_t)
            region.epoch = self._epoch
        return region

    def _peak_size(self) -> int:
        if self._peak_epoch != self._epoch:
            action_t = self._action_t
            since = -(10**15) if action_t is None else action_t - AMBIENT_LOOKBACK_MS
            self._peak = max(
                (ops for t, ops in self._sizes if action_t is None or since <= t < action_t),
                default=0,
            )
            self._peak_epoch = self._epoch
        return self._peak

    def _near(self, dom: DomTracker, node_id: int) -> bool:
        clicked = self._action_node
        if clicked is None or clicked not in dom:
            return False
        if node_id == clicked:
            return True
        parent_of = dom.parents
        node: int | None = node_id
        for _ in range(_NEAR_DOWN):
            node = parent_of.get(node) if node is not None else None
            if node is None:
                break
            if node == clicked:
                return True
        up: int | None = clicked
        for _ in range(_NEAR_UP):
            up = parent_of.get(up) if up is not None else None
            if up is None:
                break
            if up == node_id:
                return True
        return False

    def _is_ambient(self, dom: DomTracker, node_id: int, live: set[int]) -> bool:
        """``live`` collects, for one event, containers already found live."""
        regions = self._regions
        own = regions.get(node_id)
        if own is not None and self._frozen(own).own_snap >= AMBIENT_MIN_TOUCHES:
            return True
        parent_of = dom.parents
        tag = dom.tag
        node: int | None = node_id
        for _ in range(AMBIENT_DEPTH):
            node = parent_of.get(node) if node is not None else None
            if node is None:
                return False
            if node not in live:
                if tag(node) in _PAGE_TAGS:
                    return False
                region = regions.get(node)
                if region is None:
                    continue
                self._frozen(region)
                if max(region.own_snap, region.inside_snap) < AMBIENT_MIN_TOUCHES:
                    continue
                live.add(node)
            # Inside a live container, unless it is the clicked control's own
            # neighbourhood (a control changing its label inside a live panel) — which
            # it can only be when the click was inside that container.
            if not self._click_inside(dom, node):
                return True
            return not self._near(dom, node_id)
        return False

    def _click_inside(self, dom: DomTracker, container: int) -> bool:
        """Whether the clicked element lies inside ``container`` (memoised per action)."""
        cached = self._inside.get(container)
        if cached is not None and cached[0] == self._epoch:
            return cached[1]
        clicked = self._action_node
        inside = False
        if clicked is not None:
            parent_of = dom.parents
            node: int | None = clicked
            for _ in range(_INSIDE_DEPTH):
                if node is None:
                    break
                if node == container:
                    inside = True
                    break
                node = parent_of.get(node)
        if len(self._inside) > MAX_REGIONS:
            self._inside.clear()
        self._inside[container] = (self._epoch, inside)
        return inside

    def classify(self, dom: DomTracker, t: int, touched: Iterable[int], ops: int) -> bool:
        """Whether a mutation event at ``t`` touching ``touched`` nodes is ambient, then
        remember the touches. An event that touched no node is not ambient."""
        action_t = self._action_t
        spontaneous = action_t is None or t - action_t > REACTION_GRACE_MS
        # Only a change inside some action's window can be taken for its answer: far from
        # the latest action the verdict is never read, so it is not worked out.
        judge = action_t is not None and t - action_t <= RELEVANT_MS
        ambient: bool | None = None if judge else False
        parent_of = dom.parents
        tag = dom.tag
        live: set[int] = set()
        for seen, node_id in enumerate(touched):
            if seen >= _MAX_REGIONS_PER_EVENT:
                break
            if ambient is not False:
                ambient = self._is_ambient(dom, node_id, live)
            if spontaneous:
                _keep(self._region(node_id, t).own, t)
                node = parent_of.get(node_id)
                for _ in range(_TOUCH_UP):
                    if node is None or tag(node) in _PAGE_TAGS:
                        break
                    _keep(self._region(node, t).inside, t)
                    node = parent_of.get(node)
        if ambient:
            peak = self._peak_size()
            if ops > max(SHAPE_FACTOR * peak, peak + SHAPE_MIN_OPS):
                ambient = False  # the live region changed shape: far more than a tick
        if spontaneous:
            self._sizes.append((t, ops))
        return bool(ambient)

    def _region(self, node_id: int, t: int) -> _Region:
        region = self._regions.get(node_id)
        if region is None:
            if len(self._regions) >= MAX_REGIONS:
                self._evict(t)
            # A fresh node has no touches before the action: its counts are 0 already.
            region = self._regions[node_id] = _Region(self._epoch)
        elif region.epoch != self._epoch:
            self._frozen(region)  # freeze the counts before adding a later touch
        return region

    def _evict(self, t: int) -> None:
        """Drop nodes not touched within the lookback; if none, the older half."""
        since = t - AMBIENT_LOOKBACK_MS
        regions = self._regions
        stale = [
            k
            for k, r in regions.items()
            if max(r.own[-1] if r.own else -(10**15), r.inside[-1] if r.inside else -(10**15))
            < since
        ]
        if not stale:
            stale = list(regions)[: len(regions) // 2]
        for k in stale:
            del regions[k]


def mutation_regions(data: MutationData) -> list[int]:
    """The nodes a mutation event touched (see the module doc), deduplicated in order.

    A parent added in the same event is not touched of its own.
    """
    out: dict[int, None] = {}
    adds = data.adds
    if adds:
        added_ids = {a.node.id for a in adds}
        for a in adds:
            if a.parent_id not in added_ids:
                out[a.parent_id] = None
    for r in data.removes:
        if r.parent_id is not None:
            out[r.parent_id] = None
    for c in data.texts:
        out[c.id] = None
    for change in data.attributes:
        out[change.id] = None
    return list(out)
