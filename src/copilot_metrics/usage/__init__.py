"""Metrics over GitHub's successor usage-metrics reports (SUCCESSOR.md §5.7, §5.9).

Every function takes a :class:`~copilot_metrics.Dataset` holding the successor tables in
``ds.tables``, or a mapping ``{table name: DataFrame | LazyFrame}`` of them (the reader's
:attr:`~copilot_metrics.successor.ReportRead.tables`, with ``reports`` for the users windows),
never changes it, and returns a Polars ``DataFrame``.  Distinct users are counted by
``user_id`` (or its pseudonym ``user_pid``), never by login; rates are ratios of sums, null on a
zero denominator; unknown is null, never 0; every user-derived output is k-suppressed
(``min_users``) after aggregation.  Every period output carries a ``break`` column naming the
:data:`KNOWN_BREAKS` that fall in the row's period; :func:`continuity` sets legacy and successor
series side by side (never spliced).
"""

from __future__ import annotations

from copilot_metrics.breaks import KNOWN_BREAKS, KnownBreak, breaks_frame, with_breaks
from copilot_metrics.usage.active import active_users
from copilot_metrics.usage.adoption import (
    AGENT_FLAGS,
    adoption_shares,
    any_agent_adoption,
    chat_adoption,
    code_review_adoption,
    ide_agent_adoption,
)
from copilot_metrics.usage.chat import CHAT_FEATURES, chat_usage
from copilot_metrics.usage.clients import client_usage
from copilot_metrics.usage.completion import code_completion
from copilot_metrics.usage.continuity import MAPPING, Continuity, MappedSeries, continuity
from copilot_metrics.usage.privacy import Pseudonymized, combine, key_fingerprint, pseudonym, pseudonymize
from copilot_metrics.usage.pulls import pr_lifecycle
from copilot_metrics.usage.reported import reconcile, reported_active_users
from copilot_metrics.usage.teams import team_usage

__all__ = [
    "AGENT_FLAGS",
    "CHAT_FEATURES",
    "KNOWN_BREAKS",
    "MAPPING",
    "Continuity",
    "KnownBreak",
    "MappedSeries",
    "Pseudonymized",
    "active_users",
    "adoption_shares",
    "any_agent_adoption",
    "breaks_frame",
    "chat_adoption",
    "chat_usage",
    "client_usage",
    "code_completion",
    "code_review_adoption",
    "combine",
    "continuity",
    "ide_agent_adoption",
    "key_fingerprint",
    "pr_lifecycle",
    "pseudonym",
    "pseudonymize",
    "reconcile",
    "reported_active_users",
    "team_usage",
    "with_breaks",
]
