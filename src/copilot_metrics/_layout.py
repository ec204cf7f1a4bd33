"""The layout manifest: how a folder the library wrote tells :func:`copilot_metrics.load` its scope labels.

A folder of exports holds no scope labels: the org, team or enterprise of a file is in its path
at best.  The folders the library writes say where their labels are in a small JSON file at
their root, :data:`LAYOUT_FILE`, written by :func:`copilot_metrics.write_json` and by
``copilot-metrics example -o DIR``::

    {"copilot_metrics_layout": 1, "writer": "write_json",
     "templates": ["orgs/{org}/copilot-metrics.json", "orgs/{org}/team/{team}/copilot-metrics.json"],
     "labels": {"org": {"%4Fcto": "Octo"}},
     "files": ["copilot-metrics-labels.json"]}

``templates`` are path templates relative to the folder (``/`` separators; the placeholders of
:data:`copilot_metrics.sources.PLACEHOLDER`); ``labels`` maps, per scope column, a folder name
that is not its own label to the label; ``files`` lists the folder's files that are not exports
(the manifest itself is one).  A folder named to :func:`copilot_metrics.load` (or found inside
one) that holds the manifest loads each file with the labels of the first template matching it
(:func:`copilot_metrics.sources.resolve`); its other files load as they would without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import SCOPE

__all__ = ["FORMAT", "LAYOUT_FILE", "Layout", "read_layout", "write_layout"]

#: Name of the manifest at the root of a folder the library wrote.
LAYOUT_FILE = "copilot-metrics-layout.json"

#: Version of the manifest's content; a reader refuses a later one.
FORMAT = 1


@dataclass(frozen=True)
class Layout:
    """A folder's manifest: templates (relative), folder names that are not their label, other files."""

    root: Path
    templates: tuple[str, ...]
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    files: frozenset[str] = frozenset()


def write_layout(
    root: str | os.PathLike[str],
    *,
    writer: str,
    templates: Iterable[str],
    labels: Mapping[str, Mapping[str, str]] | None = None,
    files: Iterable[str] = (),
) -> Path:
    """Write (or extend) the manifest of ``root``; return its path.

    A manifest already there is extended, not replaced: its templates, labels and files are
    kept beside the new ones (a folder written twice keeps loading the files of both writes).
    """
    target = Path(root) / LAYOUT_FILE
    previous = read_layout(Path(root)) if target.is_file() else None
    order = [*(previous.templates if previous else ()), *templates]
    merged: dict[str, dict[str, str]] = {c: dict(v) for c, v in (previous.labels if previous else {}).items()}
    for column, names in (labels or {}).items():
        merged.setdefault(column, {}).update(names)
    document = {
        "copilot_metrics_layout": FORMAT,
        "writer": writer,
        "templates": list(dict.fromkeys(order)),
        "labels": {c: dict(sorted(v.items())) for c, v in sorted(merged.items()) if v},
        "files": sorted({*(previous.files if previous else ()), *files}),
    }
    target.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    return target


def read_layout(folder: Path) -> Layout | None:
    """The manifest of ``folder``, or ``None`` when it holds none.

    Raises
    ------
    CopilotMetricsError
        When the manifest is not one this version reads (naming the file and the JSON path).
    """
    path = folder / LAYOUT_FILE
    if not path.is_file():
        return None
    where = str(path)
    try:
        document: Any = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise CopilotMetricsError(
            f"{where}: $: the layout manifest cannot be read ({exc})",
            file=where,
            json_path="$",
            hint=f"delete {LAYOUT_FILE} to load the folder without it",
        ) from exc
    if not isinstance(document, dict) or not isinstance(document.get("copilot_metrics_layout"), int):
        raise CopilotMetricsError(
            f"{where}: $.copilot_metrics_layout: not a copilot-metrics layout manifest",
            file=where,
            json_path="$.copilot_metrics_layout",
            hint=f"{LAYOUT_FILE} is the library's own name: rename the file",
        )
    if document["copilot_metrics_layout"] > FORMAT:
        raise CopilotMetricsError(
            f"{where}: $.copilot_metrics_layout: format {document['copilot_metrics_layout']}; "
            f"this version reads format {FORMAT}",
            file=where,
            json_path="$.copilot_metrics_layout",
            hint="upgrade copilot-metrics",
        )
    templates = document.get("templates", [])
    labels = document.get("labels", {})
    files = document.get("files", [])
    if not (isinstance(templates, list) and all(isinstance(t, str) for t in templates)):
        raise CopilotMetricsError(
            f"{where}: $.templates: expected a list of path templates", file=where, json_path="$.templates"
        )
    if not (
        isinstance(labels, dict)
        and all(
            c in SCOPE and isinstance(v, dict) and all(isinstance(x, str) for x in (*v, *v.values()))
            for c, v in labels.items()
        )
    ):
        raise CopilotMetricsError(
            f"{where}: $.labels: expected {{column: {{folder name: label}}}}", file=where, json_path="$.labels"
        )
    if not (isinstance(files, list) and all(isinstance(f, str) for f in files)):
        raise CopilotMetricsError(f"{where}: $.files: expected a list of file names", file=where, json_path="$.files")
    return Layout(folder, tuple(templates), labels, frozenset([LAYOUT_FILE, *files]))
