"""Import and export formats for question banks: native YAML, GIFT (Moodle), CSV and Moodle XML.

Every parser takes text and returns a `Parsed`: the questions as the same mappings the native YAML
loader reads (so `quizzes.study.banks.parse_question` validates every format with the same rules) plus
every problem found, each with its line. Parsers never raise on bad input: a malformed file is a report.
A question whose file names no topic keeps its Moodle category path in `entry.category` (GIFT `$CATEGORY:`,
Moodle XML `<question type="category">`), for `importing` to map onto the catalogue.
"""

import re
from dataclasses import dataclass, field

from studyapp.content import LineDict

FORMATS = ("yaml", "gift", "csv", "moodlexml")
LABELS = {"yaml": "YAML", "gift": "GIFT", "csv": "CSV", "moodlexml": "Moodle XML"}
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".gift": "gift", ".txt": "gift", ".csv": "csv", ".xml": "moodlexml"}
MAX_LINE_CHARS = 100_000  # a longer line is not a question bank (minified data, a binary blob)


@dataclass
class Issue:
    """One problem in an import file: where it is, which field, and what is wrong."""

    line: int | None
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class Parsed:
    """What a parser read: question mappings (LineDict, with the line of each question and choice)."""

    entries: list[LineDict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)  # refused: nothing is imported while there is one
    warnings: list[Issue] = field(default_factory=list)  # imported, but the instructor should know
    bank_slug: str = ""
    bank_title: str = ""
    bank_description: str = ""


def check_lines(text: str) -> Issue | None:
    """Binary or absurdly long lines stop the parse before it starts."""
    if "\x00" in text:
        return Issue(text.count("\n", 0, text.index("\x00")) + 1, "file", "this is a binary file, not a text file")
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            return Issue(number, "file", f"line {number} is longer than {MAX_LINE_CHARS:,} characters")
    return None


def slugify_id(text: str) -> str:
    """A stable question id from a title: lowercase words joined by dashes (at most 100 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:100].strip("-")
