"""One catalog of measures: what a question can ask about, where it lives, and how it adds up.

Shared by the offline translator (which reads questions with the synonyms and builds SQL from
the relation and column) and the Claude prompt (`describe`, a section of the system prompt), so
both mean the same thing by "output", "SpO2" or "the length of a ride". The day measures are
the core table's columns (vocabulary.py holds their synonyms); the workout and night measures
come from the silver tables (docs/ARCHITECTURE.md section 5, `spark_jobs/silver`). A test
checks every entry against the live schema of the serving engine.

Entities: a `day` is a row of the core table; a `workout` a row of silver `workouts` without
the Apple Health copies the core table does not count (`COUNTABLE_WORKOUTS`); a `night` a day
of the Oura night tables (`oura_daily_spo2`, and `oura_sleep` summed per day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.nl2sql.vocabulary import METRICS

CORE = "daily_readiness_performance"
WORKOUTS = "workouts"
SPO2 = "oura_daily_spo2"
SLEEP_PERIODS = "oura_sleep"
COUNTED_SLEEP_TYPES = ("long_sleep", "sleep", "late_nap")  # as total_sleep_hours counts them
DUPLICATE_WINDOW_S = 600  # an Apple Health workout this close to another source's is a copy


@dataclass(frozen=True)
class Measure:
    name: str
    entity: str  # "day" | "workout" | "night"
    relation: str
    column: str
    label: str
    unit: str
    synonyms: tuple[str, ...]  # regular expressions on whole words of the normalised question
    aggregations: tuple[str, ...]  # what may be asked of it
    higher_is_better: bool = True
    additive: bool = False  # "how much" is a sum
    observed_when_positive: bool = False  # a 0 means "not measured" (a rest day's output)
    divisor: int = 1  # the column in another unit: minutes asked in hours (60)

    @property
    def output(self) -> str:
        """The name of its value among an answer's columns."""
        return self.name.rsplit(".", 1)[-1]


# wordings the compositional reading knows besides the vocabulary's aliases
_EXTRA_SYNONYMS = {
    "sleep_score": (r"how well (?:do |did )?i (?:sleep|slept)",),
    "total_sleep_hours": (
        r"how many hours (?:did |do )?i (?:sleep|slept)",
        r"hours (?:did |do )?i (?:sleep|slept)",
    ),
}
_DAY_AGGREGATIONS = ("avg", "min", "max", "sum", "value", "count_if", "share", "streak", "corr")
DAY_MEASURES = tuple(
    Measure(
        m.column,
        "day",
        CORE,
        m.column,
        m.label,
        m.unit,
        m.aliases + _EXTRA_SYNONYMS.get(m.column, ()),
        _DAY_AGGREGATIONS if m.additive else tuple(a for a in _DAY_AGGREGATIONS if a != "sum"),
        m.higher_is_better,
        m.additive,
        m.observed_when_positive,
    )
    for m in METRICS
)
# "how many hours did I work out": the day's workout minutes, in hours
_HOURS_OF = r"(?:exercise|exercising|training|workouts?|working out)"
WORKOUT_HOURS = Measure(
    "workout_hours",
    "day",
    CORE,
    "workout_minutes",
    "hours of workouts",
    " h",
    (
        rf"hours? (?:of |spent |i spent |spent on )?{_HOURS_OF}",
        rf"hours (?:did |have )?i (?:spen[dt] )?(?:{_HOURS_OF}|work(?:ed)? out|exercised?|trained)",
        r"(?:workout|training|exercise) hours",
    ),
    ("avg", "min", "max", "sum", "value"),
    additive=True,
    observed_when_positive=True,
    divisor=60,
)
DAY_MEASURES += (WORKOUT_HOURS,)
_WORKOUT_AGGREGATIONS = ("avg", "min", "max", "sum", "rank", "count_if", "share")
WORKOUT_MEASURES = (
    Measure(
        "workout.duration_min",
        "workout",
        WORKOUTS,
        "duration_min",
        "length",
        " min",
        (r"length", r"duration", r"minutes?", r"mins", r"long"),
        _WORKOUT_AGGREGATIONS,
        additive=True,
    ),
    Measure(
        "workout.duration_hours",
        "workout",
        WORKOUTS,
        "duration_min",
        "hours",
        " h",
        # only a workout's: "how many hours did I ride", "hours of yoga" (a day's are above)
        (r"hours?",),
        ("avg", "min", "max", "sum"),
        additive=True,
        divisor=60,
    ),
    Measure(
        "workout.output_kj",
        "workout",
        WORKOUTS,
        "output_kj",
        "output",
        " kJ",
        (r"(?:total )?output(?: in kj)?", r"kilojoules", r"kj"),
        _WORKOUT_AGGREGATIONS,
        additive=True,
        observed_when_positive=True,
    ),
    Measure(
        "workout.calories_kcal",
        "workout",
        WORKOUTS,
        "calories_kcal",
        "calories",
        " kcal",
        (r"calories(?: burned)?", r"kcal"),
        _WORKOUT_AGGREGATIONS,
        additive=True,
    ),
    Measure(
        "workout.avg_hr",
        "workout",
        WORKOUTS,
        "avg_hr",
        "average heart rate",
        " bpm",
        (r"(?:average |avg )?heart rates?", r"hr", r"pulse"),
        ("avg", "min", "max", "rank"),
        higher_is_better=False,
    ),
    Measure(
        "workout.avg_watts",
        "workout",
        WORKOUTS,
        "avg_watts",
        "average watts",
        " W",
        (r"(?:average |avg )?watts", r"wattage", r"power"),
        ("avg", "min", "max", "rank"),
    ),
    Measure(
        "workout.avg_cadence_rpm",
        "workout",
        WORKOUTS,
        "avg_cadence_rpm",
        "average cadence",
        " rpm",
        (r"(?:average |avg )?cadence", r"rpm"),
        ("avg", "min", "max", "rank"),
    ),
    Measure(
        "workout.avg_resistance_pct",
        "workout",
        WORKOUTS,
        "avg_resistance_pct",
        "average resistance",
        " %",
        (r"(?:average |avg )?resistance",),
        ("avg", "min", "max", "rank"),
    ),
    Measure(
        "workout.distance_km",
        "workout",
        WORKOUTS,
        "distance_km",
        "distance",
        " km",
        # kilometres only: a question in miles is declined rather than answered in km
        (r"distance", r"km", r"kilomet(?:er|re)s", r"how far"),
        _WORKOUT_AGGREGATIONS,
        additive=True,
        observed_when_positive=True,
    ),
    Measure(
        "workout.avg_speed_kph",
        "workout",
        WORKOUTS,
        "avg_speed_kph",
        "average speed",
        " km/h",
        (r"(?:average |avg )?speed", r"kph"),
        ("avg", "min", "max", "rank"),
        observed_when_positive=True,
    ),
)
# measures whose words name nothing but a workout's: a question with one of them is about workouts
# even without a workout noun ("my average cadence")
WORKOUT_ONLY_MEASURES = (
    "workout.avg_cadence_rpm",
    "workout.avg_resistance_pct",
    "workout.distance_km",
    "workout.avg_speed_kph",
)
NIGHT_MEASURES = (
    Measure(
        "night.spo2_average_pct",
        "night",
        SPO2,
        "spo2_average_pct",
        "SpO2",
        " %",
        (
            r"(?:average )?spo2(?: levels?)?",
            r"blood oxygen(?: levels?| saturation)?",
            r"oxygen(?: saturation| levels?)?",
        ),
        ("avg", "min", "max", "value", "count_if", "rank", "corr"),
    ),
    Measure(
        "night.deep_sleep_hours",
        "night",
        SLEEP_PERIODS,
        "deep_sleep_s",  # summed per day over the counted periods, in hours
        "hours of deep sleep",
        " h",
        (r"(?:hours? of )?deep sleep(?: hours)?",),
        ("avg", "min", "max", "value", "corr"),
    ),
)
MEASURES = DAY_MEASURES + WORKOUT_MEASURES + NIGHT_MEASURES
# the core table's columns that add up every workout of a day (a rest day adds 0), by name
DAY_WORKOUT_SUMS = (
    "workout_minutes", "workout_hours", "total_output_kj", "workout_calories", "workout_count",
)
# a night's measures on the core table: the day whose morning the night ends holds them
NIGHT_ON_DAY = ("sleep_score", "total_sleep_hours")
# "how many steps do I take ...": a habit, asked of a typical day (not "did I": a total)
HABITUAL = re.compile(r"\bhow (?:many|much) (?:\w+ ){1,3}?do i\b")
BY_NAME = {m.name: m for m in MEASURES}

# the silver columns a workout answer shows besides its measure
WORKOUT_IDENTITY = ("day", "discipline", "title")
WORKOUT_LIST = ("day", "discipline", "title", "duration_min")


def describe() -> str:
    """The catalog as a prompt section: one line per measure."""
    lines = [
        "One catalog of measures, shared with the offline translator. Entities: day = a row of "
        f"gold.{CORE}; workout = a row of lake.{WORKOUTS} (leave out apple_health rows that "
        f"start within {DUPLICATE_WINDOW_S // 60} minutes of local wall-clock time "
        "(started_local) of another source's workout: the core table does not count them); "
        f"night = a day of lake.{SPO2} or of lake.{SLEEP_PERIODS} summed over the periods of "
        f"type {', '.join(COUNTED_SLEEP_TYPES)}.",
    ]
    for m in MEASURES:
        better = "higher is better" if m.higher_is_better else "lower is better"
        lines.append(
            f"- {m.label} ({m.entity}): {m.relation}.{m.column}, unit{m.unit or ' none'}, "
            f"{better}; {', '.join(m.aggregations)}"
        )
    return "\n".join(lines)
