r"""Sources: what a user names, turned into a list of inputs, each with its scope labels.

:func:`resolve` turns what a user passes to :func:`copilot_metrics.load` into a list of
:class:`SourceRef` (one per file or in-memory input), with scope labels taken from keywords or
from a path template such as ``"exports/{org}/{team}/*.json"``.  It reads no file's content.

Files that are not regular files (a FIFO, a socket, a device) and symbolic links that lead to
no file (broken, or a loop) are never opened: a folder lists them in ``ds.sources`` as
``skipped`` with the reason; named directly, a FIFO is skipped the same way and a dead link is
an error, like a missing file.  A sub-folder that cannot be listed (no permission, a path too
long) is listed as ``skipped`` with the reason too; the folder named itself is an error.

Labels are text Polars, Parquet and messages can hold: a file name that is not UTF-8 (a
Latin-1 name from an old zip) is labelled with its undecodable bytes as ``\xe9`` escapes
(:func:`safe_label`), and still read from its real path.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeAlias, cast

from copilot_metrics._layout import LAYOUT_FILE, Layout, read_layout
from copilot_metrics.errors import CopilotMetricsError

__all__ = ["PLACEHOLDER", "READ_SUFFIXES", "Source", "SourceRef", "resolve", "safe_label", "template_regex"]

#: What :func:`copilot_metrics.load` accepts as a source.
Source: TypeAlias = "str | Path | bytes | bytearray | memoryview | IO[bytes] | Sequence[Source]"

READ_SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz", ".gz")

#: A scope placeholder of a path template: ``exports/{org}/{team}/*.json``.
PLACEHOLDER = re.compile(r"\{(enterprise|org|team)\}")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class SourceRef:
    """One input: a file on disk or bytes in memory, with its scope labels."""

    label: str
    path: Path | None = None
    data: bytes | None = None
    scope: dict[str, str | None] = field(default_factory=dict)
    mtime: float | None = None
    skipped: str | None = None

    def read(self) -> bytes:
        """Return the input's bytes.

        The file may have changed since it was listed: it is opened without waiting
        (``O_NONBLOCK``, so a FIFO put in its place cannot block) and read only if what was
        opened is a regular file.  Raises :class:`CopilotMetricsError` naming the file otherwise.
        """
        if self.data is not None:
            return self.data
        assert self.path is not None
        nonblocking = getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.path, os.O_RDONLY | nonblocking | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            gone = " (deleted or moved after it was listed?)" if exc.errno == errno.ENOENT else ""
            raise CopilotMetricsError(
                f"{self.label}: cannot read file: {exc.strerror}{gone}",
                file=self.label,
                hint="read it again once it is in place",
            ) from exc
        with os.fdopen(fd, "rb") as file:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise CopilotMetricsError(
                    f"{self.label}: not read: {_kind(mode)}, not a regular file (it was replaced after it was listed)",
                    file=self.label,
                    hint="reading it could wait forever: put the export back in its place",
                )
            if nonblocking:
                os.set_blocking(fd, True)
            try:
                return file.read()
            except OSError as exc:
                raise CopilotMetricsError(f"{self.label}: cannot read file: {exc.strerror}", file=self.label) from exc


def safe_label(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    r"""``path`` as text any UTF-8 consumer takes: undecodable bytes of its name as ``\xe9`` escapes.

    A name that is not UTF-8 comes from :func:`os.fsdecode` with lone surrogates, which Polars,
    Parquet and ``print`` refuse; it is shown with the bytes escaped instead (``caf\xe9.json``).

    >>> safe_label("caf\udce9.json")
    'caf\\xe9.json'
    """
    text = os.fsdecode(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate no file name decodes to: escape it as it is
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def template_regex(template: str) -> re.Pattern[str]:
    """Regex matching paths of a template like ``exports/{org}/{team}/*.json``.

    Glob syntax (``*``, ``?``, ``**/``, ``[abc]``, ``[!abc]``) means what it means to the glob
    that lists the files; a placeholder used twice (``{org}/{org}-*.json``) stands for the same
    name each time.
    """
    out = []
    pos = 0
    seen: set[str] = set()
    for match in PLACEHOLDER.finditer(template):
        name = match.group(1)
        out.append(_glob_to_regex(template[pos : match.start()]))
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>[^/]+)")
        seen.add(name)
        pos = match.end()
    out.append(_glob_to_regex(template[pos:]))
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error as exc:
        raise CopilotMetricsError(
            f"{safe_label(template)}: cannot read this path template ({exc})", file=safe_label(template)
        ) from None


def _glob_to_regex(text: str) -> str:
    parts = []
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif text[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif text[i] == "?":
            parts.append("[^/]")
            i += 1
        elif text[i] == "[" and (end := _class_end(text, i)) is not None:
            parts.append(_class_regex(text[i + 1 : end]))
            i = end + 1
        else:
            parts.append(re.escape(text[i]))
            i += 1
    return "".join(parts)


def _class_end(text: str, start: int) -> int | None:
    """Where the glob character class opened at ``start`` closes (``None``: the ``[`` is literal).

    As :mod:`fnmatch` reads it: ``!`` first negates, a ``]`` first (or after ``!``) is a member;
    a class never spans a ``/`` (the glob matches one path component at a time).
    """
    j = start + 1
    if j < len(text) and text[j] == "!":
        j += 1
    if j < len(text) and text[j] == "]":
        j += 1
    while j < len(text) and text[j] != "]":
        if text[j] == "/":
            return None
        j += 1
    return j if j < len(text) else None


def _class_regex(body: str) -> str:
    """The regex of a glob character class's ``body`` (between the brackets); never matches ``/``."""
    negate = body.startswith("!")
    members = "".join(c if c == "-" else re.escape(c) for c in body[negate:])
    return f"(?!/)[{'^' if negate else ''}{members}]"


def _kind(mode: int) -> str:
    return (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
    )


def _not_regular(path: Path, *, from_walk: bool = False) -> str | None:
    """Why ``path`` is not read as a file (``None`` for a regular file, or a folder named directly).

    Never opens the path: opening a FIFO would wait for a writer forever.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        if path.is_symlink():
            return "not read: a symbolic link that leads to no file (broken, or a loop)"
        return "not read: cannot be inspected"
    if stat.S_ISDIR(mode):
        # a folder's walk meets a folder only through a link: links to folders are not followed
        return "not read: a link to a folder (not followed, so that a loop cannot trap the walk)" if from_walk else None
    if stat.S_ISREG(mode):
        return None
    return f"not read: {_kind(mode)}, not a regular file (reading it could wait forever)"


def _glob(pattern: str) -> list[Path]:
    path = Path(pattern)
    anchor = Path(path.anchor) if path.is_absolute() else Path()
    relative = str(path.relative_to(anchor)) if path.is_absolute() else pattern
    return sorted(p for p in anchor.glob(relative) if p.is_file() or _not_regular(p))


def _walk(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """Every file under ``folder`` (links included), and every sub-folder that cannot be listed.

    Yields ``(path, None)`` for an entry to list (a file, a FIFO, a link: :func:`_file_ref`
    decides), and ``(sub-folder, reason)`` for a folder the walk could not list (no permission,
    a path too long, removed meanwhile): its files are unknown, so it is reported, not passed
    over.  Links to folders are not followed, so that a loop cannot trap the walk.  Raises
    :class:`CopilotMetricsError` when ``folder`` itself cannot be listed.
    """
    failed: list[OSError] = []

    def reasons() -> Iterator[tuple[Path, str | None]]:
        while failed:
            error = failed.pop(0)
            where = Path(error.filename) if error.filename is not None else folder
            if where == folder:
                raise CopilotMetricsError(
                    f"{safe_label(folder)}: cannot list this folder: {error.strerror}",
                    file=safe_label(folder),
                    hint="check the folder's permissions",
                )
            yield where, f"not read: a folder that cannot be listed ({error.strerror}): its files are not loaded"

    for parent, folders, files in os.walk(folder, onerror=failed.append):
        yield from reasons()
        for name in files:
            yield Path(parent, name), None
        for name in folders:
            # os.path.islink, not Path.is_symlink: a path too long to inspect is a folder, not an error
            if os.path.islink(os.path.join(parent, name)):  # noqa: PTH114, PTH118
                yield Path(parent, name), None
    yield from reasons()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _file_ref(path: Path, scope: dict[str, str | None], *, from_walk: bool) -> SourceRef:
    name = path.name.lower()
    skipped = _not_regular(path, from_walk=from_walk)
    if skipped is None and from_walk and not name.endswith(READ_SUFFIXES):
        skipped = "not read: file name does not end in .json, .ndjson, .jsonl or .gz"
    return SourceRef(label=safe_label(path), path=path, scope=scope, mtime=_mtime(path), skipped=skipped)


def _resolve_one(item: Source, scope: dict[str, str | None], counter: list[int]) -> Iterable[SourceRef]:
    if isinstance(item, (bytes, bytearray, memoryview)):
        counter[0] += 1
        yield SourceRef(label=f"<bytes #{counter[0]}>", data=bytes(item), scope=scope)
        return
    if hasattr(item, "read") and not isinstance(item, (str, Path)):
        counter[0] += 1
        data = item.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = getattr(item, "name", None)  # a path (str or bytes), or a number for a file opened from a descriptor
        label = safe_label(name) if isinstance(name, (str, bytes, os.PathLike)) else f"<file object #{counter[0]}>"
        yield SourceRef(label=label, data=data, scope=scope)
        return
    if isinstance(item, (str, Path)):
        text = str(item)
        shown = safe_label(text)
        if not text:
            raise CopilotMetricsError(
                "an empty path names no file or folder",
                hint="give a file, a folder, a glob or a path template ('.' is this folder)",
            )
        if PLACEHOLDER.search(text):
            regex = template_regex(Path(text).as_posix())
            pattern = PLACEHOLDER.sub("*", text)
            matched = _glob(pattern)
            refs = []
            fits = False
            for path in matched:
                match = regex.match(path.as_posix())
                if match is None:  # the glob matches it, the template does not: say so
                    refs.append(
                        dataclasses.replace(
                            _file_ref(path, scope, from_walk=False),
                            skipped=(
                                f"not read: does not match the path template {shown} (a placeholder used twice stands "
                                "for the same name each time, and for at least one character)"
                            ),
                        )
                    )
                    continue
                labels = {k: safe_label(v) for k, v in match.groupdict().items()}
                refs.append(_file_ref(path, {**scope, **labels}, from_walk=False))
                fits = True
            if not fits:
                raise CopilotMetricsError(f"{shown}: no file matches this path template", file=shown)
            yield from refs
            return
        path = Path(text)
        if path.is_dir():
            entries = sorted(_walk(path), key=lambda entry: entry[0])
            if not entries:
                raise CopilotMetricsError(
                    f"{shown}: this folder holds no file",
                    file=shown,
                    hint="check the path: an empty folder gives no days",
                )
            yield from _labelled(entries, scope)
            return
        if path.is_file():
            yield _file_ref(path, scope, from_walk=False)
            return
        if path.is_symlink():
            raise CopilotMetricsError(
                f"{shown}: a symbolic link that leads to no file (broken, or a loop)",
                file=shown,
                hint="point the link at an export, or remove it",
            )
        if path.exists():  # a FIFO, a socket or a device: listed, never opened
            yield _file_ref(path, scope, from_walk=False)
            return
        if _GLOB_CHARS.search(text):
            matched = _glob(text)
            if not matched:
                raise CopilotMetricsError(f"{shown}: no file matches this pattern", file=shown)
            yield from (_file_ref(p, scope, from_walk=False) for p in matched)
            return
        raise CopilotMetricsError(f"{shown}: no such file or folder", file=shown)
    if isinstance(item, Sequence):
        for sub in cast("Sequence[Source]", item):
            yield from _resolve_one(sub, scope, counter)
        return
    raise CopilotMetricsError(f"cannot read a source of type {type(item).__name__}")


def _labelled(entries: list[tuple[Path, str | None]], scope: dict[str, str | None]) -> Iterator[SourceRef]:
    """A folder's entries (:func:`_walk`) as inputs.

    Files under a folder holding a layout manifest carry its labels (:mod:`._layout`); a
    sub-folder that could not be listed is an input skipped with the reason.
    """
    children = [p for p, unlisted in entries if unlisted is None]
    layouts = [layout for p in children if p.name == LAYOUT_FILE for layout in (read_layout(p.parent),) if layout]
    compiled = {layout.root: (layout, [template_regex(t) for t in layout.templates]) for layout in layouts}
    for child, unlisted in entries:
        if unlisted is not None:
            yield SourceRef(label=safe_label(child), path=child, scope=scope, skipped=unlisted)
            continue
        root = next((folder for folder in child.parents if folder in compiled), None)
        if root is None:
            yield _file_ref(child, scope, from_walk=True)
            continue
        layout, regexes = compiled[root]
        relative = child.relative_to(root).as_posix()
        if relative not in layout.files:
            yield _file_ref(child, _layout_labels(child, relative, layout, regexes, scope), from_walk=True)


def _layout_labels(
    child: Path, relative: str, layout: Layout, regexes: list[re.Pattern[str]], scope: dict[str, str | None]
) -> dict[str, str | None]:
    """The labels of a file under a layout: its first matching template's, decoded; keywords may only agree."""
    match = next((m for m in (r.match(relative) for r in regexes) if m), None)
    if match is None:
        return scope
    found = {column: layout.labels.get(column, {}).get(name, name) for column, name in match.groupdict().items()}
    for column, label in found.items():
        if scope.get(column) is not None and scope[column] != label:
            raise CopilotMetricsError(
                f"{safe_label(child)}: {column}={scope[column]!r} was given, but the folder's layout "
                f"({safe_label(layout.root / LAYOUT_FILE)}) labels this file {column}={label!r}",
                file=safe_label(child),
                hint=f"leave {column} out to load the folder with its own labels, or name the files with a path "
                "template of your own",
            )
    return {**scope, **found}


def resolve(source: Source, scope: dict[str, str | None]) -> list[SourceRef]:
    """List the inputs named by ``source``, each with its scope labels.

    Keyword labels (``scope``) apply to every input; labels from a path template override them.
    A folder holding a layout manifest (:data:`copilot_metrics._layout.LAYOUT_FILE`, written
    by :func:`copilot_metrics.write_json` and ``copilot-metrics example``) gives the files its
    templates match their labels; a keyword naming another label for one of them is an error.
    The manifest itself is never an input, however it is named.  A file named twice is one
    input.  Every input keeps a label of its own: an in-memory input whose label is already
    taken (a file object whose ``name`` is a path of the same call, or the ``name`` of another
    one) is labelled ``<file object #2: name>`` (its position among the in-memory inputs, and
    its name).
    """
    refs = list(_resolve_one(source, scope, [0]))
    paths = {ref.label for ref in refs if ref.path is not None}
    seen: set[str] = set()
    unique = []
    position = 0
    for ref in refs:
        if ref.path is None:
            position += 1
            if ref.label in seen or ref.label in paths:
                kind = "bytes" if ref.label == f"<bytes #{position}>" else "file object"
                ref = dataclasses.replace(ref, label=f"<{kind} #{position}: {ref.label}>")  # noqa: PLW2901
        elif ref.label in seen or ref.path.name == LAYOUT_FILE:
            continue
        seen.add(ref.label)
        unique.append(ref)
    return unique
