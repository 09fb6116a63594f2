"""Timing, statistics, memory sampling and the `Figure` every measurement reports.

Memory is read from /proc (Linux), so no extra package is needed: the resident set of a process
and of all its descendants (the Spark driver's JVM and Python workers, Trino, Chromium), sampled
by a background thread, and the kernel's own peak (`ru_maxrss`) of a child process collected
with `os.wait4`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20


@dataclass
class Figure:
    """One reported figure: what was measured, on what data, how many runs, against what target."""

    section: str
    what: str
    data: str
    runs: str
    result: str  # the value(s) as a person reads them
    value: float | None  # the headline number (unit below), for machines
    unit: str
    target: str = "no target"
    met: bool | None = None  # None: no target to meet
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank), with the run count."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "runs": len(ordered)}


def spread(samples: list[float]) -> dict[str, Any]:
    """Median, minimum and maximum of repeated runs, with the samples themselves."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "runs": len(samples), "samples": samples}


def fmt_spread(s: dict[str, Any], unit: str = "s", digits: int = 1) -> str:
    if s["runs"] == 1:
        return f"{s['median']:.{digits}f} {unit}"
    return (f"median {s['median']:.{digits}f} {unit} "
            f"(min {s['min']:.{digits}f}, max {s['max']:.{digits}f})")


# -- memory ----------------------------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # the command may hold spaces and parentheses: the ppid follows the last ')'
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    children, tree, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _rss_and_kind(pid: int) -> tuple[int, str]:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            rss = int(statm.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().split(b"\0")[0].decode(errors="replace")
    except (OSError, IndexError, ValueError):
        return 0, "gone"
    name = Path(command).name
    kind = "jvm" if name == "java" else "python" if name.startswith("python") else name or "other"
    return rss, kind


class TreeMemory:
    """Samples the resident memory of `pid` and its descendants until stopped; keeps the peak
    of the sum, how it split by kind (jvm / python / ...) at that moment, and each kind's peak."""

    def __init__(self, pid: int, interval_s: float = 0.25, *, include_root: bool = True) -> None:
        self.pid, self.interval_s, self.include_root = pid, interval_s, include_root
        self.peak_total = 0
        self.split_at_peak: dict[str, int] = {}
        self.peak_by_kind: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        split: dict[str, int] = {}
        for pid in process_tree(self.pid):
            if pid == self.pid and not self.include_root:
                continue
            rss, kind = _rss_and_kind(pid)
            if rss:
                split[kind] = split.get(kind, 0) + rss
        total = sum(split.values())
        if total > self.peak_total:
            self.peak_total, self.split_at_peak = total, split
        for kind, rss in split.items():
            self.peak_by_kind[kind] = max(self.peak_by_kind.get(kind, 0), rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def as_json(self) -> dict[str, Any]:
        return {"peak_total_mb": round(self.peak_total / MB),
                "split_at_peak_mb": {k: round(v / MB) for k, v in self.split_at_peak.items()},
                "peak_by_kind_mb": {k: round(v / MB) for k, v in self.peak_by_kind.items()},
                "sampled_every_s": self.interval_s}


# -- child processes -------------------------------------------------------------------------------
RESULT_MARK = "BENCH-RESULT "
MAXRSS_MARK = "BENCH-MAXRSS-KB "
# The command runs under this small Python launcher, which reports the kernel's peak resident
# set of its children. Waiting for the command directly would not do: a child started by vfork
# (as subprocess does) inherits its parent's high-water mark at exec, so the bench's own size
# would show up as the command's peak.
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    f"print({MAXRSS_MARK!r} + str(peak), file=sys.stderr, flush=True)\n"
    "sys.exit(code)\n"
)


@dataclass
class ChildRun:
    wall_s: float
    returncode: int
    maxrss_bytes: int  # the kernel's peak resident set of the command (or its largest child)
    memory: TreeMemory
    stdout: str
    stderr_tail: str

    def result(self) -> dict[str, Any]:
        """The JSON a benchmark child printed on its `BENCH-RESULT` line."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK):])
        raise RuntimeError(f"the child printed no result (exit {self.returncode}):\n{self.stderr_tail}")


def run_child(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout_s: float = 3600, sample_s: float = 0.25) -> ChildRun:
    """Run `command` to completion, sampling its process tree's memory and taking the kernel's
    peak; its stdout is kept and stderr goes to a temporary file (Spark writes a lot there)."""
    import sys
    import tempfile

    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _LAUNCHER, *command], env=env, cwd=cwd,
                                   stdout=out, stderr=err, start_new_session=True)
        with TreeMemory(process.pid, sample_s, include_root=False) as memory:
            deadline = start + timeout_s
            while True:
                try:
                    process.wait(timeout=0.05)
                    break
                except subprocess.TimeoutExpired:
                    if time.perf_counter() > deadline:
                        os.killpg(process.pid, signal.SIGKILL)  # its own session: the whole tree
                        process.wait()
                        break
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        peaks = re.findall(rf"^{MAXRSS_MARK}(\d+)$", stderr, flags=re.M)
        maxrss = int(peaks[-1]) * 1024 if peaks else 0
        return ChildRun(wall, process.returncode, maxrss, memory,
                        out.read().decode(errors="replace"), stderr[-4000:])


def emit_result(result: dict[str, Any]) -> None:
    """A benchmark child's last stdout line: its measurements as JSON."""
    print(RESULT_MARK + json.dumps(result, default=str), flush=True)
