"""The words the offline translator knows, mapped to the gold columns they mean.

A closed vocabulary is the point: every identifier the offline translator puts into SQL comes
from these tables, never from the question, and a word that is in none of them (nor a harmless
filler word) makes the translator say it does not understand instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    column: str  # in gold.daily_readiness_performance
    label: str
    aliases: tuple[str, ...]  # regular expressions, matched on whole words
    unit: str = ""
    higher_is_better: bool = True
    additive: bool = False  # "how many / how much" means a sum (steps), not an average (HRV)
    # a workout measure exists only on days with that measure: averages, minima, maxima and
    # correlations count those days only (a rest day's output of 0 is not a performance)
    observed_when_positive: bool = False

    @property
    def short(self) -> str:
        return self.column.replace("_score", "").replace("total_", "").replace("_kj", "")


METRICS: tuple[Metric, ...] = (
    Metric("readiness_score", "readiness score", (r"readiness(?: scores?)?", r"recovery scores?")),
    Metric(
        "sleep_score",
        "sleep score",
        (
            r"sleep scores?",
            r"how well (?:did )?i (?:sleep|slept)",
            # not "sleep the most": that is hours (below)
            r"(?<!longest )(?<!shortest )sleep(?! (?:the )?(?:most|least|longest|shortest|longer|shorter|more|less)\b)",
            r"slept well",
        ),
    ),
    Metric(
        "total_sleep_hours",
        "hours of sleep",
        (
            r"(?:total )?hours? of sleep",
            r"sleep hours",
            r"sleep duration",
            r"total sleep(?: time)?",
            r"how (?:long|much) (?:did |do )?i (?:sleep|slept)",
            r"how much sleep",
            # "which night did I sleep the most": hours; the rank word stays for the ranking
            r"(?:sleep|slept)(?= (?:the )?(?:most|least|longest|shortest|more|less|longer|shorter)\b)",
            # "my longest sleep": its hours, not its score
            r"(?<=longest )(?:sleep|nights? of sleep|nights?)|(?<=shortest )(?:sleep|nights? of sleep|nights?)",
            r"slept",
            r"sleep time",
        ),
        unit=" h",
    ),
    Metric("activity_score", "activity score", (r"activity scores?",)),
    Metric("hrv_balance", "HRV balance", (r"hrv balance",)),
    Metric("hrv_avg", "HRV", (r"hrv", r"heart rate variability"), unit=" ms"),
    Metric(
        "resting_hr",
        "resting heart rate",
        (
            r"resting heart rates?",
            r"resting hr",
            r"rhr",
            r"resting pulse",
            r"heart rates?",
        ),
        unit=" bpm",
        higher_is_better=False,
    ),
    Metric(
        "temperature_deviation_c",
        "temperature deviation",
        (
            r"(?:body )?temperature(?: deviations?)?",
            r"temp(?: deviations?)?",
        ),
        unit=" °C",
        higher_is_better=False,
    ),
    Metric(
        "steps",
        "steps",
        (
            r"steps?(?: count)?(?: did i (?:take|walk|do))?",
            r"step counts?",
        ),
        additive=True,
    ),
    Metric(
        "active_calories",
        "active calories",
        (
            r"active calories(?: did i burn)?(?: burned)?",
            r"activity calories",
        ),
        unit=" kcal",
        additive=True,
    ),
    Metric(
        "workout_calories",
        "workout calories",
        (
            r"(?:workout )?calories(?: did i burn| i burned| burned)?(?: (?:in|during|from) (?:my )?workouts?)?",
            r"kcal",
        ),
        unit=" kcal",
        additive=True,
    ),
    Metric(
        "workout_count",
        "workouts",
        (
            r"(?:number of )?workouts(?: did i do)?",
            r"workout count",
            r"times (?:did |have )?i (?:work(?:ed)? out|exercised?|trained?)",
        ),
        additive=True,
    ),
    Metric(
        "workout_minutes",
        "workout minutes",
        (
            r"workout minutes",
            r"minutes of (?:exercise|training|workouts?)",
            r"(?:training|workout|exercise) time",
            r"exercise minutes",
            r"minutes (?:did |have )?i (?:work(?:ed)? out|exercised?|trained?|spen[dt] (?:working out|training))",
            r"time (?:did |have |do )?i spen[dt] (?:working out|training|exercising)",
        ),
        unit=" min",
        additive=True,
        observed_when_positive=True,
    ),
    Metric(
        "total_output_kj",
        "output",
        (
            r"(?:total |training |workout )?output(?: in kj)?",
            r"kilojoules",
            r"kj",
        ),
        unit=" kJ",
        additive=True,
        observed_when_positive=True,
    ),
    Metric(
        "avg_watts", "average watts", (r"(?:average |avg )?watts", r"wattage", r"power"), unit=" W"
    ),
    Metric(
        "max_avg_hr",
        "workout heart rate",
        (
            r"workout heart rates?",
            # not "max heart rate": that is a person's maximum, which no table holds
            r"training heart rates?",
        ),
        unit=" bpm",
    ),
    Metric("combined_wellness_score", "wellness score", (r"(?:combined )?wellness(?: scores?)?",)),
    Metric(
        "readiness_to_output_ratio",
        "readiness-to-output ratio",
        (
            r"readiness to output ratio",
            r"output ratio",
            r"training load ratio",
        ),
    ),
)
METRIC_BY_COLUMN = {m.column: m for m in METRICS}

AGGREGATES: dict[str, tuple[str, ...]] = {
    # "best" and "worst" are resolved per measure (the best resting heart rate is the lowest)
    "avg": (r"on average", r"average", r"avg", r"mean", r"typical(?:ly)?", r"usually"),
    "sum": (r"in total", r"total", r"sum", r"altogether", r"overall total"),
    "max": (r"highest", r"maximum", r"max", r"most", r"peak", r"biggest", r"largest", r"longest"),
    "min": (r"lowest", r"minimum", r"min", r"least", r"fewest", r"smallest", r"shortest"),
    "best": (r"best", r"top"),
    "worst": (r"worst", r"bottom"),
    "stddev": (r"standard deviation", r"std ?dev", r"variability", r"variation"),
}

DISCIPLINES: dict[str, tuple[str, ...]] = {
    "cycling": (
        r"cycling",
        r"rides?",
        r"rode",
        r"ridden",
        r"riding",
        r"bike rides?",
        r"spin(?:ning)?",
        r"(?:the )?bike(?! bootcamp)",
    ),
    "strength": (r"strength(?: training)?", r"lifting", r"weights"),
    "yoga": (r"yoga",),
    "stretching": (r"stretching", r"stretch(?:es)?"),
    "meditation": (r"meditation", r"meditated?"),
    "running": (r"running", r"runs?", r"ran"),
    "walking": (r"walking", r"walks"),
    "rowing": (r"rowing",),
    "bike_bootcamp": (r"bike bootcamps?", r"bootcamps?"),
}

# Words that carry no meaning of their own here; anything else left over is not understood.
FILLER = frozenset(
    """
a about all am an and any are as at be been by can could day days did do does doing done for
from get give got had has have how i i'd im in is it its just know let like list look me my
night nights of on please show so tell that the there these this those to was we
were what when where which while with would you your date dates value values number numbers
data stats statistics recorded measured ring oura peloton find many much
""".split()
)
