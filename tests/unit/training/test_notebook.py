"""The training notebook runs top to bottom on a tiny data set (nbclient, the project's own kernel)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from emuse.training import synthetic
from tests.support.paths import ROOT

NOTEBOOK = ROOT / "notebooks" / "training.ipynb"


def test_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = synthetic.make_csv(tmp_path / "fer2013.csv", per_class=4)
    monkeypatch.setenv("EMUSE_FER2013", str(data))
    monkeypatch.setenv("EMUSE_EPOCHS", "1")
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(NOTEBOOK.parent.parent), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = "\n".join(
        out.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )
    assert "epoch 1: loss" in outputs and "reloaded accuracy" in outputs
    assert [p.name for p in (tmp_path / "models").iterdir() if not p.name.startswith(".")] != []
    errors = [out for cell in notebook.cells for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors
