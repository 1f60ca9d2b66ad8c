"""Click effects' building blocks: what a click's target is, and scanners over the tape.

- :func:`classify_target` looks at the click's target in the DOM mirror *at click time*
  and says what kind of thing it is (``frustration-signals.md`` §0 "text-like field", §3
  step 1 "candidate"): a control that should react, a link, a link that leaves the page, a
  text field, a blocked element, the page itself, or plain content.
- :func:`effect_requests` lists the fetch/XHR requests around a click and
  :func:`text_sample` the text that appeared or vanished; the attribution rule that puts
  them together is :mod:`~replaykit.analysis._attribution`.
- The ``first_*`` scanners are the primitives the page-level detectors share.

Tape lists are in stream order, which is time order (the decoder sorts each chunk), so
lookups bisect on ``t``; nothing here raises on odd input.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit

from ..rrweb._dom import DomTracker
from ..rrweb._model import NodeType
from ._actions import (
    Action,
    EffectRequest,
    NavigationDetails,
    TargetKind,
)
from ._labels import INTERACTIVE_ROLES
from ._signal_config import EffectConfig
from ._tape import (
    ConsoleRecord,
    InputRecord,
    MutationRecord,
    NetworkRecord,
    ScrollRecord,
    Tape,
)

__all__ = [
    "OPT_OUT_CLASSES",
    "REQUEST_INITIATORS",
    "TEXT_INPUT_TYPES",
    "NavMark",
    "classify_target",
    "effect_requests",
    "first_input",
    "first_mutation",
    "first_navigation",
    "first_scroll",
    "first_selection",
    "is_request",
    "label_control",
    "navigations_from_actions",
    "text_sample",
    "url_path",
]

TEXT_INPUT_TYPES = frozenset(
    {
        "",
        "text",
        "search",
        "email",
        "password",
        "url",
        "tel",
        "number",
        "date",
        "datetime-local",
        "month",
        "week",
        "time",
        "color",
        "range",
        "file",
    }
)
"""``<input>`` types that are text-like fields (§0): clicking one focuses it (or opens a
picker), which is its expected effect, so such clicks are never dead or rage."""

OPT_OUT_CLASSES = frozenset({"ph-no-rageclick", "ph-no-capture"})
"""Classes by which a page asks analytics not to judge an element (posthog-js, §2)."""

REQUEST_INITIATORS = frozenset({"fetch", "xmlhttprequest"})
"""Requests a click can trigger and wait on (§4, §7); resources and navigations are not."""

_TEXT_ROLES = frozenset({"textbox", "searchbox", "combobox", "spinbutton", "slider"})
_CONTROL_TAGS = frozenset({"button", "summary", "option", "details"})
_ELSEWHERE_SCHEMES = ("mailto:", "tel:", "sms:")
_OPT_OUT_ANCESTORS = 6  # the same reach as target lifting (rrweb-format §15)
_LABEL_SEARCH = 32  # descendants searched for the field a <label> wraps
_MAX_ERROR_CHARS = 200
_MAX_REQUEST_MS = 120_000
# Records looked at per list for one click's effect. A real page logs, mutates or reports
# far fewer within a click's window; a storm of records at one instant made each click cost
# the whole storm (quadratic), so scans stop here.
_MAX_SCAN = 1_024

_R = TypeVar("_R", MutationRecord, InputRecord, ScrollRecord, ConsoleRecord)


class NavMark(NamedTuple):
    """A navigation for effect lookups: time, document number, ``how`` and the new URL.

    ``started`` is when a new document's navigation began (epoch ms), when the recording
    tells (the network plugin's navigation entry: the document's first event less the
    entry's response end); None otherwise.
    """

    t: int
    document: int
    how: str
    url: str | None
    window_id: str | None = None
    order: int = 0
    started: int | None = None


# --- the target ----------------------------------------------------------------------------


def label_control(dom: DomTracker, label_id: int) -> int | None:
    """The field a ``<label>`` names: ``for=`` by id, else the first field it wraps."""
    for_id = dom.attr(label_id, "for")
    if for_id:
        found = dom.find_by_attr("id", for_id)
        if found is not None:
            return found
    stack = list(dom.children(label_id))
    seen = 0
    while stack and seen < _LABEL_SEARCH:
        node = stack.pop()
        seen += 1
        if dom.tag(node) in ("input", "select", "textarea", "button"):
            return node
        stack.extend(dom.children(node))
    return None


def _opted_out(dom: DomTracker, node_id: int) -> bool:
    node: int | None = node_id
    for _ in range(_OPT_OUT_ANCESTORS + 1):
        if node is None or dom.node_type(node) != NodeType.ELEMENT:
            return False
        classes = dom.attr(node, "class")
        if classes and not OPT_OUT_CLASSES.isdisjoint(classes.split()):
            return True
        node = dom.parent(node)
    return False


def classify_target(dom: DomTracker, node_id: int) -> tuple[TargetKind | None, str | None, bool]:
    """``(target_kind, input_type, opt_out)`` for a click's lifted target, at click time.

    The rules are §3 step 1 (candidates) and §0 (text-like fields); a ``<label>`` is judged
    as the control it names, as Datadog does. Unknown nodes give ``(None, None, False)``.
    """
    if node_id not in dom or dom.node_type(node_id) != NodeType.ELEMENT:
        return None, None, False
    opt_out = _opted_out(dom, node_id)
    node = node_id
    tag = dom.tag(node)
    if tag == "label":
        control = label_control(dom, node)
        if control is None:
            return None, None, opt_out
        node, tag = control, dom.tag(control)
    attrs = dom.attributes(node)
    if "rr_width" in attrs or "rr_height" in attrs:
        return "blocked", None, opt_out
    if tag in ("html", "body"):
        return "page", None, opt_out
    if tag == "input":
        input_type = attrs.get("type", "").strip().lower()
        if input_type == "hidden":
            return None, input_type, opt_out
        kind: TargetKind = "text_field" if input_type in TEXT_INPUT_TYPES else "control"
        return kind, input_type or "text", opt_out
    if tag in ("textarea", "select"):
        return "text_field", None, opt_out
    editable = attrs.get("contenteditable")
    if editable is not None and editable.strip().lower() != "false":
        return "text_field", None, opt_out
    role = (attrs.get("role") or "").strip().lower()
    if role in _TEXT_ROLES:
        return "text_field", None, opt_out
    if tag == "a" and "href" in attrs:
        href = attrs["href"].strip().lower()
        target = (attrs.get("target") or "").strip().lower()
        if (
            "download" in attrs
            or (target and target != "_self")
            or href.startswith(_ELSEWHERE_SCHEMES)
        ):
            return "link_elsewhere", None, opt_out
        return "link", None, opt_out
    if tag in _CONTROL_TAGS or role in INTERACTIVE_ROLES or "onclick" in attrs:
        return "control", None, opt_out
    tabindex = attrs.get("tabindex")
    if tabindex is not None:
        try:
            if int(tabindex.strip()) >= 0:
                return "control", None, opt_out
        except ValueError:
            pass
    return None, None, opt_out


# --- scanners ------------------------------------------------------------------------------


def _start(records: Sequence[_R], t: int) -> int:
    return bisect_left(records, t, key=lambda r: r.t)


def _same_window(a: str | None, b: str | None) -> bool:
    return a == b


def first_mutation(
    tape: Tape,
    t: int,
    until: int,
    window_id: str | None = None,
    *,
    structural_only: bool = False,
) -> MutationRecord | None:
    """The first mutation-class record (DOM, CSS, canvas, media) in ``[t, until]``.

    ``structural_only`` keeps only mutations that add or remove nodes (the ambient-page
    approximation of §3's ``ignore_ambient``).
    """
    records = tape.mutations
    for i in range(_start(records, t), len(records)):
        r = records[i]
        if r.t > until:
            return None
        if not _same_window(r.window_id, window_id):
            continue
        if structural_only and not (r.adds or r.removes):
            continue
        return r
    return None


def first_input(tape: Tape, t: int, until: int, window_id: str | None = None) -> InputRecord | None:
    """The first user Input on any node in ``[t, until]`` (a checkbox toggling counts)."""
    records = tape.inputs
    for i in range(_start(records, t), len(records)):
        r = records[i]
        if r.t > until:
            return None
        if _same_window(r.window_id, window_id):
            return r
    return None


def first_scroll(
    tape: Tape,
    t: int,
    until: int,
    window_id: str | None = None,
    *,
    programmatic: bool | None = None,
) -> ScrollRecord | None:
    """The first Scroll in ``[t, until]``; ``programmatic`` True/False filters page-made
    (``scrollTo``, anchor jumps) or user scrolls, None takes either."""
    records = tape.scrolls
    for i in range(_start(records, t), len(records)):
        r = records[i]
        if r.t > until:
            return None
        if not _same_window(r.window_id, window_id):
            continue
        if programmatic is not None and r.programmatic != programmatic:
            continue
        return r
    return None


def first_selection(tape: Tape, t: int, until: int) -> int | None:
    """The first non-empty selection change in ``[t, until]`` (the tape keeps times only)."""
    times = tape.selections
    i = bisect_left(times, t)
    if i < len(times) and times[i] <= until:
        return times[i]
    return None


def first_navigation(
    navigations: Sequence[NavMark], t: int, until: int, window_id: str | None = None
) -> NavMark | None:
    """The first navigation (new document or URL change) in ``[t, until]``."""
    for i in range(bisect_left(navigations, t, key=lambda n: n.t), len(navigations)):
        nav = navigations[i]
        if nav.t > until:
            return None
        if _same_window(nav.window_id, window_id):
            return nav
    return None


def navigations_from_actions(actions: Iterable[Action]) -> list[NavMark]:
    """The navigation actions of a replay as time-sorted :class:`NavMark` s."""
    marks = [
        NavMark(a.timestamp, a.document, a.details.how, a.url, a.window_id)
        for a in actions
        if isinstance(a.details, NavigationDetails)
    ]
    marks.sort(key=lambda n: n.t)
    return marks


def is_request(record: NetworkRecord, initiators: Iterable[str] = REQUEST_INITIATORS) -> bool:
    """Whether a network record is a fetch/XHR call (not a resource, not the page itself).

    A record without an initiator counts when the fetch/XHR wrapper reported it (headers
    captured). An empty ``initiators`` accepts every non-initial record.
    """
    if record.initial:
        return False
    allowed = frozenset(initiators)
    if not allowed:
        return True
    initiator = record.initiator.lower()
    return initiator in allowed or (not initiator and record.from_wrapper)


def url_path(url: str | None) -> str:
    """Path and query of a URL (``/api/order?id=1``); non-URLs come back unchanged."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme and not parts.netloc:
        return url
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# --- the effect ----------------------------------------------------------------------------


def effect_requests(
    click_t: int,
    until: int,
    network: Sequence[NetworkRecord],
    window_id: str | None,
    config: EffectConfig,
) -> tuple[EffectRequest, ...]:
    """Fetch/XHR requests that started between ``config.request_before_ms`` before the
    click and ``until``, each with its start relative to the click and ``triggered`` when
    the start lies within the click's request window (§4)."""
    out: list[EffectRequest] = []
    earliest = click_t - config.request_before_ms
    seen: set[tuple[str, float]] = set()
    # Records are in report order; a request is reported after it started, so none
    # reported before `earliest` can qualify, and requests running longer than
    # _MAX_REQUEST_MS are not waited for.
    first = bisect_left(network, earliest, key=lambda r: r.t)
    for i in range(first, min(len(network), first + _MAX_SCAN)):
        r = network[i]
        if r.t > until + _MAX_REQUEST_MS:
            break
        if r.start is None or not (earliest <= r.start < until):
            continue  # untimed requests cannot be placed against the click (§4)
        if not _same_window(r.window_id, window_id) or not is_request(r):
            continue
        key = (r.url, r.start)
        if key in seen:
            continue  # the same request reported twice (§7: merge duplicates)
        seen.add(key)
        start_ms = round(r.start - click_t)
        out.append(
            EffectRequest(
                method=r.method,
                path=url_path(r.url)[:300],
                status=r.status,
                duration_ms=round(r.duration) if r.duration is not None else None,
                start_ms=start_ms,
                triggered=-config.request_before_ms <= start_ms <= config.request_after_ms,
                failed=r.status is None and r.from_wrapper,
            )
        )
    out.sort(key=lambda q: q.start_ms or 0)
    return tuple(out[: config.max_requests])


def _wordy(text: str) -> bool:
    """Whether a text reads as words rather than a ticker of numbers and times.

    Live tables and clocks re-render figures every few hundred ms; quoting those as
    "what the click showed" would mislead, so snippets that are mostly digits are left out.
    """
    letters = sum(map(str.isalpha, text))  # map over a C method: no per-char frame
    visible = len(text) - sum(map(str.isspace, text))
    return visible > 0 and letters >= 0.5 * visible


def text_sample(parts: Iterable[str], limit: int) -> str:
    """Distinct wordy snippets joined with `` · ``, cut to ``limit`` chars."""
    kept: list[str] = []
    size = 0
    for part in parts:
        part = " ".join(part.split())
        if not part or part in kept or not _wordy(part):
            continue
        kept.append(part)
        size += len(part) + 1
        if size >= limit:
            break
    text = " · ".join(kept)
    return text if len(text) <= limit else text[: limit - 1] + "…"
