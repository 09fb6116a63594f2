"""The SparkSession factory: Delta enabled, jars from the local cache, S3A when the lake is on S3.

Only `main()` functions and the test fixture call this; job functions receive the session.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pyspark.sql import SparkSession

from biolake.errors import ConfigError
from biolake.lake import LakeConfig
from biolake.settings import BiolakeSettings


def _jars(folder: Path) -> list[str]:
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    if not jars:
        raise ConfigError(
            f"no jars in {folder}: run `make jars` (or spark_jobs/jars/fetch.sh) once to fetch "
            "the Delta Lake and S3 jars into the cache"
        )
    return jars


def spark_conf(
    settings: BiolakeSettings, lake: LakeConfig, *, with_s3_jars: bool = False
) -> dict[str, str]:
    """Every Spark setting this project uses, as plain strings (also used for spark-submit)."""
    jars = _jars(settings.effective_jars_dir / "delta")
    is_s3 = lake.uri.startswith("s3://")
    if is_s3 or with_s3_jars:
        jars += _jars(settings.effective_jars_dir / "s3")
    local = settings.spark_master.startswith("local")
    if local:
        # in local mode the driver runs the tasks: put the jars on its class path directly
        # rather than shipping copies (the AWS SDK bundle alone is half a gigabyte)
        jar_conf = {"spark.driver.extraClassPath": ":".join(jars)}
    elif settings.spark_master.startswith("k8s://"):
        # on Kubernetes the executors run the driver's image (docker/spark.Dockerfile), which
        # has the jars at the same paths: no copies shipped to every executor either
        jar_conf = {"spark.driver.extraClassPath": ":".join(jars),
                    "spark.executor.extraClassPath": ":".join(jars)}
    else:
        jar_conf = {"spark.jars": ",".join(jars)}
    conf = {
        "spark.master": settings.spark_master,
        **jar_conf,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        # adaptive execution runs every query stage as a Spark job of its own: for a personal
        # lake's few thousand rows that is most of the cost (the demo's first ETL: gold 40 jobs
        # with it, 15 without; extract 7 and 2), and with a handful of shuffle partitions it has
        # nothing to coalesce. BIOLAKE_SPARK_ADAPTIVE=true turns it back on for big lakes.
        "spark.sql.adaptive.enabled": str(settings.spark_adaptive).lower(),
        # Delta rebuilds each table's snapshot (its file list) with 50 partitions by default:
        # 50 tasks per table per read for a personal lake of a few files per table
        "spark.databricks.delta.snapshotPartitions": str(settings.spark_shuffle_partitions),
        "spark.default.parallelism": str(settings.spark_shuffle_partitions),
        "spark.driver.memory": settings.spark_driver_memory,
        # a local session only talks to itself; on a cluster the executors must reach the
        # driver (below)
        **({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"} if local else {}),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # pandas 3: without Arrow a missing string becomes the text 'nan'
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # tables must stay readable by Trino and delta-rs: no deletion vectors or other
        # writer features they may not support
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
        "spark.databricks.delta.retentionDurationCheck.enabled": "true",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # S3 has no atomic rename, and delta-spark has no conditional-put log store: the
        # single-driver log store is safe because one ETL at a time writes a lake (the lake's
        # ETL lease, biolake/lease.py) and nothing else writes the tables Spark writes
        "spark.delta.logStore.s3a.impl": "io.delta.storage.S3SingleDriverLogStore",
        # a value that does not parse becomes NULL (and is then quarantined with a reason)
        # instead of failing the whole job
        "spark.sql.ansi.enabled": "false",
        # the JSON rewrite turns each `p.field` into its own from_json call, multiplying the
        # parsing and producing generated code too large to compile
        "spark.sql.optimizer.enableJsonExpressionOptimization": "false",
    }
    if not local and settings.spark_driver_host:
        # SPARK_LOCAL_IP only sets the address the driver binds; the address it advertises
        # defaults to the pod's host name, which cluster DNS does not resolve, and every
        # executor then dies with UnknownHostException. The pod's IP is reachable from pods.
        conf["spark.driver.host"] = settings.spark_driver_host
    if is_s3:
        conf.update({f"spark.hadoop.{k}": v for k, v in s3a_settings(lake).items()})
    return conf


def s3a_settings(lake: LakeConfig) -> dict[str, str]:
    """Hadoop S3A settings for an S3 lake (path-style, so any S3 API works)."""
    settings = {
        "fs.s3a.access.key": lake.s3_access_key or "",
        "fs.s3a.secret.key": lake.s3_secret_key or "",
        "fs.s3a.endpoint.region": lake.s3_region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
    }
    if lake.s3_endpoint:
        settings["fs.s3a.endpoint"] = lake.s3_endpoint
        settings["fs.s3a.connection.ssl.enabled"] = str(lake.s3_endpoint.startswith("https://")).lower()
    return settings


def use_s3_lake(spark: SparkSession, lake: LakeConfig) -> None:
    """Point a running session (started with the S3 jars) at an S3 lake."""
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    for key, value in s3a_settings(lake).items():
        hadoop.set(key, value)


JVM_LOG_ROTATE_BYTES = 10 * 1024 * 1024


def _launch_jvm_logging_to(path: Path, conf: dict[str, str], app_name: str) -> None:
    """Start Spark's JVM with its stdout and stderr appended to `path` (log4j's start-up
    lines, NativeCodeLoader and incubator-module warnings, plan-truncation warnings): the
    terminal and a CronJob's log keep the command's own lines. The builder then finds the
    gateway running and uses it, with the same settings passed to spark-submit here."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # a session in this process already started it
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > JVM_LOG_ROTATE_BYTES:
        path.replace(path.with_name(path.name + ".1"))
    log = path.open("ab")
    log.write(f"=== {app_name}, pid {os.getpid()}, {time.strftime('%Y-%m-%d %H:%M:%S')} ===\n"
              .encode())
    log.flush()
    submit_conf = SparkConf(loadDefaults=False).setAll([*conf.items(), ("spark.app.name", app_name)])
    gateway = launch_gateway(submit_conf, popen_kwargs={"stdout": log, "stderr": log})
    SparkContext._gateway = gateway
    SparkContext._jvm = gateway.jvm
    log.close()  # the JVM holds its own descriptor


def build_spark_session(
    settings: BiolakeSettings, app_name: str = "biolake", *, with_s3_jars: bool = False,
    jvm_log: Path | None = None,
) -> SparkSession:
    """`with_s3_jars` puts the S3A jars on the class path even for a folder lake, so one
    session can later serve an S3 lake too (`use_s3_lake`). `jvm_log`: a file for the JVM's
    own output (appended, rotated past 10 MB) instead of this process's stderr."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # executors must run the same interpreter (and so the same packages) as the driver
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    conf = spark_conf(settings, LakeConfig.from_settings(settings), with_s3_jars=with_s3_jars)
    if jvm_log is not None:
        _launch_jvm_logging_to(jvm_log, conf, app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
