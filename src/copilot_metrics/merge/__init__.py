"""Merging overlapping exports into one history: precedence, identical repeats, conflicts, gaps.

An archive holds the same day many times, sometimes with different numbers (GitHub corrected
late data).  One module per job:

* :mod:`~copilot_metrics.merge.precedence`: which export of a day is the most recent
  (:data:`FILENAME_PATTERNS`, :func:`export_time`, :func:`rank_sources`);
* :mod:`~copilot_metrics.merge.versions`: the distinct versions of each day, the winners and
  the per-file counts (:class:`Merger`, :func:`day_digests`), folders that cannot be one scope
  (:func:`scope_clashes`);
* :mod:`~copilot_metrics.merge.conflicts`: the values a losing version holds that differ from
  the kept one;
* :mod:`~copilot_metrics.merge.repeats`: a date one file holds more than once
  (:func:`split_repeats`; :func:`split_versions` flattens each distinct version once);
* :mod:`~copilot_metrics.merge.incremental`: new files merged into a dataset
  (:func:`merge_into`, the one incremental merge behind ``load(..., base=)`` and
  ``write_parquet(..., mode="merge")``), as if every file were loaded at once.
"""

from __future__ import annotations

from copilot_metrics.merge.incremental import in_memory_renames, merge_into, relabel
from copilot_metrics.merge.precedence import FILENAME_PATTERNS, export_time, rank_sources
from copilot_metrics.merge.repeats import split_repeats, split_versions
from copilot_metrics.merge.versions import (
    CLASH_MIN_DATES,
    Merger,
    day_digests,
    file_statuses,
    refuse_clashes,
    scope_clashes,
)

__all__ = [
    "CLASH_MIN_DATES",
    "FILENAME_PATTERNS",
    "Merger",
    "day_digests",
    "export_time",
    "file_statuses",
    "in_memory_renames",
    "merge_into",
    "rank_sources",
    "refuse_clashes",
    "relabel",
    "scope_clashes",
    "split_repeats",
    "split_versions",
]
