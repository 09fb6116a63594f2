"""Refuse any SQL that is not one read-only SELECT over the relations we serve.

Every query from a person, the CLI or a language model passes through `check_read_only` before
it reaches an engine. The check is structural (sqlglot parses the Trino dialect of record), not
a keyword filter, so comments or odd casing cannot smuggle a second statement through.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from biolake.errors import ReadOnlyViolation

DIALECT = "trino"

_FORBIDDEN = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
    exp.Command, exp.Copy, exp.Set, exp.Use, exp.Transaction, exp.Commit, exp.Rollback,
    exp.Into, exp.LoadData, exp.Pragma,
)


def check_read_only(sql: str, allowed_relations: set[str]) -> exp.Query:
    """The parsed query, or ReadOnlyViolation saying exactly what is not allowed.

    `allowed_relations` lists every accepted spelling of a relation (`workouts`,
    `lake.workouts`, ...): a name is compared with its qualifiers, so `system.runtime.nodes`
    never passes as `nodes`."""
    try:
        # a trailing comment after the last ';' parses as an empty Semicolon statement
        statements = [
            s for s in sqlglot.parse(sql, read=DIALECT)
            if s is not None and not isinstance(s, exp.Semicolon)
        ]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise ReadOnlyViolation(f"the SQL does not parse{where}: {first.get('description', exc)}") from exc
    if len(statements) != 1:
        raise ReadOnlyViolation(f"expected exactly one statement, found {len(statements)}")
    query = statements[0]
    if not isinstance(query, exp.Query):
        raise ReadOnlyViolation(f"only SELECT queries are allowed, not {query.key.upper()}")
    for node in query.walk():
        if isinstance(node, _FORBIDDEN):
            raise ReadOnlyViolation(f"{node.key.upper()} is not allowed in a read-only query")
    cte_names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    allowed = {name.lower() for name in allowed_relations}
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise ReadOnlyViolation(f"table functions are not allowed: {table.sql(dialect=DIALECT)}")
        if table.name.lower() in cte_names and not table.db:
            continue
        name = ".".join(p for p in (table.catalog, table.db, table.name) if p).lower()
        if name not in allowed:
            raise ReadOnlyViolation(
                f"unknown relation '{table.sql(dialect=DIALECT)}'; allowed: {', '.join(sorted(allowed))}"
            )
    return query
