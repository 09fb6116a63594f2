"""The system prompt for Claude, built at run time, and the tool its answer must call.

Four parts, each from its source of truth: the rules (`rules.md`, with today's date and the
person filled in), the live schema (`schema.py`: the engine's columns and the views' header
comments), the few-shot examples (`examples/*.sql`, one question per file), and, only when the
user opted in, aggregates or sample rows. By default no row of health data is in the prompt.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.nl2sql import catalog
from app.nl2sql.errors import Nl2SqlError
from app.nl2sql.schema import LiveSchema

HERE = Path(__file__).parent
RULES = HERE / "rules.md"
EXAMPLES = HERE / "examples"
EXAMPLES_AS_OF = "2025-03-31"  # the "today" the example files were written against
TOOL_NAME = "answer_with_sql"
TOOL = {
    "name": TOOL_NAME,
    "description": "Answer the person's question with one read-only Trino SQL query.",
    "input_schema": {
        "type": "object",
        "properties": {
            "answerable": {"type": "boolean", "description": "false when the data cannot answer"},
            "sql": {"type": "string", "description": "one Trino SELECT (or WITH ... SELECT)"},
            "relation": {"type": "string", "description": "the gold view or table relied on"},
            "rationale": {"type": "string", "description": "one line: how the question was read"},
            "answer_template": {
                "type": "string",
                "description": "one sentence with {column} placeholders for the first row's values",
            },
        },
        "required": ["sql", "relation", "rationale"],
    },
}
_HEADER = re.compile(r"^--\s*(question|relation|rationale|answer_template):\s*(.*)$")


@dataclass(frozen=True)
class Example:
    question: str
    relation: str
    rationale: str
    answer_template: str
    sql: str


def load_examples(directory: Path = EXAMPLES) -> list[Example]:
    examples = []
    for path in sorted(directory.glob("*.sql")):
        fields: dict[str, str] = {}
        body = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _HEADER.match(line)
            if match:
                fields[match[1]] = match[2].strip()
            elif line.startswith("--"):
                raise Nl2SqlError(f"{path}, line {number}: unknown header {line!r}")
            else:
                body.append(line)
        missing = {"question", "relation", "rationale", "answer_template"} - fields.keys()
        if missing:
            raise Nl2SqlError(f"{path}: missing header(s) {', '.join(sorted(missing))}")
        examples.append(Example(sql="\n".join(body).strip(), **fields))
    return examples


def prompt_fingerprint(examples: list[Example]) -> str:
    """Changes whenever the rules, the examples, the tool or the catalog change (part of the
    cache key)."""
    material = json.dumps(
        [RULES.read_text(), [e.__dict__ for e in examples], TOOL, catalog.describe()]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def system_prompt(
    schema: LiveSchema, as_of: date, person_id: str, examples: list[Example], data: str = ""
) -> str:
    rules = RULES.read_text().format(
        as_of=as_of.isoformat(), weekday=as_of.strftime("%A"), person_id=person_id
    )
    shots = "\n\n".join(
        f"Question: {e.question}\nCall: "
        + json.dumps(
            {
                "sql": e.sql,
                "relation": e.relation,
                "rationale": e.rationale,
                "answer_template": e.answer_template,
            }
        )
        for e in examples
    )
    parts = [
        rules,
        "## Schema (live, from the serving engine)\n\n" + schema.describe(),
        "## Measures (the catalog the offline translator uses too)\n\n" + catalog.describe(),
        f"## Examples (written for person 'me' on {EXAMPLES_AS_OF}; use today's date and the "
        f"person above)\n\n{shots}",
    ]
    parts.append("## Data\n\n" + (data or "You are not shown any of the person's data values."))
    return "\n\n".join(parts)


def repair_message(error: str) -> str:
    return (
        f"The serving engine could not run that query:\n{error}\n"
        f"Correct the query and call {TOOL_NAME} again."
    )
