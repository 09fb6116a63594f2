"""`helm test`: every gold view answers through Trino as the read-only analyst, the analyst is
refused a write, and the dashboard's health endpoint answers.

Run it after the first ETL run (the views exist from then on). Arguments: the view names (the
chart lists the files of trino/views). Settings come from the BIOLAKE_* environment.
"""

from __future__ import annotations

import os
import sys
import urllib.request

import trino

from app.serving.engines.trino_engine import connect
from biolake.settings import BiolakeSettings


def main(views: list[str]) -> int:
    settings = BiolakeSettings()
    analyst = connect(settings.trino_url, settings.trino_user, settings.trino_catalog, "gold")
    failures: list[str] = []
    for view in views:
        cursor = analyst.cursor()
        try:
            # view names come from the chart's own file list, never from input
            cursor.execute(f'SELECT count(*) FROM {settings.trino_catalog}.gold."{view}"')
            print(f"ok    gold.{view}: {cursor.fetchall()[0][0]} rows (as {settings.trino_user})")
        except trino.exceptions.TrinoQueryError as exc:
            failures.append(f"gold.{view}: {exc.message}")
    cursor = analyst.cursor()
    try:
        cursor.execute(f"CREATE SCHEMA {settings.trino_catalog}.helm_test_must_be_refused")
        cursor.fetchall()
        failures.append(f"{settings.trino_user} was allowed to create a schema: rules.json is not applied")
    except trino.exceptions.TrinoQueryError as exc:
        print(f"ok    {settings.trino_user} refused a write ({exc.error_name})")
    health = os.environ.get("DASHBOARD_HEALTH_URL")
    if health:
        try:
            with urllib.request.urlopen(health, timeout=10) as response:
                print(f"ok    {health}: HTTP {response.status}")
        except OSError as exc:
            failures.append(f"{health}: {exc}")
    for failure in failures:
        print(f"FAIL  {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
