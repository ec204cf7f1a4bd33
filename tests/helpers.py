"""Small helpers shared by the tests (imported as ``helpers``; pytest puts ``tests/`` on the path)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

import copilot_metrics as cm


def load(days: list[dict[str, Any]]) -> cm.Dataset:
    """Load days written as JSON in memory, labelled as org ``acme``."""
    return cm.load(json.dumps(days).encode(), org="acme")


def one(frame: pl.DataFrame, **where: Any) -> dict[str, Any]:
    """The single row of ``frame`` matching ``where`` (column == value), as a dict."""
    selected = frame.filter(*(pl.col(k) == v for k, v in where.items())) if where else frame
    assert selected.height == 1, selected
    return selected.row(0, named=True)
