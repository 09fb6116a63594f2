"""Writer coordination without processes: commit retries (biolake.delta_tables.retry_commit)."""

from __future__ import annotations

import os
import random
import signal

import pytest
from deltalake.exceptions import CommitFailedError

from biolake.delta_tables import BACKOFF_CAP_S, retry_commit
from biolake.errors import CommitConflictError


def test_a_conflict_is_retried_with_jittered_backoff_until_it_commits() -> None:
    calls, sleeps = [], []

    def merge() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise CommitFailedError("Commit failed: a concurrent transactions added new data.")
        return "done"

    assert retry_commit(merge, what="t", sleep=sleeps.append, rng=random.Random(1)) == "done"
    assert len(calls) == 4 and len(sleeps) == 3
    assert all(0 <= s <= 0.05 * 2**i for i, s in enumerate(sleeps))
    assert len(set(sleeps)) == 3  # jittered, not lock-step


def test_a_conflict_that_outlasts_the_retries_is_one_line_saying_what_to_do() -> None:
    sleeps: list[float] = []

    def merge() -> None:
        raise CommitFailedError("Failed to commit transaction: Commit failed: a concurrent "
                                "transactions added new data.\nHelp: rerun")

    with pytest.raises(CommitConflictError) as caught:
        retry_commit(merge, what="the ingestion log (file:///x)", attempts=5, sleep=sleeps.append)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("the ingestion log (file:///x): other writers committed first 5 times")
    assert "run the same command again" in message
    assert len(sleeps) == 4 and max(sleeps) <= BACKOFF_CAP_S


def test_other_errors_are_not_retried() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise OSError("disk full")

    with pytest.raises(OSError):
        retry_commit(broken, what="t", sleep=lambda s: None)
    assert len(calls) == 1


# -- the lease on a folder lake: an OS file lock -------------------------------------------------
def test_a_folder_lake_lease_has_one_holder_and_says_who(tmp_path) -> None:
    from biolake.errors import LakeBusyError
    from biolake.lease import FileLease, holding

    first, second = FileLease(tmp_path, "etl"), FileLease(tmp_path, "etl")
    with holding(first, activity="an ETL", wait_s=0):
        holder = second.try_acquire()
        assert holder is not None and holder.pid == os.getpid() and holder.since is not None
        with pytest.raises(LakeBusyError) as caught, holding(second, activity="an ETL", wait_s=0):
            pass
        assert str(caught.value).startswith("an ETL is already running on this lake since ")
        assert caught.value.exit_code == 75
    assert second.try_acquire() is None  # released at the end of the block
    second.release()


def test_a_folder_lake_lease_waits_for_its_holder_up_to_the_time_given(tmp_path) -> None:
    from biolake.errors import LakeBusyError
    from biolake.lease import FileLease, holding

    first = FileLease(tmp_path, "etl")
    assert first.try_acquire() is None
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the holder finishes during the second poll
        slept.append(seconds)
        if len(slept) == 2:
            first.release()

    with holding(FileLease(tmp_path, "etl"), activity="an ETL", wait_s=30, sleep=sleep):
        pass
    assert len(slept) == 2
    assert first.try_acquire() is None
    with pytest.raises(LakeBusyError, match=r"\(waited 0.2 s\)"):
        with holding(FileLease(tmp_path, "etl"), activity="an ETL", wait_s=0.2):
            pass
    first.release()


def test_a_folder_lake_lease_of_a_killed_holder_is_free_at_once(tmp_path) -> None:
    from biolake.lease import FileLease
    from tests.support.writers import hold_lease_in_process

    holder = hold_lease_in_process({"BIOLAKE_HOME": str(tmp_path)}, "etl", 60)
    lease = FileLease(tmp_path / "lake", "etl")
    try:
        busy = lease.try_acquire()
        assert busy is not None and busy.pid == holder.pid
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert lease.try_acquire() is None
    lease.release()


class _CrashAfter:
    """The lake's file system, dying (like a killed process) after `deletes` file deletions."""

    def __init__(self, fs, deletes: int) -> None:
        self._fs, self._left = fs, deletes

    def delete_file(self, path: str) -> None:
        if self._left == 0:
            raise KeyboardInterrupt("killed")
        self._left -= 1
        self._fs.delete_file(path)

    def __getattr__(self, name: str):
        return getattr(self._fs, name)


def test_a_crash_while_a_table_is_removed_leaves_an_earlier_version_or_no_table(tmp_path) -> None:
    """`etl --full` removes derived tables; killed at any file of that (here: after each possible
    number of deletions), the table left is readable and equals one of its own earlier versions,
    or there is no table at all. Twelve commits and a checkpoint at version 10, as Spark writes."""
    import shutil

    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake
    from deltalake.exceptions import TableNotFoundError

    from tests.support.lakes import make_lake

    _, original = make_lake(tmp_path / "original")
    uri = original.table_uri("silver", "t")
    for version in range(12):
        write_deltalake(uri, pa.table({"v": [version, version]}), mode="append")
        if version == 10:
            DeltaTable(uri).create_checkpoint()
    history = {len(DeltaTable(uri, version=v).to_pyarrow_table()): v for v in range(12)}
    files = len(original.list_keys("silver/t"))
    assert files > 25 and original.exists("silver/t/_delta_log/_last_checkpoint")

    outcomes = set()
    for deletes in range(files + 1):
        home = tmp_path / f"crash-{deletes}"
        shutil.copytree(tmp_path / "original", home)
        _, lake = make_lake(home)
        lake.fs = _CrashAfter(lake.fs, deletes)
        try:
            lake.delete_delta_table("silver/t")
        except KeyboardInterrupt:
            pass
        try:
            rows = DeltaTable(lake.table_uri("silver", "t")).to_pyarrow_table()
        except TableNotFoundError:
            outcomes.add("no table")
            continue
        # every version v holds the values 0..v twice: the rows left are exactly some version's
        assert len(rows) in history, (deletes, len(rows))
        version = history[len(rows)]
        assert sorted(rows["v"].to_pylist()) == sorted(list(range(version + 1)) * 2), deletes
        outcomes.add(version)
    assert outcomes == {*range(12), "no table"}  # every earlier version was passed through
