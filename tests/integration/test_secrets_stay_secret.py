"""Secrets stay secret (issue 14, item 7): every secret setting gets a recognisable value, the
commands that use them run against the local fake services, through their failure paths too,
and none of those values turns up in what the commands printed, nor in any file they wrote.

The secrets: the Oura client secret (and a wrong one, and a bad authorization code), every token
and code the Oura and Peloton simulators issue (they are made to issue marked values), the
Peloton refresh token of the settings, the Anthropic API key, the S3 access and secret keys (and
a wrong secret key), the dashboard password, its cookie secret and its OAuth client secret.
Every command gets all of them in its environment, whatever it runs.

What runs, as the real `biolake` in its own process unless "in process" (one module-scoped home;
the processes' HOME, TMPDIR and BIOLAKE_CACHE_DIR are folders of the test, so whatever they
write lands where the scan looks; stdin is given, hence a runner of our own, not `run_cli`):

- Oura: `biolake auth oura` with a good code, a bad code (--debug), and in process a wrong
  client secret; `biolake ingest oura` live against the Oura simulator through two 500s; in
  process a 500 storm it gives up on (a fake clock: the backoff costs no time; every log
  record captured at DEBUG); expired access tokens with a revoked refresh token (--debug)
- Peloton: `biolake ingest peloton --api` through two 500s; a 429 storm it gives up on; a
  revoked refresh token, the settings' one too (--debug)
- Claude: `biolake ask` against a local Messages API answering 401 (--debug; answered offline);
  in process a 200 (the translation cached) and a 500; `biolake report` in process, kaleido
  faked (no Chromium), while the API answers 401: the templates write the narrative, and the
  report goes to the home and the lake
- the dashboard: `biolake serve` with basic auth and a cookie secret: a wrong password, then
  the right one and the page
- S3: `biolake ingest peloton --csv` to a lake on SeaweedFS (marker `s3`): stored; a wrong
  secret key, with and without --debug

What is scanned, for each secret raw, base64 (at each alignment, standard and URL-safe),
URL-encoded and JSON-escaped: every stdout and stderr (in process: also the error `main()`
would print, its traceback and the log records), the dashboard's answers (headers, cookies,
bodies), every file under the home (lake, reports, caches, token folders), the processes' HOME,
TMPDIR and cache folder, and every object in the bucket; Parquet files are also decoded and
their values scanned. The token stores are the one place tokens may be, their own source's
only; they are checked to hold them, mode 0600 in a 0700 folder. biolake writes no log file of
its own (nothing configures a logging handler); SeaweedFS's log and config (the server's, which
hold the keys by design) are outside the scanned folders.

No ETL: `ask`, `report` and the dashboard read the NL-to-SQL test person, written with delta-rs
(tests/support/nl2sql_person.py), so nothing here needs Spark.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import stat
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from biolake.cli import ingest_oura
from ingest_workers.demo import oura_simulator, peloton_simulator
from ingest_workers.demo.oura_simulator import OuraSimulator, load_saved_pages
from ingest_workers.demo.peloton_documents import api_documents_from_csv
from ingest_workers.demo.peloton_simulator import PelotonSimulator
from ingest_workers.demo.sample_person import generate_sample_person
from tests.support.cli import DEMO_AS_OF
from tests.support.dashboard import free_port, wait_for_health
from tests.support.http_fakes import JsonHandler, serving_in_thread
from tests.support.images import fake_png
from tests.support.nl2sql_person import write_lake
from tests.support.paths import REAL_FIXTURES, REPO

BIOLAKE = str(Path(sys.executable).with_name("biolake"))
END = date.fromisoformat(DEMO_AS_OF)
FIRST = END - timedelta(days=13)
TIMEZONE = "America/New_York"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never listened on: the code is pasted
BUCKET = "biolake-secrets"
MARK = "SEKRET"
ENDPOINTS = ("--endpoint", "daily_readiness", "--endpoint", "daily_sleep")


# -- the scanner ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Secret:
    name: str  # what a failure message says; the value itself is never printed
    value: str

    def forms(self) -> dict[str, bytes]:
        """The secret as it could turn up in bytes: raw, base64 at each of the three
        alignments it could have inside a longer encoded text (standard and URL-safe),
        URL-encoded and JSON-escaped."""
        raw = self.value.encode()
        forms = {"raw": raw, "url-encoded": quote(self.value, safe="").encode(),
                 "form-encoded": quote_plus(self.value).encode(),
                 "JSON-escaped": json.dumps(self.value)[1:-1].encode(),
                 "JSON-escaped with \\/": json.dumps(self.value)[1:-1].replace("/", "\\/").encode()}
        for offset, unsure in ((0, 0), (1, 2), (2, 3)):
            # the characters that depend only on the secret's own bytes
            data = b"\0" * offset + raw
            encoded = base64.b64encode(data[: len(data) // 3 * 3])[unsure:]
            forms[f"base64 (offset {offset})"] = encoded
            forms[f"base64url (offset {offset})"] = encoded.replace(b"+", b"-").replace(b"/", b"_")
        return {form: value for form, value in forms.items() if len(value) >= 12}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def readable(name: str, data: bytes) -> bytes:
    """The bytes to search: the file, and for Parquet (compressed pages) its decoded values."""
    if not name.endswith(".parquet"):
        return data
    table = pq.read_table(pa.BufferReader(data))
    return data + b"\n" + "\n".join(_strings(table.to_pylist())).encode()


def find_secrets(where: str, data: bytes, secrets_: Iterable[Secret],
                 allowed: frozenset[str] = frozenset()) -> list[str]:
    """'<where>: <secret name> (<form>)' for every secret (not in `allowed`) found in `data`."""
    found = []
    for secret in secrets_:
        if secret.name in allowed:
            continue
        for form, needle in secret.forms().items():
            if needle in data:
                found.append(f"{where}: {secret.name} ({form})")
                break
    return found


def scan_tree(root: Path, secrets_: list[Secret],
              allowed: dict[Path, frozenset[str]] | None = None) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = readable(path.name, path.read_bytes())
            found += find_secrets(str(path), data, secrets_, (allowed or {}).get(path, frozenset()))
    return found


def test_the_scan_finds_a_planted_secret(tmp_path):
    """The scan is proven to work: every form of a planted value is found, in text and in a
    compressed Parquet column, and nothing is found where nothing was planted."""
    secret = Secret("planted", f"{MARK}-planted/{secrets.token_hex(8)}+=")
    other = Secret("not planted", f"{MARK}-absent-{secrets.token_hex(8)}")
    (tmp_path / "clean.txt").write_text("nothing to see\n")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "raw.log").write_text(f"token={secret.value}\n")
    (tmp_path / "basic.txt").write_bytes(b"Authorization: Basic "
                                         + base64.b64encode(f"me:{secret.value}".encode()))
    (tmp_path / "url.txt").write_text("https://x/?secret=" + quote(secret.value, safe=""))
    (tmp_path / "json.txt").write_text('{"s": "' + secret.value.replace("/", "\\/") + '"}')
    pq.write_table(pa.table({"error": [f"failed with {secret.value}"] * 50}),
                   tmp_path / "log.parquet", compression="zstd")
    found = scan_tree(tmp_path, [secret, other])
    assert sorted(found) == sorted([
        f"{tmp_path / 'basic.txt'}: planted (base64 (offset 0))",
        f"{tmp_path / 'deep' / 'raw.log'}: planted (raw)",
        f"{tmp_path / 'json.txt'}: planted (JSON-escaped with \\/)",
        f"{tmp_path / 'log.parquet'}: planted (raw)",
        f"{tmp_path / 'url.txt'}: planted (url-encoded)",
    ])
    for offset in range(3):  # base64 of a longer text finds it wherever it starts
        encoded = base64.b64encode(b"x" * offset + secret.value.encode() + b"tail")
        assert find_secrets("t", encoded, [secret]), offset
    assert not any(secret.value in line for line in found)  # a finding never shows the value
    assert not find_secrets("t", b"nothing", [secret], allowed=frozenset())
    assert not find_secrets("t", secret.value.encode(), [secret], allowed=frozenset({"planted"}))


# -- the world: marked secrets, fake services, one home -----------------------------------------
class MarkedSecrets:
    """Stands in for the `secrets` module inside a simulator: every token and code it issues is
    recognisable, and written down (`issued`: (what it is, value))."""

    def __init__(self, source: str, kinds: dict[int, str]) -> None:
        self.source, self.kinds = source, kinds
        self.issued: list[tuple[str, str]] = []

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        kind = self.kinds.get(nbytes or 0, "value")
        number = len(self.issued)
        value = f"{MARK}-{self.source}-{kind.replace(' ', '-')}-{number}-{secrets.token_hex(8)}"
        self.issued.append((f"{self.source} {kind} #{number}", value))
        return value


class MessagesAPI(JsonHandler):
    """POST /v1/messages answered from `server.script` ((status, body), in order); 500 when
    the script is empty."""

    server: MessagesServer

    def do_POST(self) -> None:
        self.read_body()
        status, body = self.server.script.pop(0) if self.server.script else (
            500, {"type": "error", "error": {"type": "api_error", "message": "Internal error"}})
        self.server.statuses.append(status)
        self.reply_json(status, body)


class MessagesServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), MessagesAPI)
        self.script: list[tuple[int, dict]] = []
        self.statuses: list[int] = []


UNAUTHORIZED = (401, {"type": "error",
                      "error": {"type": "authentication_error", "message": "invalid x-api-key"}})


def tool_reply(sql: str) -> tuple[int, dict]:
    return 200, {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "answer_with_sql",
                     "input": {"sql": sql, "relation": "daily_readiness_performance",
                               "rationale": "test", "answer_template": ""}}],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


@dataclass
class Output:
    label: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class World:
    root: Path
    home: Path
    oura: OuraSimulator
    peloton: PelotonSimulator
    claude: MessagesServer
    oura_marks: MarkedSecrets
    peloton_marks: MarkedSecrets
    fixed: dict[str, str]  # secret name → value
    env: dict[str, str]
    outputs: list[Output] = field(default_factory=list)
    bucket_objects: dict[str, bytes] = field(default_factory=dict)

    @property
    def secrets(self) -> list[Secret]:
        issued = self.oura_marks.issued + self.peloton_marks.issued
        return [Secret(n, v) for n, v in [*self.fixed.items(), *issued]]

    @property
    def token_files(self) -> dict[str, Path]:
        return {"oura": self.home / "secrets" / "oura_tokens.json",
                "peloton": self.home / "secrets" / "peloton_tokens.json"}

    def biolake(self, label: str, *args: str, env: dict[str, str] | None = None,
                stdin: str = "", timeout: float = 120) -> Output:
        """`biolake --home HOME --as-of DEMO_AS_OF ARGS...` in its own process, with this
        world's environment (and nothing BIOLAKE_, PANEL_, AWS_ or ANTHROPIC_ from outside)."""
        run = subprocess.run(
            [BIOLAKE, "--home", str(self.home), "--as-of", DEMO_AS_OF, *args],
            input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
            env={**_clean_environment(), **self.env, **(env or {})},
        )
        output = Output(label, run.returncode, run.stdout, run.stderr)
        self.outputs.append(output)
        return output

    def in_process(self, label: str, command: Any, *args: str, obj: Any = None,
                   stdin: str | None = None, renderer: Any = None,
                   env: dict[str, str] | None = None) -> Output:
        """A command of `biolake.cli` in this process (through click, with this world's
        BIOLAKE_ settings and `env`; `obj` a callable building the Context inside them): its
        stdout and stderr, what `main()` prints for its error, the traceback --debug would show,
        and every log record at DEBUG."""
        records, root = Records(), logging.getLogger()
        level = root.level
        root.addHandler(records)
        root.setLevel(logging.DEBUG)
        try:
            with pytest.MonkeyPatch.context() as patch:  # the settings come from the environment
                for name in [k for k in os.environ if k.startswith("BIOLAKE_")]:
                    patch.delenv(name)
                for name, value in {**self.env, **(env or {})}.items():
                    if name.startswith("BIOLAKE_") or name.lower() == "no_proxy":
                        patch.setenv(name, value)
                if renderer is not None:
                    import reports.weekly

                    patch.setattr(reports.weekly, "KaleidoRenderer", renderer)
                result = CliRunner().invoke(command, list(args), obj=obj() if obj else None,
                                            input=stdin)
        finally:
            root.removeHandler(records)
            root.setLevel(level)
        error = result.exception
        printed = "" if error is None or isinstance(error, SystemExit) else (
            f"error: {error}\n" + "".join(traceback.format_exception(error)))
        output = Output(label, result.exit_code, result.stdout,
                        result.stderr + printed + "\n".join(records.lines))
        self.outputs.append(output)
        return output

    def cli(self, label: str, *args: str, **options: Any) -> Output:
        """`biolake --home HOME --as-of DEMO_AS_OF ARGS...` in this process (`in_process`)."""
        from biolake.cli import cli

        return self.in_process(label, cli, "--home", str(self.home), "--as-of", DEMO_AS_OF,
                               *args, **options)

    def assert_nothing_leaked(self) -> None:
        """Every output so far and every file in the scanned folders and the bucket."""
        secrets_ = self.secrets
        found: list[str] = []
        for o in self.outputs:
            found += find_secrets(f"stdout of {o.label}", o.stdout.encode(), secrets_)
            found += find_secrets(f"stderr of {o.label}", o.stderr.encode(), secrets_)
        # the token stores hold their own source's tokens, and nothing else
        allowed = {path: frozenset(s.name for s in secrets_ if s.name.startswith(f"{source} token"))
                   for source, path in self.token_files.items()}
        for folder in ("home", "user-home", "tmp", "cache"):
            found += scan_tree(self.root / folder, secrets_, allowed)
        for key, data in self.bucket_objects.items():
            found += find_secrets(f"s3://{BUCKET}/{key}", readable(key, data), secrets_)
        assert not found, "secrets found:\n" + "\n".join(found)


def _clean_environment() -> dict[str, str]:
    prefixes = ("BIOLAKE_", "PANEL_", "AWS_", "ANTHROPIC_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("secrets")
    home = root / "home"
    for folder in ("home", "user-home", "tmp", "cache"):
        (root / folder).mkdir()
    write_lake(home)  # the NL-to-SQL person: gold and silver tables, for ask, report, serve
    files = generate_sample_person(root / "sample", end_day=END, oura_days=14,
                                   peloton_workouts=12, peloton_years=0.2)
    tag = secrets.token_hex(6)
    fixed = {
        "the Oura client secret": f"{MARK}-oura-client/{tag}+=",
        "a wrong Oura client secret": f"{MARK}-oura-wrong-client-{tag}",
        "a bad Oura authorization code": f"{MARK}-oura-bad-code-{tag}",
        "the Anthropic API key": f"sk-ant-{MARK}-anthropic-{tag}",
        "the S3 access key": f"{MARK}s3access{tag}",
        "the S3 secret key": f"{MARK}/s3+secret/{tag}",
        "a wrong S3 secret key": f"{MARK}/s3+wrong/{tag}",
        "the dashboard password": f"{MARK} pass&word={tag}",
        "the dashboard cookie secret": f"{MARK}-cookie-{tag}",
        "the dashboard OAuth secret": f"{MARK}-dashboard-oauth-{tag}",
    }
    oura_marks = MarkedSecrets("oura", {24: "token", 16: "authorization code"})
    peloton_marks = MarkedSecrets("peloton", {32: "token", 16: "id token"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(oura_simulator, "secrets", oura_marks)
        patch.setattr(peloton_simulator, "secrets", peloton_marks)
        oura = OuraSimulator(load_saved_pages(files.oura_dir), client_id="biolake-secrets-test",
                             client_secret=fixed["the Oura client secret"], page_size=10)
        peloton = PelotonSimulator(api_documents_from_csv(files.peloton_csv, timezone=TIMEZONE))
        with oura, peloton, serving_in_thread(MessagesServer()) as claude:
            env = {
                "HOME": str(root / "user-home"), "TMPDIR": str(root / "tmp"),
                "BIOLAKE_CACHE_DIR": str(root / "cache"),
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "BIOLAKE_OURA_CLIENT_ID": oura.client_id,
                "BIOLAKE_OURA_CLIENT_SECRET": fixed["the Oura client secret"],
                "BIOLAKE_OURA_API_BASE": oura.base_url, "BIOLAKE_OURA_AUTH_BASE": oura.base_url,
                "BIOLAKE_OURA_REDIRECT_URI": REDIRECT_URI,
                "BIOLAKE_PELOTON_REFRESH_TOKEN": peloton.issue_refresh_token(),
                "BIOLAKE_PELOTON_API_BASE": peloton.base_url,
                "BIOLAKE_PELOTON_AUTH_BASE": peloton.base_url, "BIOLAKE_PELOTON_PAGE_SIZE": "5",
                "BIOLAKE_ANTHROPIC_API_KEY": fixed["the Anthropic API key"],
                "BIOLAKE_ANTHROPIC_BASE_URL": f"http://127.0.0.1:{claude.server_port}",
                "BIOLAKE_ANTHROPIC_MAX_RETRIES": "0", "BIOLAKE_ANTHROPIC_TIMEOUT_S": "20",
                "BIOLAKE_S3_ACCESS_KEY": fixed["the S3 access key"],
                "BIOLAKE_S3_SECRET_KEY": fixed["the S3 secret key"],
                "BIOLAKE_DASHBOARD_PASSWORD": fixed["the dashboard password"],
                "BIOLAKE_DASHBOARD_COOKIE_SECRET": fixed["the dashboard cookie secret"],
                "BIOLAKE_DASHBOARD_OAUTH_SECRET": fixed["the dashboard OAuth secret"],
            }
            yield World(root, home, oura, peloton, claude, oura_marks, peloton_marks, fixed, env)


def assert_private_token_store(path: Path, source: str, world: World) -> None:
    """The token store holds the tokens (so the scan's exemption for it means something), in
    an owner-only file in an owner-only folder."""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent
    stored = json.loads(path.read_text())
    issued = {s.value for s in world.secrets if s.name.startswith(f"{source} token")}
    assert {stored["access_token"], stored["refresh_token"]} <= issued


# -- Oura ------------------------------------------------------------------------------------------
class Records(logging.Handler):
    """Every log record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class FakeRenderer:
    """kaleido's stand-in: the report's text is what matters here, not its pictures."""

    def __enter__(self) -> Any:
        return fake_png

    def __exit__(self, *_: object) -> None:
        return None


class FakeClockContext:
    """Built lazily: the CLI's Context carrying a fake clock (`oura_runtime`), as the live Oura
    tests do, so a storm of 500s is retried to the end without real waiting."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self) -> Any:
        from biolake.cli import Context
        from ingest_workers.common.clock import FakeClock
        from ingest_workers.common.runtime import Runtime

        class SimContext(Context):
            def __init__(self, overrides: dict) -> None:
                super().__init__(overrides)
                self.oura_runtime = Runtime(clock=FakeClock(start=time.time()),
                                            transport=httpx.HTTPTransport())

        return SimContext({"home": self.home, "as_of": END})


def test_oura_secrets_stay_secret(world: World):
    oura = world.oura
    good = world.biolake("auth oura (a good code)", "auth", "oura", "--no-listen",
                         stdin=oura.issue_code(REDIRECT_URI) + "\n")
    assert good.returncode == 0, good.stderr
    assert "connected: Oura tokens stored" in good.stdout

    bad = world.biolake("auth oura (a bad code)", "--debug", "auth", "oura", "--no-listen",
                        stdin=world.fixed["a bad Oura authorization code"] + "\n")
    assert bad.returncode == 1 and "Oura refused the authorization code" in bad.stderr

    wrong = world.cli("auth oura (a wrong client secret)", "auth", "oura", "--no-listen",
                      stdin=oura.issue_code(REDIRECT_URI) + "\n",
                      env={"BIOLAKE_OURA_CLIENT_SECRET": world.fixed["a wrong Oura client secret"]})
    assert wrong.returncode == 1 and "Oura rejected the client" in wrong.stderr, wrong.stderr

    oura.fail_next(2, 500)  # a short storm: retried through
    synced = world.biolake("ingest oura (through two 500s)", "ingest", "oura", "--since",
                           str(FIRST), "--until", str(END), *ENDPOINTS)
    assert synced.returncode == 0, synced.stderr
    assert "2 of 2 endpoints synced" in synced.stdout and oura.status_counts()[500] == 2

    oura.fail_next(20, 500)  # a storm that does not end: in process, the backoff on a fake clock
    storm = world.in_process("ingest oura (a 500 storm)", ingest_oura, "--since", str(FIRST),
                             "--until", str(END), "--endpoint", "daily_sleep",
                             obj=FakeClockContext(world.home))
    oura.clear_faults()
    assert storm.returncode == 1, storm.stderr
    assert "500 Internal Server Error (6 tries)" in storm.stderr, storm.stderr

    oura.expire_access_tokens()
    oura.revoke_refresh_tokens()
    revoked = world.biolake("ingest oura (revoked)", "--debug", "ingest", "oura",
                            "--since", str(END), "--until", str(END), *ENDPOINTS)
    assert revoked.returncode == 1
    assert "Oura refused the stored refresh token" in revoked.stderr

    assert_private_token_store(world.token_files["oura"], "oura", world)
    world.assert_nothing_leaked()


# -- Peloton ---------------------------------------------------------------------------------------
def test_peloton_secrets_stay_secret(world: World):
    peloton = world.peloton
    peloton.fail_next(2, 500, route="workouts")  # retried through
    synced = world.biolake("ingest peloton --api (through two 500s)", "ingest", "peloton", "--api")
    assert synced.returncode == 0, synced.stderr
    assert peloton.status_counts("workouts")[500] == 2
    assert_private_token_store(world.token_files["peloton"], "peloton", world)

    peloton.fail_next(31, 429, route="workouts", retry_after="0")  # one more than it accepts
    limited = world.biolake("ingest peloton --api (429 storm)", "ingest", "peloton", "--api",
                            "--since", str(FIRST))
    peloton.clear_faults()
    assert limited.returncode == 1 and "rate limited" in limited.stderr, limited.stderr

    peloton.expire_access_tokens()
    peloton.revoke_refresh_tokens()  # the settings' token too
    revoked = world.biolake("ingest peloton --api (revoked)", "--debug", "ingest", "peloton",
                            "--api")
    assert revoked.returncode == 1 and "Peloton refused the refresh token" in revoked.stderr

    assert_private_token_store(world.token_files["peloton"], "peloton", world)
    world.assert_nothing_leaked()


# -- Claude: ask and the report --------------------------------------------------------------------
def test_the_anthropic_key_stays_secret(world: World):
    claude = world.claude
    claude.script[:] = [UNAUTHORIZED]
    refused = world.biolake("ask (401)", "--debug", "ask",
                            "What was my average readiness score last week?")
    assert refused.returncode == 0, refused.stderr  # answered offline, and says why
    assert "answered offline because claude: the Anthropic API failed: 401" in refused.stderr

    claude.script[:] = [tool_reply(
        "SELECT avg(sleep_score) AS avg_sleep FROM daily_readiness_performance "
        "WHERE person_id = 'me' AND day BETWEEN DATE '2025-03-24' AND DATE '2025-03-30'")]
    answered = world.cli("ask (Claude answers)", "ask",
                         "What was my average sleep score last week?")
    assert answered.returncode == 0, answered.stderr
    assert "claude SQL" in answered.stdout  # and the translation is in the cache now

    claude.script[:] = []  # 500
    failed = world.cli("ask (500)", "ask", "How many workouts did I do last week?",
                       "--format", "json")
    assert "500" in failed.stdout + failed.stderr, failed.stderr

    claude.script[:] = [UNAUTHORIZED]
    report = world.cli("report (401: the templates write)", "report", renderer=FakeRenderer)
    assert report.returncode == 0, report.stderr
    assert "narrative: template (Claude failed: the Anthropic API failed" in report.stdout
    assert (world.home / "reports" / "weekly" / "2025-W13.html").exists()
    assert any((world.home / "lake" / "reports" / "weekly").iterdir())
    assert claude.statuses == [401, 200, 500, 401]
    world.assert_nothing_leaked()


# -- the dashboard ---------------------------------------------------------------------------------
def test_dashboard_password_and_cookie_secret_stay_secret(world: World):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [BIOLAKE, "--home", str(world.home), "--as-of", DEMO_AS_OF, "serve", "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**_clean_environment(), **world.env}, cwd=REPO,
    )
    answers: list[str] = []

    def note(response: httpx.Response) -> httpx.Response:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.multi_items())
        answers.append(f"{response.request.method} {response.request.url} -> "
                       f"{response.status_code}\n{headers}\n{response.text}")
        return response

    try:
        wait_for_health(base, process)
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as browser:
            assert note(browser.get("/")).status_code in (302, 401, 403)
            login = {"username": "biolake", "password": "not the password"}
            wrong = note(browser.post("/login", data=login))
            assert wrong.status_code == 302 and "error=" in wrong.headers["location"]
            assert "user" not in browser.cookies
            note(browser.get(wrong.headers["location"]))
            login["password"] = world.fixed["the dashboard password"]
            right = note(browser.post("/login", data=login))
            assert right.status_code == 302 and "user" in browser.cookies
            page = note(browser.get("/"))
            assert page.status_code == 200 and "Bio-Lakehouse" in page.text
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    world.outputs.append(Output("serve", process.returncode, stdout.decode(), stderr.decode()))
    world.outputs.append(Output("the dashboard's answers", 0, "\n\n".join(answers), ""))
    world.assert_nothing_leaked()


# -- S3 --------------------------------------------------------------------------------------------
@pytest.mark.s3
def test_s3_keys_stay_secret(world: World):
    import boto3

    from tests.support.seaweedfs import SeaweedFS

    server = SeaweedFS(world.root / "seaweedfs")  # outside the scanned folders: its config
    server.workdir.mkdir()                        # holds the keys, its log is its own
    server.access_key = world.fixed["the S3 access key"]
    server.secret_key = world.fixed["the S3 secret key"]
    server.start()
    try:
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=server.access_key,
                          aws_secret_access_key=server.secret_key)
        s3.create_bucket(Bucket=BUCKET)
        lake = {"BIOLAKE_LAKE_URI": f"s3://{BUCKET}/lake", "BIOLAKE_S3_ENDPOINT": server.endpoint}
        csv = str(REAL_FIXTURES / "peloton" / "workouts_us_units.csv")
        stored = world.biolake("ingest peloton --csv (S3 lake)", "ingest", "peloton",
                               "--csv", csv, env=lake)
        assert stored.returncode == 0, stored.stderr
        assert stored.stdout.startswith("ingested"), stored.stdout

        wrong = {**lake, "BIOLAKE_S3_SECRET_KEY": world.fixed["a wrong S3 secret key"]}
        refused = world.biolake("ingest peloton --csv (S3, a wrong secret key)", "ingest",
                                "peloton", "--csv", csv, env=wrong)
        assert refused.returncode == 1 and refused.stderr.startswith("error:"), refused.stderr
        traced = world.biolake("--debug ingest peloton --csv (S3, a wrong secret key)",
                               "--debug", "ingest", "peloton", "--csv", csv, env=wrong)
        assert traced.returncode == 1 and "Traceback" in traced.stderr, traced.stderr

        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
                for o in page.get("Contents", [])]
        assert any(k.startswith("lake/bronze/peloton_csv/") for k in keys), keys
        world.bucket_objects.update(
            {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys})
    finally:
        server.stop()
    world.assert_nothing_leaked()
