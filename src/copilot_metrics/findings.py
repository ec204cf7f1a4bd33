"""Data-quality findings: what looks wrong in the data, reported, never silently fixed.

Each rule is declared once in :data:`RULES` with its severity.  :func:`table_findings` evaluates the
table rules with Polars expressions over a dataset's tables; the loader adds the rules found
while reading (unknown fields, training dates that are not dates, dates out of order,
duplicate rows set aside).

A finding's ``rule`` is a :data:`Rule`: ``acceptances_exceed_suggestions``,
``lines_accepted_exceed_suggested``, ``child_engaged_exceeds_parent``, ``engaged_exceeds_active``
(the table rules, :data:`TABLE_RULES`), ``duplicate_row``, ``negative_count``,
``contract_violation`` (the contract rules, :data:`CONTRACT_RULES`), ``unknown_field``,
``training_date_not_a_date``, ``dates_not_in_order`` and ``duplicate_date_in_file``. Its
``severity`` is a :data:`Severity`: ``error``, ``warning`` or ``info``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import polars as pl

from copilot_metrics.sidetables import finding_columns, finding_row, frame_of
from copilot_metrics.tables import (
    DAY_KEY,
    FEATURES,
    FINDING_SCHEMA,
    TABLES,
    TRAINING_DATE,
    UNKNOWN_SCHEMA,
    calendar_date,
)

if TYPE_CHECKING:
    from copilot_metrics.batch import Exploded, ReadInput

__all__ = [
    "CONTRACT_RULES",
    "ROW_RULES",
    "RULES",
    "TABLE_RULES",
    "RowRule",
    "Rule",
    "Severity",
    "contract_findings",
    "failure_path",
    "file_findings",
    "read_findings",
    "table_findings",
    "training_date_findings",
    "unknown_findings",
    "unsorted_finding",
]

#: How bad a finding is: ``error`` (the row breaks a contract), ``warning`` (the numbers cannot be
#: right as reported), ``info`` (worth knowing, nothing wrong with the numbers).
Severity = Literal["error", "warning", "info"]

#: The rule a finding reports: every key of :data:`RULES`, which gives its severity and meaning.
Rule = Literal[
    "acceptances_exceed_suggestions",
    "lines_accepted_exceed_suggested",
    "child_engaged_exceeds_parent",
    "engaged_exceeds_active",
    "duplicate_row",
    "negative_count",
    "contract_violation",
    "unknown_field",
    "training_date_not_a_date",
    "dates_not_in_order",
    "duplicate_date_in_file",
    "shard_conflict",
    # the successor reports' (copilot_metrics.successor): read per file, then over the merged tables
    "unknown_value",
    "new_client",
    "window_day_absent",
    "provisional_day",
    "login_changed",
    "derived_user_export",
    "unparseable_timestamp",
    "acceptances_exceed_generations",
    "booleans_as_0_1",
    "kind_differs_from_name",
    "breakdown_sum_differs",
    "ide_plus_cli_differs",
    "reported_window_calendar_like",
    "dau_differs_from_user_rows",
]

#: rule -> (severity, what it means)
RULES: dict[Rule, tuple[Severity, str]] = {
    "shard_conflict": (
        "error",
        "two files of one successor report (shards: the same report_id) hold one record with different content; "
        "the most recent file's is kept (copilot_metrics.merge.reports)",
    ),
    "acceptances_exceed_suggestions": (
        "warning",
        "total_code_acceptances > total_code_suggestions on a row (seen on real JetBrains rows, "
        "including suggestions = 0 with acceptances > 0); the row's acceptance rate exceeds 1",
    ),
    "lines_accepted_exceed_suggested": (
        "warning",
        "total_code_lines_accepted > total_code_lines_suggested on a row",
    ),
    "child_engaged_exceeds_parent": (
        "warning",
        "a slice's engaged users exceed its parent's (a model above its editor, an editor above its "
        "feature, a feature above the day's total_engaged_users): distinct counts cannot do that",
    ),
    "engaged_exceeds_active": ("warning", "a day's total_engaged_users exceed its total_active_users"),
    "duplicate_row": (
        "error",
        "the same dimension row appears twice in one day (its natural key is not unique); with "
        "on_invalid='quarantine' the day was set aside (reported on kept rows only when contracts "
        "are skipped)",
    ),
    "negative_count": (
        "error",
        "a count is below zero; with on_invalid='quarantine' the day was set aside (reported on "
        "kept rows only when contracts are skipped)",
    ),
    "contract_violation": (
        "error",
        "a row breaks its table's contract otherwise; with on_invalid='quarantine' the day was set aside",
    ),
    "unknown_field": ("info", "a key the published schema does not know; kept in the row's extras column"),
    "training_date_not_a_date": (
        "warning",
        f"{TRAINING_DATE} is not a YYYY-MM-DD date; kept verbatim in extras",
    ),
    "dates_not_in_order": ("info", "a file's days are not in ascending date order"),
    "duplicate_date_in_file": ("warning", "a file holds the same date twice; the later one was kept"),
    # ---- the successor reports, per file (copilot_metrics.successor.read)
    "unknown_value": ("info", "a value outside the documented vocabulary: kept"),
    "new_client": ("info", "a totals_by_<x> object the registry does not know: read as client <x>"),
    "window_day_absent": ("warning", "a day of an aggregate report's window has no record: a gap, not zeros"),
    "provisional_day": ("info", "a day less than three full UTC days before the report's created_at: may be restated"),
    "login_changed": ("info", "one user_id appears with several logins: rows are keyed by user_id"),
    "derived_user_export": ("info", "user rows of a derived export (primary_ide-style keys, no totals_by_*)"),
    "unparseable_timestamp": ("warning", "a timestamp that is not ISO 8601 even leniently: null, raw text kept"),
    "acceptances_exceed_generations": ("warning", "code_acceptance_activity_count > code_generation_activity_count"),
    "booleans_as_0_1": (
        "info",
        "a flag written as 0/1 (derived exports): read as a boolean, marked <key>:bool_as_int in shape; "
        "once per file and key",
    ),
    "kind_differs_from_name": (
        "warning",
        "the file's name says another report kind (level, users/user-teams/repos, 1-day/28-day) than "
        "its records: read by content, as always",
    ),
    # ---- the successor reports, over the merged tables (copilot_metrics.successor.findings)
    "breakdown_sum_differs": (
        "warning",
        "an additive breakdown does not sum to what it breaks down on a (scope, day[, user]): "
        "totals_by_feature to the top level, totals_by_language_feature per feature to totals_by_feature; "
        "rows kept as written",
    ),
    "ide_plus_cli_differs": (
        "warning",
        "the top level is not totals_by_ide plus the copilot_cli and copilot_app feature rows "
        "(IDE rows exclude the CLI and the app); rows kept as written",
    ),
    "reported_window_calendar_like": (
        "info",
        "GitHub's weekly/monthly active users restart like calendar windows (WAU = DAU after a fall on a "
        "Sunday, MAU falls on the 1st): snapshots, never trailing 7/28-day counts; once per scope",
    ),
    "dau_differs_from_user_rows": (
        "warning",
        "a day's daily_active_users differs from the distinct user rows of the same scope and day "
        "(a day inside a loaded users window): warning when rows exceed it, info when fewer",
    ),
}


class RowRule(NamedTuple):
    """A rule on the values of one row: ``column`` > ``limit`` (both present) on a row of ``table``."""

    table: str
    column: str
    limit: str
    message: str

    def condition(self) -> pl.Expr:
        """True on the rows the rule flags (null when a value is missing: not flagged)."""
        return pl.col(self.column) > pl.col(self.limit)


#: The rules on one row's values, by rule: the only place their conditions are written
#: (:func:`table_findings` reports them; ``acceptance(exclude_findings=True)`` leaves the rows out).
ROW_RULES: dict[Rule, RowRule] = {
    "acceptances_exceed_suggestions": RowRule(
        "completions", "total_code_acceptances", "total_code_suggestions", "acceptances exceed suggestions"
    ),
    "lines_accepted_exceed_suggested": RowRule(
        "completions",
        "total_code_lines_accepted",
        "total_code_lines_suggested",
        "lines accepted exceed lines suggested",
    ),
    "engaged_exceeds_active": RowRule(
        "days", "total_engaged_users", "total_active_users", "engaged users exceed active users"
    ),
}


#: How a path names an object without a ``name`` (missing or null): never ``[name=...]``, so
#: it cannot be taken for an object named ``"null"`` (or anything else).
NO_NAME = "[no name]"


def json_path(table: str, column: str | None = None) -> pl.Expr:
    """An expression rendering the JSON path of each row of ``table`` (and of ``column``).

    An object is named by its ``name`` (``languages[name=python]``); one without a name by
    :data:`NO_NAME` (``languages[no name]``), which no name renders as.
    """
    template = TABLES[table].json_path + (f".{column}" if column else "")
    parts: list[pl.Expr] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        value = pl.col(name).cast(pl.String)
        if before.endswith("[name="):  # a dimension: [name=<value>], or [no name]
            parts.append(pl.lit(before.removesuffix("[name=")))
            parts.append(
                pl.when(value.is_null())
                .then(pl.lit(NO_NAME))
                .otherwise(pl.concat_str(pl.lit("[name="), value, pl.lit("]")))
            )
            rest = rest.removeprefix("]")
        else:
            parts.append(pl.lit(before))
            parts.append(value.fill_null("null"))
    parts.append(pl.lit(rest))
    return pl.concat_str(parts).alias("json_path")


def failure_path(table: str, root: pl.Expr | None = None) -> pl.Expr:
    """The JSON path of a contract failure on a row of ``table`` (its ``column``, when a column of the table).

    ``root`` replaces the day's ``$[date=...]`` (e.g. the day's index in its file).
    """
    path = json_path(table)
    if root is not None:
        path = pl.concat_str(root, path.str.strip_prefix(json_path("days")))
    columns = TABLES[table].schema.names()
    return (
        pl.when(pl.col("column").is_in(columns))
        .then(pl.concat_str(path, pl.lit("."), pl.col("column")))
        .otherwise(path)
        .alias("json_path")
    )


def _rows(
    frame: pl.LazyFrame, table: str, column: str, rule: Rule, condition: pl.Expr, value: pl.Expr, message: str
) -> pl.LazyFrame:
    return frame.filter(condition.fill_null(False)).select(
        finding_columns(
            table=table,
            json_path=json_path(table, column),
            rule=rule,
            severity=RULES[rule][0],
            message=message,
            value=value,
        )
    )


def _parents() -> list[tuple[str, str, str]]:
    """(child, parent, parent's column) for every table whose engaged users have a parent count.

    Derived from :data:`~copilot_metrics.tables.TABLES`: a table directly under a feature block
    compares with the day's column of that block, any other with its parent's own
    ``total_engaged_users``.
    """
    out = []
    for name, spec in TABLES.items():
        if spec.parent is None or "total_engaged_users" not in spec.measures:
            continue
        if spec.parent == "days":
            out.append((name, "days", next(f.users_column for f in FEATURES.values() if f.block == spec.block)))
        else:
            out.append((name, spec.parent, "total_engaged_users"))
    return out


def _parent_check(
    tables: Mapping[str, pl.LazyFrame], child: str, parent: str, parent_col: str, child_col: str = "total_engaged_users"
) -> pl.LazyFrame:
    spec = TABLES[child]
    keys = [*DAY_KEY, *TABLES[parent].dimensions] if parent != "days" else DAY_KEY
    parents = tables[parent].select(*keys, pl.col(parent_col).alias("_parent"))
    joined = tables[child].join(parents, on=keys, how="inner", nulls_equal=True)
    return _rows(
        joined,
        child,
        child_col,
        "child_engaged_exceeds_parent",
        pl.col(child_col) > pl.col("_parent"),
        pl.format("{} > {}", pl.col(child_col), pl.col("_parent")),
        f"{spec.name}.{child_col} exceeds {parent}.{parent_col}",
    )


def table_findings(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Evaluate the table rules of :data:`RULES` over a dataset's tables (one Polars query)."""
    present = {name: frame.lazy() for name, frame in tables.items() if frame.height and name in TABLES}
    if not present:
        return FINDING_SCHEMA.to_frame()
    lazy = {name: tables[name].lazy() for name in TABLES}
    out: list[pl.LazyFrame] = []
    for rule, row in ROW_RULES.items():
        out.append(
            _rows(
                lazy[row.table],
                row.table,
                row.column,
                rule,
                row.condition(),
                pl.format("{} > {}", row.column, row.limit),
                row.message,
            )
        )
    for feature in FEATURES.values():
        block_col = feature.users_column
        block_rows = _rows(
            lazy["days"],
            "days",
            block_col,
            "child_engaged_exceeds_parent",
            pl.col(block_col) > pl.col("total_engaged_users"),
            pl.format("{} > {}", pl.col(block_col), pl.col("total_engaged_users")),
            f"days.{block_col} exceeds days.total_engaged_users",
        )
        # the JSON path of the value is the block's own total_engaged_users, not the column name
        out.append(block_rows.with_columns(json_path("days", feature.users_key)))
    for child, parent, parent_col in _parents():
        if child in present:
            out.append(_parent_check(lazy, child, parent, parent_col))
    # what the contracts reject; found here only when they were skipped (load(contracts=False)),
    # since otherwise such rows never reach the tables
    for name, frame in present.items():
        spec = TABLES[name]
        out.append(
            frame.filter(pl.struct(list(spec.key)).is_duplicated())
            .select(
                finding_columns(
                    table=name,
                    json_path=json_path(name),
                    rule="duplicate_row",
                    severity=RULES["duplicate_row"][0],
                    message=f"table {name}: natural key ({', '.join(spec.key)}) repeated",
                    value=None,
                )
            )
            .unique(maintain_order=True)
        )
        for column, dtype in spec.measures.items():
            if dtype == pl.Int64:
                out.append(
                    _rows(
                        frame,
                        name,
                        column,
                        "negative_count",
                        pl.col(column) < 0,
                        pl.col(column),
                        f"table {name}, column {column}: a count below zero",
                    )
                )
    return pl.concat([f.select(FINDING_SCHEMA.names()).cast(FINDING_SCHEMA) for f in out]).collect()


# ---------------------------------------------------------------- findings made while reading


def file_findings(prepared: ReadInput) -> pl.DataFrame | None:
    """Findings of one input read in a batch: its unknown fields, and dates out of order."""
    if not len(prepared.unknown) and not prepared.unsorted:
        return None  # the common case, kept cheap: most inputs have nothing to report
    found = [unknown_findings(prepared.unknown.frame(), prepared.source)]
    if prepared.unsorted:
        found.append(unsorted_finding(prepared.source))
    return pl.concat(found)


def unsorted_finding(source: dict[str, Any]) -> pl.DataFrame:
    """The ``dates_not_in_order`` finding of one input (grain: one row per input)."""
    severity, message = RULES["dates_not_in_order"]
    return frame_of(
        [finding_row(source["source"], source, None, "days", "$", "dates_not_in_order", severity, message)],
        FINDING_SCHEMA,
    )


def training_date_findings(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Rows whose custom_model_training_date is not a date (kept verbatim in ``extras``)."""
    found = [FINDING_SCHEMA.to_frame()]
    severity, message = RULES["training_date_not_a_date"]
    for name in (name for name, spec in TABLES.items() if spec.has_training_date):
        # the verbatim value sits at the top level of extras (never null: null and dates are typed)
        verbatim = pl.col("extras").str.json_path_match(f"$.{TRAINING_DATE}")
        odd = tables[name].filter(verbatim.is_not_null())
        if odd.height:
            found.append(
                odd.select(
                    finding_columns(
                        table=name,
                        json_path=json_path(name, TRAINING_DATE),
                        rule="training_date_not_a_date",
                        severity=severity,
                        message=message,
                        value=verbatim,
                    )
                )
            )
    return pl.concat(found)


def unknown_findings(rows: list[dict[str, Any]] | pl.DataFrame, source: dict[str, Any]) -> pl.DataFrame:
    """One ``unknown_field`` finding per unknown key reported by validation (rows, or their frame)."""
    unknown = rows if isinstance(rows, pl.DataFrame) else frame_of(rows, UNKNOWN_SCHEMA)
    severity, message = RULES["unknown_field"]
    return unknown.select(
        finding_columns(
            scope=source,
            date=calendar_date(pl.col("date")),  # the day's date when it is one (a quarantined day's may not be)
            table=None,
            json_path=pl.col("json_path"),
            rule="unknown_field",
            severity=severity,
            message=message,
            value=None,
        )
    )


def read_findings(result: Exploded) -> pl.DataFrame:
    """Findings of one input read on its own (a file that repeats a date)."""
    found = [unknown_findings(result.unknown, result.source), training_date_findings(result.tables)]
    days = result.tables["days"]
    if days.height > 1 and not days["date"].is_sorted():
        found.append(unsorted_finding(result.source))
    return pl.concat(found)


def contract_findings(name: str, located: pl.DataFrame) -> pl.DataFrame:
    """One finding per row that broke table ``name``'s contract (the row's columns joined in)."""
    rule = (
        pl.when(pl.col("check") == "unique natural key")
        .then(pl.lit("duplicate_row"))
        .when(pl.col("check").str.starts_with("greater_than_or_equal_to"))
        .then(pl.lit("negative_count"))
        .otherwise(pl.lit("contract_violation"))
    )
    severity = pl.lit(None, pl.String)
    for code, (level, _) in RULES.items():
        severity = pl.when(pl.col("rule") == code).then(pl.lit(level)).otherwise(severity)
    return (
        located.with_columns(rule.alias("rule"))
        .with_columns(severity.alias("severity"))
        .select(
            finding_columns(
                table=name,
                json_path=failure_path(name),
                rule=pl.col("rule"),
                severity=pl.col("severity"),
                message=pl.format("table {}, column {}: {} failed", pl.lit(name), "column", "check"),
                value=pl.col("value"),
            )
        )
        .unique(maintain_order=True)
    )


#: Findings :func:`table_findings` recomputes on the merged tables; a base
#: dataset's other findings (made while reading its files, or on days set aside) are carried over.
TABLE_RULES: tuple[Rule, ...] = (
    "acceptances_exceed_suggestions",
    "lines_accepted_exceed_suggested",
    "child_engaged_exceeds_parent",
    "engaged_exceeds_active",
)

#: Findings :func:`contract_findings` makes, one per row that broke its table's contract.
CONTRACT_RULES: tuple[Rule, ...] = ("duplicate_row", "negative_count", "contract_violation")
