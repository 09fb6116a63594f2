"""Apple Health `export.xml` → records, streamed in constant memory, refusing unsafe XML.

Real exports reach gigabytes, so expat is fed fixed-size chunks and records are yielded as they
complete; no tree is ever built. A streaming filter first blanks out the DOCTYPE (iOS 16 ships a
malformed one, and nothing here needs it), turns stray control characters into spaces and
rejoins the spaced attribute names of iOS 8 exports. A DTD that declares entities is refused
before anything is expanded (XXE, "billion laughs"); with no DTD left, any other `&name;` is an
"undefined entity" error from expat."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast
from xml.parsers import expat

from biolake.errors import InputFormatError, UnsafeInputError
from ingest_workers.records import ExtractedRecord

# Top-level <Record type="..."> kept, and the dataset each one feeds. Other types stay in bronze.
RECORD_DATASETS: dict[str, str] = {
    "HKQuantityTypeIdentifierHeartRate": "heart_rate",
    "HKQuantityTypeIdentifierRestingHeartRate": "resting_heart_rate",
    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN": "hrv_sdnn",
    "HKQuantityTypeIdentifierStepCount": "steps",
    "HKCategoryTypeIdentifierSleepAnalysis": "sleep_analysis",
}
WORKOUT_DATASET = "workouts"

_RECORD_REQUIRED = ("type", "startDate", "endDate")
_WORKOUT_REQUIRED = ("workoutActivityType", "startDate", "endDate")

_CHUNK_SIZE = 1 << 20
_MAX_DOCTYPE_BYTES = 4 << 20
# In the body, bytes are held back until the last '>' so a tag is never split between two
# rewrites; past this size there is no tag to protect and the bytes go through as they are.
_MAX_CARRY_BYTES = 1 << 20

# Expat rejects these outright ("not well-formed"); real exports carry stray \x0b in free text.
# They never occur inside a UTF-8 multi-byte sequence, so bytes can be replaced one by one.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_CONTROL_TO_SPACE = bytes.maketrans(_CONTROL_BYTES, b" " * len(_CONTROL_BYTES))

# What may precede the root element besides the DOCTYPE: whitespace, a BOM, PIs, comments.
_PROLOG_ITEM = re.compile(rb"\s+|\xef\xbb\xbf|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_PROLOG_OPENERS = (b"\xef\xbb\xbf", b"<?", b"<!--", b"<!DOCTYPE")
# A DOCTYPE ends at its first '>' when it has no internal subset, otherwise at the first ']>'.
# Declarations are deliberately not parsed: iOS 16 leaves an <!ATTLIST> without its '>'.
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:>|\[.*?\]\s*>)", re.DOTALL)

# iOS 8 wrote third-party metadata as attributes named like `Health Mate App Version="2.6.0"`.
# Such a name (two or more words, then `=` and a quote) follows a closing quote or the element
# name; its spaces become a placeholder that is a legal XML name character, mapped back later.
_SPACED_NAME = re.compile(
    rb"""(["']|<[^\s<>/!?]+)(\s+)([^\s=<>"'/]+(?:[ ]+[^\s=<>"'/]+)+)(?=\s*=\s*["'])"""
)
# Whether a piece may hold one, cheaply: searched in the reversed bytes, where it starts with the
# literal '=' that the regex engine finds fast (the forward pattern alone would double the cost of
# a 2 GB file). It must match wherever the forward pattern does, whatever the quote or the spaces
# around '=' (a narrower check made the outcome depend on how the file was cut into chunks).
_SPACED_NAME_REVERSED = re.compile(rb"""=\s*+[^\s=<>"'/]++ ++[^\s=<>"'/]++(?!<)""")
_NAME_SPACE = "\u00b7"  # MIDDLE DOT


def extract_apple_health(
    stream: BinaryIO, object_name: str, *, chunk_size: int = _CHUNK_SIZE
) -> Iterator[ExtractedRecord]:
    """Yield the records of interest of one `export.xml`, in document order.

    Raises InputFormatError for XML that is not well-formed (at the line and column of the
    original file) and UnsafeInputError for a DTD that declares entities.
    """
    source = _ExportFilter(object_name)
    collector = _RecordCollector()
    parser = _new_parser(collector, object_name)
    while chunk := stream.read(chunk_size):
        data = source.feed(chunk)
        collector.restore_spaced_names = source.renamed_attributes
        _parse(parser, data, object_name, final=False)
        yield from collector.drain()
    data = source.close()
    collector.restore_spaced_names = source.renamed_attributes
    _parse(parser, data, object_name, final=True)
    yield from collector.drain()


@contextmanager
def open_apple_health_export(path: Path) -> Iterator[tuple[str, BinaryIO]]:
    """Open `export.xml`, from Apple's zip (streamed, never extracted) or as a plain file.

    Yields (name of the XML inside the zip, or the file name; binary stream).
    """
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = _export_member(archive, path)
            with archive.open(member) as stream:
                yield member.filename, cast(BinaryIO, stream)
    elif path.suffix.lower() == ".xml":
        with path.open("rb") as stream:
            yield path.name, stream
    else:
        raise InputFormatError(str(path), None, "neither a zip nor an .xml file")


def _export_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    # The folder is localised (apple_health_export/, 导出/ ...); only the basename is fixed.
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir() and PurePosixPath(info.filename).name == "export.xml"
    ]
    if not members:
        raise InputFormatError(str(path), None, "no export.xml in the zip")
    if len(members) > 1:
        names = ", ".join(info.filename for info in members)
        raise InputFormatError(str(path), None, f"several export.xml in the zip: {names}")
    return members[0]


def _new_parser(collector: _RecordCollector, object_name: str) -> Any:
    parser = expat.ParserCreate()
    # Never fetch an external DTD or entity; no ExternalEntityRefHandler is installed either.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_entity(name: str, *_: object) -> None:
        # Defence in depth: the filter strips every DOCTYPE, so expat never sees a declaration.
        message = f"declares entity {name!r}; refused"
        raise UnsafeInputError(object_name, f"line {parser.CurrentLineNumber}", message)

    parser.EntityDeclHandler = refuse_entity
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    collector.parser = parser
    return parser


def _parse(parser: Any, data: bytes, object_name: str, *, final: bool) -> None:
    try:
        parser.Parse(data, final)
    except expat.ExpatError as exc:
        # expat counts columns from 0; people and editors count from 1.
        where = f"line {exc.lineno}, column {exc.offset + 1}"
        raise InputFormatError(object_name, where, expat.ErrorString(exc.code)) from exc
    except (LookupError, ValueError) as exc:
        # The XML declaration names an encoding Python does not know (LookupError) or expat
        # cannot use (a multi-byte one: ValueError). The handlers here raise neither.
        where = f"line {parser.CurrentLineNumber}"
        message = f"the declared encoding cannot be read ({exc})"
        raise InputFormatError(object_name, where, message) from exc


class _ExportFilter:
    """Rewrites the raw bytes for expat without moving any line (see the module docstring).

    In the prolog, each DOCTYPE is replaced by as many newlines as it spans (then spaces, so
    columns after it stay right too). Everything else keeps its length, except a spaced
    attribute name, whose line is one byte longer per space.
    """

    def __init__(self, object_name: str) -> None:
        self._object_name = object_name
        self._buffer = b""
        self._in_prolog = True
        self._line = 1  # line of self._buffer[0], tracked while in the prolog
        self.renamed_attributes = False

    def feed(self, chunk: bytes) -> bytes:
        self._buffer += chunk.translate(_CONTROL_TO_SPACE)
        return self._drain(final=False)

    def close(self) -> bytes:
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> bytes:
        head = self._drain_prolog(final=final) if self._in_prolog else b""
        if self._in_prolog:
            return head
        return head + self._drain_body(final=final)

    def _drain_prolog(self, *, final: bool) -> bytes:
        buf, pos, out = self._buffer, 0, []
        while True:
            item = _PROLOG_ITEM.match(buf, pos)
            if item:
                out.append(item.group())
                pos = item.end()
            elif buf.startswith(b"<!DOCTYPE", pos):
                doctype = _DOCTYPE.match(buf, pos)
                self._check_doctype(buf, pos, doctype, final=final)
                if doctype is None:
                    break  # wait for the rest of it
                out.append(_blank(doctype.group()))
                pos = doctype.end()
            elif not final and _may_continue_prolog(buf[pos:]):
                self._check_size(buf, pos, len(buf), "comment or processing instruction")
                break
            else:
                self._in_prolog = False
                break
        self._line += buf.count(b"\n", 0, pos)
        self._buffer = buf[pos:]
        return b"".join(out)

    def _check_doctype(
        self, buf: bytes, pos: int, doctype: re.Match[bytes] | None, *, final: bool
    ) -> None:
        self._check_size(buf, pos, doctype.end() if doctype else len(buf), "DOCTYPE")
        if doctype is None:
            if final:
                message = "DOCTYPE never ends (no ']>' before the end of the file)"
                raise InputFormatError(self._object_name, self._where(buf, pos), message)
            return
        entity = buf.find(b"<!ENTITY", pos, doctype.end())
        if entity >= 0:
            raise UnsafeInputError(
                self._object_name,
                self._where(buf, entity),
                "the DTD declares entities (external entity or entity-expansion payload); refused",
            )

    def _check_size(self, buf: bytes, pos: int, end: int, what: str) -> None:
        # Only the unfinished prolog item is buffered; this bounds it.
        if end - pos > _MAX_DOCTYPE_BYTES:
            message = f"{what} longer than {_MAX_DOCTYPE_BYTES >> 20} MiB; refused"
            raise InputFormatError(self._object_name, self._where(buf, pos), message)

    def _where(self, buf: bytes, pos: int) -> str:
        line = self._line + buf.count(b"\n", 0, pos)
        return f"line {line}"

    def _drain_body(self, *, final: bool) -> bytes:
        buf = self._buffer
        cut = len(buf) if final else buf.rfind(b">") + 1
        if cut == 0 and len(buf) > _MAX_CARRY_BYTES:
            cut = len(buf)
        piece, self._buffer = buf[:cut], buf[cut:]
        if _SPACED_NAME_REVERSED.search(piece[::-1]):
            piece = _SPACED_NAME.sub(_join_spaced_name, piece)
            self.renamed_attributes = True
        return piece


def _may_continue_prolog(rest: bytes) -> bool:
    """True if more bytes could still make `rest` a prolog item (an unfinished PI or comment)."""
    return rest.startswith((b"<?", b"<!--")) or any(o.startswith(rest) for o in _PROLOG_OPENERS)


def _blank(text: bytes) -> bytes:
    newlines = text.count(b"\n")
    last_line = len(text) - text.rfind(b"\n") - 1
    return b"\n" * newlines + b" " * last_line


def _join_spaced_name(match: re.Match[bytes]) -> bytes:
    name = match.group(3).replace(b" ", _NAME_SPACE.encode())
    return match.group(1) + match.group(2) + name


class _RecordCollector:
    """Expat handlers that turn elements into ExtractedRecords, kept until `drain()`.

    Depth 1 is <HealthData>, so records of interest are at depth 2 and their MetadataEntry and
    WorkoutStatistics children at depth 3; deeper elements (HRV beat lists, route metadata)
    and Records inside a Correlation (Apple repeats those at top level) are ignored.
    """

    def __init__(self) -> None:
        self.parser: Any = None
        self.restore_spaced_names = False
        self._depth = 0
        self._pending: list[ExtractedRecord] = []
        self._open: ExtractedRecord | None = None
        self._metadata: dict[str, Any] = {}
        self._statistics: list[dict[str, Any]] | None = None  # a workout's; None for a Record

    def drain(self) -> list[ExtractedRecord]:
        records, self._pending = self._pending, []
        return records

    def start(self, name: str, attrs: dict[str, Any]) -> None:
        self._depth += 1
        if self.restore_spaced_names:
            attrs = {key.replace(_NAME_SPACE, " "): value for key, value in attrs.items()}
        if self._open is not None:
            if self._depth == 3:
                self._add_child(name, attrs)
        elif self._depth == 2:
            if name == "Record":
                record_type = attrs.get("type")
                if record_type in RECORD_DATASETS:
                    self._begin(RECORD_DATASETS[record_type], attrs, _RECORD_REQUIRED)
                elif record_type is None:  # may be one of ours: quarantine it, do not drop it
                    self._begin(None, attrs, _RECORD_REQUIRED)
            elif name == "Workout":
                self._begin(WORKOUT_DATASET, attrs, _WORKOUT_REQUIRED)

    def end(self, name: str) -> None:
        if self._open is not None and self._depth == 2:
            self._pending.append(self._open)
            self._open = None
        self._depth -= 1

    def _begin(self, dataset: str | None, attrs: dict[str, Any], required: tuple[str, ...]) -> None:
        position = f"line {self.parser.CurrentLineNumber}"
        missing = next((key for key in required if key not in attrs), None)
        error = f"missing required attribute {missing!r}" if missing else None
        # The payload is filled in place by the children, until the end tag closes the record;
        # only a workout has a list of statistics (a Record may carry a string attribute
        # named `statistics`)
        self._metadata = attrs["metadata"] = {}
        self._statistics = None
        if dataset == WORKOUT_DATASET:
            self._statistics = attrs["statistics"] = []
        self._open = ExtractedRecord(position, attrs, error, dataset)

    def _add_child(self, name: str, attrs: dict[str, Any]) -> None:
        if name == "MetadataEntry" and "key" in attrs:
            self._metadata[attrs["key"]] = attrs.get("value")
        elif name == "WorkoutStatistics" and self._statistics is not None:
            self._statistics.append(attrs)
