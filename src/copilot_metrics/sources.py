"""Sources: what a user names, turned into a list of inputs, each with its scope labels.

:func:`resolve` turns what a user passes to :func:`copilot_metrics.load` into a list of
:class:`SourceRef` (one per file or in-memory input), with scope labels taken from keywords or
from a path template such as ``"exports/{org}/{team}/*.json"``.  It reads no file's content.

Files that are not regular files (a FIFO, a socket, a device) and symbolic links that lead to
no file (broken, or a loop) are never opened: a folder lists them in ``ds.sources`` as
``skipped`` with the reason; named directly, a FIFO is skipped the same way and a dead link is
an error, like a missing file.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeAlias, cast

from copilot_metrics._layout import LAYOUT_FILE, Layout, read_layout
from copilot_metrics.errors import CopilotMetricsError

__all__ = ["PLACEHOLDER", "READ_SUFFIXES", "Source", "SourceRef", "resolve", "template_regex"]

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
        """Return the input's bytes."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise CopilotMetricsError(f"{self.label}: cannot read file: {exc.strerror}", file=self.label) from exc


def template_regex(template: str) -> re.Pattern[str]:
    """Regex matching paths of a template like ``exports/{org}/{team}/*.json``."""
    out = []
    pos = 0
    for match in PLACEHOLDER.finditer(template):
        out.append(_glob_to_regex(template[pos : match.start()]))
        out.append(f"(?P<{match.group(1)}>[^/]+)")
        pos = match.end()
    out.append(_glob_to_regex(template[pos:]))
    return re.compile("".join(out) + r"\Z")


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
        else:
            parts.append(re.escape(text[i]))
            i += 1
    return "".join(parts)


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
    kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"not read: {kind}, not a regular file (reading it could wait forever)"


def _glob(pattern: str) -> list[Path]:
    path = Path(pattern)
    anchor = Path(path.anchor) if path.is_absolute() else Path()
    relative = str(path.relative_to(anchor)) if path.is_absolute() else pattern
    return sorted(p for p in anchor.glob(relative) if p.is_file() or _not_regular(p))


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
    return SourceRef(label=str(path), path=path, scope=scope, mtime=_mtime(path), skipped=skipped)


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
        yield SourceRef(label=str(getattr(item, "name", f"<file object #{counter[0]}>")), data=data, scope=scope)
        return
    if isinstance(item, (str, Path)):
        text = str(item)
        if PLACEHOLDER.search(text):
            regex = template_regex(Path(text).as_posix())
            pattern = PLACEHOLDER.sub("*", text)
            matched = _glob(pattern)
            if not matched:
                raise CopilotMetricsError(f"{text}: no file matches this path template", file=text)
            for path in matched:
                match = regex.match(path.as_posix())
                labels = dict(match.groupdict()) if match else {}
                yield _file_ref(path, {**scope, **labels}, from_walk=False)
            return
        path = Path(text)
        if path.is_dir():
            # rglob does not follow links to folders, so a link loop cannot make it walk forever
            children = sorted(p for p in path.rglob("*") if p.is_symlink() or not p.is_dir())
            if not children:
                raise CopilotMetricsError(f"{text}: this folder holds no file", file=text,
                                          hint="check the path: an empty folder gives no days")
            yield from _walk(children, scope)
            return
        if path.is_file():
            yield _file_ref(path, scope, from_walk=False)
            return
        if path.is_symlink():
            raise CopilotMetricsError(
                f"{text}: a symbolic link that leads to no file (broken, or a loop)", file=text,
                hint="point the link at an export, or remove it",
            )
        if path.exists():  # a FIFO, a socket or a device: listed, never opened
            yield _file_ref(path, scope, from_walk=False)
            return
        if _GLOB_CHARS.search(text):
            matched = _glob(text)
            if not matched:
                raise CopilotMetricsError(f"{text}: no file matches this pattern", file=text)
            yield from (_file_ref(p, scope, from_walk=False) for p in matched)
            return
        raise CopilotMetricsError(f"{text}: no such file or folder", file=text)
    if isinstance(item, Sequence):
        for sub in cast("Sequence[Source]", item):
            yield from _resolve_one(sub, scope, counter)
        return
    raise CopilotMetricsError(f"cannot read a source of type {type(item).__name__}")


def _walk(children: list[Path], scope: dict[str, str | None]) -> Iterator[SourceRef]:
    """A folder's files; those under a folder holding a layout manifest carry its labels (:mod:`._layout`)."""
    layouts = [layout for p in children if p.name == LAYOUT_FILE for layout in (read_layout(p.parent),) if layout]
    compiled = {layout.root: (layout, [template_regex(t) for t in layout.templates]) for layout in layouts}
    for child in children:
        root = next((folder for folder in child.parents if folder in compiled), None)
        if root is None:
            yield _file_ref(child, scope, from_walk=True)
            continue
        layout, regexes = compiled[root]
        relative = child.relative_to(root).as_posix()
        if relative not in layout.files:
            yield _file_ref(child, _layout_labels(child, relative, layout, regexes, scope), from_walk=True)


def _layout_labels(child: Path, relative: str, layout: Layout, regexes: list[re.Pattern[str]],
                   scope: dict[str, str | None]) -> dict[str, str | None]:
    """The labels of a file under a layout: its first matching template's, decoded; keywords may only agree."""
    match = next((m for m in (r.match(relative) for r in regexes) if m), None)
    if match is None:
        return scope
    found = {column: layout.labels.get(column, {}).get(name, name) for column, name in match.groupdict().items()}
    for column, label in found.items():
        if scope.get(column) is not None and scope[column] != label:
            raise CopilotMetricsError(
                f"{child}: {column}={scope[column]!r} was given, but the folder's layout "
                f"({layout.root / LAYOUT_FILE}) labels this file {column}={label!r}", file=str(child),
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
    The manifest itself is never an input, however it is named.
    """
    refs = list(_resolve_one(source, scope, [0]))
    seen: set[str] = set()
    unique = []
    for ref in refs:
        if ref.path is not None and (ref.label in seen or ref.path.name == LAYOUT_FILE):
            continue
        seen.add(ref.label)
        unique.append(ref)
    return unique
