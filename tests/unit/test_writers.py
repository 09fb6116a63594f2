"""Writer coordination without processes: commit retries (biolake.delta_tables.retry_commit)."""

from __future__ import annotations

import random

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
