"""The published JSON Schema, read once from the package, and everything derived from it.

The schema files ship inside the package (``copilot_metrics/schemas``) and are read with
:mod:`importlib.resources`.  From the day schema this module derives:

* the validators: a compiled one (``jsonschema-rs``) when installed, ``jsonschema`` otherwise
  and always for the full error report of a day that fails;
* a *strict* variant that forbids unknown keys, used only to learn cheaply which days carry
  keys the schema does not know (they are kept, never rejected) or numbers that need a closer
  look (:func:`number_problems`);
* the Arrow type of a day, used to turn parsed days into columns in one C++ call.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any, Protocol

import pyarrow as pa

DAY_SCHEMA_FILE = "copilot-usage-metrics-day.schema.json"
RESPONSE_SCHEMA_FILE = "copilot-metrics-response.schema.json"


class _FastValidator(Protocol):
    def is_valid(self, instance: Any) -> bool: ...


def schema_text(name: str = DAY_SCHEMA_FILE) -> str:
    """Return the text of a shipped schema file."""
    return (resources.files("copilot_metrics") / "schemas" / name).read_text(encoding="utf-8")


@functools.cache
def day_schema() -> dict[str, Any]:
    """The published schema of one day (JSON Schema draft 2020-12)."""
    schema: dict[str, Any] = json.loads(schema_text(DAY_SCHEMA_FILE))
    return schema


@functools.cache
def schema_hash() -> str:
    """SHA-256 of the shipped day schema, recorded in Parquet footers."""
    return hashlib.sha256(schema_text(DAY_SCHEMA_FILE).encode("utf-8")).hexdigest()


#: Below this size, a number is the same integer however it is written (``12``, ``12.0``,
#: ``1.2e1``) and whichever way it is read (a 64-bit float holds every integer up to it).
EXACT_LIMIT = 2**53
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in node:
            out["additionalProperties"] = False
        if node.get("type") == "integer":  # and the value is exact whatever way it is written
            out["minimum"] = -(EXACT_LIMIT - 1)
            out["maximum"] = EXACT_LIMIT - 1
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def strict_day_schema() -> dict[str, Any]:
    """The day schema with ``additionalProperties: false`` on every object, integers below 2**53.

    A day that passes it has no unknown key and converts to the tables' types as it is, exactly:
    a count written ``12.0`` is 12.  Larger integers are valid, but they get a closer look
    (:func:`number_problems`).
    """
    strict: dict[str, Any] = _strict(copy.deepcopy(day_schema()))
    return strict


#: The text of a ``date`` (``YYYY-MM-DD``, ASCII digits); :func:`is_date` also checks it is a real day.
DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE = re.compile(DATE_PATTERN)


def is_date(value: Any) -> bool:
    """The ``date`` format (RFC 3339 full-date): ``YYYY-MM-DD``, ASCII digits, a real calendar day.

    >>> [is_date(v) for v in ("2024-06-24", "2024-13-40", "0000-01-01", "20240624", 20240624)]
    [True, False, False, False, True]
    """
    if not isinstance(value, str):
        return True  # formats constrain strings only; "type" rejects the rest
    if len(value) != 10 or not _DATE.fullmatch(value):  # the length first: a 100 MB string costs nothing
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


#: The format checks of both validators, so that they agree by construction (jsonschema-rs alone
#: accepts ``0000-01-01``, which Python and ``jsonschema`` reject).
FORMAT_CHECKS: dict[str, Callable[[Any], bool]] = {"date": is_date}


@functools.cache
def reporting_validator() -> Any:
    """A ``jsonschema`` validator with the format checks: slow, but reports every error."""
    import jsonschema

    cls = jsonschema.validators.validator_for(day_schema())
    checker = jsonschema.FormatChecker(formats=())
    for name, check in FORMAT_CHECKS.items():
        checker.checks(name)(check)
    return cls(day_schema(), format_checker=checker)


def _formats_used(node: Any) -> set[str]:
    """Every ``format`` named in a schema."""
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        return found.union(*(_formats_used(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_formats_used(v) for v in node))
    return set()


@functools.cache
def fast_validators() -> tuple[_FastValidator, _FastValidator] | None:
    """Compiled validators ``(published, strict)`` from jsonschema-rs, or ``None`` if absent.

    Both use :data:`FORMAT_CHECKS`, like :func:`reporting_validator`; the fast path never
    imports ``jsonschema``.
    """
    try:
        import jsonschema_rs
    except ImportError:
        return None
    missing = _formats_used(day_schema()) - set(FORMAT_CHECKS)
    if missing:  # pragma: no cover - the published schema uses "date" only
        raise AssertionError(f"no format check for {sorted(missing)}")
    return (
        jsonschema_rs.validator_for(day_schema(), validate_formats=True, formats=FORMAT_CHECKS),
        jsonschema_rs.validator_for(strict_day_schema(), validate_formats=True, formats=FORMAT_CHECKS),
    )


def _arrow_type(node: dict[str, Any]) -> pa.DataType:
    types = node.get("type")
    kind = str(next(t for t in types if t != "null") if isinstance(types, list) else types)
    if kind == "object":
        return pa.struct([(k, _arrow_type(v)) for k, v in node.get("properties", {}).items()])
    if kind == "array":
        return pa.list_(_arrow_type(node["items"]))
    return {"integer": pa.int64(), "string": pa.string(), "boolean": pa.bool_(), "number": pa.float64()}[kind]


@functools.cache
def day_arrow_type() -> pa.StructType:
    """The Arrow struct type of a day, field for field from the schema."""
    result = _arrow_type(day_schema())
    assert isinstance(result, pa.StructType)
    return result


def _known(node: dict[str, Any]) -> dict[str, Any]:
    return dict(node.get("properties", {}))


@functools.cache
def known_keys() -> dict[str, frozenset[str]]:
    """Known keys of each kind of object, by its dotted schema path (``""`` is the day)."""
    out: dict[str, frozenset[str]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        props = _known(node)
        out[path] = frozenset(props)
        for key, sub in props.items():
            sub_path = f"{path}.{key}" if path else key
            if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
                walk(sub["items"], sub_path + "[]")
            elif "properties" in sub:
                walk(sub, sub_path)

    walk(day_schema(), "")
    return out


JsonPath = tuple[str | int, ...]


@functools.cache
def integer_keys() -> dict[str, frozenset[str]]:
    """The keys holding an integer (a count) in each kind of object, by dotted schema path."""
    out: dict[str, frozenset[str]] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        props = _known(node)
        found = []
        for key, sub in props.items():
            types = sub.get("type")
            if "integer" in (types if isinstance(types, list) else [types]):
                found.append(key)
            sub_path = f"{path}.{key}" if path else key
            if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
                walk(sub["items"], sub_path + "[]")
            elif "properties" in sub:
                walk(sub, sub_path)
        out[path] = frozenset(found)

    walk(day_schema(), "")
    return out


def _exact_count(value: Any) -> bool:
    """Whether a count the schema accepts is exactly one integer that an Int64 column holds.

    A number written with a fraction or an exponent is read as a 64-bit float: below 2**53 that
    is exact; past it, its text decides (:class:`NumberText`, from :func:`loads_exact`): it must
    be the float's own value (``9007199254740992.0`` is, ``9007199254740993.0`` is not).
    """
    if isinstance(value, NumberText):
        written = decimal.Decimal(value.text)
        return written == decimal.Decimal(float(value)) and INT64_MIN <= written <= INT64_MAX
    if isinstance(value, float):  # as orjson read it: past 2**53, only its text can tell
        return value.is_integer() and abs(value) < EXACT_LIMIT
    if isinstance(value, int) and not isinstance(value, bool):
        return INT64_MIN <= value <= INT64_MAX
    return True  # null, or a type the schema reports itself


def fits_int64(value: int | float) -> bool:
    """Whether a number (its text, for :class:`NumberText`) lies in the Int64 range."""
    if isinstance(value, NumberText):
        return INT64_MIN <= decimal.Decimal(value.text) <= INT64_MAX
    return INT64_MIN <= value <= INT64_MAX


def has_float(value: Any, limit: float) -> bool:
    """Whether ``value`` holds, at any depth, a float of magnitude ``limit`` or more.

    orjson reads an integer beyond 64 bits as a float: only such a float (2**63 or more) can
    stand for a number orjson did not read exactly.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if abs(item) >= limit:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def number_problems(day: Any) -> tuple[list[tuple[JsonPath, Any]], bool]:
    """The numbers of a schema-valid day that the tables cannot hold exactly, and whether to read it again.

    Returns the counts (known integer keys) that are not exactly an integer an Int64 column
    holds, ``(path relative to the day, value)`` in document order: an integer beyond 64 bits,
    or a number written with a fraction or an exponent that a 64-bit float does not hold exactly
    (``9007199254740993.0`` is read as ...992); on a day read by orjson, every such number of
    2**53 or more, for its text to decide once read again; and whether a key the schema does not know holds
    a float of 2**63 or more, which may stand for an integer that orjson read as a float (the
    day must then be read again exactly, see :func:`loads_exact`).
    """
    known = known_keys()
    integers = integer_keys()
    bad: list[tuple[JsonPath, Any]] = []
    reread = False

    def walk(obj: Any, schema_path: str, path: JsonPath) -> None:
        nonlocal reread
        keys = known.get(schema_path)
        if not isinstance(obj, dict) or keys is None:
            return
        counts = integers[schema_path]
        for key, value in obj.items():
            if key not in keys:
                reread = reread or has_float(value, 2.0**63)
            elif key in counts:
                if not _exact_count(value):
                    bad.append(((*path, key), value))
            else:
                sub = f"{schema_path}.{key}" if schema_path else key
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        walk(item, sub + "[]", (*path, key, i))
                elif isinstance(value, dict):
                    walk(value, sub, (*path, key))

    walk(day, "", ())
    return bad, reread


class NumberText(float):
    """A JSON number with a fraction or an exponent, read by :func:`loads_exact` with its text.

    It is the float every JSON reader gives; :func:`json_bytes` writes it back as it was written
    (``9007199254740993.0`` stays that, not ``9007199254740992.0``).
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> NumberText:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __reduce__(self) -> tuple[Any, ...]:
        return (NumberText, (self.text,))


def loads_exact(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON that orjson parses (its errors, unchanged), keeping every number exact.

    Integers of any size stay integers (orjson reads those beyond 64 bits as floats); numbers
    with a fraction or an exponent are :class:`NumberText`.  A document nested too deep for
    Python's own parser (about 1,000 levels; orjson goes to 1,024) keeps orjson's reading.
    """
    import orjson

    value = orjson.loads(data)
    try:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data, parse_float=NumberText)
    except RecursionError:
        return value


def loads(text: str | bytes) -> Any:
    """Parse JSON written by :func:`json_bytes`: orjson, or Python's parser for integers beyond 64 bits.

    Floats come back as ``float``: the value any JSON reader gives.

    >>> loads('{"n": 123456789012345678901234567890, "x": 1.5}')
    {'n': 123456789012345678901234567890, 'x': 1.5}
    """
    import orjson

    value = orjson.loads(text)
    if has_float(value, 2.0**63):
        return json.loads(text)
    return value


def unknown_keys(day: Any) -> list[tuple[JsonPath, dict[str, Any]]]:
    """Every object of a (schema-valid) day holding keys the schema does not know.

    Returns ``(path, {key: value})`` pairs, the path relative to the day, in document order.
    """
    known = known_keys()
    found: list[tuple[JsonPath, dict[str, Any]]] = []

    def walk(obj: Any, schema_path: str, path: JsonPath) -> None:
        if not isinstance(obj, dict):
            return
        keys = known.get(schema_path)
        if keys is None:
            return
        extra = {k: v for k, v in obj.items() if k not in keys}
        if extra:
            found.append((path, extra))
        for key, value in obj.items():
            if key not in keys:
                continue
            sub = f"{schema_path}.{key}" if schema_path else key
            if isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, sub + "[]", (*path, key, i))
            elif isinstance(value, dict):
                walk(value, sub, (*path, key))

    walk(day, "", ())
    return found


def json_bytes(value: Any) -> bytes:
    """Compact JSON of a parsed value, at any depth orjson parses (orjson writes only 254 levels).

    >>> json_bytes({"a": [1, "x", None]})
    b'{"a":[1,"x",null]}'
    >>> nested = []
    >>> for _ in range(600):
    ...     nested = [nested]
    >>> json_bytes(nested) == b"[" * 601 + b"]" * 601
    True
    >>> json_bytes({"n": -2**63 - 1})
    b'{"n":-9223372036854775809}'
    >>> json_bytes([NumberText("9007199254740993.0"), NumberText("1E+2")])
    b'[9007199254740993.0,1E+2]'
    """
    import orjson

    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        pass
    # the same text, written without recursion: a stack of values and ready-made tokens
    out: list[bytes] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Token):
            out.append(item.text)
        elif isinstance(item, dict):
            parts: list[Any] = [_OPEN_OBJECT]
            for i, (key, sub) in enumerate(item.items()):
                parts.append(_Token((b"," if i else b"") + orjson.dumps(str(key)) + b":"))
                parts.append(sub)
            parts.append(_CLOSE_OBJECT)
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            parts = [_OPEN_LIST]
            for i, sub in enumerate(item):
                if i:
                    parts.append(_COMMA)
                parts.append(sub)
            parts.append(_CLOSE_LIST)
            stack.extend(reversed(parts))
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(str(item).encode())  # any size: orjson writes 64-bit integers only
        elif isinstance(item, NumberText):
            out.append(item.text.encode())  # as it was written
        else:
            out.append(orjson.dumps(item))
    return b"".join(out)


class _Token:
    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text


_OPEN_OBJECT, _CLOSE_OBJECT = _Token(b"{"), _Token(b"}")
_OPEN_LIST, _CLOSE_LIST, _COMMA = _Token(b"["), _Token(b"]"), _Token(b",")


def format_path(prefix: str, path: Iterable[str | int]) -> str:
    """Render a JSON path: ``format_path("$[3]", ("a", 0, "b")) == "$[3].a[0].b"``."""
    out = [prefix]
    for part in path:
        out.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(out)
