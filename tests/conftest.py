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
    "test_cli.py", "test_parallel.py", "test_hostile_writers.py", "test_atomic_writers.py", "test_main.py",
    "test_split_order.py", "test_cli_terminal.py",
}
#: Tests elsewhere that take a second or more on their own: (file, test function).
SLOW_TESTS = {
    ("test_archive.py", "test_loading_the_files_in_any_order_gives_the_same_dataset"),
    ("test_examples.py", "test_shipped_archive_parses_and_validates"),
    ("test_hostile_inputs.py", "test_a_100_mib_date_is_a_day_error_with_short_messages"),
    ("test_hostile_inputs.py", "test_a_100_mib_string_as_the_file_is_not_a_list"),
    ("test_hostile_inputs.py", "test_a_damaged_export_raises_only_library_errors"),
    ("test_hostile_inputs.py", "test_arbitrary_bytes_raise_only_library_errors"),
    ("test_hostile_inputs.py", "test_arbitrary_json_in_day_fields_raises_only_library_errors"),
    ("test_inputs_robust.py", "test_a_file_deleted_or_replaced_after_listing_is_reported"),
    ("test_inputs_robust.py", "test_the_command_line_reads_names_that_are_not_utf8"),
    ("test_integrity.py", "test_a_dataset_that_disagrees_with_its_manifest_raises_naming_the_table_and_the_file"),
    ("test_lost_numbers.py", "test_every_cut_of_the_line_being_appended_keeps_the_complete_lines"),
    ("test_metrics.py", "test_slices_and_periods_add_up_to_the_total_for_event_counts"),
    ("test_parquet.py", "test_datasets_of_the_0_1_0_layouts_read_back_exactly_and_a_write_rewrites_them"),
    ("test_parquet.py", "test_merge_at_any_split_equals_loading_everything"),
    ("test_parquet.py", "test_merge_of_two_scopes_equals_loading_both_templates_at_once"),
    ("test_partial_periods.py", "test_report_says_which_periods_are_partial"),
    ("test_pipeline.py", "test_two_worker_processes_give_the_same_dataset"),
    ("test_reading.py", "test_appended_pretty_printed_responses_load_in_order"),
    ("test_reading.py", "test_arbitrary_bytes_raise_only_library_errors"),
    ("test_reading.py", "test_arbitrary_json_values_raise_only_library_errors"),
    ("test_reading.py", "test_every_layout_loads_and_validates"),
    ("test_report.py", "test_says_when_and_by_which_version_it_was_generated"),
    ("test_report.py", "test_seats_add_the_activation_rate"),
    ("test_report.py", "test_start_and_end_select_the_days_the_numbers_stand_on"),
    ("test_roundtrip.py", "test_generated_days_round_trip_through_explode_bytes"),
    ("test_roundtrip.py", "test_generated_days_round_trip_through_load"),
    ("test_roundtrip.py", "test_sample_round_trips_through_load_and_explode_bytes"),
    ("test_samples_load.py", "test_metrics_sample_loads_or_fails_actionably"),
    ("test_scopes.py", "test_the_example_folder_loads_as_the_org_and_its_team"),
    ("test_validation.py", "test_compiled_and_reporting_validators_agree"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--all", action="store_true", default=False,
                     help="run every test, the slow, Spark, browser and notebook ones included")


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
        SparkSession.builder.master("local[2]").appName("copilot-metrics-tests")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC").config("spark.driver.bindAddress", "127.0.0.1")
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
