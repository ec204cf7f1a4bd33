"""The JSON shape of each successor table, derived from the registry: what the reader and the rebuilder walk.

A tree maps each known key of a table's JSON object to a node: a column (``("col", Column)``), a
nested object whose keys are columns of the same row (``("obj", subtree)``), a child table's
array or object (``("child", ReportTable)``), a client object (``("client", ReportTable, name)``)
or a CLI customization array (``("custom", ReportTable, category)``).
"""

from __future__ import annotations

import functools
from typing import Any

from copilot_metrics.successor.registry import (
    CLIENT_KEYS,
    CUSTOMIZATION_CATEGORIES,
    RECORD_IDS,
    SCOPE,
    TABLES,
    ReportTable,
)

__all__ = ["Tree", "children", "tree"]

Tree = dict[str, tuple[Any, ...]]


def _put(tree: Tree, dotted: str, node: tuple[Any, ...]) -> None:
    *heads, last = dotted.split(".")
    for head in heads:
        tree = tree.setdefault(head, ("obj", {}))[1]
    tree[last] = node


@functools.cache
def children(name: str) -> tuple[ReportTable, ...]:
    """The tables whose objects sit in table ``name``'s objects."""
    return tuple(spec for spec in TABLES.values() if spec.parent == name)


@functools.cache
def tree(name: str) -> Tree:
    """The known keys of table ``name``'s JSON object, as a tree of nodes."""
    spec = TABLES[name]
    out: Tree = {}
    columns = (*SCOPE, *RECORD_IDS[spec.grain]) if spec.parent is None and spec.grain != "wrapper" else ()
    for column in (*columns, *spec.dims, *spec.measures):
        if column.json is not None:
            _put(out, column.json, ("col", column))
    for child in children(name):
        if child.name.endswith("_clients"):
            for key, client in CLIENT_KEYS.items():
                out[key] = ("client", child, client)
        elif child.name.endswith("_cli_customization"):
            for category in CUSTOMIZATION_CATEGORIES:
                out[f"totals_by_{category}"] = ("custom", child, category)
        else:
            _put(out, child.at, ("child", child))
    return out
