"""The folder transaction every writer runs: written beside, then swapped in, in one step.

:func:`replace` is what :func:`~copilot_metrics.export.parquet.write_parquet`,
:func:`~copilot_metrics.export.csv.write_csv` and
:func:`~copilot_metrics.export.json.write_json` run.  With the ``flock`` of the parent folder
held (:func:`locked`): what a killed writer left is cleaned up (:func:`recover`); an existing
export is checked for paths its writer did not write (:func:`foreign`); the new export is
written at a hidden sibling ``.{name}.tmp-<token>`` and swapped in (``renameat2(RENAME_EXCHANGE)``
on Linux, else two renames: :func:`swap`); the previous one is deleted.  A file system error
becomes a :class:`~copilot_metrics.errors.CopilotMetricsError` naming the path.

The steps that move paths are a :class:`Moves`: :func:`replace` takes one, so a test can stop a
writer between two steps without patching this module.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import math
import numbers
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from copilot_metrics.errors import CopilotMetricsError

__all__ = ["Moves", "Ours", "exchange", "foreign", "leftovers", "locked", "naming", "recover", "replace", "swap"]

#: Whether a path inside an export (its parts relative to the export's root, and whether it is a
#: file) is one its writer writes.
Ours = Callable[[tuple[str, ...], bool], bool]


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Give an ``OSError`` raised while writing ``path`` its file name (errors of ``write()`` have none)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def foreign(root: Path, ours: Ours) -> list[str]:
    """Paths inside an existing export that its writer did not write (symbolic links included).

    ``ours(parts, is_file)`` tells whether a path (``parts`` relative to ``root``) is one the
    writer writes.
    """
    found = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).parts
        for entry in sorted(dirs):
            path = Path(folder, entry)
            if path.is_symlink() or not ours((*base, entry), False):
                found.append(str(path.relative_to(root)) + ("" if path.is_symlink() else "/"))
                dirs.remove(entry)  # never walk into a foreign folder
        for entry in sorted(files):
            path = Path(folder, entry)
            if path.is_symlink() or not ours((*base, entry), True):
                found.append(str(path.relative_to(root)))
    return found


# ---------------------------------------------------------------- the lock


@contextmanager
def locked(folder: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (the export's parent): one writer at a time.

    The lock is on the folder itself, so no lock file is left behind, and the kernel releases it
    when the process ends, killed or not.  Where ``flock`` is missing (Windows) or refused (some
    network file systems), writers are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder that cannot be opened for reading
        yield
        return
    try:
        _wait_for_lock(fd, folder, timeout, fcntl.flock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


def _wait_for_lock(fd: int, folder: Path, timeout: float, flock: Callable[[int, int], None], how: int) -> None:
    """Take the lock, retrying every 50 ms until ``timeout``; go on unlocked where ``flock`` is not supported."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            flock(fd, how)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise CopilotMetricsError(
                    f"{folder}: another process is writing a dataset in this folder (it holds the folder's "
                    f"lock); gave up after {timeout:g} s",
                    file=str(folder),
                    hint="retry when the other write has finished, or raise lock_timeout",
                ) from None
            time.sleep(0.05)
        except OSError as exc:  # pragma: no cover - flock not supported here
            if exc.errno in (errno.ENOLCK, errno.EINVAL, errno.EBADF, errno.EOPNOTSUPP):
                return
            raise


def lock_seconds(lock_timeout: object) -> float:
    """``lock_timeout`` checked: a number of seconds >= 0 (``math.inf``: wait as long as it takes), never NaN."""
    if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, numbers.Real):
        raise TypeError(f"lock_timeout must be a number of seconds, not {lock_timeout!r}")
    seconds = float(lock_timeout)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(
            f"lock_timeout must be a number of seconds >= 0 (math.inf waits as long as it takes), not {lock_timeout!r}"
        )
    return seconds


# ---------------------------------------------------------------- moving paths


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where that is not available (other systems, old C libraries, file systems
    without support); the caller then renames twice.
    """
    if not sys.platform.startswith("linux"):  # pragma: no cover - other systems
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # pragma: no cover - C library without renameat2
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # pragma: no cover - unsupported here
        return False
    raise OSError(code, os.strerror(code), str(a))  # pragma: no cover


def _rename(source: Path, destination: Path) -> None:
    source.rename(destination)


@dataclass(frozen=True)
class Moves:
    """How the transaction moves paths: an atomic exchange where the system has one, and a rename.

    ``exchange(a, b)`` swaps two existing paths in one step, or returns False where it cannot
    (default :func:`exchange`); ``rename(source, destination)`` renames (default
    :meth:`pathlib.Path.rename`).  The default is what every writer uses; a test passes others
    to stop a writer between two steps, as a killed process would.
    """

    exchange: Callable[[Path, Path], bool] = exchange
    rename: Callable[[Path, Path], None] = _rename


def swap(staging: Path, target: Path, aside: Path, moves: Moves = Moves()) -> None:
    """Put ``staging`` at ``target``, the old ``target`` at ``aside``: atomically where the system allows.

    Otherwise two renames; a process killed between them leaves ``target`` missing and the old
    dataset at ``aside``, which :func:`~copilot_metrics.export.parquet.read_parquet` then reads
    and the next write renames back (:func:`recover`).
    """
    if moves.exchange(staging, target):
        with contextlib.suppress(OSError):  # the new one is in place: what is left is cleaned up later
            moves.rename(staging, aside)
        return
    moves.rename(target, aside)
    try:
        moves.rename(staging, target)
    except BaseException:
        moves.rename(aside, target)
        raise


# ---------------------------------------------------------------- hidden siblings and recovery


#: Longest file name, in bytes, on the common file systems (ext4, XFS, btrfs, APFS).
_NAME_MAX = 255
#: What a hidden sibling's name adds to the name it is made from: ``.``, ``.tmp-`` and a 12-digit token.
_SIBLING_EXTRA = 18


def _stem(target: Path) -> str:
    """What the hidden siblings of ``target`` are named after: its name, or a digest of a name too long for them.

    A name of 240 bytes is valid, but ``.{name}.tmp-<token>`` would not be (over 255 bytes): the
    siblings of such a target are named after the first 32 hex digits of its name's SHA-256.
    """
    raw = os.fsencode(target.name)
    if len(raw) + _SIBLING_EXTRA <= _NAME_MAX:
        return target.name
    return "~" + hashlib.sha256(raw).hexdigest()[:32]


def _sibling(target: Path, kind: str, token: str) -> Path:
    """The hidden sibling ``.{name}.{kind}-{token}`` of ``target`` (``tmp``: being written, ``old``: set aside)."""
    return target.parent / f".{_stem(target)}.{kind}-{token}"


def leftovers(target: Path, kind: str) -> list[Path]:
    """Hidden siblings ``.{name}.{kind}-<token>`` a write of ``target`` leaves while it runs (folders, or files)."""
    pattern = re.compile(rf"\.{re.escape(_stem(target))}\.{kind}-[0-9a-f]{{12}}\Z")
    return sorted(
        p
        for p in target.parent.iterdir()
        if pattern.match(p.name) and not p.is_symlink() and (p.is_dir() or p.is_file())
    )


def _remove(path: Path) -> None:
    """Delete a staging or set-aside folder or file, as far as possible (what stays is removed by the next write)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def recover(target: Path) -> None:
    """Clean up after a writer that was killed (called with the lock held).

    A missing ``target`` with a previous export set aside (killed between the two renames of
    :func:`swap`) gets it back; staging folders (or files) and folders set aside are then removed.
    """
    if not target.exists():
        kept = [p for p in leftovers(target, "old") if p.is_dir()]
        if kept:
            kept[-1].rename(target)
    for path in (*leftovers(target, "tmp"), *leftovers(target, "old")):
        _remove(path)


# ---------------------------------------------------------------- errors and checks


#: What to do about a write that failed with an ``OSError``, by its ``errno``.
_WRITE_HINTS = {
    errno.ENOSPC: "free some space: the new export is written beside the previous one, so both must fit",
    errno.EDQUOT: "free some space: the new export is written beside the previous one, so both must fit",
    errno.EFBIG: "free some space or raise the file size limit (ulimit -f)",
    errno.EACCES: "write to a folder you may write to (the export's parent folder must be writable)",
    errno.EPERM: "write to a folder you may write to (the export's parent folder must be writable)",
    errno.EROFS: "the file system is read-only: write somewhere else",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
    errno.EEXIST: "a part of the path is a file, not a folder: choose another path",
}


def _write_error(given: Path, what: str, exc: OSError, existed: bool) -> CopilotMetricsError:
    """The error of a write that failed with ``exc`` before its export was swapped in."""
    # the system's words for the error number: pyarrow and Polars word their OSErrors each their own way
    # (Polars gives no errno, only "File too large (os error 27)")
    text = str(exc.args[0]) if exc.args else type(exc).__name__
    found = re.search(r"(?:os error|errno) ([0-9]+)", text, re.IGNORECASE)
    number = exc.errno or (int(found.group(1)) if found else 0)
    reason = os.strerror(number) if number else exc.strerror or text
    failed = f" ({exc.filename})" if exc.filename else ""
    left = f"the previous {what} is left as it was" if existed else "nothing was written there"
    return CopilotMetricsError(
        f"{given}: could not write the {what}: {reason}{failed}; {left}",
        file=str(given),
        hint=_WRITE_HINTS.get(number),
    )


def _cwd() -> Path | None:
    try:
        return Path.cwd().resolve()
    except OSError:  # pragma: no cover - the working folder was deleted
        return None


def _check_replaceable(target: Path, given: Path, what: str, ours: Ours | None, marker: str | None) -> None:
    """Refuse to replace an existing ``target`` that is not an export of this kind (see :func:`replace`)."""
    if not target.exists():
        return
    if ours is None:  # a single file
        if target.is_dir():
            raise CopilotMetricsError(
                f"{given}: exists and is a folder, not a file",
                file=str(given),
                hint="give a file path, or a folder path without the .json suffix",
            )
        return
    if not target.is_dir():
        raise CopilotMetricsError(f"{given}: exists and is not a folder", file=str(given))
    cwd = _cwd()
    if cwd is not None and cwd.is_relative_to(target):
        raise CopilotMetricsError(
            f"{given}: is (or holds) the current working folder; replacing it would leave this process in a "
            "deleted folder",
            file=str(given),
            hint="write to another folder",
        )
    if marker is not None and not (target / marker).is_file() and any(target.iterdir()):
        raise CopilotMetricsError(
            f"{given}: a non-empty folder that is not a copilot-metrics {what} (no {marker}); not replacing it",
            file=str(given),
            hint="choose a new or empty folder",
        )
    found = foreign(target, ours)
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise CopilotMetricsError(
            f"{given}: holds {len(found)} path(s) copilot-metrics did not write ({shown}); "
            f"not replacing the {what}, which would delete them",
            file=str(given),
            hint="move them out of the folder, or write to another folder",
        )


# ---------------------------------------------------------------- the transaction


def _commit(target: Path, write: Callable[[Path], None], *, folder: bool, moves: Moves) -> None:
    """Write the new export at a hidden sibling of ``target``, then put it in ``target``'s place in one step."""
    token = uuid.uuid4().hex[:12]
    staging = _sibling(target, "tmp", token)
    aside = _sibling(target, "old", token)
    try:
        write(staging)
        if not folder:
            staging.replace(target)  # one atomic step for a file
            return
        if not target.exists():
            staging.rename(target)
            return
        swap(staging, target, aside, moves)
    except BaseException:
        _remove(staging)
        raise
    _remove(aside)
    _remove(staging)  # there only if setting the old export aside after the exchange failed


def _resolved(given: Path, what: str) -> Path:
    """Where ``given`` points (a symbolic link to an export: what it points to); never a file system root."""
    try:
        target = given.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links (Python < 3.13)
        raise CopilotMetricsError(f"{given}: cannot resolve the path ({exc})", file=str(given)) from exc
    if target.parent == target:
        raise CopilotMetricsError(f"{given}: cannot write a {what} at a file system root", file=str(given))
    return target


def replace(
    root: str | os.PathLike[str],
    write: Callable[[Path, Path | None], None],
    *,
    what: str,
    ours: Ours | None,
    lock_timeout: float,
    marker: str | None = None,
    moves: Moves = Moves(),
) -> Path:
    """The transaction every writer runs: write the new export beside ``root``, then swap it in, in one step.

    ``write(staging, previous)`` writes the whole export at ``staging`` (a folder it creates, or
    the file itself when ``ours`` is None: a single-file export); ``previous`` is ``root``
    resolved when it already holds an export, else None.  With the lock of the parent folder
    held (:func:`locked`): what a killed writer left is cleaned up (:func:`recover`); an
    existing ``root`` is checked (a folder is replaced only when every path in it is one
    ``ours(parts, is_file)`` accepts, and, with ``marker``, only when it holds that file or
    nothing); the export is written at a hidden sibling and swapped in (:func:`swap`, with
    ``moves``; ``os.replace`` for a file); the previous one is deleted.

    A failure or a killed process before the swap leaves ``root`` as it was (the next write
    removes the hidden sibling of a killed one).  An ``OSError`` (no space, no permission, a name
    too long, a path through a file) becomes a :class:`~copilot_metrics.errors.CopilotMetricsError`
    naming ``root`` and the path that failed, and saying that the previous export is untouched.
    """
    seconds = lock_seconds(lock_timeout)
    given = Path(root)
    target = _resolved(given, what)
    existed = False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with locked(target.parent, seconds):
            recover(target)
            existed = target.exists()
            _check_replaceable(target, given, what, ours, marker)
            previous = target if existed else None
            _commit(target, lambda staging: write(staging, previous), folder=ours is not None, moves=moves)
    except OSError as exc:
        raise _write_error(given, what, exc, existed) from exc
    return given
