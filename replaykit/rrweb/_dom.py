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
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import msgspec

from .._gc import gc_paused
from ._model import (
    AddedNode,
    CDATANode,
    CommentNode,
    DocumentNode,
    DocumentTypeNode,
    ElementNode,
    MutationData,
    Node,
    NodeType,
    TextNode,
)

__all__ = ["DomStats", "DomTracker"]


class DomStats(msgspec.Struct, kw_only=True):
    """Counters of a `DomTracker`, cumulative over its life (every document it mirrored).

    Mutable on purpose: the tracker updates it in place. Take a snapshot with
    `msgspec.structs.asdict(tracker.stats)`.

    - `nodes`: nodes in the mirror now; `max_nodes`: the high-water mark.
    - `snapshots`: FullSnapshots loaded.
    - `duplicate_ids`: ids seen twice inside one snapshot (the last one wins).
    - `unknown_parents`: adds dropped because their parent (or `next_id` sibling) never
      appeared during their mutation event.
    - `unknown_ids`: removes, texts and attribute changes for ids not in the mirror.
    - `truncated`: the node cap was hit; `dropped_nodes` counts the nodes left out for it.
    - `depth_capped`: nodes left out because they were deeper than `max_depth`.
    - `truncated_texts`: text values cut to the kept length (1,000 chars).
    """

    nodes: int = 0
    max_nodes: int = 0
    snapshots: int = 0
    duplicate_ids: int = 0
    unknown_parents: int = 0
    unknown_ids: int = 0
    truncated: bool = False
    dropped_nodes: int = 0
    depth_capped: int = 0
    truncated_texts: int = 0


# Markers stored in place of a tag for non-element nodes. They start with "#", which no
# element tag may (see `_element_tag`), so one dict answers both "type" and "tag".
_DOCUMENT: Final = "#document"
_DOCTYPE: Final = "#doctype"
_TEXT: Final = "#text"
_CDATA: Final = "#cdata"
_COMMENT: Final = "#comment"

_MARKER_TYPES: Final[dict[str, int]] = {
    _DOCUMENT: NodeType.DOCUMENT,
    _DOCTYPE: NodeType.DOCUMENT_TYPE,
    _TEXT: NodeType.TEXT,
    _CDATA: NodeType.CDATA,
    _COMMENT: NodeType.COMMENT,
}

_OTHER_MARKERS: Final[dict[type, str]] = {
    DocumentNode: _DOCUMENT,
    DocumentTypeNode: _DOCTYPE,
    CDATANode: _CDATA,
    CommentNode: _COMMENT,
}

# Attributes labels, selectors and the analyzer read. Mapping each name to itself lets the
# stored dicts share one interned key object per name.
_KEPT_ATTRS: Final[dict[str, str]] = {
    name: sys.intern(name)
    for name in (
        "id",
        "class",
        "name",
        "type",
        "role",
        "aria-label",
        "aria-labelledby",
        "aria-hidden",
        "placeholder",
        "alt",
        "title",
        "href",
        "value",
        "for",
        "data-testid",
        "data-test-id",
        "data-cy",
        "data-qa",
        "contenteditable",
        "tabindex",
        "onclick",
        "checked",
        "selected",
        "target",
        "download",
        "rr_src",
        "src",
        # Not in the minimal list, but the analyzer needs them to decide whether an input's
        # value may be shown (rrweb-format §4 and §15).
        "autocomplete",
        "data-rr-is-password",
        # A blocked element keeps only its box size: a click on it is never judged dead.
        "rr_width",
    )
}

_ATTR_MAX: Final = 200
# Child lists longer than this are pruned once per mutation instead of once per remove.
_BULK_DETACH_WIDTH: Final = 32
# Siblings searched first, from the end, when an add names its next sibling.
_TAIL_WINDOW: Final = 64
# Adds processed per mutation at most, as a multiple of its add count (see `_apply_adds`).
_RETRY_FACTOR: Final = 4
_TEXT_MAX: Final = 1_000

# Subtrees whose text is not visible (§15). `head` holds only metadata such as <title>.
_HIDDEN_TAGS: Final = frozenset({"script", "style", "noscript", "template", "head"})

# Elements that flow with the surrounding text; any other element boundary reads as a space
# ("<h3>Kestrel Mug</h3><p>$12</p>" is "Kestrel Mug $12", "Cart (<span>3</span>)" is "Cart (3)").
_INLINE_TAGS: Final = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "label",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    }
)

# Lower-cased, interned tag names. Bounded so that hostile input cannot grow it forever.
_TAG_CACHE: dict[str, str] = {}
_TAG_CACHE_MAX: Final = 4_096

_EMPTY_ATTRS: Final[Mapping[str, str]] = MappingProxyType({})
_NO_CHILDREN: Final[Sequence[int]] = ()


def _element_tag(raw: str) -> str:
    """Return the lower-case, interned tag; names that could pass for a marker are renamed."""
    tag = _TAG_CACHE.get(raw)
    if tag is None:
        low = raw.lower()
        if not low or low[0] == "#":
            low = "x-invalid"
        tag = sys.intern(low)
        if len(_TAG_CACHE) < _TAG_CACHE_MAX:
            _TAG_CACHE[raw] = tag
    return tag


def _attr_value(name: str, value: Any) -> str | None:
    """Normalise a recorded attribute value to the stored str, or None to drop it."""
    if type(value) is str:
        if name == "onclick":
            return ""  # presence is what matters; handler source can be large
        return value if len(value) <= _ATTR_MAX else value[:_ATTR_MAX]
    if value is True:
        return ""
    if type(value) is int or type(value) is float:
        return str(value)
    return None  # None/False (removed), lists and objects (style diffs)


def _keep_attrs(attrs: dict[str, Any]) -> dict[str, str] | None:
    """The kept subset of a serialized node's attributes, or None when nothing is kept."""
    kept: dict[str, str] | None = None
    for name, value in attrs.items():
        key = _KEPT_ATTRS.get(name)
        if key is None:
            continue
        norm = _attr_value(key, value)
        if norm is None:
            continue
        if kept is None:
            kept = {}
        kept[key] = norm
    return kept


def _count_subtree(node: Node) -> int:
    """Number of serialized nodes in `node`'s subtree (iterative)."""
    count = 0
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        count += 1
        if isinstance(n, (ElementNode, DocumentNode)):
            stack.extend(n.child_nodes)
    return count


def _subtree_ids(node: Node) -> Iterator[int]:
    """Ids of the serialized nodes in `node`'s subtree (iterative)."""
    stack: list[Node] = [node]
    while stack:
        n = stack.pop()
        yield n.id
        if isinstance(n, (ElementNode, DocumentNode)):
            stack.extend(n.child_nodes)


def _rindex(items: list[int], value: int) -> int:
    """Index of `value` (present) in `items`, looking at the tail first.

    Recorders insert new siblings before the node they just inserted, i.e. near the end of
    the child list; a plain `list.index` would make appending to wide parents quadratic.
    The tail window is scanned by `list.index` too, so a miss there costs C-speed compares.
    """
    n = len(items)
    if n and items[-1] == value:
        return n - 1
    start = n - _TAIL_WINDOW if n > _TAIL_WINDOW else 0
    try:
        return items.index(value, start)
    except ValueError:
        return items.index(value, 0, start)


def _wake_capped(
    node: Node, waiting: dict[int, list[AddedNode]], woken: list[AddedNode], capped: dict[int, bool]
) -> None:
    """Wake the adds waiting under a subtree a cap just dropped: they are capped too, and
    are counted as such (their parent is in `capped`) instead of as unknown parents."""
    for sub_id in _subtree_ids(node):
        if sub_id in waiting and sub_id in capped:
            woken.extend(waiting.pop(sub_id))


def _wait(waiting: dict[int, list[AddedNode]], missing: int, add: AddedNode) -> None:
    """Park `add` until node `missing` is inserted."""
    parked = waiting.get(missing)
    if parked is None:
        waiting[missing] = [add]
    else:
        parked.append(add)


class DomTracker:
    """Mirror of one document (plus its iframes and shadow roots), keyed by rrweb node id.

    Feed it FullSnapshots (`load_snapshot`) and mutations (`apply_mutation`) in timestamp
    order; query it at event time (`tag`, `attr`, `parent`, `children`, `text_content`, ...).
    Queries on unknown ids return None/empty values; nothing here raises on bad input.

    `max_nodes` caps the mirror's size and `max_depth` the depth of a node below the
    snapshot root (0); nodes past either cap are dropped and counted in `stats`.
    """

    __slots__ = (
        "_attrs",
        "_by_id",
        "_capped",
        "_depth",
        "_disturbed",
        "_epoch",
        "_id_lossy",
        "_kids",
        "_lookup_memo",
        "_max_depth",
        "_max_nodes",
        "_owner",
        "_parent",
        "_root",
        "_shadow",
        "_snapshot_mode",
        "_tag",
        "_tc",
        "_text",
        "stats",
    )

    def __init__(self, *, max_nodes: int = 50_000, max_depth: int = 2_000) -> None:
        self._max_nodes = max_nodes
        self._max_depth = max_depth
        self.stats: DomStats = DomStats()
        """Counters, cumulative over every document this tracker mirrored."""
        self._parent: dict[int, int | None] = {}
        self._depth: dict[int, int] = {}
        self._tag: dict[int, str] = {}
        self._kids: dict[int, list[int]] = {}
        self._attrs: dict[int, dict[str, str]] = {}
        self._text: dict[int, str] = {}
        self._shadow: set[int] = set()
        self._root: int | None = None
        # `id` attribute value -> node id. `_id_lossy` is set once two live nodes shared an
        # id value, after which a miss falls back to a scan.
        self._by_id: dict[str, int] = {}
        self._id_lossy = False
        # Ids dropped by a cap -> True for the depth cap, False for the node cap, so that
        # later adds under them are counted as capped rather than as unknown parents.
        self._capped: dict[int, bool] = {}
        # Cached `text_content`: node id -> (text, cap it was computed with, complete).
        self._tc: dict[int, tuple[str, int, bool]] = {}
        # `find_by_attr` scans, memoised until the next change.
        self._epoch = 0
        self._lookup_memo: dict[tuple[str, str], tuple[int, int | None]] = {}
        # Duplicate-id bookkeeping inside one graft (hostile input only).
        self._snapshot_mode = False
        self._disturbed = False
        self._owner: dict[int, int] = {}

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

    def _detach_documents(self, iframe_id: int) -> None:
        """Remove the previous Document under an iframe element before a reload attaches one."""
        kids = self._kids.get(iframe_id)
        if not kids:
            return
        tag_of = self._tag
        for kid in [k for k in kids if tag_of.get(k) is _DOCUMENT]:
            self._remove_subtree(kid)

    def _load_children(self, top: ElementNode | DocumentNode) -> None:
        """Register the serialized descendants of `top` (already registered), iteratively.

        This is the hot loop of snapshot loading: the common case (new id, room left, depth
        allowed) is inlined; duplicates and caps go through `_register`.
        """
        parent_of = self._parent
        depth_of = self._depth
        kids_of = self._kids
        max_depth = self._max_depth
        max_nodes = self._max_nodes
        record = self._record
        register = self._register
        owner = self._owner
        owner.clear()
        self._disturbed = False
        stack: list[ElementNode | DocumentNode] = [top]
        while stack:
            node = stack.pop()
            nid = node.id
            if self._disturbed and (nid not in parent_of or owner.get(nid, id(node)) != id(node)):
                continue  # a duplicate id removed or replaced this node after it was queued
            children = node.child_nodes
            child_depth = depth_of[nid] + 1
            kids = kids_of.get(nid)
            if kids is None:
                kids = kids_of[nid] = []
            fast = (
                child_depth <= max_depth
                and len(parent_of) + len(children) <= max_nodes
                and not self._capped
            )
            # Subtrees are queued in reverse so that they are loaded in document order:
            # when the node cap cuts a page short, the end of the page goes, not its start.
            deeper: list[ElementNode | DocumentNode] = []
            for child in children:
                cid = child.id
                if fast and cid not in parent_of:
                    record(child, cid, nid, child_depth)
                    ctype = type(child)
                    if (ctype is ElementNode or ctype is DocumentNode) and child.child_nodes:  # type: ignore[union-attr]
                        deeper.append(child)  # type: ignore[arg-type]
                    kids.append(cid)
                elif register(child, nid, child_depth):
                    kids.append(cid)
                    if isinstance(child, (ElementNode, DocumentNode)) and child.child_nodes:
                        deeper.append(child)
                elif nid not in parent_of:
                    # The child reused the id of `node` or of an ancestor, so registering it
                    # removed `node`: its remaining children have nowhere to go.
                    pos = next(i for i, c in enumerate(children) if c is child)
                    for rest in children[pos + 1 :]:
                        self.stats.unknown_parents += _count_subtree(rest)
                    break
            if deeper:
                stack.extend(reversed(deeper))
        owner.clear()

    def _record(self, node: Node, nid: int, parent_id: int | None, depth: int) -> None:
        """Write one serialized node's fields into the mirror: the one place nodes are
        registered (snapshot loading, adds and `_register` all come here once their
        checks — duplicate ids, caps — are done)."""
        self._parent[nid] = parent_id
        cls = type(node)
        if cls is ElementNode:
            self._depth[nid] = depth
            name = node.tag_name  # type: ignore[union-attr]
            tag = _TAG_CACHE.get(name)
            self._tag[nid] = tag if tag is not None else _element_tag(name)
            attrs = node.attributes  # type: ignore[union-attr]
            if attrs:
                kept = _keep_attrs(attrs)
                if kept is not None:
                    self._attrs[nid] = kept
                    if "id" in kept:
                        self._index_id(kept["id"], nid)
        elif cls is TextNode:
            self._tag[nid] = _TEXT
            text = node.text_content  # type: ignore[union-attr]
            if text:
                if len(text) > _TEXT_MAX:
                    text = text[:_TEXT_MAX]
                    self.stats.truncated_texts += 1
                self._text[nid] = text
        else:
            self._tag[nid] = _OTHER_MARKERS.get(cls, _COMMENT)
            if cls is DocumentNode:
                self._depth[nid] = depth
        if node.is_shadow:
            self._shadow.add(nid)

    def _register(self, node: Node, parent_id: int | None, depth: int) -> bool:
        """Record one serialized node (not its children) after the duplicate-id and cap
        checks. False when it was dropped."""
        parent_of = self._parent
        nid = node.id
        if nid in parent_of:
            if self._snapshot_mode:
                self.stats.duplicate_ids += 1  # last one wins, like the rrweb player
            self._remove_subtree(nid)
            self._disturbed = True
            self._owner[nid] = id(node)
            if parent_id is not None and parent_id not in parent_of:
                self.stats.unknown_parents += _count_subtree(node)
                return False
        if depth > self._max_depth:
            self._drop(node, True)
            return False
        if len(parent_of) >= self._max_nodes:
            self._drop(node, False)
            return False
        self._record(node, nid, parent_id, depth)
        if self._capped:
            self._capped.pop(nid, None)
        return True

    def _drop(self, node: Node, too_deep: bool) -> None:
        """Leave out a serialized subtree for a cap; remember its ids for later adds."""
        capped = self._capped
        # Remembering ids is only a nicety for the counters: bound it like the mirror.
        room = 4 * self._max_nodes - len(capped)
        count = 0
        for sub_id in _subtree_ids(node):
            if room > 0:
                capped[sub_id] = too_deep
                room -= 1
            count += 1
        if too_deep:
            self.stats.depth_capped += count
        else:
            self.stats.truncated = True
            self.stats.dropped_nodes += count

    def _remove_subtree(self, nid: int, detach: bool = True) -> None:
        """Remove `nid` (present) and its whole subtree. `detach=False` leaves the id in its
        parent's child list for the caller to take out (in bulk, see `_detach_many`)."""
        parent_of = self._parent
        kids_of = self._kids
        parent = parent_of[nid]
        if parent is None:
            if self._root == nid:
                self._root = None
        else:
            if self._tc:
                self._tc = {}  # duplicate/move removals happen outside `removes` too
            if detach:
                siblings = kids_of.get(parent)
                if siblings:
                    with contextlib.suppress(ValueError):
                        siblings.remove(nid)
        depth_of = self._depth
        tag_of = self._tag
        attrs_of = self._attrs
        text_of = self._text
        shadow = self._shadow
        stack = [nid]
        while stack:
            x = stack.pop()
            try:
                del parent_of[x]
            except KeyError:
                continue  # already removed, still listed: a bulk detach is pending
            if tag_of.pop(x) is _TEXT:
                text_of.pop(x, None)
            else:
                depth_of.pop(x, None)
                kids = kids_of.pop(x, None)
                if kids:
                    stack.extend(kids)
                attrs = attrs_of.pop(x, None)
                if attrs is not None and "id" in attrs and self._by_id.get(attrs["id"]) == x:
                    del self._by_id[attrs["id"]]
            if shadow:
                shadow.discard(x)

    def _set_attrs(self, nid: int, changes: dict[str, Any]) -> None:
        """Apply one attribute change record to element `nid` (None removes)."""
        current = self._attrs.get(nid)
        for name, value in changes.items():
            key = _KEPT_ATTRS.get(name)
            if key is None:
                continue  # style diffs, _cssText, rr_* and the rest are not kept
            if value is None or value is False:
                norm = None  # removed
            else:
                norm = _attr_value(key, value)
                if norm is None:
                    continue  # a value of a shape attributes never have: ignore it
            old = current.get(key) if current is not None else None
            if norm is None:
                if old is None:
                    continue
                del current[key]  # type: ignore[union-attr]  # old is not None => current
            else:
                if current is None:
                    current = self._attrs[nid] = {}
                current[key] = norm
            if key == "id":
                if old is not None and self._by_id.get(old) == nid:
                    del self._by_id[old]
                if norm is not None:
                    self._index_id(norm, nid)
        if current is not None and not current:
            del self._attrs[nid]

    def _index_id(self, value: str, nid: int) -> None:
        other = self._by_id.get(value)
        if other is not None and other != nid and other in self._parent:
            self._id_lossy = True
        self._by_id[value] = nid

    def _update_counts(self) -> None:
        stats = self.stats
        n = len(self._parent)
        stats.nodes = n
        if n > stats.max_nodes:
            stats.max_nodes = n

    # --- queries --------------------------------------------------------------------------

    def __contains__(self, node_id: object) -> bool:
        """Whether `node_id` is in the mirror now."""
        try:
            return node_id in self._parent
        except TypeError:  # unhashable
            return False

    def __len__(self) -> int:
        """Number of nodes in the mirror."""
        return len(self._parent)

    @property
    def root(self) -> int | None:
        """Id of the snapshot's root node (normally the Document, 1), or None before one."""
        return self._root

    def node_type(self, node_id: int) -> int | None:
        """The node's `NodeType` value, or None for an unknown id."""
        tag = self._tag.get(node_id)
        if tag is None:
            return None
        if tag[0] == "#":
            return _MARKER_TYPES[tag]
        return NodeType.ELEMENT

    def tag(self, node_id: int) -> str | None:
        """Lower-case tag name of an element; None for other nodes and unknown ids."""
        tag = self._tag.get(node_id)
        if tag is None or tag[0] == "#":
            return None
        return tag

    def attr(self, node_id: int, name: str) -> str | None:
        """Value of a kept attribute (`""` for valueless ones such as `checked`), or None."""
        attrs = self._attrs.get(node_id)
        return None if attrs is None else attrs.get(name)

    def attributes(self, node_id: int) -> Mapping[str, str]:
        """Read-only view of the node's kept attributes (empty for unknown ids)."""
        attrs = self._attrs.get(node_id)
        return _EMPTY_ATTRS if attrs is None else MappingProxyType(attrs)

    @property
    def parents(self) -> Mapping[int, int | None]:
        """Node id → parent id for every node, for walks that look up many parents (the
        live mapping: read it, never change it)."""
        return self._parent

    def parent(self, node_id: int) -> int | None:
        """Parent id (a shadow child's parent is its host; an iframe Document's, the iframe)."""
        return self._parent.get(node_id)

    def children(self, node_id: int) -> Sequence[int]:
        """Child ids in document order (shadow children included). Do not mutate; the
        sequence is live and changes with later mutations."""
        return self._kids.get(node_id, _NO_CHILDREN)

    def ancestors(self, node_id: int) -> Iterator[int]:
        """Ancestor ids, parent first, up to the root, crossing shadow hosts and iframes."""
        parent_of = self._parent
        node = parent_of.get(node_id)
        budget = len(parent_of)  # defensive: the mirror is acyclic by construction
        while node is not None and budget > 0:
            yield node
            node = parent_of.get(node)
            budget -= 1

    def depth(self, node_id: int) -> int | None:
        """Depth below the snapshot root (0), or None for an unknown id."""
        depth = self._depth.get(node_id)
        if depth is None:
            # Leaves (text, comments) do not store a depth: it is their parent's plus one.
            parent = self._parent.get(node_id)
            if parent is not None:
                parent_depth = self._depth.get(parent)
                return None if parent_depth is None else parent_depth + 1
            return 0 if node_id in self._parent else None
        return depth

    def text(self, node_id: int) -> str:
        """Own text of a Text node (up to 1,000 chars); `""` for anything else."""
        return self._text.get(node_id, "")

    def is_shadow(self, node_id: int) -> bool:
        """Whether the node is a direct child of a shadow root."""
        return node_id in self._shadow

    def root_document(self, node_id: int) -> int | None:
        """Id of the iframe Document that contains the node (or is the node); None for the
        top document and for unknown ids."""
        tag_of = self._tag
        parent_of = self._parent
        if node_id not in parent_of:
            return None
        node: int | None = node_id
        budget = len(parent_of) + 1
        while node is not None and budget > 0:
            if tag_of.get(node) is _DOCUMENT:
                return node if parent_of.get(node) is not None else None
            node = parent_of.get(node)
            budget -= 1
        return None

    def find_by_attr(self, name: str, value: str) -> int | None:
        """First element whose kept attribute `name` equals `value`, or None.

        `id` lookups use an index; other names scan the mirror once and are memoised until
        the next snapshot or mutation (labels look up `<label for=...>` per input event).
        """
        attrs_of = self._attrs
        if name == "id":
            nid = self._by_id.get(value)
            if nid is not None:
                attrs = attrs_of.get(nid)
                if attrs is not None and attrs.get("id") == value:
                    return nid
            if not self._id_lossy:
                return None
        key = (name, value)
        memo = self._lookup_memo.get(key)
        if memo is not None and memo[0] == self._epoch:
            return memo[1]
        found: int | None = None
        for nid, attrs in attrs_of.items():
            if attrs.get(name) == value:
                found = nid
                break
        if len(self._lookup_memo) > 1_024:
            self._lookup_memo.clear()
        self._lookup_memo[key] = (self._epoch, found)
        if name == "id" and found is not None:
            self._by_id[value] = found
        return found

    def text_content(self, node_id: int, limit: int = 200) -> str:
        """Visible text under the node, in document order, whitespace collapsed.

        Skips `script`, `style`, `noscript`, `template`, `head`, comments, `aria-hidden="true"`
        subtrees and iframe documents below the node; shadow children count for their host.
        Block-level element boundaries read as spaces, and so does the seam between two
        text nodes that would otherwise glue two words together. At most `limit` chars.
        Cached per node until a text, child or `aria-hidden` change touches the subtree.
        """
        if limit <= 0 or node_id not in self._tag:
            return ""
        cached = self._tc.get(node_id)
        if cached is not None:
            text, cap, complete = cached
            if complete or limit <= cap:
                return text[:limit].rstrip() if len(text) > limit else text
        cap = max(limit, 200)
        text, complete = self._collect_text(node_id, cap)
        self._tc[node_id] = (text, cap, complete)
        return text[:limit].rstrip() if len(text) > limit else text

    def _collect_text(self, node_id: int, cap: int) -> tuple[str, bool]:
        """Walk the subtree for `text_content`; returns (text cut to `cap`, complete)."""
        tag_of = self._tag
        kids_of = self._kids
        attrs_of = self._attrs
        text_of = self._text
        pieces: list[str] = []
        raw_len = 0
        check_at = cap
        complete = True
        # None on the stack marks the end of a block element: emit a separating space.
        stack: list[int | None] = [node_id]
        first = True
        while stack:
            x = stack.pop()
            if x is None:
                pieces.append(" ")
                continue
            tag = tag_of.get(x)
            if tag is None:
                continue
            if tag is _TEXT:
                piece = text_of.get(x)
                if piece:
                    if pieces and pieces[-1][-1:].isalnum() and piece[:1].isalnum():
                        # Two nodes' texts never run together ("All regionsEU-West"):
                        # adjacent inline elements are separate words to a reader.
                        pieces.append(" ")
                    pieces.append(piece)
                    raw_len += len(piece)
                    if raw_len >= check_at:
                        joined = " ".join("".join(pieces).split())
                        if len(joined) >= cap:
                            complete = False
                            break
                        check_at = raw_len + (cap - len(joined))
                continue
            if tag[0] == "#":
                if not first:
                    continue  # comments, doctypes, CDATA, iframe documents below the node
            elif not first:
                if tag in _HIDDEN_TAGS:
                    continue
                attrs = attrs_of.get(x)
                if attrs is not None and attrs.get("aria-hidden") == "true":
                    continue
            first = False
            kids = kids_of.get(x)
            if tag not in _INLINE_TAGS:
                pieces.append(" ")
                stack.append(None)
            if kids:
                stack.extend(reversed(kids))
        text = " ".join("".join(pieces).split())
        if len(text) > cap:
            text = text[:cap].rstrip()
            complete = False
        return text, complete
