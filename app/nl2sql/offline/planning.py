"""Planning: which family a read question belongs to, and that family's parameters.

The second half of understanding. `choose` looks at what `read` claimed (the cue words, the
measures, the spans, the conditions) and settles on one family with its measures, span,
aggregate, grouping and limits: a `Plan`, which the SQL builders (builders.py) turn into SQL
without looking at the question again. The order of the checks is the precedence between
families: "am I overtraining" wins over everything, a correlation over a comparison, a
comparison over a trend, and so on down to a plain aggregate. A question that fits no family,
or a family without what it needs, raises `NotUnderstood` with a phrasing that would work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from app.nl2sql.catalog import DAY_WORKOUT_SUMS, HABITUAL
from app.nl2sql.dates import Span
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.reading import CATEGORY_RELATIONS, Condition, Reading, read
from app.nl2sql.vocabulary import METRIC_BY_COLUMN, Metric

# offered when a question is not understood, and as buttons on the dashboard's Ask tab
EXAMPLE_QUESTIONS = (
    "What was my average readiness score last week?",
    "How many days did I work out in March?",
    "Show me days where my readiness dropped below 70",
    "What's the correlation between my sleep and readiness?",
    "Am I overtraining?",
)
TREND_WINDOW_DAYS = 30  # "is my readiness improving?" without a span looks at the last 30 days
OVERTRAINING_WINDOW_DAYS = 7
# "when was my best ...", "which day ...": the one top day, not five
_SINGULAR_TOP = re.compile(
    r"\bwhen (?:did|was|were)\b|\b(?:which|what) (?:day|night|date)\b|\b(?:day|night)\b"
    r"|\band when\b|\bwhen\W*$"  # "my lowest readiness this year, and when?"
)

# how an aggregate reads in a sentence (the answers and the interpretation line)
AGGREGATE_WORDS = {
    "avg": "average",
    "sum": "total",
    "max": "highest",
    "min": "lowest",
    "stddev": "standard deviation of",
}


@dataclass(frozen=True)
class Plan:
    """A question understood: which family, over which days, with which measures."""

    family: str
    span: Span
    explicit_span: bool
    conditions: tuple[Condition, ...]
    metrics: tuple[Metric, ...] = ()
    aggregate: str = "avg"
    grouping: str | None = None
    limit: int = 5
    descending: bool = True
    spans: tuple[Span, ...] = ()
    next_day_metric: Metric | None = None
    # "how many steps did I average per week": one number, the total over the span's weeks
    period_totals: bool = False


def plan_question(question: str, as_of: date) -> Plan:
    """The question read and planned, with `as_of` as its "today".

    Raises `NotUnderstood` when a word is not understood, or when no family fits.
    """
    reading = read(question, as_of)
    unknown = reading.unknown_words()
    if unknown:
        raise NotUnderstood(
            f"I don't know what {', '.join(repr(w) for w in unknown)} means here",
            suggestion(reading),
        )
    return choose(reading, as_of)


def suggestion(reading: Reading) -> str:
    """A phrasing the translator does know, offered with every "I don't understand"."""
    if reading.metrics:
        label = reading.metrics[0].metric.label
        return (
            f'Try for example "What was my average {label} in the last 30 days?" or '
            f'"Show me my best {label} days".'
        )
    return (
        "I answer questions about readiness, sleep, HRV, resting heart rate, steps, "
        "calories and workouts, for example: " + "; ".join(f'"{q}"' for q in EXAMPLE_QUESTIONS)
    )


def choose(r: Reading, as_of: date) -> Plan:
    """The family of a read question and its parameters; `NotUnderstood` when none fits."""
    spans = [d.span for d in r.dates]
    explicit = bool(spans)
    span = spans[0] if spans else Span(None, as_of, "so far")
    conditions = tuple(r.conditions)
    metrics = tuple(m.metric for m in r.metrics)
    thresholds = [c for c in conditions if c.kind == "threshold"]

    def plan(family: str, **kwargs) -> Plan:
        return Plan(family, kwargs.pop("span", span), explicit, conditions, **kwargs)

    if any(c.kind == "discipline" for c in conditions) and any(
        c.kind == "threshold" and c.column in DAY_WORKOUT_SUMS for c in conditions
    ):
        # "days when I rode more than 45 minutes": a day's minutes add up all its workouts
        raise NotUnderstood(
            "a day's workout minutes, output and calories add up all its workouts, not just "
            "one kind",
            'Ask about the workouts, e.g. "How many rides over 45 minutes did I do?", or about '
            'the day, e.g. "average resting heart rate on days with more than 45 workout '
            'minutes".',
        )
    weekdays = {c.value for c in conditions if c.kind == "day_of_week"}
    if len(weekdays) > 1:  # "Fridays vs Saturdays": no day is both
        raise NotUnderstood(
            "two weekdays at once; I compare them by weekday",
            'Ask e.g. "What is my average sleep score by weekday?".',
        )

    if r.cue("overtraining"):
        if not explicit:
            span = Span(
                as_of - timedelta(days=OVERTRAINING_WINDOW_DAYS - 1),
                as_of,
                f"the last {OVERTRAINING_WINDOW_DAYS} days",
            )
        return plan("overtraining", span=span)
    readiness_conditions = [c for c in thresholds if c.column == "readiness_score"]
    if r.cue("best_type") or (r.cue("recommend") and readiness_conditions):
        if not readiness_conditions or len(thresholds) != len(conditions):
            raise NotUnderstood(
                "I rank workout types for a readiness level, and none was given",
                'Try "What\'s the best workout type when my readiness is below 70?".',
            )
        return plan("best_type")
    if r.cue("recommend"):
        return plan("recommend")
    if r.cue("energy"):
        return plan("energy")
    if r.cue("sleep_quality"):
        nexts = [m for m in metrics if m.column in ("readiness_score", "total_output_kj")]
        return plan(
            "sleep_quality", metrics=tuple(nexts[:1]) or (METRIC_BY_COLUMN["readiness_score"],)
        )
    if r.cue("weekly_trend") and not metrics:
        return plan("weekly_trend")
    if r.cue("weekly_trend") and len(metrics) == 1:  # "the weekly trend of my HRV"
        return plan(
            "aggregate", metrics=metrics, aggregate=_aggregate(r, metrics[0]), grouping="week"
        )
    if r.cue("correlation") and len(metrics) == 2:
        if r.cue("next_day"):
            cue = r.cue("next_day")
            later = [m for m in r.metrics if m.start > cue.start()]
            next_metric = later[0].metric if later else r.metrics[-1].metric
            first = next(m for m in metrics if m is not next_metric)
            return plan("correlation", metrics=(first,), next_day_metric=next_metric)
        return plan("correlation", metrics=metrics)
    if r.cue("correlation"):
        raise NotUnderstood(
            "a correlation needs exactly two measures",
            'Try "What\'s the correlation between my sleep score and my readiness?".',
        )
    split = _group_split(conditions)
    if (
        len(metrics) == 1
        and (len(spans) == 2 or split)
        and (r.cue("compare") or r.cue("direction"))
    ):
        # a count is compared as a count ("the number of workouts in March vs February")
        # and training adds up: "workout minutes this month vs last month" are the totals
        counted = metrics[0].column in ("workout_count", "workout_minutes")
        aggregate = "sum" if "sum" in r.aggregates or counted else "avg"
        if split:
            rest = tuple(c for c in conditions if c.kind != split)
            return Plan(
                "compare_groups",
                span,
                explicit,
                rest,
                metrics=metrics,
                aggregate=aggregate,
                grouping=split,
            )
        return plan("compare_periods", metrics=metrics, aggregate=aggregate, spans=tuple(spans))
    if len(spans) > 1:
        raise NotUnderstood(
            "the question names two time spans but compares nothing I know",
            'Try "How did my readiness last week compare to the week before?".',
        )
    if (
        (r.cue("direction") or r.cue("series"))
        and re.search(r"\bthan\b|\bcompared? (?:to|with)\b", r.text)
        and len(spans) == 1
        and not _group_split(conditions)
    ):
        # "is my HRV lower than in January?": January against which days? Not a trend in it
        raise NotUnderstood(
            "compared with which period?",
            'Name both, e.g. "How does my HRV this month compare to January?".',
        )
    comparative = r.cue("direction") and re.fullmatch(
        r"higher|lower|better|worse|more|less|different", r.cue("direction").group()
    )
    if comparative and conditions and not r.cue("series"):
        # "do I sleep better on Mondays?": Mondays against which days? Not a trend over time
        raise NotUnderstood(
            f"'{r.cue('direction').group()}' than what?",
            'Compare two groups, e.g. "How does my sleep score on weekends compare to weekdays?" '
            'or "Is my readiness higher on workout days or rest days?".',
        )
    if (r.cue("direction") or r.cue("series")) and len(metrics) == 1 and not r.cue("count"):
        if r.cue("series") or r.grouping:
            return plan(
                "aggregate",
                metrics=metrics,
                aggregate=_aggregate(r, metrics[0]),
                grouping=r.grouping or "week",
            )
        if not explicit:
            span = Span(
                as_of - timedelta(days=TREND_WINDOW_DAYS - 1),
                as_of,
                f"the last {TREND_WINDOW_DAYS} days",
            )
        return plan("trend", metrics=metrics, span=span)
    if r.cue("count") and not r.cue("top_n"):
        return plan("count")
    superlative = [a for a in r.aggregates if a in ("max", "min", "best", "worst")]
    # "on what day ...", "... and when?": the day with its value (the list cue may hold the words)
    singular = _SINGULAR_TOP.search(r.base) is not None
    if len(metrics) == 1 and (r.cue("top_n") or (superlative and (r.cue("top_hint") or singular))):
        top = r.cue("top_n")
        words = [a for a in r.aggregates if a in ("max", "min", "best", "worst")]
        if top:
            limit = int(top["n1"] or top["n2"])
            words.insert(0, re.search(r"best|worst|highest|lowest|top|bottom", top.group())[0])
        else:
            limit = (
                1
                if singular
                and not re.search(r"\b(?:days|nights|dates|scores)\b", r.base)
                else 5
            )
        word = words[0] if words else "best"
        descending = _descending(word, metrics[0])
        return plan("top", metrics=metrics, limit=limit, descending=descending)
    # "daily readiness for the last 14 days", "my readiness scores last week": the days
    day_series = re.search(
        r"\b(?:daily|each day|every day|day by day|values|scores|numbers)\b", r.text
    ) and not re.search(r"\bhow (?:many|much)\b", r.text)
    if (
        (r.cue("list") or day_series)
        and (conditions or (metrics and not span.single_day))
        and not r.aggregates
        and not r.grouping
    ):
        # "show my readiness for the past 7 days": the days, not their average
        named = metrics + tuple(METRIC_BY_COLUMN[c.column] for c in thresholds)
        return plan("list", metrics=tuple(dict.fromkeys(named)))
    if metrics and not any(c.kind in CATEGORY_RELATIONS for c in conditions):
        if len(set(metrics)) != len(metrics):
            raise NotUnderstood("a measure is named twice", suggestion(r))
        aggregate = _aggregate(r, metrics[0])
        if span.single_day and not r.grouping:
            return plan("value", metrics=metrics)
        if (
            not explicit
            and not r.aggregates
            and not conditions
            and not r.grouping
            and len(metrics) == 1
            and re.search(r"\b(?:what|how) (?:is|are)\b", r.text)
        ):
            return plan("latest", metrics=metrics)  # "what's my readiness?": the latest
        period_totals = (
            r.grouping in ("week", "month")
            and aggregate == "avg"
            and len(metrics) == 1
            and metrics[0].additive
            and re.search(r"\bhow (?:many|much)\b", r.text) is not None
        )
        return plan("aggregate", metrics=metrics, aggregate=aggregate, grouping=r.grouping,
                    period_totals=period_totals)
    raise NotUnderstood("I found no measure or question I know in it", suggestion(r))


def _group_split(conditions: tuple[Condition, ...]) -> str | None:
    """'workout days or rest days', 'weekends vs weekdays': the same filter both ways."""
    for kind in ("had_workout", "weekend"):
        values = {c.value for c in conditions if c.kind == kind}
        if values == {True, False}:
            return kind
    return None


def _aggregate(reading: Reading, metric: Metric) -> str:
    """The aggregate the question's words ask for, else the one natural for the measure."""
    for word in reading.aggregates:  # "best average power" is the best of the daily averages
        if word in ("max", "min", "stddev"):
            return word
        if word in ("best", "worst"):
            return "max" if _descending(word, metric) else "min"
    if "avg" in reading.aggregates:
        return "avg"
    if reading.cue("how_many") and metric.additive and HABITUAL.search(reading.text) and (
        reading.conditions
    ):
        return "avg"  # "how many steps do I take on rest days": a typical such day
    if "sum" in reading.aggregates or (reading.cue("how_many") and metric.additive):
        return "sum"
    # no aggregate word: a sum for counts (steps, output), an average for scores; per weekday
    # an average, as weekdays hold different numbers of days
    return "sum" if metric.additive and reading.grouping != "day_of_week" else "avg"


def _descending(word: str, metric: Metric) -> bool:
    """Whether the word means the largest values first (the best resting heart rate is low)."""
    if word in ("max", "highest", "top"):
        return True
    if word in ("min", "lowest", "bottom"):
        return False
    return metric.higher_is_better if word == "best" else not metric.higher_is_better


def rationale(plan: Plan) -> str:
    """One line on how the question was read: family, measures, span, conditions."""
    measures = ", ".join(m.column for m in plan.metrics)
    if plan.next_day_metric is not None:
        measures += f" against the next day's {plan.next_day_metric.column}"
    span = (
        plan.span.describe()
        if plan.family not in ("compare_periods",)
        else " vs ".join(s.describe() for s in plan.spans)
    )
    parts = [plan.family.replace("_", " "), measures, span]
    parts += [c.describe() for c in plan.conditions]
    return "; ".join(p for p in parts if p)


def averages_period_totals(plan: Plan) -> bool:
    """"Average workouts per week", "average weekly output": one number, not each week's daily
    mean (per week the span's total over its weeks, per month the mean of the months' totals). Only for what a day adds up as training (workouts,
    their minutes and output); "average steps per month" stays each month's daily mean."""
    return plan.period_totals or (
        plan.grouping in ("week", "month")
        and plan.aggregate == "avg"
        and len(plan.metrics) == 1
        and plan.metrics[0].column in ("workout_count", "workout_minutes", "total_output_kj")
    )


def interpretation(plan: Plan) -> str:
    """The plan as a plain sentence: what is computed, over which days."""
    labels = " and ".join(m.label for m in plan.metrics)
    if plan.next_day_metric is not None:
        labels += f" against the next day's {plan.next_day_metric.label}"
    word = AGGREGATE_WORDS.get(plan.aggregate, "")
    per = f" per {plan.grouping.replace('_', ' ')}" if plan.grouping else ""
    if averages_period_totals(plan):
        per = (
            " per week (the total over the span's weeks)"
            if plan.grouping == "week"
            else f" per {plan.grouping} (the mean of the {plan.grouping}s' totals)"
        )
    text = {
        "aggregate": f"{word} {labels}{per}",
        "value": labels,
        "latest": f"latest {labels}",
        "count": "number of days",
        "list": "the days",
        "top": f"the {plan.limit} {'highest' if plan.descending else 'lowest'} {labels} days",
        "compare_periods": f"{word} {labels}, "
        + " against ".join(s.describe() for s in plan.spans),
        "compare_groups": f"{word} {labels} on "
        + (
            "workout days against rest days"
            if plan.grouping == "had_workout"
            else "weekends against weekdays"
        ),
        "correlation": f"correlation of {labels}",
        "trend": f"weekly change of {labels}",
        "overtraining": "overtraining risk per day",
        "best_type": "workout types ranked by output at that readiness",
        "recommend": "today's workout recommendation",
        "energy": "today's energy state",
        "sleep_quality": f"sleep quality against the next day's {labels}",
        "weekly_trend": "the weekly trend",
    }.get(plan.family, plan.family.replace("_", " "))
    conditions = "".join(f", {c.describe()}" for c in plan.conditions)
    span = "" if plan.family == "compare_periods" else f", {plan.span.describe()}"
    text = f"{text}{conditions}{span}".strip()
    return text[0].upper() + text[1:]
