"""Translations that worked, on disk under the home, keyed by question and schema version.

A cached translation saves a model request (and its cost) when the same question comes again.
The key holds the normalized question and everything the answer depends on: the schema version,
the prompt's fingerprint, the model, "today", the person and what data the prompt could show.
Files are owner-only (0600 in a 0700 folder): a question says something about its asker.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path

from app.nl2sql.translation import Translation
from biolake.files import write_private


def normalize_question(question: str) -> str:
    """Case, spacing and final punctuation do not make a different question."""
    return re.sub(r"\s+", " ", question.strip().lower()).rstrip(" ?!.")


def cache_key(question: str, **context: str) -> str:
    material = json.dumps([normalize_question(question), sorted(context.items())])
    return hashlib.sha256(material.encode()).hexdigest()


class TranslationCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, key: str) -> Translation | None:
        path = self.directory / f"{key}.json"
        if not path.exists():
            return None
        try:
            return Translation(**json.loads(path.read_text()))
        except (ValueError, TypeError):  # a file from an older layout: ask again
            return None

    def put(self, key: str, translation: Translation) -> None:
        write_private(self.directory / f"{key}.json", json.dumps(asdict(translation)).encode())
