"""The names of the sources and of their datasets, as they appear in the lake.

A bronze object lives at `bronze/<source>/<dataset>/<person>/<sha256>.<ext>` and the ingestion
log and the silver `source` columns carry the same names, so every layer (ingest, the ETL,
serving) imports them from here rather than from each other.
"""

from __future__ import annotations

OURA_API = "oura_api"  # Oura API v2 list pages, live or saved (`ingest oura`)
OURA_EXPORT = "oura_export"  # Oura's membership export CSVs (`ingest oura-export`)
PELOTON_CSV = "peloton_csv"  # Peloton's "Download Workouts" CSV (`ingest peloton --csv`)
PELOTON_API = "peloton_api"  # Peloton's REST API documents (`ingest peloton --api`)
APPLE_HEALTH = "apple_health"  # Apple Health export.xml (`ingest apple-health`)

ALL_SOURCES = (OURA_API, OURA_EXPORT, PELOTON_CSV, PELOTON_API, APPLE_HEALTH)

APPLE_HEALTH_DATASET = "export_xml"  # one object holds every Apple Health dataset
PELOTON_WORKOUTS_DATASET = "workouts"  # one page of `GET /api/user/{id}/workouts`
PELOTON_GRAPH_DATASET = "performance_graph"  # `GET /api/workout/{id}/performance_graph`
