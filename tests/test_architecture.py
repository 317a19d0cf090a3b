"""The layering rules of docs/architecture.md, checked on the source itself.

- no import cycle among eMuse's modules, counting imports inside functions too;
- Streamlit only in ``Home.py``, ``pages/`` and ``emuse/ui/``;
- domain packages never import the UI or the CLI (the CLI and the UI import them);
- no module of ``emuse/`` or ``pages/`` over 400 lines;
- the pages that must open fast, and the CLI's start-up, load no TensorFlow.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import ROOT

EMUSE = ROOT / "emuse"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(EMUSE.rglob("*.py"))}


def imported_modules(path: Path) -> Iterator[str]:
    """Every eMuse module ``path`` imports, at module level or inside a function.

    ``from x import y`` counts as importing ``x.y`` when that is a module, else ``x``.
    """
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in names:
            while (
                name and name not in MODULES
            ):  # `import emuse.ui.live` names emuse.ui.live; `emuse.x.Thing` -> emuse.x
                name = name.rpartition(".")[0]
            if name and name.startswith("emuse"):
                yield name


def import_graph() -> dict[str, set[str]]:
    return {name: set(imported_modules(path)) - {name} for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    assert "emuse.cli.errors" in graph["emuse.cli.history"]
    assert "emuse.quiet" in graph["emuse.vision.classifier"]


def test_no_import_cycle_among_emuse_modules() -> None:
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _imports_streamlit(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "streamlit" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("streamlit", "streamlit_webrtc"):
            return True
    return False


def test_streamlit_is_imported_only_by_the_ui_layer() -> None:
    users = {p.relative_to(ROOT).as_posix() for p in [*EMUSE.rglob("*.py")] if _imports_streamlit(p)}
    assert users and all(u.startswith("emuse/ui/") for u in users), sorted(users)
    pages = [ROOT / "Home.py", *sorted((ROOT / "pages").glob("*.py"))]
    assert all(_imports_streamlit(p) for p in pages)  # the check itself works


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


@pytest.mark.parametrize("layer", ["emuse.ui", "emuse.cli"])
def test_domain_packages_never_import_the_ui_or_the_cli(layer: str) -> None:
    """``emuse/__main__.py`` is the CLI's entry point, so it counts as the CLI."""
    outside = {m: deps for m, deps in import_graph().items() if not in_layer(m, layer) and m != "emuse.__main__"}
    offenders = {m: sorted(d for d in deps if in_layer(d, layer)) for m, deps in outside.items()}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_the_cli_does_not_import_the_ui() -> None:
    graph = import_graph()
    assert not [
        (m, d) for m, deps in graph.items() if m.startswith("emuse.cli") for d in deps if d.startswith("emuse.ui")
    ]


def test_no_module_over_400_lines() -> None:
    sources = [*EMUSE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "Home.py"]
    long = {p.relative_to(ROOT).as_posix(): n for p in sources if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_fast_pages_and_the_cli_load_no_tensorflow() -> None:
    """The measured late imports (emuse/quiet.py, training/dataset.py, vision/classifier.py) keep these light."""
    code = (
        "import sys\n"
        "import emuse.cli, emuse.ui.history, emuse.ui.playlists, emuse.ui.train, emuse.ui.resources\n"
        "import emuse.training.jobs, emuse.vision.uploads\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
