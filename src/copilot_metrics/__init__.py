"""copilot-metrics: trustworthy numbers from archived GitHub Copilot metrics exports.

load files, folders and globs -> validate every day against the published JSON schema ->
flatten into typed Polars tables guarded by pandera contracts -> merge overlapping exports ->
aggregate with correct statistics -> export Parquet.

>>> import copilot_metrics as cm
>>> ds = cm.load(cm.examples.path() / "{org}" / "{team}" / "*.json.gz")
>>> ds.days.height > 0
True
"""

from __future__ import annotations

from copilot_metrics import contracts, examples
from copilot_metrics.archive import coverage
from copilot_metrics.dataset import Dataset, load, to_api
from copilot_metrics.errors import (
    ContractError,
    CopilotMetricsError,
    FormatError,
    RollupError,
    SchemaValidationError,
)
from copilot_metrics.explode import explode_bytes
from copilot_metrics.quality import RULES as FINDING_RULES
from copilot_metrics.tables import TABLES, table_schema
from copilot_metrics.validation import ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    "FINDING_RULES",
    "TABLES",
    "ContractError",
    "CopilotMetricsError",
    "Dataset",
    "FormatError",
    "RollupError",
    "SchemaValidationError",
    "ValidationReport",
    "__version__",
    "contracts",
    "coverage",
    "examples",
    "explode_bytes",
    "load",
    "table_schema",
    "to_api",
    "validate",
]
