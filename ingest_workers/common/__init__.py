"""What the live sources (Oura, Peloton) share, and nothing of any one source: a source package
builds on these modules and never imports another source.

    clock          time as a dependency (`SystemClock`, `FakeClock`)
    http_retry     one request retried: Retry-After on 429, backoff on 5xx and connection errors
    runtime        `Runtime` (clock, transport, randomness) and the run's HTTP client
    bearer_client  GETs with a bearer token: one refresh on a 401, then one retry
    token_store    `TokenPair`, and where tokens live: a file or a Kubernetes Secret
    credentials    an OAuth2 token endpoint, and `RotatingCredentials` (store before use)
    errors         the shared error tree that each source's errors subclass
    bronze_store   a fetched response into bronze, through the one bronze writer
"""
