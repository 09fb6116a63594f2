"""Errors raised by Bio-Lakehouse, as one small tree.

    BiolakeError                  base of everything below; the CLI prints its message and exits 1
    ├── ConfigError               settings that cannot work together (bad lake URI, missing jars)
    ├── InputFormatError          an input file that cannot be read; names the file and position
    │   └── UnsafeInputError      XML with external entities or entity expansion (refused, not parsed)
    ├── UnknownInputError         a file the command does not recognise (e.g. unknown Oura prefix)
    ├── EtlError                  a bronze → silver → gold step failed
    ├── CommitConflictError       a Delta commit kept losing to other writers after every retry
    ├── LakeBusyError             another process holds the lake's lease (e.g. an ETL runs);
    │                             the CLI exits 75 (EX_TEMPFAIL: try again later)
    └── QueryError                a query was refused or failed on the serving engine
        ├── ReadOnlyViolation     the SQL is not one read-only SELECT over allowed relations
        └── QueryTimeoutError     the query ran past the statement timeout and was stopped

Messages always say *where*: the file, the line or record position, the field.
"""

from __future__ import annotations


class BiolakeError(Exception):
    """Base class of every error this project raises on purpose."""


class ConfigError(BiolakeError):
    """The settings cannot work (bad lake URI, missing jar cache, contradictory options)."""


class InputFormatError(BiolakeError):
    """An input file could not be read. `source_name` and `position` say where."""

    def __init__(self, source_name: str, position: str | None, message: str) -> None:
        self.source_name = source_name
        self.position = position
        self.reason = message
        where = f"{source_name}, {position}" if position else source_name
        super().__init__(f"{where}: {message}")


class UnsafeInputError(InputFormatError):
    """XML that declares entities (external or expanding) is refused before any expansion."""


class UnknownInputError(BiolakeError):
    """A file the ingest command does not know how to read."""


class EtlError(BiolakeError):
    """A bronze → silver → gold step failed."""


class CommitConflictError(BiolakeError):
    """A Delta commit lost to concurrent writers on every retry (the operation is idempotent:
    running the command again is safe)."""


class LakeBusyError(BiolakeError):
    """Another process holds the lease this command needs (`biolake.lease`)."""

    exit_code = 75  # EX_TEMPFAIL (sysexits.h): a temporary condition, try again later


class QueryError(BiolakeError):
    """A query was refused or failed on the serving engine."""


class ReadOnlyViolation(QueryError):
    """The SQL is not a single read-only SELECT over the allowed relations."""


class QueryTimeoutError(QueryError):
    """The query ran longer than the statement timeout (BIOLAKE_QUERY_TIMEOUT_S) and was stopped."""
