"""The real `biolake` command, run in its own process as a person would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO_AS_OF = "2025-03-31"  # the demo person's "today": every relative date in a test hangs on it


def _cli_command(home: Path, args: tuple[str, ...], env: dict | None, as_of: str) -> tuple[list[str], dict]:
    """The argv and a clean environment (no BIOLAKE_* from outside but the cache folder)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BIOLAKE_")}
    clean["SPARK_LOCAL_IP"] = "127.0.0.1"
    if os.environ.get("BIOLAKE_CACHE_DIR"):
        clean["BIOLAKE_CACHE_DIR"] = os.environ["BIOLAKE_CACHE_DIR"]
    clean.update(env or {})
    biolake = str(Path(sys.executable).with_name("biolake"))
    return [biolake, "--home", str(home), "--as-of", as_of, *args], clean


def run_cli(home: Path, *args: str, env: dict | None = None, timeout: int = 900,
            as_of: str = DEMO_AS_OF) -> subprocess.CompletedProcess:
    """`biolake --home HOME --as-of AS_OF ARGS...` with a clean BIOLAKE_* environment."""
    command, clean = _cli_command(home, args, env, as_of)
    return subprocess.run(command, capture_output=True, text=True, env=clean, timeout=timeout,
                          check=False)


def start_cli(home: Path, *args: str, env: dict | None = None,
              as_of: str = DEMO_AS_OF) -> subprocess.Popen:
    """`run_cli` without waiting: the process, its stdout and stderr as text pipes."""
    command, clean = _cli_command(home, args, env, as_of)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean)


def run_cli_together(home: Path, commands: list[tuple[str, ...]], env: dict | None = None,
                     timeout: int = 600) -> list[subprocess.CompletedProcess]:
    """Start every command at once (each its own `biolake` process) and wait for all; the
    results in the order given."""
    processes = [(args, start_cli(home, *args, env=env)) for args in commands]
    results = []
    for args, process in processes:
        out, err = process.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(list(args), process.returncode, out, err))
    return results
