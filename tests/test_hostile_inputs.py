"""The hostile input corpus (issue 10, section 5): every case is built here, at run time.

For each input: the exact exception of ``cm.load`` (class, ``detected``, file, JSON path, key
facts of the message), the exact ``ds.sources`` status or ``ds.quarantine`` entry with
``on_invalid="quarantine"``, and what ``cm.validate`` reports.  Time and memory are bounded
where an input could blow them up.  No input may raise anything but ``cm.CopilotMetricsError``.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
import json
import os
import re
import signal
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copilot_metrics as cm

SRC = "<bytes #1>"


def day(date: str = "2024-06-24", **over: Any) -> dict[str, Any]:
    """A small real day: totals and one IDE chat editor with one model."""
    out: dict[str, Any] = {
        "date": date,
        "total_active_users": 5,
        "total_engaged_users": 3,
        "copilot_ide_chat": {
            "total_engaged_users": 2,
            "editors": [
                {
                    "name": "vscode",
                    "total_engaged_users": 2,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_engaged_users": 2,
                            "total_chats": 9,
                            "total_chat_insertion_events": 1,
                            "total_chat_copy_events": 2,
                        }
                    ],
                }
            ],
        },
    }
    out.update(over)
    return out


def raw(obj: Any) -> bytes:
    return json.dumps(obj).encode()


# ------------------------------------------------------------------ bounds


PROC = Path("/proc/self")


def _status_mib(field: str) -> int | None:
    with contextlib.suppress(OSError), (PROC / "status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return None


@contextlib.contextmanager
def bounded(seconds: float, mib: int | None = None) -> Iterator[None]:
    """Fail if the block takes longer than ``seconds`` (interrupting it: a hang fails, it does not
    stall the suite) or raises the process's peak resident memory by more than ``mib``."""
    reset = False
    if mib is not None:
        with contextlib.suppress(OSError), (PROC / "clear_refs").open("w", encoding="ascii") as refs:
            refs.write("5")  # resets VmHWM, the peak resident size, to the current size
            reset = True
    before = _status_mib("VmRSS")

    def interrupt(*_: Any) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds * 3)  # the hard stop; the bound is checked below
    start = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s, bound {seconds} s"
    if reset and before is not None:
        peak = _status_mib("VmHWM")
        assert peak is not None
        assert peak - before < mib, f"peak memory grew by {peak - before} MiB, bound {mib} MiB"  # type: ignore[operator]


# ------------------------------------------------------------------ expectations


def expect_format_error(
    source: Any, detected: str, *, file: str = SRC, json_path: str | None = None, says: tuple[str, ...] = ()
) -> cm.FormatError:
    """Raise mode: FormatError; validate: one ``format:`` row; quarantine: the file not loaded."""
    with pytest.raises(cm.FormatError) as info:
        cm.load(source)
    err = info.value
    assert type(err) is cm.FormatError
    assert (err.detected, err.file, err.json_path) == (detected, file, json_path)
    assert err.message.startswith(f"{file}: ")
    for text in says:
        assert text in str(err), (text, str(err))
    assert err.hint
    assert err.attrs()["detected"] == detected
    report = cm.validate(source)
    assert report.errors.select("source", "day_index", "json_path", "rule", "message").rows() == [
        (file, None, json_path or "$", f"format:{detected}", err.message)
    ]
    assert (report.days_checked, report.days_valid) == (0, 0)
    ds = cm.load(source, on_invalid="quarantine")
    assert ds.days.height == 0
    assert ds.quarantine.height == 0
    assert ds.sources.select("source", "status", "message").rows() == [(file, f"not loaded: {detected}", err.message)]
    return err


def expect_day_error(
    data: bytes,
    rule: str,
    json_path: str,
    message: str,
    *,
    index: int = 0,
    date: str | None = "2024-06-24",
    value: str | None = None,
    days: int | None = None,
    day_json: str | None = None,
) -> None:
    """Raise mode: SchemaValidationError with one error; quarantine: the day kept verbatim."""
    with pytest.raises(cm.SchemaValidationError) as info:
        cm.load(data)
    expected = [(SRC, index, date, json_path, rule, value, message)]
    assert info.value.report.errors.rows() == expected
    assert (info.value.file, info.value.json_path) == (SRC, json_path)
    assert cm.validate(data).errors.rows() == expected
    ds = cm.load(data, on_invalid="quarantine")
    q = ds.quarantine.select("source", "day_index", "date", "stage", "reasons").rows()
    assert q == [(SRC, index, date, "schema", [f"{json_path}: {message}"])]
    if day_json is None:  # the day as the loader parses it (orjson), written compactly
        parsed = orjson.loads(data)
        days = len(parsed)
        day_json = json.dumps(parsed[index], separators=(",", ":"), ensure_ascii=False)
    assert ds.quarantine["day_json"][0] == day_json
    row = ds.sources.row(0, named=True)
    # the one bad day set aside: the file still loaded its other days, or none when it held only that one
    status = "loaded with quarantined days" if (days or 0) > 1 else "not loaded: every day quarantined"
    assert (row["status"], row["days"], row["days_valid"]) == (status, days, (days or 0) - 1)


# ------------------------------------------------------------------ not JSON, or not a list of days

LATIN_1 = b'[{"date": "2024-06-24", "copilot_ide_chat": {"editors": [{"name": "caf\xe9"}]}}]'
_AT = LATIN_1.index(b"\xe9")

NOT_A_LIST = {
    "empty": (b"", "empty", None, "the file is empty"),
    "whitespace": (b" \r\n\t \n", "empty", None, "the file is empty"),
    "object": (b"{}", "unknown-object", "$", "a JSON object without 'date'"),
    "null": (b"null", "not-a-list", "$", "a JSON null is not a list of days"),
    "integer": (b"42", "not-a-list", "$", "a JSON number is not a list of days"),
    "negative": (b"-7", "not-a-list", "$", "a JSON number is not a list of days"),
    "float": (b"2.5e3", "not-a-list", "$", "a JSON number is not a list of days"),
    "true": (b"true", "not-a-list", "$", "a JSON boolean is not a list of days"),
    "string": (b'"2024-06-24"', "not-a-list", "$", "a JSON string is not a list of days"),
    "nan": (
        b'[{"date": "2024-06-24", "total_active_users": NaN}]',
        "invalid-json",
        None,
        "at line 1, column 47, byte 46 of 51",
    ),
    "infinity": (b"[Infinity]", "invalid-json", None, "at line 1, column 2, byte 1 of 10"),
    "lone-surrogate": (
        b'[{"date": "2024-06-24", "copilot_ide_chat": {"editors": [{"name": "a\\ud800"}]}}]',
        "invalid-json",
        None,
        "no low surrogate in string",
    ),
    "nul-byte-raw": (b'[{"date": "2024-06-24\x00"}]', "invalid-json", None, "unexpected control character"),
    "utf-16-le-bom": (b"\xff\xfe" + '[{"date": "2024-06-24"}]'.encode("utf-16-le"), "utf-16", None, "UTF-16"),
    "utf-16-be": ('[{"date": "2024-06-24"}]'.encode("utf-16-be"), "utf-16", None, "UTF-16"),
    "utf-16-le": ('[{"date": "2024-06-24"}]'.encode("utf-16-le"), "utf-16", None, "UTF-16"),
    "utf-32": ('[{"date": "2024-06-24"}]'.encode("utf-32"), "utf-32", None, "UTF-32"),
    "invalid-utf-8": (
        LATIN_1,
        "not-utf-8",
        None,
        f"byte 0xe9 at line 1, column {_AT + 1}, byte {_AT} of {len(LATIN_1)}",
    ),
    "cesu-8-surrogate": (b'["\xed\xa0\x80"]', "not-utf-8", None, "byte 0xed at line 1, column 3, byte 2 of 7"),
    "html": (b"<!DOCTYPE html><html>Sign in</html>", "html", None, "HTML"),
    "bzip2": (b"BZh91AY&SY", "unsupported-compression", None, "bzip2-compressed data"),
    "xz": (b"\xfd7zXZ\x00\x00", "unsupported-compression", None, "xz-compressed data"),
    "zstd": (b"\x28\xb5\x2f\xfd\x00", "unsupported-compression", None, "zstd-compressed data"),
    "api-error": (
        b'{"message": "Bad credentials", "documentation_url": "https://docs.github.com"}',
        "api-error",
        "$",
        "Bad credentials",
    ),
}


@pytest.mark.parametrize("name", sorted(NOT_A_LIST))
def test_input_that_is_not_a_list_of_days(name: str) -> None:
    data, detected, json_path, says = NOT_A_LIST[name]
    with bounded(10):
        err = expect_format_error(data, detected, json_path=json_path, says=(says,))
    if name in ("nan", "infinity"):
        assert "NaN and Infinity are not JSON" in str(err)


def test_an_empty_array_is_a_response_with_no_days() -> None:
    ds = cm.load(b"[]")
    assert ds.days.height == 0
    assert ds.sources.select("status", "layout", "days").rows() == [("loaded", "array", 0)]
    report = cm.validate(b"[]")
    assert (report.ok, report.days_checked) == (True, 0)


def test_a_zip_is_named_a_zip(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export.json", raw([day()]))
    path = tmp_path / "export.json"
    path.write_bytes(buffer.getvalue())
    expect_format_error(path, "zip", file=str(path), says=("this is a zip archive, not JSON",))
    empty = tmp_path / "empty.json"
    with zipfile.ZipFile(empty, "w"):
        pass
    expect_format_error(empty, "zip", file=str(empty), says=("an empty zip archive",))


# ------------------------------------------------------------------ truncated JSON


def test_truncated_at_every_offset_is_truncated_json() -> None:
    whole = json.dumps([day(), day("2024-06-25")], indent=1).encode()  # no trailing newline
    with bounded(15):
        for cut in range(1, len(whole)):
            part = whole[:cut]
            lines = part.decode().split("\n")
            where = f"at line {len(lines)}, column {len(lines[-1]) + 1}, byte {cut} of {cut})"
            report = cm.validate(part)  # the loader's own reading, at a fraction of a load's cost
            assert report.errors.select("rule", "json_path").rows() == [("format:truncated-json", "$")], cut
            assert report.errors["message"][0].endswith(where), (cut, report.errors["message"][0])
    for cut in (1, 2, len(whole) // 3, len(whole) // 2, len(whole) - 1):  # every mode, at a few offsets
        expect_format_error(whole[:cut], "truncated-json", says=("unexpected end of data",))


def test_truncated_gzip_at_several_offsets_is_corrupt_gzip() -> None:
    packed = gzip.compress(raw([day(), day("2024-06-25")]))
    for cut in (2, 10, len(packed) // 2, len(packed) - 4, len(packed) - 1):
        expect_format_error(packed[:cut], "corrupt-gzip", says=("not a readable gzip file",))


def test_a_gzip_member_followed_by_garbage_is_corrupt_and_two_members_load() -> None:
    one, two = gzip.compress(raw([day()])), gzip.compress(b"")
    expect_format_error(one + b"junk", "corrupt-gzip", says=("4 byte(s) that are not gzip",))
    assert cm.load(one + two + b"\x00" * 8).days.height == 1  # members, then zero padding


# ------------------------------------------------------------------ bombs and giants


def _gzip_of_zeros(gib: int) -> bytes:
    """A valid gzip stream of ``gib`` GiB of zeros, built in milliseconds (about 1 KiB per MiB).

    One MiB of zeros is compressed once, ended by a full flush (byte-aligned, no reference to
    earlier data), and repeated; the trailer's CRC is not computed (a guard must stop long before).
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(b"\x00" * 2**20) + packer.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = end.compress(b"") + end.flush()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * (gib * 1024) + last + struct.pack("<II", 0, (gib * 2**30) % 2**32)


def test_gzip_bomb_is_refused_before_it_fills_memory(tmp_path: Path) -> None:
    bomb = _gzip_of_zeros(10)
    assert len(bomb) < 12 * 2**20
    path = tmp_path / "archive.json.gz"
    path.write_bytes(bomb)
    with bounded(20, mib=600):
        err = expect_format_error(
            path, "gzip-bomb", file=str(path), says=("refused as a decompression bomb", "more than 400 times")
        )
    inflated = int(re.search(r"inflates past (\d+) MiB", str(err)).group(1))  # type: ignore[union-attr]
    assert 64 <= inflated <= 80  # stopped just past the free allowance


def test_a_small_gzip_of_zeros_is_not_a_bomb_but_not_json() -> None:
    packed = gzip.compress(b"\x00" * 2**20)  # 1 MiB: under the free allowance
    expect_format_error(packed, "utf-32", says=("UTF-32",))


def test_nesting_a_million_levels_deep_is_refused_quickly() -> None:
    data = b"[" * 1_000_000 + b"]" * 1_000_000
    with bounded(10, mib=300):
        expect_format_error(data, "too-deep", says=("depth limit exceeded at line 1, column 1026, byte 1025",))
    objects = b'{"a":' * 1_000_000 + b"1" + b"}" * 1_000_000
    with bounded(10, mib=300):
        expect_format_error(objects, "too-deep", says=("nested more than 1024 deep",))


@pytest.mark.parametrize("depth", [300, 1020])
def test_a_day_nesting_deeper_than_the_writers_is_set_aside(depth: int) -> None:
    # orjson reads 1,024 levels and writes 254: a valid day nesting deeper (in an unknown key)
    text = '{"date":"2024-06-24","copilot_ide_chat":null,"notes":' + "[" * depth + "]" * depth + "}"
    expect_day_error(
        f"[{text}]".encode(),
        "depth",
        "$[0]",
        "nested deeper than 254 levels, which no table or JSON writer holds",
        days=1,
        day_json=text,
    )


def test_a_deep_value_where_the_schema_wants_an_object_is_a_day_error() -> None:
    text = '{"date":"2024-06-24","copilot_ide_chat":' + "[" * 1020 + "]" * 1020 + "}"
    expect_day_error(
        f"[{text}]".encode(),
        "depth",
        "$[0]",
        "nested too deep to report its errors one by one",
        value="null",
        days=1,
        day_json=text,
    )
    shallow = b'[{"date": "2024-06-24", "copilot_ide_chat": ' + b"[" * 50 + b"]" * 50 + b"}]"
    report = cm.validate(shallow)
    assert report.errors.select("json_path", "rule").rows() == [("$[0].copilot_ide_chat", "type")]
    assert len(report.errors["message"][0]) <= 1000


BIG = 100 * 2**20  # a 100 MiB string


def test_a_100_mib_string_as_the_file_is_not_a_list() -> None:
    data = b'"' + b"x" * BIG + b'"'
    with bounded(15, mib=900):
        expect_format_error(data, "not-a-list", json_path="$", says=("a JSON string is not a list of days",))


def test_a_100_mib_date_is_a_day_error_with_short_messages() -> None:
    data = b'[{"date": "' + b"2" * BIG + b'"}]'
    with bounded(15, mib=1500):
        with pytest.raises(cm.SchemaValidationError) as info:
            cm.load(data)
        report = cm.validate(data)
    assert info.value.report.errors.select("day_index", "json_path", "rule").rows() == [(0, "$[0].date", "format")]
    assert len(str(info.value)) < 2000
    for frame in (info.value.report.errors, report.errors):
        assert frame["message"][0] == "'" + "2" * (1000 - 2) + "…"
        assert frame["value"][0] == '"' + "2" * (1000 - 2) + "…"


def test_a_long_string_date_is_quarantined_whole() -> None:
    # 16 MiB in quarantine mode: the day is kept verbatim, its reason is cut
    size = 16 * 2**20
    data = b'[{"date": "' + b"2" * size + b'"}, ' + raw(day("2024-06-25")) + b"]"
    with bounded(15, mib=1200):
        ds = cm.load(data, on_invalid="quarantine")
    assert ds.days["date"].to_list() == [datetime.date(2024, 6, 25)]
    (reason,) = ds.quarantine["reasons"][0]
    assert reason == "$[0].date: '" + "2" * 998 + "…"
    assert ds.quarantine["date"][0] == "2" * size
    assert json.loads(ds.quarantine["day_json"][0]) == {"date": "2" * size}


def test_a_long_editor_name_is_kept_whole() -> None:
    name = "é" * (8 * 2**20)  # 16 MiB of UTF-8
    with bounded(20, mib=1500):
        ds = cm.load(
            raw(
                [
                    day(
                        copilot_ide_chat={
                            "total_engaged_users": 1,
                            "editors": [{"name": name, "total_engaged_users": 1}],
                        }
                    )
                ]
            )
        )
    assert ds.ide_chat_editors["editor"].to_list() == [name]


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("literal", "rule", "message"),
    [
        ('"12"', "type", "'12' is not of type 'integer'"),
        ("12.5", "type", "12.5 is not of type 'integer'"),
        ("true", "type", "True is not of type 'integer'"),
        ("[3]", "type", "[3] is not of type 'integer'"),
    ],
)
def test_counts_that_are_not_integers_are_day_errors(literal: str, rule: str, message: str) -> None:
    data = b'[{"date": "2024-06-24", "total_active_users": ' + literal.encode() + b"}]"
    expect_day_error(
        data, rule, "$[0].total_active_users", message, value=json.dumps(json.loads(literal), separators=(",", ":"))
    )


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        (str(2**63), f"{2**63} does not fit a 64-bit integer column"),
        (str(2**64), f"{2**64} does not fit a 64-bit integer column"),
        (str(2**64 + 1), f"{2**64 + 1} does not fit a 64-bit integer column"),
        (str(-(2**63) - 1), f"{-(2**63) - 1} does not fit a 64-bit integer column"),
        # no fraction: an integer to JSON Schema
        ("1e300", "1e300 does not fit a 64-bit integer column"),
    ],
)
def test_integers_no_64_bit_column_holds_are_day_errors(literal: str, message: str) -> None:
    # 2**64 and above reach orjson's reader as floats: the file is read again, exactly, so the
    # error's value and the quarantined day keep the number as written
    data = b'[{"date": "2024-06-24", "total_active_users": ' + literal.encode() + b"}]"
    expect_day_error(
        data,
        "representable",
        "$[0].total_active_users",
        message,
        value=literal,
        day_json='{"date":"2024-06-24","total_active_users":' + literal + "}",
        days=1,
    )


def test_a_float_with_no_fraction_is_an_integer() -> None:
    ds = cm.load(b'[{"date": "2024-06-24", "total_active_users": 12.0}]')
    assert ds.days["total_active_users"].to_list() == [12]
    assert cm.validate(b'[{"date": "2024-06-24", "total_active_users": 12.0}]').ok


@pytest.mark.parametrize(("literal", "shown"), [("-1", -1), (str(-(2**63)), -(2**63))])
def test_negative_counts_break_the_contract(literal: str, shown: int) -> None:
    data = b'[{"date": "2024-06-24", "total_active_users": ' + literal.encode() + b"}]"
    with pytest.raises(cm.ContractError) as info:
        cm.load(data)
    err = info.value
    assert (err.file, err.table, err.column) == (SRC, "days", "total_active_users")
    assert f"(value {shown})" in str(err)
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.days.height == 0
    # a contract sets the day aside by date, with the index the day has in its file
    assert ds.quarantine.select("day_index", "date", "stage").rows() == [(0, "2024-06-24", "contract")]
    assert ds.quarantine["reasons"][0].to_list() == [
        f"{SRC}: table days, column total_active_users: greater_than_or_equal_to(0) failed (value {shown})"
    ]
    # the schema sets no minimum, but validate predicts load: it runs the contracts too
    report = cm.validate(data)
    assert (report.days_checked, report.days_valid) == (1, 0)
    assert report.errors.select("source", "day_index", "json_path", "rule", "value").rows() == [
        (SRC, 0, "$[0].total_active_users", "contract", str(shown))
    ]


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("date", "rule", "message"),
    [
        ("24/06/2024", "format", "'24/06/2024' is not a 'date'"),
        ("2025-02-30", "format", "'2025-02-30' is not a 'date'"),
        ("2024-06-24T00:00:00Z", "format", "'2024-06-24T00:00:00Z' is not a 'date'"),
        ("0000-01-01", "format", "'0000-01-01' is not a 'date'"),
        (
            "\uff12\uff10\uff12\uff14-\uff10\uff16-\uff12\uff14",
            "format",  # full-width digits
            "'\uff12\uff10\uff12\uff14-\uff10\uff16-\uff12\uff14' is not a 'date'",
        ),
        ("", "format", "'' is not a 'date'"),
    ],
)
def test_dates_that_are_not_calendar_dates(date: str, rule: str, message: str) -> None:
    expect_day_error(
        raw([day(date)]), rule, "$[0].date", message, date=date, value=json.dumps(date, ensure_ascii=False)
    )


@pytest.mark.parametrize("value", [20240624, None, ["2024-06-24"]])
def test_a_date_that_is_not_a_string(value: Any) -> None:
    data = raw([day(value)])
    shown = {20240624: "20240624", None: "None", "list": "['2024-06-24']"}
    key = "list" if isinstance(value, list) else value
    expect_day_error(
        data,
        "type",
        "$[0].date",
        f"{shown[key]} is not of type 'string'",
        date=None,
        value=json.dumps(value, separators=(",", ":")),
    )


def test_a_missing_date_is_a_day_error() -> None:
    data = raw([{k: v for k, v in day().items() if k != "date"}, day("2024-06-25")])
    expect_day_error(
        data,
        "required",
        "$[0]",
        "'date' is a required property",
        date=None,
        value=json.dumps(json.loads(data)[0], separators=(",", ":")),
    )


def test_the_far_future_loads() -> None:
    ds = cm.load(raw([day("9999-12-31"), day("0001-01-01")]))
    assert sorted(ds.days["date"].to_list()) == [datetime.date(1, 1, 1), datetime.date(9999, 12, 31)]


# ------------------------------------------------------------------ duplicates


def test_duplicate_keys_keep_the_last_value() -> None:
    # RFC 8259 leaves it open; like JSON.parse and Python's json, the last occurrence wins
    data = b'[{"date": "2024-06-24", "total_active_users": 1, "total_active_users": 2, "date": "2024-06-25"}]'
    ds = cm.load(data)
    assert ds.days.select("date", "total_active_users").rows() == [(datetime.date(2024, 6, 25), 2)]
    assert cm.validate(data).ok


def test_duplicate_dates_with_different_values_keep_the_later_and_say_so() -> None:
    data = raw([day(total_active_users=7), day("2024-06-25"), day(total_active_users=9)])
    ds = cm.load(data)
    assert ds.days.sort("date").select("date", "total_active_users").rows() == [
        (datetime.date(2024, 6, 24), 9),
        (datetime.date(2024, 6, 25), 5),
    ]
    found = ds.findings.filter(pl.col("rule") == "duplicate_date_in_file")
    assert found.select("source", "date", "severity").unique().rows() == [(SRC, datetime.date(2024, 6, 24), "warning")]
    assert cm.validate(data).ok


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    "name",
    [
        "nul\x00inside",
        "rtl \u202eevil\u202c \u05e9\u05dc\u05d5\u05dd",
        "emoji 😀👩‍💻",
        "pair \U0001f600",
        "",
        " ",
        "x" * 300,
        "../../etc/passwd",
        "a\\b/c",
        "__HIVE_DEFAULT_PARTITION__",
        "\ufeffbom",
    ],
    ids=["nul", "rtl", "emoji", "escaped-pair", "empty", "space", "long", "dotdot", "slashes", "hive", "bom"],
)
def test_odd_names_are_kept_exactly(name: str) -> None:
    chat = {
        "total_engaged_users": 1,
        "editors": [
            {
                "name": name,
                "total_engaged_users": 1,
                "models": [
                    {
                        "name": name,
                        "is_custom_model": True,
                        "custom_model_training_date": None,
                        "total_engaged_users": 1,
                        "total_chats": 4,
                    }
                ],
            }
        ],
    }
    data = json.dumps([day(copilot_ide_chat=chat)], ensure_ascii=True).encode()  # every non-ASCII as an escape
    ds = cm.load(data)
    assert ds.ide_chat.select("editor", "model", "total_chats").rows() == [(name, name, 4)]
    assert cm.validate(data).ok


# ------------------------------------------------------------------ what is not a regular file


def test_a_fifo_in_a_folder_is_listed_as_skipped_never_opened(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_bytes(raw([day()]))
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    reason = "not read: a FIFO (named pipe), not a regular file (reading it could wait forever)"
    with bounded(10):
        for mode in ("raise", "quarantine"):
            ds = cm.load(tmp_path, on_invalid=mode)  # type: ignore[arg-type]
            assert ds.days.height == 1
            assert ds.sources.select("source", "status", "message").sort("source").rows() == [
                (str(tmp_path / "good.json"), "loaded", None),
                (str(fifo), "skipped", reason),
            ]
        assert cm.validate(tmp_path).days_checked == 1
        # named directly, or matched by a glob: the same
        ds = cm.load(fifo)
        assert ds.sources.select("source", "status", "message").rows() == [(str(fifo), "skipped", reason)]
        assert cm.load(str(tmp_path / "*.json")).sources.height == 2
        report = cm.validate(fifo)
        assert (report.ok, report.days_checked) == (True, 0)


def test_a_folder_named_like_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.json"
    folder.mkdir()
    with pytest.raises(cm.CopilotMetricsError) as info:
        cm.load(folder)
    assert type(info.value) is cm.CopilotMetricsError
    assert str(info.value).startswith(f"{folder}: this folder holds no file")
    assert info.value.file == str(folder)
    (folder / "a.json").write_bytes(raw([day()]))
    ds = cm.load(tmp_path)  # walked into like any folder
    assert ds.sources.select("source", "status").rows() == [(str(folder / "a.json"), "loaded")]
    with pytest.raises(cm.CopilotMetricsError, match="no file matches this pattern"):
        cm.load(str(tmp_path / "*.json"))  # the glob matches the folder only


def test_symlink_loops_and_dead_links_are_listed_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "good.json").write_bytes(raw([day()]))
    (root / "loop1.json").symlink_to(root / "loop2.json")
    (root / "loop2.json").symlink_to(root / "loop1.json")
    (root / "self.json").symlink_to(root / "self.json")
    (root / "dead.json").symlink_to(tmp_path / "nowhere.json")
    (root / "sub" / "up").symlink_to(root)  # a folder loop
    (root / "link.json").symlink_to(root / "sub" / "good.json")  # a link to a file is read
    dead = "not read: a symbolic link that leads to no file (broken, or a loop)"
    with bounded(10):
        ds = cm.load(root, on_invalid="quarantine")
    assert ds.sources.select("source", "status", "message").sort("source").rows() == [
        (str(root / "dead.json"), "skipped", dead),
        (str(root / "link.json"), "loaded", None),
        (str(root / "loop1.json"), "skipped", dead),
        (str(root / "loop2.json"), "skipped", dead),
        (str(root / "self.json"), "skipped", dead),
        (str(root / "sub" / "good.json"), "loaded", None),
        (
            str(root / "sub" / "up"),
            "skipped",
            "not read: a link to a folder (not followed, so that a loop cannot trap the walk)",
        ),
    ]
    assert cm.validate(root).days_checked == 2
    for target in ("loop1.json", "self.json", "dead.json"):
        with pytest.raises(cm.CopilotMetricsError) as info:
            cm.load(root / target)
        assert type(info.value) is cm.CopilotMetricsError
        assert str(info.value).startswith(f"{root / target}: a symbolic link that leads to no file")
        assert info.value.file == str(root / target)


# ------------------------------------------------------------------ properties


def only_library_errors(data: bytes) -> None:
    """load raises only library errors; quarantine mode and validate do not raise at all."""
    with contextlib.suppress(cm.CopilotMetricsError):
        cm.load(data)
    ds = cm.load(data, on_invalid="quarantine")
    assert ds.sources.height == 1
    report = cm.validate(data)
    assert isinstance(report.errors, pl.DataFrame)


VALID = json.dumps([day(), day("2024-06-25")], indent=2).encode()

prefixes = st.sampled_from([b"", b"\x1f\x8b", b"\xef\xbb\xbf", b"\xff\xfe", b"[", b"{", b"PK\x03\x04", b"\x00"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)
FIELDS = [
    "date",
    "total_active_users",
    "total_engaged_users",
    "copilot_ide_chat",
    "copilot_dotcom_chat",
    "copilot_ide_code_completions",
    "copilot_dotcom_pull_requests",
    "day",
    "editor",
    "breakdown",
    "_note",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefixes, st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_library_errors(prefix: bytes, body: bytes) -> None:
    only_library_errors(prefix + body)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_export_raises_only_library_errors(data: st.DataObject) -> None:
    """A real export cut, flipped, spliced or with bytes inserted."""
    buf = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(buf)))
        how = data.draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if how == "cut":
            del buf[at:]
        elif how == "flip" and at < len(buf):
            buf[at] = data.draw(st.integers(0, 255))
        elif how == "insert":
            buf[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del buf[at : at + data.draw(st.integers(1, 40))]
    blob = bytes(buf)
    only_library_errors(gzip.compress(blob) if data.draw(st.booleans()) else blob)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4), max_size=3),
    st.sampled_from(["array", "ndjson", "appended", "object"]),
)
def test_arbitrary_json_in_day_fields_raises_only_library_errors(edits: list[dict[str, Any]], layout: str) -> None:
    days = [{**day(f"2024-06-{24 + i}"), **edit} for i, edit in enumerate(edits)]
    try:
        if layout == "array":
            data = json.dumps(days).encode()
        elif layout == "ndjson":
            data = b"\n".join(json.dumps(d).encode() for d in days)
        elif layout == "appended":
            data = b"\n".join(json.dumps([d], indent=2).encode() for d in days)
        else:
            data = json.dumps(days[0] if days else {}).encode()
    except ValueError:  # pragma: no cover - json.dumps of a float NaN is allowed; nothing else fails
        return
    only_library_errors(data)
