"""Shared fixtures and the markers that keep the default ``pytest`` quick.

Markers (``pytest --markers`` lists them):

``slow``
    a test that takes seconds on its own: property tests over generated archives, subprocesses,
    large inputs;
``spark``
    runs Spark on ``local[2]`` (needs Java 17 or later); every test of ``tests/test_spark*.py``;
``browser``
    renders or prints the HTML report in headless Chromium;
``notebook``
    executes a notebook of ``notebooks/`` (nbmake); every ``.ipynb`` item.

The default ``pytest`` runs the rest, the quick suite. ``pytest --all`` runs everything, and any
``-m`` expression selects as usual (``pytest -m "slow or spark or browser or notebook"`` runs what
the quick suite leaves out: ``.ci/run`` runs both, so CI runs every test once).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import copilot_metrics as cm

#: The markers the quick suite leaves out.
HEAVY = {
    "slow": "takes seconds on its own (generated archives, subprocesses, large inputs)",
    "spark": "runs Spark on local[2] (Java 17 or later)",
    "browser": "renders or prints the HTML report in headless Chromium",
    "notebook": "executes a notebook (nbmake)",
}


#: Test files whose every test is ``slow``: command-line runs and worker processes in subprocesses,
#: writers killed or starved, hypothesis over generated archives.
SLOW_FILES = {
    "test_cli.py",
    "test_parallel.py",
    "test_hostile_writers.py",
    "test_atomic_writers.py",
    "test_main.py",
    "test_split_order.py",
    "test_cli_terminal.py",
}
#: Tests elsewhere that take half a second or more on their own (file, test function): the quick suite stays
#: under two minutes on 2 cores; `.ci/run` runs these with the other marked tests.
SLOW_TESTS = {
    ("test_archive.py", "test_a_base_file_read_again_replaces_its_base_copy"),
    ("test_archive.py", "test_a_day_the_contracts_set_aside_leaves_the_quarantine_only_when_another_version_wins"),
    ("test_archive.py", "test_each_scope_and_date_appears_once_in_every_table"),
    ("test_archive.py", "test_incremental_load_does_not_change_the_base"),
    ("test_archive.py", "test_incremental_load_equals_loading_everything"),
    ("test_archive.py", "test_incremental_load_from_a_parquet_base"),
    ("test_archive.py", "test_loading_a_copy_of_the_archive_elsewhere_keeps_the_same_tables"),
    ("test_archive.py", "test_loading_the_files_in_any_order_gives_the_same_dataset"),
    ("test_archive.py", "test_merger_drops_identical_repeats_as_files_are_read"),
    ("test_declarations.py", "test_a_scope_display_name_is_written_once"),
    ("test_declarations.py", "test_side_table_rows_are_built_by_their_constructors"),
    ("test_declarations.py", "test_the_calendar_date_rule_is_written_once"),
    ("test_declarations.py", "test_the_feature_blocks_are_named_only_in_tables"),
    ("test_declarations.py", "test_the_json_path_templates_of_table_rows_are_only_in_tables"),
    ("test_declarations.py", "test_the_label_of_an_earlier_copy_is_not_parsed_back"),
    ("test_declarations.py", "test_the_row_rule_conditions_are_written_once"),
    ("test_declarations.py", "test_the_training_date_key_is_written_once"),
    ("test_declared_values.py", "test_every_detected_kind_written_is_declared_and_every_declared_one_is_written"),
    ("test_declared_values.py", "test_every_rule_written_or_read_is_declared_and_every_declared_one_is_written"),
    ("test_engines.py", "test_the_odd_scope_is_in_the_dataset"),
    ("test_engines.py", "test_the_report_tables_have_rows"),
    ("test_examples.py", "test_shipped_archive_parses_and_validates"),
    ("test_front_successor.py", "test_cli_convert_report_file"),
    ("test_front_successor.py", "test_headline_numbers_and_what_they_stand_on"),
    ("test_front_successor.py", "test_python_m_prints_the_successor_headline"),
    ("test_front_successor.py", "test_report_says_suppression_and_source"),
    ("test_front_successor.py", "test_report_sections_rows_by_hand"),
    ("test_hostile_inputs.py", "test_a_100_mib_date_is_a_day_error_with_short_messages"),
    ("test_hostile_inputs.py", "test_a_100_mib_string_as_the_file_is_not_a_list"),
    ("test_hostile_inputs.py", "test_a_damaged_export_raises_only_library_errors"),
    ("test_hostile_inputs.py", "test_a_long_editor_name_is_kept_whole"),
    ("test_hostile_inputs.py", "test_arbitrary_bytes_raise_only_library_errors"),
    ("test_hostile_inputs.py", "test_arbitrary_json_in_day_fields_raises_only_library_errors"),
    ("test_hostile_inputs.py", "test_truncated_at_every_offset_is_truncated_json"),
    ("test_in_memory_merge.py", "test_a_renamed_input_renames_the_copies_of_its_repeated_date"),
    ("test_in_memory_merge.py", "test_parquet_merge_of_two_byte_loads_keeps_both"),
    ("test_inputs_robust.py", "test_a_file_deleted_or_replaced_after_listing_is_reported"),
    ("test_inputs_robust.py", "test_the_command_line_reads_names_that_are_not_utf8"),
    ("test_integrity.py", "test_a_dataset_that_disagrees_with_its_manifest_raises_naming_the_table_and_the_file"),
    ("test_lost_numbers.py", "test_every_cut_of_the_line_being_appended_keeps_the_complete_lines"),
    ("test_metrics.py", "test_slices_and_periods_add_up_to_the_total_for_event_counts"),
    ("test_metrics_missing.py", "test_column_kind_knows_every_table_column"),
    ("test_parquet.py", "test_a_format_3_dataset_reads_without_versions_and_merges_best_effort"),
    ("test_parquet.py", "test_a_format_6_dataset_reads_the_copy_paths_from_the_labels_and_merges"),
    ("test_parquet.py", "test_a_write_failing_midway_leaves_the_previous_dataset_intact_and_no_partial_folder"),
    ("test_parquet.py", "test_datasets_of_the_0_1_0_layouts_read_back_exactly_and_a_write_rewrites_them"),
    ("test_parquet.py", "test_generated_archive_round_trip_is_exact_with_enterprise_numeric_org_and_odd_team_name"),
    ("test_parquet.py", "test_layout_one_folder_per_table_not_partitioned_scope_and_date_stored_in_the_files"),
    ("test_parquet.py", "test_merge_at_any_split_equals_loading_everything"),
    ("test_parquet.py", "test_merge_counts_for_an_export_missing_a_day_inside_its_span"),
    ("test_parquet.py", "test_merge_of_overlapping_exports_equals_loading_all_json_at_once_across_the_late_correction"),
    ("test_parquet.py", "test_merge_of_two_scopes_equals_loading_both_templates_at_once"),
    ("test_parquet.py", "test_merging_the_same_dataset_twice_changes_nothing"),
    ("test_partial_periods.py", "test_report_says_which_periods_are_partial"),
    ("test_pipeline.py", "test_batches_of_one_file_give_the_same_dataset"),
    ("test_pipeline.py", "test_each_distinct_version_of_a_day_is_flattened_once"),
    ("test_pipeline.py", "test_two_worker_processes_give_the_same_dataset"),
    ("test_pipeline.py", "test_write_json_output_loads_through_the_batched_path"),
    ("test_privacy_load.py", "test_a_base_of_the_same_key_merges"),
    ("test_privacy_load.py", "test_a_base_of_the_same_key_merges_as_one_load"),
    ("test_privacy_load.py", "test_a_base_without_user_rows_takes_a_key"),
    ("test_privacy_load.py", "test_no_secret_in_any_written_file"),
    ("test_privacy_load.py", "test_write_parquet_merge_refuses_another_key_or_identified"),
    ("test_public_api.py", "test_docstring_examples_run"),
    ("test_read_equivalence.py", "test_equal_one_file_per_batch"),
    ("test_read_equivalence.py", "test_every_table_and_side_table_equal_one_batch"),
    ("test_read_equivalence.py", "test_load_takes_the_new_path_and_gives_the_same"),
    ("test_read_equivalence.py", "test_raise_mode_raises_the_same"),
    ("test_reading.py", "test_appended_pretty_printed_responses_load_in_order"),
    ("test_reading.py", "test_arbitrary_bytes_raise_only_library_errors"),
    ("test_reading.py", "test_arbitrary_json_values_raise_only_library_errors"),
    ("test_reading.py", "test_every_layout_loads_and_validates"),
    ("test_report.py", "test_says_when_and_by_which_version_it_was_generated"),
    ("test_report.py", "test_seats_add_the_activation_rate"),
    ("test_report.py", "test_start_and_end_select_the_days_the_numbers_stand_on"),
    ("test_report.py", "test_written_where_asked_with_parents"),
    ("test_roundtrip.py", "test_generated_days_round_trip_through_explode_bytes"),
    ("test_roundtrip.py", "test_generated_days_round_trip_through_load"),
    ("test_roundtrip.py", "test_sample_round_trips_through_load_and_explode_bytes"),
    ("test_samples_load.py", "test_metrics_sample_loads_or_fails_actionably"),
    ("test_scan.py", "test_scan_gives_the_days_decode_gives"),
    ("test_scopes.py", "test_a_parquet_dataset_named_as_a_source_loads_as_read_parquet"),
    ("test_scopes.py", "test_a_write_json_folder_loads_with_every_label_exactly"),
    ("test_scopes.py", "test_the_example_folder_loads_as_the_org_and_its_team"),
    ("test_scopes.py", "test_the_shipped_org_exports_in_dated_folders_load_as_one_scope"),
    ("test_scopes.py", "test_two_orgs_unlabelled_folders_are_refused_when_merged_too"),
    ("test_successor_findings.py", "test_a_file_name_that_says_another_kind"),
    ("test_successor_findings.py", "test_dau_against_the_user_rows_of_the_same_scope_and_day"),
    ("test_successor_findings.py", "test_ide_plus_cli_is_the_top_level_and_a_changed_top_level_is_a_finding"),
    ("test_successor_findings.py", "test_viewer_pair_rows_exceed_dau_on_23_of_28_dates"),
    ("test_successor_load.py", "test_a_legacy_export_and_reports_load_in_one_call"),
    ("test_successor_load.py", "test_read_order_never_matters"),
    ("test_successor_load.py", "test_sample_all_four_files_in_one_load"),
    ("test_successor_load.py", "test_scope_level_sets_the_kind_and_the_report_id"),
    ("test_successor_load.py", "test_unknown_keys_survive_and_are_dated_in_schema_drift"),
    ("test_successor_persist.py", "test_a_report_file_read_again_replaces_its_base_copy"),
    ("test_successor_persist.py", "test_csv_writes_successor_tables_and_side_tables_lists_as_json_neutralised"),
    ("test_successor_persist.py", "test_reports_merge_incrementally_as_one_load"),
    ("test_usage2_continuity.py", "test_no_common_scope_and_level_mismatch_refused"),
    ("test_usage2_continuity.py", "test_series_read_from_user_rows_are_suppressed_below_min_users"),
    ("test_usage2_samples.py", "test_legacy_sample_and_viewer_org_do_not_overlap"),
    ("test_validation.py", "test_compiled_and_reporting_validators_agree"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all",
        action="store_true",
        default=False,
        help="run every test, the slow, Spark, browser and notebook ones included",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in HEAVY.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
        elif item.path.name.startswith("test_spark"):
            item.add_marker(pytest.mark.spark)
        function = getattr(item, "originalname", item.name)
        if item.path.name in SLOW_FILES or (item.path.name, function) in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
    if config.getoption("--all") or config.getoption("markexpr"):
        return
    kept, left = [], []
    for item in items:
        (left if any(item.get_closest_marker(name) for name in HEAVY) else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One Spark session on ``local[2]`` for every Spark test (a JVM takes seconds to start)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("copilot-metrics-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")  # results over 1 MiB are fetched from the address advertised
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def example_ds() -> cm.Dataset:
    """The shipped example archive, loaded once for the session (a Dataset is never changed)."""
    return cm.load(cm.examples.sources())
