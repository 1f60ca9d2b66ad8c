"""Analyzed replays for bundle tests: hand-made builders, a hypothesis strategy, and eager
oracles (plain Python over the replay lists) that the lazy queries must agree with."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from replaykit import AnalyzedReplay, normalize_url
from replaykit.analysis._actions import (
    Action,
    ClickDetails,
    ConsoleErrorDetails,
    Coverage,
    InputDetails,
    NavigationDetails,
    PageLoadDetails,
    ScrollDetails,
    SelectDetails,
)
from replaykit.analysis._signal import SIGNAL_KINDS, Signal

T0 = 1_700_000_000_000
DAY = 86_400_000


def details_for(kind: str, **kw: Any) -> Any:
    if kind == "click":
        return ClickDetails(tag=kw.get("tag", "button"), x=kw.get("x"), y=kw.get("y"))
    if kind == "input":
        return InputDetails(length=3, t_end_ms=kw.get("t_end_ms", 0))
    if kind == "scroll":
        return ScrollDetails(dy=kw.get("dy", 100.0), t_end_ms=kw.get("t_end_ms", 0))
    if kind == "navigation":
        return NavigationDetails(how=kw.get("how", "push"))
    if kind == "console_error":
        return ConsoleErrorDetails(message=kw.get("message", "boom"))
    if kind == "page_load":
        return PageLoadDetails()
    return SelectDetails(value="x")


def replay(
    rid: str,
    steps: Sequence[tuple[int, str] | tuple[int, str, dict[str, Any]]],
    *,
    start: int = T0,
    end_after: int = 1000,
    signals: Sequence[tuple[int, str] | tuple[int, str, dict[str, Any]]] = (),
    url: str = "http://shop.test/home",
) -> AnalyzedReplay:
    """A replay from ``(t_ms, kind[, fields])`` steps; ``url`` changes with navigations."""
    actions: list[Action] = []
    for seq, step in enumerate(steps):
        t, kind = step[0], step[1]
        extra: dict[str, Any] = dict(step[2]) if len(step) > 2 else {}  # type: ignore[misc]
        if kind == "navigation" and "url" in extra:
            url = extra["url"]
        actions.append(
            Action(
                replay_id=rid,
                seq=seq,
                kind=kind,  # type: ignore[arg-type]
                t_ms=t,
                timestamp=start + t,
                target=extra.get("target"),
                label=extra.get("label"),
                url=extra.get("at", url),
                window_id=extra.get("window_id"),
                details=details_for(kind, **extra),
            )
        )
    sigs = []
    for sig in signals:
        t, kind = sig[0], sig[1]
        extra = dict(sig[2]) if len(sig) > 2 else {}  # type: ignore[misc]
        sigs.append(
            Signal(
                replay_id=rid,
                kind=kind,  # type: ignore[arg-type]
                timestamp=start + t,
                t_ms=t,
                target=extra.get("target"),
                url=extra.get("url", url),
                duration_ms=extra.get("duration_ms"),
                details=extra.get("details", {}),
            )
        )
    last = max([a.t_ms for a in actions] + [0])
    return AnalyzedReplay(
        replay_id=rid,
        source=f"/recordings/{rid}.json",
        actions=actions,
        coverage=Coverage(events={"meta": 1, "incremental:mouse_interaction": len(actions)}),
        signals=sigs,
        start_timestamp=start,
        end_timestamp=start + last + end_after,
    )


# --- a strategy for random bundles --------------------------------------------------------

TARGETS = [None, "button#buy", "button#coupon", "a.nav", "input#q"]
LABELS = [None, "Buy", "Coupon", "Next"]
URLS = [
    "http://shop.test/home",
    "http://shop.test/product/12",
    "http://shop.test/product/99",
    "http://shop.test/cart?x=1",
    "http://other.test/",
]
KINDS = ["click", "click", "click", "input", "scroll", "navigation", "console_error", "select"]
GAPS = [0, 1, 40, 300, 999, 1000, 1001, 2500, 9999, 10_000, 15_000]
SIGNAL_POOL = ["rage_click", "dead_click", "error_click", "slow_click", "scroll_reversal"]


@st.composite
def replay_lists(draw: Callable[..., Any]) -> list[AnalyzedReplay]:
    """1-6 replays over up to 4 days: clicks on a few targets with gaps around the
    thresholds, navigations among a few URLs, console errors and a few signals."""
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        rid = f"r{draw(st.integers(0, 99)):02d}-{i}"
        start = T0 + draw(st.integers(0, 3)) * DAY + draw(st.integers(0, DAY - 1))
        t = 0
        url = draw(st.sampled_from(URLS))
        steps: list[tuple[int, str, dict[str, Any]]] = [(0, "navigation", {"url": url})]
        for _ in range(draw(st.integers(0, 18))):
            t += draw(st.sampled_from(GAPS))
            kind = draw(st.sampled_from(KINDS))
            extra: dict[str, Any] = {}
            if kind == "navigation":
                url = draw(st.sampled_from(URLS))
                extra["url"] = url
            elif kind in ("click", "input"):
                extra["target"] = draw(st.sampled_from(TARGETS))
                extra["label"] = draw(st.sampled_from(LABELS))
                extra["tag"] = draw(st.sampled_from(["button", "a", None]))
            steps.append((t, kind, extra))
        sigs: list[tuple[int, str, dict[str, Any]]] = []
        for _ in range(draw(st.integers(0, 4))):
            sigs.append(
                (
                    draw(st.integers(0, t)),
                    draw(st.sampled_from(SIGNAL_POOL)),
                    {"target": draw(st.sampled_from(TARGETS)), "url": draw(st.sampled_from(URLS))},
                )
            )
        sigs.sort(key=lambda s: s[0])
        out.append(replay(rid, steps, start=start, signals=sigs))
    # Replay ids must be unique in a bundle; duplicates are tested on their own.
    seen: set[str] = set()
    unique = []
    for r in out:
        if r.replay_id not in seen:
            seen.add(r.replay_id)
            unique.append(r)
    return unique


# --- eager oracles -------------------------------------------------------------------------


def page(url: str | None) -> str | None:
    return None if url is None else normalize_url(url)


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, "" if value is None else value)


def mode_label(labels: Sequence[str | None]) -> str | None:
    counts = Counter(x for x in labels if x is not None)
    if not counts:
        return None
    best = max(counts.values())
    return min(k for k, v in counts.items() if v == best)


def top_clicks(replays: Sequence[AnalyzedReplay], n: int) -> list[dict[str, Any]]:
    groups: dict[Any, list[tuple[str, Action]]] = defaultdict(list)
    for r in replays:
        for a in r.actions:
            if a.kind == "click":
                groups[a.target].append((r.replay_id, a))
    rows = [
        {
            "target": target,
            "label": mode_label([a.label for _, a in items]),
            "clicks": len(items),
            "sessions": len({rid for rid, _ in items}),
        }
        for target, items in groups.items()
    ]
    rows.sort(key=lambda r: (-r["clicks"], *_none_last(r["target"])))
    return rows[:n]


def rage_clicks(
    replays: Sequence[AnalyzedReplay], threshold: int, window_ms: int
) -> list[dict[str, Any]]:
    """The reference client's walk, verbatim in behaviour."""
    rows = []
    for r in replays:
        clicks = [a for a in r.actions if a.kind == "click"]
        i = 0
        while i < len(clicks):
            j = i + 1
            while (
                j < len(clicks)
                and clicks[j].target == clicks[i].target
                and clicks[j].timestamp - clicks[i].timestamp <= window_ms
            ):
                j += 1
            if j - i >= threshold:
                burst = clicks[i:j]
                rows.append(
                    {
                        "replay_id": r.replay_id,
                        "timestamp": burst[0].timestamp,
                        "t_ms": burst[0].t_ms,
                        "target": burst[0].target,
                        "label": burst[0].label,
                        "page": page(burst[0].url),
                        "clicks": len(burst),
                        "span_ms": burst[-1].timestamp - burst[0].timestamp,
                        "seqs": [a.seq for a in burst],
                    }
                )
                i = j
            else:
                i += 1
    rows.sort(key=lambda r: (r["replay_id"], r["timestamp"], r["seqs"]))
    return rows


def long_pauses(replays: Sequence[AnalyzedReplay], threshold_ms: int) -> list[dict[str, Any]]:
    rows = []
    for r in sorted(replays, key=lambda r: r.replay_id):
        for prev, cur in zip(r.actions, r.actions[1:], strict=False):
            gap = cur.timestamp - prev.timestamp
            if gap >= threshold_ms:
                rows.append(
                    {
                        "replay_id": r.replay_id,
                        "timestamp": prev.timestamp,
                        "t_ms": prev.t_ms,
                        "duration_ms": gap,
                        "before_seq": prev.seq,
                        "after_seq": cur.seq,
                    }
                )
    return rows


def error_session_ids(replays: Sequence[AnalyzedReplay]) -> list[str]:
    return [r.replay_id for r in replays if any(a.kind == "console_error" for a in r.actions)]


FRUSTRATION = ("rage_click", "dead_click", "error_click", "slow_click")


def elements(replays: Sequence[AnalyzedReplay]) -> list[dict[str, Any]]:
    clicks: dict[Any, list[tuple[str, Action]]] = defaultdict(list)
    for r in replays:
        for a in r.actions:
            if a.kind == "click":
                clicks[(page(a.url), a.target)].append((r.replay_id, a))
    sigs: dict[Any, list[Signal]] = defaultdict(list)
    for r in replays:
        for s in r.signals:
            if s.kind in FRUSTRATION:
                sigs[(page(s.url), s.target)].append(s)
    rows = []
    for (pg, target), items in clicks.items():
        found = sigs.get((pg, target), [])
        n = len(items)
        sessions = len({rid for rid, _ in items})
        rage = [s for s in found if s.kind == "rage_click"]
        rage_sessions = len({s.replay_id for s in rage})
        dead = sum(s.kind == "dead_click" for s in found)
        error = sum(s.kind == "error_click" for s in found)
        slow = sum(s.kind == "slow_click" for s in found)
        rows.append(
            {
                "page": pg,
                "target": target,
                "label": mode_label([a.label for _, a in items]),
                "clicks": n,
                "sessions": sessions,
                "rage_clicks": len(rage),
                "rage_sessions": rage_sessions,
                "dead_clicks": dead,
                "error_clicks": error,
                "slow_clicks": slow,
                "rage_rate": rage_sessions / sessions,
                "dead_rate": dead / n,
                "error_rate": error / n,
                "slow_rate": slow / n,
                "frustration": len(rage) + dead + error,
            }
        )
    rows.sort(key=lambda r: (-r["clicks"], *_none_last(r["page"]), *_none_last(r["target"])))
    return rows


def stream(replays: Sequence[AnalyzedReplay], with_signals: bool) -> list[dict[str, Any]]:
    """The event stream: actions in seq order, or actions and signals in time order."""
    out = []
    for r in sorted(replays, key=lambda r: r.replay_id):
        items = [
            {
                "replay_id": r.replay_id,
                "source": "action",
                "kind": a.kind,
                "seq": a.seq,
                "timestamp": a.timestamp,
                "t_ms": a.t_ms,
                "label": a.label,
                "target": a.target,
                "tag": a.details.tag if isinstance(a.details, ClickDetails) else None,
                "page": page(a.url),
            }
            for a in r.actions
        ]
        if with_signals:
            items += [
                {
                    "replay_id": r.replay_id,
                    "source": "signal",
                    "kind": s.kind,
                    "seq": i,
                    "timestamp": s.timestamp,
                    "t_ms": s.t_ms,
                    "label": s.label,
                    "target": s.target,
                    "tag": None,
                    "page": page(s.url),
                }
                for i, s in enumerate(r.signals)
            ]
            items.sort(key=lambda e: (e["timestamp"], e["source"], e["seq"]))
        out.extend(items)
    for pos, item in enumerate(out):
        item["pos"] = pos
    return out


Pred = Callable[[dict[str, Any]], bool]


def chains(
    events: list[dict[str, Any]], preds: Sequence[Pred], within_ms: int | None, contiguous: bool
) -> list[list[dict[str, Any]]]:
    """Every attempt (one per occurrence of step 1) as the list of events it matched."""
    attempts = []
    for i, first in enumerate(events):
        if not preds[0](first):
            continue
        chain = [first]
        cur = i
        for pred in preds[1:]:
            nxt = None
            if contiguous:
                j = cur + 1
                if (
                    j < len(events)
                    and events[j]["replay_id"] == first["replay_id"]
                    and pred(events[j])
                ):
                    nxt = j
            else:
                for j in range(cur + 1, len(events)):
                    if events[j]["replay_id"] != first["replay_id"]:
                        break
                    if pred(events[j]):
                        nxt = j
                        break
            if nxt is None:
                break
            if within_ms is not None and events[nxt]["timestamp"] - first["timestamp"] > within_ms:
                break
            chain.append(events[nxt])
            cur = nxt
        attempts.append(chain)
    return attempts


def find_pattern(
    events: list[dict[str, Any]], preds: Sequence[Pred], within_ms: int | None, contiguous: bool
) -> list[dict[str, Any]]:
    best: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for chain in chains(events, preds, within_ms, contiguous):
        if len(chain) != len(preds):
            continue
        key = (chain[0]["replay_id"], chain[-1]["pos"])
        if key not in best or best[key][0]["pos"] < chain[0]["pos"]:
            best[key] = chain
    rows = [
        {
            "replay_id": c[0]["replay_id"],
            "start_timestamp": c[0]["timestamp"],
            "end_timestamp": c[-1]["timestamp"],
            "duration_ms": c[-1]["timestamp"] - c[0]["timestamp"],
            "t_ms": c[0]["t_ms"],
            "start_pos": c[0]["pos"],
            "end_pos": c[-1]["pos"],
        }
        for c in best.values()
    ]
    rows.sort(key=lambda r: (r["replay_id"], r["start_pos"]))
    return rows


def funnel(
    events: list[dict[str, Any]],
    preds: Sequence[Pred],
    names: Sequence[str],
    n_sessions: int,
    within_ms: int | None,
) -> list[dict[str, Any]]:
    attempts = chains(events, preds, within_ms, contiguous=False)
    rows = []
    for k in range(len(preds)):
        per_session: dict[str, list[dict[str, Any]]] = {}
        for chain in attempts:
            if len(chain) > k:
                rid = chain[0]["replay_id"]
                if rid not in per_session or per_session[rid][0]["pos"] > chain[0]["pos"]:
                    per_session[rid] = chain
        from_prev = [
            c[k]["timestamp"] - c[k - 1 if k else 0]["timestamp"] for c in per_session.values()
        ]
        from_start = [c[k]["timestamp"] - c[0]["timestamp"] for c in per_session.values()]
        rows.append(
            {
                "step": k + 1,
                "name": names[k],
                "sessions": len(per_session),
                "median_ms_from_previous": statistics.median(from_prev) if from_prev else None,
                "median_ms_from_start": statistics.median(from_start) if from_start else None,
            }
        )
    first = rows[0]["sessions"]
    for k, row in enumerate(rows):
        prev = rows[k - 1]["sessions"] if k else None
        row["share"] = row["sessions"] / n_sessions
        row["conversion"] = row["sessions"] / first if first else None
        row["step_conversion"] = 1.0 if prev is None else row["sessions"] / prev if prev else None
        row["drop_off"] = 0 if prev is None else prev - row["sessions"]
    return rows


def kind_counts(replays: Sequence[AnalyzedReplay]) -> dict[tuple[str, str], tuple[int, int]]:
    out: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, set()])
    for r in replays:
        for a in r.actions:
            out[("action", a.kind)][0] += 1
            out[("action", a.kind)][1].add(r.replay_id)
        for s in r.signals:
            out[("signal", s.kind)][0] += 1
            out[("signal", s.kind)][1].add(r.replay_id)
    return {k: (v[0], len(v[1])) for k, v in out.items()}


def compare(
    mine: Sequence[AnalyzedReplay], other: Sequence[AnalyzedReplay]
) -> list[dict[str, Any]]:
    a, b = kind_counts(mine), kind_counts(other)
    rows = []
    for key in sorted(set(a) | set(b)):
        sc, sw = a.get(key, (0, 0))
        oc, ow = b.get(key, (0, 0))
        self_rate = sw / len(mine) if mine else None
        other_rate = ow / len(other) if other else None
        rows.append(
            {
                "source": key[0],
                "kind": key[1],
                "self_count": sc,
                "other_count": oc,
                "delta": sc - oc,
                "self_rate": self_rate,
                "other_rate": other_rate,
            }
        )
    return rows


def visits(r: AnalyzedReplay) -> list[Action]:
    return [a for a in r.actions if a.kind == "navigation"]


def url_baselines(replays: Sequence[AnalyzedReplay], metric: str) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, Any]] = Counter()
    for r in replays:
        items = r.signals if metric in SIGNAL_KINDS else r.actions
        for x in items:
            if x.kind == metric:
                counts[(r.replay_id, page(x.url))] += 1
    pairs = {(r.replay_id, page(v.url)) for r in replays for v in visits(r)} | set(counts)
    by_page: dict[Any, list[tuple[str, int]]] = defaultdict(list)
    for rid, pg in pairs:
        by_page[pg].append((rid, counts.get((rid, pg), 0)))
    rows = []
    for pg, items in by_page.items():
        values = [v for _, v in items]
        median = statistics.median(values)
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else None
        for rid, v in items:
            rows.append(
                {
                    "replay_id": rid,
                    "page": pg,
                    "value": v,
                    "page_sessions": len(items),
                    "page_median": median,
                    "ratio": v / median if median > 0 else None,
                    "z": (v - mean) / std if std else None,
                }
            )
    rows.sort(key=lambda r: (*_none_last(r["page"]), r["replay_id"]))
    return rows
