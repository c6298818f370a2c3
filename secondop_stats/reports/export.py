"""Executed notebook → self-contained HTML with nbconvert, free of code, scripts and timestamps.

The exporter is configured once per process (template loading is the slow part) and reused for
every report. Before export the notebook is cleaned with nbconvert's own preprocessors: the
parameter cells are removed by tag, and cell and notebook metadata (papermill's execution
timestamps, widget state) are cleared, so the same inputs give the same bytes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbconvert import HTMLExporter
    from nbformat import NotebookNode
    from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "secondop"
#: Cells dropped from the HTML: papermill's parameter cells and set-up cells tagged remove-cell.
REMOVED_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})


def exporter_config() -> Config:
    """nbconvert settings for report pages: outputs only, no prompts, images embedded."""
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVED_TAGS)
    c.ClearMetadataPreprocessor.enabled = True
    return c


@lru_cache(maxsize=1)
def html_exporter() -> HTMLExporter:
    """The process-wide exporter (built on first use; nbconvert is imported only then)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(config=exporter_config())


def to_html(nb: NotebookNode, title: str) -> str:
    """Render an executed notebook as a report page titled ``title``."""
    import nbformat

    body, _ = html_exporter().from_notebook_node(
        nbformat.from_dict(nb), resources={"metadata": {"name": title}}
    )
    return body
