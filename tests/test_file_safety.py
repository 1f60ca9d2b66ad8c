"""``fetch --out-dir`` with hostile replay ids: every write stays inside the directory.

Replay ids come from the network (discovery answers), so a server can hand out ids such
as ``../../x``, ``/etc/passwd``, ``a\\x00b``, 5,000 characters, ``CON``, ``Abc`` next to
``abc``, or terminal escape sequences. Each must land in one plain, distinct file inside
``--out-dir`` (distinct even where the file system ignores case), nothing may be written
anywhere else, and nothing the CLI prints may carry raw control characters.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from _fakenet import LOGIN, RECORDINGS, run_cli
from hypothesis import example, given
from hypothesis import strategies as st

import replaykit.cli._console as cli_console
from replaykit.sources.mixpanel import safe_filename
from replaykit.testing import FakeMixpanel

HOSTILE = [
    "../../escape",
    "../../../../../../tmp/replaykit-escape",
    "/etc/passwd",
    "/abs/olute",
    "a/b/c",
    "a\\b",
    "..",
    ".",
    ".hidden",
    "...",
    "a\x00b",
    "x" * 5000,
    "CON",
    "con.json",
    "LPT1",
    "Abc",
    "abc",
    "ABC",
    "a_b-4ab5b3bb6a1b0d9e",  # shaped like a hashed name
    "\u202etxt.exe",
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[1;1H",
    "é",
    "e\u0301",
    " space ",
    "tab\there",
    "new\nline",
    "C:\\Windows\\x",
    "~",
    "*?<>|:",
]
NAME = re.compile(r"[A-Za-z0-9._-]+\.json")
BAR_CONTROL = re.compile(r"\r|\x1b\[(?:2K|1A|\?25[lh]|[0-9;]*m)")
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _events() -> list[Any]:
    events: list[Any] = json.loads((RECORDINGS / f"{LOGIN}.json").read_text())
    return events


def _case_folded(names: list[str]) -> set[str]:
    return {n.casefold() for n in names}


def test_hostile_ids_from_discovery_stay_inside_the_directory(tmp_path: Path) -> None:
    events = _events()
    fake = FakeMixpanel()
    for rid in HOSTILE:
        fake.add_replay(rid, events, chunk_events=5)
    workdir = tmp_path / "work"
    out = workdir / "out"
    workdir.mkdir()
    with fake:
        args = ("fetch", "--user", "user-42", "--limit", "100", "--out-dir", str(out))
        code, stdout, stderr = run_cli(fake, tmp_path, *args)
        code2, _, stderr2 = run_cli(fake, tmp_path, *args, "-o", "table")
    assert fake.server_errors == []
    assert code == 0 and code2 == 0, stderr + stderr2
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert sorted(r["replay_id"] for r in rows) == sorted(HOSTILE)
    # Everything written is a plain file directly in `out`, one per id, named safely.
    written = sorted(os.listdir(out))
    assert len(written) == len(HOSTILE)
    assert all(NAME.fullmatch(n) and len(n) <= 140 and not n.startswith(".") for n in written)
    assert len(_case_folded(written)) == len(HOSTILE)  # distinct where case is ignored
    assert all(Path(r["path"]).parent == out for r in rows)
    assert sorted(p.relative_to(workdir).parts[0] for p in workdir.rglob("*")) == ["out"] * (
        len(HOSTILE) + 1
    )
    assert not Path("/tmp/replaykit-escape.json").exists()
    for row in rows:
        assert json.loads(Path(row["path"]).read_text()) == events, row["replay_id"][:40]
    # The second run found every file in place (resumed), and said so in a table.
    assert "0 fetched, 30 already present" in stderr2
    # No raw control character (terminal escape, bidi override) reaches stderr.
    assert RAW_CONTROL.search(stderr + stderr2) is None


def test_hostile_ids_in_errors_progress_and_tables_are_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_console, "_live", lambda stream: True)  # draw as on a terminal
    fake = FakeMixpanel()
    evil = "\x1b]0;pwned\x07\x1b[2J"
    fake.add_replay(evil, _events(), chunk_events=5)
    fake.add_replay("\u202eevil-ok", _events(), chunk_events=5)
    fake.inject("cdn", "status", status=500, replay_id=evil, times=None)
    with fake:
        args = ("fetch", "--user", "user-42", "--out-dir", str(tmp_path / "o"), "-o", "table")
        code, stdout, stderr = run_cli(fake, tmp_path, *args)
    assert code == 1
    assert "replaykit: error: \\x1b]0;pwned\\x07\\x1b[2J: chunk file 0: HTTP 500" in stderr
    assert "] \\u202eevil-ok: 15 events" in stderr  # the live progress bar, escaped
    # Only the progress bar's own control sequences are raw: carriage return, erase line,
    # cursor up, hide and show the cursor, colours (never a clear screen, a title, a bidi
    # override).
    drawn = BAR_CONTROL.sub("", stderr)
    assert RAW_CONTROL.search(stdout + drawn) is None


def test_server_error_text_is_printed_without_control_characters(tmp_path: Path) -> None:
    with FakeMixpanel() as fake:
        # A 400 whose error text would clear the screen and retitle the terminal.
        text = "\x1b[2J\x1b]0;pwned\x07bad\u202e request"
        fake.inject("insights", "status", status=400, body=text, times=None)
        code, _, stderr = run_cli(fake, tmp_path, "list")
    assert code == 3 and "bad request" in stderr.replace("  ", " ")
    assert RAW_CONTROL.search(stderr) is None


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
@example("Abc", "abc")
@example("a/b", "a_b-" + safe_filename("a/b")[4:-5])  # an id shaped like another's name
@example("0123456789abcdef", "\x00")
@example("x" * 300, "x" * 301)
def test_distinct_ids_get_distinct_names_even_ignoring_case(a: str, b: str) -> None:
    name_a, name_b = safe_filename(a), safe_filename(b)
    for name in (name_a, name_b):
        assert NAME.fullmatch(name) and len(name) <= 140 and not name.startswith(".")
        assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    if a != b:
        assert name_a.casefold() != name_b.casefold(), (a, b)


def test_plain_lowercase_ids_keep_their_name() -> None:
    uuid = "0190f2c4-6b2e-7c4a-9e5d-1f2a3b4c5d6e"
    assert safe_filename(uuid) == f"{uuid}.json"
    assert safe_filename("Abc") != "Abc.json"  # upper case always gets a hash


def test_a_dangling_symlink_at_the_final_name_is_replaced_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.json"
    (out / f"{LOGIN}.json").symlink_to(outside)  # points out of the directory, at nothing
    with FakeMixpanel() as fake:
        fake.add_replay(LOGIN, _events(), chunk_events=5)
        code, _, stderr = run_cli(fake, tmp_path, "fetch", LOGIN, "--out-dir", str(out))
    assert code == 0, stderr
    assert not outside.exists()  # nothing was written through the link
    written = out / f"{LOGIN}.json"
    assert not written.is_symlink() and json.loads(written.read_text()) == _events()


def test_a_write_error_fails_that_replay_not_the_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / f"{LOGIN}.json").mkdir(parents=True)  # the final name is taken by a directory
    with FakeMixpanel() as fake:
        fake.add_replay(LOGIN, _events(), chunk_events=5)
        fake.add_replay("other", _events(), chunk_events=5)
        code, stdout, stderr = run_cli(
            fake, tmp_path, "fetch", LOGIN, "other", "--out-dir", str(out)
        )
    assert code == 1 and "Traceback" not in stderr
    assert f"replaykit: error: {LOGIN}: cannot write {LOGIN}.json: " in stderr
    rows = {json.loads(line)["replay_id"]: json.loads(line) for line in stdout.splitlines()}
    assert rows[LOGIN]["failure"]["error"] == "ReplaykitError"
    assert rows["other"]["failure"] is None
    assert sorted(os.listdir(out)) == sorted([f"{LOGIN}.json", "other.json"])  # no temp left


@pytest.mark.parametrize("where", ["under-a-file", "is-a-file"])
def test_an_out_dir_that_cannot_be_made_is_a_clean_error(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "sub" if where == "under-a-file" else blocker
    with FakeMixpanel() as fake:
        fake.add_replay(LOGIN, _events(), chunk_events=5)
        code, _, stderr = run_cli(fake, tmp_path, "fetch", LOGIN, "--out-dir", str(out))
    if where == "is-a-file":
        assert code == 2 and "Traceback" not in stderr  # click: not a directory
    else:
        assert code == 3 and "Traceback" not in stderr
        assert "cannot create the output directory" in stderr
    assert blocker.read_text() == "x"
