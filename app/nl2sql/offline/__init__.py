"""The offline translator: deterministic, no network, Trino SQL over the gold views.

It knows the questions a person really asks of this data, as families:

    aggregate     a measure with an aggregate over a time span, with filters and grouping
                  ("average readiness last week", "total output by month on workout days")
    value         a measure on one day ("how well did I sleep last night")
    count         days matching conditions ("how many days did I work out in March")
    list          the days matching conditions ("days where my readiness dropped below 70")
    top           top and bottom days ("my 5 best readiness days", "when was my highest HRV")
    compare       two periods, or workout against rest days, weekends against weekdays
    correlation   two measures on the same day, or one against the next day's other
    trend         change per week (linear slope), or the weekly series of a measure
    overtraining  "am I overtraining?" (the overtraining_risk view, last 7 days)
    best type     "best workout type when readiness is below X"
    views         today's recommendation and energy state, last week's trend, sleep quality
                  against the next day's readiness

Reading a question works by claiming its words: date spans first (dates.py), then conditions,
filters, grouping, measures, the family's cue words and aggregates, each from the closed
vocabulary (vocabulary.py). A word nobody claims that is not a filler word means the question
is not understood: the translator says so and suggests a phrasing, and never answers a
different question. Identifiers in the SQL come from the vocabulary and values are sqlglot
literals, so nothing from the question is pasted into SQL text.

Before the families, `compose` reads the parts any question is made of into a typed
`QueryPlan` (entity: day, workout or night; measure from the shared catalog, catalog.py, and its
aggregation, including counts, shares, streaks and last/first occurrences; filters; span; the day
after or before; grouping with a rank; comparisons; correlations) and builds its SQL from the
plan. It answers whatever has a part only it knows (single workouts, SpO2 and deep sleep, "the
day after", streaks, shares, "when did I last", "which weekday/month/instructor"), and whatever
no family fits; it declines, naming the words, when a word is left over or the parts do not fit
together. Every answer carries `interpretation`, the plan as a plain sentence. Its steps
are the `compose_plan`, `compose_reading`, `compose_planning` and `compose_sql` modules.

The modules follow the steps: `reading` (normalise the question, claim its phrases: a
`Reading`), `planning` (choose the family and its parameters: a `Plan`), `builders` (one SQL
builder per family, registered by name in `BUILDERS`) and `translator` (`OfflineTranslator`,
which runs the three). The SQL templates of the larger queries are `app/nl2sql/templates/*.sql`.
"""

from app.nl2sql.offline.builders import BUILDERS, CORE, DIALECT, TEMPLATES, Builder, Built, Scope
from app.nl2sql.offline.planning import (
    EXAMPLE_QUESTIONS,
    OVERTRAINING_WINDOW_DAYS,
    TREND_WINDOW_DAYS,
    Plan,
)
from app.nl2sql.offline.reading import Condition, MetricMention, Reading, normalize, read
from app.nl2sql.offline.translator import OfflineTranslator

__all__ = [
    "BUILDERS",
    "CORE",
    "DIALECT",
    "EXAMPLE_QUESTIONS",
    "OVERTRAINING_WINDOW_DAYS",
    "TEMPLATES",
    "TREND_WINDOW_DAYS",
    "Builder",
    "Built",
    "Condition",
    "MetricMention",
    "OfflineTranslator",
    "Plan",
    "Reading",
    "Scope",
    "normalize",
    "read",
]
