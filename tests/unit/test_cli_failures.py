"""biolake.cli.failures: one line for each kind of unexpected failure."""

from __future__ import annotations

from biolake.cli import cli
from biolake.cli.failures import command_name, describe


class Py4JJavaError(Exception):
    """Stands in for py4j's: the Java exception's message, then its stack."""

    def __init__(self) -> None:
        super().__init__("An error occurred while calling o123.execute.\n: java.io.IOException: "
                         "No space left on device\n\tat org.apache...")


def test_a_spark_failure_names_the_command_and_says_a_rerun_is_safe() -> None:
    line = describe(Py4JJavaError(), "biolake etl", "file:///lake")
    assert "\n" not in line
    assert line.startswith("biolake etl failed in Spark: An error occurred while calling o123")
    assert "running it again is safe" in line and line.endswith("--debug shows the traceback")


def test_a_file_error_names_the_file() -> None:
    line = describe(PermissionError(13, "Permission denied", "/data/export.zip"), "biolake ingest apple-health")
    assert "(/data/export.zip): Permission denied" in line


def test_anything_else_is_still_one_line() -> None:
    line = describe(ValueError("x\ny"), "biolake report")
    assert line == "biolake report failed unexpectedly: ValueError: x; --debug shows the traceback"


def test_the_command_is_named_from_the_arguments() -> None:
    assert command_name(["--home", "h", "--engine", "trino", "sql", "SELECT 1"], cli.commands) == "biolake sql"
    assert command_name(["ingest", "peloton", "--csv", "x.csv"], cli.commands) == "biolake ingest peloton"
    assert command_name(["--debug", "etl", "--full"], cli.commands) == "biolake etl"
