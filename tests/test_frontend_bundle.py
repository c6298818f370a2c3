"""The dashboard page's script (built from ``frontend/`` with esbuild) is committed; these tests
keep it honest without Node.js: it must be built from the sources beside it, and it must speak
the widget protocol versions the Python side installs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import anywidget
import ipywidgets

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
STATIC = ROOT / "secondop_stats/apps/jupyter/voila/templates/secondop/static"
BANNER = re.compile(r"^/\* secondop dashboard, sources ([0-9a-f]{64}) \*/")


def source_digest() -> str:
    """The digest ``frontend/build.mjs`` writes into the script's first line (same recipe)."""
    sources = ["build.mjs", "package-lock.json", "package.json"]
    sources += sorted(f"src/{p.name}" for p in (FRONTEND / "src").glob("*.js"))
    digest = hashlib.sha256()
    for path in sources:
        digest.update(f"{path}\n".encode())
        digest.update((FRONTEND / path).read_bytes())
        digest.update(b"\n")
    return digest.hexdigest()


def locked_version(package: str) -> str:
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


def test_the_committed_script_is_built_from_the_committed_sources() -> None:
    script = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    match = BANNER.match(script)
    assert match, "dashboard.js lacks its sources line: rebuild it with `make frontend`"
    assert match.group(1) == source_digest(), (
        "frontend/ changed since dashboard.js was built: run `make frontend` and commit the result"
    )
    assert (STATIC / "dashboard.css").stat().st_size > 0


def test_the_script_is_one_file_with_nothing_fetched_from_elsewhere() -> None:
    script = (STATIC / "dashboard.js").read_text(encoding="utf-8")
    css = (STATIC / "dashboard.css").read_text(encoding="utf-8")
    assert not re.search(r"^//# sourceMappingURL=", script, re.M), "no source map is served"
    assert not re.search(r"url\((?!data:)[^)]*\)", css), "styles must not load files"
    assert "cdn.jsdelivr.net" not in css


def test_the_script_speaks_the_installed_widget_protocols() -> None:
    # ipywidgets 8 talks to @jupyter-widgets/controls 5 and base 6 (module versions 2.0.0).
    assert ipywidgets.__version__.split(".")[0] == "8"
    assert locked_version("@jupyter-widgets/controls").split(".")[0] == "5"
    assert locked_version("@jupyter-widgets/base").split(".")[0] == "6"
    # anywidget's Python side asks for its own minor version of the front end ("~0.11.*").
    bundled = locked_version("anywidget").split(".")[:2]
    assert anywidget.__version__.split(".")[:2] == bundled, (
        f"anywidget {anywidget.__version__} is installed but the page bundles "
        f"{'.'.join(bundled)}: pin it in pyproject.toml or rebuild frontend/"
    )
