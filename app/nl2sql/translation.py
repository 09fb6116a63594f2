"""What every translator returns, and the one-sentence answer built from it.

A translation carries an `answer_template` ("Your average readiness was {avg_readiness}.") whose
`{column}` fields are filled here, locally, from the first row of the result: the model writes
the sentence without ever seeing a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ISO_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Translation:
    sql: str  # Trino SQL, one SELECT over the gold views (not yet guarded)
    relation: str  # the gold view or lake table the answer relies on
    rationale: str  # one line: how the question was read
    translator: str  # "offline" | "claude"
    answer_template: str = ""
    interpretation: str = ""  # the question as understood, in a plain sentence


class Translator(Protocol):
    name: str

    def translate(self, question: str) -> Translation: ...


def format_value(value: Any) -> str:
    """A value as a person reads it: 78 not 78.0, 0.66 not 0.6616223356497594."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value) or "none"
    return str(value)


def _format_field(name: str, value: Any) -> str:
    """A group key as said: "Friday" for ISO weekday 5, "January 2025" for a month's first day,
    "the week of 2025-01-06" for a week's Monday."""
    if name == "weekday" and isinstance(value, int) and 1 <= value <= 7:
        return ISO_WEEKDAYS[value - 1]
    if name in ("month", "week"):
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            return format_value(value)
        return f"{day:%B %Y}" if name == "month" else f"the week of {day.isoformat()}"
    return format_value(value)


def render_answer(template: str, columns: list[str], rows: list[list[Any]]) -> str:
    """The template with `{column}` from the first row and `{row_count}`; a plain sentence when
    the template needs a value the result does not have (no rows, or NULL)."""
    first = dict(zip(columns, rows[0], strict=False)) if rows else {}
    needed = set(_FIELD.findall(template)) - {"row_count"}
    if not template or not rows or any(first.get(name) is None for name in needed & set(columns)):
        if not rows:
            return "There is no data in the lake for that question."
        if not template:
            return f"{len(rows)} rows."
        return "There is not enough data in the lake to answer that (the result is empty)."

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name == "row_count":
            return str(len(rows))
        if name not in first:
            return match.group(0)
        return _format_field(name, first[name])

    sentence = _FIELD.sub(fill, template)
    return sentence[:1].upper() + sentence[1:]  # "the week of ...: 5 workouts."
