"""A flat, in-memory mirror of one recorded document, built from rrweb snapshots and mutations.

The tracker keeps only what labels and selectors need: per node id a tag (or a `#text`-style
marker for non-elements), the parent id, the depth of elements, the ordered child ids, a few
attributes and short text. Everything lives in dicts keyed by int node id: no object graph,
and every walk uses an explicit stack: recordings are untrusted and may be 100,000 levels deep.

Rules follow `rrweb-format.md` §4, §5.1, §7 and §14:

- `load_snapshot` discards the mirror and loads a FullSnapshot tree.
- `apply_mutation` applies removes, then adds, then texts, then attributes. Adds are not in
  topological order; an add whose parent (or non-null `next_id`) is missing waits until that id
  is inserted during the same event and is dropped (and counted) if it never is.
- Ids are shared by the top document, iframe documents and shadow roots.
- Node count and depth are capped; what does not fit is dropped and counted, never raised.

Example::

    dom = DomTracker()
    dom.load_snapshot(full_snapshot.data.node)
    dom.apply_mutation(mutation_data)
    dom.tag(42), dom.attr(42, "id"), dom.text_content(42)

The mirror is split by concept: :mod:`._dom_nodes` (what is kept of a node, the caps),
:mod:`._dom_state` (the state and its queries), :mod:`._dom_graph` (node-level updates);
this module loads snapshots and applies mutations, ordering their adds.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._gc import gc_paused
from ._dom_graph import DomGraph
from ._dom_nodes import (
    _BULK_DETACH_WIDTH,
    _RETRY_FACTOR,
    _TEXT,
    _TEXT_MAX,
    DomStats,
    _count_subtree,
    _rindex,
    _subtree_ids,
    _wait,
    _wake_capped,
)
from ._model import (
    AddedNode,
    DocumentNode,
    ElementNode,
    MutationData,
    Node,
    TextNode,
)

__all__ = ["DomStats", "DomTracker"]


class DomTracker(DomGraph):
    """Mirror of one document (plus its iframes and shadow roots), keyed by rrweb node id.

    Feed it FullSnapshots (`load_snapshot`) and mutations (`apply_mutation`) in timestamp
    order; query it at event time (`tag`, `attr`, `parent`, `children`, `text_content`, ...).
    Queries on unknown ids return None/empty values; nothing here raises on bad input.

    `max_nodes` caps the mirror's size and `max_depth` the depth of a node below the
    snapshot root (0); nodes past either cap are dropped and counted in `stats`.
    """

    __slots__ = ()

    # --- loading --------------------------------------------------------------------------

    def load_snapshot(self, root: Node) -> None:
        """Discard the mirror and load a FullSnapshot's serialized tree."""
        self._parent = {}
        self._depth = {}
        self._tag = {}
        self._kids = {}
        self._attrs = {}
        self._text = {}
        self._shadow = set()
        self._root = None
        self._by_id = {}
        self._id_lossy = False
        self._capped = {}
        self._tc = {}
        self._lookup_memo = {}
        self._epoch += 1
        self.stats.snapshots += 1
        self._snapshot_mode = True
        # The mirror holds no reference cycles, but its ~N/2 child lists are GC-tracked; a
        # full collection every few thousand new lists makes loading superlinear (1.2 vs
        # 0.9 us/node at 200k nodes). Pause the collector for the bulk load only.
        try:
            with gc_paused():
                if self._register(root, None, 0):
                    self._root = root.id
                    if isinstance(root, (ElementNode, DocumentNode)) and root.child_nodes:
                        self._load_children(root)
        finally:
            self._snapshot_mode = False
        self._update_counts()

    def apply_mutation(self, m: MutationData) -> None:
        """Apply one Mutation: removes, adds (out-of-order ones retried), texts, attributes."""
        self._epoch += 1
        stats = self.stats
        parent_of = self._parent
        # Cached texts are only filled by label queries, which are rare next to mutations:
        # dropping the whole cache is O(1) per event, where walking each touched node's
        # ancestors cost more than the queries it saved.
        if self._tc:
            self._tc = {}

        tag_of = self._tag
        text_of = self._text
        kids_of = self._kids
        # Ids to take out of wide child lists, per parent, in one pass after the loop: a
        # re-sorted 1,400-row table is 1,400 removes from one list, each a linear scan.
        bulk: dict[int, set[int]] | None = None
        for rem in m.removes:
            rid = rem.id
            tag = tag_of.get(rid)
            if tag is None:
                stats.unknown_ids += 1
                continue
            parent = parent_of[rid]
            siblings = None
            if parent is not None:
                siblings = kids_of.get(parent)
                if siblings is not None and len(siblings) > _BULK_DETACH_WIDTH:
                    if bulk is None:
                        bulk = {}
                    pending = bulk.get(parent)
                    if pending is None:
                        bulk[parent] = {rid}
                    else:
                        pending.add(rid)
                    siblings = None  # taken out of the list after the loop
            if tag is not _TEXT or parent is None:
                self._remove_subtree(rid, detach=siblings is not None)
                continue
            # Inlined leaf removal: most removes are Text nodes whose content was replaced.
            del parent_of[rid]
            del tag_of[rid]
            text_of.pop(rid, None)
            if siblings is not None:
                try:  # noqa: SIM105  # hot path: contextlib.suppress costs ~0.3 us per call
                    siblings.remove(rid)
                except ValueError:
                    pass
            if self._shadow:
                self._shadow.discard(rid)

        if bulk is not None:
            for parent, gone in bulk.items():
                siblings = kids_of.get(parent)
                if siblings is not None:  # None: the parent went too
                    siblings[:] = [k for k in siblings if k not in gone]

        if m.adds:
            self._apply_adds(m.adds)

        for change in m.texts:
            tid = change.id
            tag = tag_of.get(tid)
            if tag is None:
                stats.unknown_ids += 1
                continue
            if tag is not _TEXT:
                continue  # rrweb only sends texts for character data; comments are not kept
            value = change.value or ""
            if len(value) > _TEXT_MAX:
                value = value[:_TEXT_MAX]
                stats.truncated_texts += 1
            text_of[tid] = value

        for attr_change in m.attributes:
            aid = attr_change.id
            tag = tag_of.get(aid)
            if tag is None:
                stats.unknown_ids += 1
                continue
            if tag[0] == "#":
                continue  # attributes only exist on elements
            self._set_attrs(aid, attr_change.attributes)

        self._update_counts()

    def _apply_adds(self, adds: Sequence[AddedNode]) -> None:
        """Insert adds in array order. An add whose parent (or non-null `next_id`) is missing
        waits for that id and is retried once it is inserted, which is linear where repeated
        passes over the queue would be quadratic on a reversed chain. Adds still waiting at
        the end are dropped and counted.

        Retries are bounded: a recorder's add waits at most twice (for its parent, then its
        next sibling), but hostile adds can be woken and sent back to wait again round after
        round (an add re-using an ancestor's id removes its own parent each time), which is
        quadratic. Past `_RETRY_FACTOR` attempts per add the rest are dropped and counted."""
        waiting: dict[int, list[AddedNode]] = {}
        batch: Sequence[AddedNode] = adds
        attempts_left = _RETRY_FACTOR * len(adds)
        while batch:
            attempts_left -= len(batch)
            if attempts_left < 0:
                self.stats.unknown_parents += len(batch)
                break
            woken: list[AddedNode] = []
            self._add_batch(batch, waiting, woken)
            batch = woken
        if waiting:
            self.stats.unknown_parents += sum(len(v) for v in waiting.values())

    def _add_batch(
        self,
        batch: Sequence[AddedNode],
        waiting: dict[int, list[AddedNode]],
        woken: list[AddedNode],
    ) -> None:
        parent_of = self._parent
        kids_of = self._kids
        depth_of = self._depth
        capped = self._capped
        max_depth = self._max_depth
        max_nodes = self._max_nodes
        record = self._record
        # Recorders emit siblings tail-first, each inserted before the one just inserted:
        # remember where the last insert-before went so the next one is O(1).
        hint_parent = hint_pos = -1
        # Room left under the node cap, tracked locally: `len(parent_of)` per add is a
        # measurable share of the loop. Re-read after any slow-path call.
        room = max_nodes - len(parent_of) if not capped else 0
        for add in batch:
            pid = add.parent_id
            parent_depth = depth_of.get(pid)
            if parent_depth is None:
                if pid in parent_of:
                    # Only elements and documents record a depth: the parent is a Text,
                    # Comment or doctype node, which cannot have children.
                    self.stats.unknown_parents += _count_subtree(add.node)
                elif pid in capped:
                    self._drop(add.node, capped[pid])
                    room = 0
                    if waiting:
                        _wake_capped(add.node, waiting, woken, capped)
                else:
                    _wait(waiting, pid, add)
                continue
            nxt = add.next_id
            if nxt is not None and nxt != -1 and nxt not in parent_of:
                if nxt not in capped:
                    _wait(waiting, nxt, add)
                    continue
                nxt = None  # the sibling was dropped by a cap: append instead
            node = add.node
            nid = node.id
            if nid in parent_of:
                # A move sent as a plain add, or a checkout racing a mutation: the new node
                # replaces the old one and its subtree (which may hold the parent or sibling).
                self._remove_subtree(nid)
                room = max_nodes - len(parent_of) if not capped else 0
                if pid not in parent_of:
                    _wait(waiting, pid, add)
                    continue
                if nxt is not None and nxt != -1 and nxt not in parent_of:
                    _wait(waiting, nxt, add)
                    continue
            depth = parent_depth + 1
            container: ElementNode | DocumentNode | None = None
            # The common case (room left, depth allowed, a new Text or element) skips
            # `_register`'s duplicate and cap checks: they were done just above.
            cls = type(node)
            if room > 0 and depth <= max_depth and (cls is TextNode or cls is ElementNode):
                room -= 1
                record(node, nid, pid, depth)
                if cls is ElementNode and node.child_nodes:  # type: ignore[union-attr]
                    container = node  # type: ignore[assignment]
            else:
                if isinstance(node, DocumentNode):
                    self._detach_documents(pid)  # an iframe reload attaches a new document
                registered = self._register(node, pid, depth)
                room = max_nodes - len(parent_of) if not capped else 0
                if not registered:
                    if waiting:
                        _wake_capped(node, waiting, woken, capped)
                    continue
                if isinstance(node, (ElementNode, DocumentNode)) and node.child_nodes:
                    container = node
            prev = add.previous_id
            siblings = kids_of.get(pid)
            if siblings is None:
                kids_of[pid] = [nid]
            elif prev is not None and prev != -1 and parent_of.get(prev) == pid:
                siblings.insert(_rindex(siblings, prev) + 1, nid)
            elif nxt is not None and nxt != -1 and parent_of.get(nxt) == pid:
                if hint_parent == pid and hint_pos < len(siblings) and siblings[hint_pos] == nxt:
                    pos = hint_pos
                else:
                    pos = _rindex(siblings, nxt)
                siblings.insert(pos, nid)
                hint_parent, hint_pos = pid, pos
            else:
                siblings.append(nid)
            if container is not None:
                self._load_children(container)
                room = max_nodes - len(parent_of) if not capped else 0
            if waiting:
                if container is not None:
                    for sub_id in _subtree_ids(node):
                        if sub_id in waiting:
                            woken.extend(waiting.pop(sub_id))
                elif nid in waiting:
                    woken.extend(waiting.pop(nid))
