"""The aggregate stage: frames built from analyzed replays, the async sink, spilling, and
Parquet persistence."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import _bundle_data as data
import msgspec
import polars as pl
import pytest

import replaykit
import replaykit.bundle
from replaykit import AnalyzedReplay, BundleBuilder, ReplayBundle, ReplayFailure
from replaykit.analysis._actions import Coverage
from replaykit.bundle import SCHEMAS, schema_table
from replaykit.bundle._frames import active_ms
from replaykit.sources.mixpanel import MixpanelEvent

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "recordings"

pytestmark = pytest.mark.anyio


def shop() -> AnalyzedReplay:
    nav = "navigation"
    return data.replay(
        "shop-1",
        [
            (0, nav, {"url": "http://s.test/product/12?ref=x", "how": "load"}),
            (0, "page_load"),
            (400, "click", {"target": "button#add", "label": "Add", "x": 10.0, "y": 20.0}),
            (900, "scroll", {"t_end_ms": 1500, "dy": 300.0}),
            (2000, nav, {"url": "http://s.test/cart"}),
            (2100, "click", {"target": "button#pay", "label": "Pay", "tag": "button"}),
            (2200, "console_error", {"message": "payment <failed>"}),
        ],
        signals=[(2150, "error_click", {"target": "button#pay", "url": "http://s.test/cart"})],
        end_after=3000,
    )


# --- schemas ------------------------------------------------------------------------------------


def test_schema_table_in_the_module_docstring_is_current() -> None:
    # Regenerate with: print(replaykit.bundle.schema_table())
    assert schema_table() in (replaykit.bundle.__doc__ or "")


def test_every_frame_has_a_day_partition_and_documented_units() -> None:
    for name, schema in SCHEMAS.items():
        assert schema["replay_id"] == pl.String, name
        assert schema["day"] == pl.Date, name
        for column, dtype in schema.items():
            if column == "timestamp" or column.endswith(("_timestamp", "_ms")):
                assert dtype == pl.Int64, (name, column)


# --- frames from one replay ---------------------------------------------------------------------


def test_frames_of_one_replay() -> None:
    bundle = ReplayBundle.from_replays([shop()])
    s = bundle.sessions.collect().row(0, named=True)
    assert s["day"] == dt.date(2023, 11, 14)
    assert (s["n_actions"], s["n_signals"], s["n_pages"]) == (7, 1, 2)
    assert (s["actions_click"], s["actions_console_error"], s["signals_error_click"]) == (2, 1, 1)
    assert s["entry_page"] == "http://s.test/product/:id"
    assert s["exit_url"] == "http://s.test/cart"
    assert s["duration_ms"] == 2200 + 3000
    # Click 400, scroll 900-1500, click 2100: one segment (gaps ≤ 5 s) 400 → 2100.
    assert s["active_ms"] == 1700
    assert not s["failed"] and not s["truncated"]
    assert json.loads(s["coverage"])["events"]["meta"] == 1

    actions = bundle.actions.collect()
    assert actions.schema == SCHEMAS["actions"]
    click = actions.filter(pl.col("seq") == 2).row(0, named=True)
    assert (click["x"], click["y"], click["target"], click["page"]) == (
        10.0,
        20.0,
        "button#add",
        "http://s.test/product/:id",
    )
    decoded = json.loads(click["details"])
    assert (decoded["kind"], decoded["x"]) == ("click", 10.0)
    scroll = actions.filter(pl.col("kind") == "scroll").row(0, named=True)
    assert (scroll["end_t_ms"], scroll["dy"]) == (1500, 300.0)
    error = actions.filter(pl.col("kind") == "console_error").row(0, named=True)
    assert error["message"] == "payment <failed>"

    pages = bundle.pages.collect().to_dicts()
    assert [(p["visit"], p["page"], p["how"], p["duration_ms"]) for p in pages] == [
        (0, "http://s.test/product/:id", "load", 2000),
        (1, "http://s.test/cart", "push", 3200),
    ]
    assert [(p["n_actions"], p["n_clicks"], p["n_signals"], p["exit"]) for p in pages] == [
        (2, 1, 0, False),
        (2, 1, 1, True),
    ]
    signals = bundle.signals.collect().row(0, named=True)
    assert (signals["kind"], signals["page"], signals["seq"]) == (
        "error_click",
        "http://s.test/cart",
        0,
    )


def test_visits_are_per_tab() -> None:
    nav = "navigation"
    r = data.replay(
        "tabs",
        [
            (0, nav, {"url": "http://s.test/a", "window_id": "w1"}),
            (100, nav, {"url": "http://s.test/b", "window_id": "w2"}),
            (200, "click", {"window_id": "w1"}),
            (300, nav, {"url": "http://s.test/c", "window_id": "w1"}),
            (400, "click", {"window_id": "w2"}),
        ],
        end_after=100,
    )
    pages = ReplayBundle.from_replays([r]).pages.collect()
    got = [
        (p["url"][-1], p["window_id"], p["duration_ms"], p["n_clicks"]) for p in pages.to_dicts()
    ]
    assert got == [("a", "w1", 300, 1), ("b", "w2", 400, 1), ("c", "w1", 200, 0)]


def test_tape_gives_the_detectors_visits_and_active_time() -> None:
    from replaykit.analysis._activity import active_time
    from replaykit.analysis._analyzer import ReplayAnalyzer
    from replaykit.rrweb._decode import iter_event_chunks

    path = EXAMPLES / "tracelane-shop-checkout-console.json"
    analyzer = ReplayAnalyzer("shop")
    actions = []
    for chunk in iter_event_chunks(str(path), replay_id="shop"):
        actions.extend(analyzer.feed(chunk))
    actions.extend(analyzer.finish())
    replay = AnalyzedReplay(
        replay_id="shop",
        source=str(path),
        actions=actions,
        coverage=analyzer.coverage,
        start_timestamp=analyzer.start_timestamp,
        end_timestamp=analyzer.end_timestamp,
    )
    buffers = replaykit.bundle._frames.FrameBuffers()
    buffers.add(replay, tape=analyzer.tape)
    frames = buffers.take()
    assert frames["sessions"]["active_ms"][0] == active_time(analyzer.tape).active_ms
    assert frames["pages"].height >= 2
    assert frames["pages"]["active_ms"].null_count() == 0


def test_active_ms_bridges_short_gaps_only() -> None:
    r = data.replay(
        "a",
        [(0, "click"), (4000, "click"), (10_000, "click"), (10_000, "navigation")],
    )
    assert active_ms(r.actions) == 4000 + 1  # a lone click counts 1 ms
    assert active_ms([]) == 0


def test_failed_replays_are_rows_skipped_files_are_not() -> None:
    failure = ReplayFailure(error="RecordingFormatError", message="bad", exit_code=1)
    failed = AnalyzedReplay(
        replay_id="broken",
        source="/x/broken.json",
        actions=[],
        coverage=Coverage(),
        failure=failure,
    )
    skipped = AnalyzedReplay(
        replay_id="notes",
        source="/x/notes.json",
        actions=[],
        coverage=Coverage(),
        failure=ReplayFailure(
            error="RecordingFormatError", message="no", exit_code=1, skipped=True
        ),
    )
    bundle = ReplayBundle.from_replays([failed, skipped, shop(), shop()])
    sessions = bundle.sessions.collect()
    assert sorted(sessions["replay_id"]) == ["broken", "shop-1"]
    row = sessions.filter(pl.col("failed")).row(0, named=True)
    assert (row["failure_error"], row["day"], row["n_actions"]) == (
        "RecordingFormatError",
        dt.date(1970, 1, 1),
        0,
    )
    assert bundle.stats == {"replays": 2, "duplicates": 1, "skipped": 1}


# --- the async sink ----------------------------------------------------------------------------


async def _stream(
    replays: list[AnalyzedReplay], closed: list[bool]
) -> AsyncIterator[AnalyzedReplay]:
    try:
        for r in replays:
            yield r
    finally:
        closed.append(True)


async def test_aggregate_consumes_a_stream_in_batches() -> None:
    replays = [msgspec.structs.replace(shop(), replay_id=f"s{i}") for i in range(25)]
    closed: list[bool] = []
    bundle = await replaykit.aggregate(_stream(replays, closed), batch_rows=40)
    assert closed == [True]
    assert bundle.sessions.collect().height == 25
    assert bundle.actions.collect().height == 25 * 7
    assert bundle.directory is None


async def test_builder_context_and_mixpanel_join() -> None:
    events = [
        MixpanelEvent(
            replay_id="shop-1",
            name=name,
            time_ms=data.T0 + t,
            distinct_id="user-7",
            properties={"$insert_id": f"i{t}", "plan": "pro"},
        )
        for name, t in [("Add to cart", 450), ("Purchase", 2300)]
    ]
    async with BundleBuilder() as builder:
        await builder.add(shop(), mixpanel_events=events)
        await builder.add(data.replay("other", [(0, "click")]))
    bundle = builder.bundle
    mp = bundle.mixpanel.collect()
    assert mp["event_name"].to_list() == ["Add to cart", "Purchase"]
    assert mp["t_ms"].to_list() == [450, 2300]
    assert json.loads(mp["properties"][0])["plan"] == "pro"
    sessions = bundle.sessions.sort("replay_id").collect()
    assert sessions["distinct_id"].to_list() == [None, "user-7"]
    assert sessions["n_mp_events"].to_list() == [0, 2]
    ids = lambda b: sorted(b.sessions.collect()["replay_id"])  # noqa: E731
    assert ids(bundle.where(has_event="Purchase")) == ["shop-1"]
    assert ids(bundle.where(distinct_id="user-7")) == ["shop-1"]
    with pytest.raises(RuntimeError, match="after the builder finished"):
        await builder.add(shop())


async def test_bundle_is_unavailable_until_finished() -> None:
    builder = BundleBuilder()
    with pytest.raises(RuntimeError, match="not finished"):
        builder.bundle  # noqa: B018
    assert (await builder.finish()) is (await builder.finish())


async def test_raw_events_frame_is_opt_in() -> None:
    path = EXAMPLES / "tracelane-login-failure-console.json"
    replay = await replaykit.analyze_recording(path)
    async with BundleBuilder(events=True) as builder:
        await builder.add(replay)
    events = builder.bundle.events.collect()
    assert events.height == sum(replay.coverage.events.values())
    assert events.filter(pl.col("type") == 4)["url"].to_list() == ["http://127.0.0.1:52202/"]
    assert events.filter(pl.col("type") == 3)["source"].null_count() == 0
    assert events["t_ms"].min() == 0
    plain = ReplayBundle.from_replays([replay])
    assert plain.events.collect().height == 0


async def test_spill_threshold_and_directory(tmp_path: Path) -> None:
    replays = [msgspec.structs.replace(shop(), replay_id=f"s{i}") for i in range(10)]
    small = ReplayBundle.from_replays(replays, spill_dir=tmp_path / "a", batch_rows=20)
    assert small.directory == tmp_path / "a"  # spilled from the first batch
    assert (tmp_path / "a" / "bundle.json").is_file()
    assert sorted(p.name for p in (tmp_path / "a" / "actions").iterdir()) == ["day=2023-11-14"]

    async with BundleBuilder(tmp_path / "b", batch_rows=20, spill_after_rows=10_000) as b:
        for r in replays:
            await b.add(r)
    assert b.bundle.directory is None and not (tmp_path / "b").exists()

    async with BundleBuilder(tmp_path / "c", batch_rows=20, spill_after_rows=50) as c:
        for r in replays:
            await c.add(r)
    assert c.bundle.directory == tmp_path / "c"
    assert c.bundle.sessions.collect().height == 10
    for name in ("sessions", "actions", "pages", "signals"):
        a = small.frame(name).collect().sort(pl.all())
        assert a.equals(c.bundle.frame(name).collect().sort(pl.all())), name

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        async with BundleBuilder(tmp_path / "d"):
            pass


# --- persistence ---------------------------------------------------------------------------------


def test_write_scan_round_trip_is_hive_partitioned(tmp_path: Path) -> None:
    replays = [
        shop(),
        msgspec.structs.replace(data.replay("late", [(0, "click")], start=data.T0 + 3 * data.DAY)),
    ]
    bundle = ReplayBundle.from_replays(replays)
    out = bundle.write_parquet(tmp_path / "b")
    assert sorted(p.name for p in (out / "sessions").iterdir()) == [
        "day=2023-11-14",
        "day=2023-11-17",
    ]
    part = next((out / "actions" / "day=2023-11-14").glob("*.parquet"))
    assert "day" not in pl.read_parquet(part).columns  # the partition lives in the path
    again = ReplayBundle.scan(out)
    assert "scan of" in repr(again)
    for name in SCHEMAS:
        left = bundle.frame(name).collect()
        right = again.frame(name).collect()
        assert right.schema == SCHEMAS[name], name
        assert left.sort(pl.all()).equals(right.sort(pl.all())), name
    only_late = again.where(day_from=dt.date(2023, 11, 15))
    assert only_late.sessions.collect()["replay_id"].to_list() == ["late"]
    # A scanned bundle writes day by day; writing over its own source is refused.
    copy = again.write_parquet(tmp_path / "copy")
    assert ReplayBundle.scan(copy).actions.collect().height == bundle.actions.collect().height
    with pytest.raises(ValueError, match="directory it is read from"):
        again.write_parquet(out, overwrite=True)
    with pytest.raises(FileExistsError):
        bundle.write_parquet(copy)
    bundle.write_parquet(copy, overwrite=True)


def test_scan_refuses_what_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ReplayBundle.scan(tmp_path)
    (tmp_path / "bundle.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a replaykit bundle"):
        ReplayBundle.scan(tmp_path)


def test_scan_adapts_older_datasets(tmp_path: Path) -> None:
    out = ReplayBundle.from_replays([shop()]).write_parquet(tmp_path / "b")
    # An older writer: no `message` column and a narrower `kind` enum.
    part = next((out / "actions").glob("day=*/*.parquet"))
    old = (
        pl.read_parquet(part)
        .drop("message")
        .with_columns(
            pl.col("kind")
            .cast(pl.String)
            .cast(pl.Enum(["navigation", "page_load", "click", "scroll", "console_error"]))
        )
    )
    old.write_parquet(part)
    actions = ReplayBundle.scan(out).actions.collect()
    assert actions.schema == SCHEMAS["actions"]
    assert actions["message"].null_count() == actions.height


def test_small_frames_export_as_csv_and_ndjson(tmp_path: Path) -> None:
    bundle = ReplayBundle.from_replays([shop()])
    bundle.to_csv(tmp_path / "s.csv")
    bundle.to_csv(tmp_path / "sig.csv", "signals")
    bundle.to_ndjson(tmp_path / "p.ndjson", "pages")
    bundle.to_ndjson(tmp_path / "top.ndjson", bundle.top_clicks(3))
    assert pl.read_csv(tmp_path / "s.csv")["replay_id"].to_list() == ["shop-1"]
    assert pl.read_csv(tmp_path / "sig.csv")["kind"].to_list() == ["error_click"]
    lines = (tmp_path / "p.ndjson").read_text().splitlines()
    assert [json.loads(line)["visit"] for line in lines] == [0, 1]
    assert len((tmp_path / "top.ndjson").read_text().splitlines()) == 2
    with pytest.raises(ValueError, match="unknown frame"):
        bundle.to_csv(tmp_path / "x.csv", "nope")  # type: ignore[arg-type]


async def test_corpus_through_the_async_pipeline(corpus_dir: Path, tmp_path: Path) -> None:
    bundle = await replaykit.aggregate(
        replaykit.analyze(corpus_dir / "recorded", signals=True, on_error="record"),
        spill_dir=tmp_path / "b",
    )
    sessions = bundle.sessions.collect()
    assert set(sessions["replay_id"]) == {
        "article_reader",
        "dashboard_heavy",
        "masked_inputs",
        "shop_frustrated",
        "shop_happy_path",
    }
    assert bundle.stats["skipped"] == 5  # the truth files
    frustrated = sessions.filter(pl.col("replay_id") == "shop_frustrated").row(0, named=True)
    assert frustrated["signals_rage_click"] == 1
    assert (
        frustrated["n_signals"]
        == bundle.signals.filter(pl.col("replay_id") == "shop_frustrated").collect().height
    )
    rage = bundle.elements.filter(pl.col("rage_clicks") > 0).collect()
    assert rage["label"].to_list() == ["Apply coupon"]


async def test_event_rows_from_the_analysis_pass_match_a_second_read() -> None:
    path = EXAMPLES / "tracelane-shop-checkout-console.json"
    with_rows = await replaykit.analyze_recording(
        path, options=replaykit.AnalyzerOptions(event_rows=True)
    )
    plain = await replaykit.analyze_recording(path)
    assert plain.event_rows is None
    assert with_rows.event_rows is not None
    assert len(with_rows.event_rows) == sum(with_rows.coverage.events.values())
    frames = []
    for replay in (with_rows, plain):  # rows kept in the pass; the file read again
        async with BundleBuilder(events=True) as builder:
            await builder.add(replay)
        frames.append(builder.bundle.events.collect())
    assert frames[0].equals(frames[1])
    # Without `events=True` the rows the analysis kept are not stored.
    assert ReplayBundle.from_replays([with_rows]).events.collect().height == 0
