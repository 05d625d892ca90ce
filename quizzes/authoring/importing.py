"""Importing and exporting question banks: parse, validate all-or-nothing, plan, then write.

Every format ends as the validated `QuestionData` of quizzes.study.banks (native YAML through
`parse_bank_text`, GIFT and CSV through `parse_question`), and `write_bank` stores it, so revisions and
learners' history behave exactly as for content/banks/. An import adds and updates questions by id;
questions the file does not mention stay as they are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from quizzes.models import Bank, Choice, Domain, Question, Service
from quizzes.study.banks import (
    BankFile,
    ChoiceData,
    QuestionData,
    parse_bank_text,
    parse_question,
    references,
    write_bank,
)
from studyapp.content import ContentError, content_dir

from .formats import FORMATS, Issue, Parsed, gift, native, spreadsheet

DEFAULT_DOMAIN = Domain.TECHNOLOGY.value
DEFAULT_DIFFICULTY = 2
FIELD_NAMES = ("id", "type", "stem", "choices", "explanation", "services", "domain", "difficulty", "note")


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


def parse(text: str, fmt: str) -> tuple[Parsed, list[QuestionData]]:
    """Parse and validate a file in any format: (what the parser saw, the valid questions)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    refs = references(content_dir())
    path = Path(f"upload.{fmt}")
    if fmt == "yaml":
        bank_file: BankFile = parse_bank_text(text, path, refs)
        parsed = Parsed(bank_slug=bank_file.slug, bank_title=bank_file.title, bank_description=bank_file.description)
        parsed.issues = [_issue(error) for error in bank_file.errors]
        return parsed, bank_file.questions
    notes = dict(Service.objects.values_list("key", "note_slug"))
    parsed = (gift if fmt == "gift" else spreadsheet).parse(text, notes)
    questions: list[QuestionData] = []
    seen: dict[str, int | None] = {}
    for entry in parsed.entries:
        entry.setdefault("domain", DEFAULT_DOMAIN)
        entry.setdefault("difficulty", DEFAULT_DIFFICULTY)
        if not entry.get("domain"):
            entry["domain"] = DEFAULT_DOMAIN
        if entry.get("difficulty") in ("", None):
            entry["difficulty"] = DEFAULT_DIFFICULTY
        services = entry.get("services") or []
        if "note" not in entry and services and services[0] in notes:
            entry["note"] = notes[services[0]]  # the note that teaches the question's first service
        if not services:
            parsed.issues.append(
                Issue(entry.line, "services", "no service: add a [tag:service=KEY] (GIFT) or a services cell (CSV)")
            )
            continue
        try:
            question = parse_question(entry, path, refs)
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


def run_import(
    text: str,
    fmt: str,
    *,
    bank_slug: str = "",
    title: str = "",
    dry_run: bool = False,
    decode_issue: Issue | None = None,
    on_create=None,
) -> Report:
    """Validate the whole file; write nothing unless every question is valid and this is not a dry run.

    `on_create(bank)` runs inside the write transaction when the import creates the bank (ownership)."""
    parsed, questions = (Parsed(issues=[decode_issue]), []) if decode_issue else parse(text, fmt)
    slug = bank_slug or parsed.bank_slug
    report = Report(format=fmt, bank=slug, dry_run=dry_run, refused=list(parsed.issues), warnings=parsed.warnings)
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


def export(bank: Bank, fmt: str) -> str:
    """The bank's active questions in one of the three formats."""
    questions = stored_questions(bank)
    if fmt == "yaml":
        return native.dump(bank.slug, bank.title, bank.description_md, questions)
    if fmt == "gift":
        return gift.dump(bank.slug, questions)
    if fmt == "csv":
        return spreadsheet.dump(questions)
    raise ValueError(fmt)
