"""Where the tests find the repository and the real sample files (tests/fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
REAL_FIXTURES = FIXTURES / "real"
OURA_OPENAPI_SPEC = FIXTURES / "reference" / "oura-openapi-1.35.json"
