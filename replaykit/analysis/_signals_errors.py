"""Error and network signals: console errors, uncaught exceptions, failed and slow requests,
slow pages.

Each detector is ``detect_x(replay_id, actions, tape, config) -> list[Signal]`` over a
finished replay. Definitions are replaykit's from ``frustration-signals.md`` (§6 console,
§7 network, §14 slow page). They read the tape's console records (rrweb console plugin or
legacy source 11) and network records (``rrweb/network@1`` and Mixpanel's ``@1.mp``); a
recording without those plugins simply has no such signals. ``evidence`` names the
action(s) involved: the ``console_error`` action of the same record, or the click that
triggered a request (its start within −50..+500 ms of the click, §4).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from ._actions import Action, ClickDetails, ConsoleErrorDetails
from ._effects import NavMark, is_request, navigations_from_actions, url_path
from ._labels import normalize_url
from ._signal import Signal, SignalKind
from ._signal_config import SignalConfig
from ._tape import ConsoleRecord, NetworkRecord, Tape

__all__ = [
    "detect_console_errors",
    "detect_network_errors",
    "detect_network_failures",
    "detect_slow_pages",
    "detect_slow_requests",
    "detect_uncaught_exceptions",
    "error_fingerprint",
]

# rrweb's console plugin stops recording after this many records per page (its
# `lengthThreshold` default): past it, errors may be missing.
_CONSOLE_CAP = 1000
_MAX_MESSAGE = 500

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.I)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b", re.I)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUOTED = re.compile(r"(['\"])(?:(?!\1).){1,80}\1")


def error_fingerprint(message: str) -> str:
    """A grouping key for an error message: URLs, UUIDs, hex ids, numbers and short quoted
    values replaced by placeholders, whitespace collapsed, ``Uncaught`` prefixes dropped.

    >>> error_fingerprint("Uncaught TypeError: Cannot read properties of undefined (reading 'US')")
    'TypeError: Cannot read properties of undefined (reading <str>)'
    """
    text = message.strip()
    for prefix in ("Uncaught (in promise) ", "Uncaught "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = _URL.sub("<url>", text)
    text = _UUID.sub("<uuid>", text)
    text = _HEX.sub("<hex>", text)
    text = _QUOTED.sub("<str>", text)
    text = _NUMBER.sub("<n>", text)
    return " ".join(text.split())[:200]


class _Pages:
    """Page URL and time origin lookups for records that are not actions."""

    def __init__(self, actions: Sequence[Action], tape: Tape) -> None:
        self.navs: list[NavMark] = navigations_from_actions(actions)
        self.nav_times = [n.t for n in self.navs]
        first = tape.first_timestamp
        if first is None:
            first = min((a.timestamp - a.t_ms for a in actions), default=None)
        self.first = first
        self.console_actions: dict[tuple[int, str], int] = {}
        clicks = [
            a
            for a in actions
            if isinstance(a.details, ClickDetails) and a.details.button != "contextmenu"
        ]
        clicks.sort(key=lambda a: a.timestamp)
        self.clicks = clicks
        self.click_times = [a.timestamp for a in clicks]
        for a in actions:
            if isinstance(a.details, ConsoleErrorDetails):
                self.console_actions.setdefault((a.timestamp, a.details.message), a.seq)

    def t_ms(self, t: int) -> int:
        return max(0, t - self.first) if self.first is not None else 0

    def url_at(self, t: int, window_id: str | None) -> str | None:
        i = bisect_right(self.nav_times, t) - 1
        while i >= 0:
            nav = self.navs[i]
            if nav.window_id == window_id:
                return nav.url
            i -= 1
        return None

    def trigger(self, r: NetworkRecord, config: SignalConfig) -> Action | None:
        """The click whose request window (§4) contains the request's start, if any."""
        if r.start is None:
            return None
        slow = config.slow
        i = bisect_right(self.click_times, r.start + slow.request_before_ms) - 1
        while i >= 0:
            click = self.clicks[i]
            offset = r.start - click.timestamp
            if offset > slow.request_after_ms:
                return None
            if click.window_id == r.window_id and click.document == r.document:
                return click
            i -= 1
        return None


def _console_signals(
    replay_id: str,
    actions: Sequence[Action],
    tape: Tape,
    config: SignalConfig,
    *,
    uncaught: bool,
) -> list[Signal]:
    pages = _Pages(actions, tape)
    levels = config.console.levels
    capped = len(tape.console) >= _CONSOLE_CAP
    kind: SignalKind = "uncaught_exception" if uncaught else "console_error"
    seen: dict[str, int] = {}
    out: list[Signal] = []
    for record in tape.console:
        if record.uncaught != uncaught or (not uncaught and record.level not in levels):
            continue
        fingerprint = error_fingerprint(record.message)
        seen[fingerprint] = seen.get(fingerprint, 0) + 1
        seq = pages.console_actions.get((record.t, record.message[:2000]))
        out.append(
            _record_signal(
                replay_id,
                kind,
                record,
                pages,
                config,
                {
                    "message": record.message[:_MAX_MESSAGE],
                    "level": record.level,
                    "fingerprint": fingerprint,
                    "occurrence": seen[fingerprint],
                    "frame": record.trace[0] if record.trace else None,
                    "capped": capped,
                },
                evidence=() if seq is None else (seq,),
            )
        )
    return out


def _record_signal(
    replay_id: str,
    kind: SignalKind,
    record: ConsoleRecord | NetworkRecord,
    pages: _Pages,
    config: SignalConfig,
    details: dict[str, Any],
    *,
    evidence: tuple[int, ...] = (),
    duration: int | None = None,
) -> Signal:
    t = record.t
    return Signal(
        replay_id=replay_id,
        kind=kind,
        timestamp=t,
        t_ms=pages.t_ms(t),
        end_timestamp=None if duration is None else t + duration,
        duration_ms=duration,
        url=pages.url_at(t, record.window_id),
        document=record.document,
        window_id=record.window_id,
        evidence=evidence,
        preset=config.preset,
        details=details,
    )


def detect_console_errors(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Console errors (§6): ``console.error``/``console.assert`` calls that the page logged
    (uncaught exceptions are their own kind, :func:`detect_uncaught_exceptions`).

    Levels follow PostHog's map (``error`` ← error, assert; ``console.levels``). Time is
    the console record's. ``details``: ``message``, ``level``, ``fingerprint`` (ids,
    numbers and URLs normalised, for counting distinct errors), ``occurrence`` (how many
    times this fingerprint was seen so far), ``frame`` (top stack frame), ``capped``
    (the recording holds 1000+ console records, rrweb's per-page cap: some may be missing).
    Browser-generated lines ("Failed to load resource") never reach the recording.
    """
    return _console_signals(replay_id, actions, tape, config, uncaught=False)


def detect_uncaught_exceptions(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Uncaught exceptions (§6): console records whose message starts with ``Uncaught``
    (including ``Uncaught (in promise)``), as rrweb's console plugin reports ``onerror`` and
    ``unhandledrejection``. ``details`` as for :func:`detect_console_errors`; the
    fingerprint drops the ``Uncaught`` prefix."""
    return _console_signals(replay_id, actions, tape, config, uncaught=True)


def _requests(tape: Tape, config: SignalConfig) -> list[NetworkRecord]:
    """Judged requests (fetch/XHR by default), duplicates (same URL and start) merged."""
    seen: set[tuple[str, str, float | None, int]] = set()
    out: list[NetworkRecord] = []
    for r in tape.network:
        if not is_request(r, config.network.initiators):
            continue
        # Untimed duplicates are told apart by their report time.
        key = (r.method, r.url, r.start, r.t if r.start is None else 0)
        if key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out


def _request_details(r: NetworkRecord) -> dict[str, Any]:
    return {
        "method": r.method,
        "url": url_path(r.url),
        "status": r.status,
        "duration_ms": None if r.duration is None else round(r.duration),
        "initiator": r.initiator or None,
        "endpoint": f"{r.method} {url_path(normalize_url(r.url)) or r.url}",
    }


def _network_signal(
    replay_id: str,
    kind: SignalKind,
    r: NetworkRecord,
    pages: _Pages,
    config: SignalConfig,
    details: dict[str, Any],
    duration: int | None = None,
) -> Signal:
    click = pages.trigger(r, config)
    signal = _record_signal(
        replay_id,
        kind,
        r,
        pages,
        config,
        details,
        evidence=() if click is None else (click.seq,),
        duration=duration,
    )
    if click is None:
        return signal
    # Name the control that sent the request: "the 500 came from 'Estimate shipping'".
    return Signal(
        replay_id=signal.replay_id,
        kind=signal.kind,
        timestamp=signal.timestamp,
        t_ms=signal.t_ms,
        end_timestamp=signal.end_timestamp,
        duration_ms=signal.duration_ms,
        target=click.target,
        label=click.label,
        url=signal.url,
        document=signal.document,
        window_id=signal.window_id,
        evidence=signal.evidence,
        preset=signal.preset,
        details=signal.details,
    )


def detect_network_errors(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Network errors (§7): fetch/XHR responses with status ≥ ``network.error_status``
    (400; PostHog features, OpenReplay ``bad_request``, Sentry spans).

    Time is the plugin event's (when the recorder reported the finished request, about
    when the page saw the response). Duplicate reports of one request (same URL and start)
    are merged. ``target``/``label``/``evidence`` name the click that triggered it, if any.
    ``details``: ``method``, ``url`` (path and query), ``status``, ``class`` (``4xx``,
    ``5xx``), ``duration_ms``, ``initiator``, ``endpoint`` (method + templated path).
    """
    pages = _Pages(actions, tape)
    cfg = config.network
    out: list[Signal] = []
    for r in _requests(tape, config):
        if r.status is None or r.status < cfg.error_status:
            continue
        details = _request_details(r)
        details["class"] = f"{r.status // 100}xx" if r.status < cfg.failed_status else "failed"
        details["error_status"] = cfg.error_status
        out.append(_network_signal(replay_id, "network_error", r, pages, config, details))
    return out


def detect_network_failures(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Failed requests (§7): fetch/XHR calls with no response at all (network down, CORS,
    abort). Only requests the fetch/XHR wrapper reported (headers captured) qualify, since
    there a missing status (or status 0) means failure; a missing status from the
    performance observer alone is merely unknown. ``details`` as for network errors."""
    pages = _Pages(actions, tape)
    out: list[Signal] = []
    for r in _requests(tape, config):
        if not r.from_wrapper or (r.status is not None and r.status != 0):
            continue
        out.append(
            _network_signal(replay_id, "network_failed", r, pages, config, _request_details(r))
        )
    return out


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def detect_slow_requests(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Slow requests (§7): fetch/XHR calls taking ``network.slow_request_ms`` (3000 ms) or
    more. The signal spans the request (``duration_ms``), dated at its report time.
    ``details`` add the endpoint's statistics over the replay: ``endpoint_count``,
    ``endpoint_error_rate`` (status ≥ 400 or failed), ``endpoint_p50_ms``,
    ``endpoint_p95_ms``, so one slow call can be told from a slow endpoint."""
    pages = _Pages(actions, tape)
    cfg = config.network
    requests = _requests(tape, config)
    by_endpoint: dict[str, list[NetworkRecord]] = {}
    for r in requests:
        by_endpoint.setdefault(_request_details(r)["endpoint"], []).append(r)
    out: list[Signal] = []
    # Per endpoint, computed once: recomputing them per slow request was quadratic when
    # one endpoint is slow many times.
    stats: dict[str, dict[str, Any]] = {}
    for r in requests:
        if r.duration is None or r.duration < cfg.slow_request_ms:
            continue
        details = _request_details(r)
        endpoint = details["endpoint"]
        if endpoint not in stats:
            group = by_endpoint[endpoint]
            durations = [g.duration for g in group if g.duration is not None]
            errors = sum(
                1
                for g in group
                if (g.status is not None and g.status >= cfg.error_status)
                or (g.from_wrapper and not g.status)
            )
            stats[endpoint] = {
                "slow_request_ms": cfg.slow_request_ms,
                "endpoint_count": len(group),
                "endpoint_error_rate": round(errors / len(group), 3),
                "endpoint_p50_ms": round(_percentile(durations, 0.5)),
                "endpoint_p95_ms": round(_percentile(durations, 0.95)),
            }
        details.update(stats[endpoint])
        out.append(
            _network_signal(
                replay_id, "slow_request", r, pages, config, details, duration=round(r.duration)
            )
        )
    return out


def detect_slow_pages(
    replay_id: str, actions: Sequence[Action], tape: Tape, config: SignalConfig
) -> list[Signal]:
    """Slow page loads (§14): the document's ``navigation`` timing entry (reported by the
    network plugin once the page loaded, i.e. not the initial in-flight one) took
    ``network.slow_page_ms`` (3000 ms) or more. Recordings without the network plugin have
    no load timing and give nothing. ``details``: ``url``, ``load_ms``, ``slow_page_ms``.
    """
    pages = _Pages(actions, tape)
    cfg = config.network
    out: list[Signal] = []
    seen: set[tuple[str | None, int]] = set()
    for r in tape.network:
        if r.initiator != "navigation" or r.initial or r.duration is None:
            continue
        key = (r.window_id, r.document)
        if key in seen:
            continue  # one load per document
        seen.add(key)
        if r.duration < cfg.slow_page_ms:
            continue
        details = {
            "url": url_path(r.url),
            "load_ms": round(r.duration),
            "slow_page_ms": cfg.slow_page_ms,
        }
        out.append(
            _record_signal(
                replay_id, "slow_page", r, pages, config, details, duration=round(r.duration)
            )
        )
    return out
