"""One writer at a time: a lease per lake and activity (e.g. the ETL), held while it runs.

Spark's Delta writer has no safe multi-writer log store on S3 (delta-io/delta #3596, #4813), so
two ETLs must never write the same lake at once; docs/WRITERS.md has the design and the
measurements. Two kinds, chosen by the lake:

- **folder lake**: an OS file lock (`flock`) on `<lake>/_ops/_locks/<name>.lock`. The kernel
  drops it when the holder exits in any way (`kill -9` included), so it never outlives its
  holder; the file also says who holds it and since when.
- **S3 lake**: an object `<lake>/_ops/_locks/<name>.json` created with a conditional PUT
  (`If-None-Match: *`: of two creators exactly one wins) and renewed every `ttl/3` with
  `If-Match: <its ETag>`. A lease not renewed for `ttl` seconds (a holder killed with -9, a
  deleted pod) is free: a waiter takes it over with `If-Match` on the stale ETag, so of two
  takers again exactly one wins. Expiry is judged on the store's clock (the object's
  Last-Modified against the response's Date), never on two machines' clocks.

A store that ignores `If-None-Match` would let two holders in; the first S3 lease of a process
checks the store refuses an overwrite and raises `ConfigError` if it does not.
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

from biolake.errors import ConfigError, LakeBusyError
from biolake.lake import OPS, Lake

LOCKS = f"{OPS}/_locks"
POLL_S = 1.0


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: process, host and the UTC time it was taken."""

    pid: int | None
    host: str | None
    since: datetime | None

    def describe(self) -> str:
        when = f"since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else "since an unknown time"
        who = f" (pid {self.pid} on {self.host})" if self.pid else ""
        return when + who

    @classmethod
    def me(cls) -> Holder:
        return cls(os.getpid(), socket.gethostname(), datetime.now(UTC).replace(microsecond=0))

    def to_json(self, **extra: Any) -> bytes:
        body = {"pid": self.pid, "host": self.host,
                "since": self.since.isoformat() if self.since else None, **extra}
        return json.dumps(body).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Holder:
        try:
            data = json.loads(raw or b"{}")
            since = datetime.fromisoformat(data["since"]) if data.get("since") else None
            return cls(data.get("pid"), data.get("host"), since)
        except (ValueError, TypeError, KeyError):  # half written: still held, by someone
            return cls(None, None, None)


class Lease(Protocol):
    name: str

    def try_acquire(self) -> Holder | None:
        """Take the lease; None when taken, else the current holder."""
        ...

    def release(self) -> None: ...


class FileLease:
    """An OS file lock on a folder lake (see the module docstring)."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.path = root / LOCKS / f"{name}.lock"
        self._fd: int | None = None

    def try_acquire(self) -> Holder | None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Holder.from_json(os.pread(fd, 4096, 0))
            os.close(fd)
            return holder
        os.ftruncate(fd, 0)
        os.pwrite(fd, Holder.me().to_json(), 0)
        self._fd = fd
        return None

    def release(self) -> None:
        import fcntl

        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


_checked_stores: set[str] = set()


def _status(exc: Any) -> int | None:
    """The HTTP status of a botocore ClientError."""
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


class S3Lease:
    """A lease object with S3 conditional writes and an expiry (see the module docstring).

    Args:
        client: a boto3 S3 client for the lake's endpoint.
        bucket, key: where the lease object lives.
        ttl_s: seconds after the last renewal at which the lease is free.
    """

    def __init__(self, client: Any, bucket: str, key: str, name: str, ttl_s: float) -> None:
        self.name = name
        self._s3, self._bucket, self._key, self.ttl_s = client, bucket, key, ttl_s
        self._etag: str | None = None
        self._holder: Holder | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = False  # set when a renewal found the lease taken over (we stalled > ttl)

    def _put(self, body: bytes, **condition: str) -> str | None:
        """PUT with a condition; the new ETag, or None when the condition failed."""
        from botocore.exceptions import ClientError

        try:
            reply = self._s3.put_object(Bucket=self._bucket, Key=self._key, Body=body, **condition)
        except ClientError as exc:
            if _status(exc) in (409, 412):  # 409: a concurrent conditional write (AWS), retry later
                return None
            raise
        return reply["ETag"]

    def _check_store_refuses_overwrites(self) -> None:
        """Once per process and store: a PUT with If-None-Match on an existing object must
        fail, or conditional writes are silently ignored and no lease can be safe."""
        store = f"{getattr(self._s3.meta, 'endpoint_url', '')}/{self._bucket}"
        if store in _checked_stores:
            return
        probe = f"{self._key}.probe-{os.getpid()}-{random.randrange(1 << 30)}"
        s3, bucket = self._s3, self._bucket
        s3.put_object(Bucket=bucket, Key=probe, Body=b"1")
        try:
            from botocore.exceptions import ClientError

            try:
                s3.put_object(Bucket=bucket, Key=probe, Body=b"2", IfNoneMatch="*")
            except ClientError as exc:
                if _status(exc) in (409, 412):
                    _checked_stores.add(store)
                    return
                raise
            raise ConfigError(
                f"the S3 store at {store} ignores conditional writes (If-None-Match): two "
                "writers could both take the lake's lease; use a store that supports them "
                "(AWS S3, SeaweedFS 4, MinIO, R2), see docs/WRITERS.md"
            )
        finally:
            s3.delete_object(Bucket=bucket, Key=probe)

    def try_acquire(self) -> Holder | None:
        from botocore.exceptions import ClientError

        self._check_store_refuses_overwrites()
        me = Holder.me()
        etag = self._put(me.to_json(ttl_s=self.ttl_s), IfNoneMatch="*")
        if etag is None:
            try:
                head = self._s3.head_object(Bucket=self._bucket, Key=self._key)
            except ClientError as exc:
                if _status(exc) == 404:
                    return Holder(None, None, None)  # released just now: the next poll takes it
                raise
            server_now = parsedate_to_datetime(head["ResponseMetadata"]["HTTPHeaders"]["date"])
            age = (server_now - head["LastModified"]).total_seconds()
            if age <= self.ttl_s:
                body = self._s3.get_object(Bucket=self._bucket, Key=self._key)["Body"].read()
                return Holder.from_json(body)
            # not renewed for longer than its time: its holder is gone; take it over
            etag = self._put(me.to_json(ttl_s=self.ttl_s, took_over_after_s=round(age)),
                             IfMatch=head["ETag"])
            if etag is None:
                return Holder(None, None, None)  # another waiter took it first
        self._etag, self._holder = etag, me
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew_loop, name=f"lease-{self.name}",
                                         daemon=True)
        self._renewer.start()
        return None

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            assert self._holder is not None and self._etag is not None
            try:
                body = self._holder.to_json(ttl_s=self.ttl_s, renewed_at=datetime.now(UTC).isoformat())
                etag = self._put(body, IfMatch=self._etag)
            except Exception:  # the store is unreachable for a moment: try again next round
                continue
            if etag is None:
                self.lost = True
                return
            self._etag = etag

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=30)
            self._renewer = None
        if self._etag is None or self.lost:
            return
        from botocore.exceptions import ClientError

        # only our own lease: a holder that took it over after we stalled keeps it
        try:
            self._s3.delete_object(Bucket=self._bucket, Key=self._key, IfMatch=self._etag)
        except ClientError as exc:
            if _status(exc) not in (404, 412):  # a store without conditional deletes: compare first
                try:
                    head = self._s3.head_object(Bucket=self._bucket, Key=self._key)
                    if head["ETag"] == self._etag:
                        self._s3.delete_object(Bucket=self._bucket, Key=self._key)
                except ClientError:
                    pass  # gone already, or unreachable: it expires after ttl_s anyway
        self._etag = None


def s3_client(lake: Lake) -> Any:
    import boto3
    from botocore.config import Config

    c = lake.config
    return boto3.client(
        "s3", endpoint_url=c.s3_endpoint, region_name=c.s3_region,
        aws_access_key_id=c.s3_access_key, aws_secret_access_key=c.s3_secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def lake_lease(lake: Lake, name: str, ttl_s: float) -> Lease:
    """The lease `name` of this lake: a file lock on a folder lake, an S3 object otherwise."""
    root = lake.local_root()
    if root is not None:
        return FileLease(root, name)
    bucket, _, prefix = lake.config.uri[len("s3://"):].partition("/")
    key = "/".join(p for p in (prefix.strip("/"), LOCKS, f"{name}.json") if p)
    return S3Lease(s3_client(lake), bucket, key, name, ttl_s)


@contextmanager
def holding(
    lease: Lease,
    *,
    activity: str,
    wait_s: float,
    on_wait: Callable[[Holder], None] = lambda holder: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Lease]:
    """Hold `lease` for the block; wait up to `wait_s` seconds for another holder first.

    Args:
        activity: what the lease guards, for the message, e.g. "an ETL".
        wait_s: 0 to give up at once.
        on_wait: called once, with the holder, when the lease is busy and we wait.

    Raises:
        LakeBusyError: still held by someone else after `wait_s` seconds (CLI exit code 75).
    """
    deadline = time.monotonic() + max(0.0, wait_s)
    waited = False
    while True:
        holder = lease.try_acquire()
        if holder is None:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            waited_note = f" (waited {wait_s:g} s)" if wait_s > 0 else ""
            raise LakeBusyError(
                f"{activity} is already running on this lake {holder.describe()}{waited_note}; "
                f"nothing was started, and that run or the next builds everything ingested "
                f"meanwhile: try again later, or wait for it with --wait SECONDS"
            )
        if not waited:
            on_wait(holder)
            waited = True
        sleep(min(remaining, POLL_S * random.uniform(0.5, 1.5)))
    try:
        yield lease
    finally:
        lease.release()
