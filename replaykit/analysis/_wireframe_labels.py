"""What a person would call a wireframe element: its own words, or its role beside the
nearest text in its row or column (``"+" next to "Ice Cream Sandwich"``); masked text is
never shown."""

from __future__ import annotations

from collections.abc import Sequence

from ._wireframe import Element, wordy

__all__ = ["clip", "context", "label_for", "v_overlap"]

_LABEL_MAX = 120
_COLUMN_GAP_PT = 24.0


def v_overlap(a: Element, b: Element) -> float:
    return min(a.bottom, b.bottom) - max(a.y, b.y)


def _h_overlap(a: Element, b: Element) -> float:
    return min(a.right, b.right) - max(a.x, b.x)


def context(e: Element, elements: Sequence[Element]) -> tuple[str, str] | None:
    """The nearest readable text around ``e``: ``("next to", text)`` in its row,
    ``("in", text)`` of a container, ``("above"/"below", text)`` in its column."""
    row: list[tuple[int, float, Element]] = []
    column: list[tuple[int, float, str, Element]] = []
    container: Element | None = None
    cx, cy = e.x + e.w / 2, e.y + e.h / 2
    for o in elements:
        if o is e or o.text is None:
            continue
        rank = (0 if o.role == "text" else 1) if wordy(o.text) else 2
        if o.w * o.h > e.w * e.h and o.contains(cx, cy):
            if container is None or o.w * o.h < container.w * container.h:
                container = o
            continue
        vo = v_overlap(e, o)
        if vo > 0 and vo >= 0.5 * min(e.h, o.h):
            gap = max(o.x - e.right, e.x - o.right, 0.0)
            row.append((rank, gap, o))
            continue
        ho = _h_overlap(e, o)
        if ho > 0 and ho >= 0.5 * min(e.w, o.w):
            if 0 <= o.y - e.bottom <= _COLUMN_GAP_PT:
                column.append((rank, o.y - e.bottom, "above", o))
            elif 0 <= e.y - o.bottom <= _COLUMN_GAP_PT:
                column.append((rank, e.y - o.bottom, "below", o))
    if container is not None and container.text is not None and wordy(container.text):
        return "in", container.text
    if row:
        best = min(row, key=lambda r: (r[0], r[1]))
        if best[0] < 2 or not column:
            assert best[2].text is not None
            return "next to", best[2].text
    if column:
        c = min(column, key=lambda r: (r[0], r[1]))
        assert c[3].text is not None
        return c[2], c[3].text
    return None


def clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_for(e: Element, elements: Sequence[Element]) -> str:
    """What a person would call ``e``: its text when it reads as words, else its text or
    role with the nearest readable text around it. Masked text is never shown."""
    if e.text is not None and wordy(e.text):
        return clip(e.text, _LABEL_MAX)
    base = f'"{clip(e.text, 30)}"' if e.text is not None else e.role
    if e.text is None and e.role == "text":
        base = "masked text"
    ctx = context(e, elements)
    if ctx is not None:
        return f'{base} {ctx[0]} "{clip(ctx[1])}"'[:_LABEL_MAX]
    if e.text is not None:
        return clip(e.text, _LABEL_MAX)
    # No readable text around it: say which one of a row of alike elements it is.
    alike = sorted(
        (o for o in elements if o.role == e.role and v_overlap(e, o) >= 0.5 * min(e.h, o.h)),
        key=lambda o: o.x,
    )
    if len(alike) > 1 and e in alike:
        return f"{base} {alike.index(e) + 1} of {len(alike)} in its row"
    return f"{base} at ({e.x + e.w / 2:.0f}, {e.y + e.h / 2:.0f})"
