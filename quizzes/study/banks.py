"""Question banks in the native YAML format (content/README.md, "Question banks").

Two steps, so the instructor import can reuse them: `parse_bank_text()` turns a file into validated
`BankFile` data (every error with its line), then `write_bank()` (quizzes/study/bank_writing.py) stores it:
unchanged questions are left alone, edited ones get a new revision (learners' history keeps pointing at what
they saw), and removed ones are deleted only when nobody has studied them (otherwise retired). This module is
the first step: the data classes every import format ends as, and the rules that validate them.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from quizzes.models import Domain, Question, Service
from studyapp.content import (
    ContentError,
    load_facts,
    parse_yaml,
    read_text,
    split_front_matter,
    substitute_facts,
)
from studyapp.rendering import render_markdown_document

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUESTION_KEYS = {"id", "type", "stem", "choices", "explanation", "services", "domain", "difficulty", "note"}
CHOICE_KEYS = {"text", "correct", "why"}
SELECT_WORDS = {2: "TWO", 3: "THREE", 4: "FOUR"}
FORBIDDEN_CHOICES = re.compile(r"\b(all|none) of the above\b", re.IGNORECASE)


@dataclass
class ChoiceData:
    text: str
    correct: bool
    why: str


@dataclass
class QuestionData:
    external_id: str
    type: str
    stem: str
    choices: list[ChoiceData]
    explanation: str
    services: list[str]
    domain: str
    difficulty: int
    note_slug: str
    note_anchor: str
    line: int | None = None

    def content_hash(self) -> str:
        data = asdict(self)
        data.pop("line")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass
class BankFile:
    path: Path
    slug: str = ""
    title: str = ""
    description: str = ""
    questions: list[QuestionData] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)


@dataclass
class References:
    """What questions may refer to: service keys and note slugs with their heading anchors."""

    services: set[str]
    notes: dict[str, set[str]]


def references(directory: Path) -> References:
    """Service keys from the catalogue (loaded first) and note anchors read from content/notes/*.md."""
    return References(services=set(Service.objects.values_list("key", flat=True)), notes=note_anchors(directory))


def note_anchors(directory: Path) -> dict[str, set[str]]:
    """{note slug: heading anchors} from the notes' front matter and the same Markdown pipeline as the notes."""
    facts = load_facts(directory)
    notes = {}
    for path in sorted((directory / "notes").glob("*.md")):
        document = split_front_matter(read_text(path), path)
        slug = document.meta.get("slug") or path.stem
        try:
            body = substitute_facts(document.body, facts, path, first_line=document.body_line)
        except ContentError:
            body = document.body  # the notes loader reports bad facts; anchors do not depend on them
        notes[str(slug)] = _anchor_ids(render_markdown_document(body).toc)
    return notes


def _anchor_ids(toc: list[dict]) -> set[str]:
    ids = set()
    for entry in toc:
        ids.add(entry["id"])
        ids |= _anchor_ids(entry["children"])
    return ids


def parse_bank_text(text: str, path: Path | str, refs: References, *, feedback_optional: bool = False) -> BankFile:
    """Validate one bank file; returns its data and every error found (each with a line when known).
    `feedback_optional` is for instructors' imports only (see `parse_question`)."""
    path = Path(path)
    result = BankFile(path=path)
    try:
        data = parse_yaml(text, path)
    except ContentError as error:
        result.errors.append(error)
        return result
    if not isinstance(data, dict) or not isinstance(data.get("bank"), dict):
        result.errors.append(ContentError(path, "expected a top-level mapping with 'bank:' and 'questions:'", 1))
        return result
    bank = data["bank"]
    for key in ("slug", "title"):
        if not isinstance(bank.get(key), str) or not bank[key].strip():
            result.errors.append(ContentError(path, f"bank: missing required field '{key}'", bank.line))
    result.slug = str(bank.get("slug") or "")
    result.title = str(bank.get("title") or "").strip()
    result.description = str(bank.get("description") or "").strip()
    if result.slug and not SLUG.match(result.slug):
        result.errors.append(ContentError(path, f"bank slug '{result.slug}' must be lowercase-with-dashes", bank.line))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        result.errors.append(ContentError(path, "'questions:' must be a non-empty list", getattr(data, "line", 1)))
        return result
    seen: dict[str, int | None] = {}
    for entry in questions:
        try:
            question = parse_question(entry, path, refs, feedback_optional=feedback_optional)
        except ContentError as error:
            result.errors.append(error)
            continue
        if question.external_id in seen:
            result.errors.append(
                ContentError(
                    path,
                    f"duplicate question id '{question.external_id}' (first at line {seen[question.external_id]})",
                    question.line,
                )
            )
            continue
        seen[question.external_id] = question.line
        result.questions.append(question)
    return result


def _text(entry: dict, key: str, path: Path, where: str, line: int | None, *, optional: bool = False) -> str:
    value = entry.get(key)
    if optional and value in (None, ""):
        return ""
    if not isinstance(value, str) or not (value.strip() or optional):
        raise ContentError(path, f"{where}: '{key}' must be non-empty text", line)
    return value.strip()


def parse_question(entry, path: Path, refs: References, *, feedback_optional: bool = False) -> QuestionData:
    """One question mapping -> QuestionData, or a ContentError naming the question and its line.

    The shipped banks (content/banks/) explain every question and every choice. An instructor's import may
    leave the explanation or a choice's "why" empty (`feedback_optional`: most Moodle banks have no
    feedback); learners then see the right answer and "no explanation yet"."""
    line = getattr(entry, "line", None)
    if not isinstance(entry, dict):
        raise ContentError(path, "each question must be a mapping", line)
    qid = entry.get("id")
    if not isinstance(qid, str) or not SLUG.match(qid):
        raise ContentError(path, "question 'id' must be lowercase-with-dashes (e.g. lambda-timeout-limit)", line)
    where = f"question '{qid}'"
    unknown = set(entry) - QUESTION_KEYS
    if unknown:
        raise ContentError(path, f"{where}: unknown field(s) {', '.join(sorted(unknown))}", line)
    qtype = entry.get("type")
    if qtype not in Question.Type.values:
        raise ContentError(path, f"{where}: 'type' must be one of {', '.join(Question.Type.values)}", line)
    stem = _text(entry, "stem", path, where, line)
    explanation = _text(entry, "explanation", path, where, line, optional=feedback_optional)
    choices = _parse_choices(entry.get("choices"), path, where, line, why_optional=feedback_optional)
    _check_choice_rules(qtype, stem, choices, path, where, line)

    services = entry.get("services")
    if not isinstance(services, list) or not services or not all(isinstance(s, str) for s in services):
        raise ContentError(path, f"{where}: 'services' must be a non-empty list of service keys", line)
    unknown_services = [s for s in services if s not in refs.services]
    if unknown_services:
        raise ContentError(path, f"{where}: unknown service key(s) {', '.join(unknown_services)}", line)
    if len(set(services)) != len(services):
        raise ContentError(path, f"{where}: a service is listed twice", line)
    domain = entry.get("domain")
    if domain not in Domain.values:
        raise ContentError(path, f"{where}: 'domain' must be one of {', '.join(Domain.values)}", line)
    difficulty = entry.get("difficulty")
    if not isinstance(difficulty, int) or isinstance(difficulty, bool) or difficulty not in (1, 2, 3):
        raise ContentError(path, f"{where}: 'difficulty' must be 1, 2 or 3", line)
    note = entry.get("note")
    if not isinstance(note, str) or not note.strip():
        raise ContentError(path, f"{where}: 'note' must name the note that teaches it (slug or slug#anchor)", line)
    note_slug, _, anchor = note.strip().partition("#")
    if note_slug not in refs.notes:
        raise ContentError(path, f"{where}: no note with slug '{note_slug}' in content/notes/", line)
    if anchor and anchor not in refs.notes[note_slug]:
        raise ContentError(path, f"{where}: note '{note_slug}' has no heading with anchor '#{anchor}'", line)
    return QuestionData(
        external_id=qid,
        type=qtype,
        stem=stem,
        choices=choices,
        explanation=explanation,
        services=services,
        domain=domain,
        difficulty=difficulty,
        note_slug=note_slug,
        note_anchor=anchor,
        line=line,
    )


def _parse_choices(raw, path: Path, where: str, line: int | None, *, why_optional: bool = False) -> list[ChoiceData]:
    if not isinstance(raw, list) or not raw:
        raise ContentError(path, f"{where}: 'choices' must be a non-empty list", line)
    choices = []
    for number, item in enumerate(raw, start=1):
        item_line = getattr(item, "line", line)
        if not isinstance(item, dict):
            raise ContentError(path, f"{where}: choice {number} must be a mapping with text, correct, why", item_line)
        unknown = set(item) - CHOICE_KEYS
        if unknown:
            raise ContentError(
                path, f"{where}: choice {number} has unknown field(s) {', '.join(sorted(unknown))}", item_line
            )
        text = item.get("text")
        if isinstance(text, bool):  # YAML reads a bare True/False as a boolean
            raise ContentError(path, f'{where}: choice {number} text must be quoted ("True", "False")', item_line)
        if not isinstance(text, str) or not text.strip():
            raise ContentError(path, f"{where}: choice {number} needs 'text'", item_line)
        if not isinstance(item.get("correct"), bool):
            raise ContentError(path, f"{where}: choice {number} needs 'correct: true' or 'correct: false'", item_line)
        why = item.get("why")
        if why_optional and why in (None, ""):
            why = ""
        if not isinstance(why, str) or not (why.strip() or why_optional):
            raise ContentError(path, f"{where}: choice {number} needs 'why' (why it is right or wrong)", item_line)
        if FORBIDDEN_CHOICES.search(text):
            raise ContentError(path, f"{where}: choice {number}: no 'all/none of the above' options", item_line)
        choices.append(ChoiceData(text=text.strip(), correct=item["correct"], why=why.strip()))
    texts = [c.text.casefold() for c in choices]
    if len(set(texts)) != len(texts):
        raise ContentError(path, f"{where}: two choices have the same text", line)
    return choices


def _check_choice_rules(qtype: str, stem: str, choices: list[ChoiceData], path: Path, where: str, line) -> None:
    correct = sum(c.correct for c in choices)
    if qtype == Question.Type.SINGLE:
        if len(choices) < 4 or correct != 1:
            raise ContentError(path, f"{where}: a single-answer question needs 4+ choices, exactly 1 correct", line)
    elif qtype == Question.Type.MULTIPLE:
        if len(choices) < 5 or correct < 2:
            raise ContentError(path, f"{where}: a multiple-response question needs 5+ choices, 2+ correct", line)
        word = SELECT_WORDS.get(correct, str(correct))
        if f"(Select {word}.)" not in stem:
            raise ContentError(
                path, f"{where}: {correct} choices are correct, so the stem must end with '(Select {word}.)'", line
            )
    else:
        if [c.text for c in choices] != ["True", "False"] or correct != 1:
            raise ContentError(
                path, f'{where}: a true/false question has exactly the choices "True" and "False", one correct', line
            )
