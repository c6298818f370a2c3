"""Where the project's files are, resolved from the package, never from the working directory.

JupyterLab, Voila, papermill and pytest start kernels in different folders, so every path the
package uses is derived from this file's location.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def evidence_dir() -> Path:
    """The shipped evidence folder: the repository's ``evidence/`` or the copy inside a wheel."""
    for candidate in (REPO_ROOT / "evidence", PACKAGE_DIR / "_evidence"):
        if (candidate / "datapackage.json").is_file():
            return candidate
    raise FileNotFoundError(
        f"no evidence folder with datapackage.json next to the package ({REPO_ROOT / 'evidence'})"
    )


def methods_page() -> Path:
    """``docs/methods.md``: how every number is computed (or its copy inside a wheel)."""
    for candidate in (REPO_ROOT / "docs" / "methods.md", PACKAGE_DIR / "_docs" / "methods.md"):
        if candidate.is_file():
            return candidate
    return REPO_ROOT / "docs" / "methods.md"


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder."""
    return REPO_ROOT / "notebooks"


def reports_dir() -> Path:
    """Default output folder for built reports."""
    return REPO_ROOT / "reports"


def seeds_dir() -> Path:
    """The five source articles: ``$SECONDOP_SOURCES`` when set, else ``../shared/seeds``
    beside the repository."""
    override = os.environ.get("SECONDOP_SOURCES")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "seeds"


def research_dir() -> Path:
    """Curation notes beside the repository in ``../shared/research`` (or beside
    ``$SECONDOP_SOURCES``), when present."""
    override = os.environ.get("SECONDOP_SOURCES")
    base = Path(override).parent if override else REPO_ROOT.parent / "shared"
    return base / "research"
