"""The real dashboard server (`make_server`) on a real lake, with one deliberately slow query:
the daily rows of the 365-day insights period take SLOW_S seconds longer, as on a slow engine.
For the browser test that one session's slow query does not hold up another session.

    python -m tests.support.slow_dashboard --home DIR --as-of 2025-03-31 --port PORT
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from app.dashboard.server import make_server
from app.dashboard.store import DashboardStore
from app.serving.engines.base import QueryResult
from app.serving.query_service import QueryService
from biolake.lake import Lake, LakeConfig
from biolake.settings import BiolakeSettings

SLOW_S = 10.0
SLOW_DAYS = 365


class SlowQueries(QueryService):
    """The real query path; a query that reads from `slow_from` on waits first."""

    def __init__(self, settings: BiolakeSettings, lake: Lake, slow_from: date) -> None:
        super().__init__(settings, lake)
        self.slow_from = slow_from.isoformat()

    def query(self, sql: str) -> QueryResult:
        if self.slow_from in sql:
            time.sleep(SLOW_S)  # releases the GIL, as an engine waiting on I/O does
        return super().query(sql)


def slow_store(settings: BiolakeSettings, lake: Lake) -> DashboardStore:
    store = DashboardStore(settings, lake)
    store.queries = SlowQueries(settings, lake, settings.today - timedelta(days=SLOW_DAYS - 1))
    return store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--as-of", required=True, type=date.fromisoformat)
    parser.add_argument("--port", required=True, type=int)
    args = parser.parse_args()
    settings = BiolakeSettings(home=args.home, as_of=args.as_of)
    lake = Lake(LakeConfig.from_settings(settings))
    server = make_server(settings, lake, "127.0.0.1", args.port, store_factory=slow_store)
    server.start()
    server.io_loop.start()


if __name__ == "__main__":
    main()
