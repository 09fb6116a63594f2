"""Where weekly reports are kept: `<out>/<week>.html` on disk and `reports/weekly/<week>.html`
in the lake (the dashboard's Reports tab lists and reads them from there)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from biolake.files import write_private
from biolake.lake import Lake
from reports.week import WEEK_LABEL, ReportError, Week

LAKE_PREFIX = "reports/weekly"


@dataclass(frozen=True)
class WrittenReport:
    week: Week
    local_path: Path
    lake_key: str | None


def write_report(html: str, week: Week, out_dir: Path, lake: Lake | None) -> WrittenReport:
    """Write `<out_dir>/<week>.html`, and `<lake>/reports/weekly/<week>.html` unless `lake` is
    None; both replace an earlier report for the same week.

    Args:
        html: the rendered report (`weekly.render_html`).
        week: the report's week; its ISO label names the files.
        out_dir: the local folder (created if missing).
        lake: where the dashboard finds reports, or None to keep the report on this machine.

    Raises:
        OSError: the local file cannot be written.
        OSError, botocore.exceptions.ClientError: the lake copy cannot be stored.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    local = out_dir / f"{week.label}.html"
    write_private(local, html.encode("utf-8"))  # health data: the owner's only
    key = None
    if lake is not None:
        key = f"{LAKE_PREFIX}/{week.label}.html"
        lake.put_file(local, key)
    return WrittenReport(week, local, key)


def list_lake_reports(lake: Lake) -> list[str]:
    """The week labels of the reports stored in the lake, newest first."""
    keys = lake.list_keys(LAKE_PREFIX)
    return sorted((Path(k).stem for k in keys if k.endswith(".html")), reverse=True)


def read_lake_report(lake: Lake, label: str) -> str:
    if not WEEK_LABEL.fullmatch(label):
        raise ReportError(f"{label!r} is not a week like 2025-W13")
    key = f"{LAKE_PREFIX}/{label}.html"
    with lake.open(key) as stream:
        return stream.read().decode("utf-8")
