"""The sample person's Peloton sessions as Peloton API documents, for `peloton_simulator`.

They are derived from the CSV that `sample_person` writes (read with the project's CSV reader),
so the CSV and the API describe the very same sessions and the CSV stays exactly as it is. What
the CSV does not print is filled in deterministically from `seed` and each session:

    start_time     the printed wall time in the person's IANA zone (labels ignored: they are not
                   DST-correct) plus 0-59 seconds; created_at 4-30 s earlier (epoch seconds)
    total_work     joules: the printed kJ x 1000 plus up to +-499 J, so it rounds to the CSV's
                   value (0 J, and no output metric, where the CSV prints no output)
    ride           title and instructor as printed (trimmed), duration = Length x 60 s (null for
                   'None'), original_air_time from Class Timestamp
    graph          metric averages as printed (watts, rpm, %, mph, bpm), samples around them;
                   summaries total_output (kJ), distance (mi; km with `units="metric"`),
                   calories (kcal)

Field names follow docs/DATA-FORMATS.md 3.2. ⚠ The Live/On-Demand and Type columns have no
documented counterpart in the API and are not rendered.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ingest_workers.peloton.csv_export import extract_peloton_csv

KM_PER_MILE = 1.609344
_BIKE = frozenset({"cycling", "bike_bootcamp"})


@dataclass(frozen=True)
class PelotonDocuments:
    """One person's account as the API would show it."""

    user_id: str
    workouts: list[dict[str, Any]]  # newest first, as `sort_by=-created` lists them
    sessions: dict[str, dict[str, Any]]  # workout id → what its performance graph is built from


def _hex_id(seed: int, *parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).hexdigest()[:32]


def _number(text: str | None) -> float | None:
    cleaned = (text or "").strip().rstrip("%")
    if cleaned in ("", "None"):
        return None
    return float(cleaned)


def _wall_epoch(printed: str, zone: ZoneInfo) -> int | None:
    """'2024-03-10 09:30 (EDT)' → epoch seconds of that wall time in `zone`."""
    text = printed.strip()[:16]
    if not text:
        return None
    naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
    return int(naive.replace(tzinfo=zone).timestamp())


def _discipline(printed: str) -> str:
    return "_".join(printed.strip().lower().replace("-", " ").split())


def api_documents_from_csv(
    csv_path: Path, *, timezone: str, seed: int = 7
) -> PelotonDocuments:
    zone = ZoneInfo(timezone)
    user_id = _hex_id(seed, "user")
    workouts: list[dict[str, Any]] = []
    sessions: dict[str, dict[str, Any]] = {}
    with Path(csv_path).open("rb") as stream:
        rows = [r.payload for r in extract_peloton_csv(stream, str(csv_path)) if r.payload]
    for row in rows:
        printed_start = row["workout_timestamp"]
        rng = random.Random(_hex_id(seed, printed_start, row["title"], row.get("instructor_name")))
        start = (_wall_epoch(printed_start, zone) or 0) + rng.randrange(60)
        discipline = _discipline(row["fitness_discipline"])
        length = _number(row.get("length_minutes"))
        output_kj = _number(row.get("total_output_kj"))
        distance_mi = _number(row.get("distance_mi"))
        speed_mph = _number(row.get("avg_speed_mph"))
        if length:
            seconds = int(length * 60)
        elif distance_mi and speed_mph:
            seconds = int(distance_mi / speed_mph * 3600)
        else:
            seconds = 60 * rng.randrange(10, 41)
        if output_kj is None:
            total_work = 0.0
        else:
            low = 0 if output_kj == 0 else -499
            total_work = round(output_kj * 1000 + rng.uniform(low, 499), 2)
        workout_id = _hex_id(seed, "workout", start, row["title"])
        instructor = (row.get("instructor_name") or "").strip()
        created = start - rng.randrange(4, 31)
        local_created = datetime.fromtimestamp(created, UTC).astimezone(zone)
        offset = int(local_created.utcoffset().total_seconds())  # type: ignore[union-attr]
        air_time = _wall_epoch(row.get("class_timestamp") or "", zone)
        ride = {
            "id": _hex_id(seed, "ride", row["title"], instructor, air_time),
            "title": row["title"].strip(),
            "duration": None if length is None else int(length * 60),
            "length": seconds,
            "fitness_discipline": discipline,
            "instructor_id": _hex_id(seed, "instructor", instructor) if instructor else None,
            "instructor": {"name": instructor} if instructor else None,
            "original_air_time": air_time,
            "has_pedaling_metrics": discipline in _BIKE,
        }
        workouts.append({
            "id": workout_id,
            "status": "COMPLETE",
            "created_at": created,
            "start_time": start,
            "end_time": start + seconds,
            "device_time_created_at": created + offset,
            "timezone": timezone,
            "fitness_discipline": discipline,
            "name": f"{row['fitness_discipline'].strip()} Workout",
            "title": None,
            "total_work": total_work,
            "is_outdoor": False,
            "platform": "home_bike" if discipline in _BIKE else "iOS_app",
            "device_type": "home_bike_v1" if discipline in _BIKE else "iPhone",
            "workout_type": "class" if air_time is not None else "freestyle",
            "metrics_type": "cycling" if discipline in _BIKE else None,
            "user_id": user_id,
            "ftp_info": {"ftp": 200, "ftp_source": "ftp_workout_source"},
            "ride": ride,
        })
        sessions[workout_id] = {
            "seconds": seconds,
            "output_kj": None if output_kj is None else round(total_work / 1000),
            "watts": _number(row.get("avg_watts")),
            "cadence": _number(row.get("avg_cadence_rpm")),
            "resistance": _number(row.get("avg_resistance")),
            "speed_mph": speed_mph,
            "distance_mi": distance_mi,
            "calories": _number(row.get("calories_kcal")),
            "heart_rate": _number(row.get("avg_heartrate")),
            "noise_seed": _hex_id(seed, "graph", workout_id),
        }
    workouts.sort(key=lambda w: (w["created_at"], w["id"]), reverse=True)
    return PelotonDocuments(user_id, workouts, sessions)


_METRICS = (  # (slug, display name, unit, session field)
    ("output", "Output", "watts", "watts"),
    ("cadence", "Cadence", "rpm", "cadence"),
    ("resistance", "Resistance", "%", "resistance"),
    ("speed", "Speed", "mph", "speed_mph"),
    ("heart_rate", "Heart Rate", "bpm", "heart_rate"),
)


def performance_graph(
    session: dict[str, Any], every_n: int, units: Literal["imperial", "metric"] = "imperial"
) -> dict[str, Any]:
    """The `/performance_graph?every_n=` document of one session (deterministic)."""
    rng = random.Random(f"{session['noise_seed']}:{every_n}")
    samples = max(1, math.ceil(session["seconds"] / every_n))
    metric = units == "metric"
    metrics, averages = [], []
    for slug, name, unit, key in _METRICS:
        average = session[key]
        if average is None:
            continue
        if slug == "speed" and metric:
            average, unit = average * KM_PER_MILE, "kph"
        values = [round(max(0.0, average * rng.gauss(1, 0.08)), 2) for _ in range(samples)]
        metrics.append({
            "display_name": name, "display_unit": unit, "max_value": max(values),
            "average_value": round(average, 2), "values": values, "slug": slug,
            "zones": None, "alternatives": [],
        })
        if slug != "heart_rate":
            averages.append({"display_name": f"Avg {name}", "display_unit": unit,
                             "value": round(average, 2), "slug": f"avg_{slug}"})
    summaries = []
    if session["output_kj"] is not None:
        summaries.append({"display_name": "Total Output", "display_unit": "kj",
                          "value": session["output_kj"], "slug": "total_output"})
    if session["distance_mi"] is not None:
        distance = session["distance_mi"] * (KM_PER_MILE if metric else 1.0)
        summaries.append({"display_name": "Distance", "display_unit": "km" if metric else "mi",
                          "value": round(distance, 2), "slug": "distance"})
    if session["calories"] is not None:
        summaries.append({"display_name": "Calories", "display_unit": "kcal",
                          "value": session["calories"], "slug": "calories"})
    return {
        "duration": session["seconds"],
        "is_class_plan_shown": True,
        "segment_list": [],
        "seconds_since_pedaling_start": [i * every_n for i in range(samples)],
        "average_summaries": averages,
        "summaries": summaries,
        "metrics": metrics,
        "has_apple_watch_metrics": False,
        "location_data": [],
        "is_location_data_accurate": None,
    }
