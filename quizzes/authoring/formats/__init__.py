"""Import and export formats for question banks: native YAML, GIFT (Moodle), CSV and Moodle XML.

Every parser takes text and returns a `Parsed`: the questions as the same mappings the native YAML
loader reads (so `quizzes.study.banks.parse_question` validates every format with the same rules) plus
every problem found, each with its line. Parsers never raise on bad input: a malformed file is a report.
A question whose file names no topic keeps its Moodle category path in `entry.category` (GIFT `$CATEGORY:`,
Moodle XML `<question type="category">`), for `importing` to map onto the catalogue.
"""

import html
import re
from dataclasses import dataclass, field

from studyapp.content import LineDict
from studyapp.rendering import sanitize_html

FORMATS = ("yaml", "gift", "csv", "moodlexml")
LABELS = {"yaml": "YAML", "gift": "GIFT", "csv": "CSV", "moodlexml": "Moodle XML"}
SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".gift": "gift", ".txt": "gift", ".csv": "csv", ".xml": "moodlexml"}
ONLY_PARAGRAPHS = re.compile(r"^\s*(?:<p>(?:(?!</?p>)[^<]|<br>)*</p>\s*)+$")
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
LINE_START = re.compile(r"^(\s*)([#>+\-]|\d+(?=\.))", re.MULTILINE)
INLINE_SPECIAL = re.compile(r"([\\`*_\[\]])")
TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
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


def html_to_markdown(text: str) -> str:
    """Imported HTML (Moodle's, GIFT's `[html]`) as the app's Markdown: sanitized with the allowlist of every
    Markdown field; Moodle's usual plain paragraphs (`<p>…</p>`, `<br>`) become plain text, readable in the
    editor."""
    clean = sanitize_html(text.strip()).strip()
    if "<" not in clean:  # no markup left: text (entities decoded), escaped as Markdown
        return plain_to_markdown(html.unescape(clean))
    if ONLY_PARAGRAPHS.match(clean):
        paragraphs = [html.unescape(p.replace("<br>", "\n")).strip() for p in PARAGRAPH.findall(clean)]
        return "\n\n".join(plain_to_markdown(p) for p in paragraphs if p)
    return clean


def plain_to_markdown(text: str) -> str:
    """Plain text that renders as itself: Markdown's inline marks and line-start blocks escaped, tags and
    entities spelled out."""
    text = INLINE_SPECIAL.sub(r"\\\1", text)
    text = TAG_START.sub("&lt;", re.sub(r"&(?=#?\w+;)", "&amp;", text))

    def block(match: re.Match) -> str:
        indent, mark = match.groups()
        return indent + (mark + "\\" if mark[0].isdigit() else "\\" + mark)

    return LINE_START.sub(block, text)


META_TAGS = ("service", "domain", "difficulty", "note")  # name=value tags an import reads into the question


def read_tag(value: str, meta: dict, services: dict[str, str], line: int, parsed: "Parsed") -> None:
    """One tag of an imported question (GIFT's [tag:...], Moodle XML's <tag>): `name=value` for a field of
    META_TAGS, a topic key, or else a warning that it is not kept. A difficulty that is not a number stays text,
    for the validation to refuse with its message."""
    name, equals, tag_value = value.partition("=")
    if equals and name in META_TAGS:
        if name == "service":
            meta["services"].append(tag_value)
        elif name == "difficulty":
            meta["difficulty"] = int(tag_value) if tag_value.isdecimal() else tag_value
        else:
            meta[name] = tag_value
    elif value in services:
        meta["services"].append(value)
    else:
        parsed.warnings.append(Issue(line, "tags", f"tag '{value}' is not kept (not a topic key)"))
