"""The one typed settings object of Bio-Lakehouse (environment prefix `BIOLAKE_`).

Built once in `main()` (the CLI) and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from biolake.errors import ConfigError


def _default_home() -> Path:
    return Path.home() / ".biolake"


def _default_cache() -> Path:
    return Path.home() / ".cache" / "biolake"


class BiolakeSettings(BaseSettings):
    """Everything a deployable needs to know, from flags and `BIOLAKE_*` variables."""

    model_config = SettingsConfigDict(env_prefix="BIOLAKE_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="State folder (lake, tokens, reports)")
    lake_uri: str | None = Field(
        default=None,
        description="file:///path or s3://bucket/prefix; default: file://<home>/lake",
    )
    person_id: str = Field(default="me", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    as_of: date | None = Field(default=None, description="The 'today' for relative dates")
    engine: Literal["duckdb", "trino"] = "duckdb"

    # S3 API (SeaweedFS, MinIO, AWS S3 ...); used when lake_uri starts with s3://
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None

    # Spark
    spark_master: str = "local[*]"
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: int = 4
    cache_dir: Path = Field(default_factory=_default_cache, description="Downloads: jars, Trino")
    jars_dir: Path | None = Field(default=None, description="default: <cache_dir>/jars")

    @field_validator("lake_uri")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("file://", "s3://")):
            raise ValueError(f"lake_uri must start with file:// or s3://, got {value!r}")
        return value.rstrip("/") if value else value

    @property
    def effective_lake_uri(self) -> str:
        if self.lake_uri:
            return self.lake_uri
        return (self.home.expanduser().resolve() / "lake").as_uri()

    @property
    def effective_jars_dir(self) -> Path:
        return (self.jars_dir or self.cache_dir / "jars").expanduser()

    @property
    def today(self) -> date:
        return self.as_of or date.today()

    def require_s3_credentials(self) -> tuple[str, str]:
        if self.s3_access_key is None or self.s3_secret_key is None:
            raise ConfigError(
                "the lake is on S3 but BIOLAKE_S3_ACCESS_KEY / BIOLAKE_S3_SECRET_KEY are not set"
            )
        return self.s3_access_key.get_secret_value(), self.s3_secret_key.get_secret_value()
