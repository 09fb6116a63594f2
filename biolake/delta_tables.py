"""Light, JVM-free access to the lake's Delta tables with delta-rs (`deltalake`).

Used where starting Spark would be absurd: listing tables, counting rows, and reading them into
Arrow for the embedded DuckDB engine. All writing of silver and gold stays in spark_jobs.
"""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable

from biolake.lake import Lake


def list_tables(lake: Lake, layer: str) -> list[str]:
    """Delta tables directly under a layer (folders holding a _delta_log)."""
    return [name for name in lake.list_dirs(layer) if lake.exists(f"{layer}/{name}/_delta_log")]


def open_table(lake: Lake, layer: str, name: str) -> DeltaTable:
    return DeltaTable(lake.table_uri(layer, name), storage_options=lake.delta_storage_options())


def read_arrow(lake: Lake, layer: str, name: str) -> pa.Table:
    return open_table(lake, layer, name).to_pyarrow_table()


def row_count(lake: Lake, layer: str, name: str) -> int:
    """Rows of the current snapshot from the log's per-file statistics; no data file is read."""
    actions = pa.table(open_table(lake, layer, name).get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return 0
    counts = actions.column("num_records")
    if counts.null_count:  # a file written without statistics: count it the slow way
        return read_arrow(lake, layer, name).num_rows
    return int(pa.compute.sum(counts).as_py())
