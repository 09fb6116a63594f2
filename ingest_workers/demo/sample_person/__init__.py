"""A deterministic sample person: raw Oura, Peloton and Apple Health files in the real formats.

`biolake demo`, the tests and the benchmarks need files that parse exactly like the real exports
(docs/DATA-FORMATS.md; samples in tests/fixtures/real/) *and* carry real effects for the insight
views to find. So one latent daily state is simulated first and every file is rendered from it:

    sleep score s(d)      AR(1) (phi 0.55, sd 6) around 78; Sat/Sun mornings +3, Mondays -3
    load L(d)             Peloton kJ on d + 0.35 x Strength/Cardio kcal (+ 0.15 x Bootcamp kcal)
    readiness r(d)        82 + 0.45 (s(d) - 78) + 0.40 (s(d-1) - 78) - 0.030 L(d-1)
                          + AR(1) noise (phi 0.5, sd 3); above 90 compressed; clipped to 1-100
    illness (1-2 x 3-5 d) r(d) <= 57, -10 the day after; sleep -9; HRV x0.75; RHR +6; temp up;
                          no workouts
    HRV, resting HR       48 ms x exp(0.018 (r - 76)), 52 bpm - 0.16 (r - 76), plus noise
    Peloton watts on d    fitness (135 -> 190 W over the history) x class intensity
                          x (1 + 0.004 (r(d) - 76)); shorter classes when r(d) < 62

The Peloton sessions inside the Oura window are the ones whose load enters r(d+1), so "hard
training lowers next-day readiness" holds in the written files, not just in the model.

The function is pure: randomness comes from `numpy.random.default_rng` streams spawned from
`seed` (one per concern, so `apple_health=True` or a denser heart rate changes no other file),
ids and paging tokens are hashes of the seed, and nothing reads the clock.

Files written under `out_dir`:
    oura/<endpoint>_<n>.json      Oura API v2 list responses, `page_size` documents per page
    peloton/workouts.csv          Peloton "Download Workouts" CSV (US units), newest first
    apple_health/export.xml       Apple Health export (only when `apple_health=True`)

The modules, in the order a day is made:

    parameters, catalogue   the latent model's numbers; the Peloton classes and instructors
    state, helpers          what a simulated day holds; time arithmetic and draws
    plan                    which days have which Peloton disciplines
    nights, sessions        the latent simulation of nights and of Peloton sessions
    simulation              the walk over the calendar that ties them together
    activity_day            the ring's activity day
    heart_rate              the ring's heart-rate samples
    oura_documents          the days as Oura API v2 pages
    peloton_csv             the sessions as Peloton's CSV
    apple_health_xml        the days and sessions as Apple Health's export.xml
    generate                the entry point, `generate_sample_person`
"""

from __future__ import annotations

from ingest_workers.demo.sample_person.apple_health_xml import APPLE_HEALTH_PROLOGUE
from ingest_workers.demo.sample_person.generate import SamplePersonFiles, generate_sample_person
from ingest_workers.demo.sample_person.heart_rate import HeartRateSampling
from ingest_workers.demo.sample_person.oura_documents import HEARTRATE_PAGE_SIZE, OURA_ENDPOINTS
from ingest_workers.demo.sample_person.peloton_csv import PELOTON_HEADER

__all__ = [
    "APPLE_HEALTH_PROLOGUE",
    "HEARTRATE_PAGE_SIZE",
    "OURA_ENDPOINTS",
    "PELOTON_HEADER",
    "HeartRateSampling",
    "SamplePersonFiles",
    "generate_sample_person",
]
