"""Oura documents: the days rendered as Oura API v2 list responses, one file per page, in the
shapes of docs/DATA-FORMATS.md section 1 (the real samples are in tests/fixtures/real/).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.activity_day import bedtime_of
from ingest_workers.demo.sample_person.heart_rate import HeartRateSampling, heartrate_rows
from ingest_workers.demo.sample_person.helpers import clip_int, local_time, pick, plus
from ingest_workers.demo.sample_person.parameters import BMR_KCAL
from ingest_workers.demo.sample_person.state import Activity, Day, Period

OURA_ENDPOINTS = (
    "daily_readiness",
    "daily_sleep",
    "sleep",
    "daily_activity",
    "heartrate",
    "daily_spo2",
    "workout",
    "daily_stress",
    "session",
)

_OURA_ACTIVITY = {
    "Cycling": ("cycling", 0.75),
    "Bike Bootcamp": ("cycling", 0.7),
    "Strength": ("strength_training", 0.5),
    "Cardio": ("dancing", 0.6),
    "Yoga": ("yoga", 0.3),
}


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _iso_ms(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


def _daily_timestamp(d: date) -> str:
    # Real daily_readiness/daily_sleep carry midnight UTC, not the local offset.
    return f"{d.isoformat()}T00:00:00+00:00"


def _doc_id(seed: int, *parts: object) -> str:
    """UUID-like id that depends only on the seed and what the document is."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _next_token(seed: int, endpoint: str, page: int) -> str:
    digest = hashlib.sha256(f"next:{seed}:{endpoint}:{page}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def _readiness_block(day: Day, rng: np.random.Generator, history: list[Day]) -> dict:
    """Contributors and score shared by daily_readiness and the long sleep's `readiness`."""
    recent = history[-14:] or [day]
    sleep_balance = float(np.mean([h.sleep_score for h in recent]))
    load_week = float(np.mean([h.load_prev for h in history[-7:]] or [day.load_prev]))
    bedtimes = [(h.night.start.hour + h.night.start.minute / 60 + 12) % 24 for h in recent[-7:]]
    contributors = {
        "activity_balance": clip_int(92 - 0.03 * max(0.0, load_week - 200) + rng.normal(0, 3)),
        "body_temperature": clip_int(100 - 90 * max(0.0, abs(day.temp_dev) - 0.25)),
        "hrv_balance": clip_int(78 + 1.1 * (day.readiness - 76) + rng.normal(0, 5)),
        "previous_day_activity": (
            None if rng.random() < 0.1 else clip_int(95 - 0.04 * day.load_prev + rng.normal(0, 4))
        ),
        "previous_night": clip_int(day.sleep_score + 3 + rng.normal(0, 4)),
        "recovery_index": clip_int(72 + 0.9 * (day.readiness - 76) + rng.normal(0, 10)),
        "resting_heart_rate": clip_int(100 - 5 * max(0.0, day.rhr - 50) + rng.normal(0, 3)),
        "sleep_balance": clip_int(sleep_balance + 12 + rng.normal(0, 3)),
        "sleep_regularity": clip_int(95 - 25 * float(np.std(bedtimes)) + rng.normal(0, 3)),
    }
    return {
        "contributors": contributors,
        "score": day.readiness,
        "temperature_deviation": day.temp_dev,
        "temperature_trend_deviation": day.temp_trend,
    }


def _sleep_contributors(day: Day, rng: np.random.Generator) -> dict:
    night = day.night
    hours = night.total / 3600
    latency_min = night.latency / 60
    mid = night.start.hour + night.start.minute / 60 + night.time_in_bed / 7200
    mid = mid - 24 if mid >= 18 else mid
    restless = night.movement.count("1") / max(len(night.movement), 1)
    return {
        "deep_sleep": clip_int(100 - 0.9 * max(0.0, 90 - night.deep / 60) + rng.normal(0, 2)),
        "efficiency": clip_int(100 - 3.2 * max(0, 95 - night.efficiency)),
        "latency": clip_int(100 - 2.0 * abs(latency_min - 15) + rng.normal(0, 2)),
        "rem_sleep": clip_int(100 - 0.8 * max(0.0, 100 - night.rem / 60) + rng.normal(0, 2)),
        "restfulness": clip_int(100 * restless - 10 + rng.normal(0, 3)),
        "timing": clip_int(100 - 25 * max(0.0, abs(mid - 3.0) - 0.5)),
        "total_sleep": clip_int(100 - 22 * max(0.0, 8.0 - hours)),
    }


def _sample(interval: float, items: list, start: datetime) -> dict:
    return {"interval": interval, "items": items, "timestamp": _iso_ms(start)}


def _sleep_document(
    seed: int, day: Day, period: Period, index: int, readiness: dict | None
) -> dict:
    long_sleep = period.kind == "long_sleep"
    nap = period.kind == "sleep"
    return {
        "id": _doc_id(seed, "sleep", day.day, period.kind, index),
        "average_breath": period.average_breath,
        "average_heart_rate": period.average_hr,
        "average_hrv": period.average_hrv,
        "awake_time": period.time_in_bed - period.total,
        "bedtime_end": _iso(period.end),
        "bedtime_start": _iso(period.start),
        "day": day.day.isoformat(),
        "deep_sleep_duration": period.deep,
        "efficiency": period.efficiency,
        "heart_rate": _sample(300.0, period.hr, period.start) if period.hr else None,
        "hrv": _sample(300.0, period.hrv, period.start) if period.hrv else None,
        "latency": period.latency,
        "light_sleep_duration": period.light,
        "low_battery_alert": False,
        "lowest_heart_rate": period.lowest_hr,
        "movement_30_sec": period.movement,
        "period": index,
        "readiness": readiness if long_sleep else None,
        "readiness_score_delta": 0 if long_sleep else (5 if nap else None),
        "rem_sleep_duration": period.rem,
        "restless_periods": sum(1 for c in period.movement if c != "1"),
        "sleep_phase_5_min": period.phases,
        "sleep_score_delta": 0 if long_sleep else (6 if nap else None),
        "sleep_algorithm_version": "v2",
        "time_in_bed": period.time_in_bed,
        "total_sleep_duration": period.total,
        "type": period.kind,
    }


def _activity_document(
    seed: int, rng: np.random.Generator, day: Day, act: Activity, past: list[Activity]
) -> dict:
    met = np.array(act.met).reshape(288, 5)
    classes = np.array(list(act.classes))
    minutes = {c: int(np.sum(classes == c)) * 5 for c in "012345"}
    met_minutes = {
        c: round(float(np.sum(np.clip(met[classes == c] - 1.0, 0, None)))) for c in "2345"
    }
    week = [*past[-6:], act]
    target = 500 + 50 * (day.day.isocalendar().week % 3)
    target_meters = round(target * 17.9 / 100) * 100
    walking = round(act.active_calories * 15.5 / 10) * 10
    runs = "".join(act.classes).split("3")
    alerts = min(3, sum(1 for run in runs if run.count("2") >= 16 and "1" not in run))
    contributors = {
        "meet_daily_targets": clip_int(
            100 * np.mean([a.active_calories >= target for a in week]) + 5
        ),
        "move_every_hour": clip_int(100 - 20 * alerts),
        "recovery_time": clip_int(100 if sum(a.workouts == 0 for a in week) >= 2 else 70),
        "stay_active": clip_int(100 - 0.05 * max(0, minutes["2"] - 480) + rng.normal(0, 3)),
        "training_frequency": clip_int(40 + 15 * sum(a.workouts > 0 for a in week)),
        "training_volume": clip_int(
            50 + np.mean([a.active_calories for a in week]) / 15 + rng.normal(0, 3)
        ),
    }
    weights = (0.2, 0.15, 0.15, 0.2, 0.15, 0.15)
    score = clip_int(sum(w * v for w, v in zip(weights, contributors.values(), strict=True)))
    return {
        "id": _doc_id(seed, "daily_activity", day.day),
        "class_5_min": act.classes,
        "score": score,
        "active_calories": act.active_calories,
        "average_met_minutes": round(float(np.mean(met[classes != "0"])), 3),
        "contributors": contributors,
        "equivalent_walking_distance": walking,
        "high_activity_met_minutes": met_minutes["5"],
        "high_activity_time": minutes["5"] * 60,
        "inactivity_alerts": alerts,
        "low_activity_met_minutes": met_minutes["3"],
        "low_activity_time": minutes["3"] * 60,
        "medium_activity_met_minutes": met_minutes["4"],
        "medium_activity_time": minutes["4"] * 60,
        "met": _sample(60.0, act.met, act.start),
        "meters_to_target": round((target_meters - walking) / 100) * 100,
        "non_wear_time": minutes["0"] * 60,
        "resting_time": minutes["1"] * 60,
        "sedentary_met_minutes": met_minutes["2"],
        "sedentary_time": minutes["2"] * 60,
        "steps": act.steps,
        "target_calories": target,
        "target_meters": target_meters,
        "total_calories": BMR_KCAL + act.active_calories,
        "day": day.day.isoformat(),
        "timestamp": _iso(act.start),
    }


def _workout_documents(seed: int, rng: np.random.Generator, day: Day) -> list[dict]:
    """Oura's own detections: most rides and some app classes, plus walks."""
    docs: list[tuple[datetime, dict]] = []
    for n, s in enumerate(day.sessions):
        activity = _OURA_ACTIVITY.get(s.discipline)
        if s.aborted or activity is None or s.seconds < 600 or rng.random() > activity[1]:
            continue
        start = plus(s.start, int(rng.integers(0, 180)))
        end = plus(s.end, -int(rng.integers(0, 180)))
        start, end = start.replace(second=0), end.replace(second=0)
        if s.discipline == "Yoga":
            intensity = "easy"
        elif s.discipline in ("Cardio", "Bike Bootcamp") or (s.watts or 0) >= 175:
            intensity = "hard"
        else:
            intensity = "moderate"
        docs.append(
            (
                start,
                {
                    "id": _doc_id(seed, "workout", day.day, "peloton", n),
                    "activity": activity[0],
                    "calories": round(float((s.calories or 50) * rng.normal(0.85, 0.08)), 3),
                    "day": day.day.isoformat(),
                    "distance": None,
                    "end_datetime": _iso(end),
                    "intensity": intensity,
                    "label": None,
                    "source": "autodetected" if rng.random() < 0.45 else "confirmed",
                    "start_datetime": _iso(start),
                },
            )
        )
    for n, w in enumerate(day.walks):
        minutes = w.seconds / 60
        distance = None
        if rng.random() < 0.5:
            speed = 1.45 if w.intensity == "moderate" else 1.25
            distance = float(np.float32(w.seconds * speed * rng.normal(1, 0.1)))
        docs.append(
            (
                w.start,
                {
                    "id": _doc_id(seed, "workout", day.day, "walk", n),
                    "activity": "walking",
                    "calories": round(float(minutes * 3.6 * rng.normal(1, 0.1)), 3),
                    "day": day.day.isoformat(),
                    "distance": distance,
                    "end_datetime": _iso(w.end.replace(second=0)),
                    "intensity": w.intensity,
                    "label": None,
                    "source": "confirmed" if rng.random() < 0.6 else "autodetected",
                    "start_datetime": _iso(w.start.replace(second=0)),
                },
            )
        )
    return [doc for _, doc in sorted(docs, key=lambda x: x[0])]


def _session_documents(
    seed: int, rng: np.random.Generator, tz: ZoneInfo, day: Day, index: int
) -> list[dict]:
    """Meditation sessions recorded alongside Peloton meditations, plus a few breathing ones."""
    spans: list[tuple[datetime, int, str]] = [
        (s.start, s.seconds, "meditation")
        for s in day.sessions
        if s.discipline == "Meditation" and rng.random() < 0.8
    ]
    if index % 12 == 5:
        start = local_time(day.day, rng.uniform(12, 21), tz)
        spans.append((start, int(rng.integers(180, 420)), "breathing"))
    docs = []
    for n, (start, seconds, kind) in enumerate(spans):
        items = seconds // 5
        motion = [float(v) for v in np.round(np.abs(rng.normal(18, 8, items)))]
        with_hr = rng.random() < 0.5
        hr = [float(v) for v in np.round(day.rhr + 8 + rng.normal(0, 2, items // 12))]
        hrv = [float(v) for v in np.round(day.hrv * 1.1 + rng.normal(0, 6, items // 12))]
        docs.append(
            {
                "id": _doc_id(seed, "session", day.day, n),
                "day": day.day.isoformat(),
                "start_datetime": _iso(start),
                "end_datetime": _iso(plus(start, seconds)),
                "type": kind,
                "heart_rate": _sample(60.0, hr, start) if with_hr else None,
                "heart_rate_variability": _sample(60.0, hrv, start) if with_hr else None,
                "mood": pick(rng, ("good", "same", "great", "good")),
                "motion_count": _sample(5.0, motion, start),
            }
        )
    return docs


def oura_documents(
    seed: int,
    rng: np.random.Generator,
    tz: ZoneInfo,
    days: list[Day],
    activities: list[Activity],
    missing: set[date],
    partial: dict[date, frozenset[str]],
    hr_rng: np.random.Generator,
    sampling: HeartRateSampling,
) -> dict[str, list[dict]]:
    docs: dict[str, list[dict]] = {name: [] for name in OURA_ENDPOINTS}
    for i, day in enumerate(days):
        # Contributors are drawn for every day so a missing day does not shift the others.
        readiness = _readiness_block(day, rng, days[max(0, i - 14) : i])
        sleep_contributors = _sleep_contributors(day, rng)
        if day.day in missing:
            continue
        dropped = partial.get(day.day, frozenset())
        if "daily_readiness" not in dropped:
            docs["daily_readiness"].append(
                {
                    "id": _doc_id(seed, "daily_readiness", day.day),
                    "contributors": readiness["contributors"],
                    "day": day.day.isoformat(),
                    "score": day.readiness,
                    "temperature_deviation": day.temp_dev,
                    "temperature_trend_deviation": day.temp_trend,
                    "timestamp": _daily_timestamp(day.day),
                }
            )
        if "daily_sleep" not in dropped:
            docs["daily_sleep"].append(
                {
                    "id": _doc_id(seed, "daily_sleep", day.day),
                    "contributors": sleep_contributors,
                    "day": day.day.isoformat(),
                    "score": day.sleep_score,
                    "timestamp": _daily_timestamp(day.day),
                }
            )
        if "sleep" not in dropped:
            periods = sorted([day.night, *day.naps], key=lambda p: p.start)
            docs["sleep"].extend(
                _sleep_document(seed, day, p, k, readiness) for k, p in enumerate(periods)
            )
        if "daily_activity" not in dropped:
            docs["daily_activity"].append(
                _activity_document(seed, rng, day, activities[i], activities[max(0, i - 6) : i])
            )
        if "heartrate" not in dropped:
            until = bedtime_of(days, i, tz)
            docs["heartrate"].extend(
                heartrate_rows(hr_rng, day, until, "sleep" not in dropped, sampling)
            )
        if "daily_spo2" not in dropped:
            spo2 = 97.2 + rng.normal(0, 0.6) - (1.2 if day.ill else 0.0)
            docs["daily_spo2"].append(
                {
                    "id": _doc_id(seed, "daily_spo2", day.day),
                    "day": day.day.isoformat(),
                    "spo2_percentage": None if rng.random() < 0.03 else {"average": round(spo2, 3)},
                    "breathing_disturbance_index": clip_int(
                        8 + rng.normal(0, 4) + (6 if day.ill else 0), 0, 100
                    ),
                }
            )
        if "daily_stress" not in dropped:
            calm = (day.readiness - 60) / 40
            stress_high = 900 * max(0, round(rng.normal(4 - 3 * calm + 4 * day.ill, 2)))
            recovery_high = 900 * max(0, round(rng.normal(4 + 6 * calm, 2.5)))
            if recovery_high >= max(2 * stress_high, 5400):
                summary: str | None = "restored"
            elif stress_high >= max(2 * recovery_high, 5400):
                summary = "stressful"
            else:
                summary = "normal"
            docs["daily_stress"].append(
                {
                    "id": _doc_id(seed, "daily_stress", day.day),
                    "day": day.day.isoformat(),
                    "stress_high": stress_high,
                    "recovery_high": recovery_high,
                    "day_summary": None if rng.random() < 0.03 else summary,
                }
            )
        if "workout" not in dropped:
            docs["workout"].extend(_workout_documents(seed, rng, day))
        if "session" not in dropped:
            docs["session"].extend(_session_documents(seed, rng, tz, day, i))
    docs["heartrate"].sort(key=lambda row: row["timestamp"])  # same-format UTC strings
    return docs


HEARTRATE_PAGE_SIZE = 5000


def write_oura(oura_dir: Path, docs: dict[str, list[dict]], page_size: int, seed: int) -> None:
    """One file per page: `{"data": [...], "next_token": ...}`, compact like the API's bodies."""
    oura_dir.mkdir(parents=True, exist_ok=True)
    for endpoint, items in docs.items():
        # Remove pages of an earlier, longer run so a directory glob sees only this one.
        for stale in oura_dir.glob(f"{endpoint}_*.json"):
            if stale.stem.removeprefix(f"{endpoint}_").isdigit():
                stale.unlink()
        # heart rate is sampled every few minutes: real pages of it are far larger than the
        # daily documents' pages, and 40 samples a page would make hundreds of tiny files
        size = max(page_size, HEARTRATE_PAGE_SIZE) if endpoint == "heartrate" else page_size
        pages = [items[k : k + size] for k in range(0, len(items), size)] or [[]]
        for n, page in enumerate(pages, start=1):
            token = _next_token(seed, endpoint, n) if n < len(pages) else None
            body = json.dumps({"data": page, "next_token": token}, separators=(",", ":"))
            (oura_dir / f"{endpoint}_{n}.json").write_text(body, encoding="utf-8")
