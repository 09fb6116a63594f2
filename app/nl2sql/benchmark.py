"""Execution accuracy of a translator on the benchmark (`app/nl2sql/questions.yaml`).

Each question's gold SQL and the translator's SQL run on the same serving engine; the answer is
right when the two results hold the same rows: as multisets, or in order when the question asks
for one (`ordered: true`); numbers equal within a relative tolerance of 1e-6 (engines sum in
different orders); the columns may come in another order, names do not matter. "I don't
understand" is a failure, counted apart from wrong answers and from SQL that failed to run.
The translators run with the file's `as_of` as "today" and its `person_id`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from app.nl2sql.ask import Asker
from app.nl2sql.errors import BenchmarkError, Nl2SqlError, NotUnderstood, TranslationFailed
from app.serving.query_service import QueryService
from biolake.errors import QueryError
from biolake.lake import Lake
from biolake.settings import BiolakeSettings

QUESTIONS = Path(__file__).with_name("questions.yaml")
REL_TOLERANCE = 1e-6
MAX_PERMUTED_COLUMNS = 6  # 720 column orders at most


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    sql: str  # empty for a question that must be declined
    ordered: bool = False
    decline: bool = False  # answering it at all is wrong (the weather, a vague question)


@dataclass(frozen=True)
class Benchmark:
    path: Path
    as_of: date
    person_id: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Outcome:
    question: Question
    status: str  # "correct" | "wrong" | "not_understood" | "error"
    detail: str = ""
    sql: str = ""


@dataclass
class Report:
    translator: str
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def share(self, status: str) -> float:
        return self.count(status) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def accuracy(self) -> float:
        return self.count("correct") / len(self.outcomes) if self.outcomes else 0.0

    def lines(self) -> Iterator[str]:
        total = len(self.outcomes)
        yield (
            f"{self.translator}: right {self.count('correct')}/{total} ({self.accuracy:.1%}), "
            f"wrong {self.count('wrong')} ({self.share('wrong'):.1%}), "
            f"declined {self.count('not_understood')} ({self.share('not_understood'):.1%}), "
            f"errors {self.count('error')}"
        )
        for status, title in (
            ("wrong", "wrong answers"),
            ("error", "SQL that failed"),
            ("not_understood", "declined"),
        ):
            failed = [o for o in self.outcomes if o.status == status]
            if failed:
                yield f"-- {title} ({len(failed)})"
            for o in failed:
                yield f"{o.question.id}: {o.question.question}\n    {o.detail}"


def load_benchmark(path: Path = QUESTIONS) -> Benchmark:
    """One benchmark file, or every `*.yaml` of a folder (they must share `as_of` and person)."""
    if path.is_dir():
        parts = [load_benchmark(p) for p in sorted(path.glob("*.yaml"))]
        if not parts:
            raise BenchmarkError(f"{path}: no benchmark files (*.yaml)")
        if len({(b.as_of, b.person_id) for b in parts}) > 1:
            raise BenchmarkError(f"{path}: the files disagree on as_of or person_id")
        questions = tuple(q for b in parts for q in b.questions)
        if len({q.id for q in questions}) != len(questions):
            raise BenchmarkError(f"{path}: a question id is used in two files")
        return Benchmark(path, parts[0].as_of, parts[0].person_id, questions)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BenchmarkError(f"{path}: cannot read the benchmark: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("as_of"), date):
        raise BenchmarkError(f"{path}: needs 'as_of' (a date) and 'questions'")
    questions, seen = [], set()
    for number, item in enumerate(data.get("questions") or [], start=1):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str)
            for k in ("id", "question") + (() if item.get("decline") else ("sql",))
        ):
            raise BenchmarkError(
                f"{path}: question #{number} needs 'id', 'question' and 'sql' strings "
                "(or 'decline: true')"
            )
        if item["id"] in seen:
            raise BenchmarkError(f"{path}: question id {item['id']!r} is used twice")
        seen.add(item["id"])
        questions.append(
            Question(
                item["id"],
                item["question"],
                str(item.get("sql") or ""),
                bool(item.get("ordered")),
                bool(item.get("decline")),
            )
        )
    if not questions:
        raise BenchmarkError(f"{path}: no questions")
    return Benchmark(path, data["as_of"], str(data.get("person_id", "me")), tuple(questions))


def _value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return tuple(_value(v) for v in value)
    return value


def _sort_key(row: tuple) -> tuple:
    # numbers rounded for sorting only (the comparison itself uses the tolerance)
    return tuple((0, round(v, 6)) if isinstance(v, float) else (1, repr(v)) for v in row)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-9) or (
            math.isnan(a) and math.isnan(b)
        )
    return a == b


def _rows_equal(gold: list[tuple], got: list[tuple], ordered: bool) -> bool:
    if len(gold) != len(got):
        return False
    if not ordered:
        gold, got = sorted(gold, key=_sort_key), sorted(got, key=_sort_key)
    return all(
        len(g) == len(o) and all(_equal(x, y) for x, y in zip(g, o, strict=True))
        for g, o in zip(gold, got, strict=True)
    )


def same_result(gold: list[list[Any]], got: list[list[Any]], ordered: bool) -> bool:
    """Execution accuracy's test: the same rows, whatever the column order and names."""
    gold_rows = [tuple(_value(v) for v in row) for row in gold]
    got_rows = [tuple(_value(v) for v in row) for row in got]
    if _rows_equal(gold_rows, got_rows, ordered):
        return True
    width = len(gold_rows[0]) if gold_rows else 0
    if not got_rows or len(got_rows[0]) != width or width > MAX_PERMUTED_COLUMNS:
        return False
    for order in itertools.permutations(range(width)):
        if _rows_equal(gold_rows, [tuple(row[i] for i in order) for row in got_rows], ordered):
            return True
    return False


def evaluate(
    settings: BiolakeSettings,
    lake: Lake,
    translator: str = "offline",
    benchmark: Benchmark | None = None,
    client: Any | None = None,
) -> Report:
    benchmark = benchmark or load_benchmark()
    update: dict[str, Any] = {"as_of": benchmark.as_of, "person_id": benchmark.person_id}
    if translator == "offline":
        update["anthropic_api_key"] = None
        client = None
    elif settings.anthropic_api_key is None and client is None:
        raise TranslationFailed("--translator claude needs BIOLAKE_ANTHROPIC_API_KEY")
    bench_settings = settings.model_copy(update=update)
    service = QueryService(bench_settings, lake, use_cache=False)
    asker = Asker(bench_settings, lake, service, client=client, fallback=False)
    report = Report(translator)
    for question in benchmark.questions:
        if question.decline:
            report.outcomes.append(_declined_rightly(asker, question))
            continue
        try:
            gold = service.query(question.sql)
        except QueryError as exc:
            raise BenchmarkError(
                f"{benchmark.path}: gold SQL of {question.id!r} failed: {exc}"
            ) from exc
        try:
            answer = asker.ask(question.question)
        except NotUnderstood as exc:
            report.outcomes.append(Outcome(question, "not_understood", str(exc)))
            continue
        except (Nl2SqlError, QueryError) as exc:
            report.outcomes.append(Outcome(question, "error", str(exc)))
            continue
        if same_result(gold.rows, answer.rows, question.ordered):
            report.outcomes.append(Outcome(question, "correct", sql=answer.sql))
        else:
            detail = (
                f"expected {gold.rows[:3]}{' ...' if len(gold.rows) > 3 else ''}, got "
                f"{answer.rows[:3]}{' ...' if len(answer.rows) > 3 else ''}; SQL: {answer.sql}"
            )
            report.outcomes.append(Outcome(question, "wrong", detail, answer.sql))
    return report


def _declined_rightly(asker: Asker, question: Question) -> Outcome:
    """A question that must be declined: declining is right, any answer is wrong."""
    try:
        answer = asker.ask(question.question)
    except NotUnderstood as exc:
        return Outcome(question, "correct", f"declined: {exc}")
    except (Nl2SqlError, QueryError) as exc:
        return Outcome(question, "error", str(exc))
    return Outcome(question, "wrong", f"answered a question it should decline; SQL: {answer.sql}")
