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
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlglot
from sqlglot import exp

from app.nl2sql.dates import DateMention, Span, find_dates
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.translation import Translation
from app.nl2sql.vocabulary import AGGREGATES, DISCIPLINES, FILLER, METRIC_BY_COLUMN, METRICS, Metric

DIALECT = "trino"
TEMPLATES = Path(__file__).with_name("templates")
CORE = "daily_readiness_performance"
EXAMPLE_QUESTIONS = (
    "What was my average readiness score last week?",
    "How many days did I work out in March?",
    "Show me days where my readiness dropped below 70",
    "What's the correlation between my sleep and readiness?",
    "Am I overtraining?",
)
TREND_WINDOW_DAYS = 30  # "is my readiness improving?" without a span looks at the last 30 days
OVERTRAINING_WINDOW_DAYS = 7

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
_CATEGORY_RELATIONS = {"overtraining_risk": "overtraining_risk", "energy_state": "energy_state"}
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
_NEUTRAL = (  # phrases that change nothing: the day is already the unit, workouts are per day
    r"\b(?:per|a|each) day\b|\bper (?:ride|workout|session|class)\b|\bdaily\b|\bon days with\b"
    r"|\bfor me\b|\bso far\b|\bin general\b|\brecently\b|\blately\b"
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
    "count": r"\bhow many (?:\w+ ){0,3}?(?:days|nights|mornings)\b|\bhow often\b"
    r"|\bnumber of (?:days|nights)\b"
    r"|\bcount (?:of )?(?:the )?days\b",
    "list": r"\b(?:show|list|find|give)\b.*\b(?:days?|nights?|dates?)\b"
    r"|\b(?:which|what) (?:days?|nights?|dates?)\b|\bwhen (?:did|was|were|do|is)\b",
    "top_n": r"\b(?:top|bottom) (?P<n1>\d+)\b|\b(?P<n2>\d+) (?:best|worst|highest|lowest|top|bottom)\b",
    "top_hint": r"\b(?:days?|nights?|dates?|scores)\b|\bwhen (?:did|was|were)\b|\bwhich day\b"
    r"|\b(?:show|list)\b",
    "how_many": r"\bhow (?:many|much)\b",
}
_SINGULAR_TOP = re.compile(
    r"\bwhen (?:did|was|were)\b|\b(?:which|what) (?:day|night|date)\b|\bday\b"
)


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
    return text


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
    for pattern, grouping in _GROUPINGS:
        if reading.claim(pattern):
            reading.grouping = grouping
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


def _threshold_condition(
    reading: Reading, match: re.Match, op: str, number: float, unit: str | None
) -> Condition:
    """Which measure a "below 70" is about: its unit, else the measure named just before it."""
    before = [m for m in reading.metrics if m.end <= match.start()]
    nearest = before[-1] if before else None
    if nearest is not None and len(reading.text[nearest.end : match.start()].split()) > 3:
        nearest = None  # too far away to be what the condition is about
    column = _UNIT_METRICS.get(unit or "")
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


# -- SQL building ----------------------------------------------------------------------------------
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


class OfflineTranslator:
    """Questions → Trino SQL, deterministic and local. `as_of` is the "today" of the question."""

    name = "offline"

    def __init__(self, as_of: date, person_id: str = "me") -> None:
        self.as_of = as_of
        self.person_id = person_id

    # -- understanding ---------------------------------------------------------------------------
    def plan(self, question: str) -> Plan:
        reading = read(question, self.as_of)
        unknown = reading.unknown_words()
        if unknown:
            raise NotUnderstood(
                f"I don't know what {', '.join(repr(w) for w in unknown)} means here",
                self._suggestion(reading),
            )
        return self._choose(reading)

    def _suggestion(self, reading: Reading) -> str:
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

    def _choose(self, r: Reading) -> Plan:
        spans = [d.span for d in r.dates]
        explicit = bool(spans)
        span = spans[0] if spans else Span(None, self.as_of, "so far")
        conditions = tuple(r.conditions)
        metrics = tuple(m.metric for m in r.metrics)
        thresholds = [c for c in conditions if c.kind == "threshold"]

        def plan(family: str, **kwargs) -> Plan:
            return Plan(family, kwargs.pop("span", span), explicit, conditions, **kwargs)

        if r.cue("overtraining"):
            if not explicit:
                span = Span(
                    self.as_of - timedelta(days=OVERTRAINING_WINDOW_DAYS - 1),
                    self.as_of,
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
            aggregate = "sum" if "sum" in r.aggregates else "avg"
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
                    self.as_of - timedelta(days=TREND_WINDOW_DAYS - 1),
                    self.as_of,
                    f"the last {TREND_WINDOW_DAYS} days",
                )
            return plan("trend", metrics=metrics, span=span)
        if r.cue("count") and not r.cue("top_n"):
            return plan("count")
        superlative = [a for a in r.aggregates if a in ("max", "min", "best", "worst")]
        if len(metrics) == 1 and (r.cue("top_n") or (superlative and r.cue("top_hint"))):
            top = r.cue("top_n")
            words = [a for a in r.aggregates if a in ("max", "min", "best", "worst")]
            if top:
                limit = int(top["n1"] or top["n2"])
                words.insert(0, re.search(r"best|worst|highest|lowest|top|bottom", top.group())[0])
            else:
                limit = (
                    1
                    if _SINGULAR_TOP.search(r.base)
                    and not re.search(r"\b(?:days|nights|dates|scores)\b", r.base)
                    else 5
                )
            word = words[0] if words else "best"
            descending = _descending(word, metrics[0])
            return plan("top", metrics=metrics, limit=limit, descending=descending)
        if r.cue("list") and conditions and not r.aggregates:
            return plan("list", metrics=tuple(METRIC_BY_COLUMN[c.column] for c in thresholds))
        if metrics and not any(c.kind in _CATEGORY_RELATIONS for c in conditions):
            if len(set(metrics)) != len(metrics):
                raise NotUnderstood("a measure is named twice", self._suggestion(r))
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
            return plan("aggregate", metrics=metrics, aggregate=aggregate, grouping=r.grouping)
        raise NotUnderstood("I found no measure or question I know in it", self._suggestion(r))

    # -- SQL -------------------------------------------------------------------------------------
    def translate(self, question: str) -> Translation:
        plan = self.plan(question)
        tree, relation, template = getattr(self, f"_sql_{plan.family}")(plan)
        return Translation(
            sql=tree.sql(dialect=DIALECT, pretty=True),
            relation=relation,
            rationale=_rationale(plan),
            translator=self.name,
            answer_template=template,
        )

    def _base(self, plan: Plan, table: str | None = None) -> list[exp.Expression]:
        conditions: list[exp.Expression] = [
            exp.column("person_id", table=table).eq(exp.Literal.string(self.person_id))
        ]
        conditions += _span_conditions(plan.span, exp.column("day", table=table))
        conditions += [c.sql(table) for c in plan.conditions]
        return conditions

    def _relation(self, plan: Plan) -> str:
        categories = {c.kind for c in plan.conditions if c.kind in _CATEGORY_RELATIONS}
        if len(categories) > 1:
            raise NotUnderstood(
                "the question mixes overtraining risk and energy state days",
                'Ask about one at a time, e.g. "How many high risk days did I have?".',
            )
        return _CATEGORY_RELATIONS[categories.pop()] if categories else CORE

    def _sql_value(self, plan: Plan):
        projections = [exp.column(m.column) for m in plan.metrics]
        tree = exp.select(*projections).from_(CORE).where(_and(self._base(plan)))
        values = " and ".join(f"{m.label} {{{m.column}}}{m.unit}" for m in plan.metrics)
        return tree, CORE, f"Your {values} on {plan.span.describe()}."

    def _sql_latest(self, plan: Plan):
        metric = plan.metrics[0]
        tree = (
            exp.select(exp.column("day"), exp.column(metric.column))
            .from_(CORE)
            .where(_and([*self._base(plan), _observed(metric)]))
            .order_by(exp.Ordered(this=exp.column("day"), desc=True))
            .limit(1)
        )
        return (
            tree,
            CORE,
            f"Your latest {metric.label} is {{{metric.column}}}{metric.unit} ({{day}}).",
        )

    def _sql_aggregate(self, plan: Plan):
        conditions = self._base(plan)
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
                f"{{row_count}} {plan.grouping.replace('_', ' ')}s of " + _what(plan) + ".",
            )
        values = " and ".join(f"{{{n}}}{m.unit}" for n, m in zip(names, plan.metrics, strict=True))
        return tree, CORE, f"Your {_what(plan)} was {values}."

    def _sql_count(self, plan: Plan):
        relation = self._relation(plan)
        tree = (
            exp.select(exp.alias_(exp.Count(this=exp.Star()), "days"))
            .from_(relation)
            .where(_and(self._base(plan)))
        )
        what = ", ".join(c.describe() for c in plan.conditions) or "with data"
        return tree, relation, f"{{days}} days matched ({what}), {plan.span.describe()}."

    def _sql_list(self, plan: Plan):
        relation = self._relation(plan)
        projections = [exp.column("day")] + [exp.column(m.column) for m in plan.metrics]
        tree = (
            exp.select(*projections)
            .from_(relation)
            .where(_and(self._base(plan)))
            .order_by(exp.Ordered(this=exp.column("day")))
        )
        what = ", ".join(c.describe() for c in plan.conditions)
        return tree, relation, f"{{row_count}} days matched ({what}), {plan.span.describe()}."

    def _sql_top(self, plan: Plan):
        metric = plan.metrics[0]
        conditions = [*self._base(plan), _observed(metric)]
        order = exp.Ordered(this=exp.column(metric.column), desc=plan.descending)
        tree = (
            exp.select(exp.column("day"), exp.column(metric.column))
            .from_(CORE)
            .where(_and(conditions))
            .order_by(order, exp.Ordered(this=exp.column("day")))
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

    def _sql_compare_periods(self, plan: Plan):
        metric = plan.metrics[0]
        first, second = plan.spans
        values = []
        for span in (first, second):
            when = _span_conditions(span, exp.column("day"))
            if plan.aggregate != "sum" and metric.observed_when_positive:
                when.append(
                    exp.GT(this=exp.column(metric.column), expression=exp.Literal.number(0))
                )
            case = exp.Case(ifs=[exp.If(this=_and(when), true=exp.column(metric.column))])
            values.append(_aggregate_sql(plan.aggregate, metric, case))
        change = exp.Sub(this=values[0].copy(), expression=values[1].copy())
        projections = [
            exp.alias_(values[0], "first_period"),
            exp.alias_(values[1], "second_period"),
            exp.alias_(change, "change"),
        ]
        low = (
            min(s.first for s in plan.spans if s.first)
            if all(s.first for s in plan.spans)
            else None
        )
        where = [exp.column("person_id").eq(exp.Literal.string(self.person_id))]
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

    def _sql_compare_groups(self, plan: Plan):
        metric = plan.metrics[0]
        conditions = self._base(plan)
        if plan.aggregate != "sum" and metric.observed_when_positive:
            conditions.append(
                exp.GT(this=exp.column(metric.column), expression=exp.Literal.number(0))
            )
        key = Condition(plan.grouping or "", value=True).sql()
        name = "workout_day" if plan.grouping == "had_workout" else "weekend"
        tree = (
            exp.select(
                exp.alias_(key, name),
                exp.alias_(
                    _aggregate_sql(plan.aggregate, metric), f"{plan.aggregate}_{metric.column}"
                ),
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

    def _sql_correlation(self, plan: Plan):
        if plan.next_day_metric is not None:
            first, second = plan.metrics[0], plan.next_day_metric
            conditions = [
                exp.column("person_id", table="d").eq(exp.Literal.string(self.person_id)),
                *_span_conditions(plan.span, exp.column("day", table="d")),
                exp.LTE(this=exp.column("day", table="n"), expression=_date(self.as_of)),
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
        conditions = [*self._base(plan), _observed(first), _observed(second)]
        corr = exp.Corr(
            this=exp.cast(exp.column(first.column), "double"),
            expression=exp.cast(exp.column(second.column), "double"),
        )
        tree = (
            exp.select(
                exp.alias_(corr, "correlation"), exp.alias_(exp.Count(this=exp.Star()), "days")
            )
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

    def _sql_trend(self, plan: Plan):
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
            .where(_and([*self._base(plan), _observed(metric)]))
        )
        return (
            tree,
            CORE,
            (
                f"Your {metric.label} changed by {{change_per_week}}{metric.unit} per week "
                f"over {plan.span.describe()}, a straight-line fit over {{days}} days."
            ),
        )

    def _sql_overtraining(self, plan: Plan):
        tree = _template("overtraining", conditions=_and(self._base(plan)))
        return (
            tree,
            "overtraining_risk",
            (
                "Your overtraining risk on {day} was {overtraining_risk} (readiness {readiness_score}, "
                "{workout_days_last_3} workout days in the last 3); the rows show "
                f"{plan.span.describe()}."
            ),
        )

    def _latest(self, plan: Plan, name: str, relation: str, sentence: str):
        conditions = [
            exp.column("person_id").eq(exp.Literal.string(self.person_id)),
            exp.LTE(this=exp.column("day"), expression=_date(plan.span.last)),
        ]
        return _template(name, conditions=_and(conditions)), relation, sentence

    def _sql_recommend(self, plan: Plan):
        return self._latest(
            plan,
            "recommendation_today",
            "workout_recommendations",
            "On {day}: {recommended_intensity}. {recommendation}",
        )

    def _sql_energy(self, plan: Plan):
        return self._latest(
            plan,
            "energy_today",
            "energy_state",
            "Your energy state on {day} is {energy_state}. {guidance}",
        )

    def _sql_weekly_trend(self, plan: Plan):
        monday = plan.span.last - timedelta(days=plan.span.last.weekday())
        if plan.span.first is not None:
            monday = plan.span.first - timedelta(days=plan.span.first.weekday())
        conditions = [
            exp.column("person_id").eq(exp.Literal.string(self.person_id)),
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

    def _sql_sleep_quality(self, plan: Plan):
        metric = plan.metrics[0]
        column = (
            "next_day_readiness" if metric.column == "readiness_score" else "next_day_output_kj"
        )
        conditions = [
            exp.column("person_id").eq(exp.Literal.string(self.person_id)),
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

    def _sql_best_type(self, plan: Plan):
        readiness = [c for c in plan.conditions if c.column == "readiness_score"]
        bucket = _view_bucket(readiness)
        if bucket is not None and not plan.explicit_span:
            conditions = [
                exp.column("person_id").eq(exp.Literal.string(self.person_id)),
                exp.column("readiness_bucket").eq(exp.Literal.string(bucket)),
            ]
            tree = _template("best_workout_type_bucket", conditions=_and(conditions))
            relation = "workout_type_optimization"
        else:
            tree = _template("best_workout_type", conditions=_and(self._base(plan)))
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


def _group_split(conditions: tuple[Condition, ...]) -> str | None:
    """'workout days or rest days', 'weekends vs weekdays': the same filter both ways."""
    for kind in ("had_workout", "weekend"):
        values = {c.value for c in conditions if c.kind == kind}
        if values == {True, False}:
            return kind
    return None


def _aggregate(reading: Reading, metric: Metric) -> str:
    for word in reading.aggregates:  # "best average power" is the best of the daily averages
        if word in ("max", "min", "stddev"):
            return word
        if word in ("best", "worst"):
            return "max" if _descending(word, metric) else "min"
    if "avg" in reading.aggregates:
        return "avg"
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
    word = {
        "avg": "average",
        "sum": "total",
        "max": "highest",
        "min": "lowest",
        "stddev": "standard deviation of",
    }[plan.aggregate]
    labels = " and ".join(m.label for m in plan.metrics)
    conditions = "".join(f", {c.describe()}" for c in plan.conditions)
    return f"{word} {labels} {plan.span.describe()}{conditions}"


def _rationale(plan: Plan) -> str:
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
