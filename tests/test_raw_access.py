"""Raw access: in-memory events, kept raw events, rrweb-player JSON, clicks_on, page_path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import anyio
import msgspec
import pytest
from _fakenet import CHECKOUT, client, serving

import replaykit
import replaykit.sync as rk

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "recordings" / "tracelane-shop-checkout-console.json"


def _events() -> list[dict[str, object]]:
    events: list[dict[str, object]] = json.loads(SHOP.read_text())
    return events


def _summary(replay: replaykit.AnalyzedReplay) -> list[tuple[str, str | None, int]]:
    return [(a.kind, a.label, a.timestamp) for a in replay.actions]


def test_analyze_events_on_a_list_of_dicts_matches_the_file() -> None:
    from_file = rk.analyze_recording(SHOP, signals=True)
    in_memory = replaykit.analyze_events(_events(), "shop", signals=True)
    assert isinstance(in_memory, replaykit.AnalyzedReplay)
    assert _summary(in_memory) == _summary(from_file)
    assert [s.kind for s in in_memory.signals] == [s.kind for s in from_file.signals]
    assert in_memory.duration_ms == from_file.duration_ms and in_memory.events is None
    with pytest.raises(ValueError, match="keep_events=True"):
        in_memory.to_rrweb_json()
    # Bytes and NDJSON text work too; decoded chunks keep the (actions, coverage) form.
    ndjson = "\n".join(json.dumps(e) for e in _events())
    assert _summary(replaykit.analyze_events(ndjson, "shop")) == _summary(from_file)
    actions, coverage = replaykit.analyze_events(replaykit.iter_event_chunks(SHOP), "shop")
    assert [(a.kind, a.label, a.timestamp) for a in actions] == _summary(from_file)
    assert isinstance(coverage, replaykit.Coverage)


def test_keep_events_and_rrweb_player_json(tmp_path: Path) -> None:
    events = _events()
    shuffled = list(reversed(events))
    replay = replaykit.analyze_events(shuffled, "shop", keep_events=True)
    assert replay.events == shuffled and not replay.events_truncated
    player = msgspec.json.decode(replay.to_rrweb_json())
    assert player == sorted(shuffled, key=lambda e: int(str(e["timestamp"])))  # stable
    packed = tmp_path / "shop.json.gz"
    packed.write_bytes(gzip.compress(SHOP.read_bytes()))
    kept = rk.analyze_recording(packed, keep_events=True)
    assert kept.events == events
    cut = rk.analyze_recording(SHOP, keep_events=True, max_kept_events=5)
    assert cut.events == events[:5] and cut.events_truncated
    assert len(cut.actions) == len(kept.actions)  # the analysis itself saw everything
    assert next(iter(rk.analyze([SHOP], keep_events=True))).events == events


def test_clicks_on_and_page_path() -> None:
    replay = replaykit.analyze_events(_events(), "shop")
    assert [a.target for a in replay.clicks_on("Add to cart")] == [
        "button#add-CLAW-22",
        "button#add-TAPE-5M",
        "button#add-BIT-SET",
    ]
    assert [a.label for a in replay.clicks_on("place ORDER")] == ["Place order"]
    assert [a.label for a in replay.clicks_on("#place-order")] == ["Place order"]
    assert [a.label for a in replay.clicks_on("a#to-checkout.checkout")] == ["Go to checkout →"]
    assert replay.clicks_on("#add") == [] and replay.clicks_on("") == []
    assert len(replay.clicks_on(lambda a: (a.label or "").startswith("Add"))) == 3
    assert replay.page_path() == [
        "https://shop.demo/products.html",
        "https://shop.demo/checkout.html",
    ]
    assert replay.page_path(normalize=True) == [
        replaykit.normalize_url(u) for u in replay.page_path()
    ]


def test_mixpanel_replays_keep_their_raw_chunk_events() -> None:
    with serving() as fake:

        async def run() -> replaykit.AnalyzedReplay:
            async with client(fake) as mp, mp.analyze([CHECKOUT], keep_events=True) as rs:
                return await anext(aiter(rs))

        replay = anyio.run(run)
    assert replay.failure is None and replay.events is not None
    original = json.loads((ROOT / "examples" / "recordings" / f"{CHECKOUT}.json").read_text())
    assert msgspec.json.decode(replay.to_rrweb_json()) == sorted(
        original, key=lambda e: e["timestamp"]
    )
