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
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from copilot_metrics.tables import BLOCKS, DAY_KEY, FINDING_SCHEMA, SCOPE, TABLES, UNKNOWN_SCHEMA

if TYPE_CHECKING:
    from copilot_metrics.batch import Exploded, ReadInput

__all__ = [
    "CONTRACT_RULES",
    "RULES",
    "TABLE_RULES",
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
    "acceptances_exceed_suggestions", "lines_accepted_exceed_suggested", "child_engaged_exceeds_parent",
    "engaged_exceeds_active", "duplicate_row", "negative_count", "contract_violation", "unknown_field",
    "training_date_not_a_date", "dates_not_in_order", "duplicate_date_in_file", "shard_conflict",
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
        "warning", "total_code_lines_accepted > total_code_lines_suggested on a row",
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
        "error", "a row breaks its table's contract otherwise; with on_invalid='quarantine' the day was set aside",
    ),
    "unknown_field": ("info", "a key the published schema does not know; kept in the row's extras column"),
    "training_date_not_a_date": (
        "warning", "custom_model_training_date is not a YYYY-MM-DD date; kept verbatim in extras",
    ),
    "dates_not_in_order": ("info", "a file's days are not in ascending date order"),
    "duplicate_date_in_file": ("warning", "a file holds the same date twice; the later one was kept"),
}


#: JSON path of each table's objects, with ``{column}`` placeholders for the dimensions.
_PATHS: dict[str, str] = {name: spec.json_path for name, spec in TABLES.items()}


#: How a path names an object without a ``name`` (missing or null): never ``[name=...]``, so
#: it cannot be taken for an object named ``"null"`` (or anything else).
NO_NAME = "[no name]"


def json_path(table: str, column: str | None = None) -> pl.Expr:
    """An expression rendering the JSON path of each row of ``table`` (and of ``column``).

    An object is named by its ``name`` (``languages[name=python]``); one without a name by
    :data:`NO_NAME` (``languages[no name]``), which no name renders as.
    """
    template = _PATHS[table] + (f".{column}" if column else "")
    parts: list[pl.Expr] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        value = pl.col(name).cast(pl.String)
        if before.endswith("[name="):  # a dimension: [name=<value>], or [no name]
            parts.append(pl.lit(before.removesuffix("[name=")))
            parts.append(pl.when(value.is_null()).then(pl.lit(NO_NAME))
                         .otherwise(pl.concat_str(pl.lit("[name="), value, pl.lit("]"))))
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
        day = pl.format("$[date={}]", pl.col("date").cast(pl.String).fill_null("null"))
        path = pl.concat_str(root, path.str.strip_prefix(day))
    columns = TABLES[table].schema.names()
    return (
        pl.when(pl.col("column").is_in(columns))
        .then(pl.concat_str(path, pl.lit("."), pl.col("column")))
        .otherwise(path)
        .alias("json_path")
    )


def _rows(frame: pl.LazyFrame, table: str, column: str, rule: Rule, condition: pl.Expr, value: pl.Expr,
          message: str) -> pl.LazyFrame:
    severity = RULES[rule][0]
    return frame.filter(condition.fill_null(False)).select(
        "source", *DAY_KEY, pl.lit(table).alias("table"), json_path(table, column),
        pl.lit(rule).alias("rule"), pl.lit(severity).alias("severity"), pl.lit(message).alias("message"),
        value.cast(pl.String).alias("value"),
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
            block = spec.block
            assert block is not None
            out.append((name, "days", BLOCKS[block]))
        else:
            out.append((name, spec.parent, "total_engaged_users"))
    return out


def _parent_check(tables: Mapping[str, pl.LazyFrame], child: str, parent: str, parent_col: str,
                  child_col: str = "total_engaged_users") -> pl.LazyFrame:
    spec = TABLES[child]
    keys = [*DAY_KEY, *TABLES[parent].dimensions] if parent != "days" else DAY_KEY
    parents = tables[parent].select(*keys, pl.col(parent_col).alias("_parent"))
    joined = tables[child].join(parents, on=keys, how="inner", nulls_equal=True)
    return _rows(
        joined, child, child_col, "child_engaged_exceeds_parent",
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
    if "completions" in present:
        c = lazy["completions"]
        out += [
            _rows(c, "completions", "total_code_acceptances", "acceptances_exceed_suggestions",
                  pl.col("total_code_acceptances") > pl.col("total_code_suggestions"),
                  pl.format("{} > {}", "total_code_acceptances", "total_code_suggestions"),
                  "acceptances exceed suggestions"),
            _rows(c, "completions", "total_code_lines_accepted", "lines_accepted_exceed_suggested",
                  pl.col("total_code_lines_accepted") > pl.col("total_code_lines_suggested"),
                  pl.format("{} > {}", "total_code_lines_accepted", "total_code_lines_suggested"),
                  "lines accepted exceed lines suggested"),
        ]
    out.append(_rows(lazy["days"], "days", "total_engaged_users", "engaged_exceeds_active",
                     pl.col("total_engaged_users") > pl.col("total_active_users"),
                     pl.format("{} > {}", "total_engaged_users", "total_active_users"),
                     "engaged users exceed active users"))
    for block, block_col in BLOCKS.items():
        block_rows = _rows(
            lazy["days"], "days", block_col, "child_engaged_exceeds_parent",
            pl.col(block_col) > pl.col("total_engaged_users"),
            pl.format("{} > {}", pl.col(block_col), pl.col("total_engaged_users")),
            f"days.{block_col} exceeds days.total_engaged_users")
        # the JSON path of the value is the block's own total_engaged_users, not the column name
        out.append(block_rows.with_columns(
            pl.format("$[date={}].{}.total_engaged_users", pl.col("date"), pl.lit(block)).alias("json_path")))
    for child, parent, parent_col in _parents():
        if child in present:
            out.append(_parent_check(lazy, child, parent, parent_col))
    # what the contracts reject; found here only when they were skipped (load(contracts=False)),
    # since otherwise such rows never reach the tables
    for name, frame in present.items():
        spec = TABLES[name]
        out.append(frame.filter(pl.struct(list(spec.key)).is_duplicated()).select(
            "source", *DAY_KEY, pl.lit(name).alias("table"), json_path(name),
            pl.lit("duplicate_row").alias("rule"), pl.lit(RULES["duplicate_row"][0]).alias("severity"),
            pl.lit(f"table {name}: natural key ({', '.join(spec.key)}) repeated").alias("message"),
            pl.lit(None, pl.String).alias("value"),
        ).unique(maintain_order=True))
        for column, dtype in spec.measures.items():
            if dtype == pl.Int64:
                out.append(_rows(frame, name, column, "negative_count", pl.col(column) < 0, pl.col(column),
                                 f"table {name}, column {column}: a count below zero"))
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
    row = {"source": source["source"], **{k: source.get(k) for k in SCOPE}, "date": None, "table": "days",
           "json_path": "$", "rule": "dates_not_in_order", "severity": severity, "message": message, "value": None}
    return pl.DataFrame([row], schema=FINDING_SCHEMA)


def training_date_findings(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Rows whose custom_model_training_date is not a date (kept verbatim in ``extras``)."""
    found = [FINDING_SCHEMA.to_frame()]
    severity, message = RULES["training_date_not_a_date"]
    for name in ("completions_models", "ide_chat", "dotcom_chat", "pull_requests"):
        # the verbatim value sits at the top level of extras (never null: null and dates are typed)
        verbatim = pl.col("extras").str.json_path_match("$.custom_model_training_date")
        odd = tables[name].filter(verbatim.is_not_null())
        if odd.height:
            found.append(odd.select(
                "source", *SCOPE, "date", pl.lit(name).alias("table"),
                json_path(name, "custom_model_training_date"),
                pl.lit("training_date_not_a_date").alias("rule"), pl.lit(severity).alias("severity"),
                pl.lit(message).alias("message"), verbatim.alias("value")).cast(FINDING_SCHEMA))
    return pl.concat(found)


def unknown_findings(rows: list[dict[str, Any]] | pl.DataFrame, source: dict[str, Any]) -> pl.DataFrame:
    """One ``unknown_field`` finding per unknown key reported by validation (rows, or their frame)."""
    if isinstance(rows, pl.DataFrame):
        unknown = rows
    else:
        unknown = pl.DataFrame(rows, schema=UNKNOWN_SCHEMA, orient="row") if rows else UNKNOWN_SCHEMA.to_frame()
    text = pl.col("date")
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    return unknown.select(
        "source", *(pl.lit(source.get(k), pl.String).alias(k) for k in SCOPE),
        # the day's date when it is one (a quarantined day's may not be)
        pl.when(text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & (parsed.dt.year() >= 1))
        .then(parsed).otherwise(None).alias("date"),
        pl.lit(None, pl.String).alias("table"), "json_path", pl.lit("unknown_field").alias("rule"),
        pl.lit(RULES["unknown_field"][0]).alias("severity"),
        pl.lit(RULES["unknown_field"][1]).alias("message"), pl.lit(None, pl.String).alias("value"),
    ).cast(FINDING_SCHEMA)


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
        pl.when(pl.col("check") == "unique natural key").then(pl.lit("duplicate_row"))
        .when(pl.col("check").str.starts_with("greater_than_or_equal_to")).then(pl.lit("negative_count"))
        .otherwise(pl.lit("contract_violation"))
    )
    severity = pl.lit(None, pl.String)
    for code, (level, _) in RULES.items():
        severity = pl.when(pl.col("rule") == code).then(pl.lit(level)).otherwise(severity)
    return (
        located.with_columns(rule.alias("rule"))
        .with_columns(severity.alias("severity"))
        .select(
            "source", *DAY_KEY, pl.lit(name).alias("table"), failure_path(name), "rule", "severity",
            pl.format("table {}, column {}: {} failed", pl.lit(name), "column", "check").alias("message"),
            "value",
        )
        .unique(maintain_order=True)
        .cast(FINDING_SCHEMA)
    )


#: Findings :func:`table_findings` recomputes on the merged tables; a base
#: dataset's other findings (made while reading its files, or on days set aside) are carried over.
TABLE_RULES: tuple[Rule, ...] = ("acceptances_exceed_suggestions", "lines_accepted_exceed_suggested",
                                 "child_engaged_exceeds_parent", "engaged_exceeds_active")

#: Findings :func:`contract_findings` makes, one per row that broke its table's contract.
CONTRACT_RULES: tuple[Rule, ...] = ("duplicate_row", "negative_count", "contract_violation")
