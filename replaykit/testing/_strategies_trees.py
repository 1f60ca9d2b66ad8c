"""Hypothesis strategies for rrweb serialized DOM trees (the node of a FullSnapshot)."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from ._strategies_json import Json, _short_text, _urls, _words

__all__ = ["serialized_trees"]

_TAGS: Final = (
    "div",
    "span",
    "p",
    "a",
    "button",
    "input",
    "select",
    "option",
    "textarea",
    "form",
    "label",
    "ul",
    "li",
    "h1",
    "img",
    "section",
    "iframe",
    "svg",
    "summary",
    "details",
)
_INPUT_TYPES: Final = ("text", "password", "email", "checkbox", "radio", "submit", "hidden")


@st.composite
def _attributes(draw: st.DrawFn, tag: str) -> dict[str, Json]:
    attrs: dict[str, Json] = {}
    if draw(st.booleans()):
        attrs["id"] = draw(st.sampled_from(["go", "email", "q", "main", "x y", ""]))
    if draw(st.booleans()):
        attrs["class"] = draw(st.sampled_from(["btn", "btn primary", "ph-no-capture", ""]))
    if tag == "input":
        attrs["type"] = draw(st.sampled_from(_INPUT_TYPES))
        if draw(st.booleans()):
            attrs["value"] = draw(_short_text)
    if tag == "a":
        attrs["href"] = draw(_urls | st.sampled_from(["#top", "mailto:a@b.c", ""]))
    extra = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "role",
                    "aria-label",
                    "aria-hidden",
                    "placeholder",
                    "title",
                    "data-testid",
                    "tabindex",
                    "onclick",
                    "checked",
                    "rr_width",
                    "contenteditable",
                    "style",
                    "_cssText",
                ]
            ),
            st.one_of(_short_text, st.just(True), st.integers(-5, 5)),
            max_size=3,
        )
    )
    attrs.update(extra)
    return attrs


@st.composite
def _trees(draw: st.DrawFn, max_nodes: int, first_id: int, duplicate_ids: bool) -> dict[str, Json]:
    # Built without recursion, parent by parent: each new node picks an existing element
    # (or the body) as its parent, so any shape up to a chain of `max_nodes` comes out.
    n = draw(st.integers(min_value=3, max_value=max(3, max_nodes)))
    nodes: list[dict[str, Json]] = [
        {"type": 0, "id": first_id, "childNodes": []},
        {"type": 2, "id": first_id + 1, "tagName": "html", "attributes": {}, "childNodes": []},
        {"type": 2, "id": first_id + 2, "tagName": "body", "attributes": {}, "childNodes": []},
    ]
    nodes[0]["childNodes"].append(nodes[1])
    nodes[1]["childNodes"].append(nodes[2])
    containers = [2]
    for i in range(3, n):
        parent = nodes[draw(st.sampled_from(containers))]
        node_id = first_id + i
        if duplicate_ids and draw(st.integers(0, 9)) == 0:
            node_id = draw(st.integers(first_id, first_id + i))
        kind = draw(st.sampled_from(["element"] * 6 + ["text"] * 3 + ["comment"]))
        node: dict[str, Json]
        if kind == "element":
            tag = draw(st.sampled_from(_TAGS))
            node = {
                "type": 2,
                "id": node_id,
                "tagName": tag,
                "attributes": draw(_attributes(tag)),
                "childNodes": [],
            }
            if tag == "svg":
                node["isSVG"] = True
            if draw(st.integers(0, 15)) == 0:
                node["isShadowHost"] = True
            containers.append(i)
        elif kind == "text":
            node = {"type": 3, "id": node_id, "textContent": draw(_words | _short_text)}
        else:
            node = {"type": 5, "id": node_id, "textContent": draw(_short_text)}
        if draw(st.integers(0, 20)) == 0:
            node["isShadow"] = True
        nodes.append(node)
        parent["childNodes"].append(node)
    return nodes[0]


def serialized_trees(
    *, max_nodes: int = 40, first_id: int = 1, duplicate_ids: bool = False
) -> st.SearchStrategy[dict[str, Json]]:
    """rrweb serialized DOM trees: a Document (id `first_id`) > html > body > random nodes.

    Up to `max_nodes` nodes of any shape (wide, deep or both): elements with the
    attributes labels and selectors read, text (sometimes masked), comments, shadow roots.
    Ids are `first_id`, `first_id + 1`, ... in creation order, unless `duplicate_ids`
    re-uses some (as buggy recorders do).
    """
    return _trees(max_nodes, first_id, duplicate_ids)


def _all_nodes(tree: dict[str, Json]) -> list[dict[str, Json]]:
    nodes: list[dict[str, Json]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("childNodes", ()))
    return nodes


def _node_ids(tree: dict[str, Json]) -> list[int]:
    return [node["id"] for node in _all_nodes(tree)]
