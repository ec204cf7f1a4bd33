"""Data-quality findings: what looks wrong in the data, reported, never silently fixed.

Each rule is declared once in :data:`RULES` with its severity.  :func:`findings` evaluates the
table rules with Polars expressions over a dataset's tables; the loader adds the rules found
while reading (unknown fields, training dates that are not dates, dates out of order,
duplicate rows set aside).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from copilot_metrics.tables import BLOCKS, SCOPE, TABLES

__all__ = ["FINDING_SCHEMA", "RULES", "table_findings"]

#: rule -> (severity, what it means)
RULES: dict[str, tuple[str, str]] = {
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

#: Columns of ``ds.findings``.
FINDING_SCHEMA = pl.Schema(
    {
        "source": pl.String(),
        "enterprise": pl.String(),
        "org": pl.String(),
        "team": pl.String(),
        "date": pl.Date(),
        "table": pl.String(),
        "json_path": pl.String(),
        "rule": pl.String(),
        "severity": pl.String(),
        "message": pl.String(),
        "value": pl.String(),
    }
)

_KEY = [*SCOPE, "date"]

#: JSON path of each table's objects, with ``{column}`` placeholders for the dimensions.
_PATHS: dict[str, str] = {
    "days": "$[date={date}]",
    "completions_languages": "$[date={date}].copilot_ide_code_completions.languages[name={language}]",
    "completions_editors": "$[date={date}].copilot_ide_code_completions.editors[name={editor}]",
    "completions_models": "$[date={date}].copilot_ide_code_completions.editors[name={editor}].models[name={model}]",
    "completions": "$[date={date}].copilot_ide_code_completions.editors[name={editor}].models[name={model}]"
    ".languages[name={language}]",
    "ide_chat_editors": "$[date={date}].copilot_ide_chat.editors[name={editor}]",
    "ide_chat": "$[date={date}].copilot_ide_chat.editors[name={editor}].models[name={model}]",
    "dotcom_chat": "$[date={date}].copilot_dotcom_chat.models[name={model}]",
    "pull_requests_repositories": "$[date={date}].copilot_dotcom_pull_requests.repositories[name={repository}]",
    "pull_requests": "$[date={date}].copilot_dotcom_pull_requests.repositories[name={repository}]"
    ".models[name={model}]",
}


def json_path(table: str, column: str | None = None) -> pl.Expr:
    """An expression rendering the JSON path of each row of ``table`` (and of ``column``)."""
    template = _PATHS[table] + (f".{column}" if column else "")
    parts: list[pl.Expr] = []
    rest = template
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        parts.append(pl.lit(before))
        parts.append(pl.col(name).cast(pl.String).fill_null("null"))
    parts.append(pl.lit(rest))
    return pl.concat_str(parts).alias("json_path")


def _rows(frame: pl.DataFrame, table: str, column: str, rule: str, condition: pl.Expr, value: pl.Expr,
          message: str) -> pl.DataFrame:
    severity = RULES[rule][0]
    return frame.filter(condition.fill_null(False)).select(
        "source", *_KEY, pl.lit(table).alias("table"), json_path(table, column),
        pl.lit(rule).alias("rule"), pl.lit(severity).alias("severity"), pl.lit(message).alias("message"),
        value.cast(pl.String).alias("value"),
    )


def _parent_check(tables: Mapping[str, pl.DataFrame], child: str, parent: str, parent_col: str,
                  child_col: str = "total_engaged_users") -> pl.DataFrame:
    spec = TABLES[child]
    keys = [*_KEY, *TABLES[parent].dimensions] if parent != "days" else _KEY
    parents = tables[parent].select(*keys, pl.col(parent_col).alias("_parent"))
    joined = tables[child].join(parents, on=keys, how="inner", nulls_equal=True)
    return _rows(
        joined, child, child_col, "child_engaged_exceeds_parent",
        pl.col(child_col) > pl.col("_parent"),
        pl.format("{} > {}", pl.col(child_col), pl.col("_parent")),
        f"{spec.name}.{child_col} exceeds {parent}.{parent_col}",
    )


def table_findings(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Evaluate the table rules of :data:`RULES` over a dataset's tables."""
    c = tables["completions"]
    out = [
        _rows(c, "completions", "total_code_acceptances", "acceptances_exceed_suggestions",
              pl.col("total_code_acceptances") > pl.col("total_code_suggestions"),
              pl.format("{} > {}", "total_code_acceptances", "total_code_suggestions"),
              "acceptances exceed suggestions"),
        _rows(c, "completions", "total_code_lines_accepted", "lines_accepted_exceed_suggested",
              pl.col("total_code_lines_accepted") > pl.col("total_code_lines_suggested"),
              pl.format("{} > {}", "total_code_lines_accepted", "total_code_lines_suggested"),
              "lines accepted exceed lines suggested"),
        _rows(tables["days"], "days", "total_engaged_users", "engaged_exceeds_active",
              pl.col("total_engaged_users") > pl.col("total_active_users"),
              pl.format("{} > {}", "total_engaged_users", "total_active_users"),
              "engaged users exceed active users"),
    ]
    for block, block_col in BLOCKS.items():
        block_rows = _rows(
            tables["days"], "days", block_col, "child_engaged_exceeds_parent",
            pl.col(block_col) > pl.col("total_engaged_users"),
            pl.format("{} > {}", pl.col(block_col), pl.col("total_engaged_users")),
            f"days.{block_col} exceeds days.total_engaged_users")
        # the JSON path of the value is the block's own total_engaged_users, not the column name
        out.append(block_rows.with_columns(
            pl.format("$[date={}].{}.total_engaged_users", pl.col("date"), pl.lit(block)).alias("json_path")))
    for child, parent, parent_col in (
        ("completions_languages", "days", "completions_engaged_users"),
        ("completions_editors", "days", "completions_engaged_users"),
        ("completions_models", "completions_editors", "total_engaged_users"),
        ("completions", "completions_models", "total_engaged_users"),
        ("ide_chat_editors", "days", "ide_chat_engaged_users"),
        ("ide_chat", "ide_chat_editors", "total_engaged_users"),
        ("dotcom_chat", "days", "dotcom_chat_engaged_users"),
        ("pull_requests_repositories", "days", "pull_requests_engaged_users"),
        ("pull_requests", "pull_requests_repositories", "total_engaged_users"),
    ):
        out.append(_parent_check(tables, child, parent, parent_col))
    # what the contracts reject; found here only when they were skipped (load(contracts=False)),
    # since otherwise such rows never reach the tables
    for name, spec in TABLES.items():
        frame = tables[name]
        out.append(frame.filter(pl.struct(list(spec.key)).is_duplicated()).select(
            "source", *_KEY, pl.lit(name).alias("table"), json_path(name),
            pl.lit("duplicate_row").alias("rule"), pl.lit(RULES["duplicate_row"][0]).alias("severity"),
            pl.lit(f"table {name}: natural key ({', '.join(spec.key)}) repeated").alias("message"),
            pl.lit(None, pl.String).alias("value"),
        ).unique(maintain_order=True))
        for column, dtype in spec.measures.items():
            if dtype == pl.Int64:
                out.append(_rows(frame, name, column, "negative_count", pl.col(column) < 0, pl.col(column),
                                 f"table {name}, column {column}: a count below zero"))
    return pl.concat([f.select(FINDING_SCHEMA.names()).cast(FINDING_SCHEMA) for f in out])
