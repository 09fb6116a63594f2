"""Small lakes for tests: a fresh embedded lake, Delta tables read back with delta-rs
(independently of Spark), and synthetic gold daily rows in the served schema."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa


def make_lake(home: Path, person_id: str = "me"):
    """(settings, lake) for a fresh embedded lake under `home`."""
    from biolake.lake import Lake, LakeConfig
    from biolake.settings import BiolakeSettings

    settings = BiolakeSettings(home=home, person_id=person_id)
    return settings, Lake(LakeConfig.from_settings(settings))


def read_delta(lake, layer: str, table: str):
    """A Delta table as pandas, read with delta-rs (independently of Spark)."""
    from deltalake import DeltaTable

    return DeltaTable(lake.table_uri(layer, table)).to_pandas()


def snapshot(lake, run_time_columns: set[str]):
    """Every silver, gold and _ops table as pandas, without the columns that record when the
    pipeline ran, as sorted strings: two builds of the same input compare equal."""
    from biolake.delta_tables import list_tables
    from biolake.lake import GOLD, OPS, SILVER

    tables = {}
    for layer in (SILVER, GOLD, OPS):
        for name in list_tables(lake, layer):
            frame = read_delta(lake, layer, name)
            frame = frame.drop(columns=[c for c in frame.columns if c in run_time_columns])
            if not frame.empty:
                frame = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
            tables[f"{layer}.{name}"] = frame
    return tables


def ingestion_log_rows(lake) -> list[dict]:
    """The ingestion log of a local lake as plain dicts (None for nulls); [] before any ingest."""
    if not (lake.local_root() / "_ops" / "ingestion_log").exists():
        return []
    frame = read_delta(lake, "_ops", "ingestion_log")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


GOLD_SCHEMA = pa.schema([  # trino/views/daily_readiness_performance.sql, spark_jobs/gold/daily.py
    ("person_id", pa.string()), ("day", pa.date32()), ("readiness_score", pa.int32()),
    ("sleep_score", pa.int32()), ("activity_score", pa.int32()), ("hrv_balance", pa.int32()),
    ("hrv_avg", pa.float64()), ("resting_hr", pa.int32()),
    ("temperature_deviation_c", pa.float64()), ("total_sleep_hours", pa.float64()),
    ("steps", pa.int64()), ("active_calories", pa.int32()), ("workout_count", pa.int32()),
    ("workout_minutes", pa.float64()), ("total_output_kj", pa.float64()),
    ("avg_watts", pa.float64()), ("workout_calories", pa.float64()),
    ("max_avg_hr", pa.float64()), ("disciplines", pa.list_(pa.string())),
    ("had_workout", pa.bool_()), ("readiness_to_output_ratio", pa.float64()),
    ("combined_wellness_score", pa.float64()),
])


def gold_rows(person_id: str, days: list[date], seed: int) -> list[dict]:
    """Plausible gold daily rows: cycling on Mon/Wed/Fri, scores drawn from a seeded generator."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, day in enumerate(days):
        cycling = day.weekday() in (0, 2, 4)
        readiness, sleep = int(rng.integers(60, 90)), int(rng.integers(60, 90))
        output = float(rng.integers(150, 500)) if cycling else 0.0
        rows.append({
            "person_id": person_id, "day": day, "readiness_score": readiness,
            "sleep_score": sleep, "activity_score": 80, "hrv_balance": 70,
            "hrv_avg": float(rng.normal(45, 6)), "resting_hr": 52,
            "temperature_deviation_c": 0.1, "total_sleep_hours": 7.2, "steps": 9000 + i,
            "active_calories": 500, "workout_count": int(cycling),
            "workout_minutes": 30.0 if cycling else 0.0, "total_output_kj": output,
            "avg_watts": 180.0 if cycling else None,
            "workout_calories": 300.0 if cycling else None,
            "max_avg_hr": 150.0 if cycling else None,
            "disciplines": ["cycling"] if cycling else [], "had_workout": cycling,
            "readiness_to_output_ratio": output / readiness if output else None,
            "combined_wellness_score": 0.6 * readiness + 0.4 * sleep,
        })
    return rows
