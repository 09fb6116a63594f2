"""What every serving engine offers: read-only queries with one result shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_TIMEOUT_S = 60.0  # BIOLAKE_QUERY_TIMEOUT_S


def timeout_message(engine: str, timeout_s: float) -> str:
    """The one message of a query stopped at the statement timeout, whichever engine."""
    return (f"the query ran longer than {timeout_s:g} s on {engine} and was stopped "
            "(BIOLAKE_QUERY_TIMEOUT_S); narrow it (fewer days, a filter, no cross join) or "
            "raise the limit")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    sql: str
    executed_sql: str
    engine: str
    cached: bool = field(default=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": self.rows, "sql": self.sql,
                "executed_sql": self.executed_sql, "engine": self.engine, "cached": self.cached}


class QueryEngine(Protocol):
    name: str

    def relations(self) -> set[str]:
        """Relation names a query may use, bare and schema-qualified."""
        ...

    def query(self, sql: str) -> QueryResult: ...

    def columns(self) -> list[tuple[str, str, str, str]]:
        """(schema, relation, column, type) of every served relation, from the engine's own
        catalog. Not guarded: it runs fixed SQL of ours, for the NL-to-SQL schema prompt."""
        ...


def jsonable(value: Any) -> Any:
    """Engine values → JSON values (dates as ISO strings, decimals as floats)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
