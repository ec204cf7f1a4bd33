r"""Scanning: the day objects of one legacy file as raw byte ranges, each distinct one found once.

:func:`scan` splits the bytes of one file (gzip already unwrapped) into its days without
building a Python object for any of them, fingerprints each day's bytes with xxh3-128, and
returns the distinct ranges in first-seen order (:class:`Scan`), with, for every day of the
file, which distinct range it is a copy of and which top-level document holds it.  A file
holding each day tens of times (daily exports appended with ``gh api ... >> archive.json``, a
year of 28-day responses, thousands of one-line documents) costs one pass of the C scanner and
one hash per copy: linear in bytes, and only the distinct ranges are ever parsed.

It reads the layouts :func:`copilot_metrics.decode.decode` reads for days, and names them as it
does: one array of days (``array``), one day object (``object``), NDJSON of days (``ndjson``)
or of arrays (``ndjson-arrays``), and documents appended one after the other, pretty-printed or
not, arrays flattened (``concatenated-json``).  Days are numbered across the documents, as
``decode`` numbers them (``$[5]`` is the sixth day of the file).  :func:`scan` returns ``None``
for anything it cannot split with certainty, so that the caller reads the file as today and
raises today's errors: bytes that are not valid JSON for the scanner, a document cut short, an
empty file, a wrapped array (``{"data": [...]}``), an element that is not an object, a day
without a string ``date``, nesting deeper than the scanner goes, gzip data.  It never raises
an error of its own about the bytes.

Equal content, other bytes (another indentation, ``\u`` escapes): the caller parses only the
distinct ranges, and :func:`content_digest` of each parsed day is the key the loader compares
days by (:func:`copilot_metrics._schema.json_bytes`, what ``batch.repeat_key`` keys repeats
by): key order and ``1`` against ``1.0`` stay distinct there, exactly as today (another key
order collapses later, in the merge's digest of the flattened rows, as today).

Why msgspec: ``msgspec.json.decode(data, type=list[msgspec.Raw])`` is a C scanner that checks
the JSON grammar and returns each element as a zero-copy view of the input, at several hundred
MB/s, and its errors give the byte where a document ends (``trailing characters (byte N)``),
which splits appended documents in one pass each.  A scanner written here in Python (a byte loop
tracking strings and brackets) runs at a few MB/s; regular expressions cannot match brackets;
ijson builds Python events for every token (the object creation this step avoids) and yields no
byte offsets; the simdjson bindings (pysimdjson, cysimdjson) hand back parsed proxies, not raw
ranges, and are less kept (wheels lag new Pythons).  msgspec is maintained, has wheels for every
platform, and is small.  xxh3-128 (``xxhash``) hashes at memory speed; 128 bits make a collision
between two days of an archive out of reach (a dictionary of compact JSON, today's key, costs a
copy of every day).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
import xxhash

from copilot_metrics import _schema

__all__ = ["Scan", "Unsplittable", "content_digest", "content_groups", "scan"]


class Unsplittable(Exception):  # noqa: N818 - a signal, not an error a user sees
    """Internal signal: read this file the way :func:`copilot_metrics.decode.decode` does.

    Raised by :meth:`Scan.load` when a distinct range does not parse with orjson; never shown
    to a user (the caller reads the file again on today's path, which raises today's error).
    """


class _Dated(msgspec.Struct):
    """A day's ``date`` alone (the other keys are skipped, not built)."""

    date: str


_DATED = msgspec.json.Decoder(_Dated)
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_VALUE = msgspec.json.Decoder(msgspec.Raw)
#: msgspec's message when a document is followed by more than whitespace
_TRAILING = re.compile(r"^JSON is malformed: trailing characters \(byte ([0-9]+)\)$")
#: between two elements of an array: JSON whitespace, a comma, JSON whitespace
_SEP = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*")
_WS = re.compile(rb"[ \t\r\n]*")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Scan:
    """The days of one file: each distinct byte range once, and where every copy is.

    Attributes
    ----------
    layout:
        As :func:`copilot_metrics.decode.decode` names it, without ``+gzip``: ``array``,
        ``object``, ``ndjson``, ``ndjson-arrays`` or ``concatenated-json``.
    data:
        The bytes scanned (a leading UTF-8 BOM removed): the ranges are offsets into it.
    starts, ends:
        Per distinct range (first-seen order), its bytes: ``data[starts[k]:ends[k]]``.
    fingerprints:
        Per distinct range, the xxh3-128 digest (16 bytes) of its bytes.
    dates:
        Per distinct range, its ``date`` (a string; a file with a day without one is not scanned);
        empty when scanned with ``dates=False``.
    copies:
        Per day of the file, in file order (the day index ``i`` of ``$[i]``), the distinct
        range it is a copy of: ``copies[i] == k``.
    documents:
        Per day of the file, the number (from 0) of the top-level document holding it: 0 for
        every day of ``array`` and ``object``, the line among the non-blank lines for NDJSON,
        the document for ``concatenated-json``.
    scanner_calls:
        How many times msgspec's scanner was handed a top-level document (to find where it ends,
        or its elements; the reading of each distinct range's date not counted): once per
        document that ends where the next line starts, twice for one glued to the next.
    """

    layout: str
    data: bytes
    starts: list[int]
    ends: list[int]
    fingerprints: list[bytes]
    dates: list[str]
    copies: list[int]
    documents: list[int]
    scanner_calls: int = 0

    def __len__(self) -> int:
        """The number of distinct ranges."""
        return len(self.starts)

    @property
    def days(self) -> int:
        """The number of days the file holds, copies included (``len(decode(...).days)``)."""
        return len(self.copies)

    def range(self, k: int) -> memoryview:
        """The bytes of distinct range ``k`` (a view of :attr:`data`, no copy)."""
        return memoryview(self.data)[self.starts[k] : self.ends[k]]

    def positions(self) -> list[list[int]]:
        """Per distinct range, the day indexes of its copies in the file, ascending."""
        out: list[list[int]] = [[] for _ in self.starts]
        for index, k in enumerate(self.copies):
            out[k].append(index)
        return out

    def load(self, k: int, loads: Callable[[Any], Any] = orjson.loads) -> Any:
        """Parse distinct range ``k`` with ``loads`` (orjson, or ``_schema.loads_exact``).

        Raises :class:`Unsplittable` when it does not parse: only orjson's verdict counts (the
        scanner does not check UTF-8 inside strings, for one), and the caller then reads the
        whole file on today's path for today's error.
        """
        view = self.range(k)
        try:
            if sys.getrecursionlimit() > 1000:  # pragma: no cover - msgspec then scans deeper than orjson reads
                # a day is at most one level down in its file: parsed one level down, it is
                # refused where orjson refuses the whole file (1,024 levels)
                return loads(b"[" + bytes(view) + b"]")[0]
            return loads(view)
        except orjson.JSONDecodeError as exc:
            raise Unsplittable(str(exc)) from None


def content_digest(day: Any) -> bytes:
    r"""The key equal content collapses by: xxh3-128 of :func:`copilot_metrics._schema.json_bytes`.

    Two parsed days have the same digest exactly when ``batch.repeat_key`` (the compact JSON
    keying repeats across files today) is the same for both (a 128-bit collision aside):
    whitespace, indentation and ``\u`` escapes do not count; key order, ``1`` against ``1.0``
    and ``true`` against ``1`` do, as today.  Pass the object the loader keys by: the exact
    reading (``_schema.loads_exact``) of a day that had to be read again.
    """
    return xxhash.xxh3_128_digest(_schema.json_bytes(day))


def content_groups(days: Sequence[Any]) -> list[int]:
    """Per parsed distinct day, the index of the first one with equal content (itself if none)."""
    first: dict[bytes, int] = {}
    return [first.setdefault(content_digest(day), k) for k, day in enumerate(days)]


class _Scanner:
    """msgspec's two document scanners, counting the calls (:attr:`Scan.scanner_calls`)."""

    def __init__(self) -> None:
        self.calls = 0

    def array(self, buf: memoryview) -> list[msgspec.Raw]:
        """The elements of the array ``buf`` holds, each a raw view."""
        self.calls += 1
        return _ARRAY.decode(buf)

    def value(self, buf: memoryview) -> None:
        """Check that ``buf`` holds one JSON value."""
        self.calls += 1
        _VALUE.decode(buf)


class _Builder:
    """Collects the ranges of one file: a dictionary of fingerprints, one entry per distinct range."""

    def __init__(self, data: bytes, dates: bool = True) -> None:
        self.scanner = _Scanner()
        self.data = data
        self.with_dates = dates
        self.view = memoryview(data)
        self.index: dict[bytes, int] = {}
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.fingerprints: list[bytes] = []
        self.copies: list[int] = []
        self.documents: list[int] = []

    def add(self, start: int, end: int, document: int) -> None:
        digest = xxhash.xxh3_128_digest(self.view[start:end])
        k = self.index.get(digest)
        if k is None:
            k = self.index[digest] = len(self.starts)
            self.starts.append(start)
            self.ends.append(end)
            self.fingerprints.append(digest)
        self.copies.append(k)
        self.documents.append(document)

    def add_array(self, start: int, elements: list[msgspec.Raw], document: int) -> bool:
        """The elements of the array starting at ``start``; False if one is not an object."""
        data = self.data
        pos = _WS.match(data, start + 1).end()  # type: ignore[union-attr]
        for n, raw in enumerate(elements):
            if n:
                sep = _SEP.match(data, pos)
                if sep is None:  # pragma: no cover - msgspec checked the grammar
                    return False
                pos = sep.end()
            size = memoryview(raw).nbytes
            if data[pos] != 0x7B:  # "{": a stray value ([], a string) is the caller's to report
                return False
            self.add(pos, pos + size, document)
            pos += size
        return True

    def finish(self, layout: str) -> Scan | None:
        dates: list[str] = []
        for start, end in zip(self.starts, self.ends, strict=True) if self.with_dates else ():
            try:
                dates.append(_DATED.decode(self.view[start:end]).date)
            except (msgspec.DecodeError, RecursionError):  # no string date (ValidationError), or bad text
                return None
        return Scan(
            layout,
            self.data,
            self.starts,
            self.ends,
            self.fingerprints,
            dates,
            self.copies,
            self.documents,
            self.scanner.calls,
        )


def _document(
    view: memoryview, pos: int, starts: _LineStarts, scanner: _Scanner
) -> tuple[int, list[msgspec.Raw] | None] | None:
    """The JSON document starting at ``pos``: where it ends, and its elements if it is an array.

    ``None`` if it is not valid JSON for msgspec (cut short, say); the end excludes the
    whitespace after the document.

    msgspec reads one document, then reports the byte where more than whitespace follows: each
    document is scanned once, or twice for an array followed by another document.
    """
    array = view[pos] == 0x5B
    elements: list[msgspec.Raw] | None = None
    quick = _up_to_next_line_start(view, pos, array, starts, scanner)
    if quick is not None:
        return quick
    try:
        if array:
            elements = scanner.array(view[pos:])
        else:
            scanner.value(view[pos:])
    except msgspec.DecodeError as exc:
        match = _TRAILING.match(str(exc))
        if match is None:
            return None
        end = pos + int(match.group(1)) - 1  # msgspec counts the byte it stopped at from 1
        if end >= len(view) or view[end] in b" \t\r\n":  # pragma: no cover - not where msgspec stopped
            return None
    except RecursionError:
        return None
    else:
        end = len(view)
        while view[end - 1] in b" \t\r\n":
            end -= 1
        return end, elements
    while view[end - 1] in b" \t\r\n":  # the whitespace before the next document (usually 1 byte)
        end -= 1
    try:
        return end, scanner.array(view[pos:end]) if array else None
    except (msgspec.DecodeError, RecursionError):  # pragma: no cover - msgspec read it a moment ago
        return None


class _LineStarts:
    """Where the lines starting with ``[`` or ``{`` are, found as asked for with ascending positions.

    Each needle's last answer is kept: the file is searched once in all, also when no line
    break follows (documents glued on one line), never once per document.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.found = {b"\n[": 0, b"\n{": 0}  # per needle, its next index (-1: none left)

    def after(self, pos: int) -> int:
        """The index of the line break before the first such line after ``pos`` (-1: none)."""
        best = -1
        for needle in self.found:
            at = self.found[needle]
            if 0 <= at <= pos:
                at = self.found[needle] = self.data.find(needle, pos + 1)
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best


def _up_to_next_line_start(
    view: memoryview, pos: int, array: bool, starts: _LineStarts, scanner: _Scanner
) -> tuple[int, list[msgspec.Raw] | None] | None:
    """The document at ``pos`` when it ends just before the next line starting with ``[`` or ``{``.

    Documents appended by ``>>`` start on a line of their own (a pretty-printer indents
    everything else): when the bytes up to that line are one document, it is scanned once,
    not once to find its end and once more for its elements.  ``None`` otherwise (no such
    line, or not one whole document before it): the caller scans to the end.
    """
    nxt = starts.after(pos)
    if nxt < 0:
        return None
    end = nxt
    while end > pos and view[end - 1] in b" \t\r\n":
        end -= 1
    try:
        elements = scanner.array(view[pos:end]) if array else None
        if not array:
            scanner.value(view[pos:end])
    except (msgspec.DecodeError, RecursionError):
        return None
    return end, elements


def scan(data: bytes, *, dates: bool = True) -> Scan | None:
    r"""The distinct day ranges of one file's bytes, or ``None`` to read the file as today.

    ``data`` is the file's content with gzip unwrapped (gzip data gives ``None``); a leading
    UTF-8 BOM is skipped.  See the module docstring for what gives ``None``.  With
    ``dates=False`` the ranges' dates are not read (:attr:`Scan.dates` is empty, and a day
    without a string ``date`` is not declined): a second pass over every distinct range
    saved for a caller that parses the ranges, or knows their dates, anyway.

    >>> s = scan(b'[{"date": "2024-06-24"}, {"date": "2024-06-25"}]\n[{"date": "2024-06-25"}]')
    >>> s.layout, s.dates, s.copies, s.documents
    ('ndjson-arrays', ['2024-06-24', '2024-06-25'], [0, 1, 1], [0, 0, 1])
    >>> bytes(s.range(1))
    b'{"date": "2024-06-25"}'
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    view = memoryview(data)
    pos = _WS.match(data).end()  # type: ignore[union-attr]
    if pos == len(data) or data[pos] not in b"[{":
        return None
    build = _Builder(data, dates)
    starts = _LineStarts(data)
    found = _document(view, pos, starts, build.scanner)
    if found is None:
        return None
    end, elements = found
    if _WS.match(data, end).end() == len(data):  # type: ignore[union-attr]
        if elements is not None:
            return build.finish("array") if build.add_array(pos, elements, 0) else None
        build.add(pos, end, 0)  # one object: a day only if it has a date (else: wrapped, an error body...)
        return build.finish("object")
    # several documents, one after the other
    lines = True  # NDJSON: no line break inside a document, one between each two
    kinds: set[int] = set()
    document = 0
    while True:
        if data.find(b"\n", pos, end) >= 0 or data.find(b"\r", pos, end) >= 0:
            lines = False
        kinds.add(data[pos])
        if elements is not None:
            if not build.add_array(pos, elements, document):
                return None
        else:
            build.add(pos, end, document)
        nxt = _WS.match(data, end).end()  # type: ignore[union-attr]
        if nxt == len(data):
            break
        if data.find(b"\n", end, nxt) < 0 and data.find(b"\r", end, nxt) < 0:
            lines = False
        if data[nxt] not in b"[{":
            return None
        pos = nxt
        document += 1
        found = _document(view, pos, starts, build.scanner)
        if found is None:  # a document cut short, or bad JSON: today's path says which
            return None
        end, elements = found
    if not lines:
        return build.finish("concatenated-json")
    if kinds == {0x5B}:
        return build.finish("ndjson-arrays")
    if kinds == {0x7B}:
        return build.finish("ndjson")
    return None  # NDJSON mixing arrays and objects: decode keeps each array line as one (bad) day
