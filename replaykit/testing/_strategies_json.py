"""Hypothesis strategies for the small values rrweb events are made of: text, URLs, JSON.

The building blocks the tree, event and damage strategies share (:data:`Json`,
:data:`T0`, short texts, button words, coordinates, URLs, arbitrary JSON values).
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias

from hypothesis import strategies as st

__all__ = ["T0", "Json"]

Json: TypeAlias = Any
"""A JSON-ready value: dict, list, str, int, float, bool or None."""

T0: Final = 1_700_000_000_000
"""Epoch ms the generated streams start near."""

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_coord = st.floats(min_value=0, max_value=4_000, allow_nan=False, allow_infinity=False)
_short_text = st.text(max_size=24)
_words = st.sampled_from(["Go", "Add to cart", "Sign in", "Next →", "12", "***", "", " "])
_urls = st.builds(
    lambda host, path: f"https://{host}/{path}",
    st.sampled_from(["shop.test", "app.test", "x.test"]),
    st.sampled_from(["", "products", "products/44?x=1", "checkout", "a/b/c#top", "ü"]),
)

# Arbitrary JSON, for payloads that may hold anything and for damage.
_json_leaf = st.none() | st.booleans() | st.integers(-(2**63), 2**64) | _finite | _short_text
_json_values: st.SearchStrategy[Json] = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_short_text, inner, max_size=4),
    max_leaves=10,
)
