"""The entry point: `generate_sample_person` writes one sample person's raw files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from ingest_workers.demo.sample_person.activity_day import bedtime_of, ring_activity
from ingest_workers.demo.sample_person.apple_health_xml import apple_health_xml
from ingest_workers.demo.sample_person.heart_rate import HeartRateSampling
from ingest_workers.demo.sample_person.nights import illness_mask
from ingest_workers.demo.sample_person.oura_documents import oura_documents, write_oura
from ingest_workers.demo.sample_person.peloton_csv import write_peloton
from ingest_workers.demo.sample_person.plan import plan_training
from ingest_workers.demo.sample_person.simulation import ring_gaps, simulate


@dataclass(frozen=True)
class SamplePersonFiles:
    """Where `generate_sample_person` wrote one person's raw files."""

    root: Path
    oura_dir: Path  # saved Oura API v2 list responses, one endpoint per file prefix
    peloton_csv: Path  # Peloton "Download Workouts" CSV
    apple_health_xml: Path | None


def generate_sample_person(
    out_dir: Path,
    *,
    end_day: date,
    seed: int = 7,
    oura_days: int = 90,
    peloton_years: float = 5.0,
    peloton_workouts: int = 833,
    apple_health: bool = False,
    page_size: int = 40,
    timezone: str = "America/New_York",
    heartrate: HeartRateSampling = HeartRateSampling(),  # noqa: B008 (frozen: safe to share)
) -> SamplePersonFiles:
    """Write one sample person's raw files under `out_dir`; same arguments, same bytes.

    Oura and Apple Health cover the `oura_days` days ending `end_day`; the Peloton history
    covers `peloton_years` years ending `end_day` with about `peloton_workouts` rows. Heart
    rate is sampled as `heartrate` says (its own random stream: the density changes no other
    file).
    """
    if oura_days < 1:
        raise ValueError(f"oura_days must be at least 1, got {oura_days}")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size}")
    if peloton_years <= 0 or peloton_workouts < 0:
        raise ValueError(
            f"peloton_years must be > 0 and peloton_workouts >= 0, got "
            f"{peloton_years} and {peloton_workouts}"
        )
    out_dir = Path(out_dir)
    tz = ZoneInfo(timezone)
    plan_rng, latent_rng, oura_rng, apple_rng, hr_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    window = [end_day - timedelta(days=oura_days - 1 - i) for i in range(oura_days)]
    first = end_day - timedelta(days=max(round(peloton_years * 365.25), 1) - 1)
    ill = illness_mask(latent_rng, oura_days)
    blocked = {d for d, sick in zip(window, ill.tolist(), strict=True) if sick}
    plan = plan_training(plan_rng, first, end_day, peloton_workouts, blocked, window[0])
    sessions, days = simulate(latent_rng, tz, plan, first, window, ill)
    sessions = [s for s in sessions if s.start.date() >= first]

    missing, partial = ring_gaps(oura_rng, window, ill)
    activities = []
    for i, day in enumerate(days):
        activities.append(ring_activity(oura_rng, tz, day, bedtime_of(days, i, tz)))
    docs = oura_documents(
        seed, oura_rng, tz, days, activities, missing, partial, hr_rng, heartrate
    )

    oura_dir = out_dir / "oura"
    write_oura(oura_dir, docs, page_size, seed)
    peloton_csv = out_dir / "peloton" / "workouts.csv"
    write_peloton(peloton_csv, sessions, tz, first)
    apple_xml = None
    if apple_health:
        apple_xml = out_dir / "apple_health" / "export.xml"
        apple_xml.parent.mkdir(parents=True, exist_ok=True)
        in_window = [s for s in sessions if s.start.date() >= window[0]]
        text = apple_health_xml(apple_rng, tz, days, activities, in_window, end_day)
        apple_xml.write_text(text, encoding="utf-8")
    return SamplePersonFiles(out_dir, oura_dir, peloton_csv, apple_xml)
