"""Inputs and lakes for the many-writers tests: distinct Peloton CSVs cut from the real export,
and a SeaweedFS S3 lake as `biolake` environment variables."""

from __future__ import annotations

from pathlib import Path

from tests.support.seaweedfs import SeaweedFS


def distinct_peloton_csvs(real_csv: Path, folder: Path, count: int, rows_each: int = 8) -> list[Path]:
    """`count` small Peloton CSVs with the real header and disjoint slices of the real rows, so
    each has different bytes (a different bronze object)."""
    header, *rows = real_csv.read_text(encoding="utf-8").splitlines()
    assert len(rows) >= count * rows_each, "the real export has too few rows for that many files"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"workouts_{i:02d}.csv"
        path.write_text("\n".join([header, *rows[i * rows_each:(i + 1) * rows_each]]) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def seaweedfs_lake_env(server: SeaweedFS, bucket: str, prefix: str = "lake") -> dict[str, str]:
    """BIOLAKE_* variables that put the lake on the SeaweedFS server (the bucket must exist)."""
    return {
        "BIOLAKE_LAKE_URI": f"s3://{bucket}/{prefix}",
        "BIOLAKE_S3_ENDPOINT": server.endpoint,
        "BIOLAKE_S3_ACCESS_KEY": server.access_key,
        "BIOLAKE_S3_SECRET_KEY": server.secret_key,
    }


def create_bucket(server: SeaweedFS, bucket: str) -> None:
    import boto3

    boto3.client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key, region_name="us-east-1",
    ).create_bucket(Bucket=bucket)


HOLD_LEASE = """
import sys, time
from biolake.lake import Lake, LakeConfig
from biolake.lease import lake_lease
from biolake.settings import BiolakeSettings
lease = lake_lease(Lake(LakeConfig.from_settings(BiolakeSettings())), sys.argv[1], float(sys.argv[2]))
assert lease.try_acquire() is None, "the lease was not free"
print("held", flush=True)
time.sleep(600)
"""


def hold_lease_in_process(env: dict[str, str], name: str, ttl_s: float):
    """A Python process (BIOLAKE_* from `env`) that takes the lake's lease `name` and sleeps
    holding it; returned once it holds it, for the test to kill."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")} | env
    process = subprocess.Popen([sys.executable, "-c", HOLD_LEASE, name, str(ttl_s)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean)
    line = process.stdout.readline() if process.stdout else ""
    assert line.strip() == "held", (line, process.stderr.read() if process.stderr else "")
    return process
