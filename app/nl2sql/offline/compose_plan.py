"""The compositional reading's typed plan: `QueryPlan` and its `Filter`s, and the plan as the
plain sentence shown with every answer (`QueryPlan.interpretation`).

`compose_reading` finds the parts of a question, `compose_planning` fits them into this plan
and `compose_sql` builds its SQL; `compose` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.nl2sql.catalog import BY_NAME, NIGHT_ON_DAY, Measure
from app.nl2sql.dates import Span


class NotMine(Exception):
    """The question has none of the parts only the compositional reading knows."""


@dataclass(frozen=True)
class Filter:
    # "cmp" | "discipline" | "had_workout" | "length" (a workout's class minutes) | "instructor"
    kind: str
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
        if self.kind == "length":
            return f"{self.value}-minute"
        if self.kind == "instructor":
            return f"with {self.value}"
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
    offset: int = 0  # days after the anchor days (1: the day after); negative: before
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
            # "average cadence", not "average average cadence"
            "avg": what if what.startswith("average ") else f"average {what}",
            "sum": f"total {what}",
            "min": f"lowest {what}",
            "max": f"highest {what}",
            "count": f"number of {what if not m else self.entity + 's'}",
            "share": f"share (%) of {'workouts' if self.entity == 'workout' else 'days'}",
            "streak": "longest run of consecutive days",
            "current_streak": (
                "consecutive nights up to last night"
                if any(f.kind == "cmp" and f.measure in NIGHT_ON_DAY
                       for f in self.filters)
                else "consecutive days up to today (or yesterday)"
            ),
            "last": "the latest day",
            "since": "days since the latest day",
            "first": "the first day",
            "list": (
                f"the {'' if self.limit == 1 else f'{self.limit} '}"
                f"{'latest' if self.descending else 'first'} workout{'' if self.limit == 1 else 's'}"
                if self.limit else "the workouts"
            ),
            "rank": (f"the {self.limit} workouts" if self.entity == "workout" and (self.limit or 1) > 1
                     else f"the {'workout' if self.entity == 'workout' else 'day'}")
            + f" with the {'highest' if self.descending else 'lowest'} {what}",
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
            when = (f"on the day {'after' if self.offset > 0 else 'before'}" if abs(self.offset) == 1
                    else f"{abs(self.offset)} days {'after' if self.offset > 0 else 'before'}")
            words += f", {when} each " + (
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
