"""The nine gold views: their Trino SQL lives in `trino/views/<name>.sql`, the single source of
the definitions for both engines (DuckDB receives it through sqlglot).

A view file holds one SELECT over `lake.<table>` relations, opened by a comment documenting its
columns and thresholds. The engines create `gold.<name>` from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.serving.resources import VIEWS_DIR

GOLD_SCHEMA = "gold"
LAKE_SCHEMA = "lake"

VIEW_NAMES: tuple[str, ...] = (
    "daily_readiness_performance",
    "dashboard_30day",
    "workout_recommendations",
    "energy_state",
    "workout_type_optimization",
    "sleep_performance_prediction",
    "readiness_performance_correlation",
    "weekly_trends",
    "overtraining_risk",
)


@dataclass(frozen=True)
class GoldView:
    name: str
    sql: str  # Trino SQL, one SELECT

    @property
    def documentation(self) -> str:
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return "\n".join(lines)


def load_views(views_dir: Path = VIEWS_DIR) -> list[GoldView]:
    """The nine views in a fixed order; a missing or extra file is an error, not a surprise."""
    found = {p.stem for p in views_dir.glob("*.sql")}
    if found != set(VIEW_NAMES):
        missing, extra = set(VIEW_NAMES) - found, found - set(VIEW_NAMES)
        raise FileNotFoundError(f"{views_dir}: missing views {sorted(missing)}, unexpected {sorted(extra)}")
    return [GoldView(name, (views_dir / f"{name}.sql").read_text()) for name in VIEW_NAMES]
