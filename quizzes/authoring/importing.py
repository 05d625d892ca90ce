"""Importing and exporting question banks: parse, validate all-or-nothing, plan, then write.

Every format ends as the validated `QuestionData` of quizzes.study.banks (native YAML through `parse_bank_text`,
GIFT, CSV and Moodle XML through `parse_question`), and `write_bank` (quizzes.study.bank_writing) stores it, so
revisions and learners' history behave exactly as for content/banks/. An import adds and updates questions by id;
questions the file does not mention stay as they are.

Unlike the shipped banks, an import may leave explanations empty (a warning per question), and a question
whose file names no topic gets one from its Moodle category or the import's default topic (a warning), so a
plain Moodle export imports as it is.
"""

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

from django.db import transaction

from quizzes.models import Bank, Category, Choice, Domain, Question, Service
from quizzes.study.bank_writing import write_bank
from quizzes.study.banks import (
    BankFile,
    ChoiceData,
    QuestionData,
    parse_bank_text,
    parse_question,
    references,
)
from studyapp.content import ContentError, content_dir

from .formats import FORMATS, Issue, Parsed, gift, moodlexml, native, slugify_id, spreadsheet

DEFAULT_DOMAIN = Domain.TECHNOLOGY.value
DEFAULT_DIFFICULTY = 2
FIELD_NAMES = ("id", "type", "stem", "choices", "explanation", "services", "domain", "difficulty", "note")
NO_TOPIC = (
    "no topic: choose a default topic for this import (import_bank --topic KEY, or “Default topic” on the upload "
    "form), or name one in the file ([tag:service=KEY], a services cell, a Moodle category or tag)"
)
PARSERS = {"gift": gift.parse, "csv": spreadsheet.parse, "moodlexml": moodlexml.parse}


@contextmanager
def collector_paused():
    """Python's cycle collector off while a whole bank is in memory (as a `with` block or a decorator).

    It walks every live object each time the objects that outlived a few collections grow by a quarter, and an
    import or export of 10,000 questions keeps about 400,000 alive until it ends: an import made 17 full walks
    (2 of its 6 s of CPU), a YAML export 7 (1 of its 2.8 s; bench/authoring_import.py). Reference counting still
    frees everything meanwhile; the collector picks up any cycles once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ImportRefused(Exception):
    """The import cannot even start (unknown bank, a bank managed by content/banks/): says why."""


@dataclass
class Report:
    """What an import did, or would do on a dry run: the command's JSON and the web preview."""

    format: str
    bank: str
    dry_run: bool
    created: list[dict] = field(default_factory=list)  # [{"id", "line"}]
    updated: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    refused: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    written: bool = False

    @property
    def clean(self) -> bool:
        return not self.refused

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "bank": self.bank,
            "dry_run": self.dry_run,
            "written": self.written,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [issue.as_dict() for issue in self.refused],
            "warnings": [issue.as_dict() for issue in self.warnings],
        }


def decode(data: bytes) -> tuple[str, Issue | None]:
    """Uploaded bytes as text; a file that is not UTF-8 gets an issue with the line of the bad byte."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return "", Issue(line, "file", f"not UTF-8 text (byte {error.start} on line {line}): save the file as UTF-8")


def _field_of(reason: str) -> str:
    for name in FIELD_NAMES:
        if f"'{name}'" in reason:
            return name
    return "choices" if "choice" in reason else "question"


def _issue(error: ContentError) -> Issue:
    return Issue(error.line, _field_of(error.reason), error.reason)


@dataclass
class Catalogue:
    """The topic catalogue as an import sees it: each topic's note, and the names a Moodle category may use."""

    notes: dict[str, str]  # topic key -> the slug of the note that teaches it
    topics: dict[str, str]  # casefolded key, name or short name -> topic key
    families: dict[str, tuple[str, list[str]]]  # casefolded category key or name -> (its name, its topic keys)

    @classmethod
    def load(cls) -> "Catalogue":
        """Two queries: the topics (with their category) and the categories."""
        notes, topics, members = {}, {}, defaultdict(list)
        rows = Service.objects.order_by("order").values_list("key", "name", "short", "note_slug", "category_id")
        for key, name, short, note_slug, category_id in rows:
            notes[key] = note_slug
            for label in (short, name, key):
                topics[label.casefold()] = key
            members[category_id].append(key)
        families = {}
        for pk, key, name in Category.objects.values_list("pk", "key", "name"):
            for label in (name, key):
                families[label.casefold()] = (name, members[pk])
        return cls(notes=notes, topics=topics, families=families)

    def topic_for(self, category: str, default: str) -> tuple[str | None, str]:
        """The topic of a question whose file names none, and the warning to give (empty: none needed).

        The innermost part of the Moodle category path that names a topic (key, name or short name: `S3`,
        `Amazon S3`) wins; a part naming a category of the catalogue (`Storage`) gives the default topic when it
        is in that category, else the category's first topic; then the default topic; else (None, "")."""
        for part in reversed(category.split("/")):
            label = part.strip().casefold()
            if not label:
                continue
            for candidate in (label, slugify_id(label)):
                if candidate in self.topics:
                    return self.topics[candidate], ""
                if candidate in self.families:
                    name, members = self.families[candidate]
                    if not members:
                        continue
                    topic = default if default in members else members[0]
                    why = "the default topic" if topic == default else "its first topic"
                    return topic, (
                        f"the category “{part.strip()}” names the topic family {name}: the question gets {why}, "
                        f"'{topic}' (tag it with its topic to be precise)"
                    )
        if default:
            return default, f"no topic in the file: the question gets the default topic '{default}'"
        return None, ""


def _feedback_warning(question: QuestionData) -> Issue | None:
    """Questions imported without an explanation, or with a choice without its why: imported, but the author
    should know (the bank page lists them); learners see the right answer and "no explanation yet"."""
    missing = [n for n, choice in enumerate(question.choices, start=1) if not choice.why]
    parts = []
    if not question.explanation:
        parts.append("no explanation (general feedback)")
    if missing:
        numbers = ", ".join(str(n) for n in missing)
        parts.append(f"no feedback on choice{'s' if len(missing) > 1 else ''} {numbers}")
    if not parts:
        return None
    message = " and ".join(parts) + ": learners will see the right answer and “no explanation yet”"
    return Issue(question.line, "explanation" if not question.explanation else "choices", message)


def parse(text: str, fmt: str, *, default_topic: str = "") -> tuple[Parsed, list[QuestionData]]:
    """Parse and validate a file in any format: (what the parser saw, the valid questions).

    `default_topic` (a topic key, checked by the caller) goes to the questions whose file names no topic."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    refs = references(content_dir())
    path = Path(f"upload.{fmt}")
    if fmt == "yaml":
        bank_file: BankFile = parse_bank_text(text, path, refs, feedback_optional=True)
        parsed = Parsed(bank_slug=bank_file.slug, bank_title=bank_file.title, bank_description=bank_file.description)
        parsed.issues = [_issue(error) for error in bank_file.errors]
        parsed.warnings = [w for w in map(_feedback_warning, bank_file.questions) if w]
        return parsed, bank_file.questions
    catalogue = Catalogue.load()
    notes = catalogue.notes
    parsed = PARSERS[fmt](text, notes)
    questions: list[QuestionData] = []
    seen: dict[str, int | None] = {}
    for entry in parsed.entries:
        entry.setdefault("domain", DEFAULT_DOMAIN)
        entry.setdefault("difficulty", DEFAULT_DIFFICULTY)
        if not entry.get("domain"):
            entry["domain"] = DEFAULT_DOMAIN
        if entry.get("difficulty") in ("", None):
            entry["difficulty"] = DEFAULT_DIFFICULTY
        if not entry.get("services"):
            topic, warning = catalogue.topic_for(getattr(entry, "category", ""), default_topic)
            if topic is None:
                parsed.issues.append(Issue(entry.line, "services", NO_TOPIC))
                continue
            entry["services"] = [topic]
            if warning:
                parsed.warnings.append(Issue(entry.line, "services", warning))
        services = entry["services"]
        if "note" not in entry and services[0] in notes:
            entry["note"] = notes[services[0]]  # the note that teaches the question's first service
        try:
            question = parse_question(entry, path, refs, feedback_optional=True)
        except ContentError as error:
            parsed.issues.append(_issue(error))
            continue
        if question.external_id in seen:
            parsed.issues.append(
                Issue(
                    question.line,
                    "id",
                    f"duplicate question id '{question.external_id}' (first at line {seen[question.external_id]})",
                )
            )
            continue
        seen[question.external_id] = question.line
        questions.append(question)
        warning = _feedback_warning(question)
        if warning:
            parsed.warnings.append(warning)
    return parsed, questions


class _Stored(QuestionData):
    """A question already in the bank that the import leaves alone: its stored hash, so write_bank skips it."""

    stored_hash: str = ""

    def content_hash(self) -> str:
        return self.stored_hash


def stored_questions(bank: Bank) -> list[QuestionData]:
    """The bank's active questions as QuestionData, in bank order (three queries).

    Rows, not model instances: a 10,000-question bank is 60,000 objects, and building them was
    most of an export's time."""
    # Not `active()`: that also hides draft banks from learners, and authors work on drafts.
    active = {"question__bank": bank, "question__is_active": True}
    choices: dict[int, list[ChoiceData]] = defaultdict(list)
    rows = Choice.objects.filter(**active).order_by("question_id", "key")
    for question_id, text, correct, why in rows.values_list("question_id", "text", "correct", "why_md"):
        choices[question_id].append(ChoiceData(text=text, correct=correct, why=why))
    services: dict[int, list[str]] = defaultdict(list)
    links = Question.services.through.objects.filter(**active).order_by("question_id", "service__order")
    for question_id, key in links.values_list("question_id", "service__key"):
        services[question_id].append(key)
    result = []
    columns = ("pk", "external_id", "type", "stem_md", "explanation_md", "domain", "difficulty", "note_slug")
    questions = Question.objects.filter(bank=bank, is_active=True).order_by("position")
    for row in questions.values_list(*columns, "note_anchor", "source_hash"):
        pk, external_id, type_, stem, explanation, domain, difficulty, note_slug, note_anchor, source_hash = row
        data = _Stored(
            external_id=external_id,
            type=type_,
            stem=stem,
            choices=choices[pk],
            explanation=explanation,
            services=services[pk],
            domain=domain,
            difficulty=difficulty,
            note_slug=note_slug,
            note_anchor=note_anchor,
        )
        data.stored_hash = source_hash
        result.append(data)
    return result


def target_bank(slug: str) -> Bank | None:
    """The bank an import writes to (None: it will be created). Content banks are edited as files."""
    bank = Bank.objects.filter(slug=slug).first()
    if bank is not None and bank.source == Bank.Source.CONTENT:
        raise ImportRefused(f"bank '{slug}' is loaded from content/banks/: edit those files instead")
    return bank


@collector_paused()
def run_import(
    text: str,
    fmt: str,
    *,
    bank_slug: str = "",
    title: str = "",
    dry_run: bool = False,
    decode_issue: Issue | None = None,
    on_create=None,
    default_topic: str = "",
) -> Report:
    """Validate the whole file; write nothing unless every question is valid and this is not a dry run.

    `on_create(bank)` runs inside the write transaction when the import creates the bank (ownership);
    `default_topic` is the topic of the questions whose file names none."""
    if default_topic and not Service.objects.filter(key=default_topic).exists():
        report = Report(format=fmt, bank=bank_slug, dry_run=dry_run)
        report.refused.append(Issue(None, "topic", unknown_topic(default_topic)))
        return report
    if decode_issue:
        parsed, questions = Parsed(issues=[decode_issue]), []
    else:
        parsed, questions = parse(text, fmt, default_topic=default_topic)
    slug = bank_slug or parsed.bank_slug
    warnings = sorted(parsed.warnings, key=lambda issue: (issue.line is None, issue.line or 0))  # file order
    report = Report(format=fmt, bank=slug, dry_run=dry_run, refused=list(parsed.issues), warnings=warnings)
    if not slug:
        report.refused.append(Issue(None, "bank", "no bank: pass --bank SLUG"))
        return report
    bank = target_bank(slug)
    existing = {q.external_id: q.source_hash for q in Question.objects.filter(bank=bank)} if bank else {}
    for question in questions:
        row = {"id": question.external_id, "line": question.line}
        if question.external_id not in existing:
            report.created.append(row)
        elif existing[question.external_id] != question.content_hash():
            report.updated.append(row)
        else:
            report.unchanged.append(row)
    if dry_run or report.refused:
        return report
    with transaction.atomic():
        bank = Bank.objects.select_for_update().filter(slug=slug).first()
        merged = stored_questions(bank) if bank else []
        incoming = {q.external_id: q for q in questions}
        merged = [incoming.pop(q.external_id, q) for q in merged] + list(incoming.values())
        bank_title = bank.title if bank else (title or parsed.bank_title or slug)
        description = bank.description_md if bank else parsed.bank_description
        write_bank(slug, bank_title, description, merged, source=Bank.Source.IMPORT)
        if bank is None and on_create is not None:
            on_create(Bank.objects.get(slug=slug))
    report.written = True
    return report


def unknown_topic(key: str) -> str:
    """The message for a default topic that is not in the catalogue, with the nearest keys."""
    keys = list(Service.objects.values_list("key", flat=True))
    near = get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(near)}?" if near else ""
    return (
        f"unknown topic '{key}': the default topic must be a topic key of the catalogue (content/services.yaml "
        f"and content/topics/, e.g. lambda or s3).{hint}"
    )


@collector_paused()
def export(bank: Bank, fmt: str) -> str:
    """The bank's active questions in one of the formats."""
    questions = stored_questions(bank)
    if fmt == "yaml":
        return native.dump(bank.slug, bank.title, bank.description_md, questions)
    if fmt == "gift":
        return gift.dump(bank.slug, questions)
    if fmt == "csv":
        return spreadsheet.dump(questions)
    if fmt == "moodlexml":
        return moodlexml.dump(bank.title, bank.description_md, questions)
    raise ValueError(fmt)
