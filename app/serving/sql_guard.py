"""Refuse any SQL that is not one read-only SELECT over the relations we serve.

Every query from a person, the CLI or a language model passes through `check_read_only` before
it reaches an engine. The check is structural (sqlglot parses the Trino dialect of record), not
a keyword filter, so comments or odd casing cannot smuggle a second statement through.

Beyond the relation check it refuses the system catalogs and `information_schema` by name (so a
refusal says why) and functions with side effects or access outside the lake (DuckDB's
`read_csv`, `getenv`, `nextval`, `sleep`, ...): the SQL may run on either engine. SQL written by
a translator (`app.nl2sql`) also passes `guard_generated`, which caps the rows it may return.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from biolake.errors import ReadOnlyViolation

DIALECT = "trino"

_FORBIDDEN = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
    exp.Command, exp.Copy, exp.Set, exp.Use, exp.Transaction, exp.Commit, exp.Rollback,
    exp.Into, exp.LoadData, exp.Pragma,
)


# Schemas that describe the engine rather than the lake; refused even where the engine's own
# access control would allow them, because a translator must only see the lake.
_CATALOG_SCHEMAS = frozenset({"information_schema", "system", "pg_catalog", "sys"})

# Functions that write, sleep, read files or the environment, or touch sequences. Matched on the
# lower-case name wherever the call sits (`system.sleep(1)` included); `read_`/`write_` cover
# DuckDB's whole family of file readers and writers.
_SIDE_EFFECT_FUNCTIONS = frozenset({
    "sleep", "pg_sleep", "sleep_ms", "getenv", "current_setting", "set_config", "nextval",
    "setval", "currval", "glob", "query", "query_table", "load", "install", "checkpoint",
    "force_checkpoint", "parquet_scan", "csv_scan", "json_scan", "sniff_csv", "system", "shell",
})
_SIDE_EFFECT_PREFIXES = ("read_", "write_", "pg_")


# sqlglot parses some constructs twice (as a type, then as a value), so nesting them costs
# exponential time: 14 nested `ARRAY[` took 3 s, 12 nested `MAP(ARRAY[` 100 s. The parser may
# step through the tokens at most this many times their number (the project's own queries need
# 1.0 to 1.25), which keeps every check in milliseconds.
_PARSE_STEPS_PER_TOKEN = 10
_PARSE_STEPS_MARGIN = 1_000
_TRINO = Dialect.get_or_raise(DIALECT)


# sqlglot writes SQL recursively, so a tree parsed just within Python's recursion limit may
# still be too deep to write for an engine (331 nested unary minus signs are); the project's
# own queries are at most 19 levels deep.
_MAX_DEPTH = 100


def _depth(query: exp.Expression) -> int:
    deepest, stack = 0, [(query, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.iter_expressions())
    return deepest


class _ParseBudgetExceeded(Exception):
    """Not a ParseError: sqlglot's speculative parses catch those and try another way."""


class _BoundedParser(_TRINO.parser_class):  # type: ignore[name-defined,misc]
    """The Trino dialect's parser, giving up past its budget of steps."""

    def __init__(self, budget: int) -> None:
        super().__init__(dialect=_TRINO)
        self.budget = self.steps_left = budget

    def _advance(self, times: int = 1) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise _ParseBudgetExceeded(
                f"parsing it takes more than {self.budget} steps (deep nesting, e.g. ARRAY[ARRAY[...]])"
            )
        super()._advance(times)


def _parse(sql: str) -> list[exp.Expression | None]:
    tokens = _TRINO.tokenize(sql)
    parser = _BoundedParser(_PARSE_STEPS_PER_TOKEN * len(tokens) + _PARSE_STEPS_MARGIN)
    return parser.parse(tokens, sql)


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def check_read_only(sql: str, allowed_relations: set[str]) -> exp.Query:
    """The parsed query, or ReadOnlyViolation saying exactly what is not allowed.

    `allowed_relations` lists every accepted spelling of a relation (`workouts`,
    `lake.workouts`, ...): a name is compared with its qualifiers, so `system.runtime.nodes`
    never passes as `nodes`."""
    try:
        # a trailing comment after the last ';' parses as an empty Semicolon statement
        statements = [
            s for s in _parse(sql) if s is not None and not isinstance(s, exp.Semicolon)
        ]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        raise ReadOnlyViolation(f"the SQL does not parse{where}: {first.get('description', exc)}") from exc
    except TokenError as exc:  # an unclosed quote or comment; the message quotes the SQL there
        raise ReadOnlyViolation(f"the SQL does not parse: {exc}") from exc
    except RecursionError as exc:  # e.g. thousands of nested parentheses
        raise ReadOnlyViolation("the SQL does not parse: nested too deeply") from exc
    except _ParseBudgetExceeded as exc:
        raise ReadOnlyViolation(f"the SQL is too complex to check: {exc}") from exc
    if len(statements) != 1:
        raise ReadOnlyViolation(f"expected exactly one statement, found {len(statements)}")
    query = statements[0]
    if not isinstance(query, exp.Query):
        raise ReadOnlyViolation(f"only SELECT queries are allowed, not {query.key.upper()}")
    if _depth(query) > _MAX_DEPTH:
        raise ReadOnlyViolation(f"the query nests expressions more than {_MAX_DEPTH} levels deep")
    for node in query.walk():
        if isinstance(node, _FORBIDDEN):
            raise ReadOnlyViolation(f"{node.key.upper()} is not allowed in a read-only query")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name in _SIDE_EFFECT_FUNCTIONS or name.startswith(_SIDE_EFFECT_PREFIXES):
                raise ReadOnlyViolation(
                    f"function {name}() has side effects or reaches outside the lake; not allowed"
                )
    cte_names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    allowed = {name.lower() for name in allowed_relations}
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise ReadOnlyViolation(f"table functions are not allowed: {table.sql(dialect=DIALECT)}")
        if table.name.lower() in cte_names and not table.db:
            continue
        name = ".".join(p for p in (table.catalog, table.db, table.name) if p).lower()
        if {table.catalog.lower(), table.db.lower()} & _CATALOG_SCHEMAS or (
            table.name.lower() in _CATALOG_SCHEMAS and name not in allowed
        ):
            raise ReadOnlyViolation(
                f"unknown relation '{table.sql(dialect=DIALECT)}': system catalogs and "
                "information_schema are not queryable"
            )
        if name not in allowed:
            raise ReadOnlyViolation(
                f"unknown relation '{table.sql(dialect=DIALECT)}'; allowed: {', '.join(sorted(allowed))}"
            )
    return query


def limit_rows(query: exp.Query, max_rows: int) -> exp.Query:
    """`query` returning at most `max_rows` rows: a LIMIT added, or a larger one lowered.

    Only the outermost LIMIT counts (an inner one bounds a subquery, not the answer), and it is
    rewritten in place rather than wrapping the query, because Trino drops the ORDER BY of a
    subquery and a wrapped top-10 would no longer be the top 10."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    limit = query.args.get("limit")
    if limit is None:
        return query.limit(max_rows)
    if isinstance(limit, exp.Fetch):
        options = limit.args.get("limit_options")
        if options is not None and options.args.get("percent"):
            raise ReadOnlyViolation("FETCH ... PERCENT cannot be bounded; use LIMIT n")
        count = limit.args.get("count")
        if count is None:  # FETCH FIRST ROW ONLY: one row
            return query
    else:
        count = limit.expression
    if isinstance(count, exp.Literal) and not count.is_string and count.this.isdigit():
        if int(count.this) <= max_rows:
            return query
    elif not (isinstance(count, exp.Var) and count.name.upper() == "ALL"):
        raise ReadOnlyViolation(f"the row limit must be a number, not {count.sql(dialect=DIALECT)}")
    query = query.copy()
    query.set("limit", exp.Limit(expression=exp.Literal.number(max_rows)))
    return query


def guard_generated(sql: str, allowed_relations: set[str], max_rows: int) -> exp.Query:
    """The checks of `check_read_only`, then the row limit: for SQL a translator wrote."""
    return limit_rows(check_read_only(sql, allowed_relations), max_rows)
