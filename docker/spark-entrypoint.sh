#!/usr/bin/env bash
# Entry point of the Spark image. `executor` is what Spark on Kubernetes runs in executor pods
# (the environment variables below are set by Spark's pod builder, as for Spark's own images);
# anything else runs as given, e.g. `biolake etl` in the ETL CronJob's driver pod.
set -euo pipefail

if [[ "${1:-}" != "executor" ]]; then
  exec "$@"
fi

# Spark passes the executor JVM options as SPARK_JAVA_OPT_0, SPARK_JAVA_OPT_1, ... in order
java_opts=()
for i in $(seq 0 200); do
  name="SPARK_JAVA_OPT_$i"
  [[ -n "${!name:-}" ]] || break
  java_opts+=("${!name}")
done

# SPARK_CLASSPATH is spark.executor.extraClassPath: the Delta Lake and S3 jars baked into the
# image (spark_jobs/session.py names them for a k8s:// master)
classpath="${SPARK_CONF_DIR:-$SPARK_HOME/conf}:${SPARK_CLASSPATH:-}:$SPARK_HOME/jars/*"

exec "$JAVA_HOME/bin/java" "${java_opts[@]}" \
  "-Xms$SPARK_EXECUTOR_MEMORY" "-Xmx$SPARK_EXECUTOR_MEMORY" \
  -cp "$classpath" \
  org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
  --driver-url "$SPARK_DRIVER_URL" \
  --executor-id "$SPARK_EXECUTOR_ID" \
  --cores "$SPARK_EXECUTOR_CORES" \
  --app-id "$SPARK_APPLICATION_ID" \
  --hostname "$SPARK_EXECUTOR_POD_IP" \
  --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
  --podName "$SPARK_EXECUTOR_POD_NAME"
