"""Start the ETL right after an ingest that stored something new (in a Kubernetes cluster).

The ETL CronJob runs on its own schedule; an ingest worker that has just landed new objects
need not wait for it. Like `kubectl create job --from=cronjob/<etl>`, it creates a Job from the
CronJob's job template, owned by the CronJob (so the CronJob's history limits and garbage
collection apply) and annotated as a manual instantiation.

Two ingests finishing together must not run two ETLs at once (the CronJob's own
`concurrencyPolicy: Forbid` does not cover Jobs created this way): when a Job of that CronJob is
still active, no new one is created. Objects that an active run has not seen are built by the
next run, scheduled or triggered: the ETL is incremental over the ingestion log, so nothing is
lost, only later.

A trigger is never lost: the decision is "does the lake hold objects the ETL has not built?"
(`unprocessed_object_count`), not "did this run store something". So when creating the Job
fails after the ingest stored its objects (an API server restarting, say) and the Job is
retried, the retry finds nothing new to ingest but still starts the ETL. Transient API answers
(429, 5xx, a dropped connection) are retried a few times first; each attempt looks for an active
Job again, so a create whose answer was lost is not repeated.

Least privilege: the ingest ServiceAccount may `get` this one CronJob and `list`/`create` Jobs in
its namespace (charts/bio-lakehouse/templates/serviceaccounts.yaml), nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow.compute as pc

from biolake.errors import BiolakeError
from biolake.lake import Lake
from ingest_workers.ingestion_log import IngestionLog

MANUAL_ANNOTATION = "cronjob.kubernetes.io/instantiate"
REASON_ANNOTATION = "bio-lakehouse/started-by"
# generateName leaves room for the API server's five random characters in a 63-character name
NAME_PREFIX_MAX = 52
# API answers worth another try: rate limited, or the server (or a proxy) briefly unavailable
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4


class EtlTriggerError(BiolakeError):
    """The ETL Job could not be started (the message names the CronJob and the API's answer)."""


@dataclass(frozen=True)
class TriggerOutcome:
    job_name: str | None  # the Job created, or None
    running: str | None = None  # the active Job that made a new one unnecessary

    def describe(self) -> str:
        if self.job_name:
            return f"etl: started Job {self.job_name}"
        return f"etl: Job {self.running} is still running; the next ETL run builds the new objects"


class EtlTrigger(Protocol):
    def start_etl(self, reason: str) -> TriggerOutcome: ...


def ingested_object_count(lake: Lake) -> int:
    """Objects in the ingestion log with status `ingested` (the log is keyed by object, so the
    count grows only when an ingest stores something new)."""
    log = IngestionLog(lake).read_all()
    if log.num_rows == 0:
        return 0
    return pc.sum(pc.equal(log["status"], "ingested").cast("int64")).as_py() or 0


class KubernetesEtlTrigger:
    """Creates a Job from the ETL CronJob through the Kubernetes API (BatchV1Api injected)."""

    def __init__(self, batch_api: Any, namespace: str, cronjob_name: str, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._api = batch_api
        self.namespace = namespace
        self.cronjob_name = cronjob_name
        self._sleep = sleep

    def _where(self) -> str:
        return f"CronJob {self.namespace}/{self.cronjob_name}"

    def _active_job(self, cronjob_uid: str) -> str | None:
        jobs = self._api.list_namespaced_job(self.namespace)
        for job in jobs.items:
            owners = job.metadata.owner_references or []
            if any(o.uid == cronjob_uid for o in owners) and (job.status.active or 0) > 0:
                return job.metadata.name
        return None

    def start_etl(self, reason: str) -> TriggerOutcome:
        """Create the Job unless one is active; transient failures are retried (ATTEMPTS).

        Raises:
            EtlTriggerError: the API refused, or kept failing; the message names the CronJob.
        """
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as ConnectionFailure

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._start_once(reason)
            except ApiException as exc:
                if exc.status not in TRANSIENT_STATUSES or attempt == ATTEMPTS:
                    hint = " (the ingest ServiceAccount needs get on the CronJob, list/create on Jobs)" \
                        if exc.status == 403 else ""
                    tries = f" after {attempt} attempts" if attempt > 1 else ""
                    raise EtlTriggerError(
                        f"{self._where()}: HTTP {exc.status} {exc.reason}{hint}{tries}") from None
            except ConnectionFailure as exc:
                if attempt == ATTEMPTS:
                    raise EtlTriggerError(f"{self._where()}: the API server did not answer after "
                                          f"{attempt} attempts ({type(exc).__name__})") from None
            self._sleep(0.5 * 2 ** (attempt - 1))  # 0.5, 1, 2 s
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _start_once(self, reason: str) -> TriggerOutcome:
        from kubernetes import client

        cronjob = self._api.read_namespaced_cron_job(self.cronjob_name, self.namespace)
        running = self._active_job(cronjob.metadata.uid)
        if running:
            return TriggerOutcome(job_name=None, running=running)
        template = cronjob.spec.job_template
        job = client.V1Job(
            api_version="batch/v1",
            kind="Job",
            metadata=client.V1ObjectMeta(
                generate_name=f"{self.cronjob_name[:NAME_PREFIX_MAX]}-",
                namespace=self.namespace,
                labels=dict(template.metadata.labels or {}) if template.metadata else {},
                annotations={
                    **(dict(template.metadata.annotations or {}) if template.metadata else {}),
                    MANUAL_ANNOTATION: "manual",
                    REASON_ANNOTATION: reason[:250],
                },
                owner_references=[client.V1OwnerReference(
                    api_version="batch/v1", kind="CronJob", name=cronjob.metadata.name,
                    uid=cronjob.metadata.uid, controller=True, block_owner_deletion=True,
                )],
            ),
            spec=template.spec,
        )
        created = self._api.create_namespaced_job(self.namespace, job)
        return TriggerOutcome(job_name=created.metadata.name)


def etl_trigger_from_settings(settings: Any) -> EtlTrigger | None:
    """The trigger `settings.etl_trigger_cronjob` asks for (a BiolakeSettings), or None."""
    if not settings.etl_trigger_cronjob:
        return None
    from kubernetes import client

    from ingest_workers.common.token_store import load_kubernetes_config, pod_namespace

    load_kubernetes_config("ETL trigger")
    namespace = settings.etl_trigger_namespace or pod_namespace()
    return KubernetesEtlTrigger(client.BatchV1Api(), namespace, settings.etl_trigger_cronjob)
