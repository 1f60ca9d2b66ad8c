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

This module holds the labels; lifting and selectors are `_selectors`, URL patterns
`_urls` (both re-exported here).

Every function takes the mirror as it is *at event time* and never raises on unknown ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ..rrweb._dom import DomTracker
from ..rrweb._model import NodeType
from ._selectors import (
    FORM_CONTROLS,
    INTERACTIVE_ROLES,
    css_selector,
    element_of,
    is_interactive,
    lift_target,
    selector_step,
)
from ._urls import normalize_url

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


# Inputs that look and act like buttons: their label is their text/value, not a field name.
_BUTTON_INPUT_TYPES: Final = frozenset({"submit", "button", "reset", "image"})
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
    element = element_of(dom, node_id)
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
    control = tag in FORM_CONTROLS
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
        if is_interactive(dom, element):
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
    if not is_interactive(dom, element):
        context = _context_label(dom, element, tag)
        if context:
            return context
    step, _ = selector_step(dom, element, positional=False)
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
    element = element_of(dom, node_id)
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
    step, _ = selector_step(dom, element, positional=False)
    return step


def selector_label(attr: str = "data-testid") -> LabelFn:
    """A labeller preferring `attr` on the node or its nearest ancestor that has it (within
    the node's document), else `default_label`. Example: `selector_label("data-qa")`."""

    def label(dom: DomTracker, node_id: int) -> str:
        if node_id in dom:
            node: int | None = element_of(dom, node_id)
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
