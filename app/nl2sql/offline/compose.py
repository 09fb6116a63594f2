"""The compositional reading: a question as a typed query plan, built into SQL piece by piece.

Where the families (planning.py) know whole question shapes, this reads the parts any question
is made of and composes them:

    entity        day (the core table), workout (silver `workouts`, without Apple Health
                  copies), night (SpO2, sleep periods)
    measure       one entry of the catalog (catalog.py), and its aggregation: avg, sum, min,
                  max, count, share (%), streak (longest, current), last/first occurrence,
                  list, rank (top 1 by the measure), corr (with a second measure)
    filters       comparisons on any measure, discipline, rest/workout day
    time          one or two spans (dates.py)
    offset        the day after / before the days that match the anchor's filters
    grouping      weekday, month, instructor, discipline (with a rank: "which weekday ...")
    comparison    two disciplines, two spans, or the anchor both ways (after workout/rest days)

Every word must be claimed by a part of the plan or be a filler word; a word left over means
the question is declined, naming the word. The SQL is sqlglot expressions with literals for
values; identifiers come from the catalog only.

The steps are modules of their own: `compose_plan` (the typed `QueryPlan`, its `Filter`s and
its interpretation sentence), `compose_reading` (the words claimed as parts), `compose_planning`
(the parts fitted into a plan) and `compose_sql` (the plan built into SQL). This module is the
entry the translator calls: `plan` and `build`, with `NotMine` and `QueryPlan`.
"""

from __future__ import annotations

import re
from datetime import date

from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.compose_plan import Filter, NotMine, QueryPlan
from app.nl2sql.offline.compose_planning import _BARE_HEART_RATE, _compose, _suggestion, owns
from app.nl2sql.offline.compose_reading import leftovers, read_parts
from app.nl2sql.offline.compose_sql import COUNTABLE, DIALECT, build
from app.nl2sql.offline.reading import _CUES

__all__ = [
    "COUNTABLE",
    "DIALECT",
    "Filter",
    "NotMine",
    "QueryPlan",
    "build",
    "leftovers",
    "owns",
    "plan",
    "read_parts",
]



_PER_PERIOD = re.compile(r"\b(?:per|a|each|every) (?:week|month)\b(?=.*\b(?:on )?average\b)|"
                         r"\baverage\b.*\b(?:per|a) (?:week|month)\b")

# the families' own cues (planning.py): questions they answer as a whole
_FAMILY_CUES = re.compile(
    "|".join(
        _CUES[name]
        for name in (
            "overtraining",
            "best_type",
            "recommend",
            "energy",
            "sleep_quality",
            "weekly_trend",
        )
    )
)


def plan(
    question: str, as_of: date, *, force: bool = False, instructors: tuple[str, ...] = ()
) -> QueryPlan:
    """The typed plan of a question; `NotMine` when it has no compositional part (and not
    `force`), `NotUnderstood` when a word is left over or the parts do not fit together.
    `instructors`: the instructor names in the person's workouts (read_parts)."""
    r, p = read_parts(question, as_of, instructors)
    if not force and _PER_PERIOD.search(r.text) and not p.per_workout:
        raise NotMine  # "workouts per week on average": the families average the weeks' totals
    if not force and (not owns(p, len(r.dates)) or _FAMILY_CUES.search(r.text)):
        if _BARE_HEART_RATE.search(r.text) and not (p.workout_noun or p.noun_disciplines):
            raise NotUnderstood(
                "'heart rate' could be your resting heart rate or your heart rate in workouts",
                'Ask e.g. "What was my average resting heart rate last week?" or "What is my '
                'average heart rate during workouts?".',
            )
        raise NotMine
    rest = leftovers(r)
    if rest:
        raise NotUnderstood(
            f"I don't know what {', '.join(repr(w) for w in rest)} means here",
            _suggestion(p),
        )
    return _compose(r, p, as_of)
