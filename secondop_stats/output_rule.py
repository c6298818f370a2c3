"""The one output rule of every command that writes (``report``, ``reports``, ``export``,
``brief``): checked before any kernel starts, so that nothing a user owns is ever lost.

- A command writes the file the user named, and besides it only companion files that the command
  itself wrote earlier (a companion is checked with an ``owned`` test: a marker or manifest
  record that only secondop writes).
- A symbolic link at the destination is never followed; a folder, device, pipe or socket is
  never replaced.
- Nothing is written into the evidence folder or over the report template.
- The destination's extension must match the format.
- Empty paths are refused rather than read as the current folder.

Modes are kept and temporary files cleaned by exact name when the file is written (see
:mod:`secondop_stats.atomic`).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import reason_of
from .errors import ParameterError


class OutputRefused(ParameterError):
    """A destination that the output rule refuses; the message names the place and why."""


@dataclass(frozen=True)
class Protected:
    """Places no command may write: the evidence folder (and everything in it) and the report
    template."""

    places: Mapping[str, Path] = field(default_factory=dict)

    @classmethod
    def of(cls, *, evidence_dir: Path | None = None, template: Path | None = None) -> Protected:
        """The evidence folder in use and the shipped one, the report template in use and the
        shipped one."""
        from .paths import evidence_dir as shipped_evidence
        from .paths import notebooks_dir

        places = {"inside the evidence folder": Path(evidence_dir or shipped_evidence())}
        if evidence_dir is not None:
            places["inside the shipped evidence folder"] = shipped_evidence()
        places["the report template"] = Path(template or notebooks_dir() / "report.ipynb")
        if template is not None:
            places["the shipped report template"] = notebooks_dir() / "report.ipynb"
        return cls(places)

    def with_place(self, name: str, path: Path) -> Protected:
        return Protected({**self.places, name: Path(path)})

    def check(self, path: Path, what: str) -> None:
        """Refuse ``path`` (already absolute) when it is, or is inside, a protected place."""
        real = _real(path)
        for name, place in self.places.items():
            place = place.expanduser().resolve()
            if real == place or (place.is_dir() and real.is_relative_to(place)):
                raise OutputRefused(f"refusing to write {what} {path}: it is {name} ({place})")


def _real(path: Path) -> Path:
    """``path`` with its folders' links resolved and its last component followed too (used only
    to compare with protected places: a link into the evidence folder is still refused)."""
    return path.expanduser().resolve()


def destination(path: str | os.PathLike[str], what: str = "output") -> Path:
    """``path`` made absolute with its folder resolved but its last component kept as named
    (never followed). Empty or blank paths are refused."""
    text = os.fspath(path)
    if not text.strip():
        raise OutputRefused(f"{what}: an empty path names no file")
    given = Path(text).expanduser()
    parent = given.parent.resolve()
    if given.name in ("", ".", ".."):
        raise OutputRefused(f"{what} {text} is a folder; name a file")
    return parent / given.name


def _check_place(path: Path, what: str, shown: str) -> None:
    """Refuse what exists and is not a regular file, and a folder one cannot write in."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputRefused(f"cannot write {what} {shown}: {reason_of(exc)}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise OutputRefused(
                f"refusing to write {what} {shown}: it is a symbolic link, which is never "
                "followed; name the file itself"
            )
        if stat.S_ISDIR(st.st_mode):
            raise OutputRefused(f"{what} {shown} is a folder; name a file")
        if not stat.S_ISREG(st.st_mode):
            raise OutputRefused(
                f"refusing to write {what} {shown}: it is not a regular file (a device, pipe "
                "or socket)"
            )
    check_folder_writable(path.parent, f"{what} {shown}")


def check_folder_writable(folder: Path, what: str) -> None:
    """Refuse a folder that exists but is not a folder, or cannot be written in; a missing
    folder is fine when its nearest existing ancestor can be written in."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():
            raise OutputRefused(f"cannot write {what}: {probe} is a broken symbolic link")
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OutputRefused(f"cannot write {what}: {probe} is not a folder")
    try:
        flags = os.statvfs(probe).f_flag
    except OSError as exc:
        raise OutputRefused(f"cannot write {what}: {reason_of(exc)}") from None
    if flags & os.ST_RDONLY:
        raise OutputRefused(f"cannot write {what}: {probe} is on a read-only file system")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputRefused(f"cannot write {what}: permission denied in {probe}")
    _try_creating_in(probe, what)


def _try_creating_in(folder: Path, what: str) -> None:
    """Create and remove one empty file in ``folder``: the only sure test that files can be
    made there (special file systems, quotas and mount options all answer it)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".secondop-probe-", dir=folder)
    except OSError as exc:
        reason = (
            f"files cannot be created in {folder}"
            if exc.errno == errno.ENOENT
            else f"{reason_of(exc)} in {folder}"
        )
        raise OutputRefused(f"cannot write {what}: {reason}") from None
    os.close(fd)
    os.unlink(name)


def _extension_ok(path: Path, extensions: Iterable[str]) -> bool:
    name = path.name.lower()
    return any(name.endswith(ext.lower()) and len(name) > len(ext) for ext in extensions)


def named_output(
    path: str | os.PathLike[str],
    *,
    extensions: Iterable[str],
    protected: Protected,
    what: str = "output",
    format_name: str = "",
) -> Path:
    """Check a file the user named as the output; return its absolute path (last component
    not followed). Raises :class:`OutputRefused` naming the path and the reason."""
    out = destination(path, what)
    shown = os.fspath(path)
    extensions = tuple(extensions)
    if not _extension_ok(out, extensions):
        kind = f" for {format_name}" if format_name else ""
        suffix = out.suffix or "(no extension)"
        raise OutputRefused(
            f"{what} {shown}: unknown format {suffix}{kind}; valid extensions: "
            f"{', '.join(extensions)}"
        )
    protected.check(out, what)
    _check_place(out, what, shown)
    return out


def companion_output(
    path: Path,
    *,
    owned: Callable[[Path], bool],
    protected: Protected,
    what: str,
    hint: str = "move it, or name another output",
) -> Path:
    """Check a file a command writes beside the named output (an executed notebook, a
    manifest, a PDF, an index): it may be replaced only when ``owned(path)`` says this command
    wrote it."""
    out = destination(path, what)
    protected.check(out, what)
    _check_place(out, what, str(out))
    if out.exists() and not owned(out):
        raise OutputRefused(f"{out} exists and was not written by secondop; {hint}")
    return out


def output_folder(path: str | os.PathLike[str], *, protected: Protected) -> Path:
    """Check a folder a command fills (``--output-dir``): not empty, not a file, not protected,
    writable. The folder itself may be a link the user made; it is resolved."""
    text = os.fspath(path)
    if not text.strip():
        raise OutputRefused("--output-dir: an empty path names no folder")
    folder = Path(text).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise OutputRefused(f"--output-dir {text} is not a folder")
    for name, place in protected.places.items():
        place = place.expanduser().resolve()
        if folder == place or folder.is_relative_to(place):
            raise OutputRefused(f"refusing to write reports into {text}: it is {name} ({place})")
    check_folder_writable(folder, f"into {text}")
    return folder
