"""The compositional reading, step one: a question's words claimed as parts (`_Parts`).

Date spans first (dates.py), then the frames ("when did I last", "longest streak of",
"what percentage of", "which weekday"), thresholds, correlation and comparison cues, the day
after or before, rest and workout days, disciplines, workout nouns, ranks, measures from the
catalog and aggregates. What is left unclaimed and is not a filler word is a `leftovers` word,
and the question is declined for it (compose.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from app.nl2sql.catalog import (
    BY_NAME,
    DAY_MEASURES,
    NIGHT_MEASURES,
    WORKOUT_MEASURES,
    WORKOUT_ONLY_MEASURES,
    Measure,
)
from app.nl2sql.dates import DateMention, find_dates
from app.nl2sql.errors import NotUnderstood
from app.nl2sql.offline.compose_plan import Filter
from app.nl2sql.offline.reading import Reading, normalize
from app.nl2sql.vocabulary import DISCIPLINES, FILLER

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
    "many which longest shortest highest lowest most least best worst were that every more fewer current last first latest"
    " average typical usual mean what".split()
)


_CMP_WORDS = {
    "gt": r"longer than|more than|greater than|higher than|over|above|exceeding",
    "lt": r"shorter than|less than|fewer than|lower than|under|below",
    "ge": r"at least|hit|hitting|reached|reach|get|got",  # "did I get 10k steps"
    "le": r"at most",
}
_UNITS = r"%|percent|hours?|hrs|minutes?|mins?|kj|watts?|steps?|bpm|ms|kcal|calories"
_THRESHOLD = re.compile(
    r"\b(?:(?:was|is|been|were|had|have|has|of|slept|sleep|sleeping|dropped|drop|dip|dipped|fell|fall|went|go|did i|i) )*"
    rf"(?:(?P<cmp>{'|'.join(_CMP_WORDS.values())}) )?(?P<num>\d+(?:\.\d+)?) ?(?P<unit>{_UNITS})?"
    r"(?: (?P<post>or more|or higher|or above|or over|and up|or less|or lower|or below))?"
    r"(?: of (?P<of>output|sleep|steps))?(?!\w)"
)
_DISCIPLINE_WORDS = {
    name: aliases for name, aliases in DISCIPLINES.items() if name not in ("running", "walking")
} | {"running": (r"running", r"runs?"), "walking": (r"walking", r"walks")}
_WORKOUT_NOUN = r"(?:workouts?|sessions?|classes|class)"
_WORKOUT_NOUNS_ANY = rf"(?:rides?|runs?|walks?|{_WORKOUT_NOUN})"
_ANY_DISCIPLINE = "|".join(
    sorted({a for aliases in _DISCIPLINE_WORDS.values() for a in aliases}, key=len, reverse=True)
)
# "a 20-minute ride": the class's length, compared in whole minutes (as the dashboard's personal
# bests group them); the noun, possibly after a discipline, must follow
_CLASS_LENGTH = (
    rf"\b(?:a |an |my |one )?\d+[ -]?(?:minutes?|mins?)"
    rf"(?= (?:(?:{_ANY_DISCIPLINE}) )?{_WORKOUT_NOUNS_ANY}\b|(?: (?:{_ANY_DISCIPLINE}))\b)"
)
_OWN_FILLER = frozenset(
    """ever single one often did do does have has had i my the a an was were is be been
    produce produced generate generated burn burned burnt take took taken done get got go went
    walk walked spend spent
    like usually typically how what when which that there up overall all""".split()
)
_FRAMES: tuple[tuple[str, str], ...] = (
    (
        "last",
        r"\bwhen (?:did|have) i (?:last|most recently)\b|\bwhen was the last time (?:that )?"
        r"|\bwhen was (?:my|the) (?:last|latest|most recent)\b|\bwhen did i last\b",
    ),
    (
        # "how many days since my last ride", "how long since I last worked out"
        "since",
        r"\b(?:how many days|how long)(?: (?:has it been|is it|it has been|have i gone|did i go))?"
        r" since(?: (?:my|the) (?:last|latest|most recent)| i last| i (?=\w+ed\b))?\b"
        r"|\bdays since (?:my |the )?(?:last |latest |most recent )?",
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
    ("which_week", r"\b(?:in )?(?:which|what) week\b"),
    (
        "instructor_rank",
        r"\b(?:who is|who was|which is|what is) my (?:most frequent|favou?rite|"
        r"most common|top|usual) instructor\b|\bwhich instructor\b|\bmost frequent instructor\b",
    ),
    ("by_instructor", r"\b(?:with|by|per|for) each instructor\b|\b(?:by|per) instructor\b"),
    (
        "type_rank",
        r"\b(?:my )?most (?:common|frequent) (?:type|kind|sort) of (?:workout|training|"
        r"exercise)\b|\b(?:my )?most (?:common|frequent) (?:workout type|discipline|workout)\b"
        r"|\bwhich (?:discipline|type of (?:workout|training|exercise)|workout type)(?: do i do| have i done)?(?: the)? most(?: often)?\b",
    ),
    (
        "by_discipline",
        r"\b(?:of|for|per|by) each (?:discipline|type|kind)\b"
        r"|\b(?:by|per) (?:discipline|type|workout type)\b",
    ),
    ("by_month", r"\b(?:by|per|each|every|for each) month\b|\bmonthly\b"),
    # not "per week": "workouts per week" is an average of the weeks (the families' reading)
    ("by_week", r"\b(?:by|each|every|for each) week\b|\bweek by week\b"),
)
# "my highest weekly output", "my best month for steps": the one week or month, ranked
_RANKED_PERIOD = re.compile(
    r"\b(?:highest|lowest|best|worst|biggest|top|max(?:imum)?|min(?:imum)?) "
    r"(?P<period>week|month)(?:ly)?\b"
)
_OFFSETS = (
    (1, r"\b(?:on )?(?:the )?(?:days?|mornings?|nights?) after\b|\bafter\b"),
    (-1, r"\b(?:on )?(?:the )?(?:days?|nights?) before\b"),
)
# "2 days after a ride": the one day two days later ("two" is a digit by now, reading.normalize);
# "the 7 days after", "within 3 days after" are windows of days, not one day: declined
_DAYS_LATER = re.compile(r"\b(?P<window>(?:in |within |during |over )?the |within )?(?P<n>\d+) (?:days|nights) (?P<dir>after|later|before|earlier)\b")
MAX_OFFSET_DAYS = 28
_RANK = (
    (True, r"\blongest\b(?! distance)", "workout.duration_min"),
    (True, r"\bfastest\b", "workout.avg_speed_kph"),
    (False, r"\bslowest\b", "workout.avg_speed_kph"),
    (False, r"\bshortest\b", "workout.duration_min"),
    (True, r"\b(?:the )?(?:highest|most|biggest|largest|best|top|max(?:imum)?|longest(?= distance))\b", ""),
    (False, r"\b(?:the )?(?:lowest|least|fewest|smallest|worst|min(?:imum)?)\b", ""),
)
_AGGS = (
    ("avg", r"\bon average\b|\baverage\b|\bavg\b|\bmean\b|\bdid i average\b"),
    ("sum", r"\bin total\b|\btotal\b|\baltogether\b"),
)


@dataclass
class _Parts:
    frames: set[str] = field(default_factory=set)
    offset: tuple[int, int] | None = None  # (days later, negative: earlier; its position)
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
    lengths: list[tuple[int, int]] = field(default_factory=list)  # (class minutes, position)
    instructors: list[tuple[str, int]] = field(default_factory=list)  # (name as stored, position)
    count_n: int | None = None  # "top 10 rides", "my 3 longest runs": how many workouts
    recency: str | None = None  # "last 5 workouts", "my most recent ride": "latest" | "first"
    noun_disciplines: bool = False  # "rides", "a yoga session": single workouts, not days


def _claim(r: Reading, pattern: str) -> list[re.Match]:
    return r.claim(pattern)


def read_parts(
    question: str, as_of: date, instructors: tuple[str, ...] = ()
) -> tuple[Reading, _Parts]:
    """The question's parts. `instructors`: the names in the person's workouts, as stored; a
    full name anywhere, or a first name after "with", "by" or "from", filters workouts."""
    text = normalize(question)
    r = Reading(text, text, text, [False] * len(text))
    r.dates = [mention for mention in find_dates(text, as_of) if not _not_a_span(text, mention)]
    for mention in r.dates:
        r.mark(mention.start, mention.end)
    p = _Parts()
    for name, pattern in _FRAMES:
        if _claim(r, pattern):
            p.frames.add(name)
    if p.frames & {"by_discipline", "by_instructor", "by_month", "by_week"}:
        _claim(r, r"\bbreak ?down(?: of)?\b|\bsplit(?: up)?\b")  # "break my workouts down by type"
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
    for match in list(_RANKED_PERIOD.finditer(r.work)):  # the rank word stays for the ranking
        r.mark(match.start("period"), match.end())
        p.frames.add(f"which_{match['period']}")
    _claim_instructors(r, p, instructors)
    # a class length ("a 20-minute ride", "30 min strength classes"): before thresholds and
    # measures, which would read "minute" as the length measure
    for match in _claim(r, _CLASS_LENGTH):
        p.lengths.append((int(re.search(r"\d+", match.group()).group()), match.start()))
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
    # "what workouts did I do yesterday", "what did I do on March 28": the workouts, not a count
    what_did = _claim(
        r,
        rf"\bwhat (?=(?:\w+ )?(?:{_WORKOUT_NOUNS_ANY}) (?:did|have|do) i\b)"
        r"|\bwhat did i do\b",
    )
    if what_did:
        p.listing = True
        if what_did[0].group().startswith("what did i do"):
            p.workout_noun.append(what_did[0].start())
    p.which_workout = bool(
        _claim(
            r, rf"\bwhich (?:was my |is my )?(?={_WORKOUT_NOUN}|ride|run)|\bwhich {_WORKOUT_NOUN}\b"
        )
    )
    p.how_many = bool(
        _claim(
            r,
            # (blanks: a class length claimed before, "how many 30-minute rides")
            r"\b(?:how many|number of|count) (?:times\b|(?:of )?(?=(?:my |the )? *(?:\w+ ){0,2}"
            r"(?:workouts?|rides?|runs?|sessions?|classes|walks)\b))",
        )
    )
    # "did I work out yesterday?": how many workouts that day
    if re.match(r"(?:did|have) i (?:work(?:ed)? out|exercised?|trained)\b", r.work):
        r.mark(0, len(re.match(r"(?:did|have) i (?:work(?:ed)? out|exercised?|trained)", r.work)[0]))
        p.how_many = True
        p.workout_noun.append(0)
    if re.search(r"\b(?:how many|number of) (?:rest days|days|nights)\b", r.work) and not (
        p.frames & {"current_streak"}
    ):
        p.how_many = True
        _claim(r, r"\bhow many\b|\bnumber of\b")
    for match in list(_DAYS_LATER.finditer(r.work)):
        if match["window"]:
            raise NotUnderstood(
                f"'{match.group().strip()}' is a window of days; I answer about one day",
                'Ask about one day, e.g. "average readiness 2 days after a strength workout".',
            )
        days = int(match["n"])
        if not 1 <= days <= MAX_OFFSET_DAYS:
            raise NotUnderstood(f"{days} days is further than I look ({MAX_OFFSET_DAYS} at most)",
                                'e.g. "average readiness 2 days after a strength workout".')
        if p.offset is not None:
            raise NotUnderstood("the question has two offsets", 'Ask about one, e.g. "average '
                                'readiness the day after a strength workout".')
        r.mark(match.start(), match.end())
        p.offset = (days if match["dir"] in ("after", "later") else -days, match.start())
    for direction, pattern in _OFFSETS:
        found = _claim(r, pattern)
        if found:
            if p.offset is not None:
                raise NotUnderstood(
                    "the question has two offsets ('after' and 'before')",
                    'Ask about one, e.g. "average readiness the day after a strength workout".',
                )
            p.offset = (direction, found[0].start())
    if not p.frames & {"last", "first", "since"} and re.match(r"when (?:was|did|were|is)\b", r.work):
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
    _claim_workout_counts(r, p)  # before the nouns it looks ahead for are claimed
    for name, aliases in _DISCIPLINE_WORDS.items():
        alt = "|".join(sorted(aliases, key=len, reverse=True))
        pattern = rf"\b(?:(?:on |for |of |with |during |after |before |per )?(?:a |an |my |some )?)(?:{alt})(?: {_WORKOUT_NOUN})?(?: days?)?\b"
        for match in _claim(r, pattern):
            p.disciplines.append((name, match.start()))
            text = match.group()
            if r.text[: match.start()].endswith("per ") or text.startswith("per "):
                if re.search(rf"\b(?:rides?|runs?|walks|{_WORKOUT_NOUN})\b", text):
                    # "per ride", "per strength workout": each workout is a row (two rides on
                    # one day are two, not one day's sum)
                    p.per_workout = p.noun_disciplines = True
                continue
            if re.search(rf"\b(?:rides?|runs?|walks|{_WORKOUT_NOUN})\b", text) and not re.search(
                r"\bdays?\b", text
            ):
                p.noun_disciplines = True
    if p.disciplines and re.search(r"\b(?:how many|number of) times\b|\bhow often\b", r.text):
        p.noun_disciplines = True  # "how many times did I do yoga": sessions, not days
        if _claim(r, r"\bhow often\b"):
            p.how_many = True
    # a workout noun with what ties it into the sentence: "per workout", "my workouts", "how
    # many workouts", "the longest workout"; a bare one ("calories do I burn workout") is left
    # over, and the question declined
    tie = r"(?:(?:in|of|during|on|per|for|from) (?:a |an |my |one |each |the )?|a |an |my |one |each |the )"
    # not where the noun names a day's measure ("workout minutes", "workout days")
    # ("workout length" is a workout's: "my average workout length" averages single workouts;
    # so are output and calories after "average workout": "my average workout output")
    day_measure = re.compile(r" (?:minutes|mins|days?|time|calories|count|heart|output)\b")
    averaged_ok = re.compile(r" (?:output|calories)\b")
    for match in list(re.finditer(rf"\b(?:{tie})?(?:single )?{_WORKOUT_NOUN}(?: with)?\b", r.work)):
        before = r.text[: match.start()].split()[-1:]
        after = r.work[match.end() :]
        averaged = bool(before) and before[0] in ("average", "typical", "mean", "usual")
        if day_measure.match(after) and not (averaged and averaged_ok.match(after)):
            continue
        counted = bool(before) and (before[0].isdigit() or before[0] in _COUNT_WORDS)
        after_instructor = bool(before) and any(
            normalize(name).split()[-1] == before[0] for name, _ in p.instructors
        )
        if (
            match.group().startswith(_NOUN_STARTS)
            or not before
            or before[0] in _NOUN_AFTER
            or counted  # "5 most recent workouts", "my last 5 workouts"
            or after_instructor  # "how many Ben Alldis classes"
        ):
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


_COUNT_WORDS = frozenset({"recent", "latest", "last", "first", "previous"})
_RANK_WORDS = r"(?:longest|shortest|best|worst|highest|lowest|hardest|easiest|top)"
_RECENT = r"(?:last|latest|most recent|recent|previous)"
_NOUN_AHEAD = r"(?=(?: [a-z]+)?(?: with [a-z]+(?: [a-z]+)?)? (?:rides|runs|walks|workouts|sessions|classes)\b)"


def _claim_workout_counts(r: Reading, p: _Parts) -> None:
    """How many workouts, and which end of the list: "top 10 rides", "my 3 longest runs", "the
    last 5 workouts", "5 most recent rides", "my latest ride", "my first workout this year".
    Only before a workout noun, so "top 3 days" stays the days' ranking."""
    if p.frames & {"last", "first", "since"}:
        return
    match = re.search(
        rf"\b(?:(?:the |my )?(?P<recent1>{_RECENT}|first) (?P<n1>\d{{1,2}})"
        rf"|(?:top |the |my )?(?P<n2>\d{{1,2}})(?: (?P<recent2>{_RECENT}|first)|(?= {_RANK_WORDS}))"
        rf"|top (?P<n3>\d{{1,2}}))(?=(?: \w+)?(?: \w+)? (?:rides|runs|walks|workouts|sessions|classes)\b)",
        r.work,
    )
    if match:
        p.count_n = int(match["n1"] or match["n2"] or match["n3"])
        recent = match["recent1"] or match["recent2"]
        if recent:
            p.recency = "first" if recent == "first" else "latest"
        if match["n3"]:  # "top 10 rides": "top" is the ranking's word
            r.mark(match.start("n3"), match.end("n3"))
        else:
            r.mark(match.start(), match.end())
        return
    single = re.search(
        rf"\b(?:my |the )(?P<which>{_RECENT}|first)(?= (?:[a-z]+ )?(?:ride|run|walk|workout|session|class)\b)",
        r.work,
    )
    if single:
        p.count_n, p.recency = 1, "first" if single["which"] == "first" else "latest"
        r.mark(single.start(), single.end())


def _claim_instructors(r: Reading, p: _Parts, instructors: tuple[str, ...]) -> None:
    """Instructor names: the full name anywhere ("my Matt Wilpers rides"); a first name only
    after "with", "by", "from" or "taught by", and only when one instructor has it (a first name
    may be an ordinary word: "will", "love"). Two instructors in one question: declined."""
    full = {normalize(name): name for name in instructors if normalize(name)}
    firsts: dict[str, list[str]] = {}
    for norm, name in full.items():
        first = norm.split()[0]
        if len(first) >= 3 and first != norm:
            firsts.setdefault(first, []).append(name)
    lead = r"(?:(?:with|by|from|taught by|led by) )"
    for norm in sorted(full, key=len, reverse=True):
        for match in _claim(r, rf"\b{lead}?{re.escape(norm)}\b"):
            p.instructors.append((full[norm], match.start()))
    for first in sorted(firsts, key=len, reverse=True):
        for match in list(re.finditer(rf"\b{lead}{re.escape(first)}\b", r.work)):
            if len(firsts[first]) > 1:
                raise NotUnderstood(
                    f"'{first}' could be {' or '.join(sorted(firsts[first]))}",
                    "Name the instructor in full.",
                )
            r.mark(match.start(), match.end())
            p.instructors.append((firsts[first][0], match.start()))
    if len({name for name, _ in p.instructors}) > 1:
        raise NotUnderstood(
            "the question names two instructors; I filter by one",
            'Ask about one, e.g. "How many rides did I do with <instructor>?".',
        )


def _not_a_span(text: str, mention: DateMention) -> bool:
    """Date words that are part of something else: "when was the last day I ..." (the frame
    "when was the last"), "2 days after a ride" (an offset, not the last 2 days)."""
    words, before, after = text[mention.start : mention.end], text[: mention.start], text[mention.end :]
    if re.fullmatch(r"(?:the )?(?:last|latest) (?:day|night)", words):
        return re.search(r"\bwhen (?:was|is) (?:the )?$", before) is not None
    if re.fullmatch(r"\d+ (?:days|nights) (?:after|before|later|earlier)", words):
        return True  # not "the 7 days before": after another span, the span before it
    return re.match(r" (?:after|before|later|earlier)\b", after) is not None


def _last_pos(r: Reading, word: str) -> int:
    return max(0, r.text.rfind(word))


def _claim_measures(r: Reading, p: _Parts, entity: str | None) -> None:
    pools: list[tuple[Measure, ...]] = [NIGHT_MEASURES]
    # measures only a workout has ("cadence", "distance") make the question about workouts;
    # not heart rate ("average heart rate": resting, or in workouts? declined in compose.py)
    workout_only = tuple(BY_NAME[name] for name in WORKOUT_ONLY_MEASURES)
    # "hours spent riding": a kind of workout named, bare hours are its workouts' (not sleep)
    lengths = (BY_NAME["workout.duration_min"],) + (
        (BY_NAME["workout.duration_hours"],) if p.disciplines else ()
    )
    pools += (
        [WORKOUT_MEASURES, DAY_MEASURES]
        if entity == "workout"
        else [DAY_MEASURES, lengths, workout_only]
    )
    candidates = []
    for pool in pools:
        for m in pool:
            if m.name == "workout.duration_min":
                synonyms: tuple[str, ...] = (
                    r"length",
                    r"duration",
                    r"minutes",
                    r"mins",
                    r"time (?:did |have |do )?i spen[dt]|time spent",
                )
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
