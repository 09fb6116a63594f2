"""Retrying one HTTP request: `Retry-After` on 429, jittered exponential backoff on 5xx and
connection errors, with a cap on attempts and on the total time spent on the request.

Time comes from an injected `Clock`, randomness from an injected `random.Random`, so the policy
is tested without waiting. Anything that is not worth retrying (2xx, 3xx, 401, 403, other 4xx)
is returned to the caller, which knows what it means for its API.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from ingest_workers.common.clock import Clock


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # tries of one request that fail with 5xx or a connection error
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_elapsed_s: float = 900.0  # all waiting for one request, Retry-After included
    max_rate_limited: int = 30  # 429s accepted for one request before giving up

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Delay before the next try after `failures` consecutive failures: half of the
        exponential step fixed, half random ("equal jitter"), so clients that failed together
        do not retry together but every wait still grows."""
        step = min(self.max_delay_s, self.base_delay_s * 2 ** max(0, failures - 1))
        return step / 2 + rng.uniform(0, step / 2)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds (what Oura sends) or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    policy: RetryPolicy,
    clock: Clock,
    rng: random.Random,
    give_up: Callable[[str, int | None], Exception],
    retry_on: tuple[type[Exception], ...] = (httpx.TransportError,),
) -> httpx.Response:
    """Call `send` until it returns a response that is not 429/5xx, or the budget is spent;
    then raise `give_up(reason, last_status)`. `retry_on` lists the transport errors that are
    safe to repeat (any of them for a GET; only "never sent" ones for a token refresh)."""
    started = clock.now()
    failures = rate_limited = 0
    while True:
        status: int | None = None
        try:
            response = send()
        except retry_on as exc:
            failures += 1
            reason = f"{type(exc).__name__}: {exc}"
            wait = policy.backoff(failures, rng)
        else:
            status = response.status_code
            if status == 429:
                rate_limited += 1
                reason = "429 Too Many Requests"
                header = retry_after_seconds(response.headers.get("Retry-After"), clock.now())
                wait = header if header is not None else policy.backoff(rate_limited, rng)
                if rate_limited > policy.max_rate_limited:
                    raise give_up(f"still rate limited after {rate_limited} tries", status)
            elif status >= 500:
                failures += 1
                reason = f"{status} {response.reason_phrase}"
                wait = policy.backoff(failures, rng)
            else:
                return response
            response.close()
        if failures >= policy.max_attempts:
            raise give_up(f"{reason} ({failures} tries)", status)
        elapsed = clock.now() - started
        if elapsed + wait > policy.max_elapsed_s:
            raise give_up(
                f"{reason}; the next try would be after {elapsed + wait:.0f} s, past the "
                f"{policy.max_elapsed_s:.0f} s budget",
                status,
            )
        clock.sleep(wait)
