"""The successor tables back to GitHub's JSON: every record (and wrapper) as the report wrote it.

:func:`rebuild_records` inverts the reader with the registry's trees: each column back to its
key, ``shape`` marks back to absent keys, nulls and 0/1 flags, ``extras`` merged back in
verbatim.  Arrays keep the order of the table rows (the reader keeps file order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

import orjson
import polars as pl

from copilot_metrics.successor._tree import Tree, children, tree
from copilot_metrics.successor.registry import CLIENT_KEYS, RECORD_IDS, TABLES, ReportTable

__all__ = ["rebuild_records", "rebuild_wrappers"]

_RECORD_TABLES = ("agg_days", "user_days", "user_teams", "repo_days")
_KNOWN_CLIENTS = frozenset(CLIENT_KEYS.values())


def _identity(spec: ReportTable) -> tuple[str, ...]:
    ids = (c.name for c in RECORD_IDS[spec.grain])
    return ("source", "report_id", "enterprise_id", "organization_id", "date", *ids)


def _merge(target: dict[str, Any], extras: dict[str, Any]) -> None:
    for key, value in extras.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def _build(spec: ReportTable, row: dict[str, Any], kids: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    marks: dict[str, str] = {}
    for mark in row.get("shape") or []:
        key, _, what = mark.rpartition(":")
        marks[key] = what
    out: dict[str, Any] = {}

    def fill(t: Tree, prefix: str, target: dict[str, Any]) -> None:
        for key, node in t.items():
            full = prefix + key
            mark = marks.get(full)
            if mark == "absent":
                continue
            if mark == "null":
                target[key] = None
                continue
            kind = node[0]
            if kind == "col":
                value = row.get(node[1].name)
                if isinstance(value, date):
                    value = value.isoformat()
                elif mark == "bool_as_int":
                    value = int(bool(value))
                target[key] = value
            elif kind == "obj":
                sub: dict[str, Any] = {}
                fill(node[1], full + ".", sub)
                target[key] = sub
            elif kind == "client":
                rows = [r for r in kids.get(node[1].name, []) if r["client"] == node[2]]
                if rows:
                    target[key] = _build(node[1], rows[0], kids)
            elif kind == "custom":
                target[key] = [
                    {node[2]: r["name"], **_build(node[1], r, kids)}
                    for r in kids.get(node[1].name, [])
                    if r["category"] == node[2]
                ]
            elif node[1].many:
                target[key] = [_build(node[1], r, kids) for r in kids.get(node[1].name, [])]
            else:
                rows = kids.get(node[1].name, [])
                if rows:
                    target[key] = _build(node[1], rows[0], kids)

    fill(tree(spec.name), "", out)
    for child in children(spec.name):
        if child.name.endswith("_clients"):
            for r in kids.get(child.name, []):
                if r["client"] not in _KNOWN_CLIENTS:
                    out[f"totals_by_{r['client']}"] = _build(child, r, kids)
    if row.get("extras"):
        _merge(out, orjson.loads(row["extras"]))
    return out


def _descendants(name: str) -> list[ReportTable]:
    out: list[ReportTable] = []
    for child in children(name):
        out.append(child)
        out.extend(_descendants(child.name))
    return out


def rebuild_records(tables: Mapping[str, pl.DataFrame]) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every record of the tables as JSON objects, each with its identity.

    The identity is (``source``, ``report_id``, ``enterprise_id``, ``organization_id``, ``date``,
    record ids...).  Records come table by table (aggregate days, user days, user-teams,
    repository days), in table row order.
    """
    out: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for name in _RECORD_TABLES:
        spec = TABLES[name]
        frame = tables.get(name)
        if frame is None or frame.height == 0:
            continue
        ident = _identity(spec)
        kids: dict[tuple[Any, ...], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for child in _descendants(name):
            child_frame = tables.get(child.name)
            if child_frame is None:
                continue
            for r in child_frame.to_dicts():
                kids[tuple(r[k] for k in ident)][child.name].append(r)
        for row in frame.to_dicts():
            key = tuple(row[k] for k in ident)
            out.append((key, _build(spec, row, kids.get(key, {}))))
    return out


def rebuild_wrappers(tables: Mapping[str, pl.DataFrame], reports: pl.DataFrame) -> list[dict[str, Any]]:
    """The 28-day wrappers of ``reports``: each wrapper's own keys, and its records as ``day_totals``.

    ``reports.wrappers_json`` holds each wrapper without ``day_totals`` (its
    ``copilot_feature_engagement`` verbatim; ``agg_engagement`` is its typed reading), and
    ``wrapper_days`` the dates of its records in file order.
    """
    by_report: dict[str, dict[date, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for key, record in rebuild_records(tables):
        by_report[key[1]][key[4]].append(record)
    out: list[dict[str, Any]] = []
    for row in reports.iter_rows(named=True):
        for text, days in zip(row["wrappers_json"] or [], row["wrapper_days"] or [], strict=True):
            wrapper = orjson.loads(text)
            records = by_report[row["report_id"]]
            day_totals: list[dict[str, Any]] = []
            for day in days:
                day_totals.append(records[day].pop(0))
            wrapper["day_totals"] = day_totals
            out.append(wrapper)
    return out
