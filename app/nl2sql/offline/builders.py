"""The SQL builders: one function per family, turning a `Plan` into a sqlglot tree.

Every builder takes the plan and the `Scope` (whose rows, which "today") and returns a `Built`:
the tree, the gold view or table the answer relies on, and the answer sentence's template, whose
`{column}` fields are filled from the first row of the result (translation.py). `BUILDERS`, at
the end, maps each family name of planning.py to its builder. Identifiers come from the
vocabulary and values are sqlglot literals, so nothing from the question is pasted into SQL
text. The larger queries live in `app/nl2sql/templates/*.sql`, with placeholders for the
conditions and measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import sqlglot
from sqlglot import exp

from app.nl2sql.dates import Span
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.planning import AGGREGATE_WORDS, Plan, averages_period_totals
from app.nl2sql.offline.reading import CATEGORY_RELATIONS, Condition
from app.nl2sql.vocabulary import Metric

DIALECT = "trino"
TEMPLATES = Path(__file__).parents[1] / "templates"  # app/nl2sql/templates, shipped as package data
CORE = "daily_readiness_performance"
# how a count of groups is said: "7 days of the week of average readiness"
GROUP_NOUNS = {"day_of_week": "days of the week", "week": "weeks", "month": "months"}

# the tree, the relation the answer relies on, the answer sentence's template
Built = tuple[exp.Expression, str, str]


@dataclass(frozen=True)
class Scope:
    """What every builder needs besides the plan: whose rows, and the "today" of the question."""

    person_id: str
    as_of: date


Builder = Callable[[Plan, Scope], Built]


def _date(day: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), "date")


def _template(name: str, **values: exp.Expression) -> exp.Expression:
    # the header comment documents the template; the SQL shown to a person goes without it
    lines = (TEMPLATES / f"{name}.sql").read_text().splitlines()
    body = "\n".join(line for line in lines if not line.startswith("--"))
    tree = sqlglot.parse_one(body, read=DIALECT)
    return exp.replace_placeholders(tree, **values)


def _and(conditions: list[exp.Expression]) -> exp.Expression:
    return exp.and_(*conditions) if conditions else exp.true()


def _aggregate_sql(
    aggregate: str, metric: Metric, value: exp.Expression | None = None
) -> exp.Expression:
    value = value if value is not None else exp.column(metric.column)
    return {"avg": exp.Avg, "sum": exp.Sum, "max": exp.Max, "min": exp.Min, "stddev": exp.Stddev}[
        aggregate
    ](this=value)


def _observed(metric: Metric, table: str | None = None) -> exp.Expression:
    column = exp.column(metric.column, table=table)
    if metric.observed_when_positive:
        return exp.GT(this=column, expression=exp.Literal.number(0))
    return exp.not_(exp.Is(this=column, expression=exp.null()))


def _span_conditions(span: Span, day: exp.Expression) -> list[exp.Expression]:
    if span.first is None:
        return [exp.LTE(this=day.copy(), expression=_date(span.last))]
    if span.single_day:
        return [exp.EQ(this=day.copy(), expression=_date(span.last))]
    return [exp.Between(this=day.copy(), low=_date(span.first), high=_date(span.last))]


def _group_key(grouping: str) -> exp.Expression:
    if grouping == "day_of_week":
        return exp.DayOfWeekIso(this=exp.column("day"))
    return exp.cast(
        exp.TimestampTrunc(this=exp.column("day"), unit=exp.var(grouping.upper())), "date"
    )


def _view_bucket(readiness: list[Condition]) -> str | None:
    """The workout_type_optimization bucket a readiness condition names exactly, if any."""
    pairs = {(c.op, c.value) for c in readiness}
    if pairs == {("lt", 70)}:
        return "Low (<70)"
    if pairs in ({("ge", 85)}, {("gt", 84)}):
        return "High (85+)"
    if pairs == {("ge", 70), ("lt", 85)}:
        return "Medium (70-84)"
    return None



def _what(plan: Plan) -> str:
    word = AGGREGATE_WORDS[plan.aggregate]
    labels = " and ".join(m.label for m in plan.metrics)
    conditions = "".join(f", {c.describe()}" for c in plan.conditions)
    return f"{word} {labels} {plan.span.describe()}{conditions}"


def _base(plan: Plan, scope: Scope, table: str | None = None) -> list[exp.Expression]:
    """The conditions of every day-level query: the person, the span, the plan's conditions."""
    conditions: list[exp.Expression] = [
        exp.column("person_id", table=table).eq(exp.Literal.string(scope.person_id))
    ]
    conditions += _span_conditions(plan.span, exp.column("day", table=table))
    conditions += [c.sql(table) for c in plan.conditions]
    return conditions


def _relation(plan: Plan) -> str:
    """The view a count or list reads: the category view its condition names, else the core."""
    categories = {c.kind for c in plan.conditions if c.kind in CATEGORY_RELATIONS}
    if len(categories) > 1:
        raise NotUnderstood(
            "the question mixes overtraining risk and energy state days",
            'Ask about one at a time, e.g. "How many high risk days did I have?".',
        )
    return CATEGORY_RELATIONS[categories.pop()] if categories else CORE


def build_value(plan: Plan, scope: Scope) -> Built:
    """Measures on one day: "how well did I sleep last night"."""
    projections = [exp.column(m.column) for m in plan.metrics]
    tree = exp.select(*projections).from_(CORE).where(_and(_base(plan, scope)))
    values = " and ".join(f"{m.label} {{{m.column}}}{m.unit}" for m in plan.metrics)
    return tree, CORE, f"Your {values} on {plan.span.describe()}."


def build_latest(plan: Plan, scope: Scope) -> Built:
    """The latest observed value: "what is my readiness?"."""
    metric = plan.metrics[0]
    tree = (
        exp.select(exp.column("day"), exp.column(metric.column))
        .from_(CORE)
        .where(_and([*_base(plan, scope), _observed(metric)]))
        .order_by(exp.Ordered(this=exp.column("day"), desc=True))
        .limit(1)
    )
    return (
        tree,
        CORE,
        f"Your latest {metric.label} is {{{metric.column}}}{metric.unit} ({{day}}).",
    )


def build_aggregate(plan: Plan, scope: Scope) -> Built:
    """An aggregate over the span, optionally per week, month or weekday."""
    conditions = _base(plan, scope)
    projections: list[exp.Expression] = []
    names = []
    for metric in plan.metrics:
        name = f"{plan.aggregate}_{metric.column}"
        projections.append(exp.alias_(_aggregate_sql(plan.aggregate, metric), name))
        names.append(name)
        if plan.aggregate != "sum" and metric.observed_when_positive:
            conditions.append(
                exp.GT(this=exp.column(metric.column), expression=exp.Literal.number(0))
            )
    tree = exp.select(*projections).from_(CORE).where(_and(conditions))
    if averages_period_totals(plan):
        return _average_period_total(plan, scope)
    if plan.grouping:
        key = _group_key(plan.grouping)
        tree = (
            exp.select(
                exp.alias_(key, plan.grouping if plan.grouping != "week" else "week_start"),
                *projections,
            )
            .from_(CORE)
            .where(_and(conditions))
        )
        tree = tree.group_by(exp.Literal.number(1)).order_by(exp.Literal.number(1))
        return (
            tree,
            CORE,
            f"{{row_count}} {GROUP_NOUNS.get(plan.grouping, plan.grouping + 's')} of "
            + _what(plan) + ".",
        )
    values = " and ".join(f"{{{n}}}{m.unit}" for n, m in zip(names, plan.metrics, strict=True))
    return tree, CORE, f"Your {_what(plan)} was {values}."


def _average_period_total(plan: Plan, scope: Scope) -> Built:
    metric = plan.metrics[0]
    if plan.grouping == "week":
        return _average_weekly_total(plan, scope)
    totals = (
        exp.select(
            exp.alias_(_group_key(plan.grouping), "period"),
            exp.alias_(exp.Sum(this=exp.column(metric.column)), "total"),
        )
        .from_(CORE)
        .where(_and(_base(plan, scope)))
        .group_by(exp.Literal.number(1))
    )
    name = f"avg_{plan.grouping}ly_{metric.column}"
    tree = (
        exp.select(
            exp.alias_(exp.Avg(this=exp.column("total")), name),
            exp.alias_(exp.Count(this=exp.Star()), f"{plan.grouping}s"),
        )
        .from_(exp.alias_(totals.subquery(), "totals"))
    )
    return (
        tree,
        CORE,
        f"{{{name}}}{metric.unit} a {plan.grouping} on average, over {{{plan.grouping}s}} "
        f"{plan.grouping}s.",
    )


def _average_weekly_total(plan: Plan, scope: Scope) -> Built:
    """"Workouts per week on average": the span's total over its length in weeks (days / 7),
    so a span that starts or ends mid-week ("the last 6 weeks", March) counts part weeks as
    parts, not as whole weeks. With no start, the span starts on the first day with data."""
    metric = plan.metrics[0]
    first = (
        exp.cast(exp.Literal.string(plan.span.first.isoformat()), "date")
        if plan.span.first is not None
        else exp.Min(this=exp.column("day"))
    )
    last = exp.cast(exp.Literal.string(plan.span.last.isoformat()), "date")
    days = exp.Add(
        this=exp.DateDiff(this=last, expression=first, unit=exp.var("DAY")),
        expression=exp.Literal.number(1),
    )
    weeks = exp.paren(exp.Div(this=exp.cast(days, "double"), expression=exp.Literal.number(7)))
    name = f"avg_weekly_{metric.column}"
    tree = (
        exp.select(
            exp.alias_(exp.Div(this=exp.Sum(this=exp.column(metric.column)), expression=weeks), name),
            exp.alias_(exp.Round(this=weeks.copy(), decimals=exp.Literal.number(1)), "weeks"),
        )
        .from_(CORE)
        .where(_and(_base(plan, scope)))
    )
    return tree, CORE, f"{{{name}}}{metric.unit} a week on average, over {{weeks}} weeks."


def build_count(plan: Plan, scope: Scope) -> Built:
    """The number of days matching the conditions."""
    relation = _relation(plan)
    tree = (
        exp.select(exp.alias_(exp.Count(this=exp.Star()), "days"))
        .from_(relation)
        .where(_and(_base(plan, scope)))
    )
    what = ", ".join(c.describe() for c in plan.conditions) or "with data"
    return tree, relation, f"{{days}} days matched ({what}), {plan.span.describe()}."


def build_list(plan: Plan, scope: Scope) -> Built:
    """The days matching the conditions, with the measures they name."""
    relation = _relation(plan)
    projections = [exp.column("day")] + [exp.column(m.column) for m in plan.metrics]
    tree = (
        exp.select(*projections)
        .from_(relation)
        .where(_and(_base(plan, scope)))
        .order_by(exp.Ordered(this=exp.column("day")))
    )
    what = ", ".join(c.describe() for c in plan.conditions)
    return tree, relation, f"{{row_count}} days matched ({what}), {plan.span.describe()}."


def build_top(plan: Plan, scope: Scope) -> Built:
    """The top or bottom days of one measure."""
    metric = plan.metrics[0]
    conditions = [*_base(plan, scope), _observed(metric)]
    order = exp.Ordered(this=exp.column(metric.column), desc=plan.descending)
    tree = (
        exp.select(exp.column("day"), exp.column(metric.column))
        .from_(CORE)
        .where(_and(conditions))
        # "which day ... best": a tie goes to the latest day, as in the compositional reading;
        # a list of the top days shows tied days in calendar order
        .order_by(order, exp.Ordered(this=exp.column("day"), desc=plan.limit == 1))
        .limit(plan.limit)
    )
    which = "highest" if plan.descending else "lowest"
    return (
        tree,
        CORE,
        (
            f"Your {which} {metric.label} {plan.span.describe()} was "
            f"{{{metric.column}}}{metric.unit} on {{day}}."
        ),
    )


def build_compare_periods(plan: Plan, scope: Scope) -> Built:
    """One measure over two spans, side by side, and the change."""
    metric = plan.metrics[0]
    first, second = plan.spans
    values = []
    for span in (first, second):
        when = _span_conditions(span, exp.column("day"))
        if plan.aggregate != "sum" and metric.observed_when_positive:
            when.append(exp.GT(this=exp.column(metric.column), expression=exp.Literal.number(0)))
        case = exp.Case(ifs=[exp.If(this=_and(when), true=exp.column(metric.column))])
        values.append(_aggregate_sql(plan.aggregate, metric, case))
    change = exp.Sub(this=values[0].copy(), expression=values[1].copy())
    projections = [
        exp.alias_(values[0], "first_period"),
        exp.alias_(values[1], "second_period"),
        exp.alias_(change, "change"),
    ]
    low = min(s.first for s in plan.spans if s.first) if all(s.first for s in plan.spans) else None
    where = [exp.column("person_id").eq(exp.Literal.string(scope.person_id))]
    where += _span_conditions(Span(low, max(s.last for s in plan.spans), ""), exp.column("day"))
    where += [c.sql() for c in plan.conditions]
    tree = exp.select(*projections).from_(CORE).where(_and(where))
    word = "average" if plan.aggregate == "avg" else "total"
    return (
        tree,
        CORE,
        (
            f"Your {word} {metric.label} was {{first_period}}{metric.unit} "
            f"for {first.describe()} against {{second_period}}{metric.unit} "
            f"for {second.describe()} (a change of {{change}})."
        ),
    )


def build_compare_groups(plan: Plan, scope: Scope) -> Built:
    """One measure on workout against rest days, or weekends against weekdays."""
    metric = plan.metrics[0]
    conditions = _base(plan, scope)
    if plan.aggregate != "sum" and metric.observed_when_positive:
        conditions.append(exp.GT(this=exp.column(metric.column), expression=exp.Literal.number(0)))
    key = Condition(plan.grouping or "", value=True).sql()
    name = "workout_day" if plan.grouping == "had_workout" else "weekend"
    tree = (
        exp.select(
            exp.alias_(key, name),
            exp.alias_(_aggregate_sql(plan.aggregate, metric), f"{plan.aggregate}_{metric.column}"),
        )
        .from_(CORE)
        .where(_and(conditions))
        .group_by(exp.Literal.number(1))
        .order_by(exp.Literal.number(1))
    )
    groups = "workout days and rest days" if name == "workout_day" else "weekends and weekdays"
    return (
        tree,
        CORE,
        (
            f"Your {'average' if plan.aggregate == 'avg' else 'total'} {metric.label} "
            f"on {groups}, {plan.span.describe()}: see the two rows."
        ),
    )


def build_correlation(plan: Plan, scope: Scope) -> Built:
    """Two measures on the same day, or one against the next day's other."""
    if plan.next_day_metric is not None:
        first, second = plan.metrics[0], plan.next_day_metric
        conditions = [
            exp.column("person_id", table="d").eq(exp.Literal.string(scope.person_id)),
            *_span_conditions(plan.span, exp.column("day", table="d")),
            exp.LTE(this=exp.column("day", table="n"), expression=_date(scope.as_of)),
            _observed(first, "d"),
            _observed(second, "n"),
            *[c.sql("d") for c in plan.conditions],
        ]
        tree = _template(
            "correlation_next_day",
            conditions=_and(conditions),
            day_measure=exp.column(first.column, table="d"),
            next_day_measure=exp.column(second.column, table="n"),
        )
        return (
            tree,
            CORE,
            (
                f"The correlation between your {first.label} and the next day's "
                f"{second.label} is {{correlation}} over {{day_pairs}} pairs of days."
            ),
        )
    first, second = plan.metrics
    conditions = [*_base(plan, scope), _observed(first), _observed(second)]
    corr = exp.Corr(
        this=exp.cast(exp.column(first.column), "double"),
        expression=exp.cast(exp.column(second.column), "double"),
    )
    tree = (
        exp.select(exp.alias_(corr, "correlation"), exp.alias_(exp.Count(this=exp.Star()), "days"))
        .from_(CORE)
        .where(_and(conditions))
    )
    return (
        tree,
        CORE,
        (
            f"The correlation between your {first.label} and {second.label} is "
            f"{{correlation}} over {{days}} days."
        ),
    )


def build_trend(plan: Plan, scope: Scope) -> Built:
    """Change per week: the slope of a straight-line fit over the span."""
    metric = plan.metrics[0]
    origin = plan.span.first or date(2000, 1, 1)  # a slope does not depend on the origin
    x = exp.cast(
        exp.DateDiff(this=exp.column("day"), expression=_date(origin), unit=exp.var("DAY")),
        "double",
    )
    slope = exp.Mul(
        this=exp.RegrSlope(this=exp.cast(exp.column(metric.column), "double"), expression=x),
        expression=exp.Literal.number(7),
    )
    tree = (
        exp.select(
            exp.alias_(slope, "change_per_week"),
            exp.alias_(exp.Count(this=exp.column(metric.column)), "days"),
        )
        .from_(CORE)
        .where(_and([*_base(plan, scope), _observed(metric)]))
    )
    return (
        tree,
        CORE,
        (
            f"Your {metric.label} changed by {{change_per_week}}{metric.unit} per week "
            f"over {plan.span.describe()}, a straight-line fit over {{days}} days."
        ),
    )


def build_overtraining(plan: Plan, scope: Scope) -> Built:
    """The overtraining_risk view's rows over the span (the last 7 days by default)."""
    tree = _template("overtraining", conditions=_and(_base(plan, scope)))
    return (
        tree,
        "overtraining_risk",
        (
            "Your overtraining risk on {day} was {overtraining_risk} (readiness {readiness_score}, "
            "{workout_days_last_3} workout days in the last 3); the rows show "
            f"{plan.span.describe()}."
        ),
    )


def _latest_view_row(plan: Plan, scope: Scope, name: str, relation: str, sentence: str) -> Built:
    """Through the template `name`: the view's latest row on or before the span's last day."""
    conditions = [
        exp.column("person_id").eq(exp.Literal.string(scope.person_id)),
        exp.LTE(this=exp.column("day"), expression=_date(plan.span.last)),
    ]
    return _template(name, conditions=_and(conditions)), relation, sentence


def build_recommend(plan: Plan, scope: Scope) -> Built:
    """The latest workout recommendation on or before the day asked about."""
    return _latest_view_row(
        plan,
        scope,
        "recommendation_today",
        "workout_recommendations",
        "On {day}: {recommended_intensity}. {recommendation}",
    )


def build_energy(plan: Plan, scope: Scope) -> Built:
    """The latest energy state on or before the day asked about."""
    return _latest_view_row(
        plan,
        scope,
        "energy_today",
        "energy_state",
        "Your energy state on {day} is {energy_state}. {guidance}",
    )


def build_weekly_trend(plan: Plan, scope: Scope) -> Built:
    """The weekly_trends row of the week the span starts in."""
    monday = plan.span.last - timedelta(days=plan.span.last.weekday())
    if plan.span.first is not None:
        monday = plan.span.first - timedelta(days=plan.span.first.weekday())
    conditions = [
        exp.column("person_id").eq(exp.Literal.string(scope.person_id)),
        exp.column("week_start").eq(_date(monday)),
    ]
    return (
        _template("weekly_trend", conditions=_and(conditions)),
        "weekly_trends",
        (
            "The week of {week_start} was {trend}: readiness changed by {readiness_change} and "
            "output by {output_change_kj} kJ against the week before."
        ),
    )


def build_sleep_quality(plan: Plan, scope: Scope) -> Built:
    """The average next-day readiness or output per sleep quality class."""
    metric = plan.metrics[0]
    column = "next_day_readiness" if metric.column == "readiness_score" else "next_day_output_kj"
    conditions = [
        exp.column("person_id").eq(exp.Literal.string(scope.person_id)),
        *_span_conditions(plan.span, exp.column("next_day")),
    ]
    tree = _template(
        "sleep_quality_next_day",
        conditions=_and(conditions),
        next_day_measure=exp.column(column),
    )
    return (
        tree,
        "sleep_performance_prediction",
        (
            f"Your average next-day {metric.label} by sleep quality, {plan.span.describe()}: "
            "{row_count} classes."
        ),
    )


def build_best_type(plan: Plan, scope: Scope) -> Built:
    """Workout types ranked by average output at a readiness level: the view's bucket when the
    level is one of its buckets and no span was given, else computed over the span."""
    readiness = [c for c in plan.conditions if c.column == "readiness_score"]
    bucket = _view_bucket(readiness)
    if bucket is not None and not plan.explicit_span:
        conditions = [
            exp.column("person_id").eq(exp.Literal.string(scope.person_id)),
            exp.column("readiness_bucket").eq(exp.Literal.string(bucket)),
        ]
        tree = _template("best_workout_type_bucket", conditions=_and(conditions))
        relation = "workout_type_optimization"
    else:
        tree = _template("best_workout_type", conditions=_and(_base(plan, scope)))
        relation = CORE
    when = " and ".join(c.describe() for c in readiness)
    return (
        tree,
        relation,
        (
            f"With {when}, your best workout type by average output is "
            "{workout_type} ({avg_output_kj} kJ over {sample_days} days)."
        ),
    )


# every family planning.py can choose, and its builder
BUILDERS: dict[str, Builder] = {
    "value": build_value,
    "latest": build_latest,
    "aggregate": build_aggregate,
    "count": build_count,
    "list": build_list,
    "top": build_top,
    "compare_periods": build_compare_periods,
    "compare_groups": build_compare_groups,
    "correlation": build_correlation,
    "trend": build_trend,
    "overtraining": build_overtraining,
    "recommend": build_recommend,
    "energy": build_energy,
    "weekly_trend": build_weekly_trend,
    "sleep_quality": build_sleep_quality,
    "best_type": build_best_type,
}
