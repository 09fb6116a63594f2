"""No traceback reaches a user (issue 14): an unexpected failure of the real `biolake` command is
one line naming what failed and the next step; `--debug` or BIOLAKE_DEBUG shows the traceback;
known errors keep their own messages."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import REAL_FIXTURES

CSV = REAL_FIXTURES / "peloton" / "workouts_us_units.csv"


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    run = run_cli(tmp_path / "home", "sql", "SELECT 1", env={"BIOLAKE_ENGINE": "oracle"})
    assert run.returncode == 1
    line = _one_error_line(run.stderr)
    assert "invalid settings: engine (BIOLAKE_ENGINE)" in line and "biolake sql" in line


def test_a_broken_delta_table_is_one_line_naming_the_lake_and_debug_shows_the_traceback(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    assert run_cli(home, "ingest", "peloton", "--csv", str(CSV)).returncode == 0
    (home / "lake" / "_ops" / "ingestion_log" / "_delta_log" / "00000000000000000000.json").write_text("{oops")
    other = tmp_path / "other.csv"
    other.write_text("\n".join(CSV.read_text().splitlines()[:5]) + "\n")

    run = run_cli(home, "ingest", "peloton", "--csv", str(other))
    assert run.returncode == 1
    line = _one_error_line(run.stderr)
    assert line.startswith("error: biolake ingest peloton could not read or write a Delta table "
                           f"of the lake {(home / 'lake').resolve().as_uri()}: ")
    assert line.endswith("--debug shows the traceback")

    for debug in ({"args": ("--debug",)}, {"env": {"BIOLAKE_DEBUG": "1"}}):
        shown = run_cli(home, *debug.get("args", ()), "ingest", "peloton", "--csv", str(other),
                        env=debug.get("env"))
        assert shown.returncode == 1 and "Traceback (most recent call last)" in shown.stderr


def test_an_unreachable_s3_store_is_one_line_naming_the_lake(tmp_path: Path) -> None:
    env = {"BIOLAKE_LAKE_URI": "s3://nowhere/lake", "BIOLAKE_S3_ENDPOINT": "http://127.0.0.1:9",
           "BIOLAKE_S3_ACCESS_KEY": "k", "BIOLAKE_S3_SECRET_KEY": "s"}
    run = run_cli(tmp_path / "home", "ingest", "peloton", "--csv", str(CSV), env=env, timeout=180)
    assert run.returncode == 1
    assert "the storage of the lake s3://nowhere/lake failed" in _one_error_line(run.stderr)


def test_known_errors_keep_their_message(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "unknown_endpoint.json").write_text('{"data": [], "next_token": null}')
    run = run_cli(tmp_path / "home", "ingest", "oura", "--from-dir", str(folder))
    assert run.returncode == 1
    line = _one_error_line(run.stderr)
    assert "unknown_endpoint.json" in line and "--debug" not in line
