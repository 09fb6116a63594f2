"""Unexpected failures as one line: what failed (the input, the table, the service) and what to
do next, instead of a Python traceback. `--debug` (or BIOLAKE_DEBUG=1) shows the traceback.

Known errors (`BiolakeError`) keep their own messages, printed by `main()`; this module only
describes everything else (Spark, delta-rs, the S3 client, Trino, the file system...).
"""

from __future__ import annotations

import os

DEBUG_HINT = "--debug shows the traceback"


def _first_line(text: object, limit: int = 300) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _java_message(exc: BaseException) -> str:
    """The Java exception's own message from a Py4JJavaError, without the stack."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            return _first_line(java.toString())
        except Exception:  # the JVM is gone already
            pass
    return _first_line(exc)


def describe(exc: BaseException, command: str, lake: str | None = None) -> str:
    """One line for an exception nobody raised on purpose, naming what failed and the next
    step. `command` is the command that ran, e.g. "biolake etl"; `lake` its lake's URI."""
    on_lake = f" of the lake {lake}" if lake else " of the lake"
    module = type(exc).__module__ or ""
    name = type(exc).__name__
    try:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            parts = []
            for error in exc.errors()[:3]:
                field = ".".join(str(p) for p in error.get("loc", ())) or "settings"
                parts.append(f"{field} ({'BIOLAKE_' + field.upper()}): {error.get('msg')}")
            return f"invalid settings: {'; '.join(parts)}; fix the option or variable and run {command} again"
    except ImportError:  # pragma: no cover - pydantic is a dependency
        pass
    if name == "Py4JJavaError" or module.startswith(("pyspark", "py4j")):
        return (f"{command} failed in Spark: {_java_message(exc)}; nothing was marked processed, "
                f"so running it again is safe; {DEBUG_HINT}")
    if module.startswith("deltalake") or name in ("DeltaError", "DeltaProtocolError", "TableNotFoundError"):
        return (f"{command} could not read or write a Delta table{on_lake}: {_first_line(exc)}; "
                f"check the lake (BIOLAKE_LAKE_URI) is reachable and run it again; {DEBUG_HINT}")
    if module.startswith(("botocore", "boto3")):
        return (f"{command}: the S3 store refused or could not be reached: {_first_line(exc)}; "
                f"check BIOLAKE_S3_ENDPOINT and the keys; {DEBUG_HINT}")
    if module.startswith("trino"):
        return (f"{command}: Trino failed: {_first_line(exc)}; check BIOLAKE_TRINO_URL and that "
                f"Trino runs; {DEBUG_HINT}")
    if module.startswith(("httpx", "httpcore")):
        return (f"{command}: a web service did not answer as expected: {_first_line(exc)}; "
                f"check the network and the service's base URL setting, then run it again; {DEBUG_HINT}")
    if isinstance(exc, ConnectionError | TimeoutError):
        return (f"{command}: a service could not be reached: {_first_line(exc)}; check it runs and "
                f"the URL setting, then run it again; {DEBUG_HINT}")
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        what = exc.strerror or _first_line(exc)
        return (f"{command}: a file or the storage{on_lake} failed{where}: {what}; check the path, "
                f"the disk or the S3 store, then run it again; {DEBUG_HINT}")
    if isinstance(exc, MemoryError):
        return f"{command} ran out of memory; give it more (e.g. BIOLAKE_SPARK_DRIVER_MEMORY) or less input"
    return f"{command} failed unexpectedly: {name}: {_first_line(exc)}; {DEBUG_HINT}"


def debug_requested(argv: list[str]) -> bool:
    """`--debug` among the global options (before the command), or BIOLAKE_DEBUG set true."""
    flag = os.environ.get("BIOLAKE_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")
    return flag or "--debug" in argv


def command_name(argv: list[str], commands: dict[str, object]) -> str:
    """`biolake <command> [<subcommand>]` from the arguments, for the message."""
    words = ["biolake"]
    group: object = None
    skip_value = {"--home", "--person", "--as-of", "--engine"}
    args = iter(argv)
    for arg in args:
        if arg in skip_value:
            next(args, None)
            continue
        if arg.startswith("-"):
            continue
        if group is None and arg in commands:
            words.append(arg)
            group = commands[arg]
            sub = getattr(group, "commands", None)
            if not sub:
                break
            continue
        if group is not None and arg in getattr(group, "commands", {}):
            words.append(arg)
        break
    return " ".join(words)
