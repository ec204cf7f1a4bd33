"""Reading sources: paths, folders, globs, path templates, bytes and file objects.

Two steps, both without side effects beyond reading files:

* :func:`resolve` turns what a user passes to :func:`copilot_metrics.load` into a list of
  :class:`SourceRef` (one per file or in-memory input), with scope labels taken from keywords or
  from a path template such as ``"exports/{org}/{team}/*.json"``;
* :func:`decode` turns one input's bytes into day objects, whatever the layout: a JSON array
  (the API response), one day object, an object wrapping the array (under ``data`` or another
  single key), NDJSON, or responses appended one per line (``ndjson-arrays``), each optionally
  gzip-compressed and with or without a UTF-8 BOM.
  A file that is something else (the older ``/copilot/usage`` shape, a usage-metrics report,
  an API error body, an empty file, truncated JSON, HTML) raises a
  :class:`~copilot_metrics.errors.FormatError` saying what it looks like.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeAlias, cast

import orjson

from copilot_metrics.errors import CopilotMetricsError, FormatError

__all__ = ["Decoded", "Source", "SourceRef", "decode", "resolve"]

#: What :func:`copilot_metrics.load` accepts as a source.
Source: TypeAlias = "str | Path | bytes | bytearray | memoryview | IO[bytes] | Sequence[Source]"

#: File endings read from folders and globs; anything else found there is reported, not read.
READ_SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz", ".gz")

_PLACEHOLDER = re.compile(r"\{(enterprise|org|team)\}")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class SourceRef:
    """One input: a file on disk or bytes in memory, with its scope labels."""

    label: str
    path: Path | None = None
    data: bytes | None = None
    scope: dict[str, str | None] = field(default_factory=dict)
    mtime: float | None = None
    skipped: str | None = None

    def read(self) -> bytes:
        """Return the input's bytes."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise CopilotMetricsError(f"{self.label}: cannot read file: {exc.strerror}", file=self.label) from exc


def _template_regex(template: str) -> re.Pattern[str]:
    """Regex matching paths of a template like ``exports/{org}/{team}/*.json``."""
    out = []
    pos = 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(_glob_to_regex(template[pos : match.start()]))
        out.append(f"(?P<{match.group(1)}>[^/]+)")
        pos = match.end()
    out.append(_glob_to_regex(template[pos:]))
    return re.compile("".join(out) + r"\Z")


def _glob_to_regex(text: str) -> str:
    parts = []
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif text[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif text[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(text[i]))
            i += 1
    return "".join(parts)


def _glob(pattern: str) -> list[Path]:
    path = Path(pattern)
    anchor = Path(path.anchor) if path.is_absolute() else Path()
    relative = str(path.relative_to(anchor)) if path.is_absolute() else pattern
    return sorted(p for p in anchor.glob(relative) if p.is_file())


def _file_ref(path: Path, scope: dict[str, str | None], *, from_walk: bool) -> SourceRef:
    name = path.name.lower()
    skipped = None
    if from_walk and not name.endswith(READ_SUFFIXES):
        skipped = "not read: file name does not end in .json, .ndjson, .jsonl or .gz"
    return SourceRef(label=str(path), path=path, scope=scope, mtime=path.stat().st_mtime, skipped=skipped)


def _resolve_one(item: Source, scope: dict[str, str | None], counter: list[int]) -> Iterable[SourceRef]:
    if isinstance(item, (bytes, bytearray, memoryview)):
        counter[0] += 1
        yield SourceRef(label=f"<bytes #{counter[0]}>", data=bytes(item), scope=scope)
        return
    if hasattr(item, "read") and not isinstance(item, (str, Path)):
        counter[0] += 1
        data = item.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        yield SourceRef(label=str(getattr(item, "name", f"<file object #{counter[0]}>")), data=data, scope=scope)
        return
    if isinstance(item, (str, Path)):
        text = str(item)
        if _PLACEHOLDER.search(text):
            regex = _template_regex(Path(text).as_posix())
            pattern = _PLACEHOLDER.sub("*", text)
            matched = _glob(pattern)
            if not matched:
                raise CopilotMetricsError(f"{text}: no file matches this path template", file=text)
            for path in matched:
                match = regex.match(path.as_posix())
                labels = dict(match.groupdict()) if match else {}
                yield _file_ref(path, {**scope, **labels}, from_walk=False)
            return
        path = Path(text)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield _file_ref(child, scope, from_walk=True)
            return
        if path.is_file():
            yield _file_ref(path, scope, from_walk=False)
            return
        if _GLOB_CHARS.search(text):
            matched = _glob(text)
            if not matched:
                raise CopilotMetricsError(f"{text}: no file matches this pattern", file=text)
            yield from (_file_ref(p, scope, from_walk=False) for p in matched)
            return
        raise CopilotMetricsError(f"{text}: no such file or folder", file=text)
    if isinstance(item, Sequence):
        for sub in cast("Sequence[Source]", item):
            yield from _resolve_one(sub, scope, counter)
        return
    raise CopilotMetricsError(f"cannot read a source of type {type(item).__name__}")


def resolve(source: Source, scope: dict[str, str | None]) -> list[SourceRef]:
    """List the inputs named by ``source``, each with its scope labels.

    Keyword labels (``scope``) apply to every input; labels from a path template override them.
    """
    refs = list(_resolve_one(source, scope, [0]))
    seen: set[str] = set()
    unique = []
    for ref in refs:
        if ref.path is not None and ref.label in seen:
            continue
        seen.add(ref.label)
        unique.append(ref)
    return unique


@dataclass
class Decoded:
    """One input's content: its layout, its day objects and what wrapped them."""

    layout: str
    days: list[Any]
    wrapper: dict[str, Any] | None = None

    @property
    def json_base(self) -> str:
        """JSON path of the day array in the file: ``$``, or ``$.data`` for a wrapped array."""
        if not self.layout.startswith("wrapped:"):
            return "$"
        return "$." + self.layout.split(":", 1)[1].split("+", 1)[0]


_REPORT_KEYS = frozenset(
    {
        "day_totals", "report_start_day", "report_end_day", "download_links", "report_day",
        "user_login", "daily_active_users", "code_generation_activity_count", "loc_added_sum",
        "totals_by_ide", "totals_by_feature",
    }
)
_LEGACY_KEYS = frozenset({"breakdown", "total_suggestions_count", "total_acceptances_count"})


def _what_is(obj: Any) -> tuple[str, str, str] | None:
    """Name a parsed object that is not a metrics day: (detected, description, hint)."""
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if "date" in keys:
        return None
    if {"message", "documentation_url"} & keys and "message" in keys:
        return (
            "api-error",
            f"a GitHub API error response (message: {obj.get('message')!r})",
            "the request that saved this file failed; the file holds no metrics",
        )
    if keys & _LEGACY_KEYS or ("day" in keys and "breakdown" in keys):
        return (
            "copilot-usage",
            "the older /copilot/usage response (objects with 'day' and 'breakdown')",
            "that endpoint has another shape; copilot-metrics reads the /copilot/metrics response",
        )
    if keys & _REPORT_KEYS:
        return (
            "usage-report",
            "a Copilot usage-metrics report (the successor API's report file)",
            "reports have another shape; copilot-metrics reads the legacy /copilot/metrics response",
        )
    return None


def _unwrap_gzip(data: bytes, label: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise FormatError(
            f"{label}: not a readable gzip file ({exc})", detected="corrupt-gzip", file=label,
            hint="the download was probably cut short; fetch or copy it again",
        ) from exc


def _location(text: bytes, pos: int) -> str:
    line = text.count(b"\n", 0, pos) + 1
    col = pos - (text.rfind(b"\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def _parse_ndjson(text: bytes, label: str) -> list[Any] | None:
    """Parse NDJSON (one value per line, at least two lines); ``None`` if it is not NDJSON.

    Once the first line parses, the file is NDJSON: a later line that does not parse raises
    :class:`FormatError` naming that line (the last line cut short is a truncated download).
    """
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(numbered) < 2:
        return None
    out = []
    for n, line in numbered:
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            if not out:
                return None
            last = n == numbered[-1][0]
            raise FormatError(
                f"{label}: NDJSON line {n} is not valid JSON ({exc.msg} at line {n}, column {exc.pos + 1})",
                detected="truncated-json" if last and exc.pos >= len(line.rstrip()) - 1 else "invalid-json",
                file=label,
                hint="the file was cut short or edited by hand; restore it from the original export",
            ) from None
    return out


def decode(data: bytes, label: str) -> Decoded:
    """Parse one input's bytes into day objects, or raise :class:`FormatError` naming the file.

    The day objects are returned as parsed, unvalidated: validation is the next stage.
    """
    gz = data[:2] == b"\x1f\x8b"
    if gz:
        data = _unwrap_gzip(data, label)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:2]:
        # a BOM, or (without BOM) the NUL byte UTF-16 gives the first ASCII character of JSON
        raise FormatError(
            f"{label}: the file is UTF-16 encoded", detected="utf-16", file=label,
            hint="convert it to UTF-8 (for example: iconv -f UTF-16 -t UTF-8)",
        )
    suffix = "+gzip" if gz else ""
    stripped = data.strip()
    if not stripped:
        raise FormatError(f"{label}: the file is empty", detected="empty", file=label,
                          hint="the export probably failed; no days can be read from it")
    if stripped[:1] == b"<":
        raise FormatError(
            f"{label}: this is HTML or XML, not JSON", detected="html", file=label,
            hint="a web page (a login or error page?) was saved instead of the API response",
        )
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        lines = _parse_ndjson(data, label)
        if lines is None:
            where = _location(data, exc.pos)
            raise FormatError(
                f"{label}: not valid JSON ({exc.msg} at {where}, byte {exc.pos} of {len(data)})",
                detected="truncated-json" if exc.pos >= len(stripped) - 1 else "invalid-json",
                file=label,
                hint="the file was cut short or edited by hand; restore it from the original export",
            ) from None
        if all(isinstance(line, list) for line in lines):
            # API responses appended one per line (``>>``): their days, in order
            days = [day for line in lines for day in line]
            return _classify_items(days, "ndjson-arrays" + suffix, label, None)
        return _classify_items(lines, "ndjson" + suffix, label, None)
    return _classify(parsed, suffix, label)


def _classify(parsed: Any, suffix: str, label: str) -> Decoded:
    if isinstance(parsed, list):
        return _classify_items(parsed, "array" + suffix, label, None)
    if isinstance(parsed, dict):
        if "date" in parsed:
            return Decoded("object" + suffix, [parsed])
        if isinstance(parsed.get("data"), list):
            wrapper = {k: v for k, v in parsed.items() if k != "data"}
            return _classify_items(parsed["data"], "wrapped:data" + suffix, label, wrapper, "$.data")
        named = _what_is(parsed)
        if named:
            raise FormatError.looks_like(label, *named)
        lists = [k for k, v in parsed.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1 and isinstance(parsed[lists[0]][0], dict) and "date" in parsed[lists[0]][0]:
            key = lists[0]
            wrapper = {k: v for k, v in parsed.items() if k != key}
            return _classify_items(parsed[key], f"wrapped:{key}" + suffix, label, wrapper, f"$.{key}")
        raise FormatError(
            f"{label}: $: a JSON object without 'date' or a list of days (keys: {sorted(parsed)[:8]})",
            detected="unknown-object", file=label, json_path="$",
            hint="expected the /copilot/metrics response: an array of objects with a 'date'",
        )
    raise FormatError(
        f"{label}: $: a JSON {type(parsed).__name__} is not a list of days",
        detected="not-a-list", file=label, json_path="$",
        hint="expected the /copilot/metrics response: an array of objects with a 'date'",
    )


def _classify_items(
    items: list[Any], layout: str, label: str, wrapper: dict[str, Any] | None, path: str = "$"
) -> Decoded:
    first = items[0] if items else None
    named = _what_is(first)
    if named:
        raise FormatError.looks_like(label, *named, json_path=f"{path}[0]")
    return Decoded(layout, items, wrapper)
