"""Back to the API format: write a merged history as the API's own JSON responses.

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
    root/copilot-metrics.json                                   (a scope without labels)

or, when ``path`` ends in ``.json`` and the dataset holds one scope, that single file.
:func:`templates` gives the path templates that load the folder back with its scope labels:
``cm.load(templates(root))``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import orjson
import polars as pl

from copilot_metrics.dataset import Dataset, to_api
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.tables import SCOPE

__all__ = ["FILE_NAME", "templates", "write_json"]

#: Name of each scope's file in the folder layout.
FILE_NAME = "copilot-metrics.json"

_SEGMENTS = (("enterprise", "enterprises"), ("org", "orgs"), ("team", "team"))


def _relative(scope: dict[str, str | None]) -> Path:
    parts: list[str] = []
    for column, segment in _SEGMENTS:
        value = scope.get(column)
        if value is None:
            continue
        if not value or "/" in value or value in {".", ".."}:
            raise CopilotMetricsError(f"cannot write scope label {value!r} as a folder name", column=column)
        parts += [segment, value]
    return Path(*parts, FILE_NAME)


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


def write_json(ds: Dataset, path: str | os.PathLike[str], *, indent: bool = True) -> list[Path]:
    """Write the dataset's merged history in the API's response format, one array per scope.

    Each scope's days (one per date, sorted by date) are rebuilt with
    :func:`copilot_metrics.dataset.to_api` (nulls, absent keys and unknown keys as they were in
    the kept export) and written as one JSON array, the body the scope's endpoint returns.
    Quarantined days, conflicts and findings are not written: only the tables' history.
    Loading the written files (``cm.load(templates(path))``, or the single file with the scope's
    labels as keywords) gives tables equal to the dataset's, the ``source`` column aside.

    Parameters
    ----------
    ds:
        A dataset from :func:`copilot_metrics.load`.
    path:
        A folder (the layout in :mod:`copilot_metrics.jsonout`), or a ``.json`` file path when
        the dataset holds exactly one scope.  Existing files are overwritten.
    indent:
        Pretty-print with 2 spaces (default), as saved API responses usually are.

    Returns
    -------
    list of Path
        The files written, sorted.

    Raises
    ------
    CopilotMetricsError
        When ``path`` is a ``.json`` file but the dataset has several scopes, or a scope label
        cannot be a folder name.
    """
    target = Path(path)
    days = ds.tables["days"]
    scopes = days.select(SCOPE).unique().sort(SCOPE, nulls_last=False)
    single = target.suffix.lower() == ".json"
    if single and scopes.height > 1:
        raise CopilotMetricsError(
            f"{target}: the dataset holds {scopes.height} scopes; write them to a folder, one file per scope",
            file=str(target), hint="pass a folder path; files are laid out as in copilot_metrics.jsonout",
        )
    option = orjson.OPT_INDENT_2 if indent else 0
    written = []
    for scope in scopes.to_dicts():
        condition = pl.all_horizontal(pl.col(k).eq_missing(pl.lit(scope[k], pl.String)) for k in SCOPE)
        sub = dataclasses.replace(
            ds, tables={name: frame.filter(condition).sort("date", maintain_order=True)
                        for name, frame in ds.tables.items()}
        )
        file = target if single else target / _relative(scope)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(orjson.dumps(to_api(sub), option=option) + b"\n")
        written.append(file)
    if single and not written:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"[]\n")
        written.append(target)
    return sorted(written)
