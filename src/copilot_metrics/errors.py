"""The exceptions of copilot-metrics: one root, a few subclasses, context as attributes.

Every error the library raises on purpose derives from :class:`CopilotMetricsError`.  The
context a pipeline needs to log (file, JSON path, table, column, key) is carried as attributes,
not only in the message, and :meth:`CopilotMetricsError.attrs` returns it as a dict.
Messages are built here, in one place, so that they read the same everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import polars as pl

    from copilot_metrics.validation import ValidationReport

__all__ = [
    "ContinuityError",
    "ContractError",
    "CopilotMetricsError",
    "Detected",
    "FormatError",
    "PrivacyError",
    "RollupError",
    "SchemaDriftError",
    "SchemaValidationError",
    "ScopeError",
]


#: What a file that is not a Copilot metrics export looks like (:attr:`FormatError.detected`, and the
#: ``not loaded: <detected>`` status and ``format:<detected>`` error rule of ``ds.sources`` and
#: ``ds.validation``): a shape that parsed, bytes that are not JSON text, a container that cannot be
#: opened, or ``io`` (a file that could not be read at all; never a :class:`FormatError`).
Detected = Literal[
    # a shape that parsed
    "copilot-usage",
    "usage-report",
    "api-error",
    "flattened-rows",
    "day-instead-of-date",
    "unknown-object",
    "not-a-list",
    # a successor usage-metrics file that is not a report's records, or mixes kinds
    "report-links",
    "viewer-user-totals",
    "legacy-metrics",
    "mixed-report-kinds",
    "csv",
    # bytes that are not JSON text
    "empty",
    "truncated-json",
    "invalid-json",
    "too-deep",
    "not-utf-8",
    "utf-16",
    "utf-32",
    "html",
    # a container it cannot open
    "corrupt-gzip",
    "gzip-bomb",
    "zip",
    "unsupported-compression",
    # the file could not be read
    "io",
]


def brief(value: Any, limit: int = 60) -> str:
    """Render an offending value briefly, the way it looked in the JSON."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CopilotMetricsError(Exception):
    """Root of every error raised by copilot-metrics.

    Attributes
    ----------
    file:
        The file (or source label) the problem was found in, if any.
    json_path:
        The JSON path of the offending value, like ``$[3].copilot_ide_chat.editors[0].name``.
    table, column, key:
        The table, column and natural key of the offending row, for errors about tables.
    hint:
        What to do about it, when the library knows.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        json_path: str | None = None,
        table: str | None = None,
        column: str | None = None,
        key: dict[str, Any] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.json_path = json_path
        self.table = table
        self.column = column
        self.key = key
        self.hint = hint

    def __reduce__(self) -> tuple[Any, ...]:
        # subclasses take other constructor arguments: rebuild from the instance's state, so
        # that every error crosses process boundaries (pickle) with its type and attributes
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))

    def attrs(self) -> dict[str, Any]:
        """Return the error's context as a plain dict, for structured logging."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "json_path": self.json_path,
            "table": self.table,
            "column": self.column,
            "key": self.key,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


def _rebuild(cls: type[CopilotMetricsError], message: str, state: dict[str, Any]) -> CopilotMetricsError:
    """Unpickle an error without calling its constructor (see ``__reduce__``)."""
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class FormatError(CopilotMetricsError):
    """A file is not a Copilot metrics export (or cannot be read as one).

    ``detected`` (a :data:`Detected` value) names what the file looks like instead: a shape that
    parsed (``copilot-usage``, ``usage-report``, ``api-error``, ``flattened-rows``,
    ``day-instead-of-date``, ``unknown-object``, ``not-a-list``), bytes that are not JSON text
    (``empty``, ``truncated-json``, ``invalid-json``, ``too-deep``, ``not-utf-8``, ``utf-16``,
    ``utf-32``, ``html``), or a container it cannot open (``corrupt-gzip``, ``gzip-bomb``,
    ``zip``, ``unsupported-compression``). A file that could not be read at all is not a
    ``FormatError``; its status says ``io`` instead.
    """

    def __init__(self, message: str, *, detected: Detected, file: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, file=file, **kwargs)
        self.detected: Detected = detected

    @classmethod
    def looks_like(cls, file: str, detected: Detected, what: str, hint: str, json_path: str = "$") -> FormatError:
        """A file that parsed, but is something else than metrics days."""
        return cls(
            f"{file}: {json_path}: not a Copilot metrics export: this looks like {what}",
            detected=detected,
            file=file,
            json_path=json_path,
            hint=hint,
        )

    def attrs(self) -> dict[str, Any]:
        """Return the error's context, including what the file looks like."""
        return {**super().attrs(), "detected": self.detected}


class SchemaValidationError(CopilotMetricsError):
    """Days failed validation against the published schema; ``report`` holds every error."""

    def __init__(self, report: ValidationReport) -> None:
        first = report.errors.row(0, named=True) if report.errors.height else {}
        super().__init__(
            self.summary(report),
            file=first.get("source"),
            json_path=first.get("json_path"),
            hint="load with on_invalid='quarantine' to keep the valid days and set the others aside",
        )
        self.report = report

    @staticmethod
    def summary(report: ValidationReport) -> str:
        """The message: a first line naming the file(s), then the report's errors, one a line."""
        files = report.errors.get_column("source").drop_nulls().unique(maintain_order=True).to_list()
        named = ", ".join(files[:3]) + (f" and {len(files) - 3} more file(s)" if len(files) > 3 else "")
        invalid = report.days_checked - report.days_valid
        head = (
            f"{named or '<input>'}: {report.errors.height} schema error(s) in {invalid} of {report.days_checked} day(s)"
        )
        return "\n".join([head, *str(report).splitlines()[1:]])


class ContractError(CopilotMetricsError):
    """A table broke its data contract (dtypes, counts >= 0, unique natural key).

    ``failure_cases`` is a Polars frame of the offending rows' key, column, check and source.
    """

    def __init__(self, message: str, *, failure_cases: pl.DataFrame, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failure_cases = failure_cases

    @classmethod
    def from_failures(cls, table: str, failure_cases: pl.DataFrame) -> ContractError:
        """Build the error from the failure cases of one table (at least one row).

        ``failure_cases`` has ``source``, ``column``, ``check``, ``value`` and ``key`` (a struct
        of the table's natural key); the message names the first failure and counts the rest.
        """
        first = failure_cases.row(0, named=True)
        more = failure_cases.height - 1
        key = first.get("key") or {}
        # JSON-ready (dates as ISO text), so that a pipeline can log the key as data
        shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in key.items()}
        value = first.get("value")
        message = (
            f"{first.get('source')}: table {table!r}, column {first.get('column')!r}, "
            f"key {shown}: {first.get('check')} failed"
            + (f" (value {value})" if value is not None else "")
            + (f"; and {more} more failure(s)" if more else "")
        )
        return cls(
            message,
            failure_cases=failure_cases,
            file=first.get("source"),
            table=table,
            column=first.get("column"),
            key=shown,
            hint="load with on_invalid='quarantine' to set the offending days aside",
        )


class RollupError(CopilotMetricsError):
    """An aggregation was asked to sum a distinct-user count, which would count people twice."""

    @classmethod
    def distinct_count(cls, column: str) -> RollupError:
        """Summing ``column`` over days or sibling slices is wrong."""
        return cls(
            f"column {column!r} counts distinct users: it cannot be summed over days or sibling slices",
            column=column,
            hint="report its daily mean or peak, or take the parent slice's own count",
        )


class SchemaDriftError(CopilotMetricsError):
    """Report files hold keys the registry does not know (``cm.load(..., on_drift="raise")``).

    ``paths`` lists every new path as ``grain:path`` (``aggregate:totals_by_feature[].hover_ms``).
    """

    def __init__(self, message: str, *, paths: list[str], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.paths = paths

    @classmethod
    def new_paths(cls, paths: list[str], files: list[str]) -> SchemaDriftError:
        """The successor reports of ``files`` hold the keys ``paths``, new to the registry."""
        where = files[0] + (f" (and {len(files) - 1} more file(s))" if len(files) > 1 else "")
        return cls(
            f"{where}: {len(paths)} key path(s) the registry does not know: {', '.join(paths)}",
            paths=paths,
            file=files[0],
            hint="they are kept verbatim in each row's extras and listed by cm.schema_drift(ds); "
            "load with on_drift='keep' or 'warn' to read them",
        )

    def attrs(self) -> dict[str, Any]:
        """Return the error's context, including every new path."""
        return {**super().attrs(), "paths": list(self.paths)}


class ScopeError(CopilotMetricsError):
    """Inputs without scope labels hold data that cannot be one scope (two orgs, an org and its team).

    ``folders`` names the two folders whose files disagree; ``shared`` and ``differing`` count
    the dates both hold and those on which they differ.
    """

    def __init__(self, message: str, *, folders: tuple[str, str], shared: int, differing: int, **kwargs: Any) -> None:
        super().__init__(message, file=folders[0], **kwargs)
        self.folders = folders
        self.shared = shared
        self.differing = differing

    @classmethod
    def mixed_folders(
        cls, folders: tuple[str, str], shared: int, differing: int, *, suffix: str = ".json", more: int = 0
    ) -> ScopeError:
        """Files of two folders, none labelled, differ on most of the dates both hold.

        The hint shows path templates that would label them (``'exports/{org}/*.json'``; an org
        folder holding a team's folder gets ``{org}`` and ``{team}``), or the keywords that say
        they are one scope.
        """
        from pathlib import PurePath

        first, second = (PurePath(f) for f in folders)
        if first in second.parents or second in first.parents:
            outer, inner = (first, second) if first in second.parents else (second, first)
            between = inner.relative_to(outer).parts
            templates = [
                outer.parent / "{org}" / f"*{suffix}",
                outer.parent.joinpath("{org}", *between[:-1], "{team}", f"*{suffix}"),
            ]
        else:
            templates = sorted({f.parent / "{org}" / f"*{suffix}" for f in (first, second)}, key=str)
        shown = " and ".join(f"'{t.as_posix()}'" for t in templates)
        others = f" (and {more} more pair(s) of folders)" if more else ""
        return cls(
            f"{folders[0]} and {folders[1]}: files without scope labels in these two folders differ on "
            f"{differing} of the {shared} date(s) both hold: they look like two scopes (two orgs, or an org and "
            f"its team), which are never merged into one{others}",
            folders=folders,
            shared=shared,
            differing=differing,
            hint=f"label each scope with a path template such as {shown}; if the folders really are one scope, "
            "label it by keyword (org=..., or --org on the command line) to merge them",
        )

    def attrs(self) -> dict[str, Any]:
        """Return the error's context, including both folders and the dates counted."""
        return {**super().attrs(), "folders": list(self.folders), "shared": self.shared, "differing": self.differing}


class PrivacyError(CopilotMetricsError):
    """Pseudonymized data would be mixed with data made under another key, or with identified data.

    ``fingerprints`` lists each input's key fingerprint (``None``: identified, not pseudonymized);
    never the key itself.
    """

    def __init__(self, message: str, *, fingerprints: tuple[str | None, ...], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.fingerprints = fingerprints

    @classmethod
    def mixed_keys(cls, fingerprints: tuple[str | None, ...]) -> PrivacyError:
        """The inputs were pseudonymized with different keys (or some not at all)."""
        shown = ", ".join("identified" if f is None else f"key {f}" for f in dict.fromkeys(fingerprints))
        return cls(
            f"cannot mix data pseudonymized under different keys or with identified data ({shown}): the same "
            "person would get two ids",
            fingerprints=fingerprints,
            hint="pseudonymize every input with the same key (its fingerprint is in meta['key_fingerprint'])",
        )

    def attrs(self) -> dict[str, Any]:
        """Return the error's context, including the key fingerprints (never a key)."""
        return {**super().attrs(), "fingerprints": list(self.fingerprints)}


class ContinuityError(CopilotMetricsError):
    """Legacy and successor series cannot be set side by side: no common scope, or two levels.

    ``legacy`` and ``successor`` name the scopes (labels, ids) that were compared.
    """

    def __init__(self, message: str, *, legacy: tuple[str, ...], successor: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.legacy = legacy
        self.successor = successor

    @classmethod
    def no_common_scope(cls, legacy: tuple[str, ...], successor: tuple[str, ...]) -> ContinuityError:
        """No legacy scope has a successor scope of the same label (or mapped by ``scopes=``)."""
        return cls(
            f"no legacy scope has a successor scope to continue it: legacy {list(legacy)}, successor {list(successor)}",
            legacy=legacy,
            successor=successor,
            hint="label both with the same org (or enterprise) name, or map them: "
            "scopes={'legacy label': {'organization_id': '...'}}",
        )

    @classmethod
    def level_mismatch(cls, label: str, legacy_level: str, successor: str, successor_level: str) -> ContinuityError:
        """A legacy scope paired with a successor scope of another level (an org with an enterprise)."""
        return cls(
            f"legacy {legacy_level} {label!r} is paired with successor {successor_level} {successor}: an "
            f"{'organization' if legacy_level == 'organization' else 'enterprise'}'s series does not continue as "
            f"an {successor_level}'s (a user counts in every org, once in the enterprise)",
            legacy=(label,),
            successor=(successor,),
            column="scopes",
            hint="pair scopes of the same level, or pass allow_level_mismatch=True to compare them anyway",
        )

    def attrs(self) -> dict[str, Any]:
        """Return the error's context, including the scopes compared."""
        return {**super().attrs(), "legacy": list(self.legacy), "successor": list(self.successor)}
