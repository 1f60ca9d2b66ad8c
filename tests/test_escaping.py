"""A recording whose texts hold terminal escapes (clear screen, retitle, bidi override)
through every human-facing output: markdown, tables, every query's table, the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _builders import T0, document, el, meta, snapshot, text
from click.testing import CliRunner

from replaykit._text import printable
from replaykit.cli import cli

HOSTILE = "\x1b[2J\x1b]0;pwned\x07Buy\u202enow\x9b31m"
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _click(t: int, node_id: int) -> dict[str, object]:
    return {
        "type": 3,
        "timestamp": T0 + t,
        "data": {"source": 2, "type": 2, "id": node_id, "x": 10, "y": 10},
    }


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = document(
        el(10, "button", {"id": "buy"}, text(11, HOSTILE)),
        el(12, "p", {}, text(13, HOSTILE)),
    )
    events = [
        meta(0, "https://shop.example/\x1b[2Jcart"),
        snapshot(10, root),
        *[_click(1000 + 150 * i, 11) for i in range(4)],  # a rage burst on it
        _click(5000, 13),
        {"type": 3, "timestamp": T0 + 20_000, "data": {"source": 1, "positions": []}},
    ]
    path = tmp_path_factory.mktemp("hostile") / "escapes.json"
    path.write_text(json.dumps(events))
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_printable_escapes_controls_and_bidi() -> None:
    assert printable("a\x1b[2Jb\u202e") == "a\\x1b[2Jb\\u202e"
    assert printable("x\ny\tz") == "x\ny\tz"
    assert printable("x\ny", keep_newlines=False) == "x\\x0ay"


@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_analyze_outputs_escape_recording_text(recording: Path, fmt: str) -> None:
    out = _run("analyze", str(recording), "--signals", "-o", fmt)
    assert "Buy" in out
    assert not RAW.search(out)
    assert "\\x1b[2J" in out


def test_queries_and_report_escape_recording_text(recording: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    _run("aggregate", str(recording), "--out", str(bundle))
    for query in (
        ["top-clicks"],
        ["rage"],
        ["rage", "--reference"],
        ["elements"],
        ["sessions"],
        ["pauses", "--threshold-ms", "100"],
        ["pattern", "click", "click"],
        ["baselines", "--metric", "click"],
        ["errors"],
        ["funnel", "/cart"],
    ):
        out = _run("query", str(bundle), *query)
        assert not RAW.search(out), query
        if query[0] in ("top-clicks", "rage", "elements"):
            assert "\\x1b[2J" in out, query  # the text is there, escaped
    report = tmp_path / "r.html"
    _run("report", str(bundle), "-o", str(report))
    html = report.read_text()
    assert "Buy" in html and not RAW.search(html)


def test_notebook_html_escapes_recording_text(recording: Path, tmp_path: Path) -> None:
    import replaykit.sync as rsync
    from replaykit.bundle import ReplayBundle

    (replay,) = rsync.analyze(recording, signals=True)
    page = replay._repr_html_()
    assert "Buy" in page and "rage click" in page
    assert not RAW.search(page) and "<script" not in page
    bundle_html = ReplayBundle.from_replays([replay])._repr_html_()
    assert "ReplayBundle" in bundle_html and not RAW.search(bundle_html)
    assert "\\x1b[2J" in bundle_html  # the entry URL, escaped
