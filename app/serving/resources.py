"""The files the serving layer ships with, found in one place.

The Trino configuration (`etc/`) and the nine gold views (`views/*.sql`) live once, in the
repository's top-level `trino/` folder; the Helm chart reads that folder through the link
`charts/bio-lakehouse/files/trino`. `app/serving/trino` is a symbolic link to the same folder,
so a wheel built from the repository carries real copies inside the package (setuptools follows
the link; see `package-data` in pyproject.toml) and an editable checkout reads the folder itself.
Code asks for `TRINO_DIR` here and never builds a path from its own `__file__`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

TRINO_DIR = Path(str(files("app.serving") / "trino"))
TRINO_ETC_DIR = TRINO_DIR / "etc"
VIEWS_DIR = TRINO_DIR / "views"
