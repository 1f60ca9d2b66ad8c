"""``ReplayBundle``: the frames of many analyzed replays, lazily, with queries and Parquet.

A bundle is a set of LazyFrames (one per stored frame, see :mod:`._schema`) plus a few
run statistics. It is immutable: filters (``where``, ``filter``, ``head``, ``sample``,
``only``) return a new bundle whose frames are the old ones semi-joined to the chosen
sessions, still lazy. Queries return LazyFrames; nothing is computed until collected.

On disk a bundle is a directory: ``bundle.json`` (format, version, run statistics) and
one hive-partitioned Parquet dataset per frame, ``<frame>/day=YYYY-MM-DD/*.parquet``
(the ``day`` column lives in the path, as hive datasets do). :meth:`ReplayBundle.scan`
reopens it lazily, so a query reads only the columns and days it needs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from .._text import printable
from ..analysis._actions import ACTION_KINDS
from ..analysis._signal import SIGNAL_KINDS
from . import _queries as q
from ._persist import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    Frame,
    scan_frame,
    write_manifest,
    write_partitioned,
)
from ._schema import SCHEMAS, STORED_FRAMES, signal_count_column
from ._summary import per_replay_markdown, summary_head

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "ReplayBundle",
    "write_manifest",
    "write_partitioned",
]


class ReplayBundle:
    """Frames of many analyzed replays, as Polars LazyFrames, with queries.

    Build one with :func:`replaykit.aggregate` (async),
    :meth:`ReplayBundle.from_replays` (blocking) or reopen one with
    :meth:`ReplayBundle.scan`. Frames: :attr:`sessions`, :attr:`actions`,
    :attr:`signals`, :attr:`pages`, :attr:`events`, :attr:`mixpanel`,
    :attr:`elements` (schemas in :mod:`replaykit.bundle`). Every query returns a
    LazyFrame; ``.collect()`` runs it.

        bundle = ReplayBundle.scan("out/")
        bundle.top_clicks(5).collect()
        bundle.where(contains_url="/checkout").rage_clicks().collect()
    """

    def __init__(
        self,
        frames: Mapping[str, pl.LazyFrame],
        *,
        stats: Mapping[str, int] | None = None,
        directory: Path | None = None,
    ) -> None:
        missing = [f for f in STORED_FRAMES if f not in frames]
        if missing:
            raise ValueError(f"missing frames: {', '.join(missing)}")
        self._frames = {f: frames[f] for f in STORED_FRAMES}
        self.stats: dict[str, int] = dict(stats or {})
        """Run statistics: ``replays`` added, ``duplicates`` and ``skipped`` left out."""
        self.directory = directory
        """The directory this bundle was scanned from (None when built in memory)."""

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, Sequence[pl.DataFrame]],
        *,
        stats: Mapping[str, int] | None = None,
    ) -> ReplayBundle:
        """A bundle over in-memory batches (lists of DataFrames per frame)."""
        lazy: dict[str, pl.LazyFrame] = {}
        for name in STORED_FRAMES:
            parts = [df for df in frames.get(name, ()) if df.height]
            if parts:
                lazy[name] = pl.concat(parts, how="vertical", rechunk=False).lazy()
            else:
                lazy[name] = pl.LazyFrame(schema=SCHEMAS[name])
        return cls(lazy, stats=stats)

    @classmethod
    def from_replays(
        cls,
        replays: Iterable[Any],
        *,
        spill_dir: str | os.PathLike[str] | None = None,
        batch_rows: int | None = None,
        events: bool = False,
    ) -> ReplayBundle:
        """Blocking twin of :func:`replaykit.aggregate` over a plain iterable of
        :class:`~replaykit.AnalyzedReplay` (for scripts, notebooks and the CLI)."""
        from ._sink import DEFAULT_BATCH_ROWS, collect_bundle

        return collect_bundle(
            replays,
            spill_dir=spill_dir,
            batch_rows=batch_rows or DEFAULT_BATCH_ROWS,
            events=events,
        )

    @classmethod
    def scan(cls, directory: str | os.PathLike[str]) -> ReplayBundle:
        """Reopen a bundle directory lazily (written by :meth:`write_parquet` or a spill).

        Raises ``FileNotFoundError`` when ``directory`` holds no ``bundle.json`` and
        ``ValueError`` when it is not a replaykit bundle.
        """
        path = Path(directory)
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise FileNotFoundError(f"{path} is not a bundle directory (no {MANIFEST})")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"{manifest_path} is not a replaykit bundle manifest")
        version = manifest.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ValueError(f"{path}: bundle format version {version!r} is newer than this")
        stats = manifest.get("stats", {})
        frames = {name: scan_frame(path, name) for name in STORED_FRAMES}
        return cls(
            frames,
            stats={k: int(v) for k, v in stats.items()} if isinstance(stats, dict) else {},
            directory=path,
        )

    def __repr__(self) -> str:
        where = f"scan of {str(self.directory)!r}" if self.directory else "in memory"
        return f"ReplayBundle({where})"

    # --- frames ---------------------------------------------------------------------------

    @property
    def sessions(self) -> pl.LazyFrame:
        """One row per replay (``SESSIONS_SCHEMA``)."""
        return self._frames["sessions"]

    @property
    def actions(self) -> pl.LazyFrame:
        """One row per action (``ACTIONS_SCHEMA``)."""
        return self._frames["actions"]

    @property
    def signals(self) -> pl.LazyFrame:
        """One row per signal (``SIGNALS_SCHEMA``)."""
        return self._frames["signals"]

    @property
    def pages(self) -> pl.LazyFrame:
        """One row per page visit (``PAGES_SCHEMA``)."""
        return self._frames["pages"]

    @property
    def events(self) -> pl.LazyFrame:
        """Raw rrweb events, when the bundle was built with ``events=True``."""
        return self._frames["events"]

    @property
    def mixpanel(self) -> pl.LazyFrame:
        """Mixpanel events joined to the replays (empty when none were joined)."""
        return self._frames["mixpanel"]

    @property
    def elements(self) -> pl.LazyFrame:
        """Derived: one row per clicked (page, target) with frustration counts and rates."""
        return q.elements(self.actions, self.signals)

    def frame(self, name: str) -> pl.LazyFrame:
        """A frame by name (the stored ones and ``elements``)."""
        if name == "elements":
            return self.elements
        if name not in self._frames:
            raise ValueError(f"unknown frame {name!r}")
        return self._frames[name]

    # --- subsets: new bundles ---------------------------------------------------------------

    def only(self, replay_ids: pl.LazyFrame | pl.DataFrame | Iterable[str]) -> ReplayBundle:
        """The bundle restricted to these sessions (ids, or a frame with ``replay_id``)."""
        if isinstance(replay_ids, pl.DataFrame):
            ids = replay_ids.lazy().select("replay_id")
        elif isinstance(replay_ids, pl.LazyFrame):
            ids = replay_ids.select("replay_id")
        else:
            ids = pl.LazyFrame({"replay_id": list(replay_ids)}, schema={"replay_id": pl.String})
        ids = ids.unique()
        frames = {
            name: lf.join(ids, on="replay_id", how="semi") for name, lf in self._frames.items()
        }
        return ReplayBundle(frames, stats=self.stats, directory=self.directory)

    def filter(self, predicate: pl.Expr) -> ReplayBundle:
        """Sessions for which ``predicate`` (an expression over ``sessions``) holds."""
        return self.only(self.sessions.filter(predicate))

    def where(
        self,
        *,
        distinct_id: str | None = None,
        contains_url: str | None = None,
        has_event: str | None = None,
        has_signal: str | None = None,
        min_duration_ms: int | None = None,
        max_duration_ms: int | None = None,
        day_from: dt.date | None = None,
        day_to: dt.date | None = None,
    ) -> ReplayBundle:
        """Sessions matching every given condition (the reference's ``where``, plus more).

        ``contains_url``: a visited URL contains the text; ``has_event``: a joined
        Mixpanel event has exactly that name; ``has_signal``: at least one signal of that
        kind; durations in ms; days inclusive.
        """
        sessions = self.sessions
        cond = pl.lit(True)
        if distinct_id is not None:
            cond = cond & (pl.col("distinct_id") == distinct_id)
        if min_duration_ms is not None:
            cond = cond & (pl.col("duration_ms") >= min_duration_ms)
        if max_duration_ms is not None:
            cond = cond & (pl.col("duration_ms") <= max_duration_ms)
        if day_from is not None:
            cond = cond & (pl.col("day") >= day_from)
        if day_to is not None:
            cond = cond & (pl.col("day") <= day_to)
        if has_signal is not None:
            if has_signal not in SIGNAL_KINDS:
                raise ValueError(f"unknown signal kind {has_signal!r}")
            cond = cond & (pl.col(signal_count_column(has_signal)) > 0)
        chosen = sessions.filter(cond).select("replay_id")
        if contains_url is not None:
            visited = self.pages.filter(pl.col("url").str.contains(contains_url, literal=True))
            chosen = chosen.join(visited.select("replay_id"), on="replay_id", how="semi")
        if has_event is not None:
            named = self.mixpanel.filter(pl.col("event_name") == has_event)
            chosen = chosen.join(named.select("replay_id"), on="replay_id", how="semi")
        return self.only(chosen)

    def head(self, n: int = 5) -> ReplayBundle:
        """The first ``n`` sessions by start time (then replay id)."""
        first = self.sessions.sort(["start_timestamp", "replay_id"], nulls_last=True).head(n)
        return self.only(first)

    def sample(self, n: int = 5, seed: int = 0) -> ReplayBundle:
        """``n`` sessions chosen by a seeded hash of their ids (deterministic per seed and
        Polars version, and lazy: no random state)."""
        chosen = self.sessions.sort(pl.col("replay_id").hash(seed), "replay_id").head(n)
        return self.only(chosen)

    def error_sessions(self, *, include_network: bool = False) -> pl.LazyFrame:
        """Sessions with console errors (see :func:`._queries.error_sessions`)."""
        return q.error_sessions(self.sessions, self.actions, include_network=include_network)

    # --- queries --------------------------------------------------------------------------

    def top_clicks(self, n: int = 10) -> pl.LazyFrame:
        """The ``n`` most clicked targets: ``target, label, clicks, sessions``."""
        return q.top_clicks(self.actions, n)

    def rage_bursts(self) -> pl.LazyFrame:
        """The rage-click bursts the detector found (the ``rage_click`` signals): the same
        bursts, with the same click counts, as every timeline shows.

        Columns: ``replay_id, timestamp, t_ms, target, label, page, clicks, span_ms,
        seqs`` (the clicks' ``seq``); one row per burst.
        """
        return (
            self.signals.filter(pl.col("kind") == "rage_click")
            .select(
                "replay_id",
                "timestamp",
                "t_ms",
                "target",
                "label",
                "page",
                pl.col("evidence").list.len().cast(pl.Int32).alias("clicks"),
                pl.col("duration_ms").alias("span_ms"),
                pl.col("evidence").alias("seqs"),
            )
            .sort("replay_id", "timestamp")
        )

    def rage_clicks(self, threshold: int = 3, window_ms: int = 1000) -> pl.LazyFrame:
        """Bursts of ``threshold`` same-target clicks within ``window_ms`` of the first:
        the mixpanel-headless reference's rule, recomputed from the clicks (see
        :func:`._queries.rage_clicks`). :meth:`rage_bursts` gives the detector's bursts,
        the ones timelines and signals report."""
        if threshold < 1 or window_ms < 0:
            raise ValueError("threshold must be ≥ 1 and window_ms ≥ 0")
        return q.rage_clicks(self.actions, threshold, window_ms)

    def long_pauses(
        self, threshold_ms: int = 10_000, kinds: Sequence[str] | None = None
    ) -> pl.LazyFrame:
        """Gaps of at least ``threshold_ms`` between consecutive actions."""
        if kinds is not None:
            unknown = [k for k in kinds if k not in ACTION_KINDS]
            if unknown:
                raise ValueError(f"unknown action kinds: {', '.join(unknown)}")
        return q.long_pauses(self.actions, threshold_ms, kinds)

    def event_stream(self, *, signals: bool = True) -> pl.LazyFrame:
        """Actions (and signals) as one ordered stream (see :func:`._queries.event_stream`)."""
        return q.event_stream(self.actions, self.signals if signals else None)

    def find_pattern(
        self,
        steps: Sequence[q.Step],
        *,
        within_ms: int | None = None,
        contiguous: bool = False,
        signals: bool = True,
        label: pl.Expr | None = None,
    ) -> pl.LazyFrame:
        """Ordered occurrences of ``steps`` (kinds, labels or predicates) in each session.

        ``bundle.find_pattern(["click", "rage_click", "navigation"], within_ms=10_000)``;
        ``label=REFERENCE_LABEL, contiguous=True, signals=False`` is the reference's
        ``find_pattern``. To keep the matching sessions as a bundle:
        ``bundle.only(bundle.find_pattern(...))``.
        """
        stream = q.event_stream(self.actions, self.signals if signals else None)
        return q.find_pattern(
            stream, steps, label=label, within_ms=within_ms, contiguous=contiguous
        )

    def funnel(
        self,
        steps: Sequence[q.Step],
        *,
        by: Literal["page", "event"] = "page",
        within_ms: int | None = None,
        label: pl.Expr | None = None,
    ) -> pl.LazyFrame:
        """A funnel over page visits (``by="page"``: a string step is a page or its path,
        ``"/shop/cart"``) or over actions and signals (``by="event"``: a string step is a
        kind, or ``label``'s value). See :func:`._queries.funnel` for the columns."""
        names = [s if isinstance(s, str) else str(s) for s in steps]
        if by == "page":
            stream = q.page_stream(self.pages)
            lab = label
            if lab is None:
                # A string names a page template or just its path.
                steps = [
                    (pl.col("page") == s) | q.PATH.eq(s) if isinstance(s, str) else s for s in steps
                ]
                lab = pl.col("page")
        elif by == "event":
            stream = q.event_stream(self.actions, self.signals)
            lab = pl.col("kind") if label is None else label
        else:
            raise ValueError(f"by must be 'page' or 'event', not {by!r}")
        return q.funnel(stream, steps, self.sessions, label=lab, within_ms=within_ms, names=names)

    def compare(self, other: ReplayBundle) -> pl.LazyFrame:
        """This cohort against ``other``, per action and signal kind, with rates."""
        return q.compare(
            (self.sessions, self.actions, self.signals),
            (other.sessions, other.actions, other.signals),
        )

    def url_baselines(
        self, metric: str = "scroll_reversal", *, min_sessions: int = 1
    ) -> pl.LazyFrame:
        """Each session's ``metric`` count per page against the page's median and spread."""
        if metric not in SIGNAL_KINDS and metric not in ACTION_KINDS:
            raise ValueError(f"unknown metric {metric!r}: use a signal or action kind")
        return q.url_baselines(
            self.pages, self.actions, self.signals, metric, min_sessions=min_sessions
        )

    def signals_over_time(self, bucket_ms: int = 86_400_000) -> pl.LazyFrame:
        """Signals per time bucket (default one day) and kind."""
        if bucket_ms < 1:
            raise ValueError("bucket_ms must be positive")
        return q.signals_over_time(self.signals, bucket_ms)

    def signals_by_page(self) -> pl.LazyFrame:
        """Signals per page and kind."""
        return q.signals_by_page(self.signals)

    # --- summaries ------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Headline numbers (collects the sessions frame once): sessions, failures,
        durations, active time, actions and signals per kind, error and rage sessions."""
        row = (
            self.sessions.select(
                pl.len().alias("sessions"),
                pl.col("failed").sum().alias("failed"),
                pl.col("truncated").sum().alias("truncated"),
                pl.col("duration_ms").sum().alias("duration_ms"),
                pl.col("duration_ms").median().alias("median_duration_ms"),
                pl.col("active_ms").sum().alias("active_ms"),
                pl.col("n_actions").sum().alias("actions"),
                pl.col("n_signals").sum().alias("signals"),
                pl.col("n_pages").sum().alias("page_visits"),
                (pl.col("actions_console_error") > 0).sum().alias("error_sessions"),
                (pl.col("signals_rage_click") > 0).sum().alias("rage_sessions"),
                pl.col("start_timestamp").min().alias("first_timestamp"),
                pl.col("end_timestamp").max().alias("last_timestamp"),
                *(pl.col(f"actions_{k}").sum().alias(f"actions_{k}") for k in ACTION_KINDS),
                *(pl.col(f"signals_{k}").sum().alias(f"signals_{k}") for k in SIGNAL_KINDS),
            )
            .collect()
            .row(0, named=True)
        )
        out: dict[str, Any] = {k: row[k] for k in row if not k.startswith(("actions_", "signals_"))}
        out["actions_by_kind"] = {k: row[f"actions_{k}"] for k in ACTION_KINDS}
        out["signals_by_kind"] = {k: row[f"signals_{k}"] for k in SIGNAL_KINDS}
        return out

    def _repr_html_(self) -> str:
        """A sessions summary for notebooks: headline numbers and the sessions with the
        most signals, every text escaped."""
        from ._report import render_template  # the report's templating (autoescape on)

        s = self.summary()
        top = (
            self.sessions.sort(["n_signals", "duration_ms"], descending=True)
            .head(10)
            .select("replay_id", "entry_url", "duration_ms", "n_actions", "n_signals")
            .collect()
        )
        rows = [[printable("" if v is None else str(v)) for v in row] for row in top.iter_rows()]
        html = render_template(
            "bundle.html.j2",
            sessions=s["sessions"],
            failed=s["failed"],
            actions=s["actions"],
            signals=s["signals"],
            columns=top.columns,
            rows=rows,
        )
        return html.rstrip("\n")

    def summary_markdown(
        self,
        *,
        top: int = 10,
        per_replay: bool = False,
        max_replays: int = 50,
        max_lines: int = 200,
    ) -> str:
        """A markdown rollup for people and LLMs: headline numbers, top clicked and most
        frustrating targets, signals per kind.

        ``per_replay=True`` adds each session's timeline (oldest first, at most
        ``max_replays`` sessions of at most ``max_lines`` lines each): its user, length
        and pages, then one line per action and signal, repeats in a row collapsed.
        """
        text = self._summary_head(top)
        if per_replay:
            text += per_replay_markdown(self, max_replays, max_lines)
        return text

    def _summary_head(self, top: int) -> str:
        return summary_head(self, top)

    def report_html(
        self, *, title: str = "Session replay report", top: int = 12, sessions: int = 10
    ) -> str:
        """The bundle as one self-contained HTML page (see :mod:`._report`)."""
        from ._report import render_report

        return render_report(self, title=title, top=top, sessions=sessions)

    def write_report(self, path: str | os.PathLike[str], **options: Any) -> Path:
        """Write :meth:`report_html` to ``path`` (UTF-8) and return the path."""
        target = Path(path)
        target.write_text(self.report_html(**options), encoding="utf-8")
        return target

    # --- persistence ----------------------------------------------------------------------

    def write_parquet(self, directory: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write every frame as a hive-partitioned Parquet dataset (``day=YYYY-MM-DD``) and
        ``bundle.json``; returns the directory. Refuses a non-empty directory unless
        ``overwrite`` (which replaces the frame datasets, never other files)."""
        path = Path(directory)
        if self.directory is not None and path.resolve() == self.directory.resolve():
            raise ValueError("cannot write a bundle over the directory it is read from")
        if path.exists() and any(path.iterdir()):
            if not overwrite:
                raise FileExistsError(f"{path} exists and is not empty")
            for name in STORED_FRAMES:
                shutil.rmtree(path / name, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
        for name, lf in self._frames.items():
            self._write_frame(lf, path / name)
        write_manifest(path, self.stats)
        return path

    def _write_frame(self, lf: pl.LazyFrame, target: Path) -> None:
        if self.directory is None:
            # In memory: one pass splits the frame by day.
            write_partitioned(lf.collect(), target, "part-000000")
            return
        # Scanned: stream each day from its partition (pruned by the `day` filter), so
        # memory stays bounded by one day of one frame.
        days = lf.select(pl.col("day").unique()).collect().to_series().to_list()
        for day in days:
            out = target / f"day={day}"
            out.mkdir(parents=True, exist_ok=True)
            lf.filter(pl.col("day") == day).drop("day").sink_parquet(out / "part-000000.parquet")

    def to_csv(
        self, path: str | os.PathLike[str], frame: Frame | pl.LazyFrame = "sessions"
    ) -> None:
        """Write a small frame (or any query result) as CSV; list columns become
        space-separated text and ``day`` ISO dates."""
        df = self._small(frame)
        lists = [n for n, t in df.schema.items() if isinstance(t, pl.List)]
        if lists:
            df = df.with_columns(
                pl.col(n).list.eval(pl.element().cast(pl.String)).list.join(" ") for n in lists
            )
        df.write_csv(Path(path))

    def to_ndjson(
        self, path: str | os.PathLike[str], frame: Frame | pl.LazyFrame = "sessions"
    ) -> None:
        """Write a small frame (or any query result) as NDJSON, one object per row."""
        self._small(frame).write_ndjson(Path(path))

    def _small(self, frame: Frame | pl.LazyFrame) -> pl.DataFrame:
        lf = frame if isinstance(frame, pl.LazyFrame) else self.frame(frame)
        return lf.collect()
