"""`biolake ask`: a question in, one sentence and the rows out.

Claude translates when an API key is set (or a client is given); the offline translator answers
otherwise, and whenever Claude fails: an API error, no usable tool call, SQL the guard refuses,
or SQL the engine still rejects after the one repair round. Every SQL, whoever wrote it, passes
`guard_generated` (one SELECT over the gold views and lake tables, capped rows) and then runs
through `QueryService` as the read-only user. A refused SQL is never executed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from app.nl2sql.cache import TranslationCache, cache_key
from app.nl2sql.catalog import WORKOUTS
from app.nl2sql.claude import ClaudeTranslator, make_client
from app.nl2sql.errors import Nl2SqlError, NotUnderstood, TranslationFailed
from app.nl2sql.offline import OfflineTranslator
from app.nl2sql.prompt import load_examples, prompt_fingerprint, system_prompt
from app.nl2sql.schema import LiveSchema, data_context, load_schema
from app.nl2sql.translation import Translation, render_answer
from app.serving.engines.base import QueryResult
from app.serving.query_service import QueryService
from app.serving.sql_guard import DIALECT, guard_generated
from biolake.errors import QueryError, QueryTimeoutError, ReadOnlyViolation
from biolake.lake import Lake
from biolake.settings import BiolakeSettings


@dataclass(frozen=True)
class Answer:
    question: str
    translator: str  # who wrote the SQL that ran: "claude" or "offline"
    sql: str  # the guarded Trino SQL that ran
    columns: list[str]
    rows: list[list[Any]]
    engine: str
    elapsed_ms: int
    cache_hit: bool  # the translation came from the NL-to-SQL cache (no model request)
    answer: str  # one sentence
    relation: str
    rationale: str
    result_cached: bool = False  # the rows came from the query result cache
    fallback_reason: str | None = None  # why Claude's answer was not used
    interpretation: str = ""  # the question as understood, a plain sentence (shown above it)

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "translator": self.translator,
            "sql": self.sql,
            "columns": self.columns,
            "rows": self.rows,
            "engine": self.engine,
            "elapsed_ms": self.elapsed_ms,
            "cache_hit": self.cache_hit,
            "result_cached": self.result_cached,
            "relation": self.relation,
            "rationale": self.rationale,
            "interpretation": self.interpretation,
            "fallback_reason": self.fallback_reason,
        }


class Asker:
    """Answers questions for one person against one lake and serving engine."""

    def __init__(
        self,
        settings: BiolakeSettings,
        lake: Lake,
        service: QueryService | None = None,
        *,
        client: Any | None = None,
        run_query: Callable[[str], QueryResult] | None = None,
        fallback: bool = True,
    ) -> None:
        self._settings = settings
        self._lake = lake
        self._service = service or QueryService(settings, lake)
        self._run = run_query or self._service.query
        self._client = client
        self._fallback = fallback
        self._schema: LiveSchema | None = None
        self._instructors: tuple[str, ...] | None = None
        self._cache = TranslationCache(settings.home.expanduser() / "cache" / "nl2sql")

    @property
    def uses_claude(self) -> bool:
        return self._client is not None or self._settings.anthropic_api_key is not None

    @property
    def schema(self) -> LiveSchema:
        if self._schema is None:
            self._schema = load_schema(self._service.engine, self._lake)
        return self._schema

    def ask(self, question: str) -> Answer:
        started = time.perf_counter()
        if not question.strip():
            raise NotUnderstood(
                "the question is empty",
                'Ask for example "What was my average readiness score last week?"',
            )
        reason = None
        if self.uses_claude:
            try:
                return self._ask_claude(question, started)
            except QueryTimeoutError:
                raise  # the answer's query ran past the timeout: said as such, not retried
            except (TranslationFailed, QueryError) as exc:
                if not self._fallback:
                    raise
                reason = f"claude: {exc}"
        try:
            translation = self._translate_offline(question)
        except NotUnderstood as exc:
            if reason:
                raise Nl2SqlError(f"{reason}; and the offline translator: {exc}") from exc
            raise
        sql, result = self._execute(translation)
        return self._answer(question, translation, sql, result, started, False, reason)

    # -- offline ---------------------------------------------------------------------------------
    def _translate_offline(self, question: str) -> Translation:
        """Without the instructor names first; only a question it does not understand then
        looks the person's instructors up (one small query) and is read again with them."""
        settings = self._settings
        try:
            return OfflineTranslator(settings.today, settings.person_id).translate(question)
        except NotUnderstood:
            names = self._instructor_names()
            if not names:
                raise
        return OfflineTranslator(settings.today, settings.person_id, names).translate(question)

    def _instructor_names(self) -> tuple[str, ...]:
        """The instructors of the person's workouts, as stored (none without a workouts table).
        A lookup, not an answer: it runs on the service, not through `run_query`."""
        if self._instructors is None:
            self._instructors = ()
            if WORKOUTS in self.schema.allowed_relations:
                lookup = (
                    exp.select("instructor").distinct().from_(WORKOUTS)
                    .where(exp.and_(
                        exp.column("person_id").eq(exp.Literal.string(self._settings.person_id)),
                        exp.column("instructor").is_(exp.null()).not_(),
                    ))
                )
                sql = guard_generated(
                    lookup.sql(dialect=DIALECT), set(self.schema.allowed_relations), 10_000
                ).sql(dialect=DIALECT)
                self._instructors = tuple(str(row[0]) for row in self._service.query(sql).rows)
        return self._instructors

    # -- Claude ----------------------------------------------------------------------------------
    def _ask_claude(self, question: str, started: float) -> Answer:
        settings, schema = self._settings, self.schema
        examples = load_examples()
        key = cache_key(
            question,
            schema=schema.version,
            prompt=prompt_fingerprint(examples),
            model=settings.anthropic_model,
            as_of=settings.today.isoformat(),
            person=settings.person_id,
            share=settings.nl2sql_share_data,
        )
        cached = self._cache.get(key)
        if cached is not None:
            sql, result = self._execute(cached)
            return self._answer(question, cached, sql, result, started, True, None)
        data = data_context(schema, settings.nl2sql_share_data, settings.person_id, self._run)
        system = system_prompt(schema, settings.today, settings.person_id, examples, data)
        client = self._client if self._client is not None else make_client(settings)
        translator = ClaudeTranslator(client, settings.anthropic_model, system)
        translation = translator.translate(question)
        try:
            sql, result = self._execute(translation)
        except (ReadOnlyViolation, QueryTimeoutError):
            raise  # refused, never run, or stopped at the timeout: not worth a repair
        except QueryError as exc:
            translation = translator.repair(question, str(exc))
            sql, result = self._execute(translation)
        self._cache.put(key, translation)
        return self._answer(question, translation, sql, result, started, False, None)

    # -- shared ----------------------------------------------------------------------------------
    def _execute(self, translation: Translation) -> tuple[str, QueryResult]:
        guarded = guard_generated(
            translation.sql, set(self.schema.allowed_relations), self._settings.nl2sql_max_rows
        )
        sql = guarded.sql(dialect=DIALECT)
        return sql, self._run(sql)

    def _answer(
        self,
        question: str,
        translation: Translation,
        sql: str,
        result: QueryResult,
        started: float,
        cache_hit: bool,
        reason: str | None,
    ) -> Answer:
        return Answer(
            question=question,
            translator=translation.translator,
            sql=sql,
            columns=result.columns,
            rows=result.rows,
            engine=result.engine,
            elapsed_ms=round((time.perf_counter() - started) * 1000),
            cache_hit=cache_hit,
            answer=render_answer(translation.answer_template, result.columns, result.rows),
            relation=translation.relation,
            rationale=translation.rationale,
            result_cached=result.cached,
            fallback_reason=reason,
            interpretation=translation.interpretation or translation.rationale,
        )
