"""Assertions for tests of code that builds or transforms datasets (like :mod:`polars.testing`).

>>> import copilot_metrics as cm
>>> from copilot_metrics.testing import assert_dataset_equal
>>> ds = cm.load(b'[{"date": "2025-01-02", "total_active_users": 3}]', org="octo")
>>> assert_dataset_equal(ds, cm.load(b'[{"date": "2025-01-02", "total_active_users": 3}]', org="octo"))
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from copilot_metrics.dataset import SUCCESSOR_SIDE_TABLES, Dataset
from copilot_metrics.tables import SIDE_TABLES

__all__ = ["assert_dataset_equal"]


def _frames(ds: Dataset) -> dict[str, pl.DataFrame]:
    return {**ds.tables, **{name: getattr(ds, name) for name in (*SIDE_TABLES, *SUCCESSOR_SIDE_TABLES)}}


def assert_dataset_equal(
    left: Dataset,
    right: Dataset,
    *,
    check_row_order: bool = True,
    ignore: Iterable[str] = (),
    ignore_columns: Iterable[str] = (),
    check_validation: bool = False,
) -> None:
    """Assert that two datasets hold the same tables, side tables and (optionally) report.

    Parameters
    ----------
    left, right:
        The datasets to compare.
    check_row_order:
        Compare rows in order (default); ``False`` sorts every frame by all its columns first.
    ignore:
        Names of frames not to compare, e.g. ``{"sources"}``.
    ignore_columns:
        Columns dropped from every frame that has them before comparing, e.g. ``{"mtime"}``
        for copies of an archive made at another time.
    check_validation:
        Also compare the validation reports (their errors and unknown fields).

    Raises
    ------
    AssertionError
        Naming the first frame that differs, with Polars' description of the difference.
    """
    from polars.testing import assert_frame_equal

    skipped, dropped = set(ignore), set(ignore_columns)
    a, b = _frames(left), _frames(right)
    if a.keys() != b.keys():
        raise AssertionError(f"the datasets hold different tables: {sorted(a)} != {sorted(b)}")
    for name in a:
        if name in skipped:
            continue
        one, two = (f.drop([c for c in f.columns if c in dropped]) for f in (a[name], b[name]))
        if not check_row_order and one.width:
            one, two = (f.sort(pl.all(), nulls_last=True) for f in (one, two))
        try:
            assert_frame_equal(one, two, check_exact=True)
        except AssertionError as exc:
            raise AssertionError(f"frame {name!r} differs: {exc}") from None
    if check_validation:
        for name in ("errors", "unknown_fields"):
            try:
                assert_frame_equal(getattr(left.validation, name), getattr(right.validation, name), check_exact=True)
            except AssertionError as exc:
                raise AssertionError(f"validation {name!r} differs: {exc}") from None
