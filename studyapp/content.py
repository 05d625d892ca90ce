"""Loading content/ into the database: shared errors, YAML with line numbers, front matter, facts.

`python manage.py load_content` runs every loader in CONTENT_LOADERS inside one transaction: a malformed
file stops the whole load with its name, line and reason, and the database is left as it was.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

# Dotted paths of functions `load(content_dir: Path) -> dict[str, int]` (counts to report), in order.
CONTENT_LOADERS = [
    "quizzes.study.catalogue.load_services",
    "studyapp.notes.loading.load_notes",
    "quizzes.study.bank_writing.load_banks",
    "quizzes.trainer.loading.load_trainer",
]


def content_dir() -> Path:
    return Path(getattr(settings, "CONTENT_DIR", settings.BASE_DIR / "content"))


class ContentError(Exception):
    """A content file is malformed: says which file, which line (when known) and why."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None):
        self.path, self.reason, self.line = Path(path), reason, line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.reason}"


# libyaml's C parser when PyYAML was built with it (the wheels are): parsing the content is most of a load.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """SafeLoader that records the line of every mapping, so errors can point at it."""


def _construct_mapping(loader, node, deep=False):
    mapping = _SafeLoader.construct_mapping(loader, node, deep=deep)
    return LineDict(mapping, line=node.start_mark.line + 1)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class LineDict(dict):
    """A dict that knows the line it started on in its YAML file."""

    def __init__(self, *args, line: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line


def parse_yaml(text: str, path: Path | str, *, line_offset: int = 0):
    """Parse YAML text; a syntax error becomes a ContentError with the file's line number."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 (SafeLoader subclass)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark else None
        raise ContentError(path, f"invalid YAML: {error.problem or error}", line) from None
    except yaml.YAMLError as error:
        raise ContentError(path, f"invalid YAML: {error}") from None
    if line_offset:
        _shift_lines(data, line_offset)
    return data


def _shift_lines(data, offset: int) -> None:
    if isinstance(data, LineDict) and data.line is not None:
        data.line += offset
    if isinstance(data, dict):
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, list):
        for item in data:
            _shift_lines(item, offset)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ContentError(path, f"not UTF-8 text (byte {error.start})") from None


def load_yaml_file(path: Path):
    return parse_yaml(read_text(path), path)


@dataclass
class FrontMatterDocument:
    meta: LineDict
    body: str
    body_line: int  # line number of the body's first line in the file


def split_front_matter(text: str, path: Path) -> FrontMatterDocument:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, "missing front matter: the file must start with a line '---'", 1)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            meta = parse_yaml("".join(lines[1:index]), path, line_offset=1)
            if not isinstance(meta, dict):
                raise ContentError(path, "front matter must be a YAML mapping (key: value lines)", 2)
            return FrontMatterDocument(meta=meta, body="".join(lines[index + 1 :]), body_line=index + 2)
    raise ContentError(path, "front matter is not closed by a line '---'", 1)


def require(data: dict, key: str, path: Path, kind: type | tuple = str, *, line: int | None = None):
    """Return data[key], or stop with a clear error if it is missing, empty or of the wrong type."""
    line = line or getattr(data, "line", None)
    if key not in data or data[key] in (None, ""):
        raise ContentError(path, f"missing required field '{key}'", line)
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
        raise ContentError(path, f"field '{key}' must be a {names}, not {type(value).__name__}", line)
    return value


# Facts: prices and limits written once (content/facts.yaml), cited in notes as {{ facts.a.b }}.
FACT_PATTERN = re.compile(r"\{\{\s*facts\.([A-Za-z0-9_.]+)\s*\}\}")


@cache
def _facts_cached(files: tuple[tuple[str, float], ...]) -> dict:
    facts: dict = {}
    for name, _mtime in files:
        path = Path(name)
        data = load_yaml_file(path) or {}
        if not isinstance(data, dict):
            raise ContentError(path, "facts must be a mapping of names to values", 1)
        for key, value in data.items():
            if key in facts:
                raise ContentError(path, f"fact group '{key}' is already defined in another facts file", data.line)
            facts[key] = value
    return facts


def load_facts(directory: Path | None = None) -> dict:
    """content/facts.yaml merged with content/facts/*.yaml (one top-level group is defined in one file)."""
    directory = directory or content_dir()
    paths = [directory / "facts.yaml", *sorted((directory / "facts").glob("*.yaml"))]
    files = tuple((str(path), path.stat().st_mtime) for path in paths if path.exists())
    return _facts_cached(files)


def fact(facts: dict, dotted: str):
    value = facts
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def format_fact(value) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError("facts cited in text must be numbers or strings")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        whole, _, frac = text.partition(".")
        whole = f"{int(whole):,}"
        return f"{whole}.{frac}" if frac else whole
    return str(value)


def substitute_facts(text: str, facts: dict, path: Path, *, first_line: int = 1) -> str:
    """Replace every {{ facts.path }} with its value; an unknown path stops the load at its line."""

    def replace(match: re.Match) -> str:
        try:
            return format_fact(fact(facts, match.group(1)))
        except (KeyError, ValueError):
            line = first_line + text.count("\n", 0, match.start())
            reason = f"unknown or non-scalar fact '{match.group(1)}' (see content/facts.yaml)"
            raise ContentError(path, reason, line) from None

    return FACT_PATTERN.sub(replace, text)
