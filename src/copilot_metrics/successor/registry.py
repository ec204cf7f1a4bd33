"""The tables of GitHub's successor usage-metrics reports, declared once (SUCCESSOR.md §5.2).

Each :class:`ReportTable` says which record grain its rows come from (``aggregate``, ``user``,
``user_team``, ``repo``, ``wrapper``), where in that record (``parent`` table and the relative
JSON path ``at``), its dimension columns and, for every column, its dtype, its kind and the JSON
key it is read from.  The flattener, the validator, the rebuilder and the pandera contracts all
read this module; nothing else states a column.

Every table starts with the scope ``enterprise_id``, ``organization_id`` (the report's ids), the
labels ``enterprise``, ``org`` and ``date`` (the record's ``day``), then the record's id
(``user_id``; ``team_id, user_id``; ``repo_id``), its dimensions and measures, and ends with
``source``, ``extras`` (unknown keys verbatim, as a JSON object mirroring where they were),
``shape`` (``key:absent`` / ``key:null`` for every known key that was absent or null, dotted for
nested keys; ``key:bool_as_int`` for a flag written 0/1) and ``report_id``.

Column kinds: ``additive`` (may be summed), ``distinct`` (distinct users of one day),
``snapshot`` (a windowed count as GitHub reported it), ``average``, ``quantile``, ``flag``,
``attribute``; the scope, date, ids and dimensions are ``key``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

__all__ = [
    "CLIENT_KEYS",
    "CUSTOMIZATION_CATEGORIES",
    "DRIFT_SCHEMA",
    "FINDING_SCHEMA",
    "KINDS",
    "LOGIN_SCHEMA",
    "MERGED_REPORT_SCHEMA",
    "PSEUDONYMS",
    "QUARANTINE_SCHEMA",
    "QUASI_IDENTIFIERS",
    "RECORD_IDS",
    "REPORT_SCHEMA",
    "SCOPE",
    "TABLES",
    "VOCABULARY",
    "Column",
    "Privacy",
    "Pseudonym",
    "ReportTable",
    "column_kind",
    "report_tables",
]

Kind = Literal["key", "additive", "distinct", "snapshot", "average", "quantile", "flag", "attribute"]
Grain = Literal["aggregate", "user", "user_team", "repo", "wrapper"]

#: The column kinds, in the order of SUCCESSOR.md §2 (``key`` for scope, date, ids, dimensions).
KINDS: tuple[str, ...] = ("key", "additive", "distinct", "snapshot", "average", "quantile", "flag", "attribute")

_S, _I, _F, _B, _D = pl.String(), pl.Int64(), pl.Float64(), pl.Boolean(), pl.Date()
_T = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    """One column: its name, dtype, kind and the dotted JSON key it is read from.

    ``json`` is ``None`` for a column that is not read from the object (labels, computed
    timestamps, ``flavor``); ``parsed_from`` names the ``*_raw`` column a timestamp is parsed from.
    """

    name: str
    dtype: pl.DataType
    kind: Kind
    json: str | None = None
    parsed_from: str | None = None


def _c(name: str, dtype: pl.DataType, kind: Kind, json: str | None = "") -> Column:
    return Column(name, dtype, kind, name if json == "" else json)


#: Scope columns, in order, at the start of every table.
SCOPE: tuple[Column, ...] = (
    _c("enterprise_id", _S, "key"),
    _c("organization_id", _S, "key"),
    _c("enterprise", _S, "key", None),
    _c("org", _S, "key", None),
    _c("date", _D, "key", "day"),
)

#: The id columns of each record grain, after the scope.
RECORD_IDS: dict[str, tuple[Column, ...]] = {
    "aggregate": (),
    "user": (_c("user_id", _I, "key"),),
    "user_team": (_c("team_id", _I, "key"), _c("user_id", _I, "key")),
    "repo": (_c("repo_id", _I, "key"),),
    "wrapper": (),
}


@dataclass(frozen=True)
class Pseudonym:
    """How one id column is pseudonymized (SUCCESSOR.md §5.9): ``id`` becomes ``pid``, ``drops`` leave with it.

    ``pid`` is text: ``prefix`` + the first 16 hex digits of HMAC-SHA256(key, ``b"<kind>_id:"`` +
    the decimal id) (:func:`copilot_metrics.pseudonym`).
    """

    kind: str
    id: str
    pid: str
    prefix: str
    drops: tuple[str, ...]


#: The ids a pseudonymized dataset may hold as pseudonyms, by kind: ``user`` always, ``team`` and
#: ``repo`` on request (``pseudonymize(teams=True, repositories=True)``).
PSEUDONYMS: dict[str, Pseudonym] = {
    p.kind: p
    for p in (
        Pseudonym("user", "user_id", "user_pid", "u_", ("user_login",)),
        Pseudonym("team", "team_id", "team_pid", "t_", ("slug",)),
        Pseudonym("repo", "repo_id", "repo_pid", "r_", ("repo_owner_name", "repo_name")),
    )
}
#: Versions and sampling times: with the day, they single a person out (dropped unless kept on request).
QUASI_IDENTIFIERS: tuple[str, ...] = (
    "ide_version",
    "plugin",
    "plugin_version",
    "ide_sampled_at",
    "ide_sampled_at_raw",
    "plugin_sampled_at",
    "plugin_sampled_at_raw",
    "client_version",
    "sampled_at",
    "sampled_at_raw",
)


@dataclass(frozen=True)
class Privacy:
    """A pseudonymized form of the successor tables: which ids became pseudonyms, which columns left.

    Applied to a table's declared columns (:meth:`ReportTable.pseudonymized`), it gives the
    pseudonymized table's columns: each id of ``kinds`` replaced, in place, by its pseudonym (a
    ``String`` key column, :data:`PSEUDONYMS`), the labels dropped with it, and with
    ``quasi_identifiers_dropped`` the :data:`QUASI_IDENTIFIERS`.  A pseudonymized dataset says
    which form it has in its ``meta`` (:meth:`meta`, read back by :meth:`of`).

    >>> TABLES["user_teams"].pseudonymized(Privacy()).key[-2:]
    ('team_id', 'user_pid')
    """

    kinds: tuple[str, ...] = ("user",)
    quasi_identifiers_dropped: bool = True

    def renamed(self, column: str) -> str:
        """The name ``column`` has in this form (an id of ``kinds``: its pseudonym)."""
        return next((PSEUDONYMS[k].pid for k in self.kinds if PSEUDONYMS[k].id == column), column)

    @property
    def dropped(self) -> frozenset[str]:
        """The columns this form drops."""
        quasi = QUASI_IDENTIFIERS if self.quasi_identifiers_dropped else ()
        return frozenset((*(d for k in self.kinds for d in PSEUDONYMS[k].drops), *quasi))

    def columns(self, columns: tuple[Column, ...]) -> tuple[Column, ...]:
        """``columns`` in this form: ids become their pseudonyms (text), dropped columns leave."""
        return tuple(
            Column(self.renamed(c.name), _S, c.kind) if self.renamed(c.name) != c.name else c
            for c in columns
            if c.name not in self.dropped
        )

    def meta(self) -> dict[str, str]:
        """What a dataset's ``meta`` says of this form (beside its ``key_fingerprint``)."""
        return {
            "pseudonymized": ", ".join(self.kinds),
            "quasi_identifiers": "dropped" if self.quasi_identifiers_dropped else "kept",
        }

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> Privacy | None:
        """The form a dataset's ``meta`` declares: ``None`` without a ``key_fingerprint`` (not pseudonymized).

        >>> Privacy.of({"key_fingerprint": "0a1b2c3d", "pseudonymized": "user, repo", "quasi_identifiers": "kept"})
        Privacy(kinds=('user', 'repo'), quasi_identifiers_dropped=False)
        """
        if meta.get("key_fingerprint") is None:
            return None
        named = [k.strip() for k in str(meta.get("pseudonymized") or "user").split(",")]
        kinds = tuple(k for k in PSEUDONYMS if k in named)
        return cls(kinds or ("user",), meta.get("quasi_identifiers", "dropped") != "kept")


_BOOK: tuple[Column, ...] = (
    _c("source", _S, "attribute", None),
    _c("extras", _S, "attribute", None),
    Column("shape", pl.List(pl.String()), "attribute"),
    _c("report_id", _S, "attribute", None),
)

_C6 = (
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)
_C7 = ("user_initiated_interaction_count", *_C6)


def _add(*names: str) -> tuple[Column, ...]:
    return tuple(_c(n, _I, "additive") for n in names)


def _dims(*names: str) -> tuple[Column, ...]:
    return tuple(_c(n, _S, "key") for n in names)


@dataclass(frozen=True)
class ReportTable:
    """One successor table: grain, where its rows are in a record, and its columns.

    Attributes
    ----------
    name:
        The table's name (``agg_ide``...).
    grain:
        The record grain whose objects hold the rows.
    parent:
        The table whose JSON object holds this table's objects (``None``: the record itself).
    at:
        The dotted path of the objects in the parent's object; ``many`` when it is an array.
        Empty for the record-level table.  Special tables (``*_clients``,
        ``*_cli_customization``, ``agg_engagement``) read several keys: see :data:`CLIENT_KEYS`.
    dims:
        The dimension columns (read from the objects), after the record ids.
    measures:
        The other columns read from the objects (or computed), in order.
    doc:
        The grain, in words.
    """

    name: str
    grain: Grain
    parent: str | None
    at: str
    many: bool
    dims: tuple[Column, ...]
    measures: tuple[Column, ...]
    doc: str
    privacy: Privacy | None = None

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column, in order (in the table's pseudonymized form when it has one)."""
        columns = (*SCOPE, *RECORD_IDS[self.grain], *self.dims, *self.measures, *_BOOK)
        return self.privacy.columns(columns) if self.privacy else columns

    @property
    def key(self) -> tuple[str, ...]:
        """The natural key: scope, date, record ids (their pseudonyms in a pseudonymized form), dimensions."""
        names = (*(c.name for c in SCOPE), *(c.name for c in RECORD_IDS[self.grain]), *(c.name for c in self.dims))
        return tuple(self.privacy.renamed(n) for n in names) if self.privacy else names

    def pseudonymized(self, privacy: Privacy | None) -> ReportTable:
        """The table in the pseudonymized form ``privacy`` (``None``: as declared, identified)."""
        return dataclasses.replace(self, privacy=privacy)

    @property
    def schema(self) -> pl.Schema:
        """The Polars schema of the table, in column order (never a ``Null`` dtype)."""
        return pl.Schema({c.name: c.dtype for c in self.columns})

    @property
    def kinds(self) -> dict[str, str]:
        """Each column's kind, by name."""
        return {c.name: c.kind for c in self.columns}

    @property
    def json_path(self) -> str:
        """The JSON path of the table's objects relative to a record (``$`` is the record).

        >>> TABLES["agg_pr_comment_type"].json_path
        '$.pull_requests.copilot_suggestions_by_comment_type[*]'
        """
        steps: list[str] = []
        spec: ReportTable | None = self
        while spec is not None and spec.at:
            steps.insert(0, spec.at + ("[*]" if spec.many else ""))
            spec = TABLES[spec.parent] if spec.parent else None
        return "$" + "".join("." + s for s in steps)


def _ts(name: str, json: str) -> tuple[Column, Column]:
    return Column(name, _T, "attribute", None, parsed_from=f"{name}_raw"), _c(f"{name}_raw", _S, "attribute", json)


_DAY_DIST = (
    "daily_active_users",
    "daily_active_cli_users",
    "daily_active_chat_users",
    "daily_active_agent_users",
    "daily_active_copilot_cloud_agent_users",
    "daily_active_copilot_code_review_users",
    "daily_passive_copilot_code_review_users",
    "daily_active_copilot_app_users",
    "daily_active_vscode_agent_users",
)
_SNAP = (
    "weekly_active_users",
    "monthly_active_users",
    "monthly_active_chat_users",
    "monthly_active_agent_users",
    "weekly_active_copilot_cloud_agent_users",
    "monthly_active_copilot_cloud_agent_users",
    "weekly_active_copilot_code_review_users",
    "monthly_active_copilot_code_review_users",
    "weekly_passive_copilot_code_review_users",
    "monthly_passive_copilot_code_review_users",
    "weekly_active_cli_users",
    "monthly_active_cli_users",
    "weekly_active_copilot_app_users",
    "monthly_active_copilot_app_users",
    "weekly_active_vscode_agent_users",
    "monthly_active_vscode_agent_users",
)
#: The five CLI customization arrays (``totals_by_<category>``), each element ``{<category>, interaction_count}``.
CUSTOMIZATION_CATEGORIES: tuple[str, ...] = ("skill", "custom_agent", "mcp", "slash_cmd", "plugin")
_DISTINCT_USE = tuple(f"distinct_{c}_use_count" for c in CUSTOMIZATION_CATEGORIES)
_FLAGS = (
    "used_agent",
    "used_chat",
    "used_cli",
    "used_copilot_coding_agent",
    "used_copilot_cloud_agent",
    "used_copilot_code_review_active",
    "used_copilot_code_review_passive",
    "used_copilot_app",
    "used_vscode_agent",
)
_HOUSEKEEPING = (
    _c("etl_id", _S, "attribute"),
    _c("day_partition", _S, "attribute"),
    _c("entity_id_partition", _I, "attribute"),
)

_PR_TOTALS = _add(
    "total_created",
    "total_reviewed",
    "total_merged",
    "total_suggestions",
    "total_applied_suggestions",
    "total_copilot_suggestions",
    "total_copilot_applied_suggestions",
    "total_created_by_copilot",
    "total_reviewed_by_copilot",
    "total_merged_created_by_copilot",
    "total_merged_reviewed_by_copilot",
)
_PR_MEDIANS = tuple(
    _c(n, _F, "quantile")
    for n in (
        "median_minutes_to_merge",
        "median_minutes_to_merge_copilot_authored",
        "median_minutes_to_merge_copilot_reviewed",
    )
)

#: The client objects of a record (``totals_by_<client>``) and their client names; any other
#: ``totals_by_<x>`` holding an object is a new client ``<x>``.
CLIENT_KEYS: dict[str, str] = {
    "totals_by_cli": "cli",
    "totals_by_copilot_app": "copilot_app",
    "totals_by_vscode_agent": "vscode_agent",
}
_CLIENT_MEASURES = (
    *_add("session_count", "request_count", "prompt_count"),
    _c("output_tokens_sum", _I, "additive", "token_usage.output_tokens_sum"),
    _c("prompt_tokens_sum", _I, "additive", "token_usage.prompt_tokens_sum"),
    _c("avg_tokens_per_request", _F, "average", "token_usage.avg_tokens_per_request"),
    *_add("total_user_messages"),
)
_PHASE_AVGS = tuple(
    _c(n, _F, "average")
    for n in (
        "avg_user_initiated_interactions",
        "avg_code_generation_activities",
        "avg_code_acceptance_activities",
        "avg_loc_added",
        "avg_loc_deleted",
        "avg_pull_requests_reviewed",
        "avg_pull_requests_created",
        "avg_pull_requests_merged",
        "avg_pull_requests_median_minutes_to_merge",
    )
)
_REVIEW_Q = tuple(
    _c(f"{q}_minutes_{stage}", _F, "quantile")
    for stage in ("ready_to_first_review", "first_to_final_review", "final_review_to_merge")
    for q in ("median", "p90")
)


def _twins(prefix: str, grain: Grain, parent: str) -> tuple[ReportTable, ...]:
    """The breakdown tables an aggregate record and a user record share."""
    user = grain == "user"
    ide_extra: tuple[Column, ...] = ()
    client_extra: tuple[Column, ...] = ()
    if user:
        ide_extra = (
            _c("ide_version", _S, "attribute", "last_known_ide_version.ide_version"),
            *_ts("ide_sampled_at", "last_known_ide_version.sampled_at"),
            _c("plugin", _S, "attribute", "last_known_plugin_version.plugin"),
            _c("plugin_version", _S, "attribute", "last_known_plugin_version.plugin_version"),
            *_ts("plugin_sampled_at", "last_known_plugin_version.sampled_at"),
        )
        client_extra = (
            _c("client_version", _S, "attribute", "last_known_cli_version.cli_version"),
            *_ts("sampled_at", "last_known_cli_version.sampled_at"),
        )
    agent = (_c("agent_id", _I, "key"),)
    agent_measures = (_c("agent_name", _S, "attribute"), *_add("user_initiated_interaction_count", "session_count"))
    return (
        ReportTable(
            f"{prefix}_ide",
            grain,
            parent,
            "totals_by_ide",
            True,
            _dims("ide"),
            (*_add(*_C7), *ide_extra),
            "one row per IDE of a record (excludes the CLI)",
        ),
        ReportTable(
            f"{prefix}_feature",
            grain,
            parent,
            "totals_by_feature",
            True,
            _dims("feature"),
            _add(*_C7),
            "one row per feature of a record",
        ),
        ReportTable(
            f"{prefix}_language_feature",
            grain,
            parent,
            "totals_by_language_feature",
            True,
            _dims("language", "feature"),
            _add(*_C6),
            "one row per language and feature of a record",
        ),
        ReportTable(
            f"{prefix}_language_model",
            grain,
            parent,
            "totals_by_language_model",
            True,
            _dims("language", "model"),
            _add(*_C6),
            "one row per language and model (never completions)",
        ),
        ReportTable(
            f"{prefix}_model_feature",
            grain,
            parent,
            "totals_by_model_feature",
            True,
            _dims("model", "feature"),
            _add(*_C7),
            "one row per model and feature (never completions)",
        ),
        ReportTable(
            f"{prefix}_clients",
            grain,
            parent,
            "totals_by_<client>",
            False,
            (Column("client", _S, "key"),),
            (*_CLIENT_MEASURES, *client_extra),
            "one row per client object (cli, copilot_app, vscode_agent, or a new totals_by_<x>)",
        ),
        ReportTable(
            f"{prefix}_third_party_agent",
            grain,
            parent,
            "totals_by_3rd_party_agent",
            True,
            agent,
            agent_measures,
            "one row per third-party agent (uic = job starts)",
        ),
        ReportTable(
            f"{prefix}_cli_customization",
            grain,
            parent,
            "totals_by_<category>",
            True,
            (Column("category", _S, "key"), Column("name", _S, "key")),
            (_c("interaction_count", _I, "additive"),),
            "one row per top-N CLI customization (skill, custom_agent, mcp, slash_cmd, plugin): not exhaustive",
        ),
    )


_SPECS: tuple[ReportTable, ...] = (
    ReportTable(
        "agg_days",
        "aggregate",
        None,
        "",
        False,
        (),
        (
            *(_c(n, _I, "distinct") for n in _DAY_DIST),
            *(_c(n, _I, "snapshot") for n in _SNAP),
            *_add(*_C7),
            *(_c(n, _I, "distinct") for n in _DISTINCT_USE),
            *_HOUSEKEEPING,
        ),
        "one row per aggregate day of a scope (a 1-day file, or an element of a wrapper's day_totals)",
    ),
    *_twins("agg", "aggregate", "agg_days"),
    ReportTable(
        "agg_adoption_phase",
        "aggregate",
        "agg_days",
        "totals_by_ai_adoption_phase",
        True,
        (_c("phase_number", _I, "key"), _c("phase", _S, "key")),
        (_c("total_engaged_users", _I, "distinct"), _c("users_in_phase_28d", _I, "distinct"), *_PHASE_AVGS),
        "one row per AI adoption phase of an aggregate day",
    ),
    ReportTable(
        "agg_pull_requests",
        "aggregate",
        "agg_days",
        "pull_requests",
        False,
        (),
        (*_PR_TOTALS, *_PR_MEDIANS),
        "one row per aggregate day with a pull_requests object",
    ),
    ReportTable(
        "agg_pr_comment_type",
        "aggregate",
        "agg_pull_requests",
        "copilot_suggestions_by_comment_type",
        True,
        _dims("comment_type"),
        _add("total_copilot_suggestions", "total_copilot_applied_suggestions"),
        "one row per Copilot review comment type of an aggregate day",
    ),
    ReportTable(
        "agg_engagement",
        "wrapper",
        None,
        "copilot_feature_engagement",
        False,
        _dims("feature"),
        (_c("engaged_user_count", _I, "distinct"),),
        "one row per feature of a 28-day wrapper's copilot_feature_engagement (date = report_end_day; "
        "active_user_count as feature '__any__')",
    ),
    ReportTable(
        "user_days",
        "user",
        None,
        "",
        False,
        (),
        (
            _c("user_login", _S, "attribute"),
            _c("report_start_day", _D, "attribute"),
            _c("report_end_day", _D, "attribute"),
            *_add(*_C7),
            _c("ai_credits_used", _F, "additive"),
            *(_c(n, _B, "flag") for n in _FLAGS),
            _c("phase", _S, "attribute", "ai_adoption_phase.phase"),
            _c("phase_number", _I, "attribute", "ai_adoption_phase.phase_number"),
            _c("phase_version", _S, "attribute", "ai_adoption_phase.version"),
            *(_c(n, _I, "distinct") for n in _DISTINCT_USE),
            *_HOUSEKEEPING,
            _c("flavor", _S, "attribute", None),
        ),
        "one row per user-day of a scope (users-1-day, users-28-day)",
    ),
    *_twins("user", "user", "user_days"),
    ReportTable(
        "user_teams",
        "user_team",
        None,
        "",
        False,
        (),
        (_c("slug", _S, "attribute"), _c("user_login", _S, "attribute")),
        "one row per (team, user) of a day (teams under 5 seated users are omitted by GitHub)",
    ),
    ReportTable(
        "repo_days",
        "repo",
        None,
        "",
        False,
        (),
        (
            _c("repo_owner_name", _S, "attribute"),
            _c("repo_name", _S, "attribute"),
            _c("repo_visibility", _S, "attribute"),
            *(Column(c.name, c.dtype, c.kind, f"pull_requests.{c.name}") for c in (*_PR_TOTALS, *_PR_MEDIANS)),
        ),
        "one row per repository-day with pull-request activity",
    ),
    ReportTable(
        "repo_pr_comment_type",
        "repo",
        "repo_days",
        "pull_requests.copilot_suggestions_by_comment_type",
        True,
        _dims("comment_type"),
        _add("total_copilot_suggestions", "total_copilot_applied_suggestions"),
        "one row per Copilot review comment type of a repository-day",
    ),
    ReportTable(
        "repo_review_times",
        "repo",
        "repo_days",
        "pull_request_review_times",
        True,
        _dims("authored_by", "reviewed_by"),
        (_c("total_merged", _I, "additive"), *_REVIEW_Q),
        "one row per (author, reviewer) kind of a repository-day's merged PRs ([] gives no row)",
    ),
)

#: Every successor table, by name, parents before children.
TABLES: dict[str, ReportTable] = {spec.name: spec for spec in _SPECS}


@functools.cache
def report_tables(privacy: Privacy | None = None) -> dict[str, ReportTable]:
    """Every successor table in the form ``privacy`` (``None``: :data:`TABLES`; see :meth:`Privacy.of`).

    >>> days = report_tables(Privacy())["user_days"].schema
    >>> days["user_pid"], "user_id" in days, "user_login" in days
    (String, False, False)
    """
    return TABLES if privacy is None else {name: spec.pseudonymized(privacy) for name, spec in TABLES.items()}


#: Documented values; others are kept and reported (``unknown_value``).
VOCABULARY: dict[str, frozenset[object]] = {
    "feature": frozenset(
        {
            "code_completion",
            "chat_inline",
            "chat_panel_ask_mode",
            "chat_panel_edit_mode",
            "chat_panel_agent_mode",
            "chat_panel_plan_mode",
            "chat_panel_custom_mode",
            "chat_panel_unknown_mode",
            "agent_edit",
            "copilot_cli",
            "others",
            "copilot_app",
        }
    ),
    "phase_number": frozenset({0, 1, 2, 3}),
    # no documented list: the values seen in the shared sample and the fixtures (others: unknown_value)
    "comment_type": frozenset({"bug", "style", "security", "performance", "best_practices"}),
    "repo_visibility": frozenset({"PRIVATE", "INTERNAL", "PUBLIC"}),
}


def column_kind(table: str, column: str) -> str:
    """The kind of ``column`` in successor table ``table``.

    >>> column_kind("agg_days", "monthly_active_users"), column_kind("agg_ide", "loc_added_sum")
    ('snapshot', 'additive')
    """
    kinds = TABLES[table].kinds
    if column not in kinds:
        raise KeyError(f"table {table!r} has no column {column!r}")
    return kinds[column]


# ---------------------------------------------------------------- side tables

#: ``reports``: one row per report of a file (shards of one report share ``report_id``).
REPORT_SCHEMA = pl.Schema(
    {
        "report_id": _S,
        "source": _S,
        "kind": _S,
        "level": _S,
        "grain": _S,
        "span": _S,
        "layout": _S,
        "enterprise_id": _S,
        "organization_id": _S,
        "window_start": _D,
        "window_end": _D,
        "created_at": _T,
        "created_at_raw": _S,
        "shards": _I,
        "records": _I,
        "days_present": _I,
        "days_in_window": _I,
        "days_absent": _I,
        "first_date": _D,
        "last_date": _D,
        "wrappers_json": pl.List(_S),
        "wrapper_days": pl.List(pl.List(_D)),
    }
)
#: ``schema_drift``: one row per (grain, path, type) the registry does not know.
DRIFT_SCHEMA = pl.Schema(
    {
        "grain": _S,
        "path": _S,
        "example_type": _S,
        "first_date": _D,
        "last_date": _D,
        "files": _I,
        "records": _I,
        "status": _S,
    }
)
#: Findings of a report file (the legacy ``findings`` columns with ids instead of labels).
FINDING_SCHEMA = pl.Schema(
    {
        "source": _S,
        "enterprise_id": _S,
        "organization_id": _S,
        "date": _D,
        "table": _S,
        "json_path": _S,
        "rule": _S,
        "severity": _S,
        "message": _S,
        "value": _S,
    }
)
#: Records set aside: verbatim, with every reason (one per type error, with its JSON path).
QUARANTINE_SCHEMA = pl.Schema(
    {
        "source": _S,
        "json_path": _S,
        "grain": _S,
        "date": _S,
        "stage": _S,
        "reasons": pl.List(_S),
        "record_json": _S,
    }
)
#: ``user_logins``: one row per (user_id, user_login) seen.
LOGIN_SCHEMA = pl.Schema({"user_id": _I, "user_login": _S, "first_date": _D, "last_date": _D, "rows": _I})
#: ``ds.reports``: :data:`REPORT_SCHEMA` with the files of each report (``source`` is the first of
#: ``shard_sources``), its precedence and what became of its (scope, family, date) units
#: (:mod:`copilot_metrics.merge.reports`).
MERGED_REPORT_SCHEMA = pl.Schema(
    {
        **REPORT_SCHEMA,
        "shard_sources": pl.List(pl.String()),
        "export_time": pl.Datetime("us"),
        "precedence_basis": pl.String(),
        "rank": pl.Int64(),
        "days_kept": pl.Int64(),
        "days_identical": pl.Int64(),
        "days_superseded": pl.Int64(),
    }
)
