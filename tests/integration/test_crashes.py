"""Crashes at random moments (issue 14): `kill -9` of the ETL's whole process group (the
`biolake` process and its Spark JVM) and of ingests, the kill times drawn from a seed; after a
rerun the tables equal a clean build's (run-time columns aside), no object is skipped or stored
twice, and the lake's lease is free at once (docs/WRITERS.md section 3).

An ETL is killed at a point of its own progress, not of the clock: after one of the lines a
clean run printed (Spark started, objects found, each table built, gold, quarantine) and a
random fraction of the time the clean run took to the next line. Every kill then lands while
work is left, whatever the machine's load (clock moments drawn from a loaded clean run landed
after short runs had ended, leaving the later kills nothing to kill).

`make test` runs 3 ETL kills and 2 ingest kills; `make chaos` runs 10 and 5. The seed is random
unless BIOLAKE_CHAOS_SEED is set, and is in every failure message (and printed): rerun with it
to see the same kill times. BIOLAKE_CHAOS_ETL_KILLS and BIOLAKE_CHAOS_INGEST_KILLS set the
numbers."""

from __future__ import annotations

import itertools
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from biolake.lake import OPS
from tests.support.cli import _cli_command, run_cli
from tests.support.lakes import make_lake, read_delta, snapshot

pytestmark = pytest.mark.spark  # each `biolake etl` here starts a Spark of its own

ETL_KILLS = int(os.environ.get("BIOLAKE_CHAOS_ETL_KILLS", "3"))
INGEST_KILLS = int(os.environ.get("BIOLAKE_CHAOS_INGEST_KILLS", "2"))
SEED = int(os.environ.get("BIOLAKE_CHAOS_SEED") or random.SystemRandom().randrange(1 << 32))
# columns that record when the pipeline ran (here: the ingests of two lakes, minutes apart), not
# what it computed
RUN_TIME_COLUMNS = {
    "quarantined_at", "processed_at", "started_at", "finished_at", "ingested_at", "_ingested_at",
}


def _snapshot(lake) -> dict[str, pd.DataFrame]:
    return snapshot(lake, RUN_TIME_COLUMNS)


def _inputs(real_fixtures: Path) -> list[tuple[str, ...]]:
    """The real files, as `biolake ingest` arguments."""
    return [
        ("ingest", "oura", "--from-dir", str(real_fixtures / "oura_api_v2")),
        ("ingest", "peloton", "--csv", str(real_fixtures / "peloton" / "workouts_us_units.csv")),
        ("ingest", "apple-health", str(real_fixtures / "apple_health" / "export_v3_sample.xml")),
    ]


def _start_in_own_group(home: Path, *args: str) -> subprocess.Popen:
    command, env = _cli_command(home, args, None, "2025-03-31")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)


def _kill_group_after(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the process group `seconds` after the start; False if it had already ended."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        # nothing of the group may survive (the Spark JVM is a child of the biolake process)
        deadline = time.monotonic() + 10
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _group_alive(process.pid), f"seed {SEED}: the killed ETL left processes"
        return True


def _progress_lines(process: subprocess.Popen) -> queue.Queue:
    """The process's stdout lines as they come, each with its arrival time (None at the end)."""
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put((time.monotonic(), line.rstrip()))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _etl_progress(home: Path) -> list[tuple[float, str]]:
    """A clean ETL's progress lines with their seconds since the start (it must succeed)."""
    started = time.monotonic()
    process = _start_in_own_group(home, "etl")
    lines = _progress_lines(process)
    seen = []
    while (item := lines.get(timeout=900)) is not None:
        seen.append((item[0] - started, item[1]))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, f"seed {SEED}: etl: {err[-2000:]}"
    return [(t, line) for t, line in seen if line.startswith("etl: ")]


def _kill_etl_during(home: Path, after_line: int, fraction: float,
                     gaps: list[float]) -> tuple[bool, str]:
    """Start an ETL; SIGKILL its group `fraction` of the clean run's gap after its line number
    `after_line`. (landed, the last line it printed)."""
    process = _start_in_own_group(home, "etl")
    lines = _progress_lines(process)
    last, count = "", 0
    while count <= after_line:
        item = lines.get(timeout=900)
        if item is None:
            process.communicate(timeout=60)
            return False, last
        if item[1].startswith("etl: "):
            last, count = item[1], count + 1
    return _kill_group_after(process, fraction * gaps[after_line]), last


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _timed(home: Path, *args: str) -> float:
    started = time.monotonic()
    result = run_cli(home, *args)
    assert result.returncode == 0, f"seed {SEED}: {args}: {result.stderr[-2000:]}"
    return time.monotonic() - started


def test_kill_9_at_random_moments_then_a_rerun_equals_a_clean_build(
    real_fixtures: Path, tmp_path: Path
) -> None:
    print(f"chaos seed {SEED} ({ETL_KILLS} ETL kills, {INGEST_KILLS} ingest kills)", file=sys.stderr)
    rng = random.Random(SEED)
    inputs = _inputs(real_fixtures)

    # the clean build, timed: the same files ingested once, one ETL, nothing killed
    clean_home = tmp_path / "clean"
    ingest_seconds = [_timed(clean_home, *args) for args in inputs]
    progress = _etl_progress(clean_home)
    # the seconds from each line to the next; the work after the last step line (marking the
    # objects processed) is committed, so the last line to kill after is the one before it
    steps = [i for i, (_, line) in enumerate(progress) if re.search(r"\d\.\d s\b", line)]
    assert len(progress) >= 6 and steps, f"seed {SEED}: too few progress lines: {progress}"
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(progress)]
    last_step = steps[-1]
    _, clean = make_lake(clean_home)
    expected = _snapshot(clean)

    # ingests killed at random moments of their life (start-up, reading, copying, logging),
    # each then run again to the end, as a person or the CronJob's next run would
    home = tmp_path / "crashed"
    for _ in range(INGEST_KILLS):
        index = rng.randrange(len(inputs))
        moment = rng.uniform(0, ingest_seconds[index])
        _kill_group_after(_start_in_own_group(home, *inputs[index]), moment)
    for args in inputs:
        _timed(home, *args)
    _, lake = make_lake(home)
    assert not list((home / "lake").rglob("*.partial")), f"seed {SEED}: half a copy left"

    # ETLs killed part way through a random step: after line `after` of the clean run's progress
    # (0: "starting Spark") and a random part of the time to its next line
    kills = []
    for _ in range(ETL_KILLS):
        after = rng.randrange(last_step)
        fraction = rng.uniform(0.05, 0.8)
        landed, last = _kill_etl_during(home, after, fraction, gaps)
        kills.append((after, round(fraction, 2), landed, last.split("  ")[0]))
    assert all(landed for _, _, landed, _ in kills), f"seed {SEED}: an ETL ended first: {kills}"

    started = time.monotonic()
    rerun = run_cli(home, "etl", "--quiet")  # no --wait: a lease left held would exit 75
    assert rerun.returncode == 0, f"seed {SEED}, kills {kills}: {rerun.stderr[-2000:]}"
    assert "already running" not in rerun.stderr
    assert "Traceback" not in rerun.stdout + rerun.stderr
    got = _snapshot(lake)
    assert got.keys() == expected.keys(), f"seed {SEED}, kills {kills}"
    for name, table in expected.items():
        pd.testing.assert_frame_equal(got[name], table, obj=f"{name} (seed {SEED}, kills {kills})")
    log = read_delta(lake, OPS, "ingestion_log")
    assert log["object_key"].is_unique and len(log) == len(lake.list_keys("bronze"))
    print(f"chaos seed {SEED}: ETL kills (after line, part of the gap, landed, line) {kills}; rerun "
          f"{time.monotonic() - started:.0f} s", file=sys.stderr)
