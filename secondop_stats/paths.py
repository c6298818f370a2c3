"""Where the project's files are, resolved from the package, never from the working directory.

JupyterLab, Voila, papermill and pytest start kernels in different folders, so every path the
package uses is derived from this file's location.
"""

from __future__ import annotations

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


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder."""
    return REPO_ROOT / "notebooks"


def reports_dir() -> Path:
    """Default output folder for built reports."""
    return REPO_ROOT / "reports"


def seeds_dir() -> Path:
    """The five source articles, kept beside the repository in ``../shared/seeds``."""
    return REPO_ROOT.parent / "shared" / "seeds"


def research_dir() -> Path:
    """Research notes beside the repository in ``../shared/research``."""
    return REPO_ROOT.parent / "shared" / "research"
