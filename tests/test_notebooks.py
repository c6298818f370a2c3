"""The app notebooks: committed clean, and each runs top to bottom in a fresh kernel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from secondop_stats.paths import notebooks_dir

NOTEBOOKS = (
    "index.ipynb",
    "01_evidence_explorer.ipynb",
    "02_providers_and_costs.ipynb",
    "03_decision_guide.ipynb",
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    raw = json.loads((notebooks_dir() / name).read_text(encoding="utf-8"))
    nbformat.validate(nbformat.from_dict(raw))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{name}: a code cell has outputs"
            assert cell["execution_count"] is None, f"{name}: a code cell has an execution count"
    assert raw["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_a_fresh_kernel(name: str, tmp_path: Path) -> None:
    notebook = nbformat.read(notebooks_dir() / name, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        startup_timeout=180,
        resources={"metadata": {"path": str(tmp_path)}},  # not the notebooks' folder
    )
    client.execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, "\n".join(f"{e.ename}: {e.evalue}" for e in errors)
    streams = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not any("Traceback" in s for s in streams), streams
    assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), f"{name} displays no widget"
