"""Where things live in the lake, and the byte-level access to it (local folder or any S3 API).

Layout (ARCHITECTURE.md):
    bronze/<source>/<dataset>/<person_id>/<sha256>.<ext>   raw files exactly as received
    silver/<table>, gold/<table>                           Delta tables (written by spark_jobs)
    _ops/ingestion_log, _ops/quarantine, _ops/etl_objects  Delta tables (operations)

Bronze keys are content addressed, so the same bytes arrive once; the pipeline never rewrites or
deletes bronze, which is the replay source for `biolake etl --full`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

import pyarrow.fs as pafs

from biolake.errors import ConfigError
from biolake.settings import BiolakeSettings

SILVER = "silver"
GOLD = "gold"
OPS = "_ops"


@dataclass(frozen=True)
class LakeConfig:
    """The serialisable part of the settings that lake access needs (shipped to Spark tasks)."""

    uri: str
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None

    @classmethod
    def from_settings(cls, settings: BiolakeSettings) -> LakeConfig:
        uri = settings.effective_lake_uri
        if uri.startswith("s3://"):
            access, secret = settings.require_s3_credentials()
            return cls(uri, settings.s3_endpoint, settings.s3_region, access, secret)
        return cls(uri)

    def __repr__(self) -> str:  # never print the keys
        return f"LakeConfig(uri={self.uri!r}, s3_endpoint={self.s3_endpoint!r})"


class Lake:
    """Paths and byte access for one lake. Keys are '/'-separated and relative to the lake root."""

    def __init__(self, config: LakeConfig) -> None:
        self.config = config
        parsed = urlparse(config.uri)
        self.is_s3 = parsed.scheme == "s3"
        if self.is_s3:
            if not parsed.netloc:
                raise ConfigError(f"lake URI {config.uri!r} has no bucket")
            self.fs: pafs.FileSystem = pafs.S3FileSystem(
                access_key=config.s3_access_key,
                secret_key=config.s3_secret_key,
                region=config.s3_region,
                endpoint_override=config.s3_endpoint,
                scheme="http" if (config.s3_endpoint or "").startswith("http://") else "https",
                allow_bucket_creation=False,
            )
            self._root = f"{parsed.netloc}{parsed.path}".rstrip("/")
        else:
            self.fs = pafs.LocalFileSystem()
            self._root = str(Path(unquote(parsed.path)))  # file URIs escape spaces

    # -- naming --------------------------------------------------------------------------------
    @staticmethod
    def bronze_key(source: str, dataset: str, person_id: str, sha256: str, ext: str) -> str:
        return f"bronze/{source}/{dataset}/{person_id}/{sha256}.{ext.lstrip('.')}"

    def uri_of(self, key: str) -> str:
        """URI for delta-rs, DuckDB and people (s3://... or file://...)."""
        return f"{self.config.uri}/{key}"

    def table_uri(self, layer: str, table: str) -> str:
        return self.uri_of(f"{layer}/{table}")

    def spark_uri_of(self, key: str) -> str:
        """Spark's Hadoop file systems call S3 's3a'."""
        uri = self.uri_of(key)
        return "s3a://" + uri[len("s3://"):] if self.is_s3 else uri

    def spark_table_uri(self, layer: str, table: str) -> str:
        return self.spark_uri_of(f"{layer}/{table}")

    def delta_storage_options(self) -> dict[str, str]:
        """Options for `deltalake` (delta-rs) to reach this lake.

        On S3, delta-rs (1.x) writes each commit file with a conditional PUT (`If-None-Match:
        *`), so two writers can never both create version N: the loser sees the commit and
        retries or fails. That is safe wherever the store honours the header (AWS S3 since
        2024, SeaweedFS 4.x, MinIO, R2: docs/WRITERS.md); `conditional_put` is set explicitly
        so a change of library default cannot undo it. `AWS_S3_ALLOW_UNSAFE_RENAME` is not
        set: it only ever allowed an overwriting rename, which is never safe with two writers.
        """
        if not self.is_s3:
            return {}
        c = self.config
        options = {
            "AWS_ACCESS_KEY_ID": c.s3_access_key or "",
            "AWS_SECRET_ACCESS_KEY": c.s3_secret_key or "",
            "AWS_REGION": c.s3_region,
            "conditional_put": "etag",
            "AWS_ALLOW_HTTP": "true",
        }
        if c.s3_endpoint:
            options["AWS_ENDPOINT_URL"] = c.s3_endpoint
        return options

    # -- bytes ---------------------------------------------------------------------------------
    def _path(self, key: str) -> str:
        return f"{self._root}/{key}"

    def exists(self, key: str) -> bool:
        return self.fs.get_file_info(self._path(key)).type != pafs.FileType.NotFound

    def put_file(self, local_path: Path, key: str) -> None:
        """Copy a local file to `key`, atomically: readers never see half an object."""
        target = self._path(key)
        if self.is_s3:
            with local_path.open("rb") as src, self.fs.open_output_stream(target) as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
            return
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        partial = Path(f"{target}.partial")
        shutil.copyfile(local_path, partial)
        partial.replace(target)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        with self.fs.open_input_stream(self._path(key)) as stream:
            yield stream  # type: ignore[misc]

    def list_keys(self, prefix: str) -> list[str]:
        selector = pafs.FileSelector(self._path(prefix), recursive=True, allow_not_found=True)
        root_len = len(self._root) + 1
        return sorted(
            info.path[root_len:]
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File and not info.path.endswith(".partial")
        )

    def list_dirs(self, prefix: str) -> list[str]:
        """Names of the folders directly under `prefix` (not recursive)."""
        selector = pafs.FileSelector(self._path(prefix), recursive=False, allow_not_found=True)
        return sorted(
            info.base_name
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.Directory
        )

    def move(self, key: str, new_key: str) -> None:
        """Rename one object (a rename on a folder lake, copy + delete on S3), replacing
        `new_key`. For drop folders like `inbox/`; bronze is never moved."""
        if "bronze" in (key.split("/", 1)[0], new_key.split("/", 1)[0]):
            raise ConfigError("bronze is the replay source and is never moved by the pipeline")
        if not self.is_s3:
            Path(self._path(new_key)).parent.mkdir(parents=True, exist_ok=True)
        self.fs.move(self._path(key), self._path(new_key))

    def delete_prefix(self, prefix: str) -> None:
        """Remove everything under `prefix` (used only by `etl --full` on derived layers)."""
        if prefix.split("/", 1)[0] == "bronze":
            raise ConfigError("bronze is the replay source and is never deleted by the pipeline")
        self.fs.delete_dir_contents(self._path(prefix), missing_dir_ok=True)

    def delete_delta_table(self, prefix: str) -> None:
        """Remove the Delta table at `prefix` so that a crash at any moment leaves an earlier
        version of it or no table, never a log with a hole: `_last_checkpoint` first (a reader
        then lists the log), the log's files newest version first (what is left is the log of
        an earlier version, which was readable before), then the data files nothing refers to
        any more. Removing the whole folder at once, in whatever order the store lists it,
        could leave commits 1..n without commit 0: a table nothing can read."""
        if prefix.split("/", 1)[0] == "bronze":
            raise ConfigError("bronze is the replay source and is never deleted by the pipeline")
        log = self.list_keys(f"{prefix}/_delta_log")
        unversioned = [key for key in log if _log_version(key) is None]
        versioned = sorted((key for key in log if _log_version(key) is not None),
                           key=lambda key: _log_version(key) or 0, reverse=True)
        for key in unversioned + versioned:
            self.fs.delete_file(self._path(key))
        self.delete_prefix(prefix)

    def local_root(self) -> Path | None:
        return None if self.is_s3 else Path(self._root)


def _log_version(key: str) -> int | None:
    """The table version a Delta log file belongs to ("00000000000000000010.json",
    "...10.checkpoint.parquet", "...10.crc"); None for `_last_checkpoint` and the like."""
    digits = key.rsplit("/", 1)[-1].split(".", 1)[0]
    return int(digits) if digits.isdigit() else None
