"""The compositional reading, step three: a `QueryPlan` built into SQL with sqlglot.

The SQL is sqlglot expressions with literals for values (the person, dates, thresholds);
identifiers come from the catalog only. Workouts are silver `workouts` without the Apple Health
copies (`countable_workouts`), nights the SpO2 and sleep-period relations, days the core table;
"the day after" joins the core table with itself one calendar day later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import sqlglot
from sqlglot import exp

from app.nl2sql.catalog import (
    BY_NAME,
    CORE,
    COUNTED_SLEEP_TYPES,
    DAY_WORKOUT_SUMS,
    DUPLICATE_WINDOW_S,
    NIGHT_ON_DAY,
    SLEEP_PERIODS,
    WORKOUT_IDENTITY,
    WORKOUT_LIST,
    WORKOUTS,
    Measure,
)
from app.nl2sql.dates import Span
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.compose_plan import Filter, QueryPlan
from app.nl2sql.offline.compose_planning import _suggestion
from app.nl2sql.offline.compose_reading import _Parts

DIALECT = "trino"
COUNTABLE = "countable_workouts"


def _lit_date(day: date) -> exp.Expression:
    return exp.cast(exp.Literal.string(day.isoformat()), "date")


def _span(span: Span, day: exp.Expression) -> exp.Expression:
    if span.first is None:
        return exp.LTE(this=day, expression=_lit_date(span.last))
    if span.single_day:
        return exp.EQ(this=day, expression=_lit_date(span.last))
    return exp.Between(this=day, low=_lit_date(span.first), high=_lit_date(span.last))


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def _filter_sql(f: Filter, entity: str, table: str | None = None) -> exp.Expression:
    if f.kind == "had_workout":
        return _col("had_workout", table) if f.value else exp.not_(_col("had_workout", table))
    if f.kind == "discipline":
        if entity == "workout":
            return _col("discipline", table).eq(exp.Literal.string(str(f.value)))
        return exp.ArrayContains(
            this=_col("disciplines", table), expression=exp.Literal.string(str(f.value))
        )
    if f.kind == "instructor":
        return _col("instructor", table).eq(exp.Literal.string(str(f.value)))
    if f.kind == "length":  # whole minutes, as the dashboard's personal bests group them
        minutes = exp.Round(this=_col("duration_min", table))
        return minutes.eq(exp.Literal.number(int(f.value)))  # type: ignore[call-overload]
    m = BY_NAME[f.measure]
    op = {"lt": exp.LT, "gt": exp.GT, "ge": exp.GTE, "le": exp.LTE}[f.op]
    return op(this=_measure_col(m, table), expression=exp.Literal.number(f.value))


def _countable_workouts(person: str) -> exp.Expression:
    """Silver workouts of the person without the Apple Health copies the core table skips (a
    start within DUPLICATE_WINDOW_S of another source's workout, local wall-clock time)."""
    sql = (
        "WITH local_workouts AS (SELECT *, date_parse(started_local, '%Y-%m-%d %H:%i') "
        f"AS local_start FROM {WORKOUTS} WHERE person_id = :person) "
        "SELECT * FROM local_workouts AS a WHERE a.source <> 'apple_health' OR NOT EXISTS ("
        "SELECT 1 FROM local_workouts AS o WHERE o.source <> 'apple_health' AND o.local_start "
        f"BETWEEN a.local_start - INTERVAL '{DUPLICATE_WINDOW_S}' SECOND "
        f"AND a.local_start + INTERVAL '{DUPLICATE_WINDOW_S}' SECOND)"
    )
    tree = sqlglot.parse_one(sql, read=DIALECT)
    return exp.replace_placeholders(tree, person=exp.Literal.string(person))


def _deep_sleep_days(person: str) -> exp.Select:
    hours = exp.Div(
        this=exp.Sum(this=_col("deep_sleep_s")), expression=exp.Literal.number("3600.0")
    )
    return (
        exp.select(_col("person_id"), _col("day"), exp.alias_(hours, "deep_sleep_hours"))
        .from_(SLEEP_PERIODS)
        .where(
            exp.and_(
                _col("person_id").eq(exp.Literal.string(person)),
                exp.In(
                    this=_col("type"),
                    expressions=[exp.Literal.string(t) for t in COUNTED_SLEEP_TYPES],
                ),
            )
        )
        .group_by(_col("person_id"), _col("day"))
    )


def _measure_col(m: Measure, table: str | None = None) -> exp.Expression:
    if m.name == "night.deep_sleep_hours":
        return _col("deep_sleep_hours", table)
    if m.divisor != 1:  # minutes asked in hours
        return exp.Div(
            this=exp.cast(_col(m.column, table), "double"),
            expression=exp.Literal.number(m.divisor),
        )
    return _col(m.column, table)


def _shown(m: Measure, table: str | None = None) -> exp.Expression:
    """The measure as an answer's column, named `m.output`."""
    value = _measure_col(m, table)
    return value if isinstance(value, exp.Column) and value.name == m.output else exp.alias_(
        value, m.output
    )


def _relation(plan: QueryPlan, person: str) -> tuple[str, exp.Expression | None]:
    """The relation the plan's rows come from, and the CTE that defines it (if any)."""
    if plan.entity == "workout":
        return COUNTABLE, _countable_workouts(person)
    if plan.entity == "night":
        measure = plan.measure or next(
            (BY_NAME[f.measure] for f in plan.filters if f.kind == "cmp"), None
        )
        if measure is None or measure.entity != "night":
            raise NotUnderstood("which night measure?", _suggestion(_Parts()))
        if measure.name == "night.deep_sleep_hours":
            return "deep_sleep", _deep_sleep_days(person)
        return measure.relation, None
    return CORE, None


def _agg(name: str, value: exp.Expression) -> exp.Expression:
    return {"avg": exp.Avg, "sum": exp.Sum, "max": exp.Max, "min": exp.Min}[name](this=value)


def _with(tree: exp.Select, name: str, cte: exp.Expression | None) -> exp.Select:
    return tree.with_(name, as_=cte) if cte is not None else tree


def _pct(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    return exp.Div(
        this=exp.Mul(this=exp.Literal.number(100), expression=exp.cast(numerator, "double")),
        expression=denominator,
    )


def build(plan: QueryPlan, person: str) -> tuple[exp.Expression, str, str]:
    """The SQL tree of a plan, the relation it relies on, and the answer's template."""
    if plan.aggregation == "corr":
        return _build_corr(plan, person)
    if plan.offset or plan.split_anchor:
        return _build_offset(plan, person)
    relation, cte = _relation(plan, person)
    person_is = _col("person_id").eq(exp.Literal.string(person))
    where = [person_is, _span(plan.span, _col("day"))]
    where += [_filter_sql(f, plan.entity) for f in plan.filters]
    m = plan.measure
    value = _measure_col(m) if m else None
    a = plan.aggregation
    if a in ("streak", "current_streak"):
        return _build_streak(plan, where, person)
    if plan.spans or plan.versus:
        return _build_versus(plan, person)
    if a == "share":
        population = [person_is, _span(plan.span, _col("day"))]
        population += [_filter_sql(f, plan.entity) for f in plan.within]
        if plan.entity == "workout":
            cond = exp.and_(*[_filter_sql(f, "workout") for f in plan.filters])
            tree = exp.select(
                exp.alias_(_pct(exp.CountIf(this=cond), exp.Count(this=exp.Star())), "pct")
            )
            tree = _with(tree.from_(relation).where(exp.and_(*population)), relation, cte)
            return tree, WORKOUTS, "{pct}% of your workouts."
        cond = exp.and_(*[_filter_sql(f, "day") for f in plan.filters])
        measured = [BY_NAME[f.measure] for f in plan.filters if f.kind == "cmp"]
        if measured:  # of the days that have the measure
            denominator: exp.Expression = exp.Count(this=_measure_col(measured[0]))
        elif plan.within:
            denominator = exp.Count(this=exp.Star())
        else:  # workouts: every calendar day of the span counts (no row, no workout)
            if plan.span.first is None:
                raise NotUnderstood(
                    "a share of days needs a time span", 'Add one, e.g. "in the last 90 days".'
                )
            denominator = exp.Literal.number(plan.span.days)
        rel = (
            "oura_daily_spo2"
            if any(
                BY_NAME.get(f.measure) and BY_NAME[f.measure].entity == "night"
                for f in plan.filters
            )
            else CORE
        )
        tree = (
            exp.select(exp.alias_(_pct(exp.CountIf(this=cond), denominator), "pct"))
            .from_(rel)
            .where(exp.and_(*population))
        )
        return tree, rel, "{pct}% of the days."
    if a == "since":  # whole days from the latest matching day to today (0: today)
        latest = exp.Max(this=_col("day"))
        days = exp.DateDiff(this=_lit_date(plan.span.last), expression=latest, unit=exp.var("DAY"))
        tree = exp.select(exp.alias_(days, "days_since"), exp.alias_(latest.copy(), "day"))
        tree = _with(tree.from_(relation).where(exp.and_(*where)), relation, cte)
        return tree, relation, "{days_since} days, since {day}."
    if a in ("last", "first"):
        if plan.entity == "day":
            shown = [_col("day")] + [
                _shown(BY_NAME[f.measure]) for f in plan.filters if f.kind == "cmp"
            ]
            if len(shown) == 1:
                tree = exp.select(
                    exp.alias_((exp.Max if a == "last" else exp.Min)(this=_col("day")), "day")
                )
                tree = tree.from_(relation).where(exp.and_(*where))
            else:
                tree = (
                    exp.select(*shown)
                    .from_(relation)
                    .where(exp.and_(*where))
                    .order_by(exp.Ordered(this=_col("day"), desc=a == "last"))
                    .limit(1)
                )
            return (
                tree,
                relation,
                "The " + ("latest" if a == "last" else "first") + " such day: {day}.",
            )
        if plan.entity == "night":
            raise NotUnderstood("'when did I last' about a night measure", _suggestion(_Parts()))
        tree = exp.select(
            exp.alias_((exp.Max if a == "last" else exp.Min)(this=_col("day")), "day")
        )
        tree = _with(tree.from_(relation).where(exp.and_(*where)), relation, cte)
        return tree, WORKOUTS, "On {day}."
    if a == "list":
        shown = [_col(c) for c in WORKOUT_LIST]
        if plan.other is not None and plan.other.column not in WORKOUT_LIST:
            shown.append(_shown(plan.other))  # "my last 3 rides' output"
        tree = exp.select(*shown).from_(relation).where(exp.and_(*where))
        if plan.limit:  # the latest (or first) N, newest first
            tree = tree.order_by(exp.Ordered(this=_col("started_at"), desc=plan.descending))
            tree = tree.limit(plan.limit)
        else:
            tree = tree.order_by(_col("started_at"))
        return _with(tree, relation, cte), WORKOUTS, "{row_count} workouts."
    if a == "rank":
        assert m is not None
        if plan.entity == "workout":
            shown = [_col(c) for c in WORKOUT_IDENTITY] + [_shown(m)]
            if plan.other is not None:
                shown.append(_shown(plan.other))
            tiebreak = _col("started_at")
        else:
            shown = [_col("day"), _shown(m)]
            tiebreak = _col("day")
        where.append(exp.not_(exp.Is(this=value.copy(), expression=exp.null())))
        tree = (
            exp.select(*shown)
            .from_(relation)
            .where(exp.and_(*where))
            .order_by(
                exp.Ordered(this=value.copy(), desc=plan.descending),
                exp.Ordered(this=tiebreak, desc=True),
            )
            .limit(plan.limit or 1)
        )
        tree = _with(tree, relation, cte)
        return tree, m.relation, f"{{day}}: {{{m.output}}}{m.unit}."
    if plan.grouping:
        key = {
            "weekday": exp.alias_(exp.DayOfWeekIso(this=_col("day")), "weekday"),
            "month": exp.alias_(
                exp.cast(exp.TimestampTrunc(this=_col("day"), unit=exp.var("MONTH")), "date"),
                "month",
            ),
            "week": exp.alias_(  # the week's Monday
                exp.cast(exp.TimestampTrunc(this=_col("day"), unit=exp.var("WEEK")), "date"),
                "week",
            ),
            "instructor": _col("instructor"),
            "discipline": _col("discipline"),
        }[plan.grouping]
        if plan.grouping == "instructor":
            where.append(exp.not_(exp.Is(this=_col("instructor"), expression=exp.null())))
        if a == "count":
            counted = "workout_days" if plan.entity == "day" else "workouts"
            metric = exp.alias_(
                exp.CountIf(this=_col("had_workout")) if plan.entity == "day"
                else exp.Count(this=exp.Star()),
                counted,
            )
            one_group = f"{{{plan.grouping}}}: {{{counted}}} {counted.replace('_', ' ')}."
        else:
            assert value is not None and m is not None
            if m.observed_when_positive and a != "sum":
                where.append(exp.GT(this=value.copy(), expression=exp.Literal.number(0)))
            metric = exp.alias_(_agg(a, value), f"{a}_{m.output}")
            one_group = f"{{{plan.grouping}}}: {{{a}_{m.output}}}{m.unit}."
        tree = (
            exp.select(key, metric)
            .from_(relation)
            .where(exp.and_(*where))
            .group_by(exp.Literal.number(1))
        )
        if plan.limit:
            tree = tree.order_by(
                exp.Ordered(this=exp.Literal.number(2), desc=plan.descending),
                exp.Ordered(this=exp.Literal.number(1)),
            ).limit(plan.limit)
        else:
            tree = tree.order_by(exp.Literal.number(1))
        # "which weekday ...": the one group and its value; otherwise how many groups there are
        template = one_group if plan.limit == 1 else f"{{row_count}} {plan.grouping}s."
        return _with(tree, relation, cte), relation, template
    if a == "count":
        tree = (
            exp.select(exp.alias_(exp.Count(this=exp.Star()), "count"))
            .from_(relation)
            .where(exp.and_(*where))
        )
        noun = {"workout": "workouts", "night": "nights"}.get(plan.entity, "days")
        return _with(tree, relation, cte), relation, f"{{count}} {noun}."
    assert value is not None and m is not None
    if a == "value":
        tree = exp.select(_shown(m)).from_(relation).where(exp.and_(*where))
        return _with(tree, relation, cte), relation, f"{{{m.output}}}{m.unit}."
    if m.observed_when_positive and a != "sum":
        where.append(exp.GT(this=value.copy(), expression=exp.Literal.number(0)))
    name = f"{a}_{m.output}"
    metric = _agg(a, value)
    if a == "sum" and (plan.entity == "workout" or m.name in DAY_WORKOUT_SUMS):
        # no workout in the span is 0 minutes or kJ, not "no data"; on the core table only
        # when the span has days at all
        metric = exp.Coalesce(this=metric, expressions=[exp.Literal.number(0)])
        if plan.entity != "workout":
            metric = exp.If(
                this=exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)),
                true=metric,
            )
    tree = exp.select(exp.alias_(metric, name)).from_(relation).where(exp.and_(*where))
    return _with(tree, relation, cte), relation, f"{{{name}}}{m.unit}."


def _build_streak(
    plan: QueryPlan, where: list[exp.Expression], person: str
) -> tuple[exp.Expression, str, str]:
    # consecutive days share one island: the day minus its rank among the matching days
    island = sqlglot.parse_one(
        "date_add('day', -row_number() OVER (ORDER BY day), day)", read=DIALECT
    )
    runs = exp.select(_col("day"), exp.alias_(island, "island")).from_(CORE).where(exp.and_(*where))
    grouped = (
        exp.select(
            _col("island"),
            exp.alias_(exp.Count(this=exp.Star()), "days"),
            exp.alias_(exp.Max(this=_col("day")), "last_day"),
        )
        .from_("runs")
        .group_by(_col("island"))
    )
    tree = exp.select(
        exp.alias_(
            exp.Coalesce(this=exp.Max(this=_col("days")), expressions=[exp.Literal.number(0)]),
            "days",
        )
    ).from_("streaks")
    if plan.aggregation == "current_streak":
        today = plan.span.last
        ends = exp.GTE(this=_col("last_day"), expression=_lit_date(today - timedelta(days=1)))
        nights = [BY_NAME[f.measure] for f in plan.filters
                  if f.kind == "cmp" and f.measure in NIGHT_ON_DAY]
        if nights:
            # today's row holds last night, which is over: a run that stopped yesterday is
            # broken unless today has no sleep yet (a day's steps or workout may still come)
            slept_today = exp.Exists(
                this=exp.select(exp.Literal.number(1)).from_(CORE).where(exp.and_(
                    _col("person_id").eq(exp.Literal.string(person)),
                    _col("day").eq(_lit_date(today)),
                    *[exp.not_(exp.Is(this=_col(m.column), expression=exp.null())) for m in nights],
                ))
            )
            ends = exp.and_(ends, exp.or_(_col("last_day").eq(_lit_date(today)),
                                          exp.not_(slept_today)))
        tree = tree.where(ends)
    tree = tree.with_("runs", as_=runs).with_("streaks", as_=grouped)
    return tree, CORE, "{days} days."


def _pair(person: str, days: int = 1) -> tuple[exp.Select, str, str]:
    """The core table joined with itself `days` calendar days later: s (the day) and n (the
    later one)."""
    on = exp.and_(
        _col("person_id", "n").eq(_col("person_id", "s")),
        _col("day", "n").eq(
            exp.Add(
                this=_col("day", "s"),
                expression=exp.Interval(this=exp.Literal.string(str(days)), unit=exp.var("DAY")),
            )
        ),
    )
    tree = (
        exp.select()
        .from_(exp.alias_(exp.to_table(CORE), "s", table=True))
        .join(exp.alias_(exp.to_table(CORE), "n", table=True), on=on)
    )
    return tree, "s", "n"


def _build_offset(plan: QueryPlan, person: str) -> tuple[exp.Expression, str, str]:
    m = plan.measure
    if m is None or m.entity != "day":
        raise NotUnderstood("the day after or before: of which day measure?", _suggestion(_Parts()))
    tree, s, n = _pair(person, abs(plan.offset) or 1)
    anchor_t, target_t = (s, n) if plan.offset >= 0 else (n, s)
    where = [_col("person_id", s).eq(exp.Literal.string(person)), _span(plan.span, _col("day", n))]
    where += [_filter_sql(f, "day", anchor_t) for f in plan.anchor]
    where += [_filter_sql(f, "day", target_t) for f in plan.filters]
    value = _measure_col(m, target_t)
    if m.observed_when_positive and plan.aggregation != "sum":
        where.append(exp.GT(this=value.copy(), expression=exp.Literal.number(0)))
    if plan.aggregation not in ("avg", "sum", "min", "max"):
        raise NotUnderstood("the day after or before: which aggregate?", _suggestion(_Parts()))
    metric = exp.alias_(_agg(plan.aggregation, value), f"{plan.aggregation}_{m.output}")
    if plan.split_anchor:
        tree = (
            tree.select(_col("had_workout", anchor_t), metric)
            .where(exp.and_(*where))
            .group_by(exp.Literal.number(1))
        )
        return tree, CORE, "{row_count} groups."
    tree = tree.select(metric).where(exp.and_(*where))
    return tree, CORE, f"{{{plan.aggregation}_{m.output}}}{m.unit}."


def _build_versus(plan: QueryPlan, person: str) -> tuple[exp.Expression, str, str]:
    m = plan.measure
    assert m is not None
    sides = []
    if plan.spans:
        for span in plan.spans:
            sides.append((span, plan.filters))
    else:
        sides = [(plan.span, plan.filters), (plan.span, plan.versus)]
    ctes = []
    for name, (span, filters) in zip(("a", "b"), sides, strict=True):
        where = [_col("person_id").eq(exp.Literal.string(person)), _span(span, _col("day"))]
        where += [_filter_sql(f, "day") for f in filters]
        if m.observed_when_positive and plan.aggregation != "sum":
            where.append(exp.GT(this=_measure_col(m), expression=exp.Literal.number(0)))
        ctes.append(
            (
                name,
                exp.select(exp.alias_(_agg(plan.aggregation, _measure_col(m)), "v"))
                .from_(CORE)
                .where(exp.and_(*where)),
            )
        )
    tree = (
        exp.select(
            exp.alias_(_col("v", "a"), "first"),
            exp.alias_(_col("v", "b"), "second"),
            exp.alias_(exp.Sub(this=_col("v", "a"), expression=_col("v", "b")), "difference"),
        )
        .from_("a")
        .join("b", join_type="cross")
    )
    for name, cte in ctes:
        tree = tree.with_(name, as_=cte)
    return tree, CORE, f"{{first}}{m.unit} against {{second}}{m.unit}."


def _build_corr(plan: QueryPlan, person: str) -> tuple[exp.Expression, str, str]:
    m, o = plan.measure, plan.other
    assert m is not None and o is not None
    dbl = lambda e: exp.cast(e, "double")  # noqa: E731
    if m.entity == "night":
        relation, cte = _relation(replace(plan, entity="night"), person)
        x = _measure_col(m, "x")
        tree = exp.select(
            exp.alias_(exp.func("corr", dbl(x), dbl(_col(o.column, "g"))), "correlation"),
            exp.alias_(exp.Count(this=exp.Star()), "days"),
        )
        tree = tree.from_(exp.alias_(exp.to_table(relation), "x", table=True)).join(
            exp.alias_(exp.to_table(CORE), "g", table=True),
            on=exp.and_(
                _col("person_id", "g").eq(_col("person_id", "x")),
                _col("day", "g").eq(_col("day", "x")),
            ),
        )
        where = [
            _col("person_id", "x").eq(exp.Literal.string(person)),
            _span(plan.span, _col("day", "x")),
            exp.not_(exp.Is(this=x.copy(), expression=exp.null())),
            exp.not_(exp.Is(this=_col(o.column, "g"), expression=exp.null())),
        ]
        tree = _with(tree.where(exp.and_(*where)), relation, cte)
        return tree, relation, "Correlation {correlation} over {days} days."
    if not plan.other_offset:
        x, y = _col(m.column), _col(o.column)
        where = [_col("person_id").eq(exp.Literal.string(person)), _span(plan.span, _col("day"))]
        for measure, column in ((m, x), (o, y)):
            if measure.observed_when_positive:
                where.append(exp.GT(this=column.copy(), expression=exp.Literal.number(0)))
            else:
                where.append(exp.not_(exp.Is(this=column.copy(), expression=exp.null())))
        tree = (
            exp.select(
                exp.alias_(exp.func("corr", dbl(x), dbl(y)), "correlation"),
                exp.alias_(exp.Count(this=exp.Star()), "days"),
            )
            .from_(CORE)
            .where(exp.and_(*where))
        )
        return tree, CORE, "Correlation {correlation} over {days} days."
    # day measures: the other measure the day before (p) against this one on the day (n)
    tree, p, n = _pair(person)
    x, y = _col(o.column, p), _col(m.column, n)
    where = [_col("person_id", p).eq(exp.Literal.string(person)), _span(plan.span, _col("day", n))]
    for measure, column in ((o, x), (m, y)):
        if measure.observed_when_positive:
            where.append(exp.GT(this=column.copy(), expression=exp.Literal.number(0)))
        else:
            where.append(exp.not_(exp.Is(this=column.copy(), expression=exp.null())))
    tree = tree.select(
        exp.alias_(exp.func("corr", dbl(x), dbl(y)), "correlation"),
        exp.alias_(exp.Count(this=exp.Star()), "days"),
    ).where(exp.and_(*where))
    return tree, CORE, "Correlation {correlation} over {days} days."
