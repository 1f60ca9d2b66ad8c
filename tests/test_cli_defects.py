"""CLI defects a new user hit, each pinned: one-line errors with documented exit codes, no
tracebacks, options that do what they say."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from replaykit.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "recordings"
SHOP = EXAMPLES / "tracelane-shop-checkout-console.json"


def run(*args: str) -> tuple[int, str, str]:
    """Run through `main` (the console script's entry: errors become exit codes)."""
    runner = CliRunner()
    result = runner.invoke(_entry, list(args), catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


import click  # noqa: E402  (the wrapper below is a click command calling `main`)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def _entry(ctx: click.Context) -> None:
    main(list(ctx.args))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defects") / "b"
    code, _, err = run("aggregate", str(EXAMPLES), "--out", str(out))
    assert code == 0, err
    return out


def _one_line(err: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") <= 2, err


def test_huge_integers_are_a_usage_error(bundle: Path) -> None:
    code, _, err = run("query", str(bundle), "top-clicks", "-n", "99999999999999999999")
    assert code == 2 and "Traceback" not in err and "-n" in err


def test_report_into_a_missing_directory(bundle: Path, tmp_path: Path) -> None:
    code, _, err = run("report", str(bundle), "-o", str(tmp_path / "missing" / "dir" / "r.html"))
    assert code == 4
    _one_line(err)
    assert "no such directory" in err


def test_aggregate_into_a_path_under_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code, _, err = run("aggregate", str(SHOP), "--out", str(a_file / "sub"))
    assert code != 0
    _one_line(err)


def test_a_directory_without_recordings_exits_4(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, out, err = run("analyze", str(tmp_path))
    assert code == 4 and out == ""
    assert "no recordings" in err
    _one_line(err)


def test_output_format_before_the_query_name(bundle: Path) -> None:
    code, out, err = run("query", str(bundle), "-o", "json", "top-clicks")
    assert code == 0, err
    assert isinstance(json.loads(out), list)
    # The query's own -o still wins.
    code, out, _ = run("query", str(bundle), "-o", "json", "top-clicks", "-o", "csv")
    assert out.splitlines()[0].startswith("target")


def test_preset_implies_signals() -> None:
    code, out, err = run("analyze", str(SHOP), "--preset", "posthog", "-o", "json")
    assert code == 0, err
    (replay,) = json.loads(out)
    assert replay["signals"] and {s["preset"] for s in replay["signals"]} == {"posthog"}


def test_funnel_with_no_match_says_why(bundle: Path) -> None:
    code, _, err = run("query", str(bundle), "funnel", "/products", "/cart", "/nowhere")
    assert code == 0
    assert "no session reached" in err and "most visited pages" in err


def test_query_tables_show_times_not_epoch_ms(bundle: Path) -> None:
    code, out, _ = run("query", str(bundle), "rage", "--reference", "--threshold", "2")
    assert code == 0
    assert not re.search(r"\b1[6-9]\d{11}\b", out)  # no epoch milliseconds


def test_tables_mark_cut_text(tmp_path: Path) -> None:
    code, out, _ = run("analyze", str(SHOP), "-o", "table")
    assert code == 0
    long_lines = [line for line in out.splitlines() if "console error" in line]
    assert any("…" in line for line in long_lines)


def test_help_texts_for_every_option() -> None:
    from replaykit.cli import cli

    def walk(cmd: click.Command, path: str) -> list[str]:
        missing = [
            f"{path} {p.name}"
            for p in cmd.params
            if isinstance(p, click.Option) and not p.help and p.name not in ("help", "version")
        ]
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(cli, "replaykit") == []


def test_query_commands_have_examples() -> None:
    from replaykit.cli import cli

    group = cli.commands["query"]
    assert isinstance(group, click.Group)
    without = [n for n, c in group.commands.items() if "Examples" not in (c.help or "")]
    assert without == []


_ = shutil  # kept for tests that copy fixtures


def test_ndjson_keeps_default_valued_keys() -> None:
    code, out, _ = run("analyze", str(SHOP), "-o", "ndjson")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert first["kind"] == "navigation" and first["details"]["how"] == "load"
    clicks = [json.loads(x) for x in out.splitlines() if '"kind":"click"' in x]
    assert all("double" in c["details"] and "button" in c["details"] for c in clicks)


def test_report_keeps_hosts_apart_and_fits_long_names() -> None:
    from replaykit.bundle import _report

    pages = ["https://a.shop/checkout", "https://b.shop/checkout"]
    assert _report._many_hosts(pages)
    assert {_report._path(p, with_host=True) for p in pages} == {
        "a.shop/checkout",
        "b.shop/checkout",
    }
    assert not _report._many_hosts(["https://a.shop/x", "https://a.shop/y"])
    svg = _report.render_chart(
        _report._hbars([("x" * 200, {"rage_click": 1})], ["rage_click"], "t")
    )
    shown = re.search(r'text-anchor="end">([^<]*)<', svg)
    assert shown is not None and len(shown.group(1)) <= 40 and shown.group(1).endswith("…")
