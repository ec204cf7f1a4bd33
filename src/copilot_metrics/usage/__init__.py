"""Metrics over GitHub's successor usage-metrics reports (SUCCESSOR.md §5.7, §5.9).

Every function takes a :class:`~copilot_metrics.Dataset` holding the successor tables in
``ds.tables``, or a mapping ``{table name: DataFrame | LazyFrame}`` of them (the reader's
:attr:`~copilot_metrics.successor.ReportRead.tables`, with ``reports`` for the users windows),
never changes it, and returns a Polars ``DataFrame``.  Distinct users are counted by
``user_id`` (or its pseudonym ``user_pid``), never by login; rates are ratios of sums, null on a
zero denominator; unknown is null, never 0; every user-derived output is k-suppressed
(``min_users``) after aggregation.
"""

from __future__ import annotations

from copilot_metrics.usage.active import active_users
from copilot_metrics.usage.adoption import (
    AGENT_FLAGS,
    adoption_shares,
    any_agent_adoption,
    chat_adoption,
    code_review_adoption,
    ide_agent_adoption,
)
from copilot_metrics.usage.completion import code_completion
from copilot_metrics.usage.privacy import Pseudonymized, combine, key_fingerprint, pseudonym, pseudonymize

__all__ = [
    "AGENT_FLAGS",
    "Pseudonymized",
    "active_users",
    "adoption_shares",
    "any_agent_adoption",
    "chat_adoption",
    "code_completion",
    "code_review_adoption",
    "combine",
    "ide_agent_adoption",
    "key_fingerprint",
    "pseudonym",
    "pseudonymize",
]
