"""Fuzzing the Apple Health `export.xml` reader (`extract_apple_health`).

Documented errors: InputFormatError for XML that is not well-formed (at its line and column),
UnsafeInputError (an InputFormatError) for a DTD that declares entities; a record of interest
without a required attribute carries `error`. The reader streams in chunks, so every case is
read twice, in small chunks and in the default ones: the same records, or refused both times."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from hypothesis import example, given
from hypothesis import strategies as st

from biolake.errors import InputFormatError
from ingest_workers.apple_health.export_xml import (
    RECORD_DATASETS,
    WORKOUT_DATASET,
    extract_apple_health,
)
from tests.fuzz.strategies import mutated, raw_inputs, run_extractor
from tests.support.paths import REAL_FIXTURES

SAMPLE = (REAL_FIXTURES / "apple_health" / "export_v3_sample.xml").read_bytes()
_ROOT = SAMPLE.index(b"<HealthData")
REAL_PROLOG = SAMPLE[:_ROOT].decode()
REAL_ELEMENTS = [line.strip().decode() for line in SAMPLE[_ROOT:].splitlines()[1:-1]]

PROLOG_ITEMS = [
    REAL_PROLOG,
    "\ufeff",
    "<!-- HealthKit Export Version: 3 -->",
    "<?xml-stylesheet href='x'?>",
    "<!DOCTYPE HealthData>",
    "<!DOCTYPE HealthData [\n<!ELEMENT HealthData ANY>\n]>",
    # iOS 16: an <!ATTLIST> that never closes (DATA-FORMATS.md 4)
    "<!DOCTYPE HealthData [\n<!ATTLIST ExportDate\n  value CDATA #REQUIRED\n\n]>",
    '<!DOCTYPE HealthData [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE HealthData [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    '<!DOCTYPE HealthData [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]>',
    '<!DOCTYPE HealthData SYSTEM "http://127.0.0.1/health.dtd">',
    "<!DOCTYPE HealthData [",  # never ends
    "<!--",  # never ends
    "<?xml",
]
ENCODINGS = ["UTF-8", "utf-8", "UTF-16", "ISO-8859-1", "US-ASCII", "windows-1252", "cp037",
             "shift_jis", "UTF-32", "big5", "nonsense", "", "x" * 300]
ELEMENT_NAMES = ["Record", "Record", "Workout", "Workout", "MetadataEntry", "WorkoutStatistics",
                 "Correlation", "WorkoutEvent", "WorkoutRoute", "HeartRateVariabilityMetadataList",
                 "InstantaneousBeatsPerMinute", "ExportDate", "Me", "ActivitySummary", "a:b", "x"]
ATTRIBUTE_NAMES = ["type", "type", "startDate", "endDate", "workoutActivityType", "value", "unit",
                   "sourceName", "creationDate", "key", "statistics", "metadata", "xmlns",
                   "xmlns:a", "a:b", "Health Mate App Version", "MetaData Key", "type "]
VALUES = [*RECORD_DATASETS, "HKWorkoutActivityTypeRunning", "2025-03-31 06:00:00 +0100", "",
          "count/min", "&amp;", "&lt;&gt;", "&#0;", "&#x1F600;", "&#65;", "&undefined;", "&",
          "<", '"', "'", "\x0b", "\t\n", "\u00e9\u4e2d", "\ud800".encode("utf-8", "surrogatepass")
          .decode("utf-8", "replace")]
XML_TOKENS = (b"<", b">", b"/>", b"</HealthData>", b"<Record ", b'="', b"&", b"&a;", b"<![CDATA[",
              b"]]>", b"<!DOCTYPE", b"<!ENTITY", b"<?xml", b"?>", b"<!--", b"-->")

values = st.sampled_from(VALUES) | st.text(max_size=10)


@st.composite
def attributes(draw: st.DrawFn) -> str:
    parts = []
    for name in draw(st.lists(st.sampled_from(ATTRIBUTE_NAMES), max_size=5, unique=True)):
        value = draw(values)
        escaped = draw(st.sampled_from([True] * 7 + [False]))  # raw: '<', '&' or a quote
        parts.append(f"{name}={quoteattr(value) if escaped else chr(34) + value + chr(34)}")
    return "".join(" " + part for part in parts)


def elements(depth: int = 0) -> st.SearchStrategy[str]:
    @st.composite
    def element(draw: st.DrawFn) -> str:
        name = draw(st.sampled_from(ELEMENT_NAMES))
        attrs = draw(attributes())
        children = draw(st.lists(elements(depth + 1), max_size=3)) if depth < 3 else []
        text = draw(st.sampled_from(["", "", "\n ", "x", "&amp;", "<![CDATA[<>]]>"]))
        if not children and not text and draw(st.booleans()):
            return f"<{name}{attrs}/>"
        return f"<{name}{attrs}>{text}{''.join(children)}</{name}>"

    return st.one_of(st.sampled_from(REAL_ELEMENTS), records(), element())


@st.composite
def records(draw: st.DrawFn) -> str:
    """A Record or Workout of interest, its required attributes mostly there, with children."""
    if draw(st.booleans()):
        name, required = "Record", {"type": draw(st.sampled_from(sorted(RECORD_DATASETS)))}
    else:
        name, required = "Workout", {"workoutActivityType": "HKWorkoutActivityTypeRunning"}
    required |= {"startDate": "2025-03-31 06:00:00 +0100", "endDate": "2025-03-31 07:00:00 +0100"}
    kept = draw(st.lists(st.sampled_from(sorted(required)), unique=True, min_size=len(required) - 1))
    attrs = "".join(f" {key}={quoteattr(required[key])}" for key in kept) + draw(attributes())
    children = draw(st.lists(st.one_of(
        attributes().map(lambda a: f"<MetadataEntry{a}/>"),
        attributes().map(lambda a: f"<WorkoutStatistics{a}/>"),
        st.just('<MetadataEntry key="HKTimeZone" value="Europe/London"/>'),
        st.just("<HeartRateVariabilityMetadataList><InstantaneousBeatsPerMinute bpm=\"60\"/>"
                "</HeartRateVariabilityMetadataList>"),
        elements(3),
    ), max_size=3))
    return f"<{name}{attrs}>{''.join(children)}</{name}>"


@st.composite
def exports(draw: st.DrawFn) -> bytes:
    """A prolog, `<HealthData>` and real or random elements; sometimes cut short, re-encoded or
    byte-mutated (about half the cases are well-formed, so the record handling gets fuzzed too)."""
    well_formed = draw(st.booleans())
    encoding = "UTF-8" if well_formed else draw(st.sampled_from(ENCODINGS))
    declaration = draw(st.sampled_from(
        ["", f'<?xml version="1.0" encoding="{encoding}"?>\n', '<?xml version="1.0"?>']
    ))
    prolog = draw(st.sampled_from(["", REAL_PROLOG]) if well_formed else st.lists(
        st.sampled_from(PROLOG_ITEMS), max_size=3).map("".join))
    if prolog.startswith("<?xml"):  # the real file's own declaration comes first
        declaration = ""
    body = "\n ".join(draw(st.lists(elements(), max_size=6)))
    closing = "</HealthData>" if well_formed else draw(st.sampled_from(["", "</Other>"]))
    text = f'{declaration}{prolog}\n<HealthData locale="en_GB">\n {body}\n{closing}'
    if well_formed:
        return text.encode()
    writing = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "latin-1"]))
    return draw(mutated(text.encode(writing, errors="replace"), XML_TOKENS, max_operations=2))


CHUNK_SIZES = st.sampled_from([1, 2, 3, 7, 64, 4096])


@given(st.one_of(exports(), mutated(SAMPLE, XML_TOKENS), raw_inputs()), CHUNK_SIZES)
@example(  # found: an attribute named `statistics` on a Record with a WorkoutStatistics child
    b'<HealthData><Record type="HKQuantityTypeIdentifierHeartRate" startDate="a" endDate="b"'
    b' statistics="x"><WorkoutStatistics/></Record></HealthData>', 7,
)
@example(  # found: a single-quoted spaced name was rewritten only beside a double-quoted one
    b"<HealthData><X Health Mate=\"1\"/><Workout MetaData Key='v'/></HealthData>", 7,
)
@example(b'<?xml version="1.0" encoding="nonsense"?><HealthData/>', 64)  # found: LookupError
@example(b'<?xml version="1.0" encoding="shift_jis"?><HealthData/>', 64)  # found: ValueError
@example(b'<!DOCTYPE HealthData [<!ENTITY a "b">]><HealthData>&a;</HealthData>', 1)
@example(SAMPLE, 1)
def test_apple_health_reader(data: bytes, chunk_size: int) -> None:
    # at most ~256 chunks: the filter looks for the end of an unfinished DOCTYPE again at every
    # chunk, which is nothing at the real 1 MiB chunks but quadratic at 1 byte
    chunk_size = max(chunk_size, len(data) // 256)
    small = run_extractor(extract_apple_health, data, chunk_size=chunk_size)
    default = run_extractor(extract_apple_health, data)
    if isinstance(default, InputFormatError):
        # refused either way; which check fires first may depend on the chunks (a declared
        # UTF-16 is refused by expat before a DTD with entities is complete, in 1-byte chunks)
        assert isinstance(small, InputFormatError), "the chunk size changed the outcome"
        return
    assert small == default, "the chunk size changed the records"
    for record in default:
        assert record.position.startswith("line ")
        assert record.dataset in {*RECORD_DATASETS.values(), WORKOUT_DATASET, None}
