"""Reading a question: normalising it, then claiming every phrase the vocabulary knows.

The first half of translating. `read` blanks each phrase it understands, in a fixed order:
date spans first (dates.py), then the family cues that hold measure words, reading levels,
thresholds, neutral phrases, filters, disciplines, grouping, measures, the remaining family cues
and aggregates. What is left unclaimed, apart from filler words, is what the question says that
the translator does not understand (`Reading.unknown_words`). The patterns below are the closed
vocabulary of phrases; the measures and their aliases are in vocabulary.py.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlglot import exp

from app.nl2sql.dates import DateMention, find_dates
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.vocabulary import AGGREGATES, DISCIPLINES, FILLER, METRIC_BY_COLUMN, METRICS, Metric

_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "sixty": 60,
    "ninety": 90,
    "a couple of": 2,
    "a couple": 2,
}
_CONTRACTIONS = {
    "what's": "what is",
    "how's": "how is",
    "i'm": "i am",
    "i've": "i have",
    "didn't": "did not",
    "don't": "do not",
    "doesn't": "does not",
    "wasn't": "was not",
    "isn't": "is not",
    "haven't": "have not",
    "weren't": "were not",
    "aren't": "are not",
    "when's": "when is",
    "where's": "where is",
    "which's": "which is",
    "there's": "there is",
    "it's": "it is",
}

_COMPARATORS = {
    "lt": r"below|under|less than|lower than|fewer than|beneath|<",
    "gt": r"above|over|more than|greater than|higher than|exceeding|exceeded|>",
    "ge": r"at least|no less than|>=|hit|hitting|reached|reach|reaching|got to",
    "le": r"at most|no more than|<=",
}
_UNIT_METRICS = {
    "hour": "total_sleep_hours",
    "hours": "total_sleep_hours",
    "hrs": "total_sleep_hours",
    "h": "total_sleep_hours",
    "step": "steps",
    "steps": "steps",
    "minute": "workout_minutes",
    "minutes": "workout_minutes",
    "mins": "workout_minutes",
    "kj": "total_output_kj",
    "watts": "avg_watts",
    "watt": "avg_watts",
    "w": "avg_watts",
    "bpm": "resting_hr",
    "ms": "hrv_avg",
    "kcal": "workout_calories",
    "calories": "workout_calories",
}
_VERBS = (
    r"(?:(?:dropped|drop|dropping|fell|fall|went|go|got|get|was|were|is|are|dipped|dip|"
    r"rose|climbed|stayed|been|be|it|i|did|do|had|have|sleep|slept) )*"
)
_UNIT = r"(?: ?(?P<unit>hours?|hrs|h|steps?|minutes?|mins|kj|watts?|w|bpm|ms|kcal|calories))?"
_THRESHOLD = re.compile(
    rf"\b{_VERBS}(?P<cmp>{'|'.join(_COMPARATORS.values())}) (?P<num>\d+(?:\.\d+)?){_UNIT}\b"
    r"(?: of (?:sleep|output|steps)\b)?"  # "more than 8 hours of sleep": the unit's measure
    rf"|\b{_VERBS}(?P<num2>\d+(?:\.\d+)?){_UNIT.replace('unit', 'unit2')}"
    r"(?: (?P<post>or more|or higher|or above|or over|and up|and above|or less|or lower|or below|"
    r"or fewer)|(?P<plus>\+))"
)
_LEVELS = (  # the readiness buckets of workout_type_optimization, the sleep classes of the views
    (
        r"\b(?:on )?low readiness(?: days?)?\b|\breadiness (?:is |was )?low\b",
        (("readiness_score", "lt", 70),),
    ),
    (
        r"\b(?:on )?high readiness(?: days?)?\b|\breadiness (?:is |was )?high\b",
        (("readiness_score", "ge", 85),),
    ),
    (
        r"\b(?:on )?(?:medium|moderate) readiness(?: days?)?\b",
        (("readiness_score", "ge", 70), ("readiness_score", "lt", 85)),
    ),
    (
        r"\b(?:after |on )?(?:a )?(?:poor|bad) (?:sleep|nights?)(?: sleep)?\b",
        (("sleep_score", "lt", 60),),
    ),
    (
        r"\b(?:after |on )?(?:an )?excellent (?:sleep|nights?)(?: sleep)?\b",
        (("sleep_score", "ge", 88),),
    ),
)
_WORKOUT_VERB = r"(?:work(?:ed)? out|exercised?|trained?|did a workout|had a workout)"
_FILTERS: tuple[tuple[str, tuple[str, object]], ...] = (
    (
        rf"\bdays? (?:when |that |where |on which )?i (?:did not|do not|didn't) {_WORKOUT_VERB}\b"
        rf"|\bwhen i (?:did not|do not) {_WORKOUT_VERB}\b|\brest days?\b|\bdays? off\b"
        r"|\b(?:non|no) ?workout days?\b|\bdays? (?:without|with no) (?:a )?workouts?\b",
        ("had_workout", False),
    ),
    (
        rf"\b(?:on )?(?:workout|training|exercise) days?\b"
        rf"|\bdays? (?:when |that |where |on which )?(?:did |have )?i (?:have )?{_WORKOUT_VERB}\b"
        rf"|\bdays? with (?:a )?workouts?\b|\bwhen i {_WORKOUT_VERB}\b",
        ("had_workout", True),
    ),
    (r"\b(?:on )?weekends?\b|\bsaturdays? and sundays?\b", ("weekend", True)),
    (r"\b(?:on )?weekdays?\b|\bwork ?days\b", ("weekend", False)),
    *(
        (rf"\b(?:on )?{name}s?\b", ("day_of_week", number))
        for number, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), start=1
        )
    ),
    (r"\b(?:high|elevated) (?:overtraining )?risk\b", ("overtraining_risk", "high_risk")),
    (r"\bmoderate (?:overtraining )?risk\b", ("overtraining_risk", "moderate_risk")),
    (r"\blow (?:overtraining )?risk\b", ("overtraining_risk", "low_risk")),
    (r"\bpeak energy\b", ("energy_state", "peak")),
    (r"\bhigh energy\b", ("energy_state", "high")),
    (r"\bmoderate energy\b", ("energy_state", "moderate")),
    (r"\blow energy\b", ("energy_state", "low")),
    (r"\brecovery needed\b", ("energy_state", "recovery_needed")),
)
# the filter kinds answered by a view of their own, and that view
CATEGORY_RELATIONS = {"overtraining_risk": "overtraining_risk", "energy_state": "energy_state"}
_GROUPINGS = (
    (
        r"\b(?:by|per|for each|on each|each) (?:day of (?:the )?week|weekday)\b|\bday of (?:the )?week\b",
        "day_of_week",
    ),
    (
        r"\b(?:by|per|each|every|for each) week\b|\bweekly\b|\bweek by week\b|\bweek over week\b",
        "week",
    ),
    (r"\b(?:by|per|each|every|for each) month\b|\bmonthly\b|\bmonth by month\b", "month"),
)
_NEUTRAL = (  # phrases that change nothing: the day is already the unit
    # ("per ride" is not one: two rides on a day are two; the compositional reading has it)
    r"\b(?:per|a|each) day\b|\bdaily\b|\bon days with\b"
    r"|\bfor me\b|\bso far\b|\bin general\b"
)

_CUES = {
    "overtraining": r"\bover ?train(?:ing|ed)?\b|\boverreach(?:ing|ed)?\b"
    r"|\b(?:training|train|working out|work out|exercising|pushing) too (?:hard|much)\b"
    r"|\bburn(?:ing|ed)? out\b|\bburnout\b",
    "best_type": r"\b(?:best|which|what|optimal|ideal) (?:kind|type|sort)s? of (?:workout|training|exercise)s?\b"
    r"|\b(?:best|which|what|optimal|ideal) (?:workout|training|exercise) (?:type|kind)s?\b"
    r"|\bworks? best\b|\bbest workout\b",
    "recommend": r"\bshould i (?:work ?out|train|exercise|ride|go hard|rest|take a rest day)\b"
    r"|\bwhat (?:workout|kind of workout|type of workout|intensity|training) should i do\b"
    r"|\bshould i (?:do |go for )?(?:a |an )?(?:hard |easy |light |intense |long )?"
    r"(?:workout|ride|session|training)\b"
    r"|\bworkout recommendations?\b|\brecommended intensity\b|\bwhat should i do\b",
    "energy": r"\benergy (?:state|level)s?\b|\bhow is my energy\b",
    "sleep_quality": r"\bsleep quality\b",
    "weekly_trend": r"\bweekly trends?\b|\bweek(?:'s)? trend\b",
    "correlation": r"\b(?:correlation|relationship|connection|link|association) between\b"
    r"|\bcorrelat\w*\b|\brelationship\b|\brelated to\b|\brelated\b|\bconnected to\b"
    r"|\blinked to\b|\bassociated with\b|\baffects?\b|\baffected\b|\bimpacts?\b"
    r"|\binfluences?\b|\bdepends? on\b|\bpredicts?\b|\bgo together\b",
    "next_day": r"\b(?:the )?(?:next|following) (?:day|morning)s?\b|\bthe day after\b|\btomorrow\b",
    "compare": r"\bcompared? (?:to|with)\b|\bcompare[sd]?\b|\bcomparison\b|\bvs\b|\bversus\b"
    r"|\bagainst\b|\bthan\b|\bor\b|\bdifference between\b",
    "direction": r"\bgo(?:ne)? (?:up|down)\b|\bgoing (?:up|down)\b|\bhigher\b|\blower\b|\bbetter\b"
    r"|\bworse\b|\bmore\b|\bless\b|\bincrease[sd]?\b|\bdecrease[sd]?\b|\bchanged?\b"
    r"|\bdiffer(?:ent|ence)?\b|\bimprov(?:e|es|ed|ing)\b|\bgetting (?:better|worse)\b"
    r"|\bdeclin(?:e|es|ed|ing)\b|\btrending (?:up|down)\b|\brising\b|\bfalling\b"
    r"|\bincreasing\b|\bdecreasing\b|\bup\b|\bdown\b",
    "series": r"\btrend(?:s|ed|ing)?\b|\bover time\b|\bprogress(?:ion|ed|ing)?\b|\bevolved?\b"
    r"|\bhistory\b|\bchanged?\b",
    # not "how many steps on days I did yoga": a measure on those days
    "count": r"\bhow many (?:(?!(?:on|in|during|for|across)\b)\w+ ){0,3}?(?:days|nights|mornings)\b"
    r"|\bhow often\b"
    r"|\bnumber of (?:days|nights)\b"
    r"|\bcount (?:of )?(?:the )?days\b",
    # only the verb is claimed: the words between may matter ("show me my best sleep days")
    "list": r"\b(?:show|list|find|give)\b(?=.*\b(?:days?|nights?|dates?)\b)"
    # a question that starts "show my readiness ...": the days' values, not one number
    r"|^(?:please )?(?:show|list|display)(?: me)?(?= (?:my|all|the)\b)"
    r"|^(?:the |my )?(?=days (?:with|where|when|that|on which|i)\b)"
    r"|\b(?:which|what) (?:days?|nights?|dates?)\b|\bwhen (?:did|was|were|do|is)\b",
    "top_n": r"\b(?:top|bottom) (?P<n1>\d+)\b|\b(?P<n2>\d+) (?:best|worst|highest|lowest|top|bottom)\b",
    "top_hint": r"\b(?:days?|nights?|dates?|scores)\b|\bwhen (?:did|was|were)\b|\bwhich day\b"
    r"|\b(?:show|list)\b",
    "how_many": r"\bhow (?:many|much)\b",
}


@dataclass(frozen=True)
class Condition:
    """One day-level condition: a measure against a number, or a filter from the vocabulary."""

    kind: str  # "threshold" | "had_workout" | "weekend" | "discipline" | category column
    column: str = ""
    op: str = ""
    value: object = None

    def describe(self) -> str:
        if self.kind == "threshold":
            words = {"lt": "below", "gt": "above", "ge": "at least", "le": "at most"}[self.op]
            return f"{METRIC_BY_COLUMN[self.column].label} {words} {self.value:g}"
        if self.kind == "had_workout":
            return "on workout days" if self.value else "on rest days"
        if self.kind == "weekend":
            return "on weekends" if self.value else "on weekdays"
        if self.kind == "discipline":
            return f"on {str(self.value).replace('_', ' ')} days"
        if self.kind == "day_of_week":
            return f"on {calendar.day_name[int(self.value) - 1]}s"  # type: ignore[call-overload]
        return f"{str(self.value).replace('_', ' ')} days"

    def sql(self, table: str | None = None) -> exp.Expression:
        def col(name: str) -> exp.Column:
            return exp.column(name, table=table)

        if self.kind == "threshold":
            number = exp.Literal.number(self.value)
            op = {"lt": exp.LT, "gt": exp.GT, "ge": exp.GTE, "le": exp.LTE}[self.op]
            return op(this=col(self.column), expression=number)
        if self.kind == "had_workout":
            return col("had_workout") if self.value else exp.not_(col("had_workout"))
        if self.kind == "weekend":
            weekend = exp.In(
                this=exp.DayOfWeekIso(this=col("day")),
                expressions=[exp.Literal.number(6), exp.Literal.number(7)],
            )
            return weekend if self.value else exp.not_(weekend)
        if self.kind == "discipline":
            return exp.ArrayContains(
                this=col("disciplines"), expression=exp.Literal.string(self.value)
            )
        if self.kind == "day_of_week":
            return exp.DayOfWeekIso(this=col("day")).eq(exp.Literal.number(self.value))
        return col(self.kind).eq(exp.Literal.string(self.value))


@dataclass(frozen=True)
class MetricMention:
    metric: Metric
    start: int
    end: int


@dataclass
class Reading:
    """What was found in a question; `consumed` marks the characters that were understood."""

    text: str
    base: str  # the text with date spans blanked, where family cues are looked for
    work: str  # the text with every claimed phrase blanked, where the next stage looks
    consumed: list[bool]
    dates: list[DateMention] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    grouping: str | None = None
    metrics: list[MetricMention] = field(default_factory=list)
    aggregates: list[str] = field(default_factory=list)
    cues: dict[str, re.Match] = field(default_factory=dict)

    def claim(self, pattern: str | re.Pattern) -> list[re.Match]:
        """Matches of `pattern` in the working text, marked understood and blanked."""
        found = list(re.finditer(pattern, self.work))
        for match in found:
            self.mark(match.start(), match.end())
        return found

    def mark(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.consumed[i] = True
        self.work = self.work[:start] + " " * (end - start) + self.work[end:]

    def cue(self, name: str) -> re.Match | None:
        return self.cues.get(name)

    def unknown_words(self) -> list[str]:
        words = []
        for match in re.finditer(r"\S+", self.text):
            if all(self.consumed[match.start() : match.end()]):
                continue
            if match.group() not in FILLER:
                words.append(match.group())
        return words


def normalize(question: str) -> str:
    text = question.lower().replace("\u2019", "'").replace("\u2018", "'")
    for short, long in _CONTRACTIONS.items():
        text = text.replace(short, long)
    text = re.sub(r"(\w)'s\b", r"\1", text)  # possessive: "next day's output"
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)  # 10,000
    text = re.sub(r"\b(\d+(?:\.\d+)?)k\b", lambda m: f"{float(m[1]) * 1000:g}", text)  # 10k
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # heart-rate, high-risk
    text = re.sub(r"[?!,;:\"()\[\]]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for word, number in sorted(_NUMBER_WORDS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"\b{word}\b", str(number), text)
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text)
    return text


# wordings that mean exactly a phrase the reading knows (the rest of the question unchanged)
_REWRITES = (
    # a ride's personal best is its output (Peloton's PRs are output records)
    (r"\b(?:my )?(?:personal (?:best|record)|pr)s?\b(?= (?:for|on|in|of) (?:a |an |my )?"
     r"(?:\d+[ -]?min(?:ute)?s? )?(?:rides?|cycling)\b)", "best output"),
    (r"\bhow often do i (?:work out|exercise|train) (?:per|a|each|every) (week|month)\b",
     r"average number of workouts per \1"),
)


def _alias_pattern(aliases: Iterable[str]) -> str:
    return r"\b(?:" + "|".join(sorted(aliases, key=len, reverse=True)) + r")\b"


_METRIC_PATTERNS = [
    (re.compile(rf"\b(?:{alias})\b"), metric) for metric in METRICS for alias in metric.aliases
]


def read(question: str, as_of: date) -> Reading:
    """The first half of translating: claim every phrase the vocabulary knows."""
    text = normalize(question)
    reading = Reading(text, text, text, [False] * len(text))
    reading.dates = find_dates(text, as_of)
    for mention in reading.dates:
        reading.mark(mention.start, mention.end)
    reading.base = reading.work
    # phrases holding measure words that belong to a family, not to a measure
    for name in (
        "overtraining",
        "recommend",
        "best_type",
        "energy",
        "sleep_quality",
        "weekly_trend",
    ):
        found = reading.claim(_CUES[name])
        if found:
            reading.cues[name] = found[0]
    for pattern, conditions in _LEVELS:
        if reading.claim(pattern):
            reading.conditions += [Condition("threshold", c, op, v) for c, op, v in conditions]
    thresholds = [(m, _threshold_parts(m)) for m in reading.claim(_THRESHOLD)]
    # groupings before filters and neutral phrases: "by weekday" groups the days, it does not
    # keep the weekdays, and "per day of the week" is not "per day"
    for pattern, grouping in _GROUPINGS:
        if reading.claim(pattern):
            reading.grouping = grouping
    reading.claim(_NEUTRAL)
    for pattern, (kind, value) in _FILTERS:
        if reading.claim(pattern):
            reading.conditions.append(Condition(kind, value=value))
    for name, aliases in DISCIPLINES.items():
        prefix = (
            r"(?:(?:on )?(?:the )?days? (?:when |that |where |on which )?i (?:did|do|had|went) "
            r"|when i (?:did|do|had|went) |with (?:a |an )?)?(?:a |some )?"
        )
        suffix = r"(?: workouts?| sessions?| classes| training)?(?: days?)?"
        if reading.claim(rf"\b{prefix}{_alias_pattern(aliases)[2:-2]}{suffix}\b"):
            reading.conditions.append(Condition("discipline", value=name))
    # the longest phrase wins wherever aliases overlap ("active calories did i burn" is not
    # "calories did i burn")
    candidates = sorted(
        (
            (match, metric)
            for pattern, metric in _METRIC_PATTERNS
            for match in pattern.finditer(reading.work)
        ),
        key=lambda mm: (mm[0].start() - mm[0].end(), mm[0].start()),
    )
    for match, metric in candidates:
        if reading.work[match.start() : match.end()] == match.group():  # not claimed meanwhile
            reading.mark(match.start(), match.end())
            reading.metrics.append(MetricMention(metric, match.start(), match.end()))
    reading.metrics.sort(key=lambda m: m.start)
    for match, (op, number, unit) in thresholds:
        reading.conditions.append(_threshold_condition(reading, match, op, number, unit))
    # cue words: looked for where earlier stages left them (so "more than 8 hours" is not a
    # comparison), except the filler-like ones, looked for in the whole question
    for name in ("correlation", "next_day", "top_n", "compare", "direction", "series"):
        found = list(re.finditer(_CUES[name], reading.work))
        if found:
            reading.cues[name] = found[0]
            reading.claim(_CUES[name])
    for name in ("count", "list", "top_hint", "how_many"):
        found = list(re.finditer(_CUES[name], reading.base))
        if found:
            reading.cues[name] = found[0]
            reading.claim(_CUES[name])  # what is left of it: "how often"
    for aggregate, words in AGGREGATES.items():
        if reading.claim(_alias_pattern(words)):
            reading.aggregates.append(aggregate)
    return reading


def _threshold_parts(match: re.Match) -> tuple[str, float, str | None]:
    if match["cmp"]:
        op = next(k for k, words in _COMPARATORS.items() if re.fullmatch(words, match["cmp"]))
        return op, float(match["num"]), match["unit"]
    if match["plus"] or match["post"] in (
        "or more",
        "or higher",
        "or above",
        "or over",
        "and up",
        "and above",
    ):
        return "ge", float(match["num2"]), match["unit2"]
    return "le", float(match["num2"]), match["unit2"]


def _workout_hours(text: str, match: re.Match, nearest: MetricMention | None) -> bool:
    """Whether "N hours" in a condition are of workouts: the question says it worked out, and
    neither the condition nor the measure just before it is about sleep."""
    if re.search(r"\b(?:sleep|slept|sleeping)\b", match.group()):
        return False
    if nearest is not None and nearest.metric.column in ("sleep_score", "total_sleep_hours"):
        return False
    return re.search(rf"\b{_WORKOUT_VERB}\b|\bworking out\b|\bexercising\b", text) is not None


def _threshold_condition(
    reading: Reading, match: re.Match, op: str, number: float, unit: str | None
) -> Condition:
    """Which measure a "below 70" is about: its unit, else the measure named just before it."""
    before = [m for m in reading.metrics if m.end <= match.start()]
    nearest = before[-1] if before else None
    if nearest is not None and len(reading.text[nearest.end : match.start()].split()) > 3:
        nearest = None  # too far away to be what the condition is about
    column = _UNIT_METRICS.get(unit or "")
    if column == "total_sleep_hours" and _workout_hours(reading.text, match, nearest):
        # "days I worked out for more than 1 hour": the day's workout minutes, in minutes
        column, number = "workout_minutes", number * 60
    if column is None:
        if nearest is None:
            raise NotUnderstood(
                f"I can't tell which measure should be {match.group().strip()}",
                'Name the measure, e.g. "days where my readiness was below 70".',
            )
        column = nearest.metric.column
    if nearest is not None and (
        nearest.metric.column == column
        or (column == "total_sleep_hours" and nearest.metric.column == "sleep_score")
    ):
        reading.metrics.remove(nearest)  # the measure belongs to the condition, not the answer
    value = int(number) if number.is_integer() else number
    return Condition("threshold", column, op, value)
