"""Text from a recording, made safe for a terminal or a markdown file.

Everything in a recording is written by whoever controls the page: a button whose text
holds ``ESC [2J`` or ``ESC ] 0;title BEL`` would clear or retitle the terminal it is
printed on, and a bidi override would make one id read as another. Human-facing outputs
(markdown timelines, tables, progress lines, error messages) pass text through
:func:`printable` once, where they are written; JSON output needs nothing (the encoder
escapes control characters) and HTML is escaped by its template.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_AND_NEWLINES = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control and bidi characters shown as ``\\xNN`` / ``\\uNNNN`` escapes.

    Tabs and newlines stay unless ``keep_newlines`` is False (one-line outputs: table
    cells, progress lines, ids).
    """
    pattern = _CONTROL if keep_newlines else _CONTROL_AND_NEWLINES
    return pattern.sub(_escape, text)
