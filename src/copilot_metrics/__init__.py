"""copilot-metrics: trustworthy numbers from archived GitHub Copilot metrics exports.

load files, folders and globs -> validate every day against the published JSON schema ->
flatten into typed Polars tables guarded by pandera contracts -> merge overlapping exports ->
aggregate with correct statistics -> export Parquet.

>>> import copilot_metrics as cm
>>> ds = cm.load(cm.examples.sources())
>>> ds.days.select("org", "team").unique().sort("team", nulls_last=False).rows()
[('octo-org', None), ('octo-org', 'platform')]
"""

from __future__ import annotations

import typing as _typing

from copilot_metrics import contracts, examples, testing
from copilot_metrics._version import __version__
from copilot_metrics.batch import explode_bytes
from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import (
    ContinuityError,
    ContractError,
    CopilotMetricsError,
    FormatError,
    PrivacyError,
    RollupError,
    SchemaDriftError,
    SchemaValidationError,
    ScopeError,
)
from copilot_metrics.export import parquet
from copilot_metrics.export.json import read_json, write_json
from copilot_metrics.export.parquet import read_parquet, scan_parquet, write_csv, write_parquet
from copilot_metrics.findings import RULES as FINDING_RULES
from copilot_metrics.metrics import (
    LANGUAGE_ALIASES,
    acceptance,
    adoption,
    chat,
    column_kind,
    coverage,
    dotcom_chat,
    pull_requests,
    rollup,
    trend,
)
from copilot_metrics.pipeline import LoadProgress, load, schema_drift, validate
from copilot_metrics.rebuild import to_api
from copilot_metrics.tables import TABLES, table_schema
from copilot_metrics.usage import (
    KNOWN_BREAKS,
    active_users,
    adoption_shares,
    any_agent_adoption,
    chat_adoption,
    chat_usage,
    client_usage,
    code_completion,
    code_review_adoption,
    continuity,
    ide_agent_adoption,
    pr_lifecycle,
    pseudonymize,
    reconcile,
    reported_active_users,
    team_usage,
)
from copilot_metrics.validation import ValidationReport

__all__ = [
    "FINDING_RULES",
    "KNOWN_BREAKS",
    "LANGUAGE_ALIASES",
    "TABLES",
    "ContinuityError",
    "ContractError",
    "CopilotMetricsError",
    "Dataset",
    "FormatError",
    "LoadProgress",
    "PrivacyError",
    "RollupError",
    "SchemaDriftError",
    "SchemaValidationError",
    "ScopeError",
    "ValidationReport",
    "__version__",
    "acceptance",
    "active_users",
    "adoption",
    "adoption_shares",
    "any_agent_adoption",
    "chat",
    "chat_adoption",
    "chat_usage",
    "client_usage",
    "code_completion",
    "code_review_adoption",
    "column_kind",
    "continuity",
    "contracts",
    "coverage",
    "dotcom_chat",
    "examples",
    "explode_bytes",
    "ide_agent_adoption",
    "load",
    "parquet",
    "plot",
    "pr_lifecycle",
    "pseudonymize",
    "pull_requests",
    "read_json",
    "read_parquet",
    "reconcile",
    "report",
    "reported_active_users",
    "rollup",
    "scan_parquet",
    "schema_drift",
    "table_schema",
    "team_usage",
    "testing",
    "to_api",
    "trend",
    "validate",
    "write_csv",
    "write_json",
    "write_parquet",
]


def __dir__() -> list[str]:
    """The public names (``__all__``): no imported helper or submodule shows in ``dir(cm)``."""
    return sorted(__all__)


def __getattr__(name: str) -> _typing.Any:
    """``cm.plot`` and ``cm.report``, imported on first use (their optional dependencies load then)."""
    if name in ("plot", "report"):
        import importlib

        module = importlib.import_module(f"copilot_metrics.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'copilot_metrics' has no attribute {name!r}")
