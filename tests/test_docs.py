"""The docs match the code: every README command exists, every test the docs name exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from emuse.cli import main
from tests.support.paths import ROOT

TESTS = ROOT / "tests"


def readme_commands() -> list[list[str]]:
    """``python -m emuse <command> [<subcommand>]`` from the README, without placeholders and options."""
    commands = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        found = re.match(r"\s*python -m emuse ((?:[a-z][a-z-]* ?)+)", line)
        if found:
            words = found.group(1).split()
            if words not in commands:
                commands.append(words)
    return commands


def test_the_readme_lists_commands() -> None:
    assert ["analyze"] in readme_commands() and ["history", "export"] in readme_commands()


@pytest.mark.parametrize("words", readme_commands(), ids=" ".join)
def test_every_readme_command_runs_with_help(words: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:
        main([*words, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m emuse {' '.join(words)}")


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def named_tests(doc: Path) -> list[tuple[str, str]]:
    """(test file, test name) for every ``file.py::name`` and for bare ``test_name`` after one, per table row."""
    found = []
    for line in doc.read_text(encoding="utf-8").splitlines():
        current = None
        for ref in re.findall(r"`([^`]*test_[^`]*)`", line):
            if not re.match(r"^(?:[\w/]*\.py(?:::.*)?|test_\w.*)$", ref):
                continue  # a command line or prose that mentions a test
            if "::" in ref:
                current, name = ref.split("::", 1)
            elif ref.endswith(".py"):
                current, name = ref, ""
            else:
                name = ref
            if current is not None and (name.startswith(("test_", "…")) or not name):
                found.append((current, name))
    return found


def test_bad_input_doc_names_tests() -> None:
    assert len(named_tests(ROOT / "docs" / "bad-input.md")) > 40


@pytest.mark.parametrize("doc", ["bad-input.md", "browser.md", "music.md", "history.md", "training.md"])
def test_every_test_named_in_the_docs_exists(doc: str) -> None:
    """``name[param]`` needs the test and the parameter id; ``…[param]`` any test with it; ``test_x…`` a prefix."""
    missing = []
    for file, name in named_tests(ROOT / "docs" / doc):
        path = TESTS / file.removeprefix("tests/")
        if not path.is_file():
            missing.append(file)
            continue
        base, _, param = name.partition("[")
        names = defined_tests(path)
        if base.endswith("…"):
            ok = any(n.startswith(base.rstrip("…")) for n in names) if base != "…" else bool(names)
        else:
            ok = not base or base in names
        if param and param.rstrip("]") not in path.read_text(encoding="utf-8"):
            ok = False
        if not ok:
            missing.append(f"{file}::{name}")
    assert missing == []


def test_every_source_file_the_docs_name_exists() -> None:
    """Paths like ``emuse/ui/runtime.py`` in the README and docs/ follow the code when it moves."""
    docs = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {p for doc in docs for p in re.findall(r"\b((?:emuse|tests|pages)/[\w/]+\.py)\b", doc.read_text("utf-8"))}
    assert "emuse/ui/runtime.py" in named
    missing = [p for p in named if not ((ROOT / p).is_file() or (TESTS / p).is_file())]  # tests/ may be left out
    assert sorted(missing) == []
