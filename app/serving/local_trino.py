"""Run a real single-node Trino server on this machine (embedded use, tests, `make test`).

The release tarball comes from Maven Central into the cache once (`make trino`); a run folder
gets the configuration from `trino/etc/` with the catalog rendered for the lake, and the server
runs on Java 25 with only the Delta Lake plugin loaded (a faster start on small machines).
In a cluster the Helm chart runs Trino instead; this module is not used there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

from app.serving.resources import TRINO_ETC_DIR
from app.serving.trino_catalog import lake_location
from biolake.errors import ConfigError
from biolake.lake import Lake

TRINO_VERSION = "476"
PLUGINS = ("delta-lake",)


def trino_home(cache_dir: Path) -> Path:
    return cache_dir / "trino" / f"trino-server-{TRINO_VERSION}"


def ensure_installed(cache_dir: Path) -> Path:
    """Unpack the tarball fetched by `make trino` (once)."""
    home = trino_home(cache_dir)
    if (home / "lib").is_dir():
        return home
    tarball = cache_dir / "trino" / f"trino-server-{TRINO_VERSION}.tar.gz"
    if not tarball.exists():
        raise ConfigError(f"{tarball} is missing: run `make trino` to fetch the Trino server once")
    with tarfile.open(tarball) as archive:
        archive.extractall(home.parent, filter="tar")
    return home


def find_java(min_version: int = 24) -> Path:
    """A JDK new enough for Trino (TRINO_JAVA_HOME, then the JDKs under /usr/lib/jvm)."""
    candidates = [os.environ.get("TRINO_JAVA_HOME", "")]
    candidates += sorted((str(p) for p in Path("/usr/lib/jvm").glob("*")), reverse=True)
    for home in filter(None, candidates):
        java = Path(home) / "bin" / "java"
        if not java.exists():
            continue
        out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
        digits = out.split('"')[1].split(".")[0] if '"' in out else "0"
        if digits.isdigit() and int(digits) >= min_version:
            return java
    raise ConfigError(f"Trino {TRINO_VERSION} needs Java {min_version}+; set TRINO_JAVA_HOME")


def render_catalog(lake: Lake) -> str:
    template = (TRINO_ETC_DIR / "catalog" / "lakehouse.properties.template").read_text()
    if lake.is_s3:
        c = lake.config
        filesystem = "\n".join(
            [
                "fs.native-s3.enabled=true",
                f"s3.region={c.s3_region}",
                "s3.path-style-access=true",
                "s3.aws-access-key=${ENV:BIOLAKE_S3_ACCESS_KEY}",
                "s3.aws-secret-key=${ENV:BIOLAKE_S3_SECRET_KEY}",
                *([f"s3.endpoint={c.s3_endpoint}"] if c.s3_endpoint else []),
            ]
        )
    else:
        filesystem = f"fs.native-local.enabled=true\nlocal.location={lake.local_root()}"
    return template.format(lake_location=lake_location(lake), filesystem=filesystem)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TrinoServer:
    """One Trino process serving one lake; `start()` returns once it accepts queries."""

    def __init__(self, lake: Lake, cache_dir: Path, run_dir: Path, port: int | None = None) -> None:
        self.lake = lake
        self.cache_dir = cache_dir
        self.run_dir = run_dir
        self.port = port or _free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _prepare(self) -> tuple[Path, Path]:
        home = ensure_installed(self.cache_dir)
        etc = self.run_dir / "etc"
        if etc.exists():
            shutil.rmtree(etc)
        shutil.copytree(TRINO_ETC_DIR, etc, ignore=shutil.ignore_patterns("*.template"))
        (etc / "catalog" / "lakehouse.properties").write_text(render_catalog(self.lake))
        plugins = self.run_dir / "plugin"
        plugins.mkdir(parents=True, exist_ok=True)
        for name in PLUGINS:
            link = plugins / name
            if not link.exists():
                link.symlink_to(home / "plugin" / name)
        return home, etc

    def start(self, timeout_s: float = 240) -> None:
        home, etc = self._prepare()
        jvm_options = [
            line.strip() for line in (etc / "jvm.config").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        env = {
            **os.environ,
            "TRINO_HTTP_PORT": str(self.port),
            "TRINO_NODE_ID": "biolake-embedded",
            "TRINO_PLUGIN_DIR": str(self.run_dir / "plugin"),
        }
        if self.lake.is_s3:
            env["BIOLAKE_S3_ACCESS_KEY"] = self.lake.config.s3_access_key or ""
            env["BIOLAKE_S3_SECRET_KEY"] = self.lake.config.s3_secret_key or ""
        command = [
            str(find_java()), *jvm_options,
            f"-Dconfig={etc / 'config.properties'}",
            f"-Dnode.config={etc / 'node.properties'}",
            f"-Dlog.levels-file={etc / 'log.properties'}",
            "-Dlog.enable-console=true",
            f"-Dcatalog.config-dir={etc / 'catalog'}",
            "-cp", str(home / "lib" / "*"),
            "io.trino.server.TrinoServer",
        ]
        # node.properties is read through -Dconfig's sibling keys: merge it into config.properties
        config = etc / "config.properties"
        config.write_text(config.read_text() + "\n" + (etc / "node.properties").read_text())
        self.log_path = self.run_dir / "server.log"
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, cwd=self.run_dir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self._wait_until_ready(timeout_s)

    def _wait_until_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ConfigError(f"Trino exited early; see {self.log_path}:\n{self._tail()}")
            if b"SERVER STARTED" in self.log_path.read_bytes()[-20000:]:
                try:
                    with urllib.request.urlopen(f"{self.url}/v1/info", timeout=2) as response:
                        if b'"starting":false' in response.read():
                            return
                except OSError:
                    pass
            time.sleep(1)
        self.stop()
        raise ConfigError(f"Trino did not start within {timeout_s:.0f}s; see {self.log_path}")

    def _tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
