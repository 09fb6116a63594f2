"""The chart's post-install/post-upgrade Job: wait for Trino, make sure the lake's bucket exists
on the bundled object store, then `biolake --engine trino views apply`.

A new release has an empty lake: `views apply` then registers nothing, says the views wait for
their tables and succeeds; the ETL CronJob applies the views after every run.
Settings come from the BIOLAKE_* environment like every biolake command (biolake/settings.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from urllib.parse import urlparse

from biolake.cli import main as biolake_main
from biolake.settings import BiolakeSettings


def wait_for_trino(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/info", timeout=5) as response:
                if not json.load(response).get("starting", True):
                    return
                last = "starting"
        except OSError as exc:
            last = str(exc)
        time.sleep(2)
    sys.exit(f"error: Trino at {url} not ready within {timeout_s:.0f}s ({last})")


def ensure_bucket(settings: BiolakeSettings) -> None:
    import boto3  # a dependency of the distribution

    bucket = urlparse(settings.effective_lake_uri).netloc
    access, secret = settings.require_s3_credentials()
    s3 = boto3.client(
        "s3", endpoint_url=settings.s3_endpoint, region_name=settings.s3_region,
        aws_access_key_id=access, aws_secret_access_key=secret,
    )
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
        print(f"created bucket {bucket}")


def main() -> None:
    settings = BiolakeSettings()
    wait_for_trino(settings.trino_url, float(os.environ.get("WAIT_FOR_TRINO_SECONDS", "600")))
    if os.environ.get("ENSURE_BUCKET") == "true":
        ensure_bucket(settings)
    sys.argv = ["biolake", "--engine", "trino", "views", "apply"]
    biolake_main()


if __name__ == "__main__":
    main()
