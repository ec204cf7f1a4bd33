"""Decoding: one input's bytes turned into day objects, and what a file is when it is not an export.

:func:`decode` reads every layout real archives hold: a JSON array (the API response), one day
object, an object wrapping the array (under ``data`` or another single key), NDJSON, responses
appended one per line (``ndjson-arrays``), or JSON documents appended one after the other,
pretty-printed or not (``concatenated-json``: ``gh api ... >> archive.json``), each optionally
gzip-compressed and with or without a UTF-8 BOM.  A file that is something else (the older
``/copilot/usage`` shape, a usage-metrics report, an API error body, rows flattened from an
export, objects dated by ``day``, an empty file, truncated JSON, text that is not UTF-8, HTML, a
zip, a gzip bomb) raises a :class:`~copilot_metrics.errors.FormatError` saying what it looks like.

Layouts of concatenated documents (``ndjson``, ``ndjson-arrays``, ``concatenated-json``) number
their days across the documents, in order: ``$[5]`` is the sixth day of the file.  When their
last line or document is cut short (a file still being appended to), the complete ones are read
and :attr:`Decoded.cut` names the cut one: the caller decides whether that is an error.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from copilot_metrics import _schema
from copilot_metrics.errors import Detected, FormatError
from copilot_metrics.tables import BLOCKS

__all__ = ["Decoded", "Parsed", "decode", "flat_row", "parse_documents", "refused_day", "unwrap_gzip"]


@dataclass
class Decoded:
    """One input's content: its layout, its day objects and what wrapped them.

    ``cut`` is set when the last NDJSON line, or the last of the documents appended to the
    file, was cut short (a file still being appended to): ``days`` are the ones before it,
    ``cut`` the :class:`FormatError` naming it (its ``json_path`` is the index its first day
    would have) and ``cut_text`` its text.
    """

    layout: str
    days: list[Any]
    wrapper: dict[str, Any] | None = None
    cut: FormatError | None = None
    cut_text: str | None = None

    @property
    def json_base(self) -> str:
        """JSON path of the day array in the file: ``$``, or ``$.data`` for a wrapped array."""
        if not self.layout.startswith("wrapped:"):
            return "$"
        return "$." + self.layout.split(":", 1)[1].split("+", 1)[0]


_REPORT_KEYS = frozenset(
    {
        "day_totals",
        "report_start_day",
        "report_end_day",
        "download_links",
        "report_day",
        "user_login",
        "daily_active_users",
        "code_generation_activity_count",
        "loc_added_sum",
        "totals_by_ide",
        "totals_by_feature",
    }
)
_LEGACY_KEYS = frozenset({"breakdown", "total_suggestions_count", "total_acceptances_count"})
#: The four feature blocks of a day: a /copilot/metrics day may hold them, no other shape does.
_BLOCKS = frozenset(BLOCKS)

#: A gzip stream may inflate to this many bytes whatever its ratio...
GZIP_FREE_BYTES = 64 * 2**20
#: ...and past that, to at most this many times the compressed bytes read so far (real exports:
#: 15-25; the same day repeated 2,000 times: about 150; zeros: about 1,000).
GZIP_MAX_RATIO = 400
_GZ_IN = 256 * 1024
_GZ_OUT = 4 * 2**20

#: What other compressed or archive formats start with (checked after gzip is unwrapped).
_MAGIC: tuple[tuple[bytes, Detected, str], ...] = (
    (b"PK\x03\x04", "zip", "a zip archive"),
    (b"PK\x05\x06", "zip", "an empty zip archive"),
    (b"\x1f\x8b", "unsupported-compression", "gzip data inside gzip data"),
    (b"BZh", "unsupported-compression", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "unsupported-compression", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "unsupported-compression", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "unsupported-compression", "a 7-Zip archive"),
)

# orjson's messages (``JSONDecodeError.msg``) for the failures told apart below
_EOF = "unexpected end of data"
_TRAILING = "unexpected content after document"
_TOO_DEEP = "depth limit exceeded"
_NOT_UTF8 = "str is not valid UTF-8"
_CUT_HINT = "the file was cut short or edited by hand; restore it from the original export"


def _what_is(obj: Any) -> tuple[Detected, str, str] | None:
    """Name a parsed object that is not a metrics day: (detected, description, hint)."""
    if not isinstance(obj, dict):
        return None
    keys = set(obj)
    if keys & _LEGACY_KEYS and not keys & _BLOCKS:  # dated by 'day' or, rewritten, by 'date'
        return (
            "copilot-usage",
            "the older /copilot/usage response (objects with 'total_suggestions_count' and 'breakdown')",
            "that endpoint has another shape; copilot-metrics reads the /copilot/metrics response",
        )
    if "date" in keys:
        return None
    if "message" in keys:
        return (
            "api-error",
            f"a GitHub API error response (message: {obj.get('message')!r})",
            "the request that saved this file failed; the file holds no metrics",
        )
    if keys & _REPORT_KEYS:
        return (
            "usage-report",
            "a Copilot usage-metrics report (the successor API's report file)",
            "reports have another shape; copilot-metrics reads the legacy /copilot/metrics response",
        )
    return None


def _is_flat_row(obj: Any, known: frozenset[str]) -> bool:
    """An object with a ``date``, none of the four feature blocks, and a key of its own.

    Keys starting with ``_`` are annotations (``_source``, ``_note``), not data: they do not count.
    """
    if not isinstance(obj, dict) or "date" not in obj or not _BLOCKS.isdisjoint(obj):
        return False
    return any(k not in known and not (isinstance(k, str) and k.startswith("_")) for k in obj)


def refused_day(day: dict[str, Any]) -> bool:
    """Whether a file whose first day is ``day`` is refused as another shape (:func:`decode` says which)."""
    return _what_is(day) is not None


def flat_row(day: dict[str, Any]) -> bool:
    """Whether ``day`` looks like a row flattened from an export: a file of nothing else is refused."""
    return _is_flat_row(day, _schema.known_keys()[""])


def _check_items(items: list[Any], label: str, path: str, *, single: bool = False) -> None:
    """Refuse a list of objects that are not metrics days, naming what they are.

    * the first object is another known shape (``_what_is``);
    * no object has ``date`` and some have ``day``: ``copilot-usage`` when one of them has that
      endpoint's keys (``total_suggestions_count``, ``breakdown``), ``day-instead-of-date``
      otherwise, said once;
    * every object is a flattened row (:func:`_is_flat_row`): ``flattened-rows``.  A real sparse
      day (``{"date": ...}`` alone, with only the schema's totals, or with ``_`` annotations)
      has no key of its own, so it still loads; a file holding one real day is not refused.
    """
    if not items:
        return

    def at(index: int) -> str:
        return path if single else f"{path}[{index}]"

    # the first object, not the first element: an array may start with a stray [] or string
    first = next((i for i, obj in enumerate(items) if isinstance(obj, dict)), None)
    named = _what_is(items[first]) if first is not None else None
    if named and first is not None:
        raise FormatError.looks_like(label, *named, json_path=at(first))
    if not any(isinstance(obj, dict) and "date" in obj for obj in items):
        by_day = [i for i, obj in enumerate(items) if isinstance(obj, dict) and "day" in obj]
        for i in by_day:  # /copilot/usage days after objects of another kind
            named = _what_is(items[i])
            if named and named[0] == "copilot-usage":
                raise FormatError.looks_like(label, *named, json_path=at(i))
        if by_day:
            raise FormatError.looks_like(
                label,
                "day-instead-of-date",
                f"objects dated by 'day' instead of 'date' ({len(by_day)} of {len(items)} object(s) have "
                "'day', none has 'date')",
                "copilot-metrics reads /copilot/metrics days, which are dated by 'date'; if a tool renamed the key, "
                "rename it back (for example: jq 'map(.date = .day | del(.day))')",
                json_path=at(by_day[0]),
            )
        return
    known = _schema.known_keys()[""]
    if all(_is_flat_row(obj, known) for obj in items):
        own = sorted(k for k in items[0] if k not in known)
        shown = ", ".join(repr(k) for k in own[:6]) + (", ..." if len(own) > 6 else "")
        raise FormatError.looks_like(
            label,
            "flattened-rows",
            f"rows flattened from an export: objects with 'date' and flat keys ({shown}), "
            "and none of the export's four sections",
            "load the original /copilot/metrics response: a flattened table is derived from it, and "
            "loading it as days would replace the real days",
            json_path=at(0),
        )


def unwrap_gzip(data: bytes, label: str) -> bytes:
    """Inflate gzip data (every member), refusing a decompression bomb before it fills memory.

    Raises the :class:`FormatError` :func:`decode` raises for corrupt gzip data or a bomb.
    """

    def corrupt(reason: str) -> FormatError:
        return FormatError(
            f"{label}: not a readable gzip file ({reason})",
            detected="corrupt-gzip",
            file=label,
            hint="the download was probably cut short; fetch or copy it again",
        )

    view = memoryview(data)
    out: list[bytes] = []
    total = 0
    start = 0
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pos = start
        piece: bytes | memoryview = b""
        try:
            while not inflater.eof:
                if not piece and pos < len(data):
                    piece = view[pos : pos + _GZ_IN]
                    pos += len(piece)
                chunk = inflater.decompress(piece, _GZ_OUT)
                piece = inflater.unconsumed_tail
                if not chunk and not piece and pos >= len(data) and not inflater.eof:
                    raise corrupt("Compressed file ended before the end-of-stream marker was reached")
                out.append(chunk)
                total += len(chunk)
                if total > GZIP_FREE_BYTES and total > GZIP_MAX_RATIO * (pos - len(piece)):
                    raise FormatError(
                        f"{label}: the gzip data inflates past {total // 2**20} MiB at more than "
                        f"{GZIP_MAX_RATIO} times its compressed size: refused as a decompression bomb",
                        detected="gzip-bomb",
                        file=label,
                        hint="no real export compresses that well; if this file is genuine, decompress it "
                        "yourself and load the result",
                    )
        except zlib.error as exc:
            raise corrupt(str(exc)) from None
        start = pos - len(inflater.unused_data)
        rest = view[start:]
        if not rest or not bytes(rest).strip(b"\x00"):  # the end, or zero padding (as gzip allows)
            return b"".join(out)
        if bytes(rest[:2]) != b"\x1f\x8b":
            raise corrupt(f"{len(rest)} byte(s) that are not gzip after the compressed data")


def _byte_offset(buf: bytes | memoryview, chars: int) -> int:
    """The byte offset of character ``chars`` of UTF-8 ``buf`` (orjson counts characters)."""
    if chars <= 0:
        return 0
    head = bytes(buf[: 4 * chars]).decode("utf-8", "ignore")  # a character is at most 4 bytes
    return min(len(buf), len(head[:chars].encode("utf-8")))


def _location(text: bytes, pos: int) -> str:
    """``line L, column C`` of byte ``pos`` (the column counts characters)."""
    line = text.count(b"\n", 0, pos) + 1
    begin = text.rfind(b"\n", 0, pos) + 1
    col = len(text[begin:pos].decode("utf-8", "replace")) + 1
    return f"line {line}, column {col}"


def _json_error(data: bytes, msg: str, pos: int, label: str, where: str = "") -> FormatError:
    """The error for JSON that does not parse at byte ``pos``: truncated, too deep, or invalid."""
    place = f"at {_location(data, pos)}, byte {pos} of {len(data)}"
    if msg == _TOO_DEEP:
        return FormatError(
            f"{label}: {where}not valid JSON ({msg} {place}: arrays or objects nested more than 1024 deep)",
            detected="too-deep",
            file=label,
            hint="no export nests that deep: this is not a metrics export, or it was damaged",
        )
    if msg == _EOF:
        return FormatError(
            f"{label}: {where}not valid JSON ({msg} {place})", detected="truncated-json", file=label, hint=_CUT_HINT
        )
    hint = _CUT_HINT
    if data[pos : pos + 3] == b"NaN" or data[pos : pos + 8] in (b"Infinity", b"-Infinit"):
        hint = "NaN and Infinity are not JSON (Python's json.dump writes them); fix the tool that wrote this file"
    elif "surrogate" in msg:
        hint = (
            "a \\ud800-\\udfff escape without its pair is not text: the file was damaged, or written by a "
            "tool that cut a string in the middle of a character"
        )
    return FormatError(
        f"{label}: {where}not valid JSON ({msg} {place})", detected="invalid-json", file=label, hint=hint
    )


def _not_utf8(data: bytes, label: str) -> FormatError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = exc.start
    else:  # pragma: no cover - orjson said it is not UTF-8
        pos = 0
    return FormatError(
        f"{label}: not UTF-8 text (byte 0x{data[pos]:02x} at {_location(data, pos)}, byte {pos} of {len(data)})",
        detected="not-utf-8",
        file=label,
        hint="JSON files are UTF-8; this one was probably saved as Latin-1 or Windows-1252: convert it "
        "(for example: iconv -f WINDOWS-1252 -t UTF-8)",
    )


def _parse_ndjson(
    text: bytes, label: str, loads: Callable[[Any], Any] = orjson.loads
) -> tuple[list[Any], FormatError | None, bytes] | None:
    """Parse NDJSON (one value per line, at least two lines); ``None`` if it is not NDJSON.

    Once the first line parses, the file is NDJSON: returns the values of the lines, and
    ``None``; or, when a later line does not parse, the values of the lines before it, the
    :class:`FormatError` naming that line (the last line cut short is a truncated download, or
    a file still being appended to), for the caller to raise if the file is not concatenated
    JSON either, and that line's bytes.
    """
    first = re.search(rb"[^\r\n]*[^\s][^\r\n]*", text)  # the first line that is not blank
    if first is None:
        return None
    try:
        orjson.loads(first.group())
    except orjson.JSONDecodeError:
        return None
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(numbered) < 2:
        return None
    out = []
    for n, line in numbered:
        try:
            out.append(loads(line))
        except orjson.JSONDecodeError as exc:
            last = n == numbered[-1][0]
            pos = _byte_offset(line, exc.pos)
            cut = last and (exc.msg == _EOF or pos >= len(line.rstrip()) - 1)
            return (
                out,
                FormatError(
                    f"{label}: NDJSON line {n} is not valid JSON ({exc.msg} at line {n}, column {pos + 1})",
                    detected="truncated-json" if cut else "invalid-json",
                    file=label,
                    hint=_CUT_HINT,
                ),
                line,
            )
    return out, None, b""


class _BadDocumentError(Exception):
    def __init__(self, index: int, msg: str, pos: int, start: int, docs: list[Any]) -> None:
        super().__init__(msg)
        self.index, self.msg, self.pos = index, msg, pos
        self.start, self.docs = start, docs  # where the bad document starts; the ones before it


_WS = re.compile(rb"[ \t\r\n]*")
#: where a document may start: ``[`` or ``{`` at the start of a line (pretty-printers indent the rest)
_DOC_START = re.compile(rb"(?m)^[\[{]")


def _documents(data: bytes, loads: Callable[[Any], Any] = orjson.loads) -> list[Any]:
    """Parse JSON documents written one after the other (``>>``), pretty-printed or not.

    Each document is parsed by orjson on its own bytes: a line starting with ``[`` or ``{``
    is tried as the start of the next one (so a document is parsed once, not the rest of the
    file each time); failing that, orjson says where a document ends.  Raises
    :class:`_BadDocumentError` for the first document that does not parse (a document cut
    short can only be the last: it runs to the end of the file).
    """
    view = memoryview(data)
    size = len(data)
    starts = [m.start() for m in _DOC_START.finditer(data)]
    docs: list[Any] = []
    pos = _WS.match(data).end()  # type: ignore[union-attr]
    k = 0
    while pos < size:
        while k < len(starts) and starts[k] <= pos:
            k += 1
        tries = 0
        j = k
        while True:
            end = starts[j] if j < len(starts) and tries < 8 else size
            try:
                docs.append(loads(view[pos:end]))
            except orjson.JSONDecodeError as exc:
                if exc.msg == _EOF and end < size:  # the document goes on past that line
                    tries += 1
                    j += 1
                    continue
                stop = pos + _byte_offset(view[pos:end], exc.pos)
                if exc.msg != _TRAILING:
                    raise _BadDocumentError(len(docs), exc.msg, stop, pos, docs) from None
                docs.append(loads(view[pos:stop]))
                end = stop
            break
        pos = _WS.match(data, end).end()  # type: ignore[union-attr]
    return docs


def _sniff(data: bytes, label: str) -> None:
    """Refuse, before parsing, what is plainly not UTF-8 JSON text."""
    for magic, detected, what in _MAGIC:
        if data.startswith(magic):
            raise FormatError(
                f"{label}: this is {what}, not JSON",
                detected=detected,
                file=label,
                hint="extract the exports first; copilot-metrics reads .json, .ndjson and .json.gz files",
            )
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or (
        len(data) >= 4 and (data[:3] == b"\x00\x00\x00" or data[1:4] == b"\x00\x00\x00")
    ):
        raise FormatError(
            f"{label}: the file is UTF-32 encoded",
            detected="utf-32",
            file=label,
            hint="convert it to UTF-8 (for example: iconv -f UTF-32 -t UTF-8)",
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:2]:
        # a BOM, or (without BOM) the NUL byte UTF-16 gives the first ASCII character of JSON
        raise FormatError(
            f"{label}: the file is UTF-16 encoded",
            detected="utf-16",
            file=label,
            hint="convert it to UTF-8 (for example: iconv -f UTF-16 -t UTF-8)",
        )


def decode(data: bytes, label: str, *, exact: bool = False) -> Decoded:
    """Parse one input's bytes into day objects, or raise :class:`FormatError` naming the file.

    The day objects are returned as parsed, unvalidated: validation is the next stage.
    Only when the bytes are not one JSON document are the other layouts tried (NDJSON, then
    concatenated documents), so reading a plain export costs one orjson call.  ``exact`` reads
    every number exactly (:func:`copilot_metrics._schema.loads_exact`: about ten times slower),
    for a file where orjson's reading is not (an integer beyond 64 bits).

    When the last NDJSON line, or the last document appended to the file, is cut short (a file
    still being appended to), the complete ones are returned and :attr:`Decoded.cut` names the
    cut one; a file that holds nothing complete raises.
    """
    loads: Callable[[Any], Any] = _schema.loads_exact if exact else orjson.loads
    data, suffix = _opened(data, label, "no days can be read from it", "the API response")
    try:
        parsed = loads(data)
    except orjson.JSONDecodeError as exc:
        _one_document_refused(data, label, exc)
        return _decode_several(data, label, suffix, loads)
    return _classify(parsed, suffix, label)


def _opened(data: bytes, label: str, nothing: str, instead_of: str) -> tuple[bytes, str]:
    """The JSON text of an input (gzip and a UTF-8 BOM taken off) and its layout suffix (``+gzip``).

    Refuses what cannot be JSON text at all: UTF-16/32 and other encodings, an empty file
    (``nothing``: what cannot be read from it), an HTML or XML page (saved instead of
    ``instead_of``).
    """
    gz = data[:2] == b"\x1f\x8b"
    if gz:
        data = unwrap_gzip(data, label)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    _sniff(data, label)
    stripped = data.strip()
    if not stripped:
        raise FormatError(
            f"{label}: the file is empty", detected="empty", file=label, hint=f"the export probably failed; {nothing}"
        )
    if stripped[:1] == b"<":
        raise FormatError(
            f"{label}: this is HTML or XML, not JSON",
            detected="html",
            file=label,
            hint=f"a web page (a login or error page?) was saved instead of {instead_of}",
        )
    return data, "+gzip" if gz else ""


def _one_document_refused(data: bytes, label: str, exc: orjson.JSONDecodeError) -> None:
    """Raise for bytes that are no JSON document, unless they may be several (NDJSON, appended)."""
    if exc.msg.startswith(_NOT_UTF8):
        raise _not_utf8(data, label) from None
    if exc.msg != _TRAILING:
        raise _json_error(data, exc.msg, _byte_offset(data, exc.pos), label) from None


def _decode_several(data: bytes, label: str, suffix: str, loads: Callable[[Any], Any]) -> Decoded:
    """Bytes holding several JSON documents: NDJSON, or documents appended one after another."""
    lines = _parse_ndjson(data, label, loads)
    if lines is not None and lines[1] is None:
        return _from_documents(lines[0], "ndjson", suffix, label)
    try:
        docs = _documents(data, loads)
    except _BadDocumentError as bad:
        if lines is not None:  # NDJSON whose later line is bad: that line's message
            complete, error, line = lines
            assert error is not None
            if error.detected != "truncated-json":
                raise error from None
            return _cut_short(_from_documents(complete, "ndjson", suffix, label), error, line)
        where = f"JSON document {bad.index + 1} (of the documents appended to this file): "
        error = _json_error(data, bad.msg, bad.pos, label, where)
        if error.detected != "truncated-json":
            raise error from None
        decoded = _from_documents(bad.docs, "concatenated-json", suffix, label, arrays="flatten")
        return _cut_short(decoded, error, data[bad.start :])
    return _from_documents(docs, "concatenated-json", suffix, label, arrays="flatten")


def _from_documents(docs: list[Any], layout: str, suffix: str, label: str, arrays: str = "lines") -> Decoded:
    """The days of documents read one after another: a document that is an array holds days.

    NDJSON (``arrays="lines"``) is ``ndjson-arrays`` when every line is an array (responses
    appended one per line), ``ndjson`` otherwise; concatenated documents flatten their arrays.
    """
    if arrays == "lines":
        if docs and all(isinstance(line, list) for line in docs):
            # API responses appended one per line (``>>``): their days, in order
            return _classify_items([day for line in docs for day in line], "ndjson-arrays" + suffix, label, None)
        return _classify_items(docs, layout + suffix, label, None)
    items: list[Any] = []
    for doc in docs:
        if isinstance(doc, list):
            items.extend(doc)
        else:
            items.append(doc)
    return _classify_items(items, layout + suffix, label, None)


def _cut_short(decoded: Decoded, error: FormatError, text: bytes) -> Decoded:
    """The complete days of a file whose last line or document is cut short, and that cut."""
    error.json_path = f"$[{len(decoded.days)}]"
    error.hint = (
        f"{_CUT_HINT}; if the file is still being written, on_invalid='quarantine' reads its "
        f"{len(decoded.days)} complete day(s)"
    )
    decoded.cut = error
    decoded.cut_text = text.decode("utf-8", "replace")
    return decoded


def _classify(parsed: Any, suffix: str, label: str) -> Decoded:
    if isinstance(parsed, list):
        return _classify_items(parsed, "array" + suffix, label, None)
    if isinstance(parsed, dict):
        if "date" in parsed:
            _check_items([parsed], label, "$", single=True)
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
        if "day" in parsed:
            _check_items([parsed], label, "$", single=True)
        raise FormatError(
            f"{label}: $: a JSON object without 'date' or a list of days (keys: {sorted(parsed)[:8]})",
            detected="unknown-object",
            file=label,
            json_path="$",
            hint="expected the /copilot/metrics response: an array of objects with a 'date'",
        )
    raise FormatError(
        f"{label}: $: a JSON {_JSON_TYPES.get(type(parsed), type(parsed).__name__)} is not a list of days",
        detected="not-a-list",
        file=label,
        json_path="$",
        hint="expected the /copilot/metrics response: an array of objects with a 'date'",
    )


_JSON_TYPES: dict[type, str] = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string"}


def _classify_items(
    items: list[Any], layout: str, label: str, wrapper: dict[str, Any] | None, path: str = "$"
) -> Decoded:
    _check_items(items, label, path)
    return Decoded(layout, items, wrapper)


@dataclass
class Parsed:
    """One input's JSON documents, before any reading as days: for readers of other shapes.

    ``layout`` is ``object`` or ``array`` (one document), ``ndjson`` or ``concatenated-json``
    (several), with ``+gzip`` when the bytes were gzip-compressed; ``documents`` the parsed
    documents in file order (one for ``object``/``array``).
    """

    layout: str
    documents: list[Any]


def parse_documents(data: bytes, label: str, *, exact: bool = False) -> Parsed:
    """Parse bytes into JSON documents with :func:`decode`'s layouts and refusals, not reading them as days.

    gzip, a UTF-8 BOM, one document, NDJSON and documents appended one after another are
    handled as :func:`decode` handles them; bytes that are not JSON text raise the same
    :class:`FormatError`.  A last line or document cut short raises (nothing is half-read).
    Used by the reader of the successor usage-metrics reports (:mod:`copilot_metrics.successor`).
    """
    loads: Callable[[Any], Any] = _schema.loads_exact if exact else orjson.loads
    data, suffix = _opened(data, label, "nothing can be read from it", "the report")
    try:
        parsed = loads(data)
    except orjson.JSONDecodeError as exc:
        _one_document_refused(data, label, exc)
    else:
        return Parsed(("array" if isinstance(parsed, list) else "object") + suffix, [parsed])
    lines = _parse_ndjson(data, label, loads)
    if lines is not None and lines[1] is None:
        return Parsed("ndjson" + suffix, lines[0])
    try:
        return Parsed("concatenated-json" + suffix, _documents(data, loads))
    except _BadDocumentError as bad:
        if lines is not None and lines[1] is not None:
            raise lines[1] from None
        where = f"JSON document {bad.index + 1} (of the documents appended to this file): "
        raise _json_error(data, bad.msg, bad.pos, label, where) from None
