"""Peloton API responses as stored in bronze (source `peloton_api`): the extractors.

    workouts            one page of `GET /api/user/{id}/workouts` as received
                        `{data: [workout...], limit, page, page_count, total, count}`;
                        one record per workout (`data[i]`)
    performance_graph   one `GET /api/workout/{id}/performance_graph` as received; one record

A performance graph does not say which workout it belongs to, so the workout id travels in the
object's name, as an Oura endpoint travels in a saved file's name: the sync stores it with the
bronze "extension" `workout-<id>.json` (key `.../<sha256>.workout-<id>.json`, original name
`performance_graph.workout-<id>.json`). That also keeps two byte-identical graphs of different
workouts (the same meditation twice, no heart-rate monitor) as two objects. The record is
`{"workout_id": <id>, "performance_graph": <the response>}`: the response untouched, its
context beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from biolake.errors import InputFormatError, UnknownInputError
from biolake.sources import PELOTON_GRAPH_DATASET as GRAPH_DATASET
from biolake.sources import PELOTON_WORKOUTS_DATASET as WORKOUTS_DATASET
from ingest_workers.records import ExtractedRecord, Extractor, list_records, read_json

_GRAPH_NAME = re.compile(r"workout-([A-Za-z0-9_-]{1,64})\.json$")


def graph_extension(workout_id: str) -> str:
    """The bronze extension that names a performance graph's workout."""
    return f"workout-{workout_id}.json"


def graph_workout_id(object_name: str) -> str | None:
    match = _GRAPH_NAME.search(object_name)
    return match.group(1) if match else None


def extract_peloton_workouts_page(stream: BinaryIO, object_name: str) -> Iterator[ExtractedRecord]:
    """One page of the workout list → one record per workout."""
    page = read_json(stream, object_name)
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise InputFormatError(
            object_name, None,
            'not a Peloton workouts page: expected {"data": [...], "page": ..., "page_count": ...}',
        )
    yield from list_records(page["data"])


def extract_peloton_performance_graph(
    stream: BinaryIO, object_name: str
) -> Iterator[ExtractedRecord]:
    """One performance graph → one record holding it and its workout id."""
    workout_id = graph_workout_id(object_name)
    if workout_id is None:
        raise InputFormatError(
            object_name, None,
            "the object name does not say which workout this performance graph belongs to "
            "(expected it to end with 'workout-<id>.json')",
        )
    graph = read_json(stream, object_name)
    if not isinstance(graph, dict):
        raise InputFormatError(object_name, None, "not a Peloton performance graph: not an object")
    yield ExtractedRecord(
        "performance_graph", payload={"workout_id": workout_id, "performance_graph": graph}
    )


def peloton_api_extractor(dataset: str) -> Extractor:
    if dataset == WORKOUTS_DATASET:
        return extract_peloton_workouts_page
    if dataset == GRAPH_DATASET:
        return extract_peloton_performance_graph
    raise UnknownInputError(f"no extractor for source 'peloton_api', dataset {dataset!r}")
