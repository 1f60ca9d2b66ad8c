"""The bundle in words: the markdown rollup for people and LLMs, with per-session
timelines on request."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from ._bundle import ReplayBundle

__all__ = ["per_replay_markdown", "summary_head"]


def summary_head(bundle: ReplayBundle, top: int) -> str:
    """Headline numbers, signals per kind and the most clicked targets."""
    self = bundle
    s = self.summary()
    lines = [
        "# Bundle summary",
        "",
        f"- sessions: {s['sessions']} ({s['failed']} failed, {s['truncated']} truncated)",
        f"- total duration: {(s['duration_ms'] or 0) / 1000:.1f}s, "
        f"active {(s['active_ms'] or 0) / 1000:.1f}s",
        f"- actions: {s['actions']}, page visits: {s['page_visits']}",
        f"- signals: {s['signals']}",
        f"- sessions with console errors: {s['error_sessions']}, "
        f"with rage clicks: {s['rage_sessions']}",
    ]
    signals = [(k, n) for k, n in s["signals_by_kind"].items() if n]
    if signals:
        lines += ["", "## Signals", ""]
        lines += [f"- {k}: {n}" for k, n in sorted(signals, key=lambda kv: -kv[1])]
    clicks = self.top_clicks(top).collect()
    if clicks.height:
        lines += ["", "## Top clicked targets", ""]
        for r in clicks.iter_rows(named=True):
            lines.append(f"- {r['label'] or r['target']}: {r['clicks']} clicks")
    return "\n".join(lines) + "\n"


def _action_text(row: dict[str, Any]) -> str:
    kind = row["kind"]
    name = row["label"] or row["target"] or ""
    if kind == "click":
        tag = f" ({row['tag']})" if row["tag"] else ""
        return f'clicked "{name}"{tag}' if name else f"clicked{tag}"
    if kind in ("page_load", "navigation"):
        return f"opened {row['page'] or row['url'] or ''}".rstrip()
    if kind == "input":
        return f'typed in "{name}"' if name else "typed"
    if kind == "console_error":
        return f"console error: {row['message'] or ''}".rstrip()
    return f"{kind} {name}".rstrip()


def per_replay_markdown(bundle: ReplayBundle, max_replays: int, max_lines: int) -> str:
    """The per-session timelines of :meth:`ReplayBundle.summary_markdown`."""
    sessions = (
        bundle.sessions.select(
            "replay_id",
            "distinct_id",
            "start_timestamp",
            "duration_ms",
            "failed",
            "failure_message",
            "entry_page",
            "exit_page",
        )
        .sort("start_timestamp", "replay_id", nulls_last=True)
        .head(max_replays)
        .collect()
    )
    if not sessions.height:
        return ""
    ids = sessions["replay_id"].to_list()
    actions = (
        bundle.actions.filter(pl.col("replay_id").is_in(ids))
        .select(
            "replay_id", "t_ms", "seq", "kind", "label", "target", "tag", "url", "page", "message"
        )
        .collect()
    )
    signals = (
        bundle.signals.filter(pl.col("replay_id").is_in(ids))
        .select("replay_id", "t_ms", "kind", "label", "target")
        .collect()
    )
    out = ["", "## Sessions", ""]
    for s in sessions.iter_rows(named=True):
        rid = s["replay_id"]
        out += [f"### Replay {rid}", ""]
        facts = [f"user {s['distinct_id']}" if s["distinct_id"] else None]
        if s["start_timestamp"] is not None:
            start = dt.datetime.fromtimestamp(s["start_timestamp"] / 1000, dt.UTC)
            facts.append(f"started {start.strftime('%Y-%m-%d %H:%M:%SZ')}")
        facts.append(f"{(s['duration_ms'] or 0) / 1000:.1f}s")
        out.append("- " + ", ".join(f for f in facts if f))
        if s["failed"]:
            out += [f"- failed: {s['failure_message']}", ""]
            continue
        lines: list[tuple[int, int, str]] = [
            (r["t_ms"] or 0, 0, _action_text(r))
            for r in actions.filter(pl.col("replay_id") == rid).iter_rows(named=True)
        ]
        lines += [
            (r["t_ms"] or 0, 1, f"⚠ {r['kind']}" + (f' on "{r["label"]}"' if r["label"] else ""))
            for r in signals.filter(pl.col("replay_id") == rid).iter_rows(named=True)
        ]
        lines.sort(key=lambda x: (x[0], x[1]))
        collapsed: list[list[Any]] = []
        for t, _, text in lines:
            if collapsed and collapsed[-1][1] == text:
                collapsed[-1][2] += 1
            else:
                collapsed.append([t, text, 1])
        for t, text, n in collapsed[:max_lines]:
            out.append(f"- {t / 1000:.1f}s: {text}" + (f" (x{n})" if n > 1 else ""))
        if len(collapsed) > max_lines:
            out.append(f"- … {len(collapsed) - max_lines} more lines")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
