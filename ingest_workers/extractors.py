"""Which extractor reads a bronze object, by (source, dataset). Shared by ingest and the ETL."""

from __future__ import annotations

from biolake.errors import UnknownInputError
from biolake.sources import APPLE_HEALTH, OURA_API, OURA_EXPORT, PELOTON_API, PELOTON_CSV
from ingest_workers.records import Extractor


def extractor_for(source: str, dataset: str) -> Extractor:
    # imported here so a Spark task only loads the parser it needs
    if source == OURA_API:
        from ingest_workers.oura.api_files import extract_oura_page

        return extract_oura_page
    if source == OURA_EXPORT:
        from ingest_workers.oura.export import extract_oura_export_csv

        return extract_oura_export_csv
    if source == PELOTON_CSV:
        from ingest_workers.peloton.csv_export import extract_peloton_csv

        return extract_peloton_csv
    if source == PELOTON_API:
        from ingest_workers.peloton.api_json import peloton_api_extractor

        return peloton_api_extractor(dataset)
    if source == APPLE_HEALTH:
        from ingest_workers.apple_health.export_xml import extract_apple_health

        return extract_apple_health
    raise UnknownInputError(f"no extractor for source {source!r}, dataset {dataset!r}")
