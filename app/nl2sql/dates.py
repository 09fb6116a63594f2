"""Relative dates in questions ("last week", "in March", "yesterday") as day spans.

Everything resolves against the settings' `as_of` date (the "today" of `--as-of`), never the
clock, so a benchmark written against a fixed date stays true. The conventions, shared with the
Claude prompt (`rules.md`) and the benchmark file:

    today, this morning, last night     as_of (Oura files a night under the morning it ends)
    yesterday                           as_of - 1
    N days ago                          as_of - N (weeks or months ago: not read, declined)
    last Monday                         the most recent Monday before as_of
    on Monday                           the most recent Monday on or before as_of; in a
                                        habitual question ("do I", "usually", "average"):
                                        every Monday (a filter)
    this / last weekend                 Saturday and Sunday (this: the one as_of is in or
                                        the last one; last: before this week's Monday)
    the week of March 3                 Monday to Sunday of the week holding that day
    the last / past N days|weeks|...    rolling: the N units ending at as_of, as_of included
    the past week, the last month       rolling, one unit
    last week / month / year            the previous calendar week (Monday-Sunday) / month / year
    this week / month / year            the calendar unit up to as_of
    in March [2025]                     the most recent March that starts on or before as_of
    March 15, 2025-03-15                that day
    between X and Y, from X to Y        X to Y, both included
    since X                             X to as_of
    the previous N days, the week       the span of the same length right before the span
    before (after another span)         mentioned just before it

A span never reaches past as_of: "this month" on the 10th ends on the 10th.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
} | {"sept": 9}
# "may" is a month only where a preposition or a day number says so ("in may", "may 3")
_MONTH_NAMES = "|".join(sorted((m for m in MONTHS if m != "may"), key=len, reverse=True))
_UNITS = r"(day|week|month|year)s?"


@dataclass(frozen=True)
class Span:
    """Days `first` to `last`, both included; `first` None means from the first day with data."""

    first: date | None
    last: date
    label: str

    @property
    def single_day(self) -> bool:
        return self.first == self.last

    @property
    def days(self) -> int | None:
        return None if self.first is None else (self.last - self.first).days + 1

    def previous(self, label: str | None = None) -> Span:
        """The span of the same length that ends the day before this one starts."""
        if self.first is None:
            raise ValueError("an open span has no previous span")
        last = self.first - timedelta(days=1)
        first = last - timedelta(days=(self.last - self.first).days)
        return Span(first, last, label or f"the {self.days} days before")

    def describe(self) -> str:
        if self.first is None:
            return f"{self.label} (up to {self.last})"
        dates = str(self.last) if self.single_day else f"{self.first} to {self.last}"
        return self.label if dates in self.label else f"{self.label} ({dates})"


@dataclass(frozen=True)
class DateMention:
    start: int  # character offsets in the normalized question
    end: int
    span: Span


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


LATELY_DAYS = 14  # "lately", "recently", "these days"


def _rolling(as_of: date, count: int, unit: str, label: str) -> Span:
    if unit == "day":
        first = as_of - timedelta(days=count - 1)
    elif unit == "week":
        first = as_of - timedelta(days=7 * count - 1)
    else:
        first = _shift_months(as_of, -count * (12 if unit == "year" else 1)) + timedelta(days=1)
    return Span(first, as_of, label)


def _calendar_unit(as_of: date, unit: str, back: int) -> tuple[date, date]:
    """The calendar week/month/year `back` units before the one holding as_of."""
    if unit == "week":
        monday = as_of - timedelta(days=as_of.weekday()) - timedelta(weeks=back)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        first = _shift_months(as_of.replace(day=1), -back)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return date(as_of.year - back, 1, 1), date(as_of.year - back, 12, 31)


def _clamped(first: date, last: date, as_of: date, label: str) -> Span:
    return Span(first, min(last, as_of), label)


def _quarter(quarter: int, year: int | None, as_of: date) -> Span:
    """Q1..Q4 of `year`, else the latest one that has started by as_of."""
    first_month = 3 * quarter - 2
    if year is None:
        year = as_of.year if first_month <= as_of.month else as_of.year - 1
    first = date(year, first_month, 1)
    last = _shift_months(first, 3) - timedelta(days=1)
    return _clamped(first, last, as_of, f"Q{quarter} {year}")


def _month_span(month: int, year: int | None, as_of: date) -> Span:
    if year is None:
        year = as_of.year if month <= as_of.month else as_of.year - 1
    last = date(year, month, calendar.monthrange(year, month)[1])
    return _clamped(date(year, month, 1), last, as_of, f"{calendar.month_name[month]} {year}")


def _day(year: int | None, month: int, day_of_month: int, as_of: date) -> Span | None:
    if year is None:
        year = as_of.year if (month, day_of_month) <= (as_of.month, as_of.day) else as_of.year - 1
    try:
        day = date(year, month, day_of_month)
    except ValueError:
        return None
    return Span(day, day, day.isoformat())


_Handler = Callable[[re.Match, date, Span | None], Span | None]


def _week_of_match(m: re.Match, as_of: date) -> Span | None:
    """"the week of March 3": Monday to Sunday of the week holding that day."""
    if m[1]:
        day = _day(int(m[1]), int(m[2]), int(m[3]), as_of)
    elif m[4]:
        day = _day(int(m[6]) if m[6] else None, MONTHS[m[4]], int(m[5]), as_of)
    else:
        day = _day(int(m[9]) if m[9] else None, MONTHS[m[8]], int(m[7]), as_of)
    if day is None or day.first is None:
        return None
    monday = day.first - timedelta(days=day.first.weekday())
    return _clamped(monday, monday + timedelta(days=6), as_of, f"the week of {monday}")


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HABITUAL = re.compile(
    r"\b(?:usually|typically|normally|generally|average|avg|mean|every|each|tend|always"
    r"|often)\b|\b(?:do|does|am|are) (?:i|my)\b"
)


def _one_weekday(m: re.Match, as_of: date) -> Span | None:
    """One weekday: "last Monday" is the most recent Monday before as_of; "on Monday" ("how did
    I sleep on Monday?", "steps on Sunday") the most recent on or before it. A habitual question
    ("do I sleep better on Monday", "my average readiness on Monday") means every Monday: no
    span here, the reading's weekday filter takes it."""
    weekday = _WEEKDAYS.index(m[2])
    if m[1]:
        day = as_of - timedelta(days=(as_of.weekday() - weekday - 1) % 7 + 1)
        return Span(day, day, f"last {m[2].capitalize()} ({day})")
    if _HABITUAL.search(m.string):
        return None
    day = as_of - timedelta(days=(as_of.weekday() - weekday) % 7)
    return Span(day, day, f"{m[2].capitalize()} ({day})")


def _weekend(m: re.Match, as_of: date) -> Span:
    """"this weekend": the weekend as_of is in, else the last one; "last weekend": the one
    before this week's Monday."""
    saturday = as_of - timedelta(days=(as_of.weekday() - 5) % 7)
    if m[1] == "last" and as_of.weekday() >= 5:
        saturday -= timedelta(days=7)
    return _clamped(saturday, saturday + timedelta(days=1), as_of, f"{m[1]} weekend")


def _days_ago(m: re.Match, as_of: date) -> Span:
    """"3 days ago": that one day (weeks or months ago stay unread: a day or the whole week?)."""
    days = 1 if m[1] in ("one", "a") else int(m[1])
    day = as_of - timedelta(days=days)
    return Span(day, day, f"{days} day{'s' if days > 1 else ''} ago")


_PATTERNS: list[tuple[str, _Handler]] = [
    (
        rf"\b(?:in |during |for |over )?the week (?:of|starting|beginning|starting on) "
        rf"(?:(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})|({_MONTH_NAMES}|may) (\d{{1,2}})(?:st|nd|rd|th)?(?: (\d{{4}}))?"
        rf"|(?:the )?(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH_NAMES}|may)(?: (\d{{4}}))?)\b",
        lambda m, a, p: _week_of_match(m, a),
    ),
    (
        r"\b(?:on |over |during )?(this|last|past) weekend\b",
        lambda m, a, p: _weekend(m, a),
    ),
    (
        rf"\b(?:on )?(last |this past |past )?({'|'.join(_WEEKDAYS)})\b(?!s)",
        lambda m, a, p: _one_weekday(m, a),
    ),
    (
        r"\b(?:on )?(?:the day )?(\d+|one|a) days? ago\b",
        lambda m, a, p: _days_ago(m, a),
    ),
    (r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", lambda m, a, p: _day(int(m[1]), int(m[2]), int(m[3]), a)),
    (
        rf"\b(?:on )?({_MONTH_NAMES}|may) (\d{{1,2}})(?:st|nd|rd|th)?(?: (\d{{4}}))?\b",
        lambda m, a, p: _day(int(m[3]) if m[3] else None, MONTHS[m[1]], int(m[2]), a),
    ),
    (
        rf"\b(?:on )?(?:the )?(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH_NAMES}|may)(?: (\d{{4}}))?\b",
        lambda m, a, p: _day(int(m[3]) if m[3] else None, MONTHS[m[2]], int(m[1]), a),
    ),
    (
        r"\bthe day before yesterday\b",
        lambda m, a, p: Span(
            a - timedelta(days=2), a - timedelta(days=2), "the day before yesterday"
        ),
    ),
    (
        r"\byesterday\b",
        lambda m, a, p: Span(a - timedelta(days=1), a - timedelta(days=1), "yesterday"),
    ),
    (r"\b(?:today|this morning|tonight|last night)\b", lambda m, a, p: Span(a, a, m[0])),
    (
        rf"\b(?:in |over |during |for |from )?(?:the )?(?:last|past) (\d+) {_UNITS}\b",
        lambda m, a, p: _rolling(a, int(m[1]), m[2], f"the last {m[1]} {m[2]}s"),
    ),
    (
        rf"\b(?:the )?(?:previous|prior|preceding) (\d+) {_UNITS}\b|\b(?:the )?(\d+) {_UNITS} before\b",
        lambda m, a, p: _before(m, a, p),
    ),
    (
        r"\bthe (?:week|month) before last\b",
        lambda m, a, p: _clamped(
            *_calendar_unit(a, "week" if "week" in m[0] else "month", 2), a, m[0]
        ),
    ),
    (
        r"\b(?:the )?(week|month|year) before\b|\bthe (?:previous|prior|preceding) (week|month|year)\b",
        lambda m, a, p: _unit_before(m[1] or m[2], a, p),
    ),
    (
        r"\b(?:in |over |during |for )?the (?:last|past) (day|week|month|year)\b",
        lambda m, a, p: _rolling(a, 1, m[1], f"the past {m[1]}"),
    ),
    (
        r"\b(?:so far )?(?:this|current) (week|month|year)(?: so far)?\b|\b(year) to date\b|\b(ytd)\b",
        lambda m, a, p: _clamped(
            _calendar_unit(a, m[1] or "year", 0)[0], a, a, f"this {m[1] or 'year'}"
        ),
    ),
    (
        r"\b(?:in |during |over )?last (week|month|year)\b",
        lambda m, a, p: _clamped(*_calendar_unit(a, m[1], 1), a, f"last {m[1]}"),
    ),
    (
        rf"\b(?:in |during |for |of )?({_MONTH_NAMES})(?: (\d{{4}}))?\b",
        lambda m, a, p: _month_span(MONTHS[m[1]], int(m[2]) if m[2] else None, a),
    ),
    (
        r"\b(?:in |during |for |of )may(?: (\d{4}))?\b",
        lambda m, a, p: _month_span(5, int(m[1]) if m[1] else None, a),
    ),
    (
        r"\b(?:in |during )(20\d{2})\b",
        lambda m, a, p: _clamped(date(int(m[1]), 1, 1), date(int(m[1]), 12, 31), a, m[1]),
    ),
    (r"\b(?:of |in |over )?all time\b|\bever\b", lambda m, a, p: Span(None, a, "all time")),
    # "hrv lately?": the last two weeks, said in the interpretation (not every day there is)
    (
        r"\b(?:lately|(?<!most )recently|these days|of late)\b",
        lambda m, a, p: _rolling(a, LATELY_DAYS, "day", f"lately (the last {LATELY_DAYS} days)"),
    ),
    (
        r"\b(?:in |over |during )?(?:the )?(?:past|last) fortnight\b",
        lambda m, a, p: _rolling(a, 14, "day", "the last 14 days"),
    ),
    (
        r"\b(?:in |during )?q([1-4])(?: (20\d{2}))?\b",
        lambda m, a, p: _quarter(int(m[1]), int(m[2]) if m[2] else None, a),
    ),
]
_COMPILED = [(re.compile(pattern), handler) for pattern, handler in _PATTERNS]


def _before(m: re.Match, as_of: date, previous: Span | None) -> Span | None:
    count, unit = (int(m[1]), m[2]) if m[1] else (int(m[3]), m[4])
    if previous is None or previous.first is None:
        return _rolling(as_of, count, unit, f"the last {count} {unit}s")
    end = previous.first - timedelta(days=1)
    return _rolling(end, count, unit, f"the {count} {unit}s before")


def _unit_before(unit: str, as_of: date, previous: Span | None) -> Span:
    if previous is not None and previous.first is not None:
        return previous.previous(f"the {unit} before")
    return _clamped(*_calendar_unit(as_of, unit, 1), as_of, f"last {unit}")


_JOINERS = re.compile(r"\s*(?:and|to|through|until|till|-)\s*")
_OPENERS = ("between ", "from ")


def find_dates(text: str, as_of: date) -> list[DateMention]:
    """Every date span in `text` (normalized, lower case), in reading order.

    Patterns are tried from the most specific to the least, and a later pattern never claims
    characters an earlier one took ("last 30 days" is never also "last ... days")."""
    taken: list[tuple[int, int, re.Match, _Handler]] = []
    for pattern, handler in _COMPILED:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end, _, _ in taken):
                continue
            taken.append((match.start(), match.end(), match, handler))
    mentions: list[DateMention] = []
    for start, end, match, handler in sorted(taken, key=lambda t: t[0]):
        previous = mentions[-1].span if mentions else None
        span = handler(match, as_of, previous)
        if span is None:
            continue
        if (
            previous is not None
            and span.last > previous.last
            and _JOINERS.fullmatch(text[mentions[-1].end : start])
        ):
            opener = text[: mentions[-1].start].rstrip() + " "
            if opener.endswith(_OPENERS) or mentions[-1].span.single_day:
                # "between X and Y", "from X to Y", "March 1 - March 15": one span
                first_start = mentions[-1].start
                for word in _OPENERS:
                    if opener.endswith(word):
                        first_start = len(opener) - len(word)
                joined = Span(
                    previous.first,
                    min(span.last, as_of),
                    f"{previous.first} to {min(span.last, as_of)}",
                )
                mentions[-1] = DateMention(first_start, end, joined)
                continue
        since = text[:start].rstrip()
        if since.endswith(("since", "starting")) and span.first is not None:
            word_start = max(since.rfind(" "), -1) + 1
            mentions.append(
                DateMention(word_start, end, Span(span.first, as_of, f"since {span.first}"))
            )
            continue
        mentions.append(DateMention(start, end, span))
    return mentions
