r"""Back to the API format: write a merged history as the API's own JSON responses.

:func:`write_json` writes, for each scope of a dataset, one JSON array of
``copilot-usage-metrics-day`` objects in date order: what the endpoint of that scope would have
answered for the whole history.  Other tools that read saved responses can read the cleaned
archive (each day once, the most recent export's version, late corrections applied).

File layout (``root`` is the ``path`` given), mirroring the endpoints' URL paths::

    root/orgs/{org}/copilot-metrics.json                        GET /orgs/{org}/copilot/metrics
    root/orgs/{org}/team/{team}/copilot-metrics.json            GET /orgs/{org}/team/{team}/...
    root/enterprises/{enterprise}/copilot-metrics.json          GET /enterprises/{enterprise}/...
    root/enterprises/{enterprise}/team/{team}/copilot-metrics.json
    root/enterprises/{enterprise}/orgs/{org}/[team/{team}/]copilot-metrics.json   (both labels)
    root/copilot-metrics-layout.json                            the manifest: templates and labels
    root/copilot-metrics.json                                   (a scope without labels)

or, when ``path`` ends in ``.json`` and the dataset holds one scope, that single file.

Folder names.  A label is its own folder name when it is portable: not empty, not ``.`` or
``..``, not starting with ``.`` or a space nor ending with ``.`` or a space, free of ``/ \\ : * ?
" < > | % ~`` and of control and format characters (NUL, RTL marks), at most 120 UTF-8 bytes, and
not equal to another label of its column once case and Unicode normalisation are ignored.  Any
other label is percent-encoded byte by byte as in :mod:`copilot_metrics.export._labels` (every byte
outside ``a-z 0-9 _ -`` becomes ``%XX``: ``../x`` is ``%2E%2E%2Fx``, ``Octo`` beside ``octo`` is
``%4Fcto``), and a label whose encoding is longer than 120 characters (or the empty label) is
named ``<start of the encoding>~<SHA-256 digest>``, the full label being recorded in
``root/copilot-metrics-labels.json`` (written only then).  So nothing is written outside
``root``, and no two scopes share a file, even on a case-insensitive file system.

Reading back: ``cm.load(root)`` (and ``cm.validate(root)``, and every command of the
``copilot-metrics`` CLI) reads the manifest :data:`copilot_metrics._layout.LAYOUT_FILE` and gives
every file its labels exactly, folder names decoded; so does :func:`read_json`.  :func:`templates`
gives the path templates that load the folder with its scope labels, ``cm.load(templates(root))``,
exact as long as every label was its own folder name.
"""

from __future__ import annotations

import dataclasses
import json
import os
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import polars as pl

from copilot_metrics._layout import LAYOUT_FILE, write_layout
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import CopilotMetricsError, brief
from copilot_metrics.export._atomic import naming, replace
from copilot_metrics.export._labels import DIGEST_MARK, folder_name
from copilot_metrics.pipeline import load
from copilot_metrics.rebuild import to_api
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.tables import SCOPE, TABLES

__all__ = ["FILE_NAME", "LABELS_FILE", "read_json", "templates", "write_json"]

#: Name of each scope's file in the folder layout.
FILE_NAME = "copilot-metrics.json"

#: Labels named by their digest, ``{column: {folder name: label}}``; written only when there are some.
LABELS_FILE = "copilot-metrics-labels.json"

_UNSAFE = frozenset('/\\:*?"<>|%~')
_MAX_NAME = 120

_SEGMENTS = (("enterprise", "enterprises"), ("org", "orgs"), ("team", "team"))


def _portable(label: str) -> bool:
    """Whether ``label`` can be a folder name as it is on every common file system (see the module docstring)."""
    return (
        bool(label)
        and label.strip(" ") == label
        and not label.startswith(".")
        and not label.endswith(".")
        and len(label.encode("utf-8", "surrogatepass")) <= _MAX_NAME
        and not any(c in _UNSAFE or unicodedata.category(c).startswith("C") for c in label)
    )


def _fold(label: str) -> str:
    """What a case-insensitive, normalising file system (APFS, NTFS, HFS+) compares."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", label).casefold())


def _folder_names(scopes: list[dict[str, Any]]) -> tuple[dict[tuple[str, str], str], dict[str, dict[str, str]]]:
    """Each ``(column, label)``'s folder name, and the labels named by their digest per column."""
    names: dict[tuple[str, str], str] = {}
    digests: dict[str, dict[str, str]] = {}
    for column in SCOPE:
        labels = sorted({s[column] for s in scopes if s[column] is not None})
        folded = Counter(_fold(label) for label in labels)
        for label in labels:
            if _portable(label) and folded[_fold(label)] == 1:
                names[column, label] = label
                continue
            found: dict[str, str] = {}
            names[column, label] = folder_name(label, column, found)
            if found:
                digests.setdefault(column, {}).update(found)
    return names, digests


def _relative(scope: dict[str, Any], names: dict[tuple[str, str], str]) -> Path:
    parts: list[str] = []
    for column, segment in _SEGMENTS:
        value = scope.get(column)
        if value is not None:
            parts += [segment, names[column, value]]
    return Path(*parts, FILE_NAME)


def _template(scope: dict[str, Any]) -> str:
    """The path template, relative to the root, of the scopes shaped like ``scope`` (the labels it has)."""
    return "/".join(
        [part for column, segment in _SEGMENTS if scope.get(column) is not None for part in (segment, f"{{{column}}}")]
        + [FILE_NAME]
    )


def _layout_ok(folders: tuple[str, ...]) -> bool:
    """Whether folder names (relative to the root) are, or begin, a scope's place in the layout."""
    columns = {segment: column for column, segment in _SEGMENTS}
    order = [columns.get(segment) for segment in folders[0::2]]
    return order == [c for c in SCOPE if c in order]


def _ours(parts: tuple[str, ...], is_file: bool) -> bool:
    """Whether a path in a folder (``parts`` relative to it) is one :func:`write_json` writes."""
    if not is_file:
        return _layout_ok(parts)
    if parts in ((LABELS_FILE,), (LAYOUT_FILE,)):
        return True
    return parts[-1] == FILE_NAME and len(parts) % 2 == 1 and _layout_ok(parts[:-1])


def _label(name: str, column: str, digests: dict[str, dict[str, str]], where: Path) -> str:
    """The label a folder name stands for (inverse of :func:`_folder_names`)."""
    if DIGEST_MARK in name:
        if name not in digests.get(column, {}):
            raise CopilotMetricsError(
                f"{where}: folder name {name!r} is a digest that {LABELS_FILE} does not list",
                file=str(where),
                hint=f"keep {LABELS_FILE} beside the folders write_json wrote",
            )
        return digests[column][name]
    if "%" not in name:
        return name
    try:
        return unquote(name, errors="strict")
    except UnicodeDecodeError as exc:
        raise CopilotMetricsError(
            f"{where}: folder name {name!r} does not decode to UTF-8 text ({exc.reason})",
            file=str(where),
            hint="the folders were renamed after write_json wrote them; write the export again",
        ) from exc


def _labels_file(index: Path) -> dict[str, dict[str, str]]:
    """The labels named by their digest (``{column: {folder name: label}}``), their shape checked."""
    if not index.is_file():
        return {}
    hint = f"{LABELS_FILE} was edited after write_json wrote it; write the export again"
    try:
        digests = orjson.loads(index.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise CopilotMetricsError(f"{index}: not JSON ({exc})", file=str(index), json_path="$", hint=hint) from exc
    except OSError as exc:
        raise CopilotMetricsError(f"{index}: cannot be read ({exc.strerror or exc})", file=str(index)) from exc
    if not isinstance(digests, dict):
        raise CopilotMetricsError(
            f"{index}: $: expected an object of scope columns, found {brief(digests)}",
            file=str(index),
            json_path="$",
            hint=hint,
        )
    for column, names in digests.items():
        if column not in SCOPE or not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
            raise CopilotMetricsError(
                f"{index}: $.{column}: expected an object of folder names and labels of a scope column, "
                f"found {brief(names)}",
                file=str(index),
                json_path=f"$.{column}",
                hint=hint,
            )
    return digests


def templates(root: str | os.PathLike[str]) -> list[str]:
    """Path templates reading a folder written by :func:`write_json` back, with scope labels.

    Only templates matching at least one file are returned, so ``cm.load(templates(root))``
    works whatever scopes were written.
    """
    base = Path(root)
    out = []
    for enterprise in ("", "enterprises/{enterprise}/"):
        for org in ("", "orgs/{org}/"):
            for team in ("", "team/{team}/"):
                if team and not (enterprise or org):
                    continue
                pattern = f"{enterprise}{org}{team}{FILE_NAME}"
                glob = pattern.replace("{enterprise}", "*").replace("{org}", "*").replace("{team}", "*")
                if any(p.is_file() for p in base.glob(glob)):
                    out.append(str(base / pattern))
    return out


def _dump_days(days: list[dict[str, Any]], option: int) -> bytes:
    """The days as JSON text; Python's writer for an integer beyond 64 bits (orjson stops there)."""
    try:
        return orjson.dumps(days, option=option)
    except orjson.JSONEncodeError:
        indent = 2 if option & orjson.OPT_INDENT_2 else None
        separators = (",", ": ") if indent else (",", ":")
        return json.dumps(days, indent=indent, separators=separators, ensure_ascii=False).encode()


def _refuse_reports(ds: Dataset, target: Path) -> None:
    """Refuse, before anything is written, a dataset holding successor reports (see :func:`write_json`)."""
    rows = sum(frame.height for name, frame in ds.tables.items() if name in REPORT_TABLES)
    if rows or ds.reports.height:
        raise CopilotMetricsError(
            f"{target}: the dataset holds {ds.reports.height} successor usage-metrics report(s) ({rows} table rows); "
            "write_json writes the legacy /copilot/metrics days only and does not forge report files from a "
            "merged history",
            file=str(target),
            hint="use copilot_metrics.write_parquet (both families, lossless) or write_csv; "
            "copilot_metrics.successor.rebuild_records(ds.tables) gives the reports' records as JSON",
        )


def write_json(
    ds: Dataset, path: str | os.PathLike[str], *, indent: bool = True, lock_timeout: float = 600.0
) -> list[Path]:
    """Write the dataset's merged history in the API's response format, one array per scope.

    Each scope's days (one per date, sorted by date) are rebuilt with
    :func:`copilot_metrics.dataset.to_api` (nulls, absent keys and unknown keys as they were in
    the kept export) and written as one JSON array, the body the scope's endpoint returns.
    Quarantined days, conflicts and findings are not written: only the tables' history.
    Loading the written folder (``cm.load(path)``: the manifest ``copilot-metrics-layout.json``
    written beside the files gives each its labels; or ``cm.load(templates(path))``), or the
    single file with the scope's labels as keywords, gives tables equal to the dataset's, the
    ``source`` column aside.

    Written atomically, as :func:`copilot_metrics.write_parquet` writes a dataset: the whole
    folder (or the single file) is written beside ``path``, under a hidden name, then swapped in
    for the previous one in one step, with the same lock of the parent folder; a failure, a full
    disk or a killed process leaves the previous export as it was.

    Parameters
    ----------
    ds:
        A dataset from :func:`copilot_metrics.load`.
    path:
        A folder (the layout in :mod:`copilot_metrics.export.json`), or a ``.json`` file path when
        the dataset holds exactly one scope.  An existing file is replaced; an existing folder is
        replaced (it then holds ``ds``'s scopes alone) only if it is empty or holds only files
        this function writes, otherwise nothing is written and the error names the files in the way.
    indent:
        Pretty-print with 2 spaces (default), as saved API responses usually are.
    lock_timeout:
        Seconds to wait for another writer in the same parent folder (as :func:`copilot_metrics.write_parquet`).

    Returns
    -------
    list of Path
        The scopes' files written, sorted (:data:`LABELS_FILE` and the manifest aside).

    Successor usage-metrics reports are not written: a dataset holding any (a row in a successor
    table, or in ``ds.reports``) is refused before anything is written.  A merged history of
    reports is no report GitHub served (a day kept from one report, the next from another, under
    no single ``created_at`` or window), so writing one back would forge report files; keep both
    families with :func:`copilot_metrics.write_parquet` (lossless, read back by
    :func:`copilot_metrics.read_parquet`) or :func:`copilot_metrics.write_csv`, and get a
    reports' records back as JSON with ``copilot_metrics.successor.rebuild_records(ds.tables)``.

    Raises
    ------
    CopilotMetricsError
        When the dataset holds successor reports (see above; the message names ``path``, how many
        reports and what to use instead), when ``path`` is a ``.json`` file but the dataset has
        several scopes, when the folder holds other files, or when the file system refused a write
        (the message names ``path`` and the path that failed; the previous export is left as it was).
    """
    target = Path(path)
    _refuse_reports(ds, target)
    days = ds.tables["days"]
    scopes = days.select(SCOPE).unique().sort(SCOPE, nulls_last=False)
    single = target.suffix.lower() == ".json"
    if single and scopes.height > 1:
        raise CopilotMetricsError(
            f"{target}: the dataset holds {scopes.height} scopes; write them to a folder, one file per scope",
            file=str(target),
            hint="pass a folder path; files are laid out as in copilot_metrics.export.json",
        )
    option = orjson.OPT_INDENT_2 if indent else 0
    names, digests = _folder_names(scopes.to_dicts())
    places = [(scope, Path() if single else _relative(scope, names)) for scope in scopes.to_dicts()]

    def body(scope: dict[str, Any]) -> bytes:
        condition = pl.all_horizontal(pl.col(k).eq_missing(pl.lit(scope[k], pl.String)) for k in SCOPE)
        sub = dataclasses.replace(
            ds,
            tables={
                name: ds.tables[name].filter(condition).sort("date", maintain_order=True) for name in TABLES
            },  # the legacy days (the successor reports are written apart)
        )
        return _dump_days(to_api(sub), option) + b"\n"

    def write(staging: Path, _previous: Path | None) -> None:
        if single:
            with naming(staging):
                staging.write_bytes(body(places[0][0]) if places else b"[]\n")
            return
        staging.mkdir()
        if digests:
            labels = orjson.dumps(digests, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
            with naming(staging / LABELS_FILE):
                (staging / LABELS_FILE).write_bytes(labels)
        for scope, relative in places:
            file = staging / relative
            file.parent.mkdir(parents=True, exist_ok=True)
            with naming(file):
                file.write_bytes(body(scope))
        if places:  # cm.load(path) then loads each file with its scope labels
            renamed = {
                c: {name: label for (column, label), name in names.items() if column == c and name != label}
                for c in SCOPE
            }
            with naming(staging / LAYOUT_FILE):
                write_layout(
                    staging,
                    writer="write_json",
                    templates=[_template(s) for s, _ in places],
                    labels=renamed,
                    files=[LABELS_FILE],
                )

    out = replace(target, write, what="JSON export", ours=None if single else _ours, lock_timeout=lock_timeout)
    return [out] if single else sorted(out / relative for _, relative in places)


def read_json(root: str | os.PathLike[str], **options: Any) -> Dataset:
    """Load a folder written by :func:`write_json` with every scope label exactly as written.

    Each scope's file is loaded with its labels decoded from the folder names (percent-encoding
    and digests undone), scope after scope into one dataset (``base=``): scopes never compete,
    so the tables equal those of the dataset written, the ``source`` column aside.  ``options``
    go to :func:`copilot_metrics.load` (``on_invalid``, ``contracts``, ...).

    Raises
    ------
    CopilotMetricsError
        No scope file in the layout, a folder name that is not percent-encoded UTF-8 text or a
        digest :data:`LABELS_FILE` does not list, or a :data:`LABELS_FILE` that is not its JSON
        (each naming the file), besides what :func:`copilot_metrics.load` raises.
    """
    base = Path(root)
    digests = _labels_file(base / LABELS_FILE)
    columns = {segment: column for column, segment in _SEGMENTS}
    found: list[tuple[tuple[str | None, ...], Path]] = []
    for file in sorted(base.rglob(FILE_NAME)):
        if not file.is_file():
            continue
        parts = file.relative_to(base).parts[:-1]
        pairs = list(zip(parts[::2], parts[1::2], strict=False))
        order = [columns.get(segment) for segment, _ in pairs]
        expected = [c for c in SCOPE if c in order]
        if len(parts) % 2 or order != expected:
            continue  # not a place write_json writes to
        labels = {
            column: _label(name, column, digests, file) for (segment, name) in pairs for column in (columns[segment],)
        }
        found.append((tuple(labels.get(c) for c in SCOPE), file))
    if not found:
        raise CopilotMetricsError(f"{base}: no {FILE_NAME} in the layout write_json writes", file=str(base))
    result: Dataset | None = None
    for scope, file in sorted(found, key=lambda item: str(item[1])):
        enterprise, org, team = scope
        result = load(str(file), base=result, enterprise=enterprise, org=org, team=team, **options)
    assert result is not None
    return result
