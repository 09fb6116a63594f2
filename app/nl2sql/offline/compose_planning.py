"""The compositional reading, step two: the parts of a question (`_Parts`, compose_reading.py)
fitted together into a `QueryPlan` (compose_plan.py), or declined with the reason and a
suggestion when they do not fit.

`owns` tells whether a question has a part only the compositional reading answers; `_compose`
chooses the entity (day, workout, night), places each filter (the rows, the anchor days of
"the day after", a share's population), then the aggregation: correlations, frames (last and
first, streaks, shares, which weekday or month, instructors and workout types, per month),
comparisons, lists, ranks and plain aggregates.
"""

from __future__ import annotations

import re
from datetime import date

from app.nl2sql.catalog import BY_NAME, DAY_WORKOUT_SUMS, HABITUAL, NIGHT_ON_DAY, Measure
from app.nl2sql.dates import Span
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.compose_plan import Filter, QueryPlan
from app.nl2sql.offline.compose_reading import _CMP_WORDS, _last_pos, _Parts
from app.nl2sql.offline.reading import Reading

# the core table's per-day sums, asked of single workouts
_AS_WORKOUT = {
    "workout_calories": "workout.calories_kcal",
    "total_output_kj": "workout.output_kj",
    "workout_minutes": "workout.duration_min",
    "avg_watts": "workout.avg_watts",
    "max_avg_hr": "workout.avg_hr",
}


# "heart rate" alone: resting, or during workouts?
_BARE_HEART_RATE = re.compile(
    r"(?<!resting )(?<!workout )(?<!training )\bheart rates?\b(?! variability)"
)

# measures of a night, stored on the day whose morning it ends
_SLEEP_MEASURES = (*NIGHT_ON_DAY, "night.deep_sleep_hours", "night.spo2_average_pct")

_OWNED_FRAMES = {
    "last",
    "first",
    "since",
    "current_streak",
    "streak",
    "share",
    "which_weekday",
    "which_month",
    "which_week",
    "by_week",
    "instructor_rank",
    "by_instructor",
    "type_rank",
    "by_discipline",
}


def owns(p: _Parts, spans: int = 0) -> bool:
    """Whether the question has a part only the compositional reading answers."""
    night = any(m.entity == "night" for m, _, _ in p.measures)
    workout = any(m.entity == "workout" for m, _, _ in p.measures)
    return bool(
        p.frames & _OWNED_FRAMES
        or p.offset
        or night
        or workout
        or p.which_workout
        or (p.workout_noun and (p.rank or p.listing or p.how_many or p.per_workout))
        or len({d for d, _ in p.disciplines}) > 1
        or p.noun_disciplines
        or p.instructors
        or p.recency
        or p.count_n
        or (p.compare and spans == 2 and (p.total or bool(p.workout_noun)))
        # a kind of workout with a day's workout sum ("calories on the bike") or a workout's
        # length ranked ("the longest I've ridden"): that kind's workouts, not its days
        or (p.disciplines and any(m.name in _AS_WORKOUT for m, _, _ in p.measures))
        or (p.disciplines and any(m for _, m, _ in p.rank))
    )


def _suggestion(p: _Parts) -> str:
    if p.offset:
        return 'Try e.g. "What is my average readiness the day after a strength workout?".'
    if p.workout_noun or p.which_workout:
        return 'Try e.g. "What was my longest ride this year?" or "How many rides over 45 minutes did I do last month?".'
    return (
        'Try e.g. "When did I last have readiness below 60?", "What percentage of days did I '
        'work out in the last 90 days?" or "How many days in a row have I worked out?".'
    )


def _threshold(
    match: re.Match, p: _Parts, entity: str, before: list[tuple[Measure, int, int]]
) -> Filter:
    cmp_word, unit, post = match["cmp"], match["unit"], match["post"]
    number = float(match["num"])
    value = int(number) if number.is_integer() else number
    if cmp_word:
        op = next(k for k, words in _CMP_WORDS.items() if re.fullmatch(words, cmp_word))
    elif post in ("or less", "or lower", "or below"):
        op = "le"
    else:
        op = "ge"
    name = None
    if unit in ("minutes", "minute", "mins", "min"):
        name = "workout.duration_min" if entity == "workout" else "workout_minutes"
    elif unit in ("hours", "hour", "hrs"):
        # a workout's hours, a day's hours of workouts ("worked out for more than 2 hours"), or
        # else of sleep ("slept less than 6 hours")
        if re.search(r"\b(?:sleep|slept|sleeping)\b", match.group()):
            name = "total_sleep_hours"
        elif entity == "workout":
            name = "workout.duration_hours"
        elif p.worked_out or any(m.name == "workout_hours" for m, _, _ in before):
            name = "workout_hours"
        else:
            name = "total_sleep_hours"
    elif unit in ("steps", "step"):
        name = "steps"
    elif unit == "kj" or match["of"] == "output":
        name = "workout.output_kj" if entity == "workout" else "total_output_kj"
    elif unit in ("%", "percent"):
        name = "night.spo2_average_pct"
    elif unit in ("watts", "watt"):
        name = "workout.avg_watts" if entity == "workout" else "avg_watts"
    # the measure named right after the number is the condition's: "more than 60 workout
    # minutes", "over 500 active calories"
    right_after = [m for m in before if 0 <= m[1] - match.end() <= 1]
    if name is None and right_after:
        before.remove(right_after[0])
        name = right_after[0][0].name
    if name is None:
        near = [m for m in before if m[2] <= match.start()]
        if not near:
            raise NotUnderstood(
                f"I can't tell which measure should be {match.group().strip()}",
                'Name the measure, e.g. "days with readiness above 80".',
            )
        measure = near[-1][0]
        before.remove(near[-1])
        name = measure.name
    else:  # the measure word next to it belongs to the condition ("slept more than 8 hours")
        for m in list(before):
            if m[0].name == name or (name == "total_sleep_hours" and m[0].name == "sleep_score"):
                if abs(m[1] - match.start()) < 40:
                    before.remove(m)
    return Filter("cmp", name, op, value)


def _compose(r: Reading, p: _Parts, as_of: date) -> QueryPlan:
    spans = [d.span for d in r.dates]
    if len(spans) > 2:
        raise NotUnderstood("the question names more than two time spans", _suggestion(p))
    span = spans[0] if spans else Span(None, as_of, "so far")
    workout_measures = [m for m in p.measures if m[0].entity == "workout"]
    night_measures = [m for m in p.measures if m[0].entity == "night"]
    entity = "day"
    if p.offset is None and (
        p.workout_noun
        or p.noun_disciplines
        or p.which_workout
        or workout_measures
        or p.instructors
        or p.frames & {"instructor_rank", "by_instructor", "type_rank", "by_discipline"}
    ):
        entity = "workout"
    if (
        entity == "workout"
        and re.search(r"\b(?:how many|number of) days\b", r.text)
        and not workout_measures
        and not p.frames
        & {"instructor_rank", "by_instructor", "type_rank", "by_discipline", "since"}
    ):
        if p.instructors or p.lengths:
            raise NotUnderstood(
                "I count the days of a kind of workout, not of an instructor or a class length",
                'Ask e.g. "How many rides did I do with <instructor>?".',
            )
        entity = "day"  # "how many days did I ride": days with a ride, not rides
        p.workout_noun, p.noun_disciplines, p.which_workout = [], False, False
    if (
        entity == "day"
        and p.disciplines
        and p.offset is None
        and any(m.name in _AS_WORKOUT for m, _, _ in p.measures)
        and not re.search(r"\bdays?\b", r.text)
        and not p.day_filters
    ):
        # "calories burned on the bike": the rides' calories; the day's total would add the
        # other workouts of the days with a ride
        entity = "workout"
    if (
        entity == "day"
        and p.disciplines
        and p.offset is None
        and any(m for _, m, _ in p.rank)
        and not p.day_filters
    ):
        entity = "workout"  # "the longest I've ridden": a ride, ranked by its length
    if night_measures and not p.corr:
        entity = "night"
    day_frames = p.frames & {"streak", "current_streak", "share", "last", "first", "since"}
    share_of_workouts = "share" in p.frames and re.search(
        r"(?:\bpercentage|\bpercent|\bshare|\bfraction|\bproportion|%) of (?:my |all )?(?:workouts|rides|sessions)\b",
        r.text,
    )
    per_workout_threshold = any(
        (m["unit"] or "") in ("minutes", "minute", "mins", "min", "kj") for m, _ in p.thresholds
    )
    if (
        day_frames
        and not share_of_workouts
        and not p.disciplines
        and not (p.workout_noun and per_workout_threshold)
        and (p.worked_out or p.workout_noun)
    ):
        if not any(f.kind == "had_workout" for f, _ in p.day_filters):
            p.day_filters.append((Filter("had_workout", value=True), 0))
        p.workout_noun = []
        entity = "day"
    elif day_frames & {"streak", "current_streak"} or (
        "share" in p.frames and not share_of_workouts
    ):
        entity = "night" if entity == "night" else "day"
    elif share_of_workouts:
        entity = "workout"
    if (
        p.worked_out
        and entity == "day"
        and not day_frames
        and not p.offset
        and not any(f.kind == "had_workout" for f, _ in p.day_filters)
    ):
        p.day_filters.append((Filter("had_workout", value=True), _last_pos(r, "work")))
    measures = list(p.measures)
    filters: list[Filter] = []
    anchor: list[Filter] = []
    offset_pos = p.offset[1] if p.offset else None

    within: list[Filter] = []
    subject = re.search(
        r"(?:\bpercentage|\bpercent|\bshare|\bfraction|\bproportion|%) of (?:(?:my|all|the) )?"
        r"(?:[\w ]+? )??(?:days|nights|workouts|rides|sessions|runs|classes)\b",
        r.text,
    )

    def place(f: Filter, pos: int) -> None:
        if "share" in p.frames and subject and subject.start() <= pos < subject.end():
            within.append(f)
        else:
            (anchor if offset_pos is not None and pos > offset_pos else filters).append(f)

    for match, pos in p.thresholds:
        place(_threshold(match, p, entity, measures), pos)
    for f, pos in p.day_filters:
        place(f, pos)
    for name, _ in p.instructors:
        if entity != "workout":
            raise NotUnderstood("an instructor filters single workouts, not days", _suggestion(p))
        filters.append(Filter("instructor", value=name))
    for minutes, pos in p.lengths:
        if entity != "workout" or (offset_pos is not None and pos > offset_pos):
            raise NotUnderstood(
                "a class length filters single workouts, not days", _suggestion(p)
            )
        filters.append(Filter("length", value=minutes))
    if offset_pos is not None and not p.disciplines and not anchor:
        # "the day after a workout", "the day after I work out"
        if any(pos > offset_pos for pos in p.workout_noun) or p.worked_out:
            anchor.append(Filter("had_workout", value=True))
    disciplines = sorted(p.disciplines, key=lambda d: d[1])
    versus: list[Filter] = []
    if len({d for d, _ in disciplines}) == 2 and p.compare and entity == "day":
        (a, _), (b, _) = disciplines[0], disciplines[1]
        filters.append(Filter("discipline", value=a))
        versus.append(Filter("discipline", value=b))
    elif len({d for d, _ in disciplines}) > 1:
        raise NotUnderstood(
            "the question names two kinds of workout and I can't tell how they go together",
            'Ask about one kind, or compare them: "How does my HRV on strength days compare '
            'to yoga days?".',
        )
    else:
        for d, pos in disciplines:
            place(Filter("discipline", value=d), pos)
    for f in filters + anchor:
        if f.kind == "cmp" and BY_NAME[f.measure].entity == "workout" and entity != "workout":
            raise NotUnderstood(
                "a workout's length or output can't filter days here", _suggestion(p)
            )
    for f in filters:
        if f.kind == "had_workout" and entity == "workout":
            raise NotUnderstood(
                "workout days and rest days are days; they can't filter workouts",
                'Ask e.g. "What is my average HRV on rest days?".',
            )
        if f.kind == "cmp" and entity == "workout" and BY_NAME[f.measure].entity != "workout":
            raise NotUnderstood(
                f"{BY_NAME[f.measure].label} is a measure of a day; it can't filter workouts "
                "here",
                'Ask e.g. "Show me days with readiness below 70" or "How many workout days had '
                'readiness below 70?".',
            )
    for i, (m, s_, e_) in enumerate(measures):
        if m.name == "resting_hr" and _BARE_HEART_RATE.match(r.text, s_):
            if entity == "workout":  # "average heart rate with Robin Arzon": in those workouts
                measures[i] = (BY_NAME["workout.avg_hr"], s_, e_)
            elif p.disciplines or p.instructors or p.offset:
                raise NotUnderstood(
                    "'heart rate' could be your resting heart rate on those days or your heart "
                    "rate in those workouts",
                    'Ask e.g. "average resting heart rate on ride days" or "average heart rate '
                    'in my rides".',
                )
    if entity == "workout":
        measures = [(BY_NAME.get(_AS_WORKOUT.get(m.name, ""), m), s_, e_) for m, s_, e_ in measures]
        measures = [
            (
                BY_NAME.get("workout." + m.name, m)
                if m.entity == "day" and "workout." + m.name in BY_NAME
                else m,
                s,
                e,
            )
            for m, s, e in measures
        ]
    for m, _, _ in measures:
        if entity == "workout" and m.entity == "day":
            raise NotUnderstood(
                f"{m.label} is a measure of a day, not of a workout",
                f'Ask e.g. "What is my average {m.label} on days with a workout?" or "... the day '
                'after a strength workout?".',
            )
    if entity == "night" and any(
        f.kind != "cmp" or BY_NAME[f.measure].entity != "night" for f in filters
    ):
        raise NotUnderstood(
            "I can't filter night measures by day measures or workouts yet",
            'Ask e.g. "What was my average SpO2 last month?".',
        )
    if offset_pos is not None and any(pos > offset_pos for _, _, pos in p.rank):
        raise NotUnderstood(
            "I read 'the day after' each day that meets a condition, not after one ranked workout",
            'Ask e.g. "What is my average readiness the day after a ride?".',
        )
    for group in (anchor, filters if entity == "day" else []):
        if {f.kind for f in group} >= {"discipline"} and any(
            f.kind == "cmp" and f.measure in DAY_WORKOUT_SUMS for f in group
        ):
            raise NotUnderstood(
                "the day's minutes and output add up all its workouts, not just that kind",
                'Ask e.g. "... the day after a ride" or "... the day after more than 45 minutes '
                'of workouts".',
            )
    kinds = {f.kind for f in anchor}
    if "discipline" in kinds and any(
        f.kind == "cmp" and f.measure in ("workout_minutes", "total_output_kj") for f in anchor
    ):
        raise NotUnderstood(
            "the day's minutes and output add up all its workouts, not just that kind",
            'Ask e.g. "... the day after a ride" or "... the day after more than 45 minutes '
            'of workouts".',
        )
    frames = p.frames
    rank = p.rank
    descending = rank[0][0] if rank else True
    rank_measure = next((BY_NAME[m] for _, m, _ in rank if m), None)
    if rank_measure is not None and any(m.name == "workout.distance_km" for m, _, _ in measures):
        rank_measure = None  # "my longest ride distance": the distance ranks, not the length
    measure = measures[0][0] if measures else None
    other = measures[1][0] if len(measures) > 1 else None
    if len(measures) > 2 or (other is not None and not p.corr):
        if not (other is not None and measure is not None and other.name == measure.name):
            raise NotUnderstood(
                "the question names more measures than I can put together: "
                + ", ".join(m.label for m, _, _ in measures),
                _suggestion(p),
            )
        other = None
    agg = p.aggs[0] if p.aggs else None
    if (
        p.offset is not None
        and p.offset[0] == -1
        and measure is not None
        and measure.name in _SLEEP_MEASURES
        and re.match(r"(?:on )?(?:the )?nights? before\b", r.text[p.offset[1] :])
        and not p.corr
    ):
        # "sleep on the night before a ride": the night of day d ends on its morning, so the
        # night before a ride is the ride day's own night (the day before would be d - 1's)
        filters, anchor, p.offset = filters + anchor, [], None
    base = dict(entity=entity, filters=tuple(filters), span=span, anchor=tuple(anchor))
    if p.offset:
        base["offset"] = p.offset[0]
    # correlations ---------------------------------------------------------------------------
    if p.corr:
        if measure is None or other is None:
            raise NotUnderstood("a correlation needs two measures", _suggestion(p))
        other_offset = -1 if p.offset and p.offset[0] == -1 and not anchor else 0
        if p.offset and not other_offset:
            raise NotUnderstood("I correlate with the day before only", _suggestion(p))
        base.pop("offset", None)
        if measure.entity == "workout" or other.entity == "workout":
            raise NotUnderstood("I correlate day and night measures only", _suggestion(p))
        if other.entity == "night" and measure.entity == "day":
            measure, other = other, measure
        return QueryPlan(
            **{**base, "entity": "day"},
            aggregation="corr",
            measure=measure,
            other=other,
            other_offset=other_offset,
        )
    if p.offset and not anchor:
        raise NotUnderstood("'after' or 'before' what?", _suggestion(p))
    # frames -----------------------------------------------------------------------------------
    if frames & {"last", "first", "since"}:
        if measure is not None or p.aggs or rank or len(frames & {"last", "first", "since"}) > 1:
            raise NotUnderstood(
                "'when did I last' takes a condition, not a measure", _suggestion(p)
            )
        if "since" in frames and (spans or entity == "night"):
            raise NotUnderstood(
                "days since the last time counts up to today, over no other span", _suggestion(p)
            )
        aggregation = next(a for a in ("last", "first", "since") if a in frames)
        return QueryPlan(**base, aggregation=aggregation, measure=None)
    if frames & {"streak", "current_streak"}:
        if entity != "day" or measure is not None or not filters or p.offset:
            raise NotUnderstood("a streak is a run of days that meet a condition", _suggestion(p))
        return QueryPlan(
            **base,
            aggregation="current_streak" if "current_streak" in frames else "streak",
            measure=None,
        )
    if "share" in frames:
        if measure is not None or p.offset or not filters:
            raise NotUnderstood(
                "a share is of days (or workouts) that meet a condition", _suggestion(p)
            )
        return QueryPlan(**base, aggregation="share", measure=None, within=tuple(within))
    if frames & {"which_weekday", "which_month", "which_week"}:
        grouping = next(g for g in ("weekday", "month", "week") if f"which_{g}" in frames)
        if measure is None and not rank:
            raise NotUnderstood("which weekday for what?", _suggestion(p))
        if measure is None:  # "work out most often"
            return QueryPlan(
                **base,
                aggregation="count",
                measure=None,
                grouping=grouping,
                descending=descending,
                limit=1,
            )
        if not rank:
            raise NotUnderstood("highest or lowest?", _suggestion(p))
        # a week's or month's steps or output is its total ("my highest weekly output"); a
        # weekday's is the mean of its days (there are more Mondays in some spans than others)
        a = agg or (
            "sum"
            if measure.additive and ("most" in r.text or p.total or grouping != "weekday")
            else "avg"
        )
        if rank and not rank[0][1] and re.search(r"\b(?:best|worst)\b", r.text):
            descending = descending == measure.higher_is_better
        return QueryPlan(
            **base,
            aggregation=a,
            measure=measure,
            grouping=grouping,
            descending=descending,
            limit=1,
        )
    if frames & {"instructor_rank", "type_rank"}:
        grouping = "instructor" if "instructor_rank" in frames else "discipline"
        target = measure or rank_measure
        if target is not None:
            # "which instructor's rides are longest on average": the highest mean per group
            if agg != "avg" and target.additive:
                raise NotUnderstood(
                    f"ranked by the average {target.label} or the total?",
                    f'Ask e.g. "Which instructor\'s rides have the highest average {target.label}?".',
                )
            if rank and not rank[0][1] and re.search(r"\b(?:best|worst)\b", r.text):
                descending = descending == target.higher_is_better
            return QueryPlan(
                **base, aggregation="avg", measure=target, grouping=grouping,
                descending=descending, limit=1,
            )
        # "which instructor did I ride with the least": the fewest
        return QueryPlan(
            **base, aggregation="count", measure=None, grouping=grouping,
            descending=descending, limit=1,
        )
    if frames & {"by_instructor", "by_discipline"}:
        grouping = "instructor" if "by_instructor" in frames else "discipline"
        if measure is not None and not agg and p.total and measure.additive:
            agg = "sum"  # "total output per discipline": "total" was read with the measure's name
        if measure is not None and not agg:
            raise NotUnderstood(f"per {grouping}, which aggregate?", _suggestion(p))
        return QueryPlan(**base, aggregation=agg or "count", measure=measure, grouping=grouping)
    if frames & {"by_month", "by_week"}:
        grouping = "month" if "by_month" in frames else "week"
        if measure is None and entity == "workout" and p.how_many:
            return QueryPlan(**base, aggregation="count", measure=None, grouping=grouping)
        if measure is None:
            raise NotUnderstood(f"per {grouping}, of what?", _suggestion(p))
        if agg == "avg" and measure.additive and re.search(r"\bhow (?:many|much)\b", r.text):
            raise NotUnderstood(
                f"each {grouping}'s total, or the average {grouping}?",
                f'Ask "How many {measure.label} did I get each {grouping}?" or "On average, how '
                f'many {measure.label} did I get per {grouping}?".',
            )
        return QueryPlan(
            **base,
            aggregation=agg or ("sum" if measure.additive else "avg"),
            measure=measure,
            grouping=grouping,
        )
    # comparisons ------------------------------------------------------------------------------
    if p.compare and len(spans) == 2:
        if measure is None and entity == "workout":
            measure, entity = BY_NAME["workout_count"], "day"
            base["entity"] = "day"
        if measure is None or entity != "day":
            raise NotUnderstood("compare which measure?", _suggestion(p))
        total = re.search(r"\btotal\b", r.text) is not None
        a = agg or ("sum" if measure.additive and (total or "workout" in measure.name) else "avg")
        return QueryPlan(**base, aggregation=a, measure=measure, spans=tuple(spans))
    if len(spans) == 2:
        raise NotUnderstood("two time spans, but what about them?", _suggestion(p))
    if versus:
        if measure is None:
            raise NotUnderstood("compare which measure?", _suggestion(p))
        return QueryPlan(**base, aggregation=agg or "avg", measure=measure, versus=tuple(versus))
    if p.compare and p.offset and {f.kind for f in anchor} == {"had_workout"} and len(anchor) == 2:
        if abs(p.offset[0]) != 1:
            raise NotUnderstood("I compare the day after workout and rest days only", _suggestion(p))
        if measure is None:
            raise NotUnderstood("compare which measure?", _suggestion(p))
        return QueryPlan(
            **{**base, "anchor": ()}, aggregation=agg or "avg", measure=measure, split_anchor=True
        )
    if p.compare:
        raise NotUnderstood("I can't tell what is compared with what", _suggestion(p))
    # the rest: aggregates, counts, lists, ranks -----------------------------------------------
    if p.recency:  # "my last 5 workouts", "my first ride this year"
        if entity != "workout" or rank or p.aggs:
            raise NotUnderstood("the latest workouts, ranked how?", _suggestion(p))
        return QueryPlan(
            **base,
            aggregation="list",
            measure=None,
            other=measure,
            descending=p.recency == "latest",
            limit=p.count_n,
        )
    if p.count_n and not rank:
        raise NotUnderstood(f"the {p.count_n} what: latest, longest, best?", _suggestion(p))
    if p.listing:
        if entity != "workout" or measure is not None or rank or p.aggs:
            raise NotUnderstood("I list workouts, or days that meet a condition", _suggestion(p))
        return QueryPlan(**base, aggregation="list", measure=None)
    if rank:
        target = rank_measure or measure
        if rank_measure and measure and measure.name != rank_measure.name:
            if entity != "workout":
                raise NotUnderstood("the longest what?", _suggestion(p))
            # "the calories of my longest ride": the longest ride, and its calories
            return QueryPlan(
                **base,
                aggregation="rank",
                measure=rank_measure,
                other=measure,
                descending=descending,
                limit=1,
            )
        if target is None:
            raise NotUnderstood("the most of what?", _suggestion(p))
        if not rank[0][1] and re.search(r"\b(?:best|worst)\b", r.text):
            descending = descending == target.higher_is_better
        single = (
            p.which_workout
            or re.search(r"\bwhich\b", r.text) is not None
            or (rank_measure is not None and measure is None)
            # "my worst ride by output", "the highest output ride": that one workout
            or re.search(
                r"\b(?:best|worst|highest|lowest|top|biggest|hardest|easiest|longest|shortest"
                r"|fastest|slowest)(?: \w+){0,2} (?:ride|run|walk|workout|session|class)\b",
                r.text,
            ) is not None
        )
        if entity == "workout" and (single or p.count_n):
            return QueryPlan(
                **base, aggregation="rank", measure=target, descending=descending,
                limit=p.count_n or 1,
            )
        # "which day did I take the most steps": the day and its value, not just the value
        if entity in ("night", "day") and re.search(
            r"\b(?:which|what) (?:night|day|date)\b|\band when\b|\bwhen\W*$", r.text
        ):
            return QueryPlan(
                **base, aggregation="rank", measure=target, descending=descending, limit=1
            )
        if agg:
            raise NotUnderstood("an average and a maximum at once", _suggestion(p))
        return QueryPlan(**base, aggregation="max" if descending else "min", measure=target)
    if p.how_many and measure is None:
        return QueryPlan(**base, aggregation="count", measure=None)
    if measure is None:
        raise NotUnderstood("I found no measure in the question", _suggestion(p))
    if agg is None and p.total and measure is not None and measure.additive and not p.per_workout:
        agg = "sum"  # "total output on rides": "total" was read with the measure's name
    if agg is None:
        if p.offset:
            agg = "avg"
        elif p.per_workout and entity == "workout":
            agg = "avg"  # "how many calories did I burn per ride": a ride's, on average
        elif (
            entity == "day"
            and filters
            and measure.additive
            and HABITUAL.search(r.text)
        ):
            agg = "avg"  # "how many steps do I take on rest days": a typical such day
        elif re.search(r"\bhow (?:many|much|far)\b", r.text) and measure.additive:
            agg = "sum"
        elif span.single_day and entity != "workout":
            agg = "value"
        else:
            agg = "avg" if not measure.additive or entity == "workout" else "sum"
    return QueryPlan(**base, aggregation=agg, measure=measure)
