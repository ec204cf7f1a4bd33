"""The tables of copilot-metrics, declared once: names, grains, keys, dtypes, JSON origins.

Everything else reads this module: the flattener (:mod:`copilot_metrics.explode`), the pandera
contracts (:mod:`copilot_metrics.contracts`), the merge, the Parquet writer and the metrics.

Every table starts with the scope columns ``enterprise``, ``org``, ``team`` (nullable strings)
and ``date`` (``pl.Date``), then its dimension columns, its measures (named as in GitHub's API),
and three bookkeeping columns:

``source``
    the file (or label) the row was read from;
``extras``
    JSON text of the keys of the row's JSON object that the schema does not know (GitHub added
    keys over time), or that the typed columns cannot hold (a training date that is not a date),
    kept verbatim; null when there are none;
``shape``
    the known keys of the object whose value the typed columns cannot tell apart, as
    ``"key:absent"`` or ``"key:null"`` (a feature block that is ``null`` versus missing, an
    array that is missing versus empty, a training date that is missing versus ``null``);
    null when there are none.

With ``extras`` and ``shape``, :func:`copilot_metrics.to_api` rebuilds every day exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = [
    "BLOCKS",
    "BOOKKEEPING",
    "SCOPE",
    "TABLES",
    "TableSpec",
    "table_schema",
]

#: Scope columns, in order, on every table.
SCOPE: tuple[str, ...] = ("enterprise", "org", "team")

#: Bookkeeping columns, in order, at the end of every table.
BOOKKEEPING: dict[str, pl.DataType] = {
    "source": pl.String(),
    "extras": pl.String(),
    "shape": pl.List(pl.String()),
}

#: The four feature blocks of a day, and the column of ``days`` holding each one's engaged users.
BLOCKS: dict[str, str] = {
    "copilot_ide_code_completions": "completions_engaged_users",
    "copilot_ide_chat": "ide_chat_engaged_users",
    "copilot_dotcom_chat": "dotcom_chat_engaged_users",
    "copilot_dotcom_pull_requests": "pull_requests_engaged_users",
}

_MODEL_ATTRS: dict[str, pl.DataType] = {"is_custom_model": pl.Boolean(), "custom_model_training_date": pl.Date()}


@dataclass(frozen=True)
class TableSpec:
    """One table: where its rows come from in a day, its grain, and its columns.

    Attributes
    ----------
    name:
        The attribute of the dataset that holds the table.
    parent:
        The table whose rows contain this table's JSON array (``None`` for ``days``).
    array:
        The key of that array in the parent's JSON object; for tables directly under a feature
        block, ``"<block>.<key>"``.
    dimension:
        The column the objects' ``name`` is stored in (``editor``, ``model``, ...).
    measures:
        The columns read from the object's own keys, with their dtypes, in JSON key order.
    doc:
        The grain, in words.
    """

    name: str
    parent: str | None
    array: str | None
    dimension: str | None
    measures: dict[str, pl.DataType]
    doc: str
    children: tuple[str, ...] = field(default=())

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimension columns of the natural key: the parents' and this table's own."""
        own = (self.dimension,) if self.dimension else ()
        return (TABLES[self.parent].dimensions if self.parent else ()) + own

    @property
    def key(self) -> tuple[str, ...]:
        """The natural key: scope, date and dimensions. Unique in a loaded dataset."""
        return (*SCOPE, "date", *self.dimensions)

    @property
    def schema(self) -> pl.Schema:
        """The Polars schema of the table, in column order."""
        columns: dict[str, pl.DataType] = dict.fromkeys(SCOPE, pl.String())
        columns["date"] = pl.Date()
        columns.update(dict.fromkeys(self.dimensions, pl.String()))
        columns.update(self.measures)
        columns.update(BOOKKEEPING)
        return pl.Schema(columns)

    @property
    def block(self) -> str | None:
        """The feature block the table's rows come from (``None`` for ``days``)."""
        spec = self
        while spec.parent and spec.parent != "days":
            spec = TABLES[spec.parent]
        return spec.array.split(".", 1)[0] if spec.array else None


_I = pl.Int64()
_SPECS = (
    TableSpec(
        "days", None, None, None,
        {"total_active_users": _I, "total_engaged_users": _I, **dict.fromkeys(BLOCKS.values(), _I)},
        "one row per day of each scope",
    ),
    TableSpec(
        "completions_languages", "days", "copilot_ide_code_completions.languages", "language",
        {"total_engaged_users": _I},
        "one row per language and day: completion users of a language across all editors",
    ),
    TableSpec(
        "completions_editors", "days", "copilot_ide_code_completions.editors", "editor",
        {"total_engaged_users": _I},
        "one row per editor and day: completion users of an editor",
    ),
    TableSpec(
        "completions_models", "completions_editors", "models", "model",
        {**_MODEL_ATTRS, "total_engaged_users": _I},
        "one row per editor, model and day",
    ),
    TableSpec(
        "completions", "completions_models", "languages", "language",
        {
            "total_engaged_users": _I,
            "total_code_suggestions": _I,
            "total_code_acceptances": _I,
            "total_code_lines_suggested": _I,
            "total_code_lines_accepted": _I,
        },
        "one row per editor, model, language and day: the completion counts",
    ),
    TableSpec(
        "ide_chat_editors", "days", "copilot_ide_chat.editors", "editor",
        {"total_engaged_users": _I},
        "one row per editor and day: IDE chat users of an editor",
    ),
    TableSpec(
        "ide_chat", "ide_chat_editors", "models", "model",
        {
            **_MODEL_ATTRS,
            "total_engaged_users": _I,
            "total_chats": _I,
            "total_chat_insertion_events": _I,
            "total_chat_copy_events": _I,
        },
        "one row per editor, model and day: IDE chat counts",
    ),
    TableSpec(
        "dotcom_chat", "days", "copilot_dotcom_chat.models", "model",
        {**_MODEL_ATTRS, "total_engaged_users": _I, "total_chats": _I},
        "one row per model and day: Copilot chat on github.com",
    ),
    TableSpec(
        "pull_requests_repositories", "days", "copilot_dotcom_pull_requests.repositories", "repository",
        {"total_engaged_users": _I},
        "one row per repository and day: users of pull-request summaries",
    ),
    TableSpec(
        "pull_requests", "pull_requests_repositories", "models", "model",
        {**_MODEL_ATTRS, "total_pr_summaries_created": _I, "total_engaged_users": _I},
        "one row per repository, model and day: pull-request summaries created",
    ),
)

#: Every table, by name, in the order data flows (parents before children).
TABLES: dict[str, TableSpec] = {}
for _spec in _SPECS:
    _children = tuple(s.name for s in _SPECS if s.parent == _spec.name)
    TABLES[_spec.name] = TableSpec(
        _spec.name, _spec.parent, _spec.array, _spec.dimension, _spec.measures, _spec.doc, _children
    )


def table_schema(name: str) -> pl.Schema:
    """Return the Polars schema of table ``name``.

    >>> table_schema("completions_editors").names()[:6]
    ['enterprise', 'org', 'team', 'date', 'editor', 'total_engaged_users']
    """
    return TABLES[name].schema
