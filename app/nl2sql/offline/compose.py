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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlglot
from sqlglot import exp

from app.nl2sql.catalog import (
    BY_NAME,
    CORE,
    COUNTED_SLEEP_TYPES,
    DAY_MEASURES,
    DUPLICATE_WINDOW_S,
    NIGHT_MEASURES,
    SLEEP_PERIODS,
    WORKOUT_IDENTITY,
    WORKOUT_LIST,
    WORKOUT_MEASURES,
    WORKOUTS,
    Measure,
)
from app.nl2sql.dates import Span, find_dates
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.reading import _CUES, Reading, normalize
from app.nl2sql.vocabulary import DISCIPLINES, FILLER

DIALECT = "trino"
COUNTABLE = "countable_workouts"


_BARE_HEART_RATE = re.compile(
    r"(?<!resting )(?<!workout )(?<!training )(?<!max )(?<!maximum )\bheart rates?\b"
)


_NOUN_STARTS = (
    "in ",
    "of ",
    "during ",
    "on ",
    "per ",
    "for ",
    "from ",
    "a ",
    "an ",
    "my ",
    "one ",
    "each ",
    "the ",
    "single ",
)
_NOUN_AFTER = frozenset(
    "many which longest shortest highest lowest most least best worst were that every more fewer current last first latest".split()
)


# the core table's per-day sums, asked of single workouts
_AS_WORKOUT = {
    "workout_calories": "workout.calories_kcal",
    "total_output_kj": "workout.output_kj",
    "workout_minutes": "workout.duration_min",
    "avg_watts": "workout.avg_watts",
    "max_avg_hr": "workout.avg_hr",
}


class NotMine(Exception):
    """The question has none of the parts only the compositional reading knows."""


@dataclass(frozen=True)
class Filter:
    kind: str  # "cmp" | "discipline" | "had_workout"
    measure: str = ""  # catalog name, for "cmp"
    op: str = ""
    value: object = None

    def describe(self) -> str:
        if self.kind == "cmp":
            words = {"lt": "below", "gt": "above", "ge": "at least", "le": "at most"}[self.op]
            m = BY_NAME[self.measure]
            return f"{m.label} {words} {self.value:g}{m.unit}"
        if self.kind == "had_workout":
            return "workout day" if self.value else "rest day"
        return f"{str(self.value).replace('_', ' ')} workout"


@dataclass(frozen=True)
class QueryPlan:
    """A question understood: what is counted or measured, over which rows, and how."""

    entity: str
    aggregation: (
        str  # avg sum min max count share streak current_streak last first list rank corr value
    )
    measure: Measure | None
    filters: tuple[Filter, ...]
    span: Span
    offset: int = 0  # 1: the day after the anchor days; -1: the day before
    anchor: tuple[Filter, ...] = ()
    grouping: str | None = None  # weekday | month | instructor | discipline
    descending: bool = True
    limit: int | None = None  # ranked groups or rows: how many
    versus: tuple[Filter, ...] = ()  # compare the filters' group against this one
    spans: tuple[Span, ...] = ()  # compare two spans
    split_anchor: bool = False  # compare after workout days with after rest days
    other: Measure | None = None  # the second measure of a correlation
    other_offset: int = 0  # -1: the other measure the day before
    within: tuple[Filter, ...] = ()  # a share's population ("of my rides"); filters: its part

    def interpretation(self) -> str:
        """The plan as a plain sentence, shown with every answer."""
        m = self.measure
        what = m.label if m else {"workout": "workouts", "night": "nights"}.get(self.entity, "days")
        where = _describe_filters(self.filters, self.entity)
        words = {
            "avg": f"average {what}",
            "sum": f"total {what}",
            "min": f"lowest {what}",
            "max": f"highest {what}",
            "count": f"number of {what if not m else self.entity + 's'}",
            "share": f"share (%) of {'workouts' if self.entity == 'workout' else 'days'}",
            "streak": "longest run of consecutive days",
            "current_streak": "consecutive days up to today (or yesterday)",
            "last": "the latest day",
            "first": "the first day",
            "list": "the workouts",
            "rank": f"the {'workout' if self.entity == 'workout' else 'day'} with the "
            f"{'highest' if self.descending else 'lowest'} {what}",
            "corr": f"correlation of {what} with "
            + (self.other.label if self.other else "")
            + (" of the day before" if self.other_offset else ""),
            "value": what,
        }[self.aggregation]
        if self.aggregation == "rank" and self.other is not None:
            words += f", and its {self.other.label}"
        if self.grouping:
            if self.limit == 1:
                words = (
                    f"the {self.grouping} with the {'highest' if self.descending else 'lowest'} "
                    f"{words}"
                )
            else:
                words = f"{words} per {self.grouping}"
        if self.within:
            words += f" of {_describe_filters(self.within, self.entity)}s"
        if where:
            words += f" ({where})" if self.aggregation != "share" else f" with {where}"
        if self.offset and not self.split_anchor:
            words += f", on the day {'after' if self.offset > 0 else 'before'} each " + (
                _describe_filters(self.anchor, "day") or "day"
            )
        if self.split_anchor:
            words += ", after workout days against after rest days"
        if self.versus:
            words += f", against {_describe_filters(self.versus, self.entity)}"
        if self.spans:
            words += ", " + " against ".join(s.describe() for s in self.spans)
        else:
            words += f", {self.span.describe()}"
        return words[0].upper() + words[1:]


def _describe_filters(filters: tuple[Filter, ...], entity: str) -> str:
    return ", ".join(f.describe() for f in filters)


# -- reading ---------------------------------------------------------------------------------------
_CMP_WORDS = {
    "gt": r"longer than|more than|greater than|higher than|over|above|exceeding",
    "lt": r"shorter than|less than|fewer than|lower than|under|below",
    "ge": r"at least|hit|hitting|reached|reach",
    "le": r"at most",
}
_UNITS = r"%|percent|hours?|hrs|minutes?|mins|kj|watts?|steps?|bpm|ms|kcal|calories"
_THRESHOLD = re.compile(
    r"\b(?:(?:was|is|been|were|had|have|has|of|slept|sleep|sleeping|dropped|drop|dip|dipped|fell|fall|went|go|got|get|did i|i) )*"
    rf"(?:(?P<cmp>{'|'.join(_CMP_WORDS.values())}) )?(?P<num>\d+(?:\.\d+)?) ?(?P<unit>{_UNITS})?"
    r"(?: (?P<post>or more|or higher|or above|or over|and up|or less|or lower|or below))?"
    r"(?: of (?P<of>output|sleep|steps))?(?!\w)"
)
_DISCIPLINE_WORDS = {
    name: aliases for name, aliases in DISCIPLINES.items() if name not in ("running", "walking")
} | {"running": (r"running", r"runs?"), "walking": (r"walking", r"walks")}
_WORKOUT_NOUN = r"(?:workouts?|sessions?|classes|class)"
_OWN_FILLER = frozenset(
    """ever single one often did do does have has had i my the a an was were is be been
    produce produced generate generated burn burned burnt take took taken done get got go went
    walk walked spend spent
    like usually typically how what when which that there up overall all time""".split()
)
_FRAMES: tuple[tuple[str, str], ...] = (
    (
        "last",
        r"\bwhen (?:did|have) i (?:last|most recently)\b|\bwhen was the last time (?:that )?"
        r"|\bwhen was (?:my|the) (?:last|latest|most recent)\b|\bwhen did i last\b",
    ),
    (
        "first",
        r"\bwhen (?:did|have) i first\b|\bwhen was (?:my|the) first\b"
        r"|\bwhen was the first time (?:that )?",
    ),
    (
        "current_streak",
        r"\bhow many (?:days|nights) in a row\b|\bhow many consecutive days\b"
        r"|\b(?:my )?current streak(?: of)?\b",
    ),
    (
        "streak",
        r"\b(?:longest|best|biggest|maximum|max) streak(?: of)?\b"
        r"|\b(?:longest|most) (?:days|nights) in a row\b",
    ),
    (
        "share",
        r"\bwhat (?:percentage|percent|share|fraction|proportion|%) of\b"
        r"|\b(?:percentage|percent|share|fraction|proportion) of\b",
    ),
    ("which_weekday", r"\b(?:on )?(?:which|what) (?:weekday|day of (?:the )?week)\b"),
    ("which_month", r"\b(?:in )?(?:which|what) month\b"),
    (
        "instructor_rank",
        r"\b(?:who is|who was|which is|what is) my (?:most frequent|favou?rite|"
        r"most common|top|usual) instructor\b|\bwhich instructor\b|\bmost frequent instructor\b",
    ),
    ("by_instructor", r"\b(?:with|by|per|for) each instructor\b|\b(?:by|per) instructor\b"),
    (
        "type_rank",
        r"\b(?:my )?most (?:common|frequent) (?:type|kind|sort) of (?:workout|training|"
        r"exercise)\b|\b(?:my )?most (?:common|frequent) (?:workout type|discipline|workout)\b",
    ),
    (
        "by_discipline",
        r"\b(?:of|for|per|by) each (?:discipline|type|kind)\b"
        r"|\b(?:by|per) (?:discipline|type|workout type)\b",
    ),
    ("by_month", r"\b(?:by|per|each|every|for each) month\b|\bmonthly\b"),
)
_OFFSETS = (
    (1, r"\b(?:on )?(?:the )?(?:days?|mornings?|nights?) after\b|\bafter\b"),
    (-1, r"\b(?:on )?(?:the )?(?:days?|nights?) before\b"),
)
_RANK = (
    (True, r"\blongest\b", "workout.duration_min"),
    (False, r"\bshortest\b", "workout.duration_min"),
    (True, r"\b(?:the )?(?:highest|most|biggest|largest|best|top|max(?:imum)?)\b", ""),
    (False, r"\b(?:the )?(?:lowest|least|fewest|smallest|worst|min(?:imum)?)\b", ""),
)
_AGGS = (
    ("avg", r"\bon average\b|\baverage\b|\bavg\b|\bmean\b|\bdid i average\b"),
    ("sum", r"\bin total\b|\btotal\b|\baltogether\b"),
)


@dataclass
class _Parts:
    frames: set[str] = field(default_factory=set)
    offset: tuple[int, int] | None = None  # (direction, position)
    rank: list[tuple[bool, str, int]] = field(default_factory=list)
    workout_noun: list[int] = field(default_factory=list)
    disciplines: list[tuple[str, int]] = field(default_factory=list)
    day_filters: list[tuple[Filter, int]] = field(default_factory=list)
    thresholds: list[tuple[re.Match, int]] = field(default_factory=list)
    measures: list[tuple[Measure, int, int]] = field(default_factory=list)
    aggs: list[str] = field(default_factory=list)
    how_many: bool = False
    compare: bool = False
    corr: bool = False
    listing: bool = False
    which_workout: bool = False
    worked_out: bool = False
    total: bool = False  # "total" anywhere, even inside a measure's name ("total output")
    per_workout: bool = False  # "calories per workout": each workout is a row
    noun_disciplines: bool = False  # "rides", "a yoga session": single workouts, not days


def _claim(r: Reading, pattern: str) -> list[re.Match]:
    return r.claim(pattern)


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


def read_parts(question: str, as_of: date) -> tuple[Reading, _Parts]:
    text = normalize(question)
    r = Reading(text, text, text, [False] * len(text))
    r.dates = find_dates(text, as_of)
    for mention in r.dates:
        r.mark(mention.start, mention.end)
    p = _Parts()
    for name, pattern in _FRAMES:
        if _claim(r, pattern):
            p.frames.add(name)
    current = re.search(r"\bcurrent (?:\w+ ){1,2}?streak\b", r.work)
    if current:
        r.mark(current.start(), current.start() + len("current"))
        r.mark(current.end() - len("streak"), current.end())
        p.frames.add("current_streak")
    longest = re.search(r"\b(?:longest|best|biggest) (?:\w+ ){1,2}?streak\b(?: of\b)?", r.work)
    if longest:  # "my longest workout streak": the words between are the streak's condition
        r.mark(longest.start(), longest.start() + len(longest.group().split()[0]))
        tail = re.search(r"streak(?: of)?$", longest.group())
        r.mark(longest.start() + tail.start(), longest.end())
        p.frames.add("streak")
    # thresholds before measures: "more than 300 kJ of output" holds a measure word
    for match in list(_THRESHOLD.finditer(r.work)):
        if not match["cmp"] and not match["post"] and match["unit"] not in ("%",):
            continue  # a bare number ("top 3") is not a threshold
        r.mark(match.start(), match.end())
        p.thresholds.append((match, match.start()))
    p.corr = bool(
        _claim(
            r,
            r"\bcorrelat\w*(?: with| between)?\b|\brelat(?:e|es|ed) to\b|\brelationship between\b"
            r"|\blink between\b|\bconnection between\b|\bassociated with\b",
        )
    )
    p.compare = bool(
        _claim(
            r,
            r"\bcompared? (?:to|with)\b|\bcompare\b|\bvs\b|\bversus\b|\bthan\b|\bhigher\b"
            r"|\blower\b|\bbetter\b|\bworse\b|\bmore (?=workouts|rides|steps|output|calories)",
        )
    )
    p.total = re.search(r"\b(?:total|in total|altogether)\b", r.text) is not None
    p.listing = bool(_claim(r, r"\b(?:list|show)(?: me)?\b"))
    p.which_workout = bool(
        _claim(
            r, rf"\bwhich (?:was my |is my )?(?={_WORKOUT_NOUN}|ride|run)|\bwhich {_WORKOUT_NOUN}\b"
        )
    )
    p.how_many = bool(
        _claim(
            r,
            r"\b(?:how many|number of|count) (?:times\b|(?:of )?(?=(?:my |the )?(?:\w+ )?"
            r"(?:workouts?|rides?|runs?|sessions?|classes|walks)\b))",
        )
    )
    if re.search(r"\b(?:how many|number of) (?:rest days|days|nights)\b", r.work) and not (
        p.frames & {"current_streak"}
    ):
        p.how_many = True
        _claim(r, r"\bhow many\b|\bnumber of\b")
    for direction, pattern in _OFFSETS:
        found = _claim(r, pattern)
        if found:
            if p.offset is not None:
                raise NotUnderstood(
                    "the question has two offsets ('after' and 'before')",
                    'Ask about one, e.g. "average readiness the day after a strength workout".',
                )
            p.offset = (direction, found[0].start())
    if not p.frames & {"last", "first"} and re.match(r"when (?:was|did|were|is)\b", r.work):
        late = re.search(r"\b(?:last|most recently)\b", r.work)
        if late:
            r.mark(0, len(re.match(r"when (?:was|did|were|is)", r.work).group()))
            r.mark(late.start(), late.end())
            p.frames.add("last")
    for match in _claim(
        r,
        r"\b(?:days? )?(?:when |that )?i did not (?:work out|exercise|train)\b|\bdid i rest\b"
        r"|\bi rested\b",
    ):
        p.day_filters.append((Filter("had_workout", value=False), match.start()))
    if _claim(r, r"\bworkout days?\b|\bdays? (?:when|that) i (?:worked out|exercised|trained)\b"):
        p.day_filters.append((Filter("had_workout", value=True), _last_pos(r, "workout")))
    for match in _claim(
        r, r"\b(?:a |an )?rest days?\b|\bdays? off\b|\b(?:a |an )?days? without (?:a )?workouts?\b"
    ):
        p.day_filters.append((Filter("had_workout", value=False), match.start()))
    for name, aliases in _DISCIPLINE_WORDS.items():
        alt = "|".join(sorted(aliases, key=len, reverse=True))
        pattern = rf"\b(?:(?:on |for |of |with |during |after |before |per )?(?:a |an |my |some )?)(?:{alt})(?: {_WORKOUT_NOUN})?(?: days?)?\b"
        for match in _claim(r, pattern):
            p.disciplines.append((name, match.start()))
            text = match.group()
            if r.text[: match.start()].endswith("per ") or text.startswith("per "):
                if re.search(rf"\b{_WORKOUT_NOUN}\b", text):  # "per strength workout"
                    p.per_workout = p.noun_disciplines = True
                continue  # "average output per ride": the families' neutral phrase
            if re.search(rf"\b(?:rides?|runs?|walks|{_WORKOUT_NOUN})\b", text) and not re.search(
                r"\bdays?\b", text
            ):
                p.noun_disciplines = True
    # a workout noun with what ties it into the sentence: "per workout", "my workouts", "how
    # many workouts", "the longest workout"; a bare one ("calories do I burn workout") is left
    # over, and the question declined
    tie = r"(?:(?:in|of|during|on|per|for|from) (?:a |an |my |one |each |the )?|a |an |my |one |each |the )"
    # not where the noun names a day's measure ("workout minutes", "workout days")
    adjective = r"(?! (?:minutes|mins|days?|time|calories|count|heart|output|length|duration))"
    for match in list(
        re.finditer(rf"\b(?:{tie})?(?:single )?{_WORKOUT_NOUN}(?: with)?\b{adjective}", r.work)
    ):
        before = r.text[: match.start()].split()[-1:]
        if match.group().startswith(_NOUN_STARTS) or not before or before[0] in _NOUN_AFTER:
            r.mark(match.start(), match.end())
            p.workout_noun.append(match.start())
            p.per_workout = p.per_workout or match.group().startswith("per ")
    for descending, pattern, measure in _RANK:
        for match in _claim(r, pattern):
            p.rank.append((descending, measure, match.start()))
    entity = (
        "workout"
        if (p.workout_noun or p.which_workout or p.noun_disciplines) and not p.offset
        else None
    )
    _claim_measures(r, p, entity)
    for match in _claim(r, r"\bhow long\b"):  # "how long was my average ride"
        p.measures.append((BY_NAME["workout.duration_min"], match.start(), match.end()))
    _claim(r, r"\bhow (?:many|much)\b")
    for name, pattern in _AGGS:
        if _claim(r, pattern):
            p.aggs.append(name)
    _claim(r, r"\b(?:did|do|have) i (?:do|did|done|take|took|produce|burn|get)\b")
    p.worked_out = bool(_claim(r, r"\b(?:work(?:ed)? out|exercised?|trained)\b"))
    return r, p


def _last_pos(r: Reading, word: str) -> int:
    return max(0, r.text.rfind(word))


def _claim_measures(r: Reading, p: _Parts, entity: str | None) -> None:
    pools: list[tuple[Measure, ...]] = [NIGHT_MEASURES]
    pools += (
        [WORKOUT_MEASURES, DAY_MEASURES]
        if entity == "workout"
        else [DAY_MEASURES, (BY_NAME["workout.duration_min"],)]
    )
    candidates = []
    for pool in pools:
        for m in pool:
            if m.name == "workout.duration_min":
                synonyms: tuple[str, ...] = (r"length", r"duration", r"minutes", r"mins")
            else:
                synonyms = m.synonyms
            for syn in synonyms:
                for match in re.finditer(rf"\b(?:{syn})\b", r.work):
                    candidates.append((match, m))
    order = {id(pool_m): i for i, pool in enumerate(pools) for pool_m in pool}
    candidates.sort(key=lambda mm: (mm[0].start() - mm[0].end(), order[id(mm[1])], mm[0].start()))
    for match, m in candidates:
        if r.work[match.start() : match.end()] == match.group():
            r.mark(match.start(), match.end())
            p.measures.append((m, match.start(), match.end()))
    p.measures.sort(key=lambda t: t[1])


def leftovers(r: Reading) -> list[str]:
    words = []
    for match in re.finditer(r"\S+", r.text):
        if all(r.consumed[match.start() : match.end()]):
            continue
        if match.group() not in FILLER and match.group() not in _OWN_FILLER - {"workout"}:
            words.append(match.group())
    return words


# -- planning --------------------------------------------------------------------------------------
_OWNED_FRAMES = {
    "last",
    "first",
    "current_streak",
    "streak",
    "share",
    "which_weekday",
    "which_month",
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
        or (p.compare and spans == 2 and (p.total or bool(p.workout_noun)))
    )


def plan(question: str, as_of: date, *, force: bool = False) -> QueryPlan:
    """The typed plan of a question; `NotMine` when it has no compositional part (and not
    `force`), `NotUnderstood` when a word is left over or the parts do not fit together."""
    r, p = read_parts(question, as_of)
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
    if unit in ("minutes", "minute", "mins"):
        name = "workout.duration_min" if entity == "workout" else "workout_minutes"
    elif unit in ("hours", "hour", "hrs"):
        name = "total_sleep_hours"
    elif unit in ("steps", "step"):
        name = "steps"
    elif unit == "kj" or match["of"] == "output":
        name = "workout.output_kj" if entity == "workout" else "total_output_kj"
    elif unit in ("%", "percent"):
        name = "night.spo2_average_pct"
    elif unit in ("watts", "watt"):
        name = "workout.avg_watts" if entity == "workout" else "avg_watts"
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
        or p.frames & {"instructor_rank", "by_instructor", "type_rank", "by_discipline"}
    ):
        entity = "workout"
    if night_measures and not p.corr:
        entity = "night"
    day_frames = p.frames & {"streak", "current_streak", "share", "last", "first"}
    share_of_workouts = "share" in p.frames and re.search(
        r"\b(?:percentage|percent|share|fraction|proportion|%) of (?:my |all )?(?:workouts|rides|sessions)\b",
        r.text,
    )
    per_workout_threshold = any(
        (m["unit"] or "") in ("minutes", "minute", "mins", "kj") for m, _ in p.thresholds
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
        r"\b(?:percentage|percent|share|fraction|proportion|%) of (?:(?:my|all|the) )?"
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
    if frames & {"last", "first"}:
        if measure is not None or p.aggs or rank:
            raise NotUnderstood(
                "'when did I last' takes a condition, not a measure", _suggestion(p)
            )
        return QueryPlan(**base, aggregation="last" if "last" in frames else "first", measure=None)
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
    if frames & {"which_weekday", "which_month"}:
        grouping = "weekday" if "which_weekday" in frames else "month"
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
        a = agg or ("sum" if measure.additive and ("most" in r.text or p.total) else "avg")
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
        if measure is not None:
            raise NotUnderstood("I rank instructors and workout types by how often", _suggestion(p))
        return QueryPlan(
            **base, aggregation="count", measure=None, grouping=grouping, descending=True, limit=1
        )
    if frames & {"by_instructor", "by_discipline"}:
        grouping = "instructor" if "by_instructor" in frames else "discipline"
        if measure is not None and not agg:
            raise NotUnderstood("per instructor, which aggregate?", _suggestion(p))
        return QueryPlan(**base, aggregation=agg or "count", measure=measure, grouping=grouping)
    if "by_month" in frames:
        if measure is None and entity == "workout" and p.how_many:
            return QueryPlan(**base, aggregation="count", measure=None, grouping="month")
        if measure is None:
            raise NotUnderstood("per month, of what?", _suggestion(p))
        return QueryPlan(
            **base,
            aggregation=agg or ("sum" if measure.additive else "avg"),
            measure=measure,
            grouping="month",
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
        if measure is None:
            raise NotUnderstood("compare which measure?", _suggestion(p))
        return QueryPlan(
            **{**base, "anchor": ()}, aggregation=agg or "avg", measure=measure, split_anchor=True
        )
    if p.compare:
        raise NotUnderstood("I can't tell what is compared with what", _suggestion(p))
    # the rest: aggregates, counts, lists, ranks -----------------------------------------------
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
        )
        if entity == "workout" and single:
            return QueryPlan(
                **base, aggregation="rank", measure=target, descending=descending, limit=1
            )
        if entity == "night" and re.search(r"\bwhich (?:night|day)\b", r.text):
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
    if agg is None:
        if p.offset:
            agg = "avg"
        elif re.search(r"\bhow (?:many|much)\b", r.text) and measure.additive:
            agg = "sum"
        elif span.single_day and entity != "workout":
            agg = "value"
        else:
            agg = "avg" if not measure.additive or entity == "workout" else "sum"
    return QueryPlan(**base, aggregation=agg, measure=measure)


# -- SQL -------------------------------------------------------------------------------------------
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
    m = BY_NAME[f.measure]
    op = {"lt": exp.LT, "gt": exp.GT, "ge": exp.GTE, "le": exp.LTE}[f.op]
    return op(this=_col(m.column, table), expression=exp.Literal.number(f.value))


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
    return _col(m.column, table)


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
    if a in ("last", "first"):
        if plan.entity == "day":
            shown = [_col("day")] + [
                _col(BY_NAME[f.measure].column) for f in plan.filters if f.kind == "cmp"
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
        tree = exp.select(*[_col(c) for c in WORKOUT_LIST]).from_(relation).where(exp.and_(*where))
        tree = _with(tree.order_by(_col("started_at")), relation, cte)
        return tree, WORKOUTS, "{row_count} workouts."
    if a == "rank":
        assert m is not None
        if plan.entity == "workout":
            shown = [_col(c) for c in WORKOUT_IDENTITY] + [value]
            if plan.other is not None:
                shown.append(_measure_col(plan.other))
            tiebreak = _col("started_at")
        else:
            shown = [_col("day"), value]
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
        return tree, m.relation, f"{{day}}: {{{m.column}}}{m.unit}."
    if plan.grouping:
        key = {
            "weekday": exp.alias_(exp.DayOfWeekIso(this=_col("day")), "weekday"),
            "month": exp.alias_(
                exp.cast(exp.TimestampTrunc(this=_col("day"), unit=exp.var("MONTH")), "date"),
                "month",
            ),
            "instructor": _col("instructor"),
            "discipline": _col("discipline"),
        }[plan.grouping]
        if plan.grouping == "instructor":
            where.append(exp.not_(exp.Is(this=_col("instructor"), expression=exp.null())))
        if a == "count":
            metric = (
                exp.alias_(exp.CountIf(this=_col("had_workout")), "workout_days")
                if plan.entity == "day"
                else exp.alias_(exp.Count(this=exp.Star()), "workouts")
            )
        else:
            assert value is not None and m is not None
            if m.observed_when_positive and a != "sum":
                where.append(exp.GT(this=value.copy(), expression=exp.Literal.number(0)))
            metric = exp.alias_(_agg(a, value), f"{a}_{m.column}")
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
        return _with(tree, relation, cte), relation, "{row_count} groups."
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
        tree = exp.select(value).from_(relation).where(exp.and_(*where))
        return _with(tree, relation, cte), relation, f"{{{m.column}}}{m.unit}."
    if m.observed_when_positive and a != "sum":
        where.append(exp.GT(this=value.copy(), expression=exp.Literal.number(0)))
    name = f"{a}_{m.column}"
    tree = exp.select(exp.alias_(_agg(a, value), name)).from_(relation).where(exp.and_(*where))
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
        tree = tree.where(
            exp.GTE(this=_col("last_day"), expression=_lit_date(plan.span.last - timedelta(days=1)))
        )
    tree = tree.with_("runs", as_=runs).with_("streaks", as_=grouped)
    return tree, CORE, "{days} days."


def _pair(person: str) -> tuple[exp.Select, str, str]:
    """The core table joined with itself one calendar day later: s (the day) and n (the next)."""
    on = exp.and_(
        _col("person_id", "n").eq(_col("person_id", "s")),
        _col("day", "n").eq(
            exp.Add(
                this=_col("day", "s"),
                expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY")),
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
    tree, s, n = _pair(person)
    anchor_t, target_t = (s, n) if plan.offset >= 0 else (n, s)
    where = [_col("person_id", s).eq(exp.Literal.string(person)), _span(plan.span, _col("day", n))]
    where += [_filter_sql(f, "day", anchor_t) for f in plan.anchor]
    where += [_filter_sql(f, "day", target_t) for f in plan.filters]
    value = _col(m.column, target_t)
    if m.observed_when_positive and plan.aggregation != "sum":
        where.append(exp.GT(this=value.copy(), expression=exp.Literal.number(0)))
    if plan.aggregation not in ("avg", "sum", "min", "max"):
        raise NotUnderstood("the day after or before: which aggregate?", _suggestion(_Parts()))
    metric = exp.alias_(_agg(plan.aggregation, value), f"{plan.aggregation}_{m.column}")
    if plan.split_anchor:
        tree = (
            tree.select(_col("had_workout", anchor_t), metric)
            .where(exp.and_(*where))
            .group_by(exp.Literal.number(1))
        )
        return tree, CORE, "{row_count} groups."
    tree = tree.select(metric).where(exp.and_(*where))
    return tree, CORE, f"{{{plan.aggregation}_{m.column}}}{m.unit}."


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
            where.append(exp.GT(this=_col(m.column), expression=exp.Literal.number(0)))
        ctes.append(
            (
                name,
                exp.select(exp.alias_(_agg(plan.aggregation, _col(m.column)), "v"))
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
