"""The scanner of issue 19: each file's days as byte ranges, the distinct ones once, and when it steps aside."""

from __future__ import annotations

import gzip
import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copilot_metrics import _scan
from copilot_metrics._scan import Unsplittable, content_digest, content_groups, scan
from copilot_metrics.batch import repeat_key as _raw_digest
from copilot_metrics.decode import decode

A = b'{"date": "2024-06-01", "total_active_users": 3}'
B = b'{"date": "2024-06-02", "total_active_users": 4}'
A_PRETTY = b'{\n    "date": "2024-06-01",\n    "total_active_users": 3\n  }'  # A's content, other bytes


def ranges(s: _scan.Scan) -> list[bytes]:
    return [bytes(s.range(k)) for k in range(len(s))]


def test_minified_array_with_a_repeat() -> None:
    data = b"[" + A + b"," + B + b"," + A + b"]"
    s = scan(data)
    assert s is not None
    assert s.layout == "array"
    assert ranges(s) == [A, B]
    assert s.starts == [1, 1 + len(A) + 1]
    assert s.ends == [1 + len(A), 1 + len(A) + 1 + len(B)]
    assert s.dates == ["2024-06-01", "2024-06-02"]
    assert s.copies == [0, 1, 0]
    assert s.documents == [0, 0, 0]
    assert s.days == 3
    assert s.positions() == [[0, 2], [1]]
    assert len(s.fingerprints) == 2
    assert all(len(f) == 16 for f in s.fingerprints)
    assert s.fingerprints[0] != s.fingerprints[1]


def test_pretty_array_same_content_other_bytes_is_a_distinct_range_but_equal_content() -> None:
    data = b"[\n  " + A + b",\n  " + A_PRETTY + b",\n  " + A + b"\n]\n"
    s = scan(data)
    assert s is not None
    assert s.layout == "array"
    assert ranges(s) == [A, A_PRETTY]
    assert s.starts == [4, 4 + len(A) + 4]
    assert s.copies == [0, 1, 0]
    assert s.dates == ["2024-06-01", "2024-06-01"]
    days = [s.load(k) for k in range(len(s))]
    assert days == [{"date": "2024-06-01", "total_active_users": 3}] * 2
    # the second-level key: the same content collapses, as explode's repeat key does
    assert content_groups(days) == [0, 0]
    assert content_digest(days[0]) == content_digest(days[1])


def test_appended_arrays_on_one_line_and_on_lines() -> None:
    glued = b"[" + A + b"," + B + b"][" + B + b"]"
    s = scan(glued)
    assert s is not None
    assert s.layout == "concatenated-json"  # two documents on one line: not NDJSON
    assert ranges(s) == [A, B]
    assert s.copies == [0, 1, 1]
    assert s.documents == [0, 0, 1]
    assert s.starts == [1, len(A) + 2]

    lines = b"[" + A + b"," + B + b"]\n[" + B + b"]\r\n\n[" + A + b"]\n"
    s = scan(lines)
    assert s is not None
    assert s.layout == "ndjson-arrays"
    assert ranges(s) == [A, B]
    assert s.copies == [0, 1, 1, 0]
    assert s.documents == [0, 0, 1, 2]  # the blank line is no document
    assert s.starts[1] == lines.index(B)


def test_ndjson_of_days() -> None:
    data = A + b"\n" + B + b"\n\n" + A + b"\n"
    s = scan(data)
    assert s is not None
    assert s.layout == "ndjson"
    assert ranges(s) == [A, B]
    assert s.copies == [0, 1, 0]
    assert s.documents == [0, 1, 2]
    assert s.starts == [0, len(A) + 1]


def test_lines_cut_by_a_carriage_return_alone_are_ndjson() -> None:
    # decode reads lines with bytes.splitlines, which cuts at a lone \r as well
    data = A + b"\r" + B + b"\r" + A
    s = scan(data)
    assert s is not None
    assert (s.layout, s.copies, s.documents) == ("ndjson", [0, 1, 0], [0, 1, 2])
    assert decode(data, "f").layout == "ndjson"


def test_a_carriage_return_inside_a_document_makes_it_concatenated() -> None:
    data = b"[" + A + b",\r" + B + b"]\n[" + A + b"]\n"
    s = scan(data)
    assert s is not None
    assert (s.layout, s.copies, s.documents) == ("concatenated-json", [0, 1, 0], [0, 0, 1])
    assert decode(data, "f").layout == "concatenated-json"


def test_ndjson_mixing_arrays_and_days_is_left_to_decode() -> None:
    # decode keeps the array line as one (bad) day: the scanner does not guess
    assert scan(A + b"\n[" + B + b"]\n") is None


def test_concatenated_pretty_documents() -> None:
    first = b"[\n  " + A + b",\n  " + B + b"\n]"
    second = b"[\n  " + A_PRETTY + b"\n]"
    data = first + b"\n" + second + b"\n" + A + b"\n"
    s = scan(data)
    assert s is not None
    assert s.layout == "concatenated-json"
    assert ranges(s) == [A, B, A_PRETTY]
    assert s.copies == [0, 1, 2, 0]
    assert s.documents == [0, 0, 1, 2]
    assert s.starts[2] == len(first) + 1 + 4
    assert decode(data, "f").layout == "concatenated-json"


def test_one_day_object() -> None:
    s = scan(b"  " + A + b"\n")
    assert s is not None
    assert (s.layout, ranges(s), s.starts, s.copies, s.documents) == ("object", [A], [2], [0], [0])


def test_bom_is_skipped_and_offsets_count_from_after_it() -> None:
    s = scan(b"\xef\xbb\xbf[" + A + b"]")
    assert s is not None
    assert s.data == b"[" + A + b"]"
    assert s.starts == [1]
    assert ranges(s) == [A]


def test_empty_array_has_no_days() -> None:
    s = scan(b"[ ]")
    assert s is not None
    assert (s.layout, s.days, len(s)) == ("array", 0, 0)


def test_date_decoded_as_orjson_reads_it() -> None:
    # an escape in the key and in the value, and a repeated key (the last one counts, as in orjson)
    data = b'[{"\\u0064ate": "2024-06-0\\u0031"}, {"date": "x", "date": "2024-06-03"}]'
    s = scan(data)
    assert s is not None
    assert s.dates == ["2024-06-01", "2024-06-03"]
    assert [d["date"] for d in decode(data, "f").days] == s.dates


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"[" + A + b"," + B[:20], id="truncated-array"),
        pytest.param(b"[" + A + b"]\n[" + B[:20], id="last-appended-document-cut"),
        pytest.param(A + b"\n" + B[:20], id="last-ndjson-line-cut"),
        pytest.param(b"", id="empty"),
        pytest.param(b" \n\t", id="blank"),
        pytest.param(b"<html></html>", id="html"),
        pytest.param(b'{"data": [' + A + b"]}", id="wrapped-array"),
        pytest.param(b'{"message": "Not Found"}', id="api-error-object"),
        pytest.param(b"[" + A + b", []]", id="stray-array-element"),
        pytest.param(b'[{"day": "2024-06-01"}]', id="no-date"),
        pytest.param(b'[{"date": 20240601}]', id="date-not-a-string"),
        pytest.param(b'[{"date": "2024-06-01", "n": NaN}]', id="nan"),
        pytest.param(b"[" + A + b",]", id="trailing-comma"),
        pytest.param(b"[" + A + b"]\x0c", id="form-feed-after"),
        pytest.param(b"[" + A + b"] 1", id="number-after"),
        pytest.param(b'[{"date": "2024-06-01", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}]", id="too-deep"),
        pytest.param(gzip.compress(b"[" + A + b"]"), id="gzip"),
        pytest.param(b"[1, 2]", id="numbers"),
    ],
)
def test_what_the_scanner_cannot_split_falls_back(data: bytes) -> None:
    assert scan(data) is None


def test_text_msgspec_skips_but_orjson_refuses_is_signalled_on_load() -> None:
    # msgspec does not check UTF-8 inside a string it skips: orjson's verdict, on load, counts
    data = b'[{"date": "2024-06-01", "note": "\xff"}]'
    s = scan(data)
    assert s is not None
    with pytest.raises(Unsplittable):
        s.load(0)


def test_load_exact_reads_big_integers_exactly() -> None:
    from copilot_metrics._schema import loads_exact

    s = scan(b'[{"date": "2024-06-01", "n": 123456789012345678901234567890}]')
    assert s is not None
    assert s.load(0, loads_exact)["n"] == 123456789012345678901234567890


def test_content_digest_matches_todays_repeat_key() -> None:
    one = orjson.loads(b'{"date": "2024-06-01", "a": 1, "b": [1, 2]}')
    cases = {
        "indented": orjson.loads(b'{\n "date": "2024-06-01",\n "a": 1,\n "b": [1,2]\n}'),
        "escaped": orjson.loads(b'{"date": "2024-06-0\\u0031", "a": 1, "b": [1, 2]}'),
        "key order": orjson.loads(b'{"a": 1, "date": "2024-06-01", "b": [1, 2]}'),
        "1.0": orjson.loads(b'{"date": "2024-06-01", "a": 1.0, "b": [1, 2]}'),
        "true": orjson.loads(b'{"date": "2024-06-01", "a": true, "b": [1, 2]}'),
    }
    same = {name for name, other in cases.items() if content_digest(other) == content_digest(one)}
    assert same == {"indented", "escaped"}
    # exactly explode's key, case by case
    assert same == {name for name, other in cases.items() if _raw_digest(other) == _raw_digest(one)}
    assert content_groups([one, cases["key order"], cases["indented"], cases["1.0"]]) == [0, 1, 0, 3]


def test_linear_number_of_scanner_calls() -> None:
    """Each document is handed to msgspec once when it starts a line, twice when glued to the one before."""
    docs = 2000
    data = b"".join(b"[" + (A if i % 2 else B) + b"]\n" for i in range(docs))
    s = scan(data)
    assert s is not None
    assert (s.layout, s.days, len(s)) == ("ndjson-arrays", docs, 2)
    assert s.scanner_calls == docs  # each ends where the next line starts: read once
    glued = b"".join(b"[" + (A if i % 2 else B) + b"]" for i in range(docs))
    s = scan(glued)
    assert s is not None
    assert (s.layout, s.days, len(s)) == ("concatenated-json", docs, 2)
    assert s.scanner_calls == 2 * docs - 1  # its end found, then its elements; the last one ends the file: read once


def test_scanner_calls_of_one_array_and_of_pretty_documents() -> None:
    s = scan(b"[" + A + b"," + B + b"]")
    assert s is not None
    assert s.scanner_calls == 1  # no line starts after the first: scanned to the end, once
    pretty = b"[\n  " + A_PRETTY + b"\n]\n" + b"[\n  " + A_PRETTY + b"\n]\n" + b"{" + A[1:] + b"\n"
    s = scan(pretty)
    assert s is not None
    assert (s.layout, s.days) == ("concatenated-json", 3)
    # the first array ends where the second starts a line: once; so does the second before the object;
    # the object ends the file: once
    assert s.scanner_calls == 3


# ------------------------------------------------------------------ property: same days as decode

_DATES = ["2024-06-01", "2024-06-02", "2024-06-03"]
_day = st.fixed_dictionaries(
    {"date": st.sampled_from(_DATES)},
    optional={
        "total_active_users": st.integers(0, 3),
        "_note": st.sampled_from(["a", "é", "\u2028", 'q"', "\\"]),
        "_x": st.sampled_from([1, 1.0, 1.5, None, True, [], {}]),
    },
)


def _text(day: dict[str, object], style: int) -> bytes:
    if style == 0:
        return orjson.dumps(day)
    if style == 1:
        return json.dumps(day).encode()  # spaces after separators, \u escapes
    return json.dumps(day, indent=2, ensure_ascii=False).encode()


@st.composite
def _file(draw: st.DrawFn) -> bytes:
    days = draw(st.lists(_day, min_size=1, max_size=12))
    texts = [_text(day, draw(st.integers(0, 2))) for day in days]
    layout = draw(st.sampled_from(["array", "appended", "glued", "ndjson", "ndjson-arrays", "concatenated"]))
    if layout == "array":
        return b"[" + draw(st.sampled_from([b",", b", ", b",\n  ", b"\r\n,\t"])).join(texts) + b"]"
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r", b"\n \n"]))  # bytes.splitlines cuts at \r too
    if layout == "ndjson":
        return newline.join(orjson.dumps(day) for day in days) + newline
    # cut the days into documents
    cuts = sorted(draw(st.sets(st.integers(1, len(texts) - 1), max_size=4))) if len(texts) > 1 else []
    groups = [texts[a:b] for a, b in zip([0, *cuts], [*cuts, len(texts)], strict=True)]
    if layout == "ndjson-arrays":
        return b"".join(b"[" + b",".join(orjson.dumps(json.loads(t)) for t in g) + b"]" + newline for g in groups)
    sep = b"" if layout == "glued" else newline
    if layout == "concatenated":  # pretty arrays, or a day object alone
        return sep.join(g[0] if len(g) == 1 else b"[\n" + b",\n".join(g) + b"\n]" for g in groups) + b"\n"
    return sep.join(b"[" + b",".join(g) + b"]" for g in groups)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_file())
def test_scan_gives_the_days_decode_gives(data: bytes) -> None:
    decoded = decode(data, "f")
    s = scan(data)
    assert s is not None
    assert s.layout == decoded.layout
    distinct = [s.load(k) for k in range(len(s))]
    # every day of the file, rebuilt from its distinct range, is decode's day at the same index
    assert [distinct[k] for k in s.copies] == decoded.days
    assert s.dates == [day["date"] for day in distinct]
    # each range is distinct bytes; by content, the distinct days are decode's days deduplicated
    assert len(set(ranges(s))) == len(s)
    assert list(dict.fromkeys(s.copies)) == list(range(len(s)))  # first-seen order
    groups = content_groups(distinct)
    first: dict[bytes, object] = {}
    for day in decoded.days:
        first.setdefault(_raw_digest(day), day)
    deduplicated = list(first.values())
    assert [distinct[k] for k in dict.fromkeys(groups)] == deduplicated


def test_without_dates_the_ranges_are_the_same_and_no_date_is_read() -> None:
    data = b"[" + A + b"," + B + b"," + A + b"]"
    s = scan(data, dates=False)
    assert s is not None
    assert ranges(s) == [A, B]
    assert s.copies == [0, 1, 0]
    assert s.dates == []
    # a day without a date is no reason to step aside then: the caller parses it and decides
    undated = scan(b'[{"total_active_users": 3}]', dates=False)
    assert undated is not None
    assert ranges(undated) == [b'{"total_active_users": 3}']
    assert scan(b'[{"total_active_users": 3}]') is None
