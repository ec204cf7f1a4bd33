"""Pseudonyms for the successor tables (SUCCESSOR.md §5.9): keyed HMAC ids, no logins, no versions.

Below the pipeline (it needs only the dataset and the declared schemas), so that
``cm.load(..., pseudonymize_key=key)`` applies it before a dataset is returned; the public names
are :func:`copilot_metrics.pseudonymize` and :mod:`copilot_metrics.usage`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, overload

import polars as pl

from copilot_metrics.dataset import Dataset
from copilot_metrics.errors import PrivacyError
from copilot_metrics.successor.registry import (
    LOGIN_SCHEMA,
    PSEUDONYMS,
    QUASI_IDENTIFIERS,
    TABLES,
    Privacy,
    report_tables,
)
from copilot_metrics.validation import ValidationReport

__all__ = [
    "QUASI_IDENTIFIERS",
    "Pseudonymized",
    "adopt",
    "combine",
    "identified",
    "key_bytes",
    "key_fingerprint",
    "pseudonym",
    "pseudonymize",
]

#: What :func:`pseudonymize` takes: a dataset, or tables by name (frames or lazy frames).
Frames = Dataset | Mapping[str, pl.DataFrame | pl.LazyFrame]

#: Free-text columns a login or an id may hide in: logins and ``user_id`` values are redacted there.
_TEXT = ("extras", "message", "value", "source")
_MIN_KEY = 32
_REDACTED = "<redacted>"


def key_bytes(key: bytes | str) -> bytes:
    """The key as bytes: ``"env:VAR"`` read from the environment; shorter than 32 bytes refused (PrivacyError)."""
    if isinstance(key, str):
        if not key.startswith("env:"):
            raise PrivacyError(
                "a pseudonymization key given as text must be 'env:VARIABLE'",
                fingerprints=(),
                hint="pass the key as bytes, or name the environment variable holding it",
            )
        value = os.environ.get(key[4:])
        if value is None:
            raise PrivacyError(f"the environment variable {key[4:]!r} holding the key is not set", fingerprints=())
        key = value.encode()
    if not isinstance(key, bytes):
        raise TypeError(f"key must be bytes or 'env:VARIABLE', not {type(key).__name__}")
    if len(key) < _MIN_KEY:
        raise PrivacyError(
            f"the pseudonymization key has {len(key)} bytes; at least {_MIN_KEY} are needed",
            fingerprints=(),
            hint="use a random key of 32 bytes or more (secrets.token_bytes(32))",
        )
    return key


def key_fingerprint(key: bytes | str) -> str:
    """Eight hex digits that tell keys apart without revealing them: HMAC(key, b"copilot-metrics key fingerprint")."""
    return hmac.new(key_bytes(key), b"copilot-metrics key fingerprint", hashlib.sha256).hexdigest()[:8]


def pseudonym(key: bytes | str, value: int, kind: str = "user") -> str:
    """``"u_"`` (``t_``, ``r_``) + the first 16 hex of HMAC-SHA256(key, b"<kind>_id:" + decimal id).

    >>> pseudonym(b"acceptance-test-key-0123456789abcdef", 6)
    'u_10666229dfc3d23f'
    """
    prefix = PSEUDONYMS[kind].prefix
    digest = hmac.new(key_bytes(key), f"{kind}_id:{value}".encode(), hashlib.sha256).hexdigest()
    return prefix + digest[:16]


@dataclasses.dataclass(frozen=True)
class Pseudonymized(Mapping[str, pl.DataFrame]):
    """Tables by name after :func:`pseudonymize`, with ``meta`` (``key_fingerprint``, never the key)."""

    tables: Mapping[str, pl.DataFrame]
    meta: Mapping[str, Any]

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def _fingerprint_of(ds: object) -> str | None:
    meta = getattr(ds, "meta", None)
    return meta.get("key_fingerprint") if isinstance(meta, Mapping) else None


@overload
def pseudonymize(
    ds: Dataset, key: bytes | str, *, teams: bool = ..., repositories: bool = ..., drop_quasi_identifiers: bool = ...
) -> Dataset: ...
@overload
def pseudonymize(
    ds: Mapping[str, pl.DataFrame | pl.LazyFrame],
    key: bytes | str,
    *,
    teams: bool = ...,
    repositories: bool = ...,
    drop_quasi_identifiers: bool = ...,
) -> Pseudonymized: ...
def pseudonymize(
    ds: Frames,
    key: bytes | str,
    *,
    teams: bool = False,
    repositories: bool = False,
    drop_quasi_identifiers: bool = True,
) -> Pseudonymized | Dataset:
    """Replace person ids by keyed pseudonyms and drop what names a person (SUCCESSOR.md §5.9).

    ``user_id`` becomes ``user_pid`` = ``"u_"`` + the first 16 hex digits of HMAC-SHA256(key,
    ``b"user_id:"`` + the decimal id): the same key gives the same pseudonyms, across runs and
    datasets; without the key they cannot be reversed by enumerating small ids, as a plain hash
    could.  ``teams=True`` does the same for ``team_id`` (``team_pid``, ``t_``; ``slug``
    dropped), ``repositories=True`` for ``repo_id`` (``repo_pid``, ``r_``; owner and name
    dropped).  Always dropped: ``user_login`` and the ``user_logins`` table; with
    ``drop_quasi_identifiers`` the IDE, plugin and CLI versions and their sampling times.  In
    ``extras``, ``source``, findings' ``message``/``value`` every login seen is replaced by
    ``<redacted>``, as is a number after ``user_id``; the quarantine's ``record_json`` is emptied.

    ``key``: bytes (at least 32), or ``"env:VAR"`` to read it from the environment.  The key is
    never stored, logged or written: the result's ``meta["key_fingerprint"]`` (8 hex digits of
    HMAC(key, ``b"copilot-metrics key fingerprint"``)) tells keys apart.

    Returns a :class:`Pseudonymized` mapping for a mapping, a new
    :class:`~copilot_metrics.Dataset` for a dataset (its ``findings`` and ``quarantine``
    redacted).  Input already pseudonymized under the same key is returned unchanged.

    Raises
    ------
    PrivacyError
        A key shorter than 32 bytes or an unset variable; input pseudonymized under another key.
    """
    raw = key_bytes(key)
    fingerprint = key_fingerprint(raw)
    before = _fingerprint_of(ds)
    if before is not None:
        if before != fingerprint:
            raise PrivacyError.mixed_keys((before, fingerprint))
        if isinstance(ds, (Pseudonymized, Dataset)):
            return ds
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame] = ds.tables if isinstance(ds, Dataset) else ds
    frames = {n: (f.collect() if isinstance(f, pl.LazyFrame) else f) for n, f in tables.items()}
    named = [frames[n] for n in ("user_days", "user_teams", "user_logins") if n in frames]
    if isinstance(ds, Dataset):
        named.append(ds.user_logins)
    logins = sorted(
        {
            login
            for frame in named
            if "user_login" in frame.columns
            for login in frame.get_column("user_login").drop_nulls().unique().to_list()
        },
        key=len,
        reverse=True,
    )
    ids = sorted(
        {
            str(i)
            for frame in named
            if "user_id" in frame.columns
            for i in frame.get_column("user_id").drop_nulls().unique().to_list()
        },
        key=len,
        reverse=True,
    )
    privacy = Privacy(
        ("user", *(("team",) if teams else ()), *(("repo",) if repositories else ())), drop_quasi_identifiers
    )
    text = _Redaction(logins, [i for i in ids if len(i) >= _BARE_ID_DIGITS])
    clean = {name: _clean(frame, raw, privacy, text, name) for name, frame in frames.items() if name != "user_logins"}
    if "quarantine" in clean:
        clean["quarantine"] = _redact_side(clean["quarantine"], text)
    meta = {"key_fingerprint": fingerprint, **privacy.meta()}
    if isinstance(ds, Dataset):
        validation = ds.validation
        return dataclasses.replace(
            ds,
            tables=clean,
            findings=_redact_side(_clean(ds.findings, raw, privacy, text), text),
            quarantine=_redact_side(ds.quarantine, text),
            sources=_redact_side(ds.sources, text),
            conflicts=_redact_side(_conflict_keys(ds.conflicts, raw), text),
            validation=ValidationReport(
                _redact_side(validation.errors, text),
                _redact_side(validation.unknown_fields, text),
                validation.days_checked,
                validation.days_valid,
            ),
            reports=_redact_side(ds.reports, text),
            schema_drift=_redact_side(ds.schema_drift, text),
            user_logins=LOGIN_SCHEMA.to_frame(),
            meta={**ds.meta, **meta},
            report_versions=_stored_rows(ds.report_versions, raw, privacy, text),
        )
    return Pseudonymized(MappingProxyType(clean), MappingProxyType(meta))


def identified(ds: Frames, privacy: Privacy | None = None) -> bool:
    """Whether ``ds`` holds raw ids or logins: a table with a row and a column the form ``privacy`` replaces or drops.

    The default form is the users' (``user_id``, ``user_login``).  A dataset's stored rows
    (``report_versions``) of such tables count too.  A dataset without user rows (the legacy
    tables, aggregate reports) is not identified.
    """
    form = privacy or Privacy(quasi_identifiers_dropped=False)
    named = {PSEUDONYMS[k].id for k in form.kinds} | form.dropped | {"user_login"}
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame] = ds.tables if isinstance(ds, Dataset) else ds
    frames = [*tables.values(), *([ds.user_logins] if isinstance(ds, Dataset) else [])]
    if isinstance(ds, Dataset) and Privacy.of(ds.meta) is None:
        holding = [n for n, spec in TABLES.items() if named & set(spec.schema.names())]
        if ds.report_versions.filter(pl.col("table").is_in(holding)).height:
            return True
    return any(
        (f.select(pl.len()).collect().item() if isinstance(f, pl.LazyFrame) else f.height) > 0
        for f in frames
        if named & set(f.collect_schema().names())
    )


#: Ids of this many digits or more are also redacted where they stand alone in text (shorter
#: numbers are too often counts or dates to be told from an id).
_BARE_ID_DIGITS = 5
#: Side-table rows at these JSON paths hold a user id or login as their value (a type error on it).
_ID_PATHS = r"(user_id|user_login)$"


@dataclasses.dataclass(frozen=True)
class _Redaction:
    """What to redact in free text: the logins seen, and ids long enough to be told from counts."""

    logins: list[str]
    ids: list[str]

    def __call__(self, expr: pl.Expr) -> pl.Expr:
        out = expr.str.replace_all(r"(user_id\D{0,3})\d+", "${1}" + _REDACTED)
        out = out.str.replace_all(r"(user_login\W{0,3})[^\s\"',]+", "${1}" + _REDACTED)
        if self.logins:
            out = out.str.replace_many(self.logins, [_REDACTED] * len(self.logins), leftmost=True)
        if self.ids:
            out = out.str.replace_all(r"\b(" + "|".join(self.ids) + r")\b", _REDACTED)
        return out


def _redact_side(frame: pl.DataFrame, text: _Redaction) -> pl.DataFrame:
    """A side table with every text column (and list of texts) redacted; verbatim records emptied.

    A row whose ``json_path`` ends in ``user_id`` or ``user_login`` (a type error on it) has its
    ``value`` redacted, and that value is redacted wherever the table's text quotes it.
    """
    out = frame
    if {"json_path", "value"} <= set(out.columns):
        on_id = pl.col("json_path").str.contains(_ID_PATHS).fill_null(False) & (pl.col("value") != "").fill_null(False)
        quoted = out.filter(on_id).get_column("value").unique().to_list()
        if quoted:  # redacted wherever they appear, like the logins
            text = dataclasses.replace(text, logins=sorted({*text.logins, *quoted}, key=len, reverse=True))
            out = out.with_columns(pl.when(on_id).then(pl.lit(_REDACTED)).otherwise(pl.col("value")).alias("value"))
    verbatim = [c for c in ("record_json",) if c in out.columns]
    out = out.with_columns(pl.lit(None, pl.String).alias(c) for c in verbatim)
    strings = [c for c, t in out.schema.items() if t == pl.String and c not in verbatim]
    lists = [c for c, t in out.schema.items() if t == pl.List(pl.String)]
    return out.with_columns(
        *(text(pl.col(c)) for c in strings), *(pl.col(c).list.eval(text(pl.element())) for c in lists)
    )


def _conflict_keys(conflicts: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """``ds.conflicts`` with each ``"user_id":N`` of a row's ``key`` JSON replaced by its pseudonym."""
    if "key" not in conflicts.columns or conflicts.height == 0:
        return conflicts
    found = conflicts.get_column("key").str.extract(r'"user_id":\s*(\d+)', 1).cast(pl.Int64)
    mapping = {v: pseudonym(key, v) for v in found.drop_nulls().unique().to_list()}
    if not mapping:
        return conflicts
    pid = pl.col("_user").replace_strict(mapping, default=None, return_dtype=pl.String)
    return (
        conflicts.with_columns(found.alias("_user"))
        .with_columns(
            pl.when(pid.is_not_null())
            .then(pl.col("key").str.replace(r'"user_id":\s*\d+', pl.format('"user_pid":"{}"', pid)))
            .otherwise(pl.col("key"))
            .alias("key"),
        )
        .drop("_user")
    )


def _clean(frame: pl.DataFrame, key: bytes, privacy: Privacy, text: _Redaction, table: str = "") -> pl.DataFrame:
    """``frame`` in the form ``privacy``: ids by pseudonyms, dropped columns gone, free text redacted.

    A successor table (``table``) ends with exactly the columns its pseudonymized form declares.
    """
    out = frame
    for kind in privacy.kinds:
        rule = PSEUDONYMS[kind]
        if rule.id not in out.columns:
            continue
        mapping = {v: pseudonym(key, v, kind) for v in out.get_column(rule.id).drop_nulls().unique().to_list()}
        out = out.with_columns(pl.col(rule.id).replace_strict(mapping, default=None, return_dtype=pl.String))
        out = out.rename({rule.id: rule.pid})
    out = out.drop(*(c for c in (*privacy.dropped, "user_login") if c in out.columns))
    texts = [c for c in _TEXT if c in out.columns and out.schema[c] == pl.String]
    out = out.with_columns(text(pl.col(c)) for c in texts) if texts else out
    if table in TABLES:
        schema = report_tables(privacy)[table].schema
        out = out.select(schema.names()).cast(schema)
    return out


def _stored_rows(versions: pl.DataFrame, key: bytes, privacy: Privacy, text: _Redaction) -> pl.DataFrame:
    """``ds.report_versions`` in the form ``privacy``: each stored row decoded, cleaned as its table, encoded again.

    Rows of ``reports`` and ``schema_drift`` have their text redacted (they hold no id).
    """
    from copilot_metrics.sidetables import REPORT_VERSION_SCHEMA
    from copilot_metrics.successor.registry import DRIFT_SCHEMA, REPORT_SCHEMA

    if versions.height == 0:
        return versions
    out = [REPORT_VERSION_SCHEMA.to_frame()]
    schemas = {**{n: s.schema for n, s in TABLES.items()}, "reports": REPORT_SCHEMA, "schema_drift": DRIFT_SCHEMA}
    for table, rows in versions.with_row_index("_at").group_by("table", maintain_order=True):
        name = str(table[0])
        decoded = rows.select("_at", pl.col("row_json").str.json_decode(pl.Struct(schemas[name])).alias("_r")).unnest(
            "_r"
        )
        cleaned = (
            _clean(decoded.drop("_at"), key, privacy, text, name)
            if name in TABLES
            else _redact_side(decoded.drop("_at"), text)
        )
        out.append(
            pl.DataFrame({"_at": decoded["_at"]})
            .hstack(cleaned)
            .select(
                "_at",
                _redact_side(rows.select("source"), text).to_series().alias("source"),
                pl.lit(name, pl.String).alias("table"),
                pl.struct(cleaned.columns).struct.json_encode().alias("row_json"),
            )
        )
    return pl.concat(out[1:]).sort("_at").drop("_at") if len(out) > 1 else out[0]


def adopt(ds: Dataset, like: Mapping[str, Any]) -> Dataset:
    """``ds``, holding no identified row, in the pseudonymized form and with the fingerprint ``like`` (a ``meta``) says.

    What lets a dataset without user rows (aggregate reports, the legacy tables) merge with a
    pseudonymized one: its empty tables take the pseudonymized schemas.

    Raises
    ------
    PrivacyError
        ``ds`` holds identified rows (:func:`identified` in that form), or is pseudonymized under another key.
    """
    privacy = Privacy.of(like)
    mine = ds.meta.get("key_fingerprint")
    if privacy is None or mine == like["key_fingerprint"]:
        return ds
    if mine is not None or identified(ds, privacy):
        raise PrivacyError.mixed_keys((mine, like["key_fingerprint"]))
    forms = report_tables(privacy)
    tables = {
        n: forms[n].schema.to_frame() if n in forms and f.schema != forms[n].schema else f for n, f in ds.tables.items()
    }
    return dataclasses.replace(
        ds,
        tables=tables,
        user_logins=LOGIN_SCHEMA.to_frame(),
        meta={**ds.meta, "key_fingerprint": like["key_fingerprint"], **privacy.meta()},
    )


def combine(*parts: Pseudonymized) -> Pseudonymized:
    """Stack pseudonymized tables made under one key (same-named tables concatenated).

    Raises
    ------
    PrivacyError
        The parts were pseudonymized under different keys, or one is not pseudonymized.
    """
    fingerprints = tuple(_fingerprint_of(p) for p in parts)
    if not parts or None in fingerprints or len(set(fingerprints)) > 1:
        raise PrivacyError.mixed_keys(fingerprints)
    names = dict.fromkeys(n for p in parts for n in p)
    tables = {n: pl.concat([p[n] for p in parts if n in p], how="diagonal_relaxed") for n in names}
    return Pseudonymized(MappingProxyType(tables), parts[0].meta)
