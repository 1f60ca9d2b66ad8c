"""The read side of the DOM mirror: its state (one dict per property, keyed by node id)
and every query on it, text content and its cache included."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from ._dom_nodes import (
    _DOCUMENT,
    _EMPTY_ATTRS,
    _HIDDEN_TAGS,
    _INLINE_TAGS,
    _MARKER_TYPES,
    _NO_CHILDREN,
    _TEXT,
    DomStats,
)
from ._model import (
    NodeType,
)

__all__ = ["DomState"]


class DomState:
    """A DOM mirror's state and queries; :class:`~._dom.DomTracker` adds the updates."""

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
