"""The lake on an S3 API: a real SeaweedFS server started for this module; ingest → ETL (Spark
over s3a://) → `biolake sql` on an s3:// lake gives exactly what the same inputs give on a
file:// lake."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import pandas as pd
import pytest

from app.serving.query_service import QueryService
from biolake.delta_tables import list_tables, read_arrow
from biolake.lake import GOLD, OPS, SILVER, Lake, LakeConfig
from biolake.settings import BiolakeSettings
from ingest_workers.file_ingest import (
    ingest_apple_health,
    ingest_oura_saved_responses,
    ingest_peloton_csv,
)
from spark_jobs.etl import run_etl
from spark_jobs.session import use_s3_lake
from tests.support.lakes import make_lake
from tests.support.seaweedfs import SeaweedFS

pytestmark = [pytest.mark.spark, pytest.mark.s3]
BUCKET = "biolake"
# when the pipeline ran, not what it computed (the log's started_at is the ingest's start)
RUN_TIME_COLUMNS = {"_ingested_at", "quarantined_at", "processed_at"}
OPS_RUN_TIME_COLUMNS = {"started_at", "finished_at"}


def _ingest_everything(lake: Lake, real: Path) -> list:
    return (
        ingest_oura_saved_responses(lake, real / "oura_api_v2", "me")
        + ingest_peloton_csv(lake, real / "peloton" / "workouts_us_units.csv", "me")
        + ingest_apple_health(lake, real / "apple_health" / "export_v3_sample.xml", "me")
    )


def _tables(lake: Lake) -> dict[str, pd.DataFrame]:
    tables = {}
    for layer in (SILVER, GOLD, OPS):
        for name in list_tables(lake, layer):
            frame = read_arrow(lake, layer, name).to_pandas()
            run_time = RUN_TIME_COLUMNS | (OPS_RUN_TIME_COLUMNS if layer == OPS else set())
            frame = frame.drop(columns=[c for c in frame.columns if c in run_time])
            # the object keys are lake-relative, so they are equal on both lakes too
            tables[f"{layer}.{name}"] = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
    return tables


@pytest.fixture(scope="module")
def lakes(spark, real_fixtures: Path, tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("seaweedfs")
    server = SeaweedFS(workdir)
    server.start()
    try:
        boto3.client(
            "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key, region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        home = tmp_path_factory.mktemp("s3-home")
        s3_settings = BiolakeSettings(
            home=home, lake_uri=f"s3://{BUCKET}/lake", s3_endpoint=server.endpoint,
            s3_access_key=server.access_key, s3_secret_key=server.secret_key,
        )
        s3_lake = Lake(LakeConfig.from_settings(s3_settings))
        _, file_lake = make_lake(tmp_path_factory.mktemp("file-home"))

        outcomes = _ingest_everything(s3_lake, real_fixtures)
        _ingest_everything(file_lake, real_fixtures)
        use_s3_lake(spark, s3_lake.config)
        s3_report = run_etl(spark, s3_lake)
        run_etl(spark, file_lake)
        yield {
            "server": server, "s3_settings": s3_settings, "s3_lake": s3_lake,
            "file_lake": file_lake, "outcomes": outcomes, "s3_report": s3_report,
            "s3_tables": _tables(s3_lake), "file_tables": _tables(file_lake),
        }
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def test_raw_files_land_in_the_bucket_unchanged(lakes, real_fixtures: Path) -> None:
    assert all(o.status == "ingested" for o in lakes["outcomes"])
    s3 = boto3.client(
        "s3", endpoint_url=lakes["server"].endpoint, aws_access_key_id=lakes["server"].access_key,
        aws_secret_access_key=lakes["server"].secret_key, region_name="us-east-1",
    )
    csv = next(o for o in lakes["outcomes"] if o.source == "peloton_csv")
    body = s3.get_object(Bucket=BUCKET, Key=f"lake/{csv.object_key}")["Body"].read()
    assert body == (real_fixtures / "peloton" / "workouts_us_units.csv").read_bytes()


def test_every_table_equals_the_file_lake(lakes) -> None:
    s3_tables, file_tables = lakes["s3_tables"], lakes["file_tables"]
    assert set(s3_tables) == set(file_tables)
    assert lakes["s3_report"].objects_processed == len(lakes["outcomes"])
    for name, table in file_tables.items():
        pd.testing.assert_frame_equal(s3_tables[name], table, obj=name)
    assert len(s3_tables["gold.daily_readiness_performance"]) > 100


def test_sql_on_the_s3_lake_answers_like_the_file_lake(lakes, tmp_path) -> None:
    query = (
        "SELECT day, workout_count, total_output_kj FROM daily_readiness_performance "
        "WHERE workout_count > 0 ORDER BY day LIMIT 20"
    )
    s3_answer = QueryService(lakes["s3_settings"], lakes["s3_lake"], use_cache=False).query(query)
    file_settings = BiolakeSettings(home=tmp_path)
    file_answer = QueryService(file_settings, lakes["file_lake"], use_cache=False).query(query)
    assert s3_answer.rows == file_answer.rows
    assert len(s3_answer.rows) == 20


def test_trino_serves_the_views_from_the_s3_lake(lakes, tmp_path) -> None:
    """Trino's native S3 file system over the same bucket: views applied and answering like
    DuckDB on the file lake."""
    import os

    from app.serving.engines.trino_engine import TrinoEngine
    from app.serving.local_trino import TrinoServer
    from app.serving.trino_catalog import apply_to_trino

    cache = Path(os.environ.get("BIOLAKE_CACHE_DIR", Path.home() / ".cache" / "biolake"))
    server = TrinoServer(lakes["s3_lake"], cache, tmp_path / "trino")
    server.start()
    try:
        report = apply_to_trino(lakes["s3_lake"], server.url, "biolake_writer")
        assert "daily_readiness_performance" in report.registered
        query = "SELECT count(*) AS days, sum(workout_count) AS workouts FROM daily_readiness_performance"
        on_trino = TrinoEngine(server.url, "analyst").query(query)
        on_duckdb = QueryService(BiolakeSettings(home=tmp_path), lakes["file_lake"], use_cache=False).query(query)
        assert on_trino.rows == on_duckdb.rows
        assert on_trino.rows[0][0] > 100
    finally:
        server.stop()
