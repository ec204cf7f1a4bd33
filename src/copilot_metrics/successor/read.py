"""Reading one successor report file: layout, record classification, validation, flattening.

:func:`read_bytes` takes the bytes of one file and returns a :class:`ReportRead`: the typed
tables of :mod:`copilot_metrics.successor.registry`, one ``reports`` row per report the file
holds, the ``schema_drift`` rows, the findings found while reading, the records set aside
(``quarantine``) and ``user_logins``.  Files are told apart by content, never by name
(SUCCESSOR.md §1.3, §1.4).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import orjson
import polars as pl

from copilot_metrics.decode import parse_documents
from copilot_metrics.errors import CopilotMetricsError, Detected, FormatError, ScopeError
from copilot_metrics.findings import RULES as FINDING_RULES
from copilot_metrics.findings import Rule, Severity
from copilot_metrics.successor._tree import Tree, children, tree
from copilot_metrics.successor.registry import (
    DRIFT_SCHEMA,
    FINDING_SCHEMA,
    LOGIN_SCHEMA,
    QUARANTINE_SCHEMA,
    RECORD_IDS,
    REPORT_SCHEMA,
    TABLES,
    VOCABULARY,
    Column,
    ReportTable,
)

__all__ = [
    "RULES",
    "ReportRead",
    "ReportValidationError",
    "classify_record",
    "is_report",
    "parse_timestamp",
    "read_bytes",
]

#: The rules of the findings :func:`read_bytes` reports; each declared once, with its severity and
#: meaning, in :data:`copilot_metrics.findings.RULES`.
READ_RULES: tuple[Rule, ...] = (
    "unknown_field",
    "unknown_value",
    "new_client",
    "dates_not_in_order",
    "window_day_absent",
    "provisional_day",
    "login_changed",
    "derived_user_export",
    "unparseable_timestamp",
    "acceptances_exceed_generations",
    "shard_conflict",
    "booleans_as_0_1",
    "kind_differs_from_name",
)
#: rule -> (severity, meaning) of the findings :func:`read_bytes` reports (from :data:`READ_RULES`).
RULES: dict[Rule, tuple[Severity, str]] = {rule: FINDING_RULES[rule] for rule in READ_RULES}

_WRAPPER, _USER_TEAM, _REPO, _USER, _AGGREGATE = "wrapper", "user_team", "repo", "user", "aggregate"
_RECORD_GRAINS = (_USER_TEAM, _REPO, _USER, _AGGREGATE)
_LEGACY_BLOCKS = frozenset(
    {
        "copilot_ide_code_completions",
        "copilot_ide_chat",
        "copilot_dotcom_chat",
        "copilot_dotcom_pull_requests",
        "total_active_users",
        "total_engaged_users",
    }
)
_AGGREGATE_KEYS = frozenset({"code_generation_activity_count", "totals_by_feature", "pull_requests"})
_GRAIN_NAMES = {_AGGREGATE: "", _USER: "users-", _USER_TEAM: "user-teams-", _REPO: "repos-"}
_RECORD_TABLE = {_AGGREGATE: "agg_days", _USER: "user_days", _USER_TEAM: "user_teams", _REPO: "repo_days"}


def classify_record(obj: Any) -> str:
    """Classify one parsed JSON value by its keys (SUCCESSOR.md §1.4, first matching rule).

    Returns ``report-links``, ``viewer-user-totals``, ``api-error``, ``legacy`` (a
    /copilot/metrics day), ``wrapper``, ``user_team``, ``repo``, ``user``, ``aggregate`` or
    ``unknown``.

    >>> classify_record({"day": "2026-05-12", "user_id": 1, "user_login": "a"})
    'user'
    >>> classify_record({"report_start_day": "2026-05-01", "day_totals": []})
    'wrapper'
    """
    if not isinstance(obj, dict):
        return "unknown"
    if "download_links" in obj:
        return "report-links"
    if "user_totals" in obj:
        return "viewer-user-totals"
    if "message" in obj and "day" not in obj:
        return "api-error"
    if ("date" in obj or "day" in obj) and not _LEGACY_BLOCKS.isdisjoint(obj):  # also a legacy day renamed
        return "legacy"
    if isinstance(obj.get("day_totals"), list):
        return _WRAPPER
    if "team_id" in obj and "user_id" in obj:
        return _USER_TEAM
    if "repo_id" in obj:
        return _REPO
    if "user_id" in obj and "day" in obj:
        return _USER
    if "day" in obj and (
        not _AGGREGATE_KEYS.isdisjoint(obj) or any("_active_" in k for k in obj if isinstance(k, str))
    ):
        return _AGGREGATE
    return "unknown"


def is_report(obj: Any) -> bool:
    """Whether a parsed JSON value belongs to the successor reports (records, wrappers, or their refusals).

    True for wrappers and every record kind, and for the shapes the successor reader refuses
    with a named ``FormatError`` (``download_links`` metadata, a dashboard's ``user_totals``);
    false for legacy /copilot/metrics days, API errors and anything else.

    >>> is_report({"day": "2026-05-12", "daily_active_users": 3}), is_report({"date": "2024-06-01"})
    (True, False)
    """
    return classify_record(obj) in (_WRAPPER, *_RECORD_GRAINS, "report-links", "viewer-user-totals")


class ReportValidationError(CopilotMetricsError):
    """Records of a report file have values of the wrong type; ``errors`` holds every one.

    Each error is a dict with ``json_path``, ``value``, ``expected`` and ``message``; ``file``
    and ``json_path`` name the first.
    """

    def __init__(self, file: str, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"{file}: {first['message']}{more}",
            file=file,
            json_path=first["json_path"],
            hint="on_invalid='quarantine' sets the records aside verbatim and reads the rest",
        )
        self.errors = errors


@dataclass
class ReportRead:
    """What :func:`read_bytes` read from one file.

    Attributes
    ----------
    source, layout:
        The file's label and layout (``object``, ``array``, ``ndjson``, ``concatenated-json``,
        with ``+gzip``).
    tables:
        Every successor table by name (empty frames with the declared schema where the file has
        no rows), rows in file order.
    reports:
        One row per report (``report_id``) of the file: :data:`~.registry.REPORT_SCHEMA`.
    schema_drift:
        One row per (grain, path, type) not in the registry: :data:`~.registry.DRIFT_SCHEMA`.
    findings:
        What reading found: :data:`~.registry.FINDING_SCHEMA`, rules in :data:`RULES`.
    quarantine:
        Records set aside verbatim with their reasons: :data:`~.registry.QUARANTINE_SCHEMA`.
    user_logins:
        One row per (``user_id``, ``user_login``): :data:`~.registry.LOGIN_SCHEMA`.
    record_kinds:
        The record grains the file holds (one: a file mixing kinds is refused).
    errors:
        With ``on_invalid="quarantine"``, every type error of the records set aside: dicts with
        ``json_path``, ``value``, ``expected``, ``message`` and ``date`` (the record's ``day``).
    """

    source: str
    layout: str
    tables: dict[str, pl.DataFrame]
    reports: pl.DataFrame
    schema_drift: pl.DataFrame
    findings: pl.DataFrame
    quarantine: pl.DataFrame
    user_logins: pl.DataFrame
    record_kinds: tuple[str, ...] = field(default=())
    errors: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------- values

_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp(text: str) -> datetime | None:
    """Parse a timestamp leniently to an aware UTC datetime; ``None`` when it is not one.

    ``T`` or a space between date and time, any number of fraction digits (truncated to
    microseconds), no zone meaning UTC.

    >>> parse_timestamp("2026-05-31 04:12:09.5000000")
    datetime.datetime(2026, 5, 31, 4, 12, 9, 500000, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2026-05-31T06:12:09+02:00").hour, parse_timestamp("yesterday")
    (4, None)
    """
    match = _TS.match(text.strip())
    if not match:
        return None
    y, mo, d, h, mi, s, frac, zone = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), micro, tzinfo=timezone.utc)
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        value -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_JSON_TYPE = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPE.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode() if _json_type(value) != type(value).__name__ else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _check_value(value: Any, column: Column) -> str | None:
    """What is wrong with ``value`` for ``column`` (``None`` when it can be read)."""
    dtype = column.dtype
    if dtype == pl.Int64:
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
        return None if ok else "an integer"
    if dtype == pl.Float64:
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "a number"
    if dtype == pl.Boolean:
        return None if isinstance(value, bool) or (type(value) is int and value in (0, 1)) else "a boolean"
    if dtype == pl.Date:
        if isinstance(value, str) and _DATE.match(value):
            try:
                date.fromisoformat(value)
            except ValueError:
                return "a date (YYYY-MM-DD)"
            return None
        return "a date (YYYY-MM-DD)"
    return None if isinstance(value, str) else "a string"


def _validate(t: Tree, obj: dict[str, Any], path: str, errors: list[dict[str, Any]]) -> None:
    """Collect the type errors of ``obj`` against tree ``t`` (children included), with JSON paths."""
    for key, node in t.items():
        value = obj.get(key)
        if value is None:
            continue
        where = f"{path}.{key}"
        kind = node[0]
        expected: str | None = None
        if kind == "col":
            expected = _check_value(value, node[1])
        elif kind in ("obj", "client"):
            if not isinstance(value, dict):
                expected = "an object"
            else:
                _validate(node[1] if kind == "obj" else tree(node[1].name), value, where, errors)
        elif kind == "child" and not node[1].many:
            if not isinstance(value, dict):
                expected = "an object"
            else:
                _validate(tree(node[1].name), value, where, errors)
        elif not isinstance(value, list):  # an array child, or a customization array
            expected = "an array"
        else:
            sub = tree(node[1].name)
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    errors.append(_error(f"{where}[{i}]", item, "an object"))
                    continue
                if kind == "custom":
                    name = item.get(node[2])
                    if name is not None and not isinstance(name, str):
                        errors.append(_error(f"{where}[{i}].{node[2]}", name, "a string"))
                _validate(sub, item, f"{where}[{i}]", errors)
        if expected:
            errors.append(_error(where, value, expected))


def _error(path: str, value: Any, expected: str) -> dict[str, Any]:
    return {
        "json_path": path,
        "value": _short(value),
        "expected": expected,
        "message": f"{path}: {_short(value)} is not {expected}",
    }


# ---------------------------------------------------------------- flattening


class _Reader:
    """The state of reading one file: rows per table, findings, drift."""

    def __init__(self, label: str, labels: dict[str, str | None]) -> None:
        self.label = label
        self.labels = labels
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.findings: list[dict[str, Any]] = []
        self.drift: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.unknown_seen: set[str] = set()
        self.bool_seen: set[str] = set()

    def finding(
        self, rule: Rule, base: dict[str, Any], table: str | None, path: str | None, message: str, value: Any = None
    ) -> None:
        self.findings.append(
            {
                "source": self.label,
                "enterprise_id": base.get("enterprise_id"),
                "organization_id": base.get("organization_id"),
                "date": base.get("date"),
                "table": table,
                "json_path": path,
                "rule": rule,
                "severity": RULES[rule][0],
                "message": f"{self.label}: {message}",
                "value": None if value is None else str(value),
            }
        )

    def drifted(self, grain: str, path: str, value: Any, day: date | None, record: int) -> None:
        key = (grain, path, _json_type(value))
        row = self.drift.get(key)
        if row is None:
            self.drift[key] = {
                "grain": grain,
                "path": path,
                "example_type": key[2],
                "first_date": day,
                "last_date": day,
                "files": 1,
                "records": 0,
                "status": "unknown",
                "_seen": set(),
            }
            row = self.drift[key]
        if day is not None:
            row["first_date"] = day if row["first_date"] is None else min(row["first_date"], day)
            row["last_date"] = day if row["last_date"] is None else max(row["last_date"], day)
        if record not in row["_seen"]:
            row["_seen"].add(record)
            row["records"] += 1

    def unknown(
        self, grain: str, path: str, value: Any, base: dict[str, Any], table: str, json_path: str, record: int
    ) -> None:
        self.drifted(grain, path, value, base.get("date"), record)
        if path not in self.unknown_seen:
            self.unknown_seen.add(path)
            self.finding(
                "unknown_field",
                base,
                table,
                json_path,
                f"{json_path}: key {path!r} is not in the registry: kept verbatim in extras",
            )

    def vocabulary(
        self, spec: ReportTable, values: dict[str, Any], base: dict[str, Any], path: str, record: int
    ) -> None:
        for column, known in VOCABULARY.items():
            value = values.get(column)
            if value is None or column not in spec.kinds or value in known:
                continue
            drift_path = f"value:{value}"
            new = (spec.grain, drift_path, _json_type(value)) not in self.drift
            self.drifted(spec.grain, drift_path, value, base.get("date"), record)
            if new:
                self.finding(
                    "unknown_value",
                    base,
                    spec.name,
                    f"{path}.{column}",
                    f"{column} {value!r} is not a documented value: kept",
                    value,
                )

    def walk(
        self,
        spec: ReportTable,
        t: Tree,
        obj: dict[str, Any],
        prefix: str,
        row: dict[str, Any],
        shape: list[str],
        extras: dict[str, Any],
        pending: list[tuple[Any, ...]],
        ctx: _Ctx,
        path: str,
    ) -> None:
        """Read ``obj`` into ``row`` against tree ``t``: columns, marks, extras, child objects to read."""
        for key, node in t.items():
            full = prefix + key
            if key not in obj:
                shape.append(f"{full}:absent")
                continue
            value = obj[key]
            if value is None:
                shape.append(f"{full}:null")
                continue
            kind = node[0]
            if kind == "col":
                column: Column = node[1]
                if column.dtype == pl.Boolean and type(value) is int:
                    shape.append(f"{full}:bool_as_int")
                    value = bool(value)
                    if _drift_base(spec) + full not in self.bool_seen:  # once per file and key
                        self.bool_seen.add(_drift_base(spec) + full)
                        self.finding(
                            "booleans_as_0_1",
                            ctx.base,
                            spec.name,
                            f"{path}.{key}",
                            f"{path}.{key}: {obj[key]} written for a boolean: read as {value}",
                            obj[key],
                        )
                elif column.dtype == pl.Int64 and isinstance(value, float):
                    value = int(value)
                elif column.dtype == pl.Float64:
                    value = float(value)
                elif column.dtype == pl.Date:
                    value = date.fromisoformat(value)
                row[column.name] = value
            elif kind == "obj":
                sub: dict[str, Any] = {}
                self.walk(spec, node[1], value, full + ".", row, shape, sub, pending, ctx, f"{path}.{key}")
                if sub:
                    extras[key] = sub
            else:
                pending.append((node, value, f"{path}.{key}"))
        base_path = _drift_base(spec) + prefix
        for key, value in obj.items():
            if key in t:
                continue
            if (
                not prefix
                and spec.parent is None
                and spec.grain in (_AGGREGATE, _USER)
                and isinstance(key, str)
                and key.startswith("totals_by_")
                and isinstance(value, dict)
            ):
                client_spec = next(c for c in children(spec.name) if c.name.endswith("_clients"))
                pending.append((("client", client_spec, key[len("totals_by_") :]), value, f"{path}.{key}"))
                self.drifted(spec.grain, key, value, ctx.base.get("date"), ctx.record)
                self.finding(
                    "new_client",
                    ctx.base,
                    client_spec.name,
                    f"{path}.{key}",
                    f"{path}.{key}: an unknown client object: read as client {key[10:]!r}",
                    key[10:],
                )
                continue
            extras[key] = value
            self.unknown(spec.grain, base_path + key, value, ctx.base, spec.name, f"{path}.{key}", ctx.record)

    def read_object(self, spec: ReportTable, obj: dict[str, Any], ctx: _Ctx, path: str, fixed: dict[str, Any]) -> None:
        """Append the row of ``obj`` to table ``spec`` and read its children."""
        row: dict[str, Any] = {**ctx.base, **fixed}
        shape: list[str] = []
        extras: dict[str, Any] = {}
        pending: list[tuple[Any, ...]] = []
        self.walk(spec, tree(spec.name), obj, "", row, shape, extras, pending, ctx, path)
        for column in spec.measures:
            if column.parsed_from is not None:
                raw = row.get(column.parsed_from)
                if raw is not None:
                    parsed = parse_timestamp(raw)
                    row[column.name] = parsed
                    if parsed is None:
                        self.finding(
                            "unparseable_timestamp",
                            ctx.base,
                            spec.name,
                            path,
                            f"{path}: {raw!r} is not a timestamp: kept as text only",
                            raw,
                        )
        if spec.parent is None:
            for name in (*_SCOPE_IDS, *(c.name for c in RECORD_IDS[spec.grain])):
                row.setdefault(name, ctx.base.get(name))
            row["date"] = ctx.base["date"]
        row["shape"] = shape or None
        row["extras"] = orjson.dumps(extras).decode() if extras else None
        self.vocabulary(spec, row, ctx.base, path, ctx.record)
        self.rows[spec.name].append(row)
        for node, value, where in pending:
            kind, child = node[0], node[1]
            if kind == "client":
                self.read_object(child, value, ctx, where, {"client": node[2]})
            elif kind == "custom":
                for i, item in enumerate(value):
                    element = dict(item)
                    name = element.pop(node[2], None)
                    self.read_object(child, element, ctx, f"{where}[{i}]", {"category": node[2], "name": name})
            elif child.many:
                for i, item in enumerate(value):
                    self.read_object(child, item, ctx, f"{where}[{i}]", {})
            else:
                self.read_object(child, value, ctx, where, {})


_SCOPE_IDS = ("enterprise_id", "organization_id")


def _drift_base(spec: ReportTable) -> str:
    """The drift path prefix of a table's objects: ``totals_by_feature[].``, ``pull_requests.``, ``""``."""
    base = spec.json_path[1:].replace("[*]", "[]").lstrip(".")
    return base + "." if base else ""


@dataclass
class _Ctx:
    base: dict[str, Any]
    record: int


@dataclass
class _Record:
    grain: str
    obj: dict[str, Any]
    path: str
    wrapper: dict[str, Any] | None
    wrapper_index: int | None


def _refuse(label: str, detected: Detected, path: str, what: str, hint: str) -> FormatError:
    return FormatError(
        f"{label}: {path}: not a Copilot usage-metrics report: this looks like {what}",
        detected=detected,
        file=label,
        json_path=path,
        hint=hint,
    )


def _refusal(label: str, kind: str, obj: Any, path: str) -> FormatError:
    if kind == "report-links":
        return _refuse(
            label,
            "report-links",
            path,
            "the report endpoint's metadata ('download_links'), not a report",
            "download every link (they are shards of one report, signed for about an hour) and load "
            "the downloaded files",
        )
    if kind == "viewer-user-totals":
        return _refuse(
            label,
            "viewer-user-totals",
            path,
            "a dashboard's own summary ('user_totals' per login)",
            "load the users report GitHub delivered, not a dashboard's summary of it",
        )
    if kind == "api-error":
        return _refuse(
            label,
            "api-error",
            path,
            f"a GitHub API error response (message: {obj.get('message')!r})",
            "the request that saved this file failed; the file holds no metrics",
        )
    if kind == "legacy":
        return _refuse(
            label,
            "legacy-metrics",
            path,
            "a legacy /copilot/metrics day ('date' and feature blocks)",
            "load it with copilot_metrics.load, which reads the legacy family",
        )
    keys = sorted(obj)[:8] if isinstance(obj, dict) else _json_type(obj)
    return _refuse(
        label,
        "unknown-object",
        path,
        f"a JSON value no report record matches (keys: {keys})",
        "a report record has 'day' and report keys; a 28-day report wraps them in 'day_totals'",
    )


_CSV_HEAD = re.compile(rb"^[\w\" .-]+(,[\w\" .-]*)+\r?$")


def _looks_csv(data: bytes) -> bool:
    if data[:2] == b"\x1f\x8b":
        return False
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    first = text.split(b"\n", 1)[0]
    return bool(first) and first[:1] not in (b"{", b"[") and bool(_CSV_HEAD.match(first))


def _records(label: str, documents: list[Any], layout: str) -> list[_Record]:
    """Every record of the file, classified, with its JSON path; refuses what is not a report."""
    single = layout.startswith("object")
    items: list[Any] = []
    for doc in documents:
        if isinstance(doc, list) and not single:
            items.extend(doc)
        else:
            items.append(doc)
    if layout.startswith("array"):
        items = documents[0]
        single = False
    out: list[_Record] = []
    for i, item in enumerate(items):
        path = "$" if single else f"$[{i}]"
        kind = classify_record(item)
        if kind == _WRAPPER:
            for j, element in enumerate(item["day_totals"]):
                inner = classify_record(element)
                if inner not in _RECORD_GRAINS:
                    raise _refusal(label, inner, element, f"{path}.day_totals[{j}]")
                out.append(_Record(inner, element, f"{path}.day_totals[{j}]", item, i))
        elif kind in _RECORD_GRAINS:
            out.append(_Record(kind, item, path, None, None))
        else:
            raise _refusal(label, kind, item, path)
    grains = {r.grain for r in out}
    if len(grains) > 1:
        first = out[0].grain
        other = next(r for r in out if r.grain != first)
        raise FormatError(
            f"{label}: {other.path}: a record of kind {other.grain!r} in a file whose first record "
            f"({out[0].path}) is of kind {first!r}: one report file holds one kind of record",
            detected="mixed-report-kinds",
            file=label,
            json_path=other.path,
            hint="a report file holds one kind of record; split the file by kind, or load each report as "
            "GitHub delivered it",
        )
    return out


def _report_key(record: _Record, scope_level: str | None) -> dict[str, Any]:
    obj, wrapper = record.obj, record.wrapper or {}
    ent = obj.get("enterprise_id", wrapper.get("enterprise_id"))
    org = obj.get("organization_id", wrapper.get("organization_id"))
    start = obj.get("report_start_day", wrapper.get("report_start_day")) or obj.get("day")
    end = obj.get("report_end_day", wrapper.get("report_end_day")) or obj.get("day")
    created = wrapper.get("created_at") if isinstance(wrapper.get("created_at"), str) else None
    level = scope_level or ("organization" if org is not None else "enterprise")
    span = "28-day" if start != end else "1-day"
    kind = f"{level}-{_GRAIN_NAMES[record.grain]}{span}"
    text = "|".join(str(v) if v is not None else "" for v in (kind, ent, org, start, end, created))
    return {
        "report_id": hashlib.sha256(text.encode()).hexdigest()[:16],
        "kind": kind,
        "level": level,
        "span": span,
        "enterprise_id": ent,
        "organization_id": org,
        "window_start": start,
        "window_end": end,
        "created_at_raw": created,
    }


def read_bytes(
    data: bytes,
    label: str,
    *,
    enterprise: str | None = None,
    org: str | None = None,
    scope_level: Literal["organization", "enterprise"] | None = None,
    on_invalid: Literal["raise", "quarantine"] = "raise",
) -> ReportRead:
    """Read one successor usage-metrics report file into typed tables (nothing merged).

    Parameters
    ----------
    data, label:
        The file's bytes, and the name it is reported under (``source``).
    enterprise, org:
        Scope labels written into the ``enterprise``/``org`` columns; a label that would name two
        ids raises :class:`~copilot_metrics.errors.ScopeError`.
    scope_level:
        Overrides the level read from the records (``organization`` when an ``organization_id``
        is present).
    on_invalid:
        ``"raise"``: a record with a value of the wrong type raises
        :class:`ReportValidationError` (every error, with its JSON path); ``"quarantine"``: such
        records are set aside verbatim in ``quarantine`` with their reasons, the rest is read.

    Raises
    ------
    FormatError
        Not a report: ``detected`` is ``report-links``, ``viewer-user-totals``, ``api-error``,
        ``legacy-metrics``, ``unknown-object``, ``mixed-report-kinds``, ``csv``, or one of
        :func:`copilot_metrics.decode.decode`'s (``invalid-json``, ``corrupt-gzip``...).
    """
    if _looks_csv(data):
        raise FormatError(
            f"{label}: not a Copilot usage-metrics report: this looks like CSV text (a header line of "
            "comma-separated names), not JSON",
            detected="csv",
            file=label,
            hint="load the JSON or NDJSON report GitHub delivered; a CSV export loses the nested breakdowns",
        )
    parsed = parse_documents(data, label)
    records = _records(label, parsed.documents, parsed.layout)
    reader = _Reader(label, {"enterprise": enterprise, "org": org})
    errors_by_record: list[tuple[_Record, list[dict[str, Any]]]] = []
    quarantine: list[dict[str, Any]] = []
    reports: dict[str, dict[str, Any]] = {}
    wrappers: dict[str, dict[int, tuple[dict[str, Any], list[date]]]] = defaultdict(dict)
    file_dates: list[date] = []
    derived = False
    for n, record in enumerate(records):
        spec = TABLES[_RECORD_TABLE[record.grain]]
        errors: list[dict[str, Any]] = []
        _validate(tree(spec.name), record.obj, record.path, errors)
        day = record.obj.get("day")
        if not (isinstance(day, str) and _DATE.match(day) and _check_value(day, spec.columns[4]) is None):
            errors.insert(0, _error(f"{record.path}.day", day, "a date (YYYY-MM-DD)"))
        if errors:
            errors_by_record.append((record, errors))
            quarantine.append(
                {
                    "source": label,
                    "json_path": record.path,
                    "grain": record.grain,
                    "date": day if isinstance(day, str) else None,
                    "stage": "validation",
                    "reasons": [e["message"] for e in errors],
                    "record_json": orjson.dumps(record.obj).decode(),
                }
            )
            continue
        key = _report_key(record, scope_level)
        rid = key["report_id"]
        report = reports.setdefault(rid, {**key, "grain": record.grain, "records": 0, "_days": set()})
        report["records"] += 1
        this_day = date.fromisoformat(str(day))
        report["_days"].add(this_day)
        file_dates.append(this_day)
        if record.wrapper is not None and record.wrapper_index is not None:
            entry = wrappers[rid].setdefault(record.wrapper_index, (record.wrapper, []))
            entry[1].append(this_day)
        base = {
            "enterprise_id": key["enterprise_id"],
            "organization_id": key["organization_id"],
            "enterprise": enterprise,
            "org": org,
            "date": this_day,
            "report_id": rid,
            "source": label,
        }
        for column in RECORD_IDS[record.grain]:
            base[column.name] = record.obj.get(column.name)
        ctx = _Ctx(base, n)
        fixed: dict[str, Any] = {}
        if record.grain == _USER:
            is_derived = any(k.startswith("primary_") for k in record.obj) and not any(
                k.startswith("totals_by_") for k in record.obj
            )
            derived = derived or is_derived
            fixed["flavor"] = "derived" if is_derived else "report"
        reader.read_object(spec, record.obj, ctx, record.path, fixed)
    if errors_by_record and on_invalid == "raise":
        raise ReportValidationError(label, [e for _, errs in errors_by_record for e in errs])
    _check_labels(label, reports, enterprise, org)
    report_rows = _report_rows(reader, reports, wrappers, parsed.layout)
    _kind_from_name(reader, report_rows)
    if file_dates != sorted(file_dates):
        reader.finding("dates_not_in_order", {}, None, "$", "the records are not in date order")
    if derived:
        reader.finding(
            "derived_user_export",
            {},
            "user_days",
            "$",
            "user rows of a derived export (primary_* keys, no totals_by_* arrays)",
        )
    tables = {
        name: pl.DataFrame(reader.rows.get(name, []), schema=spec.schema, orient="row")
        if reader.rows.get(name)
        else pl.DataFrame(schema=spec.schema)
        for name, spec in TABLES.items()
    }
    logins = _logins(tables["user_days"], reader)
    _quirks(tables, reader)
    drift = (
        pl.DataFrame(
            [{k: v for k, v in row.items() if k != "_seen"} for row in reader.drift.values()],
            schema=DRIFT_SCHEMA,
            orient="row",
        )
        if reader.drift
        else pl.DataFrame(schema=DRIFT_SCHEMA)
    )
    return ReportRead(
        source=label,
        layout=parsed.layout,
        tables=tables,
        reports=report_rows,
        schema_drift=drift,
        findings=pl.DataFrame(reader.findings, schema=FINDING_SCHEMA, orient="row")
        if reader.findings
        else pl.DataFrame(schema=FINDING_SCHEMA),
        quarantine=pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA, orient="row")
        if quarantine
        else pl.DataFrame(schema=QUARANTINE_SCHEMA),
        user_logins=logins,
        record_kinds=tuple(sorted({r.grain for r in records})),
        errors=[
            {**e, "date": r.obj.get("day") if isinstance(r.obj.get("day"), str) else None}
            for r, errs in errors_by_record
            for e in errs
        ],
    )


def _check_labels(label: str, reports: dict[str, dict[str, Any]], enterprise: str | None, org: str | None) -> None:
    for name, column in (("enterprise", "enterprise_id"), ("org", "organization_id")):
        given = enterprise if name == "enterprise" else org
        ids = sorted({r[column] for r in reports.values() if r[column] is not None})
        if given is not None and len(ids) > 1:
            raise ScopeError(
                f"{label}: the {name} label {given!r} would name {len(ids)} different {column}s ({', '.join(ids)})",
                folders=(label, label),
                shared=0,
                differing=len(ids),
                hint=f"load the file without a {name} label: rows are keyed by {column}",
            )


def _report_rows(
    reader: _Reader,
    reports: dict[str, dict[str, Any]],
    wrappers: dict[str, dict[int, tuple[dict[str, Any], list[date]]]],
    layout: str,
) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for rid, report in reports.items():
        start, end = date.fromisoformat(report["window_start"]), date.fromisoformat(report["window_end"])
        days: set[date] = report.pop("_days")
        raw = report["created_at_raw"]
        created = parse_timestamp(raw) if raw is not None else None
        base = {"enterprise_id": report["enterprise_id"], "organization_id": report["organization_id"]}
        if raw is not None and created is None:
            reader.finding(
                "unparseable_timestamp",
                base,
                "reports",
                "$.created_at",
                f"created_at {raw!r} is not a timestamp: null, raw text kept",
                raw,
            )
        in_window = (end - start).days + 1
        wrapper_json: list[str] = []
        wrapper_days: list[list[date]] = []
        for index in sorted(wrappers.get(rid, {})):
            wrapper, its_days = wrappers[rid][index]
            rest = {k: v for k, v in wrapper.items() if k != "day_totals"}
            wrapper_json.append(orjson.dumps(rest).decode())
            wrapper_days.append(its_days)
            engagement = wrapper.get("copilot_feature_engagement")
            if isinstance(engagement, dict):
                _engagement(reader, engagement, base, rid, end)
        if report["grain"] == _AGGREGATE and report["span"] == "28-day":
            for offset in range(in_window):
                day = start + timedelta(days=offset)
                if day not in days:
                    reader.finding(
                        "window_day_absent",
                        {**base, "date": day},
                        "agg_days",
                        None,
                        f"{day} is in the report's window {start}..{end} but has no record: a gap",
                    )
        if created is not None and report["grain"] == _AGGREGATE:
            for day in sorted(days):
                if created < datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=4):
                    reader.finding(
                        "provisional_day",
                        {**base, "date": day},
                        "agg_days",
                        None,
                        f"{day} is less than three full UTC days before created_at {raw}: provisional",
                    )
        rows.append(
            {
                **{
                    k: report[k]
                    for k in (
                        "report_id",
                        "kind",
                        "level",
                        "grain",
                        "span",
                        "enterprise_id",
                        "organization_id",
                        "created_at_raw",
                        "records",
                    )
                },
                "source": reader.label,
                "layout": layout,
                "window_start": start,
                "window_end": end,
                "created_at": created,
                "shards": 1,
                "days_present": len(days),
                "days_in_window": in_window,
                "days_absent": in_window - len([d for d in days if start <= d <= end]),
                "first_date": min(days),
                "last_date": max(days),
                "wrappers_json": wrapper_json,
                "wrapper_days": wrapper_days,
            }
        )
    return pl.DataFrame(rows, schema=REPORT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=REPORT_SCHEMA)


_NAME_LEVELS = {"organization": "organization", "org": "organization", "enterprise": "enterprise"}
_NAME_SPANS = {("1", "day"): "1-day", ("28", "day"): "28-day", ("1day",): "1-day", ("28day",): "28-day"}


def _name_says(label: str) -> dict[str, str]:
    """What a file name says of its report kind: ``level``, ``grain``, ``span``, each only when it says it.

    The name's last path component, cut into lower-case words: ``organization``/``org``/``enterprise``;
    ``user`` + ``teams`` (user-teams), ``repos``/``repositories``, ``users``/``user`` (users),
    ``aggregate`` (aggregate); ``1-day``/``28-day`` (``1day``, ``28_day``...).  A name naming two
    of a part says nothing of it.

    >>> _name_says("exports/organization-users-28-day-report.json")
    {'level': 'organization', 'grain': 'user', 'span': '28-day'}
    >>> _name_says("enterprise-aggregate-28day.ndjson"), _name_says("quirk_booleans_as_0_1.ndjson")
    ({'level': 'enterprise', 'grain': 'aggregate', 'span': '28-day'}, {})
    """
    words = [w for w in re.split(r"[^a-z0-9]+", re.split(r"[/\\]", label)[-1].lower()) if w]
    levels = {_NAME_LEVELS[w] for w in words if w in _NAME_LEVELS}
    spans = {
        span for i in range(len(words)) for key, span in _NAME_SPANS.items() if tuple(words[i : i + len(key)]) == key
    }
    if "teams" in words and ("user" in words or "users" in words):
        grains = {_USER_TEAM}
    else:
        grains = {
            g
            for w, g in (
                ("repos", _REPO),
                ("repositories", _REPO),
                ("users", _USER),
                ("user", _USER),
                ("aggregate", _AGGREGATE),
            )
            if w in words
        }
    return {
        part: values.pop()
        for part, values in (("level", levels), ("grain", grains), ("span", spans))
        if len(values) == 1
    }


def _kind_from_name(reader: _Reader, reports: pl.DataFrame) -> None:
    """``kind_differs_from_name``: once per file and report whose kind is not what the file's name says."""
    said = _name_says(reader.label)
    if not said:
        return
    for row in reports.select("kind", "level", "grain", "span", "enterprise_id", "organization_id").iter_rows(
        named=True
    ):
        differ = [f"{part} {said[part]!r} (records: {row[part]!r})" for part in said if said[part] != row[part]]
        if differ:
            reader.finding(
                "kind_differs_from_name",
                row,
                "reports",
                "$",
                f"the file's name says {', '.join(differ)}: read as {row['kind']}, by content",
                row["kind"],
            )


def _engagement(reader: _Reader, engagement: dict[str, Any], base: dict[str, Any], rid: str, end: date) -> None:
    """The ``agg_engagement`` rows of a wrapper's ``copilot_feature_engagement`` (read once per report)."""
    if any(r["report_id"] == rid for r in reader.rows["agg_engagement"]):
        return
    scope = {
        **base,
        "enterprise": reader.labels["enterprise"],
        "org": reader.labels["org"],
        "date": end,
        "report_id": rid,
        "source": reader.label,
    }
    rest = {k: v for k, v in engagement.items() if k not in ("active_user_count", "totals_by_feature")}
    shape = [f"{k}:absent" for k in ("active_user_count", "totals_by_feature") if k not in engagement]
    reader.rows["agg_engagement"].append(
        {
            **scope,
            "feature": "__any__",
            "engaged_user_count": engagement.get("active_user_count"),
            "extras": orjson.dumps(rest).decode() if rest else None,
            "shape": shape or None,
        }
    )
    for item in engagement.get("totals_by_feature") or []:
        extra = {k: v for k, v in item.items() if k not in ("feature", "engaged_user_count")}
        reader.rows["agg_engagement"].append(
            {
                **scope,
                "feature": item.get("feature"),
                "engaged_user_count": item.get("engaged_user_count"),
                "extras": orjson.dumps(extra).decode() if extra else None,
                "shape": None,
            }
        )


def _logins(user_days: pl.DataFrame, reader: _Reader) -> pl.DataFrame:
    logins = (
        user_days.filter(pl.col("user_login").is_not_null())
        .group_by("user_id", "user_login", maintain_order=True)
        .agg(
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            pl.len().cast(pl.Int64).alias("rows"),
        )
        .sort("user_id", "first_date")
    )
    changed = (
        logins.group_by("user_id", maintain_order=True)
        .agg(pl.col("user_login"))
        .filter(pl.col("user_login").list.len() > 1)
    )
    for user_id, names in changed.iter_rows():
        reader.finding(
            "login_changed",
            {},
            "user_days",
            None,
            f"user_id {user_id} appears as {', '.join(names)}: rows are keyed by user_id",
            user_id,
        )
    return logins.cast(LOGIN_SCHEMA).select(LOGIN_SCHEMA.names())


def _quirks(tables: dict[str, pl.DataFrame], reader: _Reader) -> None:
    """Row findings of the breakdown tables: acceptances above generations (rows kept as written)."""
    for name, frame in tables.items():
        if "code_acceptance_activity_count" not in frame.columns or frame.height == 0:
            continue
        bad = frame.filter(pl.col("code_acceptance_activity_count") > pl.col("code_generation_activity_count"))
        for row in bad.select(
            "enterprise_id",
            "organization_id",
            "date",
            "code_acceptance_activity_count",
            "code_generation_activity_count",
        ).iter_rows(named=True):
            reader.finding(
                "acceptances_exceed_generations",
                row,
                name,
                TABLES[name].json_path,
                f"{name} on {row['date']}: {row['code_acceptance_activity_count']} acceptances > "
                f"{row['code_generation_activity_count']} generations (kept as written)",
            )
