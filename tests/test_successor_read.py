"""The successor reports' reader: every fixture of tests/fixtures/usage_reports, with hand-checked figures.

The expected counts are the ones worked out by hand in tests/fixtures/usage_reports/README.md
(each file loaded alone); values are read off the fixtures' JSON.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from copilot_metrics import successor
from copilot_metrics.errors import FormatError, ScopeError

FIXTURES = Path(__file__).parent / "fixtures" / "usage_reports"


def read(name: str, **kwargs: Any) -> successor.ReportRead:
    return successor.read_bytes((FIXTURES / name).read_bytes(), name, **kwargs)


def counts(result: successor.ReportRead) -> dict[str, int]:
    return {name: frame.height for name, frame in result.tables.items() if frame.height}


def rules(result: successor.ReportRead) -> dict[str, int]:
    return dict(result.findings.group_by("rule").len().iter_rows())


# ---------------------------------------------------------------- layouts (README "Layouts")

LAYOUTS: dict[str, tuple[str, str, dict[str, int]]] = {
    "layout_wrapper_object_organization_28_day.json": (
        "object",
        "organization-28-day",
        {
            "agg_days": 2,
            "agg_ide": 3,
            "agg_feature": 6,
            "agg_language_feature": 7,
            "agg_language_model": 3,
            "agg_model_feature": 4,
            "agg_clients": 1,
            "agg_pull_requests": 2,
            "agg_pr_comment_type": 1,
        },
    ),
    "layout_flat_record_enterprise_1_day.json": (
        "object",
        "enterprise-1-day",
        {
            "agg_days": 1,
            "agg_ide": 1,
            "agg_feature": 2,
            "agg_language_feature": 2,
            "agg_language_model": 1,
            "agg_model_feature": 1,
            "agg_pull_requests": 1,
        },
    ),
    "layout_ndjson_user_rows_organization_users_1_day.ndjson": (
        "ndjson",
        "organization-users-1-day",
        {
            "user_days": 3,
            "user_ide": 1,
            "user_feature": 3,
            "user_language_feature": 3,
            "user_language_model": 2,
            "user_model_feature": 2,
            "user_clients": 1,
        },
    ),
    "layout_array_of_user_records_enterprise_users_1_day.json": (
        "array",
        "enterprise-users-1-day",
        {
            "user_days": 2,
            "user_ide": 2,
            "user_feature": 2,
            "user_language_feature": 2,
            "user_language_model": 1,
            "user_model_feature": 1,
        },
    ),
    "layout_array_of_wrappers_enterprise_28_day.json": (
        "array",
        "enterprise-28-day",
        {
            "agg_days": 2,
            "agg_ide": 1,
            "agg_feature": 2,
            "agg_language_feature": 2,
            "agg_language_model": 1,
            "agg_model_feature": 1,
            "agg_pull_requests": 2,
        },
    ),
    "layout_ndjson_wrappers_organization_28_day.ndjson": (
        "ndjson",
        "organization-28-day",
        {
            "agg_days": 2,
            "agg_ide": 2,
            "agg_feature": 3,
            "agg_language_feature": 3,
            "agg_language_model": 1,
            "agg_model_feature": 1,
            "agg_pull_requests": 2,
        },
    ),
    "layout_concatenated_pretty_documents_users_1_day.json": (
        "concatenated-json",
        "organization-users-1-day",
        {
            "user_days": 2,
            "user_ide": 1,
            "user_feature": 1,
            "user_language_feature": 1,
            "user_language_model": 1,
            "user_model_feature": 1,
        },
    ),
    "layout_gzip_ndjson_organization_users_1_day.ndjson.gz": (
        "ndjson+gzip",
        "organization-users-1-day",
        {"user_days": 2, "user_ide": 2, "user_feature": 2, "user_language_feature": 1, "user_model_feature": 1},
    ),
    "layout_utf8_bom_flat_record_organization_1_day.json": (
        "object",
        "organization-1-day",
        {
            "agg_days": 1,
            "agg_ide": 1,
            "agg_feature": 1,
            "agg_language_feature": 1,
            "agg_language_model": 1,
            "agg_model_feature": 1,
            "agg_pull_requests": 1,
        },
    ),
    "quirk_acceptances_exceed_generations.ndjson": (
        "object",
        "organization-users-1-day",
        {
            "user_days": 1,
            "user_ide": 1,
            "user_feature": 1,
            "user_language_feature": 2,
            "user_language_model": 2,
            "user_model_feature": 1,
        },
    ),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_layout_is_read_by_content_as_one_report(name: str) -> None:
    layout, kind, expected = LAYOUTS[name]
    result = read(name)
    assert result.layout == layout
    assert result.reports["kind"].to_list() == [kind]
    assert counts(result) == expected


def test_wrapper_object_report_row_and_values() -> None:
    result = read("layout_wrapper_object_organization_28_day.json")
    report = result.reports.row(0, named=True)
    assert report["level"] == "organization"
    assert (report["window_start"], report["window_end"]) == (date(2026, 5, 3), date(2026, 5, 30))
    assert report["created_at"] == datetime(2026, 5, 31, 4, 12, 9, 500000, tzinfo=timezone.utc)
    assert report["created_at_raw"] == "2026-05-31T04:12:09.500Z"
    assert (report["records"], report["days_present"], report["days_in_window"], report["days_absent"]) == (
        2,
        2,
        28,
        26,
    )
    assert rules(result) == {"window_day_absent": 26}
    cli = result.tables["agg_clients"].row(0, named=True)
    assert (cli["client"], cli["date"], cli["session_count"], cli["request_count"], cli["prompt_count"]) == (
        "cli",
        date(2026, 5, 10),
        2,
        10,
        3,
    )
    assert (cli["output_tokens_sum"], cli["prompt_tokens_sum"], cli["avg_tokens_per_request"]) == (4000, 46000, 5000.0)
    prs = result.tables["agg_pull_requests"]
    assert prs["total_created"].sum() == 4
    assert prs["total_merged"].sum() == 2
    assert prs["median_minutes_to_merge"].to_list() == [45.5, None]
    assert prs["shape"][1].to_list() == [
        "median_minutes_to_merge:absent",
        "median_minutes_to_merge_copilot_authored:absent",
        "median_minutes_to_merge_copilot_reviewed:absent",
    ]
    comment = result.tables["agg_pr_comment_type"].row(0, named=True)
    assert (
        comment["comment_type"],
        comment["total_copilot_suggestions"],
        comment["total_copilot_applied_suggestions"],
    ) == ("bug", 2, 1)
    completion = result.tables["agg_feature"].filter(pl.col("feature") == "code_completion")
    assert completion.select(
        "code_generation_activity_count", "code_acceptance_activity_count", "loc_suggested_to_add_sum", "loc_added_sum"
    ).sum().row(0) == (30, 9, 45, 13)
    # ids are strings, labels null when none is given, date from 'day'
    days = result.tables["agg_days"]
    assert days.select("enterprise_id", "organization_id", "enterprise", "org").unique().rows() == [
        ("4242", "77001", None, None)
    ]
    assert days["date"].to_list() == [date(2026, 5, 10), date(2026, 5, 11)]


def test_two_wrappers_of_one_report_share_its_id_and_two_enterprises_make_two_reports() -> None:
    one = read("layout_array_of_wrappers_enterprise_28_day.json")
    assert one.reports.height == 1
    assert one.tables["agg_days"]["report_id"].unique().to_list() == one.reports["report_id"].to_list()
    assert one.tables["agg_days"]["daily_active_users"][1] == 0  # a written zero day, not a gap
    two = read("array_of_wrappers_two_enterprises_docs_layout.json")
    assert sorted(two.reports["enterprise_id"].to_list()) == ["4242", "4243"]
    assert two.reports["report_id"].n_unique() == 2
    assert sorted(two.tables["agg_days"].select("enterprise_id", "daily_active_users").rows()) == [
        ("4242", 1),
        ("4243", 2),
    ]
    with pytest.raises(ScopeError, match="'acme' would name 2 different enterprise_ids"):
        read("array_of_wrappers_two_enterprises_docs_layout.json", enterprise="acme")


def test_labels_fill_the_scope_columns() -> None:
    result = read("layout_flat_record_enterprise_1_day.json", enterprise="acme")
    assert result.tables["agg_feature"]["enterprise"].unique().to_list() == ["acme"]
    assert (
        result.tables["agg_language_feature"]["language"].to_list().count("c#") == 2
        or "c#" in result.tables["agg_language_feature"]["language"].to_list()
    )


# ---------------------------------------------------------------- record kinds


def test_enterprise_users_28_day_has_no_created_at() -> None:
    result = read("kind_enterprise_users_28_day.ndjson")
    report = result.reports.row(0, named=True)
    assert (report["kind"], report["created_at"], report["created_at_raw"], report["level"]) == (
        "enterprise-users-28-day",
        None,
        None,
        "enterprise",
    )
    assert counts(result) == {
        "user_days": 3,
        "user_ide": 3,
        "user_feature": 3,
        "user_language_feature": 2,
        "user_model_feature": 1,
    }
    assert result.tables["user_days"]["user_id"].n_unique() == 2
    assert result.user_logins.height == 2


def test_user_teams_and_repositories() -> None:
    teams = read("kind_user_teams_organization_1_day.ndjson")
    assert teams.reports["kind"].to_list() == ["organization-user-teams-1-day"]
    frame = teams.tables["user_teams"]
    assert frame.height == 10
    assert frame["user_id"].n_unique() == 9
    assert sorted(frame.filter(pl.col("team_id") == 31)["user_id"].to_list()) == [9001, 9002, 9005, 9006, 9007]
    repos = read("kind_repos_1_day.ndjson")
    assert repos.reports["kind"].to_list() == ["organization-repos-1-day"]
    assert counts(repos) == {"repo_days": 3, "repo_pr_comment_type": 3, "repo_review_times": 2}
    days = repos.tables["repo_days"].sort("repo_id")
    assert days["repo_visibility"].to_list() == ["PRIVATE", "INTERNAL", "PUBLIC"]
    assert days["median_minutes_to_merge"].to_list() == [95.0, None, 12.5]
    assert "pull_requests.median_minutes_to_merge:absent" in days["shape"][1].to_list()
    assert sorted(repos.tables["repo_review_times"].select("authored_by", "reviewed_by").rows()) == [
        ("human", "copilot"),
        ("human", "human"),
    ]


def test_newest_aggregate_fields() -> None:
    result = read("kind_organization_28_day_newest_fields.json")
    assert counts(result) == {
        "agg_days": 1,
        "agg_ide": 1,
        "agg_feature": 5,
        "agg_language_feature": 5,
        "agg_language_model": 2,
        "agg_model_feature": 4,
        "agg_clients": 3,
        "agg_adoption_phase": 2,
        "agg_third_party_agent": 1,
        "agg_cli_customization": 4,
        "agg_engagement": 3,
        "agg_pull_requests": 1,
        "agg_pr_comment_type": 1,
    }
    assert rules(result) == {"window_day_absent": 27}
    assert sorted(result.tables["agg_clients"]["client"].to_list()) == ["cli", "copilot_app", "vscode_agent"]
    clients = result.tables["agg_clients"].filter(pl.col("client") != "vscode_agent")
    # tokens per request recomputed from sums: (20,000 + 4,000) / (4 + 2)
    total = clients.select((pl.col("output_tokens_sum") + pl.col("prompt_tokens_sum")).sum()).item()
    assert total / clients["request_count"].sum() == 4000.0
    engagement = result.tables["agg_engagement"]
    assert engagement.select("feature", "engaged_user_count").rows() == [
        ("__any__", 6),
        ("code_completion", 4),
        ("chat_panel_agent_mode", 3),
    ]
    assert engagement["date"].unique().to_list() == [date(2026, 10, 17)]
    categories = sorted(result.tables["agg_cli_customization"]["category"].to_list())
    assert categories == ["mcp", "skill", "skill", "slash_cmd"]


def test_newest_user_fields() -> None:
    result = read("kind_organization_users_1_day_newest_fields.ndjson")
    assert counts(result) == {
        "user_days": 2,
        "user_ide": 2,
        "user_feature": 5,
        "user_language_feature": 5,
        "user_language_model": 2,
        "user_model_feature": 4,
        "user_clients": 3,
        "user_third_party_agent": 1,
        "user_cli_customization": 2,
    }
    days = result.tables["user_days"].sort("user_id")
    assert days["ai_credits_used"].sum() == 4.25
    assert days["used_copilot_code_review_active"].to_list() == [True, None]
    assert days["phase_number"].to_list() == [2, 1]
    assert result.tables["user_clients"]["user_id"].unique().to_list() == [9001]


def test_user_client_version_and_lenient_sampled_at() -> None:
    result = read("layout_ndjson_user_rows_organization_users_1_day.ndjson")
    cli = result.tables["user_clients"].row(0, named=True)
    assert (cli["user_id"], cli["client"], cli["client_version"]) == (9002, "cli", "1.0.40")
    assert cli["sampled_at"] == datetime(2026, 5, 12, 10, 30, tzinfo=timezone.utc)
    assert result.user_logins.height == 3


# ---------------------------------------------------------------- quirks


def test_absent_null_and_zero_stay_different_in_aggregates() -> None:
    result = read("quirk_absent_null_zero_aggregate.json")
    days = result.tables["agg_days"].sort("date")
    assert days["daily_active_copilot_cloud_agent_users"].to_list() == [None, None, 0]
    assert days["daily_active_copilot_app_users"].to_list() == [None, None, 0]
    shapes = [set(s) for s in days["shape"].to_list()]
    assert "daily_active_copilot_cloud_agent_users:absent" in shapes[0]
    assert "daily_active_copilot_cloud_agent_users:null" in shapes[1]
    assert not any(s.startswith("daily_active_copilot_cloud_agent_users") for s in shapes[2])
    assert "totals_by_language_model:absent" in shapes[0]
    assert "pull_requests:null" in shapes[1]
    assert not any(s.startswith("totals_by_language_model") for s in shapes[1])  # [] is known empty
    assert result.tables["agg_language_model"]["date"].to_list() == [date(2026, 5, 26)]
    prs = result.tables["agg_pull_requests"].sort("date")
    assert prs["date"].to_list() == [date(2026, 5, 24), date(2026, 5, 26)]
    assert prs["median_minutes_to_merge"].to_list() == [None, 30.0]


def test_absent_null_false_user_flags() -> None:
    days = read("quirk_absent_null_false_user_flags.ndjson").tables["user_days"].sort("user_id")
    assert days["used_cli"].to_list() == [False, None, False]
    assert days["used_copilot_code_review_active"].to_list() == [True, None, None]
    assert "used_copilot_code_review_active:null" in days["shape"][1].to_list()
    assert "used_copilot_code_review_active:absent" in days["shape"][2].to_list()
    assert days["ai_credits_used"].to_list() == [1.25, None, 0.0]
    assert days.schema["used_cli"] == pl.Boolean


def test_booleans_as_0_1_in_a_derived_export() -> None:
    result = read("quirk_booleans_as_0_1_derived_export.ndjson")
    days = result.tables["user_days"].sort("user_id")
    assert days["flavor"].to_list() == ["derived", "derived"]
    assert days["used_agent"].to_list() == [True, False]
    assert days["used_chat"].to_list() == [False, True]
    assert days["used_cli"].to_list() == [None, None]
    assert days.schema["used_cli"] == pl.Boolean
    assert days["loc_suggested_to_add_sum"].to_list() == [9, None]
    assert "loc_deleted_sum:absent" in days["shape"][0].to_list()
    assert "used_agent:bool_as_int" in days["shape"][0].to_list()
    assert json.loads(days["extras"][0]) == {
        "primary_ide": "vscode",
        "primary_ide_version": "1.100.2",
        "primary_language": "python",
    }
    assert rules(result)["derived_user_export"] == 1
    assert counts(result) == {"user_days": 2}


def test_acceptances_above_generations_are_kept_and_found() -> None:
    result = read("quirk_acceptances_exceed_generations.ndjson")
    row = result.tables["user_language_feature"].filter(pl.col("language") == "markdown").row(0, named=True)
    assert (row["code_generation_activity_count"], row["code_acceptance_activity_count"]) == (0, 2)
    assert rules(result) == {"acceptances_exceed_generations": 2}
    assert sorted(result.findings["table"].to_list()) == ["user_language_feature", "user_language_model"]


def test_unknown_keys_and_values_go_to_extras_and_drift() -> None:
    result = read("quirk_unknown_keys_and_values.json")
    day = result.tables["agg_days"].row(0, named=True)
    assert json.loads(day["extras"]) == {
        "daily_active_hovercraft_users": 2,
        "totals_by_hovercraft": [{"hover_count": 1}],
    }
    assert json.loads(result.tables["agg_feature"]["extras"][0]) == {"hover_ms": 120}
    assert result.tables["agg_feature"]["extras"][1] is None
    assert result.tables["agg_pr_comment_type"]["comment_type"].to_list() == ["haiku_review"]
    assert rules(result) == {"unknown_field": 3, "unknown_value": 1}
    drift = result.schema_drift.sort("path")
    assert drift.select("path", "example_type", "first_date", "last_date", "records", "status").rows() == [
        ("daily_active_hovercraft_users", "integer", date(2026, 5, 21), date(2026, 5, 21), 1, "unknown"),
        ("totals_by_feature[].hover_ms", "integer", date(2026, 5, 21), date(2026, 5, 21), 1, "unknown"),
        ("totals_by_hovercraft", "array", date(2026, 5, 21), date(2026, 5, 21), 1, "unknown"),
        ("value:haiku_review", "string", date(2026, 5, 21), date(2026, 5, 21), 1, "unknown"),
    ]


def test_a_new_client_object_becomes_a_client() -> None:
    result = read("quirk_new_client_object.json")
    row = result.tables["agg_clients"].row(0, named=True)
    assert (
        row["client"],
        row["session_count"],
        row["request_count"],
        row["prompt_count"],
        row["output_tokens_sum"],
    ) == ("jetpack", 2, 5, None, None)
    assert rules(result) == {"new_client": 1}
    assert result.tables["agg_days"]["extras"][0] is None


def test_phase_number_out_of_vocabulary_is_kept() -> None:
    result = read("quirk_adoption_phase_number_out_of_vocabulary.ndjson")
    assert result.tables["user_days"].sort("user_id")["phase_number"].to_list() == [4, 0]
    assert rules(result) == {"unknown_value": 1}
    assert result.schema_drift["path"].to_list() == ["value:4"]


def test_login_changed_for_one_user_id() -> None:
    result = read("quirk_login_changed_same_user_id.ndjson")
    assert result.user_logins.rows() == [
        (9001, "dev-amber", date(2026, 5, 20), date(2026, 5, 20), 1),
        (9001, "dev-amber-renamed", date(2026, 5, 21), date(2026, 5, 21), 1),
        (9002, "dev-birch", date(2026, 5, 21), date(2026, 5, 21), 1),
    ]
    assert rules(result) == {"login_changed": 1}
    assert result.tables["user_days"]["user_id"].n_unique() == 2


def test_days_not_in_order_provisional_days_and_created_at_without_zone() -> None:
    unsorted = read("quirk_days_not_in_order.json")
    assert rules(unsorted) == {"dates_not_in_order": 1, "window_day_absent": 25}
    assert unsorted.tables["agg_days"]["daily_active_users"].to_list() == [0, 0, 0]
    provisional = read("quirk_provisional_recent_days.json")
    found = provisional.findings.filter(pl.col("rule") == "provisional_day")["date"].to_list()
    assert sorted(found) == [date(2026, 5, 31), date(2026, 6, 1)]
    spaced = read("quirk_created_at_space_no_zone_seven_digits.json").reports.row(0, named=True)
    assert spaced["created_at"] == datetime(2026, 5, 31, 4, 12, 9, 500000, tzinfo=timezone.utc)
    assert spaced["created_at_raw"] == "2026-05-31 04:12:09.5000000"
    assert read("quirk_wau_mau_calendar_windows.json").tables["agg_days"].sort("date").select(
        "daily_active_users", "weekly_active_users", "monthly_active_users"
    ).rows() == [(3, 5, 9), (2, 2, 9), (2, 3, 2)]


def test_cli_only_day_has_no_ide_rows() -> None:
    result = read("quirk_cli_only_day_empty_ide_array.json")
    assert "agg_ide" not in counts(result)
    cli = result.tables["agg_clients"].row(0, named=True)
    assert (cli["session_count"], cli["request_count"], cli["output_tokens_sum"], cli["prompt_tokens_sum"]) == (
        2,
        40,
        20000,
        380000,
    )


def test_shards_share_a_report_id_and_overlapping_reports_do_not() -> None:
    one = read("shard_organization_users_28_day_part_1_of_2.ndjson")
    two = read("shard_organization_users_28_day_part_2_of_2.ndjson")
    assert one.reports["report_id"].to_list() == two.reports["report_id"].to_list()
    assert one.user_logins.height == 2
    assert two.user_logins.height == 2
    w1 = read("overlap_organization_28_day_created_2026_05_29.json")
    w2 = read("overlap_organization_28_day_created_2026_05_31.json")
    assert w1.reports["report_id"].item() != w2.reports["report_id"].item()
    assert rules(w1) == {"window_day_absent": 24, "provisional_day": 1}
    assert rules(w2) == {"window_day_absent": 24, "provisional_day": 2}


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("name", "detected", "path"),
    [
        ("refuse_report_links_metadata.json", "report-links", "$"),
        ("refuse_dashboard_user_totals_shape.json", "viewer-user-totals", "$"),
        ("refuse_csv_export_with_json_suffix.json", "csv", None),
        ("refuse_mixed_record_kinds.ndjson", "mixed-report-kinds", "$[1]"),
    ],
)
def test_refusals_name_what_the_file_is(name: str, detected: str, path: str | None) -> None:
    with pytest.raises(FormatError) as caught:
        read(name)
    assert caught.value.detected == detected
    assert caught.value.file == name
    assert caught.value.json_path == path


def test_api_errors_unknown_objects_and_legacy_days_are_refused() -> None:
    cases = [
        ({"message": "Not Found", "documentation_url": "x"}, "api-error", "$"),
        ({"day": "2026-05-01", "something": 1}, "unknown-object", "$"),
        ([{"date": "2024-06-01", "total_active_users": 1}], "legacy-metrics", "$[0]"),
        (
            {"report_start_day": "2026-05-01", "day_totals": [{"day": "2026-05-01", "x": 1}]},
            "unknown-object",
            "$.day_totals[0]",
        ),
    ]
    for doc, detected, path in cases:
        with pytest.raises(FormatError) as caught:
            successor.read_bytes(orjson.dumps(doc), "f.json")
        assert (caught.value.detected, caught.value.json_path) == (detected, path)


def test_classifier() -> None:
    assert successor.classify_record({"day": "d", "team_id": 1, "user_id": 2}) == "user_team"
    assert successor.classify_record({"day": "d", "repo_id": 1}) == "repo"
    assert successor.classify_record({"day": "d", "monthly_active_users": 1}) == "aggregate"
    assert successor.is_report({"download_links": []}) is True
    assert successor.is_report({"date": "2024-06-01", "copilot_ide_chat": {}}) is False
    assert successor.is_report({"message": "Bad credentials"}) is False


# ---------------------------------------------------------------- validation


def _aggregate(day: str, acceptances: Any) -> dict[str, Any]:
    feature = {
        "feature": "code_completion",
        "code_generation_activity_count": 1,
        "code_acceptance_activity_count": acceptances,
    }
    return {
        "day": day,
        "enterprise_id": "1",
        "daily_active_users": 1,
        "totals_by_feature": [feature, feature, dict(feature, code_acceptance_activity_count=0)],
    }


def test_type_errors_name_their_json_path_and_quarantine_keeps_the_record() -> None:
    records = [_aggregate("2026-05-01", 1), _aggregate("2026-05-02", 1)]
    records[1]["totals_by_feature"][2]["code_acceptance_activity_count"] = "12"
    records[1]["daily_active_users"] = True
    data = b"\n".join(orjson.dumps(r) for r in records)
    with pytest.raises(successor.ReportValidationError) as caught:
        successor.read_bytes(data, "bad.ndjson")
    error = caught.value
    assert error.file == "bad.ndjson"
    assert error.json_path == "$[1].daily_active_users"
    assert [e["json_path"] for e in error.errors] == [
        "$[1].daily_active_users",
        "$[1].totals_by_feature[2].code_acceptance_activity_count",
    ]
    assert error.errors[1]["message"] == (
        '$[1].totals_by_feature[2].code_acceptance_activity_count: "12" is not an integer'
    )
    result = successor.read_bytes(data, "bad.ndjson", on_invalid="quarantine")
    assert result.tables["agg_days"]["date"].to_list() == [date(2026, 5, 1)]
    assert result.tables["agg_feature"].height == 3
    row = result.quarantine.row(0, named=True)
    assert (row["json_path"], row["grain"], row["date"], row["stage"]) == (
        "$[1]",
        "aggregate",
        "2026-05-02",
        "validation",
    )
    assert len(row["reasons"]) == 2
    assert json.loads(row["record_json"]) == records[1]


def test_integral_floats_are_read_as_integers() -> None:
    record = _aggregate("2026-05-01", 3.0)
    result = successor.read_bytes(orjson.dumps(record), "f.json")
    assert result.tables["agg_feature"]["code_acceptance_activity_count"].to_list() == [3, 3, 0]


# ---------------------------------------------------------------- lossless


def _original_records(path: Path) -> list[Any]:
    """The records of a fixture, read with the standard library (independently of the reader)."""
    import gzip

    data = path.read_bytes()
    text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8-sig")
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError:
        decoder, docs, pos = json.JSONDecoder(), [], 0
        while pos < len(text.rstrip()):
            doc, end = decoder.raw_decode(text, pos)
            docs.append(doc)
            pos = end
            while pos < len(text) and text[pos].isspace():
                pos += 1
    items = [x for d in docs for x in (d if isinstance(d, list) else [d])]
    return [r for item in items for r in (item.get("day_totals", [item]))]


ROUND_TRIP = sorted(
    p.name for p in FIXTURES.iterdir() if p.suffix in (".json", ".ndjson", ".gz") and not p.name.startswith("refuse")
)


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_every_fixture_record_rebuilds_json_equal(name: str) -> None:
    result = read(name)
    rebuilt = sorted(json.dumps(r, sort_keys=True) for _, r in successor.rebuild_records(result.tables))
    assert rebuilt == sorted(json.dumps(r, sort_keys=True) for r in _original_records(FIXTURES / name))


def test_wrappers_rebuild_with_their_records_in_file_order() -> None:
    path = FIXTURES / "quirk_days_not_in_order.json"
    result = read(path.name)
    assert successor.rebuild_wrappers(result.tables, result.reports) == [json.loads(path.read_text())]


def test_registry_declares_kinds_and_paths() -> None:
    assert successor.column_kind("agg_days", "weekly_active_users") == "snapshot"
    assert successor.column_kind("agg_days", "daily_active_users") == "distinct"
    assert successor.column_kind("agg_clients", "avg_tokens_per_request") == "average"
    assert successor.column_kind("repo_review_times", "p90_minutes_ready_to_first_review") == "quantile"
    assert successor.column_kind("user_days", "used_agent") == "flag"
    assert successor.column_kind("user_days", "user_login") == "attribute"
    assert successor.column_kind("user_ide", "user_id") == "key"
    assert successor.TABLES["repo_pr_comment_type"].json_path == (
        "$.pull_requests.copilot_suggestions_by_comment_type[*]"
    )
    assert successor.TABLES["user_language_model"].key == (
        "enterprise_id",
        "organization_id",
        "enterprise",
        "org",
        "date",
        "user_id",
        "language",
        "model",
    )
    for spec in successor.TABLES.values():
        assert spec.schema.names()[-4:] == ["source", "extras", "shape", "report_id"]
        assert pl.Null not in spec.schema.dtypes()
        assert set(spec.kinds.values()) <= set(successor.KINDS)


def test_contracts_accept_the_tables_and_refuse_a_negative_count() -> None:
    result = read("layout_wrapper_object_organization_28_day.json")
    for name, frame in result.tables.items():
        successor.contract(name).validate(frame)
    bad = result.tables["agg_ide"].with_columns(pl.lit(-1, pl.Int64).alias("loc_added_sum"))
    with pytest.raises(Exception, match="loc_added_sum"):
        successor.contract("agg_ide").validate(bad)
