"""Target lifting and CSS-like selectors for nodes of a `DomTracker` mirror (`rrweb-format.md` §15).

- `lift_target` turns the raw event target (often a Text node or an icon inside a button)
  into the control a person would say they clicked.
- `css_selector` builds a short, stable display/grouping key such as
  `#checkout-form > label > input[type=email][name=email]`; ` >> ` enters an iframe and
  ` >>> ` a shadow root. It is not guaranteed to be unique.

Every function takes the mirror as it is *at event time* and never raises on unknown ids.
"""

from __future__ import annotations

import re
from typing import Final

from ..rrweb._dom import DomTracker
from ..rrweb._model import NodeType

__all__ = [
    "FORM_CONTROLS",
    "INTERACTIVE_ROLES",
    "css_selector",
    "element_of",
    "is_interactive",
    "lift_target",
    "selector_step",
]

INTERACTIVE_ROLES: Final = frozenset(
    {
        "button",
        "checkbox",
        "combobox",
        "link",
        "menuitem",
        "menuitemcheckbox",
        "menuitemradio",
        "option",
        "radio",
        "searchbox",
        "slider",
        "spinbutton",
        "switch",
        "tab",
        "textbox",
        "treeitem",
    }
)
"""ARIA roles that make an element a click target for `lift_target` (§15's list, plus the
other widget roles a person clicks: menu item variants, combobox, textbox, slider, ...)."""

_INTERACTIVE_TAGS: Final = frozenset(
    {"button", "input", "select", "textarea", "label", "summary", "option"}
)
_LIFT_MAX_ANCESTORS: Final = 6

FORM_CONTROLS: Final = frozenset({"input", "select", "textarea"})
_TEST_HOOKS: Final = ("data-testid", "data-test-id", "data-cy", "data-qa")
_MAX_STEPS: Final = 5
_MAX_SCOPES: Final = 8  # iframe/shadow nesting followed by a selector


# --- stable ids and classes (§15 rule 1) ---------------------------------------------------

_SIMPLE_NAME = re.compile(r"[A-Za-z_][\w-]*")
_DIGIT_RUN = re.compile(r"\d{4,}")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{8,}")
# Framework-generated ids: the prefix is fixed, a counter follows (`ember123`,
# `react-select-3-input`, `headlessui-menu-button-7`, `mui-42`, `radix-:r1:`).
_GENERATED_ID = re.compile(
    r"(?:ember|ext-gen|gwt-uid-|yui_|ui-id-|mui-|radix-|headlessui-|downshift-|"
    r"react-select-|rc-[a-z]+-|select2-|vs\d|v-|el-id-|p-id-|__BVID__|id-|uid-)"
    r"[\w-]*\d",
    re.IGNORECASE,
)
_HASHED_CLASS = re.compile(
    r"(?:css|sc|jsx|emotion|styled|svelte|astro|tw)-[\w-]*"  # CSS-in-JS and scoped styles
    r"|[\w-]*__[\w-]*\d[\w-]*"  # CSS modules: Button_primary__3xYz1
    r"|[\w-]*\d{5,}[\w-]*"  # long numbers
)
_STATE_CLASS = re.compile(
    r"(?:is|has)-[\w-]+|active|current|focus(?:ed)?|hover(?:ed)?|selected|open(?:ed)?|"
    r"closed|disabled|hidden|visible|show(?:n)?|expanded|collapsed|loading|checked",
)


def _hashy_segment(segment: str) -> bool:
    """A class segment of 5+ chars mixing 2+ letters and 2+ digits, like `1x2y3z`."""
    if len(segment) < 5:
        return False
    digits = sum(ch.isdigit() for ch in segment)
    return digits >= 2 and len(segment) - digits >= 2


def _stable_id(value: str) -> bool:
    """Whether an `id` value is worth putting in a selector (§15 rule 1)."""
    if not _SIMPLE_NAME.fullmatch(value):
        return False  # `:r1:`, `«r2»`, numeric or spaced ids
    if _DIGIT_RUN.search(value):
        return False
    hex_run = _HEX_RUN.search(value)
    if hex_run is not None and any(ch.isdigit() for ch in hex_run.group()):
        return False
    return _GENERATED_ID.match(value) is None


def _stable_class(name: str) -> bool:
    """Whether a class name is stable (not hashed, generated or a transient state)."""
    if not _SIMPLE_NAME.fullmatch(name) or name.startswith("rr-"):
        return False
    if _HASHED_CLASS.fullmatch(name) or _STATE_CLASS.fullmatch(name):
        return False
    return not any(_hashy_segment(seg) for seg in re.split(r"[-_]", name))


def _attr_selector(name: str, value: str) -> str:
    if _SIMPLE_NAME.fullmatch(value):
        return f"[{name}={value}]"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'[{name}="{escaped}"]'


# --- lifting -------------------------------------------------------------------------------


def is_interactive(dom: DomTracker, node_id: int) -> bool:
    tag = dom.tag(node_id)
    if tag is None:
        return False
    attrs = dom.attributes(node_id)
    if tag in _INTERACTIVE_TAGS:
        return not (tag == "input" and attrs.get("type", "").lower() == "hidden")
    if tag == "a" and "href" in attrs:
        return True
    role = attrs.get("role")
    if role is not None and role.strip().lower() in INTERACTIVE_ROLES:
        return True
    if "onclick" in attrs:
        return True
    editable = attrs.get("contenteditable")
    if editable is not None and editable.lower() != "false":
        return True
    tabindex = attrs.get("tabindex")
    if tabindex is not None:
        try:
            return int(tabindex.strip()) >= 0
        except ValueError:
            return False
    return False


def element_of(dom: DomTracker, node_id: int) -> int:
    """The node itself unless it is Text, CDATA or a comment: then its parent element."""
    if dom.node_type(node_id) in (NodeType.ELEMENT, NodeType.DOCUMENT, None):
        return node_id
    parent = dom.parent(node_id)
    if parent is not None and dom.node_type(parent) == NodeType.ELEMENT:
        return parent
    return node_id


def lift_target(dom: DomTracker, node_id: int) -> int:
    """The control a person clicked: a Text node's parent, then the nearest interactive
    element among it and its 6 closest ancestors (§15); that element itself when none is.

    Unknown ids come back unchanged.
    """
    if node_id not in dom:
        return node_id
    element = element_of(dom, node_id)
    if dom.node_type(element) != NodeType.ELEMENT:
        return element
    node: int | None = element
    for _ in range(_LIFT_MAX_ANCESTORS + 1):
        if node is None or dom.node_type(node) != NodeType.ELEMENT:
            break  # a Document: never lift out of an iframe
        if is_interactive(dom, node):
            return node
        node = dom.parent(node)
    return element


# --- selectors -----------------------------------------------------------------------------


def _test_hook(dom: DomTracker, node_id: int) -> str | None:
    attrs = dom.attributes(node_id)
    for name in _TEST_HOOKS:
        value = attrs.get(name)
        if value:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            return f'[{name}="{escaped}"]'
    return None


def selector_step(dom: DomTracker, node_id: int, positional: bool = True) -> tuple[str, bool]:
    """One selector step for an element and whether it carries a stable id (§15 rule 1).
    `positional=False` leaves out `:nth-of-type`, for labels read by people."""
    tag = dom.tag(node_id) or "*"
    attrs = dom.attributes(node_id)
    parts = [tag]
    element_id = attrs.get("id")
    stable = element_id is not None and _stable_id(element_id)
    if stable:
        parts.append(f"#{element_id}")
    classes = attrs.get("class")
    if classes:
        kept = [c for c in dict.fromkeys(classes.split()) if _stable_class(c)]
        parts.extend(f".{c}" for c in kept[:2])
    if tag in FORM_CONTROLS:
        for name in ("type", "name"):
            value = attrs.get(name)
            if value:
                parts.append(_attr_selector(name, value))
    if positional and not stable:
        nth = _nth_of_type(dom, node_id, tag)
        if nth is not None:
            parts.append(f":nth-of-type({nth})")
    return "".join(parts), stable


def _nth_of_type(dom: DomTracker, node_id: int, tag: str) -> int | None:
    """1-based position among same-tag element siblings (same shadow side), or None when
    the element is the only one of its tag."""
    parent = dom.parent(node_id)
    if parent is None:
        return None
    shadow = dom.is_shadow(node_id)
    position = 0
    count = 0
    for sibling in dom.children(parent):
        if dom.tag(sibling) == tag and dom.is_shadow(sibling) == shadow:
            count += 1
            if sibling == node_id:
                position = count
    return position if count > 1 else None


def _scope_selector(dom: DomTracker, element: int) -> tuple[str, int | None, str]:
    """Selector of `element` inside its own scope (document or shadow root), plus the
    element that owns the scope (iframe or shadow host) and the separator to it."""
    steps: list[str] = []
    node = element
    while True:
        hook = _test_hook(dom, node)
        if hook is not None:
            steps.append(hook)
            break
        step, stable = selector_step(dom, node)
        steps.append(step)
        if stable or len(steps) >= _MAX_STEPS or dom.is_shadow(node):
            break
        parent = dom.parent(node)
        if parent is None or dom.node_type(parent) != NodeType.ELEMENT:
            break
        node = parent
    selector = " > ".join(reversed(steps))
    # Find what owns this scope, walking past whatever the step limit left out.
    current: int | None = node
    while current is not None:
        parent = dom.parent(current)
        if dom.is_shadow(current):
            return selector, parent, " >>> "
        if parent is None:
            break
        if dom.node_type(parent) == NodeType.DOCUMENT:
            owner = dom.parent(parent)
            return selector, owner, " >> "
        current = parent
    return selector, None, ""


def css_selector(dom: DomTracker, node_id: int) -> str:
    """A short CSS-like selector for the node (§15), bottom-up and at most 5 steps per scope.

    Test hooks (`data-testid`, `data-test-id`, `data-cy`, `data-qa`) win and end the
    selector; a stable `#id` ends it too; up to 2 stable classes, `[type]`/`[name]` for form
    controls and `:nth-of-type(k)` among same-tag siblings make a step. An iframe's content
    is prefixed with the iframe's selector and ` >> `, a shadow root's with the host's and
    ` >>> `. Text nodes use their parent; Documents read `document`; unknown ids `unknown`.
    """
    if node_id not in dom:
        return "unknown"
    element = element_of(dom, node_id)
    kind = dom.node_type(element)
    parts: list[str] = []
    node: int | None = element
    if kind == NodeType.DOCUMENT:
        parts.append("document")
        node = dom.parent(element)  # an iframe document: prefix the iframe's selector
        if node is not None:
            parts.append(" >> ")
    elif kind != NodeType.ELEMENT:
        return "unknown"
    for _ in range(_MAX_SCOPES):
        if node is None or dom.node_type(node) != NodeType.ELEMENT:
            break
        selector, owner, separator = _scope_selector(dom, node)
        parts.append(selector)
        if owner is None:
            break
        parts.append(separator)
        node = owner
    return "".join(reversed(parts))
