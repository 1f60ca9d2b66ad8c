"""Human labels, CSS-like selectors and URL patterns for nodes of a `DomTracker` mirror.

Rules follow `rrweb-format.md` §15:

- `lift_target` turns the raw event target (often a Text node or an icon inside a button)
  into the control a person would say they clicked.
- `css_selector` builds a short, stable display/grouping key such as
  `#checkout-form > label > input[type=email][name=email]`; ` >> ` enters an iframe and
  ` >>> ` a shadow root. It is not guaranteed to be unique.
- `default_label` names the control the way a person would ("Apply coupon", "Email",
  "password field"), never with masked text.
- `normalize_url` folds ids out of paths so that pages group: `/shop/product/:id`.

Every function takes the mirror as it is *at event time* and never raises on unknown ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from ..rrweb._dom import DomTracker
from ..rrweb._model import NodeType

__all__ = [
    "INTERACTIVE_ROLES",
    "LabelFn",
    "container_label",
    "css_selector",
    "default_label",
    "is_masked_text",
    "lift_target",
    "normalize_url",
    "selector_label",
]

LabelFn = Callable[[DomTracker, int], str]
"""A labeller: `(dom, node_id) -> label`, e.g. `default_label` or `selector_label("data-qa")`."""

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

_FORM_CONTROLS: Final = frozenset({"input", "select", "textarea"})
# Inputs that look and act like buttons: their label is their text/value, not a field name.
_BUTTON_INPUT_TYPES: Final = frozenset({"submit", "button", "reset", "image"})
_TEST_HOOKS: Final = ("data-testid", "data-test-id", "data-cy", "data-qa")
_MAX_STEPS: Final = 5
_MAX_SCOPES: Final = 8  # iframe/shadow nesting followed by a selector
_LABEL_MAX: Final = 60
_ELLIPSIS: Final = "…"
# How far `default_label` looks for a container to describe a textless element.
_CONTEXT_ANCESTORS: Final = 5
_PAGE_TAGS: Final = frozenset({"html", "body", "head"})
_CONTEXT_STOP_TAGS: Final = _PAGE_TAGS
# A `<label for=...>` is nearly always in the same form: search near the control first.
_NEAR_LABEL_ANCESTORS: Final = 4
_NEAR_LABEL_BUDGET: Final = 3_000
_DESCENDANT_BUDGET: Final = 64  # nodes searched for an icon's alt/aria-label

_TYPE_NAMES: Final[dict[str, str]] = {
    "text": "text field",
    "email": "email field",
    "password": "password field",
    "search": "search field",
    "tel": "phone field",
    "url": "URL field",
    "number": "number field",
    "date": "date field",
    "datetime-local": "date and time field",
    "month": "month field",
    "week": "week field",
    "time": "time field",
    "color": "colour picker",
    "range": "slider",
    "file": "file picker",
    "checkbox": "checkbox",
    "radio": "radio button",
}

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


def _is_interactive(dom: DomTracker, node_id: int) -> bool:
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


def _element_of(dom: DomTracker, node_id: int) -> int:
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
    element = _element_of(dom, node_id)
    if dom.node_type(element) != NodeType.ELEMENT:
        return element
    node: int | None = element
    for _ in range(_LIFT_MAX_ANCESTORS + 1):
        if node is None or dom.node_type(node) != NodeType.ELEMENT:
            break  # a Document: never lift out of an iframe
        if _is_interactive(dom, node):
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


def _step(dom: DomTracker, node_id: int, positional: bool = True) -> tuple[str, bool]:
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
    if tag in _FORM_CONTROLS:
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
        step, stable = _step(dom, node)
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
    element = _element_of(dom, node_id)
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


# --- labels --------------------------------------------------------------------------------


def is_masked_text(s: str) -> bool:
    """True when `s` is masked recorder output: only `*` and whitespace, at least one `*`."""
    return "*" in s and not s.replace("*", "").strip()


def _collapse(s: str) -> str:
    return " ".join(s.split())


def _clip(s: str, limit: int = _LABEL_MAX) -> str:
    if len(s) <= limit:
        return s
    return s[: limit - 1].rstrip() + _ELLIPSIS


class _Candidates:
    """First usable (non-empty, unmasked) text wins; the first masked one is remembered."""

    __slots__ = ("masked",)

    def __init__(self) -> None:
        self.masked: str | None = None

    def accept(self, text: str | None) -> str | None:
        if text is None:
            return None
        text = _collapse(text)
        if not text:
            return None
        if is_masked_text(text):
            if self.masked is None:
                self.masked = text
            return None
        return text


def _labelledby_text(dom: DomTracker, ids: str) -> str:
    texts = []
    for ref in ids.split()[:8]:
        target = dom.find_by_attr("id", ref)
        if target is not None:
            texts.append(_own_label(dom, target))
    return " ".join(t for t in texts if t)


def _own_label(dom: DomTracker, node_id: int) -> str:
    """aria-label or visible text: what a referenced element says."""
    aria = dom.attr(node_id, "aria-label")
    if aria and aria.strip():
        return aria
    return dom.text_content(node_id, 120)


def _find_label_for(dom: DomTracker, control: int, control_id: str) -> int | None:
    """The `<label for=control_id>`: first among the control's near ancestors' subtrees
    (cheap, and right when a page repeats ids), then anywhere."""
    node: int | None = control
    seen = 0
    for _ in range(_NEAR_LABEL_ANCESTORS):
        node = dom.parent(node) if node is not None else None
        if node is None:
            break
        stack = [node]
        while stack and seen < _NEAR_LABEL_BUDGET:
            current = stack.pop()
            seen += 1
            if dom.tag(current) == "label" and dom.attr(current, "for") == control_id:
                return current
            stack.extend(dom.children(current))
    found = dom.find_by_attr("for", control_id)
    if found is not None and dom.tag(found) == "label":
        return found
    return None


def _wrapping_label(dom: DomTracker, control: int) -> int | None:
    for ancestor in dom.ancestors(control):
        tag = dom.tag(ancestor)
        if tag == "label":
            return ancestor
        if tag is None or tag in ("form", "body") or dom.is_shadow(ancestor):
            return None
    return None


def _label_element_text(dom: DomTracker, label: int, control: int) -> str:
    """A `<label>`'s text without the control's own text (a select's options, ...)."""
    text = dom.text_content(label, 200)
    own = dom.text_content(control, 200)
    if own and own in text:
        text = text.replace(own, " ", 1)
    return text


def _control_label(dom: DomTracker, node_id: int, tag: str, found: _Candidates) -> str | None:
    """§15 rule 2 for form controls: label element, placeholder, name (the type comes
    later, from `_control_kind`, so that a `title` can still win over "text field")."""
    element_id = dom.attr(node_id, "id")
    if element_id:
        label = _find_label_for(dom, node_id, element_id)
        if label is not None:
            text = found.accept(_label_element_text(dom, label, node_id))
            if text:
                return text
    wrapper = _wrapping_label(dom, node_id)
    if wrapper is not None:
        text = found.accept(_label_element_text(dom, wrapper, node_id))
        if text:
            return text
    input_type = (dom.attr(node_id, "type") or "").strip().lower()
    if tag == "input" and input_type in _BUTTON_INPUT_TYPES:
        return None  # labelled like a button: alt/title/value below
    for name in ("placeholder", "name"):
        text = found.accept(dom.attr(node_id, name))
        if text:
            return text
    return None


def _control_kind(dom: DomTracker, node_id: int, tag: str) -> str | None:
    """A field's generic name from its type ("password field"); None for button inputs."""
    if tag == "select":
        return "drop-down"
    if tag == "textarea":
        return "text area"
    input_type = (dom.attr(node_id, "type") or "").strip().lower() or "text"
    if input_type in _BUTTON_INPUT_TYPES:
        return None
    return _TYPE_NAMES.get(input_type, f"{input_type} field")


def _descendant_name(dom: DomTracker, node_id: int, found: _Candidates) -> str | None:
    """`alt`, `aria-label` or `title` of a descendant, as for an icon-only link or button
    (`<a><img alt="Cart"></a>`, `<button><svg aria-label="Close"></svg></button>`)."""
    stack = list(reversed(dom.children(node_id)))
    budget = _DESCENDANT_BUDGET
    while stack and budget > 0:
        current = stack.pop()
        budget -= 1
        if dom.tag(current) is None or dom.attr(current, "aria-hidden") == "true":
            continue
        for name in ("aria-label", "alt", "title"):
            text = found.accept(dom.attr(current, name))
            if text:
                return text
        stack.extend(reversed(dom.children(current)))
    return None


def _context_label(dom: DomTracker, node_id: int, tag: str) -> str | None:
    """`div in "Order summary"`: the nearest labelled or texted ancestor (not the page)."""
    node: int | None = node_id
    for _ in range(_CONTEXT_ANCESTORS):
        node = dom.parent(node) if node is not None else None
        if node is None or dom.node_type(node) != NodeType.ELEMENT:
            return None
        if dom.tag(node) in _CONTEXT_STOP_TAGS:
            return None
        for text in (dom.attr(node, "aria-label"), dom.text_content(node, _LABEL_MAX)):
            if text is None:
                continue
            text = _collapse(text)
            if text and not is_masked_text(text):
                room = _LABEL_MAX - len(tag) - len(' in ""')
                return f'{tag} in "{_clip(text, max(room, 10))}"'
    return None


def default_label(dom: DomTracker, node_id: int) -> str:
    """What a person would call the node (§15), whitespace collapsed, at most 60 chars.

    First non-empty source wins:

    1. `aria-label`; `aria-labelledby` (the referenced elements' labels or text);
    2. form controls: the `<label for=id>` or wrapping `<label>` text (minus the control's
       own text), `placeholder`, `name`;
    3. `alt`, `title`;
    4. form controls: their kind ("password field", "drop-down"), never their content (a
       textarea's text or a select's options are the user's input); other elements: visible
       text, then for an icon-only control a descendant's `aria-label`/`alt`/`title`
       (`<html>`/`<body>` skip this: the whole page's text names nothing);
    5. a button-like input's `value`.

    Masked text is never used: if it was all there was, the label is "masked text (N
    chars)". Otherwise a non-interactive element is described by its nearest labelled
    container (`div in "Order summary"`), a click on `<html>`/`<body>` itself is "page
    background", and anything else by its selector step without position
    (`button#load-more`). Text nodes are labelled as their parent element; unknown
    ids are "unknown element".
    """
    if node_id not in dom:
        return "unknown element"
    element = _element_of(dom, node_id)
    tag = dom.tag(element)
    if tag is None:
        return "document" if dom.node_type(element) == NodeType.DOCUMENT else "unknown element"
    label = _find_label(dom, element, tag)
    return _clip(label)


def _find_label(dom: DomTracker, element: int, tag: str) -> str:
    found = _Candidates()
    text = found.accept(dom.attr(element, "aria-label"))
    if text:
        return text
    labelledby = dom.attr(element, "aria-labelledby")
    if labelledby:
        text = found.accept(_labelledby_text(dom, labelledby))
        if text:
            return text
    control = tag in _FORM_CONTROLS
    if control:
        text = _control_label(dom, element, tag, found)
        if text:
            return text
    for name in ("alt", "title"):
        text = found.accept(dom.attr(element, name))
        if text:
            return text
    if control:
        # A field's own content is what the user typed or chose (a textarea's text, a
        # select's options): never its label. Its type is.
        kind = _control_kind(dom, element, tag)
        if kind is not None:
            return kind
    elif tag not in _PAGE_TAGS:  # the whole page's text says nothing about a click on it
        text = found.accept(dom.text_content(element, 200))
        if text:
            return text
        if _is_interactive(dom, element):
            text = _descendant_name(dom, element, found)
            if text:
                return text
    input_type = (dom.attr(element, "type") or "").strip().lower()
    if tag == "input" and input_type in _BUTTON_INPUT_TYPES:
        text = found.accept(dom.attr(element, "value"))
        if text:
            return text
    if found.masked is not None:
        return f"masked text ({len(found.masked)} chars)"
    if tag in _PAGE_TAGS:
        return "page background"  # a click that hit no element of its own
    if not _is_interactive(dom, element):
        context = _context_label(dom, element, tag)
        if context:
            return context
    step, _ = _step(dom, element, positional=False)
    return step


_LANDMARKS = {
    "nav": "navigation",
    "aside": "sidebar",
    "main": "main content",
    "header": "header",
    "footer": "footer",
    "form": "form",
    "table": "table",
    "ul": "list",
    "ol": "list",
    "dialog": "dialog",
}
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HEADING_SEARCH = 64  # descendants searched for a container's heading


def container_label(dom: DomTracker, node_id: int) -> str:
    """What a person would call a region they scrolled: its accessible name
    (`aria-label`, `aria-labelledby`, `title`), else its first heading, else its landmark
    (`navigation`, `sidebar`, a `role`), else its selector step — never the text of
    everything inside it (a list's items glued together name nothing)."""
    if node_id not in dom:
        return "unknown element"
    element = _element_of(dom, node_id)
    tag = dom.tag(element) or ""
    found = _Candidates()
    for text in (
        dom.attr(element, "aria-label"),
        _labelledby_text(dom, dom.attr(element, "aria-labelledby") or ""),
        dom.attr(element, "title"),
    ):
        accepted = found.accept(text)
        if accepted:
            return _clip(accepted)
    stack = list(reversed(dom.children(element)))
    budget = _HEADING_SEARCH
    while stack and budget > 0:
        current = stack.pop()
        budget -= 1
        ctag = dom.tag(current)
        if ctag is None or ctag.startswith("#"):
            continue
        if ctag in _HEADINGS or dom.attr(current, "role") == "heading":
            accepted = found.accept(dom.text_content(current, _LABEL_MAX))
            if accepted:
                return _clip(accepted)
        stack.extend(reversed(dom.children(current)))
    role = (dom.attr(element, "role") or "").strip().lower()
    if role:
        return role
    if tag in _LANDMARKS:
        return _LANDMARKS[tag]
    step, _ = _step(dom, element, positional=False)
    return step


def selector_label(attr: str = "data-testid") -> LabelFn:
    """A labeller preferring `attr` on the node or its nearest ancestor that has it (within
    the node's document), else `default_label`. Example: `selector_label("data-qa")`."""

    def label(dom: DomTracker, node_id: int) -> str:
        if node_id in dom:
            node: int | None = _element_of(dom, node_id)
            while node is not None and dom.node_type(node) == NodeType.ELEMENT:
                value = dom.attr(node, attr)
                if value is not None:
                    value = _collapse(value)
                    if value:
                        return _clip(value)
                node = dom.parent(node)
        return default_label(dom, node_id)

    label.__name__ = f"selector_label_{attr}"
    label.__doc__ = f"Label from `{attr}` on the node or an ancestor, else `default_label`."
    return label


# --- URLs ----------------------------------------------------------------------------------

_NUMERIC = re.compile(r"\d+")
_LONG_HEX = re.compile(r"[0-9a-fA-F]{8,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _id_segment(segment: str) -> bool:
    if _NUMERIC.fullmatch(segment) or _UUID.fullmatch(segment):
        return True
    return _LONG_HEX.fullmatch(segment) is not None and any(ch.isdigit() for ch in segment)


def normalize_url(url: str) -> str:
    """URL pattern for grouping pages: query, fragment and credentials dropped, id-like path
    segments (numbers, 8+ hex chars with a digit, UUIDs) replaced by `:id`; scheme and host
    kept. Anything that does not parse comes back unchanged.

    >>> normalize_url("http://h/shop/product/44?x=1")
    'http://h/shop/product/:id'
    """
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return url
    if not (parts.scheme or parts.netloc or parts.path):
        return url
    netloc = parts.netloc
    if host is not None:
        # Drop user:password@ and normalise the host's case; keep an explicit port.
        host_text = f"[{host}]" if ":" in host else host
        netloc = host_text if port is None else f"{host_text}:{port}"
    path = "/".join(":id" if _id_segment(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "", ""))
