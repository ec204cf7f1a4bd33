"""The inverse of flattening: the tables back to the API's day objects, exactly.

:func:`to_api` rebuilds each day from its rows; the ``shape`` and ``extras`` bookkeeping
columns restore what the typed columns cannot hold (a block ``null`` versus missing, an array
missing versus empty, unknown keys), so every schema-valid day comes back as it was read.
Numbers come back as Python's :mod:`json` reads them: integers of any size exactly, the others
as ``float``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import polars as pl

from copilot_metrics import _schema
from copilot_metrics.tables import BLOCKS, DAY_KEY, SCOPE, TABLES, TRAINING_DATE

__all__ = ["HasTables", "rebuild_days", "to_api"]


@runtime_checkable
class HasTables(Protocol):
    """Anything holding the ten tables by name, such as a :class:`~copilot_metrics.Dataset`."""

    @property
    def tables(self) -> Mapping[str, pl.DataFrame]:
        """The tables by name."""
        ...


_TRAINING = TRAINING_DATE


def _build(
    row: dict[str, Any],
    spec_name: str,
    children: dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]],
    key: tuple[Any, ...],
) -> dict[str, Any]:
    spec = TABLES[spec_name]
    shape = set(row.get("shape") or ())
    obj: dict[str, Any] = {}
    if spec.dimension is not None and row[spec.dimension] is not None:
        obj["name"] = row[spec.dimension]
    for column in spec.measures:
        value = row[column]
        if column == _TRAINING:
            if f"{_TRAINING}:absent" not in shape:
                obj[column] = value.isoformat() if value is not None else None
        elif value is not None:
            obj[column] = value
    own_key = (*key, row[spec.dimension]) if spec.dimension else key
    for child in spec.children:
        array = TABLES[child].array
        assert array is not None
        if f"{array}:absent" not in shape:
            obj[array] = [_build(child_row, child, children, own_key) for child_row in children[child].get(own_key, [])]
    if row.get("extras"):
        obj.update(_schema.loads(row["extras"]))
    return obj


def to_api(ds: HasTables | Mapping[str, pl.DataFrame], *, only: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    """Rebuild the API's day objects from the tables, nulls and absent keys as they were.

    ``ds`` is a dataset, or a mapping of the ten tables.  For every schema-valid input, the
    rebuilt days equal the original ones (key order aside).  ``only`` (a frame of scope and date
    columns) restricts the days rebuilt.

    >>> import copilot_metrics as cm
    >>> cm.to_api(cm.load(b'[{"date": "2025-01-02", "copilot_dotcom_chat": null}]'))
    [{'date': '2025-01-02', 'copilot_dotcom_chat': None}]
    """
    days, _ = rebuild_days(ds.tables if isinstance(ds, HasTables) else ds, only=only)
    return days


def rebuild_days(
    tables: Mapping[str, pl.DataFrame], *, only: pl.DataFrame | None = None
) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The rebuilt days, and each one's (enterprise, org, team) in the same order.

    The scopes come apart so that the days stay exactly as in the API, even with an unknown
    key named like a scope.
    """
    if only is not None:
        tables = {n: tables[n].join(only, on=DAY_KEY, how="semi", nulls_equal=True) for n in TABLES}  # legacy days
    children: dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]] = {}
    for name, spec in TABLES.items():
        if spec.parent is None:
            continue
        grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        parent_dims = TABLES[spec.parent].dimensions
        for row in tables[name].to_dicts():
            if spec.parent == "days":
                parent_key: tuple[Any, ...] = (*(row[k] for k in DAY_KEY), spec.array)
            else:
                parent_key = (*(row[k] for k in DAY_KEY), spec.lineage[0].array, *(row[d] for d in parent_dims))
            grouped.setdefault(parent_key, []).append(row)
        children[name] = grouped
    out = []
    scopes: list[tuple[Any, ...]] = []
    for row in tables["days"].to_dicts():
        key = tuple(row[k] for k in DAY_KEY)
        shape = set(row.get("shape") or ())
        extras = _schema.loads(row["extras"]) if row.get("extras") else {}
        day: dict[str, Any] = {"date": row["date"].isoformat()}
        for column in ("total_active_users", "total_engaged_users"):
            if row[column] is not None:
                day[column] = row[column]
        for block, column in BLOCKS.items():
            if f"{block}:absent" in shape:
                continue
            if f"{block}:null" in shape:
                day[block] = None
                continue
            obj: dict[str, Any] = {}
            if row[column] is not None:
                obj["total_engaged_users"] = row[column]
            for child in TABLES["days"].children:
                array = TABLES[child].array
                assert array is not None
                if not array.startswith(block + "."):
                    continue
                if f"{array}:absent" in shape:
                    continue
                obj[array.split(".", 1)[1]] = [
                    _build(child_row, child, children, (*key, array))
                    for child_row in children[child].get((*key, array), [])
                ]
            obj.update(extras.pop(block, {}))
            day[block] = obj
        day.update(extras)
        scopes.append(key[: len(SCOPE)])
        out.append(day)
    return out, scopes
