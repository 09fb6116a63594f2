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
    debug: bool = Field(default=False, description="Show tracebacks of unexpected failures")

    # S3 API (SeaweedFS, MinIO, AWS S3 ...); used when lake_uri starts with s3://
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None

    # Trino (cluster mode, or a local server): the analyst reads, the writer registers and
    # replaces views and is never used by anything user-facing
    query_timeout_s: float = Field(
        default=60, gt=0, le=3600,
        description="Statement timeout: a query still running after this long is stopped "
        "(DuckDB interrupted, Trino's query_max_execution_time)",
    )
    trino_url: str = "http://127.0.0.1:8080"
    trino_catalog: str = "lakehouse"
    trino_user: str = "analyst"
    trino_writer_user: str = "biolake_writer"
    views_dir: Path | None = Field(
        default=None,
        description="Gold view SQL files for `views apply`; default: those shipped in the package "
        "(the chart mounts its own copy, so the views follow the chart)",
    )

    # Spark
    spark_master: str = "local[*]"
    spark_driver_memory: str = "2g"
    spark_shuffle_partitions: int = 4
    spark_adaptive: bool = Field(
        default=False,
        description="Spark's adaptive query execution (a job per query stage: slower on small "
        "lakes, spark_jobs/session.py)",
    )
    spark_driver_host: str | None = Field(
        default=None,
        description="The address executors connect back to (client mode on Kubernetes: the "
        "driver pod's IP, which cluster DNS knows, unlike the pod's name Spark uses by default)",
    )
    cache_dir: Path = Field(default_factory=_default_cache, description="Downloads: jars, Trino")
    # One ETL per lake at a time (biolake/lease.py, docs/WRITERS.md)
    etl_wait_s: float = Field(
        default=0, ge=0,
        description="Seconds `biolake etl` waits for an ETL already running on the lake before "
        "exiting with code 75; 0: exit at once",
    )
    lease_ttl_s: float = Field(
        default=60, ge=5, le=3600,
        description="S3 lake: a lease not renewed for this long is free (its holder was killed); "
        "renewed every third of it",
    )
    jars_dir: Path | None = Field(default=None, description="default: <cache_dir>/jars")

    # Oura API v2 live client (OAuth2 authorization code; README "Connect your Oura account")
    oura_client_id: str | None = None
    oura_client_secret: SecretStr | None = None
    oura_api_base: str = "https://api.ouraring.com"  # data routes and /oauth/token
    oura_auth_base: str = "https://cloud.ouraring.com"  # /oauth/authorize (the consent page)
    oura_redirect_uri: str = Field(
        default="http://127.0.0.1:8765/callback",
        description="Must equal the redirect URI registered with the Oura app",
    )
    oura_scopes: str = "personal daily heartrate workout session spo2Daily stress heart_health"
    oura_token_store: Literal["file", "kubernetes"] = "file"
    oura_token_file: Path | None = Field(default=None, description="default: <home>/secrets/oura_tokens.json")
    oura_k8s_namespace: str | None = Field(default=None, description="default: the pod's namespace")
    oura_k8s_secret: str = "biolake-oura-tokens"
    oura_lookback_days: int = Field(default=7, ge=0, description="Re-read days Oura may rescore")
    oura_first_sync_days: int = Field(default=365, ge=1, description="History of a first sync")

    # Peloton's unofficial REST API (Auth0 refresh token; README "Connect your Peloton account").
    # The refresh token seeds the token store once; the rotated tokens live in the store after.
    peloton_refresh_token: SecretStr | None = None
    peloton_client_id: str = "WVoJxVDdPoFx4RNewvvg6ch2mZ7bwnsM"  # Peloton's web app (public)
    peloton_api_base: str = "https://api.onepeloton.com"
    peloton_auth_base: str = "https://auth.onepeloton.com"  # Auth0: POST /oauth/token
    peloton_token_store: Literal["file", "kubernetes"] = "file"
    peloton_token_file: Path | None = Field(
        default=None, description="default: <home>/secrets/peloton_tokens.json"
    )
    peloton_k8s_namespace: str | None = Field(default=None, description="default: the pod's")
    peloton_k8s_secret: str = "biolake-peloton-tokens"
    peloton_page_size: int = Field(default=50, ge=1, le=100, description="Workouts per page")
    peloton_graph_every_n: int = Field(
        default=60, ge=1, description="Seconds per performance_graph sample (not the averages)"
    )

    # Kubernetes: after an ingest that stored new objects, start a Job from this CronJob (the
    # ETL's), as `kubectl create job --from=cronjob/<name>` would (ingest_workers/etl_trigger.py)
    etl_trigger_cronjob: str | None = None
    etl_trigger_namespace: str | None = Field(default=None, description="default: the pod's")

    # NL-to-SQL (`biolake ask`): Claude when a key is set, the offline translator otherwise and
    # as Claude's fallback. The key is a secret: never printed or logged.
    anthropic_api_key: SecretStr | None = None
    anthropic_model: str = "claude-sonnet-4-6"
    anthropic_base_url: str | None = Field(default=None, description="default: the SDK's own")
    anthropic_timeout_s: float = Field(default=60.0, gt=0)
    anthropic_max_retries: int = Field(default=2, ge=0)
    nl2sql_share_data: Literal["none", "aggregates", "samples"] = Field(
        default="none", description="What of the data the model may see: nothing, or opt in"
    )
    nl2sql_max_rows: int = Field(default=1000, ge=1, le=100_000, description="Rows an answer returns")
    # The weekly report's narrative: Claude from the week's aggregates when a key is set (never
    # rows), or always the templates
    report_narrative: Literal["auto", "template"] = "auto"

    # The dashboard (`biolake serve`): loopback by default; authentication (basic or OAuth) is
    # required to bind anywhere else
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=5006, ge=0, le=65535)
    dashboard_auth: Literal["auto", "basic", "oauth", "none"] = Field(
        default="auto", description="auto: basic when a password is set, else none (loopback only)"
    )
    dashboard_user: str = "biolake"
    dashboard_password: SecretStr | None = Field(default=None, description="Basic auth password")
    dashboard_cookie_secret: SecretStr | None = Field(
        default=None, description="Signs the login cookies; default: random per start"
    )
    dashboard_threads: int = Field(
        default=4, ge=1, le=64, description="Worker threads: one session's slow query never holds up another's"
    )
    # OAuth through Panel's providers (github, google, azure, gitlab, okta, bitbucket, auth0 ...,
    # or generic: any OAuth 2 / OpenID server given by its three endpoints)
    dashboard_oauth_provider: str = "generic"
    dashboard_oauth_key: str | None = Field(default=None, description="The OAuth app's client id")
    dashboard_oauth_secret: SecretStr | None = Field(default=None, description="Its client secret")
    dashboard_oauth_redirect_uri: str | None = Field(
        default=None, description="e.g. https://host/login; default: derived from the request"
    )
    dashboard_oauth_authorize_url: str | None = Field(default=None, description="generic only")
    dashboard_oauth_token_url: str | None = Field(default=None, description="generic only")
    dashboard_oauth_user_url: str | None = Field(default=None, description="generic only (userinfo)")
    dashboard_oauth_scopes: str | None = Field(
        default=None, description="Space separated; default: Panel's (openid email profile ...)"
    )
    dashboard_oauth_allowed_users: str | None = Field(
        default=None, description="Comma separated user ids (e-mail by default) allowed in; default: anyone the provider signs in"
    )

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

    @field_validator("oura_api_base", "oura_auth_base", "peloton_api_base", "peloton_auth_base")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"must start with https:// or http://, got {value!r}")
        return value.rstrip("/")

    @field_validator("dashboard_oauth_authorize_url", "dashboard_oauth_token_url",
                     "dashboard_oauth_user_url", "dashboard_oauth_redirect_uri")
    @classmethod
    def _optional_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"must start with https:// or http://, got {value!r}")
        return value

    @property
    def dashboard_allowed_users(self) -> frozenset[str]:
        """BIOLAKE_DASHBOARD_OAUTH_ALLOWED_USERS as a set (empty: no restriction)."""
        raw = self.dashboard_oauth_allowed_users or ""
        return frozenset(u.strip() for u in raw.split(",") if u.strip())

    @property
    def effective_oura_token_file(self) -> Path:
        return (self.oura_token_file or self.home / "secrets" / "oura_tokens.json").expanduser()

    @property
    def effective_peloton_token_file(self) -> Path:
        default = self.home / "secrets" / "peloton_tokens.json"
        return (self.peloton_token_file or default).expanduser()

    def require_oura_client(self) -> tuple[str, str]:
        if not self.oura_client_id or self.oura_client_secret is None:
            raise ConfigError(
                "the Oura client is not configured: set BIOLAKE_OURA_CLIENT_ID and "
                "BIOLAKE_OURA_CLIENT_SECRET (from your app at https://cloud.ouraring.com/oauth/applications)"
            )
        return self.oura_client_id, self.oura_client_secret.get_secret_value()

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
