"""The dataset: a frozen container of the tables of both families and their side tables.

Built by :func:`copilot_metrics.load` (:mod:`copilot_metrics.pipeline`), read back by
:func:`copilot_metrics.read_parquet`; every later step (metrics, export) only reads it.  A
function that changes a dataset returns a new one (``dataclasses.replace``); the frames
themselves are Polars frames, which are immutable too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl

from copilot_metrics.rebuild import to_api
from copilot_metrics.sidetables import REPORT_VERSION_SCHEMA
from copilot_metrics.successor.registry import DRIFT_SCHEMA, LOGIN_SCHEMA, MERGED_REPORT_SCHEMA, Privacy, report_tables
from copilot_metrics.successor.registry import TABLES as REPORT_TABLES
from copilot_metrics.tables import SCOPE, TABLES, VERSION_SCHEMA
from copilot_metrics.validation import ValidationReport

__all__ = ["SUCCESSOR_SIDE_TABLES", "Dataset"]


#: The side tables of the successor reports, as attributes of a :class:`Dataset` (beside ``sources``,
#: ``quarantine``, ``findings``, ``conflicts``, ``versions``): iterate them with ``getattr(ds, name)``.
SUCCESSOR_SIDE_TABLES: tuple[str, ...] = ("reports", "schema_drift", "user_logins")


@dataclass(frozen=True)
class Dataset:
    """A merged history of Copilot metrics days, as typed tables.

    Attributes
    ----------
    tables:
        Every table by name: the ten tables of the legacy ``/copilot/metrics`` days (see
        :mod:`copilot_metrics.tables` for each grain; each (scope, date) appears once), also one
        property each: ``ds.days``, ``ds.completions``...; then every table of the successor
        usage-metrics reports (``agg_days``, ``agg_ide``, ..., ``user_days``, ...,
        ``user_teams``, ``repo_days``...: :data:`copilot_metrics.successor.TABLES`), always
        present, empty when no report was loaded.  A dataset built with the legacy ten only gets
        the successor tables empty.
    sources:
        One row per input: path, sha256, bytes, layout, status, days, first and last date,
        precedence (``export_time``, ``precedence_basis``, ``rank``) and how many of its days
        were kept, identical to a kept copy, or superseded by a later export; then, always,
        ``family`` (``legacy`` for a file whose days were loaded, ``reports`` for a successor
        report file; null for an input not loaded), ``report_id`` (the file's reports,
        comma-separated), ``record_kinds`` and ``flavor`` (``report`` or ``derived`` for user
        rows), null on legacy rows; a report file's ``days`` count its records and its
        ``days_kept``/``days_identical``/``days_superseded`` the (scope, family, date) units.
    quarantine:
        Days set aside (schema or contract failures), each kept verbatim with its reasons and
        its index in its file (``day_index``); stage ``format`` is the last line or document of a
        file still being written, cut short (its text as it was).  A successor report's record
        set aside is kept in ``record_json`` (``day_json`` null; ``record_json`` is null on the
        legacy rows).
    findings:
        Data-quality findings (:data:`copilot_metrics.findings.RULES`).
    conflicts:
        Values that differ between two exports of the same day: the kept one and the other.
    validation:
        The :class:`~copilot_metrics.validation.ValidationReport` of every input.
    meta:
        Free-form facts about how the dataset was made.  A pseudonymized dataset
        (:func:`copilot_metrics.pseudonymize`) holds its key's ``key_fingerprint`` (never the key)
        and its form (``pseudonymized``: the ids replaced, ``quasi_identifiers``: ``dropped`` or
        ``kept``); its successor tables then have the pseudonymized schemas the registry derives
        (:class:`copilot_metrics.successor.registry.Privacy`): ``user_pid`` for ``user_id``, no
        ``user_login``.
    versions:
        One row per copy of a day a file held: the version of the day it held (0: the kept one),
        and the JSON of each other version once (:data:`~copilot_metrics.tables.VERSION_SCHEMA`).
        What :func:`copilot_metrics.merge.merge_into` needs to merge new files into this dataset
        as loading them all at once would; empty for a dataset read from a layout that did not
        store it.
    reports:
        One row per successor report (``report_id``; shards of one report are one row): kind,
        level, window, ``created_at``, ``shards``, ``records``, days present and absent, its
        precedence and its days kept, identical and superseded
        (:data:`copilot_metrics.successor.registry.MERGED_REPORT_SCHEMA`).
    schema_drift:
        One row per (grain, JSON path, type) of the reports that the registry does not know,
        ordered by ``first_date`` (:data:`copilot_metrics.successor.DRIFT_SCHEMA`).
    user_logins:
        One row per (``user_id``, ``user_login``) of ``user_days``, with first and last date
        and rows (:data:`copilot_metrics.successor.LOGIN_SCHEMA`).
    report_versions:
        What the report files held that the tables do not: the rows of the records and reports
        that did not win, each file's own ``reports`` and ``schema_drift`` rows, as JSON
        (:data:`~copilot_metrics.sidetables.REPORT_VERSION_SCHEMA`).  What
        :func:`copilot_metrics.merge.merge_into` needs to merge new report files into this
        dataset as loading them all at once would; empty without reports.
    """

    tables: Mapping[str, pl.DataFrame]
    sources: pl.DataFrame
    quarantine: pl.DataFrame
    findings: pl.DataFrame
    conflicts: pl.DataFrame
    validation: ValidationReport
    meta: Mapping[str, Any] = field(default_factory=dict)
    versions: pl.DataFrame = field(default_factory=VERSION_SCHEMA.to_frame)
    reports: pl.DataFrame = field(default_factory=MERGED_REPORT_SCHEMA.to_frame)
    schema_drift: pl.DataFrame = field(default_factory=DRIFT_SCHEMA.to_frame)
    user_logins: pl.DataFrame = field(default_factory=LOGIN_SCHEMA.to_frame)
    report_versions: pl.DataFrame = field(default_factory=REPORT_VERSION_SCHEMA.to_frame)

    def __post_init__(self) -> None:
        missing = [name for name in TABLES if name not in self.tables]
        if missing:
            raise ValueError(f"a dataset needs every table; missing: {missing}")
        unknown = [name for name in self.tables if name not in TABLES and name not in REPORT_TABLES]
        if unknown:
            raise ValueError(f"a dataset holds only declared tables; unknown: {unknown}")
        # a read-only view: a dataset is never changed in place; every successor table is present
        tables = {name: self.tables[name] for name in TABLES}
        forms = report_tables(Privacy.of(self.meta))
        tables.update(
            {name: self.tables[name] if name in self.tables else spec.schema.to_frame() for name, spec in forms.items()}
        )
        object.__setattr__(self, "tables", MappingProxyType(tables))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def privacy(self) -> Privacy | None:
        """The pseudonymized form of the successor tables (``None``: identified, as declared); from ``meta``."""
        return Privacy.of(self.meta)

    @property
    def days(self) -> pl.DataFrame:
        """Table ``days``: one row per day of each scope."""
        return self.tables["days"]

    @property
    def completions_languages(self) -> pl.DataFrame:
        """Table ``completions_languages``: completion users of a language across all editors."""
        return self.tables["completions_languages"]

    @property
    def completions_editors(self) -> pl.DataFrame:
        """Table ``completions_editors``: one row per editor and day: completion users of an editor."""
        return self.tables["completions_editors"]

    @property
    def completions_models(self) -> pl.DataFrame:
        """Table ``completions_models``: one row per editor, model and day."""
        return self.tables["completions_models"]

    @property
    def completions(self) -> pl.DataFrame:
        """Table ``completions``: one row per editor, model, language and day: the completion counts."""
        return self.tables["completions"]

    @property
    def ide_chat_editors(self) -> pl.DataFrame:
        """Table ``ide_chat_editors``: one row per editor and day: IDE chat users of an editor."""
        return self.tables["ide_chat_editors"]

    @property
    def ide_chat(self) -> pl.DataFrame:
        """Table ``ide_chat``: one row per editor, model and day: IDE chat counts."""
        return self.tables["ide_chat"]

    @property
    def dotcom_chat(self) -> pl.DataFrame:
        """Table ``dotcom_chat``: one row per model and day: Copilot chat on github.com."""
        return self.tables["dotcom_chat"]

    @property
    def pull_requests_repositories(self) -> pl.DataFrame:
        """Table ``pull_requests_repositories``: one row per repository and day: users of pull-request summaries."""
        return self.tables["pull_requests_repositories"]

    @property
    def pull_requests(self) -> pl.DataFrame:
        """Table ``pull_requests``: one row per repository, model and day: pull-request summaries created."""
        return self.tables["pull_requests"]

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{name}={frame.height}" for name, frame in self.tables.items() if name in TABLES or frame.height
        )
        return (
            f"<copilot_metrics.Dataset {self.sources.height} source(s); {rows}; "
            f"quarantine={self.quarantine.height}, conflicts={self.conflicts.height}, "
            f"findings={self.findings.height}>"
        )

    def to_api(self) -> list[dict[str, Any]]:
        """Rebuild the API-format day objects (see :func:`copilot_metrics.to_api`)."""
        return to_api(self)

    def scopes(self) -> pl.DataFrame:
        """The distinct scopes (enterprise, org, team) in the dataset."""
        return self.tables["days"].select(SCOPE).unique(maintain_order=True)
