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
    null when there are none. What follows the colon is a :data:`Shape`: ``absent`` or ``null`` (and, in the successor
    reports' tables, ``bool_as_int``).

With ``extras`` and ``shape``, :func:`copilot_metrics.to_api` rebuilds every day exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from copilot_metrics import _keys, _schema
from copilot_metrics.errors import CopilotMetricsError
from copilot_metrics.sidetables import (
    CONFLICT_SCHEMA,
    ERROR_SCHEMA,
    FINDING_SCHEMA,
    IDENTICAL_SCHEMA,
    QUARANTINE_SCHEMA,
    SIDE_TABLES,
    SOURCE_READ_SCHEMA,
    SOURCE_SCHEMA,
    UNKNOWN_SCHEMA,
    VERSION_SCHEMA,
    SideSpec,
)

__all__ = [
    "BLOCKS",
    "BOOKKEEPING",
    "CONFLICT_SCHEMA",
    "DAY_KEY",
    "ERROR_SCHEMA",
    "FEATURES",
    "FINDING_SCHEMA",
    "IDENTICAL_SCHEMA",
    "QUARANTINE_SCHEMA",
    "SCOPE",
    "SIDE_TABLES",
    "SOURCE_READ_SCHEMA",
    "SOURCE_SCHEMA",
    "TABLES",
    "TRAINING_DATE",
    "UNKNOWN_SCHEMA",
    "VERSION_SCHEMA",
    "Feature",
    "Shape",
    "SideSpec",
    "TableSpec",
    "calendar_date",
    "conform",
    "table_schema",
]

#: Scope columns, in order, on every table (``enterprise``, ``org``, ``team``), and what identifies a day of a
#: scope: the key every table starts with (the scope, then ``date``). Declared in ``_keys`` (below the side tables).
SCOPE = _keys.SCOPE
DAY_KEY = _keys.DAY_KEY

#: What a ``shape`` note (``"key:absent"``, ``"key:null"``) says of its key: missing from its object, or null;
#: in the successor reports' tables also ``bool_as_int``, a flag written ``0``/``1``.
Shape = Literal["absent", "null", "bool_as_int"]

#: Bookkeeping columns, in order, at the end of every table.
BOOKKEEPING: dict[str, pl.DataType] = {
    "source": pl.String(),
    "extras": pl.String(),
    "shape": pl.List(pl.String()),
}


@dataclass(frozen=True)
class Feature:
    """A feature block of a day: where it is in the JSON, what it is called, and its tables.

    Attributes
    ----------
    name:
        The short name, the prefix of the metric columns (``completions_share``...).
    block:
        The key of the day object holding it (``copilot_ide_code_completions``).
    label:
        The name shown to people (charts, report).
    leaf:
        The table of its event counts (suggestions, chats, PR summaries...).
    """

    name: str
    block: str
    label: str
    leaf: str

    @property
    def users_column(self) -> str:
        """The column of ``days`` holding the block's own ``total_engaged_users``."""
        return f"{self.name}_engaged_users"

    @property
    def users_key(self) -> str:
        """Where :attr:`users_column` is read in a day: the block's ``total_engaged_users``, as a path."""
        return f"{self.block}.total_engaged_users"

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables whose rows come from the block, parents first.

        >>> FEATURES["ide_chat"].tables
        ('ide_chat_editors', 'ide_chat')
        """
        return tuple(name for name, spec in TABLES.items() if spec.block == self.block)

    @property
    def distinct_by_grain(self) -> dict[frozenset[str], str]:
        """The table counting the feature's distinct engaged users at each grain (its set of dimensions).

        Each table counts them at exactly its own dimensions, ``days`` at the feature's (no dimension):

        >>> {tuple(sorted(dims)): name for dims, name in FEATURES["pull_requests"].distinct_by_grain.items()}
        {(): 'days', ('repository',): 'pull_requests_repositories', ('model', 'repository'): 'pull_requests'}
        """
        return {frozenset(): "days", **{frozenset(TABLES[name].dimensions): name for name in self.tables}}


#: The four feature blocks of a day, by short name, in the order of the API's documentation.
FEATURES: dict[str, Feature] = {
    feature.name: feature
    for feature in (
        Feature("completions", "copilot_ide_code_completions", "Code completions", "completions"),
        Feature("ide_chat", "copilot_ide_chat", "IDE chat", "ide_chat"),
        Feature("dotcom_chat", "copilot_dotcom_chat", "github.com chat", "dotcom_chat"),
        Feature("pull_requests", "copilot_dotcom_pull_requests", "PR summaries", "pull_requests"),
    )
}

#: The four feature blocks of a day, and the column of ``days`` holding each one's engaged users.
BLOCKS: dict[str, str] = {feature.block: feature.users_column for feature in FEATURES.values()}

#: The measure of the model tables holding a custom model's training date (a date, or null).
TRAINING_DATE = "custom_model_training_date"

_MODEL_ATTRS: dict[str, pl.DataType] = {"is_custom_model": pl.Boolean(), TRAINING_DATE: pl.Date()}


def calendar_date(text: pl.Expr) -> pl.Expr:
    """``text`` as a ``pl.Date`` where it is a calendar date by the schema's ``date`` format, else null.

    The Polars form of :func:`copilot_metrics._schema.is_date`: ``YYYY-MM-DD`` in ASCII digits, a real
    day, year 0001 or later (Polars parses year 0, which Python cannot hold).

    >>> texts = pl.Series(["2024-02-29", "2023-02-29", "0000-01-01", "2024-1-01", None])
    >>> pl.select(calendar_date(pl.lit(texts))).to_series().to_list()
    [datetime.date(2024, 2, 29), None, None, None, None]
    """
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(text.str.contains(f"^{_schema.DATE_PATTERN}$") & (parsed.dt.year() >= 1)).then(parsed)


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
    def lineage(self) -> tuple[TableSpec, ...]:
        """The tables from the one directly under ``days`` down to this one, parents first.

        >>> [spec.name for spec in TABLES["completions"].lineage]
        ['completions_editors', 'completions_models', 'completions']
        """
        chain = [self]
        while chain[0].parent not in (None, "days"):
            chain.insert(0, TABLES[str(chain[0].parent)])
        return tuple(chain)

    @property
    def block(self) -> str | None:
        """The feature block the table's rows come from (``None`` for ``days``)."""
        top = self.lineage[0]
        return top.array.split(".", 1)[0] if top.array else None

    @property
    def has_training_date(self) -> bool:
        """The table's objects hold a :data:`TRAINING_DATE` (the model tables)."""
        return TRAINING_DATE in self.measures

    @property
    def json_keys(self) -> tuple[str, ...]:
        """The keys from a day down to the table's objects, without the array indexes.

        >>> TABLES["completions"].json_keys
        ('copilot_ide_code_completions', 'editors', 'models', 'languages')
        """
        return tuple(step for spec in self.lineage if spec.array for step in spec.array.split("."))

    @property
    def json_path(self) -> str:
        """The JSON path of the table's objects, with ``{column}`` placeholders for the date and dimensions.

        >>> TABLES["completions_models"].json_path
        '$[date={date}].copilot_ide_code_completions.editors[name={editor}].models[name={model}]'
        """
        if self.parent is None:
            return "$[date={date}]"
        steps = "".join(f".{spec.array}[name={{{spec.dimension}}}]" for spec in self.lineage)
        return "$[date={date}]" + steps


_I = pl.Int64()
_SPECS = (
    TableSpec(
        "days",
        None,
        None,
        None,
        {"total_active_users": _I, "total_engaged_users": _I, **dict.fromkeys(BLOCKS.values(), _I)},
        "one row per day of each scope",
    ),
    TableSpec(
        "completions_languages",
        "days",
        "copilot_ide_code_completions.languages",
        "language",
        {"total_engaged_users": _I},
        "one row per language and day: completion users of a language across all editors",
    ),
    TableSpec(
        "completions_editors",
        "days",
        "copilot_ide_code_completions.editors",
        "editor",
        {"total_engaged_users": _I},
        "one row per editor and day: completion users of an editor",
    ),
    TableSpec(
        "completions_models",
        "completions_editors",
        "models",
        "model",
        {**_MODEL_ATTRS, "total_engaged_users": _I},
        "one row per editor, model and day",
    ),
    TableSpec(
        "completions",
        "completions_models",
        "languages",
        "language",
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
        "ide_chat_editors",
        "days",
        "copilot_ide_chat.editors",
        "editor",
        {"total_engaged_users": _I},
        "one row per editor and day: IDE chat users of an editor",
    ),
    TableSpec(
        "ide_chat",
        "ide_chat_editors",
        "models",
        "model",
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
        "dotcom_chat",
        "days",
        "copilot_dotcom_chat.models",
        "model",
        {**_MODEL_ATTRS, "total_engaged_users": _I, "total_chats": _I},
        "one row per model and day: Copilot chat on github.com",
    ),
    TableSpec(
        "pull_requests_repositories",
        "days",
        "copilot_dotcom_pull_requests.repositories",
        "repository",
        {"total_engaged_users": _I},
        "one row per repository and day: users of pull-request summaries",
    ),
    TableSpec(
        "pull_requests",
        "pull_requests_repositories",
        "models",
        "model",
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
    """Return the Polars schema of table ``name``: one of the ten tables, or a side table.

    >>> table_schema("completions_editors").names()[:6]
    ['enterprise', 'org', 'team', 'date', 'editor', 'total_engaged_users']
    >>> table_schema("conflicts").names()[-2:]
    ['kept_source', 'other_source']
    """
    return TABLES[name].schema if name in TABLES else SIDE_TABLES[name].schema


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with exactly the declared columns of table or side table ``name``, in order and dtype.

    >>> conform("days", pl.DataFrame(schema=table_schema("days")).select(pl.all().reverse())).columns[:4]
    ['enterprise', 'org', 'team', 'date']
    """
    schema = table_schema(name)
    missing = [c for c in schema.names() if c not in frame.columns]
    if missing:
        raise CopilotMetricsError(
            f"table {name!r} lacks column(s) {missing} of its declared schema",
            table=name,
            column=missing[0],
            hint="use a dataset returned by copilot_metrics.load",
        )
    return frame.select(schema.names()).cast(schema)
