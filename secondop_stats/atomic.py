"""Atomic file writes that lose nothing: a reader sees the old file or the new one, never half.

Every file secondop writes goes through a temporary file in the target's folder (so that
``os.replace`` stays on one filesystem), then replaces the target in one step. Three promises:

- **no symlink is followed**: a target that is a symbolic link is refused, so a link placed in
  the output folder can never redirect a write elsewhere;
- **the mode is kept**: a replaced file keeps its permission bits (a private file stays
  private); a new file gets the usual ``0o666`` less the umask;
- **temporary files are cleaned up by exact name**: each process records the names it creates
  in a journal of its own (see :func:`journal_dir`) before creating them, and removes each when
  done. A process that is killed leaves its journal behind; :func:`sweep_leftovers`, run by
  every later command that writes, removes exactly the files that journal names, never a file
  it merely matches by pattern.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

#: Where journals of temporary files live: ``$SECONDOP_STATE_DIR``, else the XDG state folder.
STATE_ENV = "SECONDOP_STATE_DIR"
#: Every temporary file's name contains this, between the target's name and the suffix.
TEMP_MARK = ".secondop-tmp-"

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENOENT: "the folder does not exist",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many symbolic links",
}


class WriteFailed(OSError):
    """A file could not be written; ``str()`` is one line naming the place and the reason."""

    def __init__(self, target: Path, reason: str, errno_: int | None = None) -> None:
        super().__init__(errno_ or 0, reason)
        self.target = Path(target)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {self.target}: {self.reason}"


def reason_of(exc: OSError) -> str:
    """Why an operating-system error happened, in a few plain words."""
    if isinstance(exc, WriteFailed):
        return exc.reason
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def new_file_mode() -> int:
    """The mode a newly created file gets: ``0o666`` less the process's umask."""
    return 0o666 & ~_umask()


def mode_to_keep(target: Path) -> int:
    """The permission bits ``target`` has now (kept when it is replaced), or a new file's."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return new_file_mode()
    return stat.S_IMODE(st.st_mode)


def refuse_link(target: Path) -> None:
    """Raise :class:`WriteFailed` when ``target`` is a symbolic link or not a regular file."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WriteFailed(target, reason_of(exc), exc.errno) from None
    if stat.S_ISLNK(st.st_mode):
        raise WriteFailed(target, "it is a symbolic link, which is never followed")
    if stat.S_ISDIR(st.st_mode):
        raise WriteFailed(target, "it is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise WriteFailed(target, "it is not a regular file (a device, pipe or socket)")


# --- the journal of temporary files ------------------------------------------------------------


def journal_dir() -> Path:
    """``$SECONDOP_STATE_DIR``, else ``$XDG_STATE_HOME/secondop/pending``, else
    ``~/.local/state/secondop/pending``: outside every folder a user names, so that keeping
    the journal writes nothing beside the user's files."""
    named = os.environ.get(STATE_ENV)
    if named:
        return Path(named)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "secondop" / "pending"


def _process_tag(pid: int) -> str | None:
    """``<pid>-<start time>``: names one process even after its pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return f"{pid}-{fields[19]}"
    except (OSError, IndexError):
        return None


_OWN_JOURNAL: dict[int, Path | None] = {}


def _journal() -> Path | None:
    """This process's journal file (None when no state folder can be written)."""
    pid = os.getpid()
    if pid not in _OWN_JOURNAL:  # a forked child gets a journal of its own
        folder = journal_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            _OWN_JOURNAL[pid] = None
        else:
            _OWN_JOURNAL[pid] = folder / f"{_process_tag(pid) or pid}.txt"
    return _OWN_JOURNAL[pid]


def _close_journal() -> None:
    """At a normal exit: remove what this process left and its journal."""
    journal = _OWN_JOURNAL.get(os.getpid())
    if journal is None:
        return
    with contextlib.suppress(OSError):
        for name in journal.read_text(encoding="utf-8").splitlines():
            if name and _is_ours(Path(name)):
                discard(Path(name))
        journal.unlink()


def _record(path: Path) -> None:
    journal = _journal()
    if journal is None:
        return
    if not journal.exists():
        atexit.register(_close_journal)
    with contextlib.suppress(OSError), journal.open("a", encoding="utf-8") as fh:
        fh.write(f"{path}\n")


def _is_ours(path: Path) -> bool:
    """A regular file whose name has the temporary mark (never a link, never a user's name)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and TEMP_MARK in path.name and path.name.startswith(".")


def sweep_leftovers() -> list[Path]:
    """Remove the temporary files named in the journals of processes that no longer run (a
    report or batch that was killed), then those journals. Returns the files removed."""
    folder = journal_dir()
    removed: list[Path] = []
    try:
        journals = list(folder.glob("*.txt"))
    except OSError:
        return removed
    for journal in journals:
        pid_text = journal.stem.split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        tag = _process_tag(int(pid_text))
        if tag is not None and (tag == journal.stem or journal.stem == pid_text):
            continue  # that process still runs
        try:
            names = journal.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for name in dict.fromkeys(names):
            path = Path(name)
            if name and _is_ours(path):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
        with contextlib.suppress(OSError):
            journal.unlink()
    return removed


# --- writing ---------------------------------------------------------------------------------


def temporary_path(target: Path, suffix: str = "") -> Path:
    """A fresh empty file beside ``target``, recorded in this process's journal first:
    ``.<target name>.secondop-tmp-<random><suffix>``. Raises :class:`WriteFailed`."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{target.name}{TEMP_MARK}"
        # mkstemp picks the name; it is recorded before anything is written to it
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    except OSError as exc:
        raise WriteFailed(target, reason_of(exc), exc.errno) from None
    os.close(fd)
    path = Path(name)
    _record(path)
    return path


def discard(path: Path) -> None:
    """Remove a temporary file of this process (nothing when already gone)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def install(tmp: Path, target: Path, *, mode: int | None = None) -> None:
    """Move a finished temporary file onto ``target`` in one step, keeping ``target``'s mode
    (or ``mode``). Refuses a target that is a link or not a regular file."""
    refuse_link(target)
    try:
        os.chmod(tmp, mode_to_keep(target) if mode is None else mode)
        os.replace(tmp, target)
    except OSError as exc:
        raise WriteFailed(target, reason_of(exc), exc.errno) from None


def _fill(tmp: Path, target: Path, data: bytes) -> None:
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise WriteFailed(target, reason_of(exc), exc.errno) from None


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` via a temporary file and ``os.replace``, keeping the mode of
    a file it replaces and never following a link. Raises :class:`WriteFailed`."""
    target = Path(target)
    refuse_link(target)
    tmp = temporary_path(target)
    try:
        _fill(tmp, target, data)
        install(tmp, target)
    finally:
        discard(tmp)


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write several files so that either all are replaced or none is: every temporary file is
    written (and synced) first; only then are they moved into place, in the order given."""
    temps: dict[Path, Path] = {}
    try:
        for target in files:
            refuse_link(Path(target))
        for target, data in files.items():
            tmp = temporary_path(Path(target))
            temps[Path(target)] = tmp
            _fill(tmp, Path(target), data)
        for target, tmp in temps.items():
            install(tmp, target)
    finally:
        for tmp in temps.values():
            discard(tmp)


@contextlib.contextmanager
def temporary_file(target: Path, suffix: str = "") -> Iterator[Path]:
    """A journaled temporary file beside ``target`` for a tool that writes it itself (papermill,
    Chromium); removed on leaving the block unless it was installed."""
    tmp = temporary_path(target, suffix)
    try:
        yield tmp
    finally:
        discard(tmp)
