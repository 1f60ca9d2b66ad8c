"""The README's examples, run: console transcripts must match the real output, library
and bundle snippets must run on the bundled recordings, every Python block must compile.

Paths in the README are a reader's (`recordings/`, `session.json`, `bundle/`); here they
point at `examples/recordings` and a temporary bundle. Blocks that need a Mixpanel account
or a Ray cluster are compiled, not run.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
EXAMPLE = "examples/recordings/tracelane-shop-checkout-console.json"
RUN_SECTIONS = ("The library", "Across sessions: bundles on Polars")

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def _blocks(lang: str) -> list[tuple[str, str]]:
    """(section heading, code) of each fenced block in ``lang``."""
    out = []
    for m in _BLOCK.finditer(README):
        if m.group(1) != lang:
            continue
        headings = re.findall(r"^## (.+)$", README[: m.start()], re.M)
        out.append((headings[-1] if headings else "", m.group(2)))
    return out


def _replaykit() -> list[str]:
    return [sys.executable, "-m", "replaykit"]


@pytest.mark.parametrize("block", [code for _, code in _blocks("console")])
def test_console_transcripts_match_the_output(block: str) -> None:
    lines = block.splitlines()
    assert lines[0].startswith("$ replaykit ")
    args = shlex.split(lines[0][2:])[1:]
    result = subprocess.run(
        [*_replaykit(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    expected = "\n".join(lines[1:]).rstrip()
    shown = result.stdout.rstrip()
    if "\n...\n" in expected:  # an elided middle: the head and the tail must match
        head, tail = expected.split("\n...\n", 1)
        assert shown.startswith(head) and shown.endswith(tail)
    else:
        assert shown == expected


def _as_async(code: str) -> str:
    """Wrap a snippet in an async function when it awaits, so it compiles and can run."""
    if re.search(r"\basync (for|with)\b|\bawait\b", code):
        return "async def _snippet():\n" + textwrap.indent(code, "    ") + "\n"
    return code


@pytest.mark.parametrize("block", [code for _, code in _blocks("python")])
def test_python_blocks_compile(block: str) -> None:
    ast.parse(_as_async(block))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reader's folder: recordings/ (the examples), session.json, session.json.gz."""
    import gzip
    import shutil

    base = tmp_path_factory.mktemp("reader")
    shutil.copytree(ROOT / "examples" / "recordings", base / "recordings")
    shutil.copy(ROOT / EXAMPLE, base / "session.json")
    (base / "session.json.gz").write_bytes(gzip.compress((ROOT / EXAMPLE).read_bytes()))
    return base


def test_shell_blocks_of_the_bundle_section_run(workdir: Path) -> None:
    (block,) = [
        code
        for section, code in _blocks("sh")
        if section.startswith("Across sessions") and "aggregate" in code
    ]
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip()
        args = shlex.split(command)[1:]
        result = subprocess.run(
            [*_replaykit(), *args], cwd=workdir, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, (command, result.stderr)
    assert (workdir / "report.html").is_file()


def test_library_and_bundle_snippets_run(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    if not (workdir / "bundle").is_dir():
        test_shell_blocks_of_the_bundle_section_run(workdir)
    import polars as pl

    import replaykit

    namespace: dict[str, object] = {"replaykit": replaykit, "pl": pl, "print": lambda *a: None}
    ran = 0
    for section, code in _blocks("python"):
        if section not in RUN_SECTIONS:
            continue
        source = _as_async(code)
        exec(compile(source, f"README:{section}", "exec"), namespace)
        snippet = namespace.pop("_snippet", None)
        if snippet is not None:
            anyio.run(snippet)  # type: ignore[arg-type]
        ran += 1
    assert ran >= 2
    assert os.path.isdir("bundle")
