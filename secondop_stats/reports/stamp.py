"""What a report was built from: the reproducibility stamp and the manifest beside each report.

The stamp (package version, evidence data hash, parameters, generation date) is printed in every
report so that a reader can tell which data and code produced it. The manifest stores the same
inputs plus the hashes of the template and of the package's code next to the HTML; a rebuild is
skipped when they are all unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..paths import PACKAGE_DIR
from ..atomic import write_atomic

MANIFEST_SUFFIX = ".manifest.json"


def generated_at() -> str:
    """Current UTC time to the minute, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return now.strftime("%Y-%m-%d %H:%M UTC")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 over the package's source files and report templates.

    Part of a report's inputs beside the version number, so that a changed installation (or a
    source tree edited between releases) rebuilds the reports it affects.
    """
    digest = hashlib.sha256()
    files = sorted(
        p for p in PACKAGE_DIR.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".json")
    )
    for path in files:
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Inputs:
    """Everything that determines a report's content."""

    notebook_sha256: str
    parameters: dict[str, Any]
    data_hash: str
    version: str
    code_sha256: str = field(default_factory=code_hash)

    def as_dict(self) -> dict[str, Any]:
        return {
            "notebook_sha256": self.notebook_sha256,
            "parameters": self.parameters,
            "data_hash": self.data_hash,
            "version": self.version,
            "code_sha256": self.code_sha256,
        }

    @property
    def key(self) -> str:
        """One digest over all inputs: equal keys mean an identical report."""
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def manifest_path(html_path: Path) -> Path:
    """``reports/x.html`` → ``reports/x.manifest.json``."""
    return html_path.with_name(html_path.stem + MANIFEST_SUFFIX)


def manifest_bytes(html_path: Path, inputs: Inputs, *, generated: str) -> bytes:
    """The manifest of a report built from ``inputs``: what :func:`write_manifest` writes."""
    data = {
        "generator": "secondop",
        "inputs_key": inputs.key,
        **inputs.as_dict(),
        "html": html_path.name,
        "notebook": html_path.with_suffix(".ipynb").name,
        "generated": generated,
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def write_manifest(html_path: Path, inputs: Inputs, *, generated: str) -> Path:
    """Record the inputs a report was built from, beside it."""
    path = manifest_path(html_path)
    write_atomic(path, manifest_bytes(html_path, inputs, generated=generated))
    return path


def record_pdf(html_path: Path, pdf: Path) -> None:
    """Add the SHA-256 of the PDF printed from ``html_path`` to its manifest, so that a later
    batch knows the PDF is its own to replace."""
    data = read_manifest(html_path)
    if data is None:
        return
    data["pdf_sha256"] = sha256_file(pdf)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    write_atomic(manifest_path(html_path), text.encode())


def read_manifest(html_path: Path) -> dict[str, Any] | None:
    """The manifest beside ``html_path``, or None if missing or unreadable."""
    try:
        data = json.loads(manifest_path(html_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_up_to_date(html_path: Path, inputs: Inputs) -> bool:
    """The report and its notebook exist and were built from exactly these inputs."""
    manifest = read_manifest(html_path)
    return (
        manifest is not None
        and manifest.get("inputs_key") == inputs.key
        and html_path.is_file()
        and html_path.with_suffix(".ipynb").is_file()
    )
