"""The Peloton "Download Workouts" CSV of the sessions (docs/DATA-FORMATS.md 3.1)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest_workers.demo.sample_person.catalogue import BIKE_DISCIPLINES
from ingest_workers.demo.sample_person.state import Session

# The US header of DATA-FORMATS.md 3.1, in export order.
PELOTON_HEADER = (
    "Workout Timestamp",
    "Live/On-Demand",
    "Instructor Name",
    "Length (minutes)",
    "Fitness Discipline",
    "Type",
    "Title",
    "Class Timestamp",
    "Total Output",
    "Avg. Watts",
    "Avg. Resistance",
    "Avg. Cadence (RPM)",
    "Avg. Speed (mph)",
    "Distance (mi)",
    "Calories Burned",
    "Avg. Heartrate",
    "Avg. Incline",
    "Avg. Pace (min/mi)",
)


def _standard_abbreviation(tz: ZoneInfo, year: int) -> str:
    for month in (1, 7):
        probe = datetime(year, month, 15, 12, tzinfo=tz)
        if probe.dst() == timedelta(0):
            return probe.tzname() or "UTC"
    return datetime(year, 1, 15, 12, tzinfo=tz).tzname() or "UTC"


def _peloton_time(dt: datetime, style: str, tz: ZoneInfo) -> str:
    """`YYYY-MM-DD HH:MM (TZ)` with the label the way Peloton printed it."""
    if style == "offset":
        minutes = int((dt.utcoffset() or timedelta(0)).total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        label = f"{sign}{hours:02d}" + (f"{rest:02d}" if rest else "")
    elif style == "standard":
        label = _standard_abbreviation(tz, dt.year)  # DST-wrong in summer, as in real files
    else:
        label = dt.tzname() or "UTC"
    return f"{dt.strftime('%Y-%m-%d %H:%M')} ({label})"


def _peloton_row(s: Session, style: str, tz: ZoneInfo) -> list[str]:
    def num(value: float | None, fmt: str = "{:d}") -> str:
        return "" if value is None else fmt.format(value)

    bike = s.discipline == "Cycling"
    return [
        _peloton_time(s.start, style, tz),
        s.live,
        s.instructor,
        s.length,
        s.discipline,
        s.kind,
        s.title,
        "" if s.class_start is None else _peloton_time(s.class_start, style, tz),
        num(s.output_kj),
        num(s.watts) if bike else "",
        f"{s.resistance}%" if bike and s.resistance is not None else "",
        num(s.cadence) if bike else "",
        num(s.speed, "{:.2f}"),
        num(s.distance, "{:.2f}"),
        num(s.calories),
        num(s.heart_rate, "{:.2f}"),
        "",
        "",
    ]


def write_peloton(path: Path, sessions: list[Session], tz: ZoneInfo, first: date) -> None:
    """The export: BOM, US header, newest first, minimal quoting so comma titles get quotes.

    Labels: in the first third of the history Peloton printed DST-correct abbreviations; later
    bike workouts carry numeric offsets while app workouts keep the standard-time abbreviation
    all year (so `EST` shows up in July), as observed in real exports.
    """
    last = max((s.start.date() for s in sessions), default=first)
    numeric_from = first + (last - first) / 3
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PELOTON_HEADER)
        for s in sorted(sessions, key=lambda x: x.start.astimezone(UTC), reverse=True):
            if s.start.date() < numeric_from:
                style = "abbreviation"
            elif s.discipline in BIKE_DISCIPLINES:
                style = "offset"
            else:
                style = "standard"
            writer.writerow(_peloton_row(s, style, tz))
